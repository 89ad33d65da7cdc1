// File: handlers/inference/cuda_plugin_abi.h
//
// The C interface between the executable (cuda_loader.cc) and the CUDA plugin
// (cuda_backend.cu): plain C types only, so the two sides may be built by different compilers
// (g++ and nvcc) without sharing a C++ ABI. The plugin exports the functions below; the loader
// finds them with dlsym(). Bump kLmcCudaAbiVersion when anything here changes.
//
// Example (loader side):
//
//   auto create = reinterpret_cast<LmcCudaCreateFn>(dlsym(handle, "lmc_cuda_create"));
#pragma once

#include <stddef.h>
#include <stdint.h>

extern "C" {

enum { kLmcCudaAbiVersion = 2 };

// A model as the plugin sees it: host float32 arrays the plugin copies to the device in
// lmc_cuda_create() (it keeps no host pointer afterwards).
struct LmcCudaModel {
  int kind;        // 0 = mlp, 1 = embedding
  int activation;  // 0 = relu, 1 = gelu
  int head;        // 0 = none, 1 = softmax
  size_t num_layers;
  const size_t* layer_in;       // [num_layers]
  const size_t* layer_out;      // [num_layers]
  const float* const* weights;  // [num_layers] of [out, in] row-major
  const float* const* biases;   // [num_layers] of [out]
  size_t rows;                  // embedding: N
  size_t dim;                   // embedding: D
  const float* embeddings;      // embedding: [N, D], unit-length rows
};

// Returns kLmcCudaAbiVersion.
typedef int (*LmcCudaAbiVersionFn)(void);
// Number of visible GPUs (0 when none or when the driver is missing); never fails.
typedef int (*LmcCudaDeviceCountFn)(void);
// Uploads `model` to GPU 0. Returns an opaque backend, or NULL with a message in `error`.
typedef void* (*LmcCudaCreateFn)(const struct LmcCudaModel* model, char* error, size_t error_size);
// Runs a batch (see Backend::Run): writes `*width` values per row to `values` (room for
// num_rows * max(out, k) floats) and, for embeddings, the ids to `ids`. Returns 0, or -1 with a
// message in `error`. One thread at a time per backend.
typedef int (*LmcCudaRunFn)(void* backend, const float* rows, size_t num_rows, size_t k,
                            float* values, uint32_t* ids, size_t* width, char* error,
                            size_t error_size);
typedef void (*LmcCudaDestroyFn)(void* backend);

// One BERT encoder layer: host float32 arrays, [out, in] row-major matrices (H = hidden,
// I = intermediate).
struct LmcCudaBertLayer {
  const float* qkv_weight;            // [3H, H]: query, key, value rows
  const float* qkv_bias;              // [3H]
  const float* attention_out_weight;  // [H, H]
  const float* attention_out_bias;    // [H]
  const float* attention_norm_gamma;  // [H]
  const float* attention_norm_beta;   // [H]
  const float* intermediate_weight;   // [I, H]
  const float* intermediate_bias;     // [I]
  const float* output_weight;         // [H, I]
  const float* output_bias;           // [H]
  const float* output_norm_gamma;     // [H]
  const float* output_norm_beta;      // [H]
};

// A BERT sentence encoder (see bert_encoder.h), copied to the device in lmc_cuda_bert_create().
struct LmcCudaBertModel {
  size_t hidden;
  size_t layers;
  size_t heads;
  size_t intermediate;
  size_t max_positions;
  size_t vocab_rows;
  float layer_norm_eps;
  int pooling;                           // 0 = mean, 1 = CLS
  int normalize;                         // 1 = scale each embedding to unit length
  const float* word_embeddings;          // [vocab_rows, H]
  const float* position_type;            // [max_positions, H]: position + token type 0
  const float* embedding_norm_gamma;     // [H]
  const float* embedding_norm_beta;      // [H]
  const struct LmcCudaBertLayer* layer;  // [layers]
};

// Uploads `model` to GPU 0. Returns an opaque encoder, or NULL with a message in `error`.
typedef void* (*LmcCudaBertCreateFn)(const struct LmcCudaBertModel* model, char* error,
                                     size_t error_size);
// Encodes `count` sequences: sequence i is ids[offsets[i], offsets[i + 1]) (1 to max_positions
// ids, each < vocab_rows: the caller checked). Writes count * hidden floats to `out`. Returns 0,
// or -1 with a message in `error`. One thread at a time per encoder.
typedef int (*LmcCudaBertRunFn)(void* encoder, const int32_t* ids, const uint32_t* offsets,
                                size_t count, float* out, char* error, size_t error_size);
typedef void (*LmcCudaBertDestroyFn)(void* encoder);
}
