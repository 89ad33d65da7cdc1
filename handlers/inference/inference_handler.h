// File: handlers/inference/inference_handler.h
//
// The `inference` handler: the service that holds the loaded model (a ServedModel, see
// served_model.h), and registration with an init hook that reads the environment
// (inference_config.h) and loads the model once.
//
// Errors: a bad event -> errorType "Inference.InvalidInput" (the message says what is wrong);
// a deadline passing while queued -> "Inference.Timeout"; a device failure ->
// "Inference.DeviceError". At init: a missing, corrupt, truncated or inconsistent model (or an
// unusable device) -> /runtime/init/error with "Inference.ModelLoadFailed"; a malformed
// LMC_* value -> "Inference.InvalidConfiguration"; either way the process exits non-zero.
//
// Example (the whole of inference-bootstrap):
//
//   int main() {
//     lmc::HandlerRegistry handlers;
//     if (!lmc::inference::Register(handlers).ok()) return lmc::kExitInitFailed;
//     return lmc::Run(handlers);
//   }
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "handlers/batching/batch_queue.h"
#include "handlers/inference/inference_config.h"
#include "handlers/inference/served_model.h"
#include "lmc/lmc.h"

namespace lmc::inference {

// InferenceService
//
// One loaded model. Handle() is thread-safe: every concurrent invocation calls it, and their
// requests meet in the model's batcher.
class InferenceService {
 public:
  // Loads the model named by config.model and picks the backend. Errors come as InitError()s
  // (see lmc/registry.h) with errorType "Inference.ModelLoadFailed". `logger` (for the backend
  // choice and batch metrics) and `clock` must outlive the service; `max_callers` is the
  // runtime's concurrency.
  static absl::StatusOr<std::unique_ptr<InferenceService>> Create(const InferenceConfig& config,
                                                                  size_t max_callers,
                                                                  const Logger& logger,
                                                                  const Clock& clock);

  Result Handle(const Event& event, const Context& context) {
    return model_->Handle(event, context);
  }

  std::string_view backend_name() const { return model_->backend_name(); }
  batching::BatcherStats batcher_stats() const { return model_->batcher_stats(); }

 private:
  explicit InferenceService(std::unique_ptr<ServedModel> model) : model_(std::move(model)) {}

  std::unique_ptr<ServedModel> model_;
};

// Registers the handler `inference` with an init hook that reads the environment and loads the
// model. The registry keeps the service alive.
absl::Status Register(HandlerRegistry& registry);

}  // namespace lmc::inference
