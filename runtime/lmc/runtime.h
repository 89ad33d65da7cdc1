// File: lmc/runtime.h
//
// lmc::Run(): the whole runtime behind one call. It reads the configuration from the
// environment, selects the handler named by _HANDLER, runs its init hook, registers an internal
// extension (so that Lambda sends SIGTERM before shutting the environment down), starts
// AWS_LAMBDA_MAX_CONCURRENCY poll loops and serves events until SIGTERM/SIGINT or a fatal
// Runtime API failure; then it stops polling, lets in-flight invocations finish and returns.
//
// Example (a complete bootstrap):
//
//   #include "lmc/lmc.h"
//
//   int main() {
//     lmc::HandlerRegistry handlers;
//     handlers.Register("hello", [](const lmc::Event&, const lmc::Context& context) {
//       context.logger().Info("hello");
//       return lmc::Response::Json(R"({"hello":"world"})");
//     });
//     return lmc::Run(handlers);
//   }
//
// Exit status: 0 after a clean shutdown; 1 when start-up fails (bad configuration, unknown
// handler, failed init hook; reported through /runtime/init/error when possible); 2 when the
// Runtime API fails in a way documented as non-recoverable.
#pragma once

#include <unistd.h>

#include <optional>

#include "lmc/base/clock.h"
#include "lmc/base/config.h"
#include "lmc/registry.h"

namespace lmc {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInitFailed = 1;
inline constexpr int kExitRuntimeApiFailed = 2;
// Every poll loop was held by invocations past their deadline (handlers that ignore
// cancellation) with no room to detach more: the environment could not serve.
inline constexpr int kExitCapacityLost = 3;

// RunOptions
//
// Seams for tests and embedders; the defaults are what a bootstrap wants.
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

// Run()
//
// Serves events until shutdown and returns the process exit status (see the file comment).
// Call it from main(), before starting threads of your own that use libcurl: it initialises
// libcurl process-wide. It also sets SIGPIPE to be ignored, as a network server must.
int Run(const HandlerRegistry& registry, const RunOptions& options = {});

}  // namespace lmc
