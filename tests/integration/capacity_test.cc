// Capacity under handlers that outlive their deadline (issue 7 §5): the `sleep` handler waits
// the full time and ignores cancellation, like a hung handler.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

emulator::EventSpec Hung(const std::string& request_id, int sleep_ms) {
  emulator::EventSpec spec;
  spec.body = "{\"ms\":" + std::to_string(sleep_ms) + "}";
  spec.request_id = request_id;
  spec.timeout = std::chrono::milliseconds(100);
  return spec;
}

int CountLines(const std::vector<LogLine>& lines, const std::string& level,
               const std::string& fragment) {
  int n = 0;
  for (const LogLine& line : lines) {
    if (line.level == level && line.message.find(fragment) != std::string::npos) ++n;
  }
  return n;
}

TEST_F(BootstrapTest, HungHandlersDoNotReduceCapacity) {
  emulator::EmulatorOptions options;
  options.enforce_deadlines = true;
  StartEmulator(options);
  emulator().Enqueue(Hung("hung-0", 600'000));
  emulator().Enqueue(Hung("hung-1", 600'000));
  StartBootstrap("sleep", {"AWS_LAMBDA_MAX_CONCURRENCY=2", "LMC_OVERDUE_GRACE_MS=50"});
  // Both loops are taken by hung invocations; once they are detached, two loops poll again.
  ASSERT_TRUE(emulator().WaitFor(
      [](const emulator::Stats& s) { return s.dispatched == 2 && s.waiting_next == 2; }, kWait));
  const std::vector<std::string> quick = EnqueueMany(R"({"ms":1})", 10);
  ASSERT_TRUE(
      emulator().WaitFor([](const emulator::Stats& s) { return s.responses == 10; }, kWait));
  EXPECT_FALSE(emulator().record("hung-0")->closed);
  EXPECT_FALSE(emulator().record("hung-1")->closed);
  // Never more than N polls waiting at once: the replacements only take the hung ones' places.
  EXPECT_LE(emulator().stats().max_waiting_next, 2u);
  // Shutdown does not wait for the hung handlers (Lambda has failed them already).
  EXPECT_EQ(Terminate().code, 0);
  const std::vector<LogLine> lines = JsonLogLines();
  EXPECT_EQ(CountLines(lines, "WARN", "a new loop polls in its place"), 2);
}

TEST_F(BootstrapTest, DetachedHandlerAnswersLateAtWarnAndItsThreadEnds) {
  emulator::EmulatorOptions options;
  options.enforce_deadlines = true;
  StartEmulator(options);
  emulator().Enqueue(Hung("late-0", 800));
  StartBootstrap("sleep", {"AWS_LAMBDA_MAX_CONCURRENCY=1", "LMC_OVERDUE_GRACE_MS=50"});
  // The replacement loop serves while the detached handler still sleeps.
  ASSERT_TRUE(emulator().WaitFor(
      [](const emulator::Stats& s) { return s.dispatched == 1 && s.waiting_next == 1; }, kWait));
  EnqueueMany(R"({"ms":1})", 3);
  // The late answer is refused once (410) and not retried.
  ASSERT_TRUE(emulator().WaitFor(
      [](const emulator::Stats& s) { return s.responses == 3 && s.closed == 4; }, kWait));
  const auto record = emulator().record("late-0");
  ASSERT_EQ(record->answers.size(), 1u);
  EXPECT_EQ(record->answers[0].status_returned, 410);
  EXPECT_EQ(Terminate().code, 0);
  const std::vector<LogLine> lines = JsonLogLines();
  EXPECT_EQ(CountLines(lines, "WARN", "came too late"), 1);
  EXPECT_EQ(CountLines(lines, "WARN", "not waiting for them"), 0);  // its thread had ended
}

TEST_F(BootstrapTest, AllLoopsHeldByOverdueHandlersExitWithOneFatalLine) {
  StartEmulator();
  emulator().Enqueue(Hung("stuck-0", 600'000));
  emulator().Enqueue(Hung("stuck-1", 600'000));
  StartBootstrap("sleep", {"AWS_LAMBDA_MAX_CONCURRENCY=1", "LMC_OVERDUE_GRACE_MS=50",
                           "LMC_MAX_DETACHED=1", "LMC_STUCK_GRACE_MS=100"});
  // The first is detached and replaced; the second holds the only loop with no room left.
  const emulator::Subprocess::ExitStatus status = WaitForExit();
  EXPECT_EQ(status.code, 3);
  EXPECT_EQ(emulator().stats().dispatched, 2u);
  const std::vector<LogLine> lines = JsonLogLines();
  int fatal = 0;
  for (const LogLine& line : lines) fatal += line.level == "FATAL" ? 1 : 0;
  EXPECT_EQ(fatal, 1);
  EXPECT_EQ(CountLines(lines, "FATAL", "cannot serve"), 1);
}

}  // namespace
}  // namespace lmc::integration
