// File: handlers/inference/cuda_support.cuh
//
// What the CUDA plugin's two halves (cuda_backend.cu: MLP and embedding search; cuda_bert.cu:
// the BERT encoder) share: a device buffer that only grows, the one way a CUDA or cuBLAS
// failure becomes the plugin's error text ("<what>: <detail>" in the caller's buffer, see
// cuda_plugin_abi.h), and the block-wide sum and maximum their kernels reduce rows with.
//
// Example:
//
//   DeviceBuffer scores;
//   if (!Check(scores.Reserve(rows * width * sizeof(float)), "cudaMalloc(scores)", error, size)) {
//     return 1;
//   }
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdio>

namespace lmc::inference::cuda_internal {

// DeviceBuffer
//
// Device memory that grows to the largest size asked for and is never shrunk; freed by its
// owner (the plugin's destroy call). Not thread-safe: each belongs to one backend or encoder,
// used under the loader's lock.
struct DeviceBuffer {
  void* data = nullptr;
  size_t bytes = 0;
  // Makes room for `want` bytes; the contents are lost when it grows.
  cudaError_t Reserve(size_t want) {
    if (want <= bytes) return cudaSuccess;
    if (data != nullptr) cudaFree(data);
    data = nullptr;
    bytes = 0;
    const cudaError_t status = cudaMalloc(&data, want);
    if (status == cudaSuccess) bytes = want;
    return status;
  }
  float* f() const { return static_cast<float*>(data); }
};

// Writes "<what>: <detail>" into `error` (`size` bytes, may be null).
inline void SetError(char* error, size_t size, const char* what, const char* detail) {
  if (error != nullptr && size > 0) std::snprintf(error, size, "%s: %s", what, detail);
}

// True on success; otherwise the error text names `what` and CUDA's description.
inline bool Check(cudaError_t status, const char* what, char* error, size_t size) {
  if (status == cudaSuccess) return true;
  SetError(error, size, what, cudaGetErrorString(status));
  return false;
}

// The same for cuBLAS, whose statuses have no description: "cuBLAS status N".
inline bool CheckBlas(cublasStatus_t status, const char* what, char* error, size_t size) {
  if (status == CUBLAS_STATUS_SUCCESS) return true;
  char code[32];
  std::snprintf(code, sizeof(code), "cuBLAS status %d", static_cast<int>(status));
  SetError(error, size, what, code);
  return false;
}

// The sum of `value` over the block, returned to every thread. `shared` holds blockDim.x floats
// (a power of two); every thread of the block must call it.
__device__ inline float BlockSum(float value, float* shared) {
  shared[threadIdx.x] = value;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) shared[threadIdx.x] += shared[threadIdx.x + s];
    __syncthreads();
  }
  const float sum = shared[0];
  __syncthreads();
  return sum;
}

// The maximum of `value` over the block, on the same terms.
__device__ inline float BlockMax(float value, float* shared) {
  shared[threadIdx.x] = value;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) shared[threadIdx.x] = fmaxf(shared[threadIdx.x], shared[threadIdx.x + s]);
    __syncthreads();
  }
  const float max = shared[0];
  __syncthreads();
  return max;
}

}  // namespace lmc::inference::cuda_internal
