#include "tools/emulator/subprocess.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lmc::emulator {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(10);

std::unique_ptr<Subprocess> Spawn(std::vector<std::string> argv, std::vector<std::string> env = {},
                                  bool inherit_env = false) {
  Subprocess::Options options;
  options.argv = std::move(argv);
  options.env = std::move(env);
  options.inherit_env = inherit_env;
  absl::StatusOr<std::unique_ptr<Subprocess>> p = Subprocess::Start(std::move(options));
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : nullptr;
}

std::unique_ptr<Subprocess> Shell(const std::string& script) {
  return Spawn({"/bin/sh", "-c", script});
}

TEST(Subprocess, ExitCodeIsReported) {
  auto p = Shell("exit 7");
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->WaitForExit(kWait));
  const Subprocess::ExitStatus s = p->exit_status();
  EXPECT_TRUE(s.exited);
  EXPECT_EQ(s.code, 7);
  EXPECT_EQ(s.signal, 0);
}

TEST(Subprocess, SignalEndsTheChildAndIsReported) {
  auto p = Shell("exec sleep 30");
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->WaitForExit(absl::Milliseconds(50)));  // still running
  ASSERT_TRUE(p->Signal(SIGTERM).ok());
  ASSERT_TRUE(p->WaitForExit(kWait));
  const Subprocess::ExitStatus s = p->exit_status();
  EXPECT_FALSE(s.exited);
  EXPECT_EQ(s.signal, SIGTERM);
  EXPECT_EQ(p->Signal(SIGTERM).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Subprocess, SignalsBlockedInTheParentAreUnblockedInTheChild) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigset_t old;
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &term, &old), 0);
  auto p = Shell("exec sleep 30");
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->Signal(SIGTERM).ok());
  ASSERT_TRUE(p->WaitForExit(kWait));
  EXPECT_EQ(p->exit_status().signal, SIGTERM);
}

TEST(Subprocess, StdoutAndStderrAreCapturedSeparately) {
  auto p = Shell("echo out; echo err >&2; printf 'no newline'");
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->WaitForExit(kWait));
  EXPECT_EQ(p->stdout_text(), "out\nno newline");
  EXPECT_EQ(p->stderr_text(), "err\n");
}

TEST(Subprocess, StdinIsEmpty) {
  auto p = Spawn({"cat"});  // bare name: found through PATH
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->WaitForExit(kWait));
  EXPECT_EQ(p->exit_status().code, 0);
  EXPECT_EQ(p->stdout_text(), "");
}

TEST(Subprocess, HugeOutputIsCapturedCompletely) {
  auto p = Shell("head -c 20000000 /dev/zero");
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->WaitForExit(kWait));
  EXPECT_EQ(p->stdout_text().size(), 20000000u);
  EXPECT_EQ(p->stdout_dropped_bytes(), 0u);
}

TEST(Subprocess, OutputBeyondTheCapKeepsTheHeadAndCountsTheRest) {
  Subprocess::Options options;
  options.argv = {"/bin/sh", "-c", "echo first; head -c 3000000 /dev/zero; echo err >&2"};
  options.max_capture_bytes = 1000;
  auto started = Subprocess::Start(std::move(options));
  ASSERT_TRUE(started.ok()) << started.status();
  Subprocess& p = **started;
  ASSERT_TRUE(p.WaitForExit(kWait));
  const std::string out = p.stdout_text();
  EXPECT_EQ(out.size(), 1000u);
  EXPECT_EQ(out.substr(0, 6), "first\n");
  EXPECT_EQ(p.stdout_dropped_bytes(), 6u + 3000000u - 1000u);
  EXPECT_EQ(p.stderr_text(), "err\n");  // each stream has its own cap
}

TEST(Subprocess, ExecFailureIsReportedByStart) {
  Subprocess::Options options;
  options.argv = {"/nonexistent/lmc-no-such-program"};
  const auto missing = Subprocess::Start(options);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("lmc-no-such-program"));

  options.argv = {"lmc-no-such-program-on-path"};
  EXPECT_FALSE(Subprocess::Start(options).ok());

  options.argv = {"/dev/null"};  // exists, not executable
  EXPECT_EQ(Subprocess::Start(options).status().code(), absl::StatusCode::kPermissionDenied);

  options.argv = {};
  EXPECT_EQ(Subprocess::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Subprocess, DestructorKillsAndReapsARunningChild) {
  auto p = Shell("exec sleep 30");
  ASSERT_NE(p, nullptr);
  const pid_t pid = p->pid();
  ASSERT_EQ(kill(pid, 0), 0);  // alive
  p.reset();
  // Reaped, not a zombie: the pid no longer exists at all.
  EXPECT_EQ(kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(Subprocess, EnvironmentIsExactlyWhatWasGiven) {
  auto p = Spawn({"/usr/bin/env"}, {"A=1", "B=two words"});
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->WaitForExit(kWait));
  EXPECT_EQ(p->stdout_text(), "A=1\nB=two words\n");
}

TEST(Subprocess, InheritedEnvironmentCanBeOverridden) {
  ASSERT_NE(std::getenv("PATH"), nullptr);
  auto p = Spawn({"/bin/sh", "-c", "echo \"$PATH|$HOME|$LMC_EXTRA\""},
                 {"HOME=/override", "LMC_EXTRA=x"}, /*inherit_env=*/true);
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->WaitForExit(kWait));
  EXPECT_EQ(p->stdout_text(), std::string(std::getenv("PATH")) + "|/override|x\n");
}

TEST(Subprocess, WaitForOutputSeesTextWhileTheChildRuns) {
  auto p = Shell("echo starting; echo ready >&2; exec sleep 30");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->WaitForOutput("ready", kWait));
  EXPECT_TRUE(p->WaitForOutput("starting", kWait));
  EXPECT_FALSE(p->WaitForExit(absl::ZeroDuration()));
}

TEST(Subprocess, WaitForOutputFindsANeedleSplitAcrossReads) {
  auto p = Shell("printf 'abc'; sleep 0.05; printf 'def'; exec sleep 30");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->WaitForOutput("cde", kWait));
}

TEST(Subprocess, WaitForOutputGivesUpWhenTheChildEndsWithoutIt) {
  auto p = Shell("echo something else");
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->WaitForOutput("never printed", kWait));
  EXPECT_TRUE(p->WaitForExit(absl::ZeroDuration()));  // it returned because the child finished
}

TEST(Subprocess, SyncOutputCapturesWhatTheChildWroteBeforeItsNextAction) {
  // The child writes its lines, then tells us through a FIFO (its "next action"): once we have
  // read that, the lines are in the pipes, and SyncOutput() must bring them into the captures.
  const std::string fifo = ::testing::TempDir() + "/subprocess_sync_fifo";
  unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0) << errno;
  auto p = Shell("echo out-line; echo err-line >&2; echo done > '" + fifo + "'; exec sleep 30");
  ASSERT_NE(p, nullptr);
  std::ifstream signal(fifo);  // opens once the child opens its end
  std::string word;
  ASSERT_TRUE(signal >> word);
  EXPECT_EQ(word, "done");
  EXPECT_TRUE(p->SyncOutput(kWait));
  EXPECT_EQ(p->stdout_text(), "out-line\n");
  EXPECT_EQ(p->stderr_text(), "err-line\n");
  unlink(fifo.c_str());
}

TEST(Subprocess, OutputCanGoToAFile) {
  const std::string path = ::testing::TempDir() + "/lmc_subprocess_output.txt";
  unlink(path.c_str());
  Subprocess::Options options;
  options.argv = {"/bin/sh", "-c", "echo hi; echo there >&2"};
  options.output_path = path;
  auto p = Subprocess::Start(std::move(options));
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE((*p)->WaitForExit(kWait));
  EXPECT_EQ((*p)->stdout_text(), "");
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  EXPECT_EQ(contents.str(), "hi\nthere\n");
  unlink(path.c_str());
}

TEST(Subprocess, StdinCanComeFromAFileAndStderrCanMergeIntoStdout) {
  const std::string path = ::testing::TempDir() + "/lmc_subprocess_stdin.txt";
  std::ofstream(path) << "line one\nline two\n";
  Subprocess::Options options;
  options.argv = {"/bin/sh", "-c", "read first; echo \"got $first\"; echo oops >&2; cat"};
  options.stdin_path = path;
  options.merge_stderr = true;
  auto p = Subprocess::Start(std::move(options));
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE((*p)->WaitForExit(kWait));
  EXPECT_EQ((*p)->stdout_text(), "got line one\noops\nline two\n");
  EXPECT_EQ((*p)->stderr_text(), "");
  unlink(path.c_str());

  Subprocess::Options missing;
  missing.argv = {"/bin/true"};
  missing.stdin_path = "/nonexistent/stdin";
  EXPECT_FALSE(Subprocess::Start(std::move(missing)).ok());
}

TEST(Subprocess, GrandchildHoldingThePipesDoesNotBlockExitOrDestruction) {
  // The shell exits at once; its background child keeps stdout open for a while.
  auto p = Shell("sleep 5 & echo started");
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->WaitForExit(kWait));
  EXPECT_EQ(p->exit_status().code, 0);
  EXPECT_EQ(p->stdout_text(), "started\n");
  p.reset();  // must return although the pipe is still open
}

}  // namespace
}  // namespace lmc::emulator
