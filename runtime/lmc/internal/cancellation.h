// File: lmc/internal/cancellation.h (private: not part of the user surface)
//
// Cancellation: tells a running handler that it should stop because its deadline has passed or
// the runtime is shutting down. On Lambda Managed Instances a timed-out invocation is failed but
// its code is not stopped, so a handler that keeps working after its deadline only wastes the
// instance; checking cancellation lets it give up. Handlers see it through Context.
//
// Example (the runtime's side; handlers read it through Context::cancelled()):
//
//   lmc::internal::Cancellation cancellation;               // one per poll loop
//   cancellation.Reset();                    // before each invocation
//   cancellation.Cancel(CancellationReason::kDeadlineExceeded);   // from the watchdog
#pragma once

#include <chrono>

#include "lmc/cancellation.h"
#include "lmc/mutex.h"

namespace lmc::internal {

// Cancellation
//
// Thread-safe. The runtime owns one per poll loop and resets it for each invocation; handlers
// only read it (through Context).
class Cancellation {
 public:
  // Cancels with `reason` unless already cancelled (the first reason sticks).
  void Cancel(CancellationReason reason) {
    MutexLock lock(&mu_);
    if (reason_ == CancellationReason::kNone) reason_ = reason;
  }

  // Clears the state for the next invocation.
  void Reset() {
    MutexLock lock(&mu_);
    reason_ = CancellationReason::kNone;
  }

  bool cancelled() const { return reason() != CancellationReason::kNone; }

  CancellationReason reason() const {
    MutexLock lock(&mu_);
    return reason_;
  }

  // Blocks until cancelled or `timeout` passes. Returns cancelled().
  bool Wait(std::chrono::nanoseconds timeout) const {
    MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(
        [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return reason_ != CancellationReason::kNone; },
        timeout);
  }

 private:
  mutable Mutex mu_;
  CancellationReason reason_ ABSL_GUARDED_BY(mu_) = CancellationReason::kNone;
};

}  // namespace lmc::internal
