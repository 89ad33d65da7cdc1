#include "lmc/dispatch/deadline_watchdog.h"

#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lmc {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

// Captures log lines in an in-memory file.
class CapturedLog {
 public:
  CapturedLog() : fd_(::memfd_create("log", MFD_CLOEXEC)) {}
  ~CapturedLog() { ::close(fd_); }
  int fd() const { return fd_; }
  std::string Read() const {
    std::string out;
    char buf[4096];
    ssize_t n;
    off_t offset = 0;
    while ((n = ::pread(fd_, buf, sizeof(buf), offset)) > 0) {
      out.append(buf, static_cast<size_t>(n));
      offset += n;
    }
    return out;
  }

 private:
  int fd_;
};

class DeadlineWatchdogTest : public ::testing::Test {
 protected:
  CapturedLog log_;
  FakeClock clock_;
  LogSink sink_{log_.fd(), LogFormat::kJson, LogLevel::kInfo, clock_};
};

TEST_F(DeadlineWatchdogTest, OverdueInvocationIsCancelledAndReportedOnce) {
  DeadlineWatchdog watchdog(sink_, clock_);
  DeadlineWatchdog::Slot* slot = watchdog.AddSlot();
  watchdog.Start();
  internal::Cancellation cancellation;
  slot->Begin("req-late", std::string_view("tenant-1"), clock_.Now() + milliseconds(100),
              &cancellation);
  EXPECT_FALSE(cancellation.cancelled());
  clock_.Advance(milliseconds(150));
  watchdog.Poke();
  ASSERT_TRUE(cancellation.Wait(std::chrono::seconds(30)));
  EXPECT_EQ(cancellation.reason(), CancellationReason::kDeadlineExceeded);
  // Another scan must not report it again.
  clock_.Advance(milliseconds(1000));
  watchdog.Poke();
  slot->End();
  const std::string log = log_.Read();
  EXPECT_THAT(log,
              HasSubstr("\"level\":\"WARN\",\"requestId\":\"req-late\",\"tenantId\":\"tenant-1\""));
  EXPECT_THAT(log, HasSubstr("50 ms after its deadline"));
  EXPECT_EQ(watchdog.overdue_reported(), 1u);
}

TEST_F(DeadlineWatchdogTest, InvocationThatEndsInTimeIsNeverCancelled) {
  DeadlineWatchdog watchdog(sink_, clock_);
  DeadlineWatchdog::Slot* finished = watchdog.AddSlot();
  DeadlineWatchdog::Slot* probe = watchdog.AddSlot();
  watchdog.Start();
  internal::Cancellation finished_cancel, probe_cancel;
  finished->Begin("req-ok", std::nullopt, clock_.Now() + milliseconds(100), &finished_cancel);
  finished->End();
  // The probe goes overdue at the same moment; once it is cancelled, a scan has covered both.
  probe->Begin("req-probe", std::nullopt, clock_.Now() + milliseconds(100), &probe_cancel);
  clock_.Advance(milliseconds(500));
  watchdog.Poke();
  ASSERT_TRUE(probe_cancel.Wait(std::chrono::seconds(30)));
  EXPECT_FALSE(finished_cancel.cancelled());
  EXPECT_EQ(watchdog.overdue_reported(), 1u);
  probe->End();
}

TEST_F(DeadlineWatchdogTest, OnlyTheOverdueSlotIsCancelled) {
  DeadlineWatchdog watchdog(sink_, clock_);
  DeadlineWatchdog::Slot* fast = watchdog.AddSlot();
  DeadlineWatchdog::Slot* slow = watchdog.AddSlot();
  watchdog.Start();
  internal::Cancellation fast_cancel, slow_cancel;
  slow->Begin("req-slow", std::nullopt, clock_.Now() + milliseconds(10'000), &slow_cancel);
  fast->Begin("req-fast", std::nullopt, clock_.Now() + milliseconds(50), &fast_cancel);
  clock_.Advance(milliseconds(60));
  watchdog.Poke();
  ASSERT_TRUE(fast_cancel.Wait(std::chrono::seconds(30)));
  EXPECT_FALSE(slow_cancel.cancelled());
  EXPECT_EQ(watchdog.overdue_reported(), 1u);
  fast->End();
  slow->End();
}

TEST_F(DeadlineWatchdogTest, RealClockDeadlineFiresWithoutPokes) {
  LogSink sink(log_.fd(), LogFormat::kJson, LogLevel::kInfo);
  DeadlineWatchdog watchdog(sink, Clock::Real());
  DeadlineWatchdog::Slot* slot = watchdog.AddSlot();
  watchdog.Start();
  internal::Cancellation cancellation;
  slot->Begin("req-real", std::nullopt, Clock::Real().Now() + milliseconds(20), &cancellation);
  EXPECT_TRUE(cancellation.Wait(std::chrono::seconds(30)));
  slot->End();
}

TEST_F(DeadlineWatchdogTest, CancelAllCancelsActiveInvocationsForShutdown) {
  DeadlineWatchdog watchdog(sink_, clock_);
  DeadlineWatchdog::Slot* active = watchdog.AddSlot();
  DeadlineWatchdog::Slot* idle = watchdog.AddSlot();
  watchdog.Start();
  internal::Cancellation active_cancel, idle_cancel;
  active->Begin("req-a", std::nullopt, clock_.Now() + milliseconds(10'000), &active_cancel);
  idle->Begin("req-b", std::nullopt, clock_.Now() + milliseconds(10'000), &idle_cancel);
  idle->End();
  watchdog.CancelAll(CancellationReason::kShuttingDown);
  EXPECT_EQ(active_cancel.reason(), CancellationReason::kShuttingDown);
  EXPECT_FALSE(idle_cancel.cancelled());
  active->End();
}

// Records the watchdog's callbacks; tests wait for them without sleeping.
struct Calls {
  Mutex mu;
  std::vector<uint64_t> detached ABSL_GUARDED_BY(mu);
  std::vector<std::string> stuck ABSL_GUARDED_BY(mu);

  OverduePolicy Policy(int max_detached, int capacity) {
    return OverduePolicy{.detach_grace = milliseconds(100),
                         .max_detached = max_detached,
                         .capacity = capacity,
                         .stuck_grace = milliseconds(1000),
                         .on_detached =
                             [this](uint64_t id) {
                               MutexLock lock(&mu);
                               detached.push_back(id);
                             },
                         .on_stuck =
                             [this](const std::string& why) {
                               MutexLock lock(&mu);
                               stuck.push_back(why);
                             }};
  }
  bool AwaitDetached(size_t n) {
    MutexLock lock(&mu);
    return mu.AwaitWithTimeout([&]()
                                   ABSL_NO_THREAD_SAFETY_ANALYSIS { return detached.size() >= n; },
                               std::chrono::seconds(30));
  }
  bool AwaitStuck() {
    MutexLock lock(&mu);
    return mu.AwaitWithTimeout([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return !stuck.empty(); },
                               std::chrono::seconds(30));
  }
};

TEST_F(DeadlineWatchdogTest, InvocationPastDeadlinePlusGraceIsDetachedOnce) {
  Calls calls;
  DeadlineWatchdog watchdog(sink_, clock_, calls.Policy(/*max_detached=*/4, /*capacity=*/2));
  DeadlineWatchdog::Slot* hung = watchdog.AddSlot();
  DeadlineWatchdog::Slot* busy = watchdog.AddSlot();
  watchdog.Start();
  internal::Cancellation hung_cancel, busy_cancel;
  hung->Begin("req-hung", std::nullopt, clock_.Now() + milliseconds(100), &hung_cancel);
  busy->Begin("req-busy", std::nullopt, clock_.Now() + milliseconds(10'000), &busy_cancel);
  // Past the deadline but within the grace: cancelled, not detached.
  clock_.Advance(milliseconds(150));
  watchdog.Poke();
  ASSERT_TRUE(hung_cancel.Wait(std::chrono::seconds(30)));
  clock_.Advance(milliseconds(100));
  watchdog.Poke();
  ASSERT_TRUE(calls.AwaitDetached(1));
  watchdog.Poke();
  EXPECT_EQ(watchdog.detached_now(), 1);
  EXPECT_TRUE(hung->End());
  EXPECT_FALSE(busy->End());
  const uint64_t hung_id = hung->id();
  watchdog.RemoveSlot(hung);
  EXPECT_EQ(watchdog.detached_now(), 0);
  MutexLock lock(&calls.mu);
  EXPECT_EQ(calls.detached, std::vector<uint64_t>{hung_id});
  EXPECT_TRUE(calls.stuck.empty());
  EXPECT_THAT(log_.Read(), HasSubstr("a new loop polls in its place"));
}

TEST_F(DeadlineWatchdogTest, StuckOnceEveryLoopIsOverdueAndNoneCanBeDetached) {
  Calls calls;
  DeadlineWatchdog watchdog(sink_, clock_, calls.Policy(/*max_detached=*/1, /*capacity=*/1));
  DeadlineWatchdog::Slot* first = watchdog.AddSlot();
  watchdog.Start();
  internal::Cancellation first_cancel, second_cancel;
  first->Begin("req-1", std::nullopt, clock_.Now() + milliseconds(100), &first_cancel);
  clock_.Advance(milliseconds(300));
  watchdog.Poke();
  ASSERT_TRUE(calls.AwaitDetached(1));
  // The replacement's invocation hangs too; the one detached invocation is still running.
  DeadlineWatchdog::Slot* second = watchdog.AddSlot();
  second->Begin("req-2", std::nullopt, clock_.Now() + milliseconds(100), &second_cancel);
  clock_.Advance(milliseconds(300));
  watchdog.Poke();
  ASSERT_TRUE(second_cancel.Wait(std::chrono::seconds(30)));
  // Not before the stuck grace has passed.
  clock_.Advance(milliseconds(1000));
  watchdog.Poke();
  ASSERT_TRUE(calls.AwaitStuck());
  {
    MutexLock lock(&calls.mu);
    EXPECT_EQ(calls.detached.size(), 1u);
    EXPECT_EQ(calls.stuck.size(), 1u);
    EXPECT_THAT(calls.stuck[0], HasSubstr("cannot serve"));
  }
  // At shutdown the bound no longer applies.
  watchdog.DetachWithoutLimit();
  ASSERT_TRUE(calls.AwaitDetached(2));
  EXPECT_TRUE(first->End());
  EXPECT_TRUE(second->End());
}

TEST(Cancellation, FirstReasonSticksAndResetClears) {
  internal::Cancellation c;
  EXPECT_FALSE(c.Wait(milliseconds(1)));
  c.Cancel(CancellationReason::kShuttingDown);
  c.Cancel(CancellationReason::kDeadlineExceeded);
  EXPECT_EQ(c.reason(), CancellationReason::kShuttingDown);
  EXPECT_TRUE(c.Wait(milliseconds(1)));
  c.Reset();
  EXPECT_FALSE(c.cancelled());
}

}  // namespace
}  // namespace lmc
