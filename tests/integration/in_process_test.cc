// The transport and a poll loop, in process, against the emulator: what needs a real server but
// not a real bootstrap (cancellation, and failure paths reachable only through test seams).
#include <stdexcept>
#include <thread>

#include "gtest/gtest.h"
#include "lmc/clock.h"
#include "lmc/dispatch/poll_loop.h"
#include "lmc/transport/runtime_api_client.h"
#include "tests/support/bootstrap_fixture.h"
#include "tools/emulator/emulator.h"

namespace lmc::integration {
namespace {

class InProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitializeTransport().ok());
    ASSERT_TRUE(emulator_.Start().ok());
  }

  std::unique_ptr<RuntimeApiClient> NewClient() {
    auto client = RuntimeApiClient::Create(emulator_.address(), sink_);
    EXPECT_TRUE(client.ok());
    return std::move(*client);
  }

  emulator::Emulator emulator_;
  LogSink sink_{STDERR_FILENO, LogFormat::kJson, LogLevel::kWarn};
};

TEST_F(InProcessTest, AbortCancelsAParkedNextPromptly) {
  auto client = NewClient();
  NextInvocation next;
  absl::Status status;
  std::thread poller([&] { status = client->Next(next); });
  ASSERT_TRUE(emulator_.WaitForWaitingNext(1, kWait));
  client->Abort();
  poller.join();  // Returns only because Abort() shut the socket down: no event was queued.
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  // Later long polls fail at once; POSTs still work.
  EXPECT_EQ(client->Next(next).code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(client->PostInitError("Runtime.Test", "{}").ok());
}

TEST_F(InProcessTest, ClientRefusesUnsafeRequestIdsAndHeaderValues) {
  auto client = NewClient();
  EXPECT_EQ(client->PostResponse("../init/error", "", "application/json", "{}").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->PostResponse("ok-id", "inv\r\nX: y", "application/json", "{}").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->PostError("ok-id", "", "T\nU", "{}").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(emulator_.stats().unknown_request_posts, 0u);  // Nothing was sent.
}

// A clock whose Now() throws once when armed: an exception escaping the loop's own code.
class ThrowingClock final : public Clock {
 public:
  TimePoint Now() const override {
    if (armed_.exchange(false)) throw std::runtime_error("clock failure");
    return Clock::Real().Now();
  }
  void Arm() { armed_ = true; }

 private:
  mutable std::atomic<bool> armed_{false};
};

TEST_F(InProcessTest, LoopSurvivesAnUnexpectedExceptionAndStillAnswersTheEvent) {
  ThrowingClock clock;
  const Handler echo = [](const Event& e, const Context&) -> Result {
    return Response::Borrowed(e.bytes(), "application/json");
  };
  DispatchSettings settings;
  settings.handler = &echo;
  settings.sink = &sink_;
  settings.clock = &clock;
  settings.tmp_root = std::filesystem::temp_directory_path();
  PollLoop loop(0, NewClient(), settings, [](const absl::Status&) {});
  // No deadline header: the loop asks the clock for a fallback deadline, and the clock throws.
  emulator::EventSpec broken;
  broken.body = "{}";
  broken.request_id = "req-broken";
  broken.deadline_header = "";
  emulator_.Enqueue(broken);
  emulator::EventSpec fine;
  fine.body = R"({"ok":true})";
  fine.request_id = "req-fine";
  emulator_.Enqueue(fine);
  clock.Arm();
  std::thread runner([&] { loop.Run(); });
  ASSERT_TRUE(emulator_.WaitForClosed(2, kWait));
  loop.Stop();
  runner.join();
  const auto broken_record = emulator_.record("req-broken");
  ASSERT_EQ(broken_record->answers.size(), 1u);
  EXPECT_EQ(broken_record->answers[0].kind, emulator::Answer::Kind::kError);
  EXPECT_EQ(*broken_record->answers[0].FindHeader("lambda-runtime-function-error-type"),
            "Runtime.InternalError");
  const auto fine_record = emulator_.record("req-fine");
  ASSERT_EQ(fine_record->answers.size(), 1u);
  EXPECT_EQ(fine_record->answers[0].body, R"({"ok":true})");
}

TEST_F(InProcessTest, StopWhileIdleReturnsAtOnce) {
  const Handler echo = [](const Event&, const Context&) -> Result { return absl::OkStatus(); };
  DispatchSettings settings;
  settings.handler = &echo;
  settings.sink = &sink_;
  PollLoop loop(0, NewClient(), settings, [](const absl::Status&) {});
  std::thread runner([&] { loop.Run(); });
  ASSERT_TRUE(emulator_.WaitForWaitingNext(1, kWait));
  loop.Stop();
  runner.join();  // Would hang forever if the parked /next were not cancelled.
  EXPECT_EQ(loop.invocations(), 0u);
}

}  // namespace
}  // namespace lmc::integration
