// File: handlers/inference/served_model.h
//
// ServedModel: one kind of model as the inference handler serves it. It parses its own events,
// meets the other concurrent invocations in its own lmc::batching::Batcher, runs its batches on
// its backend and writes its answers. InferenceService (inference_handler.h) creates one at init
// and hands it every invocation. A new model kind is one ServedModel implementation and one
// branch in InferenceService::Create(); the rows models (MLP, embedding table) are in
// row_model.h.
//
// The rules every kind shares live here: its batcher's options from the LMC_BATCH_* variables
// (BatcherOptionsFor), what LMC_INFERENCE_DEVICE does when CUDA cannot serve (FallBackToCpu) and
// the error an invocation gets when batching fails (BatchFailure).
//
// Example (a kind's Handle()):
//
//   absl::StatusOr<Answer> answer = batcher_.Submit(request, context.deadline());
//   if (!answer.ok()) return lmc::inference::BatchFailure(answer.status());
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "handlers/batching/batch_queue.h"
#include "handlers/inference/inference_config.h"
#include "lmc/lmc.h"

namespace lmc::inference {

// ServedModel
//
// Handle() is thread-safe: every concurrent invocation calls it. The rest is immutable after
// creation.
class ServedModel {
 public:
  virtual ~ServedModel() = default;

  // Answers one invocation: a JSON response, or an Error of type Inference.InvalidInput,
  // Inference.Timeout or Inference.DeviceError.
  virtual Result Handle(const Event& event, const Context& context) = 0;
  // "cpu" or "cuda".
  virtual std::string_view backend_name() const = 0;
  // What was loaded, for the init log line: "mlp, 512 -> 10".
  virtual std::string Describe() const = 0;
  // What LMC_BATCH_MAX_ROWS counts for this kind, plural, for the init log line: "rows" for the
  // row models, "texts" for sentence embeddings.
  virtual std::string_view batch_unit() const = 0;
  virtual batching::BatcherStats batcher_stats() const = 0;
};

// The batcher options of the configuration: max_batch_size = LMC_BATCH_MAX_ROWS (in the kind's
// unit), max_wait, metrics interval, `max_callers` (the runtime's concurrency, at least 1), and
// the metrics line's name "inference batcher".
batching::BatcherOptions BatcherOptionsFor(const InferenceConfig& config, size_t max_callers);

// The errorType of every init failure of a model.
inline constexpr char kModelLoadFailed[] = "Inference.ModelLoadFailed";

// FallBackToCpu()
//
// What a kind does when its CUDA implementation could not be created (`why`): with
// LMC_INFERENCE_DEVICE=cuda, an InitError (Inference.ModelLoadFailed, Unavailable) saying so;
// with auto, OK after an init log line saying why the CPU serves.
absl::Status FallBackToCpu(Device device, const absl::Status& why, const Logger& logger);

// The error for a failed Submit(): Inference.Timeout when the deadline passed while queued,
// else Inference.DeviceError; the message is the status's.
Error BatchFailure(const absl::Status& status);

}  // namespace lmc::inference
