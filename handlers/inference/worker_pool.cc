#include "handlers/inference/worker_pool.h"

#include <sched.h>

#include <algorithm>

namespace lmc::inference {

WorkerPool::WorkerPool(size_t size) : size_(std::max<size_t>(size, 1)) {
  helpers_.reserve(size_ - 1);
  for (size_t i = 0; i + 1 < size_; ++i) helpers_.emplace_back([this, i] { HelperLoop(i); });
}

WorkerPool::~WorkerPool() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& helper : helpers_) helper.join();
}

void WorkerPool::Run(size_t parts, absl::FunctionRef<void(size_t)> fn) {
  parts = std::clamp<size_t>(parts, 1, size_);
  if (parts == 1) {
    fn(0);
    return;
  }
  {
    MutexLock lock(&mu_);
    job_ = &fn;
    parts_ = parts;
    ++generation_;
    running_ = size_ - 1;
  }
  fn(parts - 1);
  MutexLock lock(&mu_);
  mu_.Await([this] {
    mu_.AssertHeld();
    return running_ == 0;
  });
  job_ = nullptr;
}

void WorkerPool::HelperLoop(size_t index) {
  uint64_t seen = 0;
  while (true) {
    const absl::FunctionRef<void(size_t)>* job = nullptr;
    size_t parts = 0;
    {
      MutexLock lock(&mu_);
      mu_.Await([this, seen] {
        mu_.AssertHeld();
        return stopping_ || generation_ != seen;
      });
      if (stopping_) return;
      seen = generation_;
      job = job_;
      parts = parts_;
    }
    // Helper i takes part i; the caller takes the last part, so helpers at or past it idle.
    if (index + 1 < parts) (*job)(index);
    MutexLock lock(&mu_);
    --running_;
  }
}

size_t WorkerPool::AvailableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    return std::max<size_t>(std::thread::hardware_concurrency(), 1);
  }
  return std::max<size_t>(static_cast<size_t>(CPU_COUNT(&set)), 1);
}

}  // namespace lmc::inference
