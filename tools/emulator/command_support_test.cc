#include "tools/emulator/command_support.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lmc/mutex.h"

namespace lmc::emulator {
namespace {

using ::testing::ElementsAre;

// Builds a mutable argv for ArgReader from literals.
class Argv {
 public:
  explicit Argv(std::vector<std::string> args) : storage_(std::move(args)) {
    storage_.insert(storage_.begin(), "cmd");
    for (std::string& s : storage_) pointers_.push_back(s.data());
  }
  int argc() const { return static_cast<int>(pointers_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> storage_;
  std::vector<char*> pointers_;
};

TEST(ArgReader, ReadsValuesInBothSpellingsSwitchesAndValueLists) {
  Argv a({"--port", "9001", "--json", "--env=A=1", "--events", "x", "y", "--show", "3"});
  ArgReader args(a.argc(), a.argv());
  std::string port, env, show;
  std::vector<std::string> events;
  bool json = false;
  while (!args.done()) {
    if (args.Value("--port", &port) || args.Value("--env", &env) || args.Value("--show", &show) ||
        args.Values("--events", &events)) {
      continue;
    }
    if (args.Switch("--json")) {
      json = true;
      continue;
    }
    args.Fail("unknown");
  }
  EXPECT_FALSE(args.failed()) << args.error();
  EXPECT_EQ(port, "9001");
  EXPECT_EQ(env, "A=1");
  EXPECT_EQ(show, "3");
  EXPECT_TRUE(json);
  EXPECT_THAT(events, ElementsAre("x", "y"));
}

TEST(ArgReader, MissingValueIsAnError) {
  Argv a({"--port"});
  ArgReader args(a.argc(), a.argv());
  std::string port;
  EXPECT_TRUE(args.Value("--port", &port));
  EXPECT_TRUE(args.failed());
  EXPECT_TRUE(args.done());
  EXPECT_EQ(args.error(), "--port needs a value");
}

TEST(ArgReader, SimilarNamesDoNotMatch) {
  Argv a({"--portal=1"});
  ArgReader args(a.argc(), a.argv());
  std::string port;
  EXPECT_FALSE(args.Value("--port", &port));
  EXPECT_EQ(args.current(), "--portal=1");
}

TEST(ParseNumbers, WholeStringMustBeANumber) {
  uint64_t u = 0;
  EXPECT_TRUE(ParseUint("42", &u));
  EXPECT_EQ(u, 42u);
  EXPECT_FALSE(ParseUint("", &u));
  EXPECT_FALSE(ParseUint("4x", &u));
  EXPECT_FALSE(ParseUint("-1", &u));
  double d = 0;
  EXPECT_TRUE(ParseDouble("0.25", &d));
  EXPECT_EQ(d, 0.25);
  EXPECT_FALSE(ParseDouble("1.5s", &d));
}

TEST(EventFlags, ReadsTheEventFlagsAndLeavesOthersAlone) {
  Argv a({"--event", "{}", "--count", "3", "--events", "a.json", "b", "--stdin", "--tenant=t1",
          "--timeout-ms", "250", "--json"});
  ArgReader args(a.argc(), a.argv());
  EventFlags flags;
  while (!args.done() && flags.Read(args)) {
  }
  EXPECT_FALSE(args.failed()) << args.error();
  EXPECT_EQ(args.current(), "--json");
  EXPECT_EQ(flags.event, "{}");
  EXPECT_EQ(flags.count, 3u);
  EXPECT_THAT(flags.event_paths, ElementsAre("a.json", "b"));
  EXPECT_TRUE(flags.read_stdin);
  const EventSpec base = flags.Base();
  EXPECT_EQ(base.tenant_id, "t1");
  EXPECT_EQ(base.timeout, std::chrono::milliseconds(250));
}

TEST(EventFlags, RefusesACountOfZeroAndANonNumericTimeout) {
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--count", "0"}, {"--count", "many"}, {"--timeout-ms", "1s"}}) {
    Argv a(bad);
    ArgReader args(a.argc(), a.argv());
    EventFlags flags;
    EXPECT_TRUE(flags.Read(args));
    EXPECT_TRUE(args.failed()) << bad[0] << " " << bad[1];
  }
}

TEST(LoadEventFiles, FilesAndDirectoriesInOrder) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / "lmc_event_files";
  fs::remove_all(dir);
  fs::create_directories(dir / "events");
  std::ofstream(dir / "events" / "b.json") << "{\"b\":2}";
  std::ofstream(dir / "events" / "a.json") << "{\"a\":1}";
  std::ofstream(dir / "events" / "notes.txt") << "ignored";
  std::ofstream(dir / "single.bin", std::ios::binary) << std::string("\0\1", 2);
  absl::StatusOr<std::vector<std::string>> events =
      LoadEventFiles({(dir / "single.bin").string(), (dir / "events").string()});
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT(*events, ElementsAre(std::string("\0\1", 2), "{\"a\":1}", "{\"b\":2}"));
  EXPECT_FALSE(LoadEventFiles({(dir / "missing.json").string()}).ok());
  fs::create_directories(dir / "empty");
  EXPECT_FALSE(LoadEventFiles({(dir / "empty").string()}).ok());
  fs::remove_all(dir);
}

TEST(ReadAll, ReadsEverythingUntilEndOfFileInPieces) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::string sent(200 * 1024 + 7, 'x');  // more than one 64 KiB read, and more than a pipe holds
  for (size_t i = 0; i < sent.size(); i += 1000) sent[i] = '\n';
  std::thread writer([&] {
    size_t at = 0;
    while (at < sent.size()) {
      const ssize_t n = write(fds[1], sent.data() + at, sent.size() - at);
      if (n <= 0) break;
      at += static_cast<size_t>(n);
    }
    close(fds[1]);
  });
  absl::StatusOr<std::string> read = ReadAll(fds[0]);
  writer.join();
  close(fds[0]);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, sent);
  EXPECT_FALSE(ReadAll(-1).ok());
}

TEST(ReadFileToString, ReadsEveryByteAndNamesAFileItCannotOpen) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / "lmc_read_file";
  fs::create_directories(dir);
  std::string written(100 * 1024 + 3, 'y');  // more than one 64 KiB read
  written[5] = '\0';
  std::ofstream(dir / "data.bin", std::ios::binary) << written;
  absl::StatusOr<std::string> read = ReadFileToString((dir / "data.bin").string());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, written);

  absl::StatusOr<std::string> missing = ReadFileToString((dir / "absent.json").string());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(
      std::string(missing.status().message()),
      ::testing::AllOf(::testing::HasSubstr("absent.json"), ::testing::HasSubstr("No such file")));
  fs::remove_all(dir);
}

TEST(SplitEventLines, OneEventPerNonBlankLine) {
  EXPECT_THAT(SplitEventLines("{\"a\":1}\r\n\n{\"b\":2}\n{\"c\":3}"),
              ElementsAre("{\"a\":1}", "{\"b\":2}", "{\"c\":3}"));
  EXPECT_TRUE(SplitEventLines("\n\n").empty());
}

TEST(OneLine, EscapesControlCharactersAndTruncates) {
  EXPECT_EQ(OneLine("a\nb\tc", 10), "a\\nb\\tc");
  EXPECT_EQ(OneLine(std::string("\0\x7f", 2), 10), "\\x00\\x7f");
  EXPECT_EQ(OneLine("abcdef", 3), "abc...");
  EXPECT_EQ(OneLine("abc", 3), "abc");
}

TEST(SignalWatcher, DeliversSigtermToTheCallbackInsteadOfKillingTheProcess) {
  lmc::Mutex mu;
  int received = 0;
  {
    SignalWatcher watcher([&](int signal) {
      lmc::MutexLock lock(&mu);
      received = signal;
    });
    ASSERT_TRUE(watcher.status().ok()) << watcher.status();
    // The signal is blocked in this thread, so it stays pending for the watcher's signalfd.
    ASSERT_EQ(kill(getpid(), SIGTERM), 0);
    lmc::MutexLock lock(&mu);
    auto got = [&] {
      mu.AssertReaderHeld();
      return received != 0;
    };
    EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&got), absl::Seconds(10)));
    EXPECT_EQ(received, SIGTERM);
  }
  // Restore the default mask for the other tests in this binary.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace
}  // namespace lmc::emulator
