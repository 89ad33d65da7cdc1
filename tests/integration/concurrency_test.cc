// Concurrency and backpressure: N loops reach N, never exceed N, default to 1.
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "tests/support/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

TEST_F(BootstrapTest, SleepAtConcurrencyEightRunsEightAtOnceAndNeverMore) {
  StartEmulator();
  EnqueueMany(R"({"ms":300})", 24);
  StartBootstrap("sleep", {"AWS_LAMBDA_MAX_CONCURRENCY=8"});
  ASSERT_TRUE(emulator().WaitForClosed(24, kWait));
  const emulator::Stats stats = emulator().stats();
  EXPECT_EQ(stats.responses, 24u);
  EXPECT_EQ(stats.max_in_flight, 8u);
  EXPECT_LE(stats.max_outstanding, 8u);
  EXPECT_EQ(stats.duplicate_answers, 0u);
  for (const emulator::InvocationRecord& record : emulator().records()) {
    ASSERT_EQ(record.answers.size(), 1u);
    EXPECT_EQ(record.answers[0].body, R"({"slept_ms":300})");
  }
  // For the record (not asserted: timing belongs in bench/).
  RecordProperty("wall_ms", absl::StrCat(absl::ToDoubleMilliseconds(stats.last_close_at -
                                                                    stats.first_dispatch_at)));
  EXPECT_EQ(Terminate().code, 0);
  JsonLogLines();  // Every line must be JSON.
}

TEST_F(BootstrapTest, WithoutTheVariableOneInvocationRunsAtATime) {
  StartEmulator();
  EnqueueMany(R"({"ms":20})", 5);
  StartBootstrap("sleep");
  ASSERT_TRUE(emulator().WaitForClosed(5, kWait));
  EXPECT_EQ(emulator().stats().max_outstanding, 1u);
  EXPECT_EQ(emulator().stats().responses, 5u);
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, InvalidConcurrencyFallsBackToOneWithAWarning) {
  StartEmulator();
  EnqueueMany(R"({"ms":1})", 3);
  StartBootstrap("sleep", {"AWS_LAMBDA_MAX_CONCURRENCY=lots"});
  ASSERT_TRUE(emulator().WaitForClosed(3, kWait));
  EXPECT_EQ(emulator().stats().max_outstanding, 1u);
  EXPECT_EQ(Terminate().code, 0);
  bool warned = false;
  for (const LogLine& line : JsonLogLines()) {
    if (line.level == "WARN" &&
        line.message.find("AWS_LAMBDA_MAX_CONCURRENCY") != std::string::npos) {
      warned = true;
    }
  }
  EXPECT_TRUE(warned);
}

TEST_F(BootstrapTest, LmcMaxConcurrencyLowersTheNumberOfLoops) {
  StartEmulator();
  EnqueueMany(R"({"ms":50})", 6);
  StartBootstrap("sleep", {"AWS_LAMBDA_MAX_CONCURRENCY=8", "LMC_MAX_CONCURRENCY=2"});
  ASSERT_TRUE(emulator().WaitForClosed(6, kWait));
  EXPECT_EQ(emulator().stats().max_outstanding, 2u);
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, IdleLoopsAllWaitOnNext) {
  StartEmulator();
  StartBootstrap("echo", {"AWS_LAMBDA_MAX_CONCURRENCY=16"});
  ASSERT_TRUE(emulator().WaitForWaitingNext(16, kWait));
  EXPECT_EQ(emulator().stats().max_waiting_next, 16u);
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, ASlowHandlerDoesNotDelayOtherInvocations) {
  StartEmulator();
  emulator::EventSpec slow;
  slow.body = R"({"ms":60000})";
  slow.request_id = "slow-0000";
  emulator().Enqueue(slow);
  StartBootstrap("sleep", {"AWS_LAMBDA_MAX_CONCURRENCY=2"});
  // The slow one is running before the fast ones exist.
  ASSERT_TRUE(emulator().WaitFor([](const emulator::Stats& s) { return s.in_flight == 1; }, kWait));
  EnqueueMany(R"({"ms":1})", 20);
  ASSERT_TRUE(
      emulator().WaitFor([](const emulator::Stats& s) { return s.responses == 20; }, kWait));
  EXPECT_FALSE(emulator().record("slow-0000")->closed);
  // Drain would wait a minute for the slow one; a second signal ends the process at once.
  ASSERT_TRUE(bootstrap().Signal(SIGTERM).ok());
  ASSERT_TRUE(bootstrap().WaitForOutput("finishing the invocations in flight", kWait));
  ASSERT_TRUE(bootstrap().Signal(SIGTERM).ok());
  const auto status = WaitForExit();
  EXPECT_TRUE(status.exited);
  EXPECT_EQ(status.code, 128 + SIGTERM);
}

}  // namespace
}  // namespace lmc::integration
