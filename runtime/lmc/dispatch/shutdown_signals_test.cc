#include "lmc/dispatch/shutdown_signals.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lmc {
namespace {

TEST(ShutdownSignals, FirstSigtermIsDeliveredToWait) {
  auto signals = ShutdownSignals::Install(STDOUT_FILENO, LogFormat::kJson);
  ASSERT_TRUE(signals.ok()) << signals.status();
  ASSERT_EQ(::raise(SIGTERM), 0);
  EXPECT_EQ((*signals)->Wait(), SIGTERM);
}

TEST(ShutdownSignals, WakeReturnsZero) {
  auto signals = ShutdownSignals::Install(STDOUT_FILENO, LogFormat::kJson);
  ASSERT_TRUE(signals.ok());
  std::thread waker([&] { (*signals)->Wake(); });
  EXPECT_EQ((*signals)->Wait(), 0);
  waker.join();
}

TEST(ShutdownSignals, OnlyOneInstanceAtATime) {
  auto first = ShutdownSignals::Install(STDOUT_FILENO, LogFormat::kJson);
  ASSERT_TRUE(first.ok());
  auto second = ShutdownSignals::Install(STDOUT_FILENO, LogFormat::kJson);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  first->reset();
  EXPECT_TRUE(ShutdownSignals::Install(STDOUT_FILENO, LogFormat::kJson).ok());
}

// The second signal must end the process at once with 128 + signal, so it runs in a child.
TEST(ShutdownSignals, SecondSignalExitsAtOnce) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto signals = ShutdownSignals::Install(STDOUT_FILENO, LogFormat::kJson);
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

TEST(ShutdownSignals, SecondSignalLineIsTimestampedOnTheLogFd) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto signals = ShutdownSignals::Install(fds[1], LogFormat::kText);
    if (!signals.ok()) ::_exit(1);
    ::raise(SIGTERM);
    ::raise(SIGTERM);
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string output;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) output.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  EXPECT_THAT(output,
              ::testing::MatchesRegex("[0-9]{4}-[0-9T:.-]+Z\t-\tFATAL\tsecond termination signal: "
                                      "exiting at once\n"));
}

}  // namespace
}  // namespace lmc
