// File: handlers/inference/cpu_backend.h
//
// The CPU backend: matrix products on OpenBLAS (cblas_sgemm), bias, activation, softmax and the
// embedding search's top-K in plain C++. OpenBLAS uses its own thread pool for large products.
//
// Example:
//
//   std::unique_ptr<lmc::inference::Backend> cpu = lmc::inference::CreateCpuBackend(*model);
#pragma once

#include <memory>

#include "handlers/inference/backend.h"
#include "handlers/inference/model.h"

namespace lmc::inference {

// A Backend running `model` on the CPU. `model` must outlive it. See Backend for thread-safety.
std::unique_ptr<Backend> CreateCpuBackend(const Model& model);

// Applies the exact GELU, 0.5 x (1 + erf(x / sqrt 2)). Shared with tests' reference code.
float Gelu(float x);

}  // namespace lmc::inference
