// File: handlers/inference/inference_handler.h
//
// The `inference` handler: its configuration (environment contract), the service that holds
// the model, backend and batcher, and registration with an init hook that loads the model once.
//
// Environment (read once, in the init hook):
//   LMC_MODEL               path of the safetensors model; relative paths are taken from
//                           LAMBDA_TASK_ROOT. Required.
//   LMC_INFERENCE_DEVICE    auto (default: CUDA when a GPU is visible and the CUDA plugin loads,
//                           else CPU), cpu, or cuda (fail init when CUDA is unavailable).
//   LMC_BATCH_MAX_ROWS      rows per batch, >= 1 (1 = no batching). Default 128.
//   LMC_BATCH_MAX_WAIT_US   the longest a request waits for others to join its batch, >= 0.
//                           Default 1000. A batch also closes as soon as every concurrent
//                           invocation (AWS_LAMBDA_MAX_CONCURRENCY) is queued in it.
//   LMC_BATCH_METRICS_MS    how often the batcher logs its metrics line (batch size, queue
//                           wait, its share of the time; see batcher.h). Default 10000.
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

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "handlers/inference/backend.h"
#include "handlers/inference/batcher.h"
#include "handlers/inference/model.h"
#include "lmc/lmc.h"

namespace lmc::inference {

enum class Device { kAuto, kCpu, kCuda };

// InferenceConfig
//
// The parsed environment contract (see the file comment).
struct InferenceConfig {
  std::filesystem::path model;  // absolute
  Device device = Device::kAuto;
  size_t max_rows = 128;
  std::chrono::microseconds max_wait{1000};
  std::chrono::milliseconds metrics_interval{10000};
};

// Reads the configuration through `getenv` (returns nullptr when a variable is unset);
// relative LMC_MODEL paths are resolved against `task_root`. InvalidArgument naming the
// variable for a malformed value or a missing LMC_MODEL. Thread-safe if `getenv` is.
absl::StatusOr<InferenceConfig> ParseInferenceConfig(
    const std::function<const char*(const char*)>& getenv, const std::filesystem::path& task_root);

// InferenceService
//
// One loaded model with its backend and batcher. Handle() is thread-safe: every concurrent
// invocation calls it, and their rows meet in the batcher.
class InferenceService {
 public:
  // Loads the model and picks the backend. Errors come as InitError()s (see lmc/registry.h)
  // with errorType "Inference.ModelLoadFailed". `logger` (for the backend choice and batch
  // metrics) and `clock` must outlive the service; `max_callers` is the runtime's concurrency.
  static absl::StatusOr<std::unique_ptr<InferenceService>> Create(const InferenceConfig& config,
                                                                  size_t max_callers,
                                                                  const Logger& logger,
                                                                  const Clock& clock);

  Result Handle(const Event& event, const Context& context);

  const Model& model() const { return *model_; }
  std::string_view backend_name() const { return backend_->name(); }
  BatcherStats batcher_stats() const { return batcher_->stats(); }

 private:
  InferenceService() = default;

  std::unique_ptr<Model> model_;
  std::unique_ptr<Backend> backend_;  // only the batcher's worker calls Run()
  std::unique_ptr<Batcher> batcher_;  // destroyed first (joins the worker)
};

// Registers the handler `inference` with an init hook that reads the environment and loads the
// model. The registry keeps the service alive.
absl::Status Register(HandlerRegistry& registry);

}  // namespace lmc::inference
