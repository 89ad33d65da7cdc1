// File: lmc/runtime.h
//
// lmc::Run(): the whole runtime behind one call. It reads the configuration from the
// environment, selects the handler named by _HANDLER, runs its init hook, registers an internal
// extension (so that Lambda sends SIGTERM before shutting the environment down), starts
// AWS_LAMBDA_MAX_CONCURRENCY poll loops and serves events until SIGTERM/SIGINT or a fatal
// Runtime API failure; then it stops polling, lets in-flight invocations finish and returns.
//
// Example (a complete bootstrap with one handler; it serves whatever _HANDLER names):
//
//   #include "lmc/lmc.h"
//
//   int main() {
//     return lmc::Run([](const lmc::Event&, const lmc::Context& context) -> lmc::Result {
//       context.logger().Info("hello");
//       return lmc::Response::Json(R"({"hello":"world"})");
//     });
//   }
//
// Example (several handlers in one binary; _HANDLER picks one):
//
//   int main() {
//     lmc::HandlerRegistry handlers;
//     handlers.Register("hello", Hello).IgnoreError();
//     handlers.Register("resize", Resize).IgnoreError();
//     return lmc::Run(handlers);
//   }
//
// Exit status: 0 after a clean shutdown; 1 when start-up fails (bad configuration, unknown
// handler, failed init hook; reported through /runtime/init/error when possible); 2 when the
// Runtime API fails in a way documented as non-recoverable.
#pragma once

#include "lmc/handler.h"
#include "lmc/registry.h"
#include "lmc/response_stream.h"

namespace lmc {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInitFailed = 1;
inline constexpr int kExitRuntimeApiFailed = 2;
// Every poll loop was held by invocations past their deadline (handlers that ignore
// cancellation) with no room to detach more: the environment could not serve.
inline constexpr int kExitCapacityLost = 3;

// Run()
//
// Serves events with the handler that _HANDLER names until shutdown, and returns the process exit
// status (see the file comment). When _HANDLER is unset and one handler is registered, serves
// that one. Call it once, from main(), before starting threads of your own that use libcurl: it
// initialises libcurl process-wide, catches SIGTERM/SIGINT and crash signals, and ignores
// SIGPIPE, as a network server must.
int Run(const HandlerRegistry& registry);

// Serves `handler`, with its optional init hook, whatever _HANDLER says: Lambda always sets
// _HANDLER from the function's Handler setting, and a binary with one handler has nothing to
// choose. Otherwise as Run(registry). An empty `handler` fails start-up (exit status 1).
int Run(Handler handler, InitHook init = nullptr);
// The same for a streaming handler (see lmc/response_stream.h).
int Run(StreamingHandler handler, InitHook init = nullptr);

}  // namespace lmc
