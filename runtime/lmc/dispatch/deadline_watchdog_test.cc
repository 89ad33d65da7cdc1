#include "lmc/dispatch/deadline_watchdog.h"

#include <sys/mman.h>
#include <unistd.h>

#include <string>

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
  Cancellation cancellation;
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
  Cancellation finished_cancel, probe_cancel;
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
  Cancellation fast_cancel, slow_cancel;
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
  Cancellation cancellation;
  slot->Begin("req-real", std::nullopt, Clock::Real().Now() + milliseconds(20), &cancellation);
  EXPECT_TRUE(cancellation.Wait(std::chrono::seconds(30)));
  slot->End();
}

TEST_F(DeadlineWatchdogTest, CancelAllCancelsActiveInvocationsForShutdown) {
  DeadlineWatchdog watchdog(sink_, clock_);
  DeadlineWatchdog::Slot* active = watchdog.AddSlot();
  DeadlineWatchdog::Slot* idle = watchdog.AddSlot();
  watchdog.Start();
  Cancellation active_cancel, idle_cancel;
  active->Begin("req-a", std::nullopt, clock_.Now() + milliseconds(10'000), &active_cancel);
  idle->Begin("req-b", std::nullopt, clock_.Now() + milliseconds(10'000), &idle_cancel);
  idle->End();
  watchdog.CancelAll(CancellationReason::kShuttingDown);
  EXPECT_EQ(active_cancel.reason(), CancellationReason::kShuttingDown);
  EXPECT_FALSE(idle_cancel.cancelled());
  active->End();
}

TEST(Cancellation, FirstReasonSticksAndResetClears) {
  Cancellation c;
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
