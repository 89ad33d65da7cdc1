// The CUDA backend plugin (liblmc_inference_cuda.so): cuBLAS for the matrix products, small
// kernels for bias + activation, softmax and the embedding search's top-K. Loaded with dlopen()
// by cuda_loader.cc through the C interface in cuda_plugin_abi.h; built only where the CUDA
// toolkit is installed. Weights are uploaded once in lmc_cuda_create(); batches reuse device
// buffers that only grow.
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
// Above this K the top-K runs on the host (K rounds of a block-wide arg-max stop paying off).
constexpr size_t kMaxDeviceK = 256;

struct Layer {
  size_t in = 0;
  size_t out = 0;
  float* weight = nullptr;  // [out, in] row-major
  float* bias = nullptr;
};

struct Backend {
  int kind = 0;
  int activation = 0;
  int head = 0;
  std::vector<Layer> layers;
  size_t rows = 0;
  size_t dim = 0;
  float* embeddings = nullptr;
  cublasHandle_t blas = nullptr;
  cudaStream_t stream = nullptr;
  DeviceBuffer input, a, b, scores, top_values, top_ids;
  std::vector<float> host_scores;
};

__global__ void BiasActivation(float* values, const float* bias, size_t rows, size_t width,
                               int activation) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i >= rows * width) return;
  float x = values[i] + bias[i % width];
  if (activation == 0) {
    x = fmaxf(x, 0.0F);
  } else if (activation == 1) {
    x = 0.5F * x * (1.0F + erff(x * 0.70710678118654752F));
  }
  values[i] = x;
}

// One block per row: max, sum of exponentials, scale.
__global__ void Softmax(float* values, size_t width) {
  __shared__ float shared[kThreads];
  float* row = values + blockIdx.x * width;
  float max = -INFINITY;
  for (size_t j = threadIdx.x; j < width; j += blockDim.x) max = fmaxf(max, row[j]);
  max = BlockMax(max, shared);
  float sum = 0;
  for (size_t j = threadIdx.x; j < width; j += blockDim.x) {
    row[j] = expf(row[j] - max);
    sum += row[j];
  }
  const float scale = 1.0F / BlockSum(sum, shared);
  for (size_t j = threadIdx.x; j < width; j += blockDim.x) row[j] *= scale;
}

// One block per query: K rounds of a block-wide arg-max (largest score, then lowest id), each
// winner knocked out with -inf (cosine scores are finite, in [-1, 1]).
__global__ void TopK(float* scores, size_t n, size_t k, float* top_values, uint32_t* top_ids) {
  __shared__ float best_value[kThreads];
  __shared__ uint32_t best_id[kThreads];
  float* row = scores + blockIdx.x * n;
  for (size_t round = 0; round < k; ++round) {
    float value = -INFINITY;
    uint32_t id = 0xFFFFFFFFU;
    for (size_t j = threadIdx.x; j < n; j += blockDim.x) {
      const float v = row[j];
      if (v > value || (v == value && j < id)) {
        value = v;
        id = static_cast<uint32_t>(j);
      }
    }
    best_value[threadIdx.x] = value;
    best_id[threadIdx.x] = id;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) {
        const float other = best_value[threadIdx.x + s];
        const uint32_t other_id = best_id[threadIdx.x + s];
        if (other > best_value[threadIdx.x] ||
            (other == best_value[threadIdx.x] && other_id < best_id[threadIdx.x])) {
          best_value[threadIdx.x] = other;
          best_id[threadIdx.x] = other_id;
        }
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      top_values[blockIdx.x * k + round] = best_value[0];
      top_ids[blockIdx.x * k + round] = best_id[0];
      if (best_id[0] < n) row[best_id[0]] = -INFINITY;
    }
    __syncthreads();
  }
}

unsigned Blocks(size_t count) { return static_cast<unsigned>((count + kThreads - 1) / kThreads); }

// Host top-K for large K: the same order as the device kernel.
void HostTopK(const float* values, size_t n, size_t k, float* top_values, uint32_t* top_ids) {
  std::vector<uint32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [values](uint32_t x, uint32_t y) {
                      return values[x] > values[y] || (values[x] == values[y] && x < y);
                    });
  for (size_t i = 0; i < k; ++i) {
    top_ids[i] = order[i];
    top_values[i] = values[order[i]];
  }
}

void Destroy(Backend* backend) {
  if (backend == nullptr) return;
  for (Layer& layer : backend->layers) {
    cudaFree(layer.weight);
    cudaFree(layer.bias);
  }
  cudaFree(backend->embeddings);
  for (DeviceBuffer* buffer : {&backend->input, &backend->a, &backend->b, &backend->scores,
                         &backend->top_values, &backend->top_ids}) {
    cudaFree(buffer->data);
  }
  if (backend->blas != nullptr) cublasDestroy(backend->blas);
  if (backend->stream != nullptr) cudaStreamDestroy(backend->stream);
  delete backend;
}

bool Upload(const float* host, size_t count, float** device, char* error, size_t size) {
  return Check(cudaMalloc(reinterpret_cast<void**>(device), count * sizeof(float)), "cudaMalloc",
               error, size) &&
         Check(cudaMemcpy(*device, host, count * sizeof(float), cudaMemcpyHostToDevice),
               "cudaMemcpy", error, size);
}

// The MLP's layers over `num_rows` rows already in backend->input; `values` gets the output.
int RunMlp(Backend* backend, size_t num_rows, float* values, size_t* width, char* error,
           size_t error_size) {
  const float one = 1.0F;
  const float zero = 0.0F;
  const float* input = backend->input.f();
  float* output = nullptr;
  for (size_t i = 0; i < backend->layers.size(); ++i) {
    const Layer& layer = backend->layers[i];
    DeviceBuffer& target = i % 2 == 0 ? backend->a : backend->b;
    if (!Check(target.Reserve(num_rows * layer.out * sizeof(float)), "cudaMalloc", error,
               error_size)) {
      return -1;
    }
    output = target.f();
    // Row-major out[B, o] = in[B, i] W^T is column-major out^T = W in^T.
    if (!CheckBlas(
            cublasSgemm(backend->blas, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(layer.out),
                        static_cast<int>(num_rows), static_cast<int>(layer.in), &one,
                        layer.weight, static_cast<int>(layer.in), input,
                        static_cast<int>(layer.in), &zero, output, static_cast<int>(layer.out)),
            "cublasSgemm", error, error_size)) {
      return -1;
    }
    const bool last = i + 1 == backend->layers.size();
    BiasActivation<<<Blocks(num_rows * layer.out), kThreads, 0, backend->stream>>>(
        output, layer.bias, num_rows, layer.out, last ? -1 : backend->activation);
    if (last && backend->head == 1) {
      Softmax<<<static_cast<unsigned>(num_rows), kThreads, 0, backend->stream>>>(output,
                                                                                 layer.out);
    }
    input = output;
  }
  const size_t out_width = backend->layers.back().out;
  if (!Check(cudaMemcpyAsync(values, output, num_rows * out_width * sizeof(float),
                             cudaMemcpyDeviceToHost, backend->stream),
             "cudaMemcpyAsync", error, error_size) ||
      !Check(cudaStreamSynchronize(backend->stream), "kernel", error, error_size)) {
    return -1;
  }
  *width = out_width;
  return 0;
}

// The embedding search: scores of every query in backend->input against every stored row, then
// the top `k` of each (on the device up to kMaxDeviceK, else on the host).
int RunSearch(Backend* backend, size_t num_rows, size_t k, float* values, uint32_t* ids,
              size_t* width, char* error, size_t error_size) {
  const float one = 1.0F;
  const float zero = 0.0F;
  const size_t n = backend->rows;
  k = std::min(std::max<size_t>(k, 1), n);
  if (!Check(backend->scores.Reserve(num_rows * n * sizeof(float)), "cudaMalloc", error,
             error_size) ||
      !CheckBlas(cublasSgemm(backend->blas, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(n),
                             static_cast<int>(num_rows), static_cast<int>(backend->dim), &one,
                             backend->embeddings, static_cast<int>(backend->dim),
                             backend->input.f(), static_cast<int>(backend->dim), &zero,
                             backend->scores.f(), static_cast<int>(n)),
                 "cublasSgemm", error, error_size)) {
    return -1;
  }
  if (k <= kMaxDeviceK) {
    if (!Check(backend->top_values.Reserve(num_rows * k * sizeof(float)), "cudaMalloc", error,
               error_size) ||
        !Check(backend->top_ids.Reserve(num_rows * k * sizeof(uint32_t)), "cudaMalloc", error,
               error_size)) {
      return -1;
    }
    TopK<<<static_cast<unsigned>(num_rows), kThreads, 0, backend->stream>>>(
        backend->scores.f(), n, k, backend->top_values.f(),
        static_cast<uint32_t*>(backend->top_ids.data));
    if (!Check(cudaMemcpyAsync(values, backend->top_values.data, num_rows * k * sizeof(float),
                               cudaMemcpyDeviceToHost, backend->stream),
               "cudaMemcpyAsync", error, error_size) ||
        !Check(cudaMemcpyAsync(ids, backend->top_ids.data, num_rows * k * sizeof(uint32_t),
                               cudaMemcpyDeviceToHost, backend->stream),
               "cudaMemcpyAsync", error, error_size) ||
        !Check(cudaStreamSynchronize(backend->stream), "kernel", error, error_size)) {
      return -1;
    }
  } else {
    backend->host_scores.resize(num_rows * n);
    if (!Check(
            cudaMemcpyAsync(backend->host_scores.data(), backend->scores.data,
                            num_rows * n * sizeof(float), cudaMemcpyDeviceToHost, backend->stream),
            "cudaMemcpyAsync", error, error_size) ||
        !Check(cudaStreamSynchronize(backend->stream), "kernel", error, error_size)) {
      return -1;
    }
    for (size_t q = 0; q < num_rows; ++q) {
      HostTopK(backend->host_scores.data() + q * n, n, k, values + q * k, ids + q * k);
    }
  }
  *width = k;
  return 0;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int lmc_cuda_abi_version(void) { return kLmcCudaAbiVersion; }

__attribute__((visibility("default"))) int lmc_cuda_device_count(void) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) return 0;
  return count;
}

__attribute__((visibility("default"))) void* lmc_cuda_create(const LmcCudaModel* model, char* error,
                                                             size_t error_size) {
  auto* backend = new (std::nothrow) Backend();
  if (backend == nullptr) {
    SetError(error, error_size, "lmc_cuda_create", "out of host memory");
    return nullptr;
  }
  backend->kind = model->kind;
  backend->activation = model->activation;
  backend->head = model->head;
  bool ok = Check(cudaSetDevice(0), "cudaSetDevice", error, error_size) &&
            Check(cudaStreamCreateWithFlags(&backend->stream, cudaStreamNonBlocking),
                  "cudaStreamCreate", error, error_size) &&
            CheckBlas(cublasCreate(&backend->blas), "cublasCreate", error, error_size) &&
            CheckBlas(cublasSetStream(backend->blas, backend->stream), "cublasSetStream", error,
                      error_size);
  if (ok && model->kind == 0) {
    for (size_t i = 0; ok && i < model->num_layers; ++i) {
      Layer layer;
      layer.in = model->layer_in[i];
      layer.out = model->layer_out[i];
      ok = Upload(model->weights[i], layer.in * layer.out, &layer.weight, error, error_size) &&
           Upload(model->biases[i], layer.out, &layer.bias, error, error_size);
      backend->layers.push_back(layer);
    }
  } else if (ok) {
    backend->rows = model->rows;
    backend->dim = model->dim;
    ok = Upload(model->embeddings, model->rows * model->dim, &backend->embeddings, error,
                error_size);
  }
  if (!ok) {
    Destroy(backend);
    return nullptr;
  }
  return backend;
}

__attribute__((visibility("default"))) int lmc_cuda_run(void* opaque, const float* rows,
                                                        size_t num_rows, size_t k, float* values,
                                                        uint32_t* ids, size_t* width, char* error,
                                                        size_t error_size) {
  auto* backend = static_cast<Backend*>(opaque);
  const size_t in_width = backend->kind == 0 ? backend->layers.front().in : backend->dim;
  if (!Check(backend->input.Reserve(num_rows * in_width * sizeof(float)), "cudaMalloc", error,
             error_size) ||
      !Check(cudaMemcpyAsync(backend->input.data, rows, num_rows * in_width * sizeof(float),
                             cudaMemcpyHostToDevice, backend->stream),
             "cudaMemcpyAsync", error, error_size)) {
    return -1;
  }
  if (backend->kind == 0) return RunMlp(backend, num_rows, values, width, error, error_size);
  return RunSearch(backend, num_rows, k, values, ids, width, error, error_size);
}

__attribute__((visibility("default"))) void lmc_cuda_destroy(void* backend) {
  Destroy(static_cast<Backend*>(backend));
}

}  // extern "C"
