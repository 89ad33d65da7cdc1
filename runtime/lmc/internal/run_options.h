// File: lmc/internal/run_options.h (private: not part of the user surface)
//
// RunOptions: the seams of Run() for tests and embedders (environment, log fd, signals, clock),
// and the Run() variants that take them. A bootstrap calls lmc::Run() (lmc/runtime.h), which uses
// the defaults.
//
// Example (an in-process test against an emulator):
//
//   lmc::internal::RunOptions options;
//   options.env = lmc::EnvMap{{"AWS_LAMBDA_RUNTIME_API", address}, {"_HANDLER", "echo"}};
//   options.handle_signals = false;
//   const int status = lmc::internal::Run(registry, options);
#pragma once

#include <unistd.h>

#include <optional>

#include "lmc/base/config.h"
#include "lmc/clock.h"
#include "lmc/registry.h"

namespace lmc::internal {

// RunOptions
//
// The defaults are what a bootstrap wants.
struct RunOptions {
  // The environment to configure from; nullopt reads the process environment.
  std::optional<EnvMap> env;
  // Where log lines go (not owned).
  int log_fd = STDOUT_FILENO;
  // Catch SIGTERM/SIGINT to drain gracefully, and report crashes (SIGSEGV, SIGABRT, ...) as one
  // log line. Process-wide: only one Run() at a time may do so.
  bool handle_signals = true;
  // Register the internal extension that makes Lambda deliver SIGTERM.
  bool register_extension = true;
  // The wall clock used for deadlines; must outlive Run().
  const Clock* clock = &Clock::Real();
};

// lmc::Run(registry) with `options`.
int Run(const HandlerRegistry& registry, const RunOptions& options);

// lmc::Run(handler, init) with `options`: registers `handler` under the name _HANDLER gives in
// `options.env` (or the process environment), so it is served whatever that name is.
int Run(Handler handler, InitHook init, const RunOptions& options);
int Run(StreamingHandler handler, InitHook init, const RunOptions& options);

}  // namespace lmc::internal
