// File: lmc/dispatch/crash_handler.h
//
// Crash reports: on SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT the process writes one log line
// (JSON or Text, matching the configured format, to the configured log fd, timestamped, built
// by lmc/base/signal_safe_log.h like every signal-time line) with the signal, the faulting address,
// the request id of the invocation the crashing thread was running (if any) and a symbolized
// backtrace, then re-raises the signal with its default action, so the exit status and any core
// dump stay what they would have been. With many invocations in one process, a crash takes all
// of them down; the line says which one caused it.
//
// Everything the handler does is async-signal-safe: the backtrace machinery is warmed up at
// install time, symbols come from absl::Symbolize (documented as signal-safe), the line is built
// in a stack buffer (SignalSafeLogLine) and written with write(2). Threads that call
// PrepareThreadForCrashReports() get an alternate signal stack, so even a stack overflow is
// reported.
//
// Example:
//
//   lmc::InstallCrashHandler(STDOUT_FILENO, lmc::LogFormat::kJson);  // once, in main()
//   // In each long-lived thread:
//   lmc::PrepareThreadForCrashReports();
//   {
//     lmc::ScopedCrashContext crash_context(request_id);  // names the invocation in a report
//     RunHandler();
//   }
#pragma once

#include <string_view>

#include "lmc/base/log_sink.h"

namespace lmc {

// Installs the crash handlers process-wide (idempotent; the last fd and format win). Reports go
// to `log_fd`, which must stay open for the process's lifetime.
void InstallCrashHandler(int log_fd, LogFormat format);

// Gives the calling thread an alternate signal stack (freed when the thread exits).
void PrepareThreadForCrashReports();

// ScopedCrashContext
//
// Records, for the calling thread and this object's lifetime, the request id a crash report
// should name. Cheap: one bounded copy into thread-local storage. Not copyable.
class ScopedCrashContext {
 public:
  explicit ScopedCrashContext(std::string_view request_id);
  ~ScopedCrashContext();
  ScopedCrashContext(const ScopedCrashContext&) = delete;
  ScopedCrashContext& operator=(const ScopedCrashContext&) = delete;
};

}  // namespace lmc
