// Shutdown: SIGTERM stops polling, lets every invocation in flight finish and answer, exits 0.
#include "absl/strings/str_cat.h"
#include "tests/support/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

// How long each of the 1600 invocations sleeps: long enough that all of them are in flight at
// once before the first finishes. Starting 1600 loops takes ~0.15 s in a release build and
// ~2.5 s under ASan on an idle 2-core machine; sanitizer builds on a loaded CI machine get a
// wide margin.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kLongSleepMs = 30000;
#else
constexpr int kLongSleepMs = 5000;
#endif

TEST_F(BootstrapTest, SigtermWithEightInFlightAnswersAllAndExitsZero) {
  StartEmulator();
  EnqueueMany(R"({"ms":1000})", 8);
  StartBootstrap("sleep", {"AWS_LAMBDA_MAX_CONCURRENCY=8"});
  // Delivered, not only dispatched: an event whose reply is still in the emulator's buffer when
  // SIGTERM lands has not reached the runtime, which rightly stops polling without it.
  ASSERT_TRUE(emulator().WaitFor(
      [](const emulator::Stats& s) { return s.in_flight == 8 && s.delivered == 8; }, kWait));
  const auto status = Terminate();
  EXPECT_TRUE(status.exited);
  EXPECT_EQ(status.code, 0);
  EXPECT_EQ(emulator().stats().responses, 8u);
  EXPECT_EQ(emulator().stats().in_flight, 0u);
  JsonLogLines();
}

TEST_F(BootstrapTest, SigtermAtConcurrency1600AnswersEveryInvocationInFlight) {
  StartEmulator();
  constexpr int kN = 1600;
  EnqueueMany(absl::StrCat("{\"ms\":", kLongSleepMs, "}"), kN);
  StartBootstrap("sleep", {"AWS_LAMBDA_MAX_CONCURRENCY=1600"});
  ASSERT_TRUE(emulator().WaitFor(
      [](const emulator::Stats& s) { return s.in_flight == kN && s.delivered == kN; }, kWait));
  const auto status = Terminate();
  EXPECT_TRUE(status.exited);
  EXPECT_EQ(status.code, 0);
  EXPECT_EQ(emulator().stats().responses, static_cast<uint64_t>(kN));
  EXPECT_LE(emulator().stats().max_outstanding, static_cast<size_t>(kN));
}

TEST_F(BootstrapTest, SigtermWhileIdleExitsZero) {
  StartEmulator();
  StartBootstrap("echo", {"AWS_LAMBDA_MAX_CONCURRENCY=4"});
  ASSERT_TRUE(emulator().WaitForWaitingNext(4, kWait));
  const auto status = Terminate();
  EXPECT_TRUE(status.exited);
  EXPECT_EQ(status.code, 0);
}

TEST_F(BootstrapTest, RuntimeApiShutdownWithSigtermExitsZero) {
  // As RAPID does at shutdown: parked /next calls get 500, and the runtime gets SIGTERM.
  StartEmulator();
  EnqueueMany(R"({"ms":300})", 2);
  StartBootstrap("sleep", {"AWS_LAMBDA_MAX_CONCURRENCY=4"});
  ASSERT_TRUE(emulator().WaitFor(
      [](const emulator::Stats& s) {
        return s.in_flight == 2 && s.delivered == 2 && s.waiting_next == 2;
      },
      kWait));
  emulator().BeginShutdown();
  const auto status = Terminate();
  EXPECT_TRUE(status.exited);
  EXPECT_EQ(status.code, 0);
  EXPECT_EQ(emulator().stats().responses, 2u);
}

}  // namespace
}  // namespace lmc::integration
