#include "lmc/dispatch/shutdown_signals.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "gtest/gtest.h"

namespace lmc {
namespace {

TEST(ShutdownSignals, FirstSigtermIsDeliveredToWait) {
  auto signals = ShutdownSignals::Install(LogFormat::kJson);
  ASSERT_TRUE(signals.ok()) << signals.status();
  ASSERT_EQ(::raise(SIGTERM), 0);
  EXPECT_EQ((*signals)->Wait(), SIGTERM);
}

TEST(ShutdownSignals, WakeReturnsZero) {
  auto signals = ShutdownSignals::Install(LogFormat::kJson);
  ASSERT_TRUE(signals.ok());
  std::thread waker([&] { (*signals)->Wake(); });
  EXPECT_EQ((*signals)->Wait(), 0);
  waker.join();
}

TEST(ShutdownSignals, OnlyOneInstanceAtATime) {
  auto first = ShutdownSignals::Install(LogFormat::kJson);
  ASSERT_TRUE(first.ok());
  auto second = ShutdownSignals::Install(LogFormat::kJson);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  first->reset();
  EXPECT_TRUE(ShutdownSignals::Install(LogFormat::kJson).ok());
}

// The second signal must end the process at once with 128 + signal, so it runs in a child.
TEST(ShutdownSignals, SecondSignalExitsAtOnce) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto signals = ShutdownSignals::Install(LogFormat::kJson);
    if (!signals.ok()) ::_exit(1);
    ::raise(SIGINT);
    ::raise(SIGTERM);
    ::_exit(0);  // Not reached when the second signal works.
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
}

}  // namespace
}  // namespace lmc
