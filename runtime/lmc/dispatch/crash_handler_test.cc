#include "lmc/dispatch/crash_handler.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"

namespace lmc {
namespace {

using ::testing::HasSubstr;

// Deliberately not inlined so it shows up as its own frame in the report.
[[gnu::noinline]] void CrashInsideAnInvocation(int signal_number) {
  const ScopedCrashContext context("req-that-crashed");
  ::raise(signal_number);
}

struct ChildResult {
  std::string output;
  int status = 0;
};

// Runs `body` in a child process whose descriptor `captured_fd` (stdout by default) is captured.
template <typename Body>
ChildResult RunInChild(Body body, int captured_fd = STDOUT_FILENO) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], captured_fd);
    ::close(fds[0]);
    body();
    ::_exit(0);
  }
  ::close(fds[1]);
  ChildResult result;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) {
    result.output.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  ::waitpid(pid, &result.status, 0);
  return result;
}

TEST(CrashHandler, SegfaultWritesOneJsonLineThenDiesBySignal) {
  ChildResult child = RunInChild([] {
    InstallCrashHandler(STDOUT_FILENO, LogFormat::kJson);
    CrashInsideAnInvocation(SIGSEGV);
  });
  ASSERT_TRUE(WIFSIGNALED(child.status)) << child.status;
  EXPECT_EQ(WTERMSIG(child.status), SIGSEGV);
  ASSERT_FALSE(child.output.empty());
  EXPECT_EQ(child.output.find('\n'), child.output.size() - 1) << "exactly one line";
  simdjson::dom::parser parser;
  simdjson::dom::element line;
  ASSERT_EQ(parser.parse(child.output).get(line), simdjson::SUCCESS) << child.output;
  EXPECT_EQ(std::string_view(line["level"]), "FATAL");
  EXPECT_EQ(std::string_view(line["signal"]), "SIGSEGV");
  EXPECT_EQ(std::string_view(line["requestId"]), "req-that-crashed");
  EXPECT_EQ(std::string_view(line["timestamp"]).size(), 24u);
  EXPECT_THAT(child.output, HasSubstr("CrashInsideAnInvocation"));
}

TEST(CrashHandler, AbortOutsideAnInvocationHasNoRequestId) {
  ChildResult child = RunInChild([] {
    InstallCrashHandler(STDOUT_FILENO, LogFormat::kJson);
    std::abort();
  });
  ASSERT_TRUE(WIFSIGNALED(child.status));
  EXPECT_EQ(WTERMSIG(child.status), SIGABRT);
  EXPECT_THAT(child.output, HasSubstr("\"signal\":\"SIGABRT\""));
  EXPECT_THAT(child.output, ::testing::Not(HasSubstr("requestId")));
}

TEST(CrashHandler, TextFormatIsOneTabSeparatedLine) {
  ChildResult child = RunInChild([] {
    InstallCrashHandler(STDOUT_FILENO, LogFormat::kText);
    CrashInsideAnInvocation(SIGBUS);
  });
  ASSERT_TRUE(WIFSIGNALED(child.status));
  EXPECT_EQ(WTERMSIG(child.status), SIGBUS);
  EXPECT_THAT(child.output, ::testing::MatchesRegex(
                                "[0-9T:.Z-]+\treq-that-crashed\tFATAL\tcrash: SIGBUS at .*\n"));
}

TEST(CrashHandler, ReportGoesToTheConfiguredLogFd) {
  constexpr int kLogFd = 9;
  ChildResult child = RunInChild(
      [] {
        InstallCrashHandler(kLogFd, LogFormat::kJson);
        CrashInsideAnInvocation(SIGFPE);
      },
      kLogFd);
  ASSERT_TRUE(WIFSIGNALED(child.status));
  EXPECT_THAT(child.output, HasSubstr("\"signal\":\"SIGFPE\""));
  EXPECT_THAT(child.output, HasSubstr("{\"timestamp\":\""));
}

TEST(CrashHandler, StackOverflowOnAPreparedThreadIsReported) {
  ChildResult child = RunInChild([] {
    InstallCrashHandler(STDOUT_FILENO, LogFormat::kJson);
    std::thread([] {
      PrepareThreadForCrashReports();
      // Recursion deep enough to overflow any stack; the bound is read through a volatile so
      // the compiler can neither see the overflow nor turn the recursion into a loop.
      struct Recurse {
        static int Go(int depth, const volatile int* limit) {
          volatile char pad[4096];
          pad[0] = static_cast<char>(depth);
          if (depth < *limit) return Go(depth + 1, limit) + pad[0];
          return pad[0];
        }
      };
      static const volatile int kLimit = 1 << 30;
      Recurse::Go(0, &kLimit);
    }).join();
  });
  ASSERT_TRUE(WIFSIGNALED(child.status));
  EXPECT_EQ(WTERMSIG(child.status), SIGSEGV);
  EXPECT_THAT(child.output, HasSubstr("\"signal\":\"SIGSEGV\""));
}

}  // namespace
}  // namespace lmc
