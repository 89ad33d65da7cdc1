// File: handlers/inference/bert_cpu_encoder.h
//
// The CPU BertEncoder, designed for throughput:
//   - sequences are packed, not padded: every dense layer runs on exactly the batch's tokens,
//     and attention runs per (sequence, head) on that sequence's tokens only, which is BERT's
//     padding mask without computing the padding (no sorting or bucketing is then needed);
//   - matrix products on OpenBLAS (cblas_sgemm, weights in place in Hugging Face's [out, in]
//     layout, query/key/value fused into one product, each output prefilled with its bias so
//     the product adds onto it); attention reads Q, K and V in place through strides, no copies,
//     and heads of sequences up to 32 tokens skip OpenBLAS for a direct kernel;
//   - its own vectorised kernels (bert_kernels.h: the widest instruction set the CPU has) for
//     GELU, residual + LayerNorm, softmax, embeddings and pooling, applied tile by tile of rows;
//   - its own threads (worker_pool.h): each forward pass is 1 + 2 x layers parallel regions
//     (embeddings; then per layer attention, and everything row-local after it: output
//     projection, LayerNorm, feed-forward, LayerNorm, the next layer's Q/K/V), with OpenBLAS
//     single-threaded inside them; batches of a few tokens use fewer threads. Creating the
//     encoder sets OpenBLAS to one thread for the whole process (openblas_set_num_threads(1)):
//     OpenBLAS's own pool would otherwise spin against these threads;
//   - scratch buffers grow to the largest pass seen and are reused: no allocation per batch;
//     a batch beyond 64 MiB of activations runs as several passes, so memory stays bounded.
//
// Example:
//
//   std::unique_ptr<lmc::inference::BertEncoder> cpu =
//       lmc::inference::CreateCpuBertEncoder(*model, {.normalize = true});
#pragma once

#include <memory>

#include "handlers/inference/bert_encoder.h"
#include "handlers/inference/bert_model.h"

namespace lmc::inference {

// A BertEncoder on the CPU. `model` must outlive it. See BertEncoder for thread-safety.
std::unique_ptr<BertEncoder> CreateCpuBertEncoder(const BertModel& model,
                                                  const BertEncoderOptions& options);

}  // namespace lmc::inference
