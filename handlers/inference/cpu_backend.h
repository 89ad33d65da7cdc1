// File: handlers/inference/cpu_backend.h
//
// The CPU backend: matrix products on OpenBLAS (cblas_sgemm), the MLP's bias, activation and
// softmax, and the embedding search's top-K. It runs each batch on its own threads
// (worker_pool.h), one share per thread: each MLP layer's outputs, the search's embedding rows.
// OpenBLAS runs single-threaded inside them (openblas_set_num_threads(1), for the whole
// process): OpenBLAS's own pool spins (sched_yield) for a while after every product, and on a
// Lambda function's few vCPUs that spinning took the CPU the runtime's invocation threads needed
// (a perf profile at N = 64 put a sixth of all CPU time in sched_yield; see
// docs/PERFORMANCE.md). The backend's helpers block between batches instead.
//
// Example:
//
//   std::unique_ptr<lmc::inference::Backend> cpu = lmc::inference::CreateCpuBackend(*model);
#pragma once

#include <cstddef>
#include <memory>

#include "handlers/inference/backend.h"
#include "handlers/inference/model.h"

namespace lmc::inference {

// CpuBackendOptions
//
// threads: how many threads share each batch, the caller's included; 0: every CPU the process
// may run on. (ThreadSanitizer builds always use 1: Debian's OpenBLAS is not instrumented.)
struct CpuBackendOptions {
  size_t threads = 0;
};

// A Backend running `model` on the CPU. `model` must outlive it. See Backend for thread-safety.
std::unique_ptr<Backend> CreateCpuBackend(const Model& model,
                                          const CpuBackendOptions& options = {});

}  // namespace lmc::inference
