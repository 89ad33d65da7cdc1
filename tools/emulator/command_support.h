// File: tools/emulator/command_support.h
//
// Pieces shared by the two commands built on the emulator, `lmc-emulator` and `lmc-invoke`:
// their flag syntax, reading events from files, directories and lines, turning SIGINT/SIGTERM
// into a callback so a command can stop waiting and still print its summary, and one-line
// rendering of payloads for terminal output.
//
// Example:
//
//   ArgReader args(argc, argv);
//   std::vector<std::string> event_paths;
//   while (!args.done()) {
//     std::string value;
//     if (args.Values("--events", &event_paths)) continue;
//     if (args.Value("--port", &value)) { port = ...; continue; }
//     args.Fail("unknown argument " + std::string(args.current()));
//   }
//   if (args.failed()) return Usage(args.error());
//   absl::StatusOr<std::vector<std::string>> events = LoadEventFiles(event_paths);
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lmc/mutex.h"
#include "tools/emulator/emulator.h"

namespace lmc::emulator {

// ArgReader
//
// Walks argv (without argv[0]) for flags written `--name value`, `--name=value` or, for
// switches, `--name`. Each accessor looks at the argument under the cursor and consumes it when
// the name matches. Not thread-safe; borrows argv.
class ArgReader {
 public:
  ArgReader(int argc, char** argv);

  // True when every argument was consumed or an error was recorded.
  bool done() const { return failed() || index_ >= args_.size(); }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  std::string_view current() const;

  // Consumes `--name VALUE` / `--name=VALUE`. True when the name matched (a missing value is
  // then recorded as an error).
  bool Value(std::string_view name, std::string* value);
  // Consumes `--name V1 [V2 ...]`: the values run to the next argument starting with "--".
  // Appends to `values`. A flag given with no value is an error.
  bool Values(std::string_view name, std::vector<std::string>* values);
  // Consumes `--name`.
  bool Switch(std::string_view name);
  // Records an error; done() becomes true.
  void Fail(std::string message);

 private:
  std::vector<std::string_view> args_;
  size_t index_ = 0;
  std::string error_;
};

// HelpRequested()
//
// Whether any argument is --help or -h.
bool HelpRequested(int argc, char** argv);

// BadUsage()
//
// Prints "<name>: <error>", a blank line and `usage` on stderr; returns 2, the bad-usage status.
int BadUsage(const char* name, const std::string& error, const char* usage);

// CommandMain()
//
// What every command's main() does: --help or -h prints `usage` on stdout (status 0); flags that
// `parse(argc, argv, config)` refuses (it returns the error) are BadUsage() (status 2); otherwise
// the status of `run(std::move(config))`.
//
//   int main(int argc, char** argv) {
//     return CommandMain<Config>(argc, argv, "lmc-emulator", kUsage, ParseArgs, Run);
//   }
template <typename Config, typename Parse, typename Run>
int CommandMain(int argc, char** argv, const char* name, const char* usage, Parse&& parse,
                Run&& run) {
  if (HelpRequested(argc, argv)) {
    std::fputs(usage, stdout);
    return 0;
  }
  Config config;
  if (std::optional<std::string> error = parse(argc, argv, config)) {
    return BadUsage(name, *error, usage);
  }
  return run(std::move(config));
}

// Strict number parsing for flag values: the whole string must be the number.
bool ParseUint(std::string_view text, uint64_t* out);
bool ParseDouble(std::string_view text, double* out);

// EventFlags
//
// The flags both commands take to say which events to serve and how: `--event JSON`,
// `--count K` (positive), `--events FILE_OR_DIR ...`, `--stdin`, `--tenant ID`,
// `--timeout-ms MS`. Which combinations are allowed is each command's rule.
struct EventFlags {
  std::optional<std::string> event;
  std::optional<uint64_t> count;
  std::vector<std::string> event_paths;
  bool read_stdin = false;
  std::optional<std::string> tenant;
  uint64_t timeout_ms = 30000;

  // Consumes one of the flags above at the reader's cursor; true when it did (a bad value is
  // then recorded in `args`).
  bool Read(ArgReader& args);
  // The EventSpec every served event starts from: tenant header and timeout.
  EventSpec Base() const;
};

// ReadFileToString()
//
// The bytes of a file (binary-safe), read like ReadAll(). NotFound when it cannot be opened
// (the message names the file and why), DataLoss when a read fails.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// ReadAll()
//
// Everything readable from `fd` until end of file (binary-safe), read with read(2) in 64 KiB
// pieces: std::cin, synchronised with stdio, hands out one character per call, which took
// lmc-invoke --stdin about 10 s for 120 MB of events. Does not close `fd`.
absl::StatusOr<std::string> ReadAll(int fd);

// LoadEventFiles()
//
// Events from paths, in order: a regular file is one event (its raw bytes); a directory gives
// every regular `*.json` file directly inside it, in byte-wise name order. Fails on a missing or
// unreadable path, or a directory without any `*.json` file.
absl::StatusOr<std::vector<std::string>> LoadEventFiles(const std::vector<std::string>& paths);

// SplitEventLines()
//
// One event per line of `text`; a trailing CR is removed and blank lines are skipped.
std::vector<std::string> SplitEventLines(std::string_view text);

// OneLine()
//
// `bytes` rendered for one terminal line: control characters escaped (\n, \t, \xHH), cut to
// `max_chars` characters with "..." appended when longer.
std::string OneLine(std::string_view bytes, size_t max_chars);

// NotifyTarget
//
// A nullable reference to an Emulator through which another thread (a signal callback, a child
// watcher) calls Emulator::NotifyWaiters(), for exactly as long as the emulator exists: Set()
// waits out a Notify() in progress, so after Set(nullptr) the emulator may be destroyed.
// Thread-safe; does not own the emulator.
class NotifyTarget {
 public:
  void Set(Emulator* emulator);
  void Notify();

 private:
  lmc::Mutex mu_;
  Emulator* emulator_ ABSL_GUARDED_BY(mu_) = nullptr;
};

// SignalWatcher (see Interruption, which most commands want instead)
//
// Delivers SIGINT and SIGTERM to `on_signal`, called on the watcher's own thread, instead of
// killing the process. Construct it in main() before starting any other thread: it blocks the
// two signals in the calling thread, and threads started later inherit that mask (children
// spawned with Subprocess get a clean mask). The destructor stops and joins the thread; the
// signals stay blocked. Not copyable.
class SignalWatcher {
 public:
  explicit SignalWatcher(std::function<void(int signal)> on_signal);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // Whether the watcher could be set up (signalfd, eventfd).
  const absl::Status& status() const { return status_; }

 private:
  void Loop();

  std::function<void(int)> on_signal_;
  int signal_fd_ = -1;
  int stop_fd_ = -1;
  absl::Status status_;
  std::thread thread_;
};

// Interruption
//
// SIGINT/SIGTERM as a flag that also wakes an emulator's waiters, so a command blocked in
// Emulator::WaitFor() (whose predicate reads interrupted()) stops waiting and can still print its
// summary. Construct it first, before any other thread starts (see SignalWatcher). Thread-safe;
// not copyable.
//
//   Interruption interruption;
//   Emulator emulator(options);
//   Interruption::Watch watch(interruption, emulator);  // destroyed before the emulator
//   emulator.WaitFor([&](const Stats&) { return interruption.interrupted() || ...; }, timeout);
class Interruption {
 public:
  Interruption();
  Interruption(const Interruption&) = delete;
  Interruption& operator=(const Interruption&) = delete;

  bool interrupted() const { return interrupted_.load(); }

  // Wakes `emulator`'s waiters on a signal for as long as it lives; declare it after the
  // emulator, so it is destroyed first.
  class Watch {
   public:
    Watch(Interruption& interruption, Emulator& emulator);
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

   private:
    Interruption& interruption_;
  };

 private:
  std::atomic<bool> interrupted_{false};
  NotifyTarget target_;
  SignalWatcher watcher_;  // last: its thread reads the members above
};

}  // namespace lmc::emulator
