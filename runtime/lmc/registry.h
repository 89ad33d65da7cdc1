// File: lmc/registry.h
//
// HandlerRegistry: handlers by name. The program registers its handlers in main(); at start-up
// the runtime picks the one named by _HANDLER. Each handler may carry an init hook that runs
// once, before the first event is polled, for slow one-time work (loading a model can take
// minutes; Lambda allows up to 10 minutes of init on classic Lambda and 15 on Managed Instances).
//
// Example:
//
//   int main() {
//     lmc::HandlerRegistry handlers;
//     handlers.Register("resize", Resize);
//     handlers.Register("infer", Infer, [](const lmc::InitContext& init) {
//       return LoadModel(init.task_root / "model.bin");
//     });
//     return lmc::Run(handlers);
//   }
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "lmc/handler.h"
#include "lmc/logger.h"
#include "lmc/response_stream.h"

namespace lmc {

// InitContext
//
// What an init hook can see. Valid only during the hook call.
struct InitContext {
  std::filesystem::path task_root;  // LAMBDA_TASK_ROOT
  const FunctionInfo& function;
  const Logger& logger;
};

// InitHook
//
// Runs once before polling starts. A non-OK status is reported to Lambda through
// /runtime/init/error and the process exits non-zero. The errorType is "Function.InitError"
// (errorMessage: the status as text) unless the status came from InitError(), which names its
// own errorType (errorMessage: the status message).
using InitHook = std::function<absl::Status(const InitContext& context)>;

// InitError()
//
// A non-OK status (code `code`, message `message`) that, returned from an init hook, makes the
// runtime report errorType `error_type` (e.g. "Inference.ModelLoadFailed") instead of
// "Function.InitError". Thread-safe (pure).
absl::Status InitError(std::string_view error_type, std::string_view message,
                       absl::StatusCode code = absl::StatusCode::kFailedPrecondition);

// The errorType InitError() attached to `status`, or "" when there is none.
std::string InitErrorType(const absl::Status& status);

// RegisteredHandler
//
// Exactly one of `handler` (a buffered answer) and `streaming` (a streamed answer) is set.
struct RegisteredHandler {
  std::string name;
  Handler handler;
  StreamingHandler streaming;
  InitHook init;  // may be empty
};

// HandlerRegistry
//
// Register() is not thread-safe: register everything in main() before calling lmc::Run().
// After that the registry is only read, and reads are thread-safe.
class HandlerRegistry {
 public:
  // Adds `handler` under `name`. InvalidArgument if `name` is empty or `handler` is empty;
  // AlreadyExists if the name is taken.
  absl::Status Register(std::string name, Handler handler, InitHook init = nullptr);
  // Adds a streaming handler (see lmc/response_stream.h) under `name`; same errors.
  absl::Status Register(std::string name, StreamingHandler handler, InitHook init = nullptr);

  // The handler registered under exactly `name`, or nullptr.
  const RegisteredHandler* Find(std::string_view name) const;

  // Registered names in sorted order (for "no such handler" messages).
  std::vector<std::string> Names() const;

  size_t size() const { return handlers_.size(); }

 private:
  // Validates and stores `entry`; `empty` says whether its handler is empty.
  absl::Status Add(RegisteredHandler entry, bool empty);

  std::map<std::string, RegisteredHandler, std::less<>> handlers_;
};

}  // namespace lmc
