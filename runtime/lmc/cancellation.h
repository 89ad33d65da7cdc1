// File: lmc/cancellation.h
//
// CancellationReason: why a running handler should stop. On Lambda Managed Instances a timed-out
// invocation is failed but its code is not stopped, so a handler that keeps working after its
// deadline only wastes the instance; checking Context::cancelled() lets it give up.
//
// Example:
//
//   for (const Chunk& chunk : chunks) {
//     if (context.cancelled()) return lmc::Error("Function.Cancelled", "deadline passed");
//     Process(chunk);
//   }
//   // or, to wait for something with an upper bound:
//   if (context.WaitForCancellation(std::chrono::milliseconds(50))) { ... give up ... }
#pragma once

namespace lmc {

// CancellationReason
enum class CancellationReason {
  kNone,              // Not cancelled.
  kDeadlineExceeded,  // The invocation's deadline passed.
  kShuttingDown,      // The runtime received SIGTERM/SIGINT or hit a fatal error.
};

}  // namespace lmc
