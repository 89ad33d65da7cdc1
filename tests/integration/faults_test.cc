// Transient and documented Runtime API faults: every invocation answered exactly once, the
// process alive (or exiting as specified), and no tight loop (request counts stay bounded).
#include <algorithm>

#include "gmock/gmock.h"
#include "tests/support/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

using ::testing::HasSubstr;

// Answers for `record` that the emulator accepted (202).
int Accepted(const emulator::InvocationRecord& record) {
  return static_cast<int>(
      std::count_if(record.answers.begin(), record.answers.end(),
                    [](const emulator::Answer& a) { return a.status_returned == 202; }));
}

TEST_F(BootstrapTest, NextFaultsAreRetriedAndEveryEventIsAnsweredOnce) {
  StartEmulator();
  std::vector<emulator::NextFault> faults;
  for (int i = 0; i < 3; ++i) faults.push_back({.reset = true});
  for (int status : {502, 503, 504}) faults.push_back({.status = status});
  for (int i = 0; i < 2; ++i) faults.push_back({.truncate = true});
  faults.push_back({.delay = std::chrono::milliseconds(100)});
  const size_t fault_count = faults.size();
  emulator().InjectNextFaults(std::move(faults));
  const std::vector<std::string> ids = EnqueueMany(R"({"ms":1})", 5);
  StartBootstrap("sleep");
  ASSERT_TRUE(emulator().WaitForClosed(ids.size(), kWait));
  for (const std::string& id : ids) EXPECT_EQ(Accepted(*emulator().record(id)), 1) << id;
  const emulator::Stats stats = emulator().stats();
  EXPECT_EQ(stats.duplicate_answers, 0u);
  // Each fault costs one /next and each event one: no retry storm. A truncated reply may have
  // carried an event (dispatched, then cut), so allow one extra call per truncation.
  EXPECT_LE(stats.next_calls, fault_count + ids.size() + 1 + 2);
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, RepeatedNext500ExitsTwoAfterDrainingInFlightWork) {
  StartEmulator();
  emulator::EventSpec slow;
  slow.body = R"({"ms":1500})";
  slow.request_id = "slow-survivor";
  emulator().Enqueue(slow);
  StartBootstrap("sleep", {"AWS_LAMBDA_MAX_CONCURRENCY=2"});
  ASSERT_TRUE(emulator().WaitFor(
      [](const emulator::Stats& s) { return s.in_flight == 1 && s.waiting_next == 1; }, kWait));
  emulator().InjectNextFaults(
      std::vector<emulator::NextFault>(10, emulator::NextFault{.status = 500}));
  // The idle loop is parked; one quick event brings it back to /next, where the 500s wait.
  EnqueueMany(R"({"ms":1})", 1);
  const auto status = WaitForExit();
  EXPECT_TRUE(status.exited);
  EXPECT_EQ(status.code, 2);
  const auto record = emulator().record("slow-survivor");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(Accepted(*record), 1);  // Drained, not abandoned.
  // Five 500s in a row are fatal; the loop must not have kept polling.
  EXPECT_LE(emulator().stats().next_calls, 2u + 1u + 5u);
}

TEST_F(BootstrapTest, ResetResponsePostIsRetriedWithoutASecondAnswer) {
  StartEmulator();
  emulator().InjectPostFaults({{.reset = true}, {.reset = true}});
  EnqueueMany(R"({"k":"v"})", 1);
  StartBootstrap("echo");
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  const auto record = emulator().records().at(0);
  EXPECT_EQ(Accepted(record), 1);
  EXPECT_EQ(record.answers.size(), 3u);  // reset, reset, accepted
  EXPECT_EQ(emulator().stats().duplicate_answers, 0u);
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, ServerErrorOnPostIsRetried) {
  StartEmulator();
  emulator().InjectPostFaults({{.status = 503}, {.status = 500}});
  EnqueueMany(R"({"k":"v"})", 1);
  StartBootstrap("echo");
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  const auto record = emulator().records().at(0);
  EXPECT_EQ(Accepted(record), 1);
  EXPECT_EQ(record.answers.size(), 3u);
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, GoneAnswersAreNotRetriedAndServiceGoesOn) {
  StartEmulator();
  for (int status : {400, 403, 410}) {
    emulator::EventSpec event;
    event.body = "{}";
    event.request_id = RequestIdFor("gone", status);
    event.answer_status = status;
    emulator().Enqueue(event);
  }
  const std::vector<std::string> after = EnqueueMany("{}", 2);
  StartBootstrap("echo");
  ASSERT_TRUE(emulator().WaitForClosed(5, kWait));
  for (int status : {400, 403, 410}) {
    const auto record = emulator().record(RequestIdFor("gone", status));
    EXPECT_EQ(record->answers.size(), 1u) << status;  // Logged, never retried.
  }
  for (const std::string& id : after) EXPECT_EQ(Accepted(*emulator().record(id)), 1);
  EXPECT_EQ(Terminate().code, 0);
  bool logged_410 = false;
  for (const LogLine& line : JsonLogLines()) {
    logged_410 = logged_410 || line.message.find("replied 410") != std::string::npos;
  }
  EXPECT_TRUE(logged_410);
}

TEST_F(BootstrapTest, OversizedResponseIsReportedAsResponseSizeTooLarge) {
  emulator::EmulatorOptions options;
  options.max_response_bytes = 1000;
  StartEmulator(options);
  EnqueueMany(std::string(5000, 'x'), 1);
  StartBootstrap("echo");
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  const auto record = emulator().records().at(0);
  ASSERT_EQ(record.answers.size(), 2u);
  EXPECT_EQ(record.answers[0].kind, emulator::Answer::Kind::kResponse);
  EXPECT_EQ(record.answers[0].status_returned, 413);
  EXPECT_EQ(record.answers[1].kind, emulator::Answer::Kind::kError);
  EXPECT_EQ(record.answers[1].status_returned, 202);
  EXPECT_EQ(*record.answers[1].FindHeader("lambda-runtime-function-error-type"),
            "Function.ResponseSizeTooLarge");
  EXPECT_THAT(record.answers[1].body, HasSubstr("5000 bytes"));
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, LateAnswerRefusedWith410DisturbsNothingElse) {
  emulator::EmulatorOptions options;
  options.enforce_deadlines = true;
  StartEmulator(options);
  emulator::EventSpec late;
  late.body = R"({"ms":300})";
  late.request_id = "late-one";
  late.timeout = std::chrono::milliseconds(50);
  emulator().Enqueue(late);
  const std::vector<std::string> others = EnqueueMany(R"({"ms":1})", 4);
  StartBootstrap("sleep", {"AWS_LAMBDA_MAX_CONCURRENCY=2"});
  ASSERT_TRUE(emulator().WaitForClosed(5, kWait));
  const auto record = emulator().record("late-one");
  ASSERT_EQ(record->answers.size(), 1u);
  EXPECT_EQ(record->answers[0].status_returned, 410);
  for (const std::string& id : others) EXPECT_EQ(Accepted(*emulator().record(id)), 1);
  EXPECT_EQ(Terminate().code, 0);
  bool overdue_warned = false;
  for (const LogLine& line : JsonLogLines()) {
    if (line.level == "WARN" && line.request_id == "late-one" &&
        line.message.find("after its deadline") != std::string::npos) {
      overdue_warned = true;
    }
  }
  EXPECT_TRUE(overdue_warned);
}

}  // namespace
}  // namespace lmc::integration
