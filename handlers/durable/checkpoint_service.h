// File: handlers/durable/checkpoint_service.h
//
// CheckpointService: the two calls a durable execution makes to Lambda while it runs
// (CheckpointDurableExecution and GetDurableExecutionState, PROTOCOL.md §4-§5), behind an
// interface so that the real client (handlers/durable/lambda_client.h) and test fakes
// (handlers/durable/testing/fake_checkpoint_service.h) are interchangeable.
//
// Error contract (how the SDK reacts depends on the code, PROTOCOL.md §6):
//   - kUnavailable: the service could not be reached or answered 5xx; kResourceExhausted:
//     throttled (429). Both are retried in-process with backoff, then fail the invocation
//     (Lambda retries it).
//   - kAborted: the checkpoint token was rejected (stale or reused). Fails the invocation; the
//     next one gets a fresh token.
//   - anything else (kInvalidArgument, kPermissionDenied, kNotFound, kFailedPrecondition):
//     the execution cannot go on; it is answered FAILED.
//
// Example:
//
//   class Recording : public lmc::durable::CheckpointService {
//     absl::StatusOr<CheckpointResponse> Checkpoint(const CheckpointRequest& r) override {...}
//     absl::StatusOr<StateResponse> GetState(const StateRequest& r) override {...}
//   };
#pragma once

#include <chrono>
#include <cstddef>

#include "absl/status/statusor.h"
#include "handlers/durable/operation.h"

namespace lmc::durable {

// CheckpointOptions
//
// How the SDK batches and retries its calls. The defaults are the official SDKs' limits.
struct CheckpointOptions {
  // Most updates' bytes (estimated) and updates per CheckpointDurableExecution request; a single
  // larger update is sent alone.
  size_t max_batch_bytes = size_t{750} * 1024;
  size_t max_batch_updates = 250;
  // In-process tries of one call that failed with kUnavailable or kResourceExhausted, with
  // jittered exponential backoff between them (base doubling up to max).
  int max_attempts = 4;
  std::chrono::milliseconds retry_base{100};
  std::chrono::milliseconds retry_max{2000};
};

// CheckpointService
//
// Implementations must be thread-safe: one service serves every execution of the process at
// once (the SDK never has two calls in flight for one execution).
class CheckpointService {
 public:
  virtual ~CheckpointService() = default;

  virtual absl::StatusOr<CheckpointResponse> Checkpoint(const CheckpointRequest& request) = 0;
  virtual absl::StatusOr<StateResponse> GetState(const StateRequest& request) = 0;
};

}  // namespace lmc::durable
