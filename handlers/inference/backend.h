// File: handlers/inference/backend.h
//
// Backend: where a model's batches run. One forward pass over a batch of rows: the MLP's
// outputs (head applied), or the embedding search's best K ids and cosine scores per query.
// Implementations: the CPU backend on OpenBLAS (cpu_backend.h) and the CUDA backend on cuBLAS,
// loaded at run time from a plugin (cuda_loader.h). Backends own their scratch buffers (device
// buffers on a GPU) and reuse them from batch to batch.
//
// Example:
//
//   std::unique_ptr<lmc::inference::Backend> backend = lmc::inference::CreateCpuBackend(*model);
//   lmc::inference::BatchOutput out;
//   absl::Status ran = backend->Run(rows.data(), num_rows, /*k=*/0, out);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace lmc::inference {

// BatchOutput
//
// `width` values per input row, row-major. MLP: the outputs (ids empty). Embedding: the best
// `width` = min(k, N) scores per query, best first, with their row ids in `ids`.
struct BatchOutput {
  size_t width = 0;
  std::vector<float> values;
  std::vector<uint32_t> ids;
};

// Backend
//
// Not thread-safe: one thread at a time calls Run() (the batcher's worker does). Keeps the
// Model it was created from by reference: the Model must outlive it.
class Backend {
 public:
  virtual ~Backend() = default;
  // "cpu" or "cuda".
  virtual std::string_view name() const = 0;
  // Runs `num_rows` rows of the model's input width, contiguous at `rows`. For an embedding
  // model the rows are unit-length queries and `k` >= 1 is how many results to return per row;
  // MLPs ignore `k`. Overwrites `out` (reusing its capacity). A non-OK status means the device
  // failed (e.g. a CUDA error), never bad input: the caller validated it.
  virtual absl::Status Run(const float* rows, size_t num_rows, size_t k, BatchOutput& out) = 0;
};

}  // namespace lmc::inference
