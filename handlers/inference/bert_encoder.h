// File: handlers/inference/bert_encoder.h
//
// BertEncoder: where a BERT model's batches of token sequences become sentence embeddings. One
// Encode() runs BERT's forward pass over a batch (embeddings -> LayerNorm; per layer multi-head
// self-attention over each sequence's own tokens, output projection + residual -> LayerNorm,
// intermediate + exact GELU -> output + residual -> LayerNorm), pools each sequence (mean over
// its tokens, or its [CLS] token) and, unless asked not to, scales it to unit length.
// Implementations: the CPU encoder (bert_cpu_encoder.h, OpenBLAS) and the CUDA encoder (the
// plugin, cuda_loader.h).
//
// Example:
//
//   lmc::inference::TokenBatch batch;
//   batch.Add(ids_of_first_text);
//   batch.Add(ids_of_second_text);
//   std::vector<float> embeddings;   // 2 x hidden
//   absl::Status ran = encoder->Encode(batch, embeddings);
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "handlers/inference/bert_kernels.h"

namespace lmc::inference {

// TokenBatch
//
// Sequences of token ids, stored one after another. Plain value; reuse it (Clear() keeps the
// capacity).
struct TokenBatch {
  std::vector<int32_t> ids;
  std::vector<uint32_t> offsets = {0};  // sequence i is ids[offsets[i], offsets[i + 1])

  size_t size() const { return offsets.size() - 1; }
  size_t length(size_t i) const { return offsets[i + 1] - offsets[i]; }
  void Clear() {
    ids.clear();
    offsets.assign(1, 0);
  }
  void Add(std::span<const int32_t> sequence) {
    ids.insert(ids.end(), sequence.begin(), sequence.end());
    offsets.push_back(static_cast<uint32_t>(ids.size()));
  }
  // Adds every sequence of `other`, in order.
  void Append(const TokenBatch& other) {
    const auto base = static_cast<uint32_t>(ids.size());
    ids.insert(ids.end(), other.ids.begin(), other.ids.end());
    for (size_t i = 1; i < other.offsets.size(); ++i) offsets.push_back(base + other.offsets[i]);
  }
};

// BertEncoderOptions
//
// `normalize`: L2-normalise each embedding (LMC_EMBEDDING_NORMALIZE). `threads`: the CPU
// encoder's threads (0: every CPU the process may use). `tile_rows`: rows per matrix-product
// tile on the CPU (0: the default, 512). `kernels`: the CPU kernels' instruction set (null:
// BertKernels::Best(); tests run each one). `max_tokens_per_pass`: a larger batch runs as
// several forward passes of whole sequences, which bounds the activations' memory (0: the
// encoder's default, 64 MiB of CPU activations; never below one sequence of max_positions).
struct BertEncoderOptions {
  bool normalize = true;
  size_t threads = 0;
  size_t tile_rows = 0;
  const BertKernels* kernels = nullptr;
  size_t max_tokens_per_pass = 0;
};

// The check every encoder makes before running `batch`: InvalidArgument (saying which
// sequence) for an empty batch, an empty sequence or one longer than `max_positions`, or an id
// outside [0, vocab_rows). Thread-safe (pure).
absl::Status ValidateTokenBatch(const TokenBatch& batch, size_t max_positions, size_t vocab_rows);

// BertEncoder
//
// Not thread-safe: one caller at a time (the batcher's worker). Keeps the BertModel it was
// created from by reference: the model must outlive it.
class BertEncoder {
 public:
  virtual ~BertEncoder() = default;
  // "cpu" or "cuda".
  virtual std::string_view name() const = 0;
  // Writes batch.size() embeddings of the model's hidden width to `out` (resized; its capacity
  // is reused). InvalidArgument for an empty batch, an empty or over-long sequence (more than
  // max_position_embeddings ids) or an id outside the vocabulary; Internal when the device
  // fails.
  virtual absl::Status Encode(const TokenBatch& batch, std::vector<float>& out) = 0;
};

}  // namespace lmc::inference
