// File: handlers/inference/inference_config.h
//
// The inference handler's environment contract, parsed once in its init hook.
//
// Environment:
//   LMC_MODEL               path of the model: a safetensors file (an MLP or an embedding
//                           table, model.h) or a directory holding a BERT sentence-embedding
//                           model in the Hugging Face layout (bert_model.h); relative paths are
//                           taken from LAMBDA_TASK_ROOT. Required.
//   LMC_INFERENCE_DEVICE    auto (default: CUDA when a GPU is visible and the CUDA plugin loads,
//                           else CPU), cpu, or cuda (fail init when CUDA is unavailable).
//   LMC_BATCH_MAX_ROWS      rows (for a BERT model: texts) per batch, >= 1 (1 = no batching).
//                           Default 128.
//   LMC_BATCH_MAX_WAIT_US   the longest a request waits for others to join its batch, >= 0.
//                           Default 1000. A batch also closes as soon as every concurrent
//                           invocation (AWS_LAMBDA_MAX_CONCURRENCY) is queued in it.
//   LMC_BATCH_METRICS_MS    how often the batcher logs its metrics line (batch size, queue
//                           wait, its share of the time; see handlers/batching/batch_queue.h).
//                           Default 10000.
//   LMC_EMBEDDING_NORMALIZE true (default) or false: whether a BERT model's embeddings are
//                           scaled to unit length.
//   LMC_EMBEDDING_MAX_TEXTS the most texts one BERT event may hold, >= 1. Default 256.
//
// Example:
//
//   absl::StatusOr<lmc::inference::InferenceConfig> config = lmc::inference::ParseInferenceConfig(
//       [](const char* name) { return std::getenv(name); }, init.task_root);
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>

#include "absl/status/statusor.h"

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
  bool embedding_normalize = true;
  size_t embedding_max_texts = 256;
};

// Reads the configuration through `getenv` (returns nullptr when a variable is unset);
// relative LMC_MODEL paths are resolved against `task_root`. InvalidArgument naming the
// variable for a malformed value or a missing LMC_MODEL. Thread-safe if `getenv` is.
absl::StatusOr<InferenceConfig> ParseInferenceConfig(
    const std::function<const char*(const char*)>& getenv, const std::filesystem::path& task_root);

}  // namespace lmc::inference
