// File: handlers/inference/worker_pool.h
//
// WorkerPool: a fixed team of threads for fork-join parallel loops inside one forward pass.
// Run(parts, fn) calls fn(0) ... fn(parts - 1) at once, one index per thread (the calling thread
// takes the last), and returns when all have returned. The helpers block between runs (no spinning:
// the runtime's invocation threads share the cores), and nothing is allocated per run.
//
// Example:
//
//   lmc::inference::WorkerPool pool(4);
//   pool.Run(4, [&](size_t part) { ProcessRows(part * rows / 4, (part + 1) * rows / 4); });
#pragma once

#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "lmc/mutex.h"

namespace lmc::inference {

// WorkerPool
//
// Run() is called by one thread at a time (its owner; concurrent Run() calls are a contract
// violation). The pool owns its threads; the destructor stops and joins them.
class WorkerPool {
 public:
  // `size` >= 1 parts per run: size - 1 helper threads plus the caller.
  explicit WorkerPool(size_t size);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  size_t size() const { return size_; }

  // Runs fn(i) for every i in [0, parts) in parallel (1 <= parts <= size()); returns when every
  // call has returned. With one part, fn(0) runs on the caller and no helper is woken. `fn` must
  // not throw.
  void Run(size_t parts, absl::FunctionRef<void(size_t)> fn);
  // Runs fn(i) for every i in [0, size()).
  void Run(absl::FunctionRef<void(size_t)> fn) { Run(size_, fn); }

  // The number of CPUs this process may run on (sched_getaffinity), at least 1.
  static size_t AvailableCpus();

 private:
  void HelperLoop(size_t index);

  const size_t size_;
  Mutex mu_;
  const absl::FunctionRef<void(size_t)>* job_ ABSL_GUARDED_BY(mu_) = nullptr;
  size_t parts_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // one more per Run()
  size_t running_ ABSL_GUARDED_BY(mu_) = 0;       // helpers still in this run's job
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> helpers_;  // last: they start once the state above exists
};

}  // namespace lmc::inference
