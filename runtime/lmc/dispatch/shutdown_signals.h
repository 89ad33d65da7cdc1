// File: lmc/dispatch/shutdown_signals.h
//
// ShutdownSignals: turns SIGTERM and SIGINT into an event a thread can wait for, so the runtime
// can drain (stop polling, finish in-flight invocations, flush logs) instead of dying mid-answer.
// A second signal exits at once with status 128 + signal number.
//
// Signals are caught with sigaction() and forwarded through a self-pipe rather than blocked and
// sigwait()ed: a blocked mask would be inherited by every process a handler spawns, leaving those
// children deaf to SIGTERM.
//
// Example:
//
//   auto signals = lmc::ShutdownSignals::Install(STDOUT_FILENO, lmc::LogFormat::kJson);
//   std::thread waiter([&] {
//     if ((*signals)->Wait() != 0) supervisor.Stop();
//   });
//   supervisor.Wait();
//   (*signals)->Wake();   // lets the waiter return when no signal came
//   waiter.join();
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "lmc/base/log_sink.h"

namespace lmc {

// ShutdownSignals
//
// At most one instance exists at a time (signal dispositions are per process). Wait() is for
// one thread; Wake() is thread-safe. The destructor restores the previous dispositions.
class ShutdownSignals {
 public:
  // Installs the handlers. The one line written on a second signal (timestamped, see
  // lmc/base/signal_safe_log.h) goes to `log_fd` in `format`. FailedPrecondition if another
  // instance is alive.
  static absl::StatusOr<std::unique_ptr<ShutdownSignals>> Install(int log_fd, LogFormat format);

  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // Blocks until the first SIGTERM/SIGINT (returns its number) or Wake() (returns 0).
  int Wait();

  // Makes Wait() return 0. Thread-safe, async-signal-safe.
  void Wake();

 private:
  ShutdownSignals(int read_fd, int write_fd);

  const int read_fd_;
  const int write_fd_;
};

}  // namespace lmc
