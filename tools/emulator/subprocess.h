// File: tools/emulator/subprocess.h
//
// Spawns and supervises one child process: used by `lmc-invoke` and by the integration tests
// that run the real `bootstrap` against the emulator. The child is started with posix_spawn
// (an exec failure is reported by Start(), never as a hang), with exactly the environment it is
// given, stdin from /dev/null, a clean signal mask and default signal dispositions. Its stdout
// and stderr are captured into bounded buffers (or sent to a file, or inherited). A waiter
// thread reaps it, so waiting for exit or for a line of output is a condition wait, and the
// destructor never leaves a zombie, a running child or an open descriptor behind.
//
// Example:
//
//   Subprocess::Options options;
//   options.argv = {"build/bootstrap"};
//   options.env = {"AWS_LAMBDA_RUNTIME_API=" + emulator.address(), "_HANDLER=echo"};
//   absl::StatusOr<std::unique_ptr<Subprocess>> child = Subprocess::Start(std::move(options));
//   if (!child.ok()) return child.status();
//   (*child)->WaitForOutput("ready", absl::Seconds(5));
//   (*child)->Signal(SIGTERM);
//   if ((*child)->WaitForExit(absl::Seconds(5))) {
//     Subprocess::ExitStatus status = (*child)->exit_status();   // .exited, .code, .signal
//   }
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lmc/mutex.h"

namespace lmc::emulator {

// Subprocess
//
// One running (or finished) child. All methods are thread-safe. Not copyable or movable; owned
// through the unique_ptr that Start() returns.
class Subprocess {
 public:
  struct Options {
    // argv[0] is the program: a path, or a bare name looked up in this process's PATH.
    std::vector<std::string> argv;
    // "KEY=VALUE" entries. The child gets exactly these unless `inherit_env`, in which case it
    // gets this process's environment with these entries added or replacing same-named ones.
    std::vector<std::string> env;
    bool inherit_env = false;
    // true: stdout and stderr are captured (see stdout_text()); false: the child shares ours.
    bool capture_output = true;
    // Non-empty: stdout and stderr are appended to this file instead (capture_output ignored).
    std::string output_path;
    // true (with capture_output): stderr goes into the stdout capture, so the two interleave
    // as the child wrote them; stderr_text() stays empty.
    bool merge_stderr = false;
    // The child's stdin: this file, or /dev/null when empty.
    std::string stdin_path;
    // Per-stream capture bound; the head is kept and the rest counted in *_dropped_bytes().
    size_t max_capture_bytes = size_t{64} << 20;
  };

  // How the child ended; meaningful once WaitForExit() returned true.
  struct ExitStatus {
    bool exited = false;  // true: exit() with `code`; false: killed by `signal`
    int code = -1;
    int signal = 0;
  };

  // Start()
  //
  // Spawns the child. Fails with the errno-derived status when the program cannot be executed
  // (ENOENT, EACCES, ...) or the options are invalid (empty argv).
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(Options options);

  // Sends SIGKILL if the child still runs, reaps it, joins the helper threads and closes every
  // descriptor. Never blocks for long: a grandchild holding the output pipes is not waited for.
  ~Subprocess();

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // Sends `signal` to the child. FailedPrecondition once it has been reaped (its pid may already
  // belong to another process).
  absl::Status Signal(int signal);

  // WaitForExit()
  //
  // True once the child has exited and been reaped, and its captured output drained to the end
  // (or for at most 2 s more, when a grandchild keeps the pipes open). False on timeout.
  bool WaitForExit(absl::Duration timeout);

  ExitStatus exit_status() const;

  // Snapshots of the captured bytes so far (empty when output is not captured).
  std::string stdout_text() const;
  std::string stderr_text() const;
  uint64_t stdout_dropped_bytes() const;
  uint64_t stderr_dropped_bytes() const;

  // SyncOutput()
  //
  // Blocks until every byte the child had written to its stdout and stderr when this was called
  // is in the captures (the pump thread reads the pipes a little later). A caller that has seen
  // an effect of what the child did next (an answer over HTTP, say) then finds every line the
  // child wrote before it. False on timeout. Without capture it returns true at once.
  bool SyncOutput(absl::Duration timeout) const;

  // WaitForOutput()
  //
  // True as soon as the captured stdout or stderr contains `needle`. False on timeout, or once
  // the child has finished (see WaitForExit()) without printing it.
  bool WaitForOutput(std::string_view needle, absl::Duration timeout);

 private:
  // Captured bytes of one stream.
  struct Capture {
    std::string text;
    uint64_t dropped = 0;
    uint64_t read = 0;  // bytes taken from the pipe (kept or dropped)
    bool eof = true;    // false while the pipe is open
  };

  Subprocess() = default;
  // Waiter thread: reaps the child, then gives the pump a bounded time to reach EOF.
  void WaitLoop();
  // Pump thread: moves pipe bytes into the captures until EOF or stop.
  void PumpLoop();

  pid_t pid_ = -1;
  size_t max_capture_bytes_ = 0;
  int out_fd_ = -1;  // read ends of the stdout / stderr pipes, -1 when not captured
  int err_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: tells the pump to stop even if the pipes stay open

  mutable lmc::Mutex mu_;
  bool reaped_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;  // reaped and output drained
  ExitStatus status_ ABSL_GUARDED_BY(mu_);
  Capture out_ ABSL_GUARDED_BY(mu_);
  Capture err_ ABSL_GUARDED_BY(mu_);

  std::thread waiter_;
  std::thread pump_;
};

}  // namespace lmc::emulator
