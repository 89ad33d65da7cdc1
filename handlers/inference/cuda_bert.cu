// The CUDA BERT encoder of the plugin (liblmc_inference_cuda.so; C interface in
// cuda_plugin_abi.h, loaded by cuda_loader.cc). Weights are uploaded once in
// lmc_cuda_bert_create(). A batch is padded to its longest sequence (L): every dense layer is one
// cuBLAS product over B x L rows, attention is two strided-batched products over the B x heads
// (sequence, head) pairs with the padding keys masked in the softmax, and small kernels of this
// file do the rest (embeddings + LayerNorm, bias rows, exact GELU, residual + LayerNorm, head
// split/merge, masked softmax, pooling + L2 normalisation). Device buffers only grow.
//
// Row-major products on column-major cuBLAS: row-major C[m, n] = A[m, k] W[n, k]^T is
// column-major C^T = W^T' A^T, i.e. cublasSgemm(T, N, n, m, k, W, k, A, k, C, n).
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <new>
#include <vector>

#include "handlers/inference/cuda_plugin_abi.h"
#include "handlers/inference/cuda_support.cuh"

namespace {

using lmc::inference::cuda_internal::BlockMax;
using lmc::inference::cuda_internal::BlockSum;
using lmc::inference::cuda_internal::Check;
using lmc::inference::cuda_internal::CheckBlas;
using lmc::inference::cuda_internal::DeviceBuffer;
using lmc::inference::cuda_internal::SetError;

constexpr int kThreads = 256;

struct Layer {
  float* qkv_weight = nullptr;
  float* qkv_bias = nullptr;
  float* out_weight = nullptr;
  float* out_bias = nullptr;
  float* norm1_gamma = nullptr;
  float* norm1_beta = nullptr;
  float* inner_weight = nullptr;
  float* inner_bias = nullptr;
  float* output_weight = nullptr;
  float* output_bias = nullptr;
  float* norm2_gamma = nullptr;
  float* norm2_beta = nullptr;
};

struct Encoder {
  LmcCudaBertModel shape{};  // sizes only: its host pointers are not kept
  float* words = nullptr;
  float* position_type = nullptr;
  float* embedding_gamma = nullptr;
  float* embedding_beta = nullptr;
  std::vector<Layer> layers;
  std::vector<float*> allocations;
  cublasHandle_t blas = nullptr;
  cudaStream_t stream = nullptr;
  // Per batch: ids [B, L] (padding: id 0), lengths [B], hidden/mid/context [B L, H],
  // qkv [B L, 3H], q/k/v split by head [B heads, L, d], scores [B heads, L, L], inner [B L, I],
  // out [B, H].
  DeviceBuffer ids, lengths, hidden, mid, context, qkv, heads, scores, inner, out;
  std::vector<int> host_ids;
  std::vector<int> host_lengths;
};

// LayerNorm of `row` (width values) in place: two passes (mean, then variance) like the CPU.
__device__ void NormalizeRow(float* row, const float* gamma, const float* beta, float eps,
                             int width, float* shared) {
  float sum = 0;
  for (int j = threadIdx.x; j < width; j += blockDim.x) sum += row[j];
  const float mean = BlockSum(sum, shared) / width;
  float squares = 0;
  for (int j = threadIdx.x; j < width; j += blockDim.x) {
    const float d = row[j] - mean;
    squares += d * d;
  }
  const float scale = rsqrtf(BlockSum(squares, shared) / width + eps);
  for (int j = threadIdx.x; j < width; j += blockDim.x) {
    row[j] = (row[j] - mean) * scale * gamma[j] + beta[j];
  }
}

// One block per padded token: word + position/type embedding, then LayerNorm.
__global__ void EmbedKernel(const int* ids, int length, const float* words,
                            const float* position_type, const float* gamma, const float* beta,
                            float eps, int width, float* hidden) {
  __shared__ float shared[kThreads];
  const int token = blockIdx.x;
  const int position = token % length;
  float* row = hidden + static_cast<size_t>(token) * width;
  const float* word = words + static_cast<size_t>(ids[token]) * width;
  const float* place = position_type + static_cast<size_t>(position) * width;
  for (int j = threadIdx.x; j < width; j += blockDim.x) row[j] = word[j] + place[j];
  __syncthreads();
  NormalizeRow(row, gamma, beta, eps, width, shared);
}

// x[r, j] = bias[j]: the product then adds onto it (beta = 1).
__global__ void FillRowsKernel(float* x, const float* bias, size_t rows, int width) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < rows * width) x[i] = bias[i % width];
}

__global__ void GeluKernel(float* x, size_t count) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < count) x[i] = 0.5F * x[i] * (1.0F + erff(x[i] * 0.70710678118654752F));
}

// One block per row: x = LayerNorm(x + residual).
__global__ void ResidualNormKernel(float* x, const float* residual, const float* gamma,
                                   const float* beta, float eps, int width) {
  __shared__ float shared[kThreads];
  float* row = x + static_cast<size_t>(blockIdx.x) * width;
  const float* add = residual + static_cast<size_t>(blockIdx.x) * width;
  for (int j = threadIdx.x; j < width; j += blockDim.x) row[j] += add[j];
  __syncthreads();
  NormalizeRow(row, gamma, beta, eps, width, shared);
}

// qkv [B, L, 3, heads, d] -> heads [3][B, heads, L, d] (q, then k, then v).
__global__ void SplitHeadsKernel(const float* qkv, int batch, int length, int heads, int d,
                                 float* out) {
  const size_t hidden = static_cast<size_t>(heads) * d;
  const size_t count = static_cast<size_t>(batch) * length * 3 * hidden;
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i >= count) return;
  const size_t e = i % d;
  const size_t head = (i / d) % heads;
  const size_t which = (i / hidden) % 3;
  const size_t token = i / (3 * hidden);  // b * length + t
  const size_t b = token / length;
  const size_t t = token % length;
  const size_t per_tensor = static_cast<size_t>(batch) * length * hidden;
  out[which * per_tensor + ((b * heads + head) * length + t) * d + e] = qkv[i];
}

// heads [B, heads, L, d] -> context [B, L, heads * d].
__global__ void MergeHeadsKernel(const float* in, int batch, int length, int heads, int d,
                                 float* context) {
  const size_t count = static_cast<size_t>(batch) * heads * length * d;
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i >= count) return;
  const size_t e = i % d;
  const size_t t = (i / d) % length;
  const size_t head = (i / (static_cast<size_t>(d) * length)) % heads;
  const size_t b = i / (static_cast<size_t>(d) * length * heads);
  context[(b * length + t) * heads * d + head * d + e] = in[i];
}

// One block per score row (sequence b, head, query t): softmax over the sequence's real keys;
// padding keys get weight 0.
__global__ void MaskedSoftmaxKernel(float* scores, const int* lengths, int heads, int length) {
  __shared__ float shared[kThreads];
  const int b = blockIdx.x / (heads * length);
  const int valid = lengths[b];
  float* row = scores + static_cast<size_t>(blockIdx.x) * length;
  float max = -INFINITY;
  for (int j = threadIdx.x; j < valid; j += blockDim.x) max = fmaxf(max, row[j]);
  max = BlockMax(max, shared);
  float sum = 0;
  for (int j = threadIdx.x; j < length; j += blockDim.x) {
    const float e = j < valid ? expf(row[j] - max) : 0.0F;
    row[j] = e;
    sum += e;
  }
  const float scale = 1.0F / BlockSum(sum, shared);
  for (int j = threadIdx.x; j < length; j += blockDim.x) row[j] *= scale;
}

// One block per sequence: mean over its real tokens (or its first token), then unit length.
__global__ void PoolKernel(const float* hidden, const int* lengths, int length, int width,
                           int cls, int normalize, float* out) {
  __shared__ float shared[kThreads];
  const int b = blockIdx.x;
  const int count = cls ? 1 : lengths[b];
  const float* first = hidden + static_cast<size_t>(b) * length * width;
  float* target = out + static_cast<size_t>(b) * width;
  float squares = 0;
  for (int j = threadIdx.x; j < width; j += blockDim.x) {
    float sum = 0;
    for (int t = 0; t < count; ++t) sum += first[static_cast<size_t>(t) * width + j];
    target[j] = sum / count;
    squares += target[j] * target[j];
  }
  if (!normalize) return;
  const float scale = 1.0F / fmaxf(sqrtf(BlockSum(squares, shared)), 1e-12F);
  for (int j = threadIdx.x; j < width; j += blockDim.x) target[j] *= scale;
}

unsigned Blocks(size_t count) { return static_cast<unsigned>((count + kThreads - 1) / kThreads); }

void Destroy(Encoder* encoder) {
  if (encoder == nullptr) return;
  for (float* pointer : encoder->allocations) cudaFree(pointer);
  for (DeviceBuffer* buffer :
       {&encoder->ids, &encoder->lengths, &encoder->hidden, &encoder->mid, &encoder->context,
        &encoder->qkv, &encoder->heads, &encoder->scores, &encoder->inner, &encoder->out}) {
    cudaFree(buffer->data);
  }
  if (encoder->blas != nullptr) cublasDestroy(encoder->blas);
  if (encoder->stream != nullptr) cudaStreamDestroy(encoder->stream);
  delete encoder;
}

// Copies `count` floats to a new device allocation owned by `encoder`.
bool Upload(Encoder& encoder, const float* host, size_t count, float** device, char* error,
            size_t size) {
  if (!Check(cudaMalloc(reinterpret_cast<void**>(device), count * sizeof(float)), "cudaMalloc",
             error, size)) {
    return false;
  }
  encoder.allocations.push_back(*device);
  return Check(cudaMemcpy(*device, host, count * sizeof(float), cudaMemcpyHostToDevice),
               "cudaMemcpy", error, size);
}

bool UploadLayer(Encoder& encoder, const LmcCudaBertLayer& in, Layer& out, char* error,
                 size_t size) {
  const size_t h = encoder.shape.hidden;
  const size_t inner = encoder.shape.intermediate;
  const struct {
    const float* host;
    size_t count;
    float** device;
  } parts[] = {
      {in.qkv_weight, 3 * h * h, &out.qkv_weight},
      {in.qkv_bias, 3 * h, &out.qkv_bias},
      {in.attention_out_weight, h * h, &out.out_weight},
      {in.attention_out_bias, h, &out.out_bias},
      {in.attention_norm_gamma, h, &out.norm1_gamma},
      {in.attention_norm_beta, h, &out.norm1_beta},
      {in.intermediate_weight, inner * h, &out.inner_weight},
      {in.intermediate_bias, inner, &out.inner_bias},
      {in.output_weight, h * inner, &out.output_weight},
      {in.output_bias, h, &out.output_bias},
      {in.output_norm_gamma, h, &out.norm2_gamma},
      {in.output_norm_beta, h, &out.norm2_beta},
  };
  for (const auto& part : parts) {
    if (!Upload(encoder, part.host, part.count, part.device, error, size)) return false;
  }
  return true;
}

// c[m, n] = a[m, k] w[n, k]^T + bias (row-major).
bool Linear(Encoder& e, const float* a, const float* w, const float* bias, size_t m, size_t n,
            size_t k, float* c, char* error, size_t size) {
  const float one = 1.0F;
  FillRowsKernel<<<Blocks(m * n), kThreads, 0, e.stream>>>(c, bias, m, static_cast<int>(n));
  return CheckBlas(cublasSgemm(e.blas, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(n),
                               static_cast<int>(m), static_cast<int>(k), &one, w,
                               static_cast<int>(k), a, static_cast<int>(k), &one, c,
                               static_cast<int>(n)),
                   "cublasSgemm", error, size);
}

// Self-attention of layer `layer` over e.qkv into e.context, for `batch` sequences of `length`.
bool Attend(Encoder& e, int batch, int length, char* error, size_t size) {
  const int heads = static_cast<int>(e.shape.heads);
  const int d = static_cast<int>(e.shape.hidden / e.shape.heads);
  const size_t per_tensor = static_cast<size_t>(batch) * length * heads * d;
  float* q = e.heads.f();
  float* k = q + per_tensor;
  float* v = k + per_tensor;
  SplitHeadsKernel<<<Blocks(3 * per_tensor), kThreads, 0, e.stream>>>(e.qkv.f(), batch, length,
                                                                       heads, d, q);
  const float scale = 1.0F / sqrtf(static_cast<float>(d));
  const float one = 1.0F;
  const float zero = 0.0F;
  const long long head_stride = static_cast<long long>(length) * d;
  const long long score_stride = static_cast<long long>(length) * length;
  // scores[bh] (row-major [query, key]) = q[bh] k[bh]^T * scale.
  if (!CheckBlas(cublasSgemmStridedBatched(e.blas, CUBLAS_OP_T, CUBLAS_OP_N, length, length, d,
                                           &scale, k, d, head_stride, q, d, head_stride, &zero,
                                           e.scores.f(), length, score_stride, batch * heads),
                 "cublasSgemmStridedBatched", error, size)) {
    return false;
  }
  MaskedSoftmaxKernel<<<static_cast<unsigned>(batch * heads * length), kThreads, 0, e.stream>>>(
      e.scores.f(), static_cast<const int*>(e.lengths.data), heads, length);
  // q's space now takes the context: context[bh] = scores[bh] v[bh].
  if (!CheckBlas(cublasSgemmStridedBatched(e.blas, CUBLAS_OP_N, CUBLAS_OP_N, d, length, length,
                                           &one, v, d, head_stride, e.scores.f(), length,
                                           score_stride, &zero, q, d, head_stride, batch * heads),
                 "cublasSgemmStridedBatched", error, size)) {
    return false;
  }
  MergeHeadsKernel<<<Blocks(per_tensor), kThreads, 0, e.stream>>>(q, batch, length, heads, d,
                                                                   e.context.f());
  return true;
}

// Sizes the batch buffers for `rows` padded tokens of `batch` sequences of `length`.
bool Reserve(Encoder& e, size_t batch, size_t length, char* error, size_t size) {
  const size_t rows = batch * length;
  const size_t h = e.shape.hidden;
  const size_t f = sizeof(float);
  return Check(e.ids.Reserve(rows * sizeof(int)), "cudaMalloc", error, size) &&
         Check(e.lengths.Reserve(batch * sizeof(int)), "cudaMalloc", error, size) &&
         Check(e.hidden.Reserve(rows * h * f), "cudaMalloc", error, size) &&
         Check(e.mid.Reserve(rows * h * f), "cudaMalloc", error, size) &&
         Check(e.context.Reserve(rows * h * f), "cudaMalloc", error, size) &&
         Check(e.qkv.Reserve(rows * 3 * h * f), "cudaMalloc", error, size) &&
         Check(e.heads.Reserve(rows * 3 * h * f), "cudaMalloc", error, size) &&
         Check(e.scores.Reserve(batch * e.shape.heads * length * length * f), "cudaMalloc", error,
               size) &&
         Check(e.inner.Reserve(rows * e.shape.intermediate * f), "cudaMalloc", error, size) &&
         Check(e.out.Reserve(batch * h * f), "cudaMalloc", error, size);
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) void* lmc_cuda_bert_create(const LmcCudaBertModel* model,
                                                                  char* error, size_t error_size) {
  auto* encoder = new (std::nothrow) Encoder();
  if (encoder == nullptr) {
    SetError(error, error_size, "lmc_cuda_bert_create", "out of host memory");
    return nullptr;
  }
  encoder->shape = *model;
  const size_t h = model->hidden;
  bool ok = Check(cudaSetDevice(0), "cudaSetDevice", error, error_size) &&
            Check(cudaStreamCreateWithFlags(&encoder->stream, cudaStreamNonBlocking),
                  "cudaStreamCreate", error, error_size) &&
            CheckBlas(cublasCreate(&encoder->blas), "cublasCreate", error, error_size) &&
            CheckBlas(cublasSetStream(encoder->blas, encoder->stream), "cublasSetStream", error,
                      error_size) &&
            Upload(*encoder, model->word_embeddings, model->vocab_rows * h, &encoder->words, error,
                   error_size) &&
            Upload(*encoder, model->position_type, model->max_positions * h,
                   &encoder->position_type, error, error_size) &&
            Upload(*encoder, model->embedding_norm_gamma, h, &encoder->embedding_gamma, error,
                   error_size) &&
            Upload(*encoder, model->embedding_norm_beta, h, &encoder->embedding_beta, error,
                   error_size);
  encoder->layers.resize(model->layers);
  for (size_t i = 0; ok && i < model->layers; ++i) {
    ok = UploadLayer(*encoder, model->layer[i], encoder->layers[i], error, error_size);
  }
  if (!ok) {
    Destroy(encoder);
    return nullptr;
  }
  return encoder;
}

__attribute__((visibility("default"))) int lmc_cuda_bert_run(void* opaque, const int32_t* ids,
                                                             const uint32_t* offsets, size_t count,
                                                             float* out, char* error,
                                                             size_t error_size) {
  Encoder& e = *static_cast<Encoder*>(opaque);
  const LmcCudaBertModel& shape = e.shape;
  size_t length = 0;
  for (size_t b = 0; b < count; ++b) length = std::max<size_t>(length, offsets[b + 1] - offsets[b]);
  const size_t rows = count * length;
  const size_t h = shape.hidden;
  const size_t inner = shape.intermediate;
  e.host_ids.assign(rows, 0);  // padding: id 0, masked everywhere it could matter
  e.host_lengths.resize(count);
  for (size_t b = 0; b < count; ++b) {
    e.host_lengths[b] = static_cast<int>(offsets[b + 1] - offsets[b]);
    std::copy(ids + offsets[b], ids + offsets[b + 1], e.host_ids.begin() + b * length);
  }
  if (!Reserve(e, count, length, error, error_size) ||
      !Check(cudaMemcpyAsync(e.ids.data, e.host_ids.data(), rows * sizeof(int),
                             cudaMemcpyHostToDevice, e.stream),
             "cudaMemcpyAsync", error, error_size) ||
      !Check(cudaMemcpyAsync(e.lengths.data, e.host_lengths.data(), count * sizeof(int),
                             cudaMemcpyHostToDevice, e.stream),
             "cudaMemcpyAsync", error, error_size)) {
    return -1;
  }
  const int width = static_cast<int>(h);
  const float eps = shape.layer_norm_eps;
  EmbedKernel<<<static_cast<unsigned>(rows), kThreads, 0, e.stream>>>(
      static_cast<const int*>(e.ids.data), static_cast<int>(length), e.words, e.position_type,
      e.embedding_gamma, e.embedding_beta, eps, width, e.hidden.f());
  for (const Layer& w : e.layers) {
    if (!Linear(e, e.hidden.f(), w.qkv_weight, w.qkv_bias, rows, 3 * h, h, e.qkv.f(), error,
                error_size) ||
        !Attend(e, static_cast<int>(count), static_cast<int>(length), error, error_size) ||
        !Linear(e, e.context.f(), w.out_weight, w.out_bias, rows, h, h, e.mid.f(), error,
                error_size)) {
      return -1;
    }
    ResidualNormKernel<<<static_cast<unsigned>(rows), kThreads, 0, e.stream>>>(
        e.mid.f(), e.hidden.f(), w.norm1_gamma, w.norm1_beta, eps, width);
    if (!Linear(e, e.mid.f(), w.inner_weight, w.inner_bias, rows, inner, h, e.inner.f(), error,
                error_size)) {
      return -1;
    }
    GeluKernel<<<Blocks(rows * inner), kThreads, 0, e.stream>>>(e.inner.f(), rows * inner);
    if (!Linear(e, e.inner.f(), w.output_weight, w.output_bias, rows, h, inner, e.hidden.f(),
                error, error_size)) {
      return -1;
    }
    ResidualNormKernel<<<static_cast<unsigned>(rows), kThreads, 0, e.stream>>>(
        e.hidden.f(), e.mid.f(), w.norm2_gamma, w.norm2_beta, eps, width);
  }
  PoolKernel<<<static_cast<unsigned>(count), kThreads, 0, e.stream>>>(
      e.hidden.f(), static_cast<const int*>(e.lengths.data), static_cast<int>(length), width,
      shape.pooling, shape.normalize, e.out.f());
  if (!Check(cudaGetLastError(), "kernel launch", error, error_size) ||
      !Check(cudaMemcpyAsync(out, e.out.data, count * h * sizeof(float), cudaMemcpyDeviceToHost,
                             e.stream),
             "cudaMemcpyAsync", error, error_size) ||
      !Check(cudaStreamSynchronize(e.stream), "kernel", error, error_size)) {
    return -1;
  }
  return 0;
}

__attribute__((visibility("default"))) void lmc_cuda_bert_destroy(void* encoder) {
  Destroy(static_cast<Encoder*>(encoder));
}

}  // extern "C"
