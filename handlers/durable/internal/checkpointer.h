// File: handlers/durable/internal/checkpointer.h
//
// Checkpointer: one execution's side of CheckpointDurableExecution. Updates queue up in order;
// whoever needs one persisted (Commit) either sends the queue's head as one request (one
// request per flush, within the batch limits) or waits for the request already in flight, so
// the calls of an execution are strictly serialised and each CheckpointToken is used once,
// however many branches checkpoint at once. Updates nobody waits for (Enqueue) ride along with
// the next flush. Each answer's operations go to the log (through `apply`), its NextMarker is
// paged with GetDurableExecutionState, and its token replaces the old one; an answer without a
// token ends the execution (nothing more may be checkpointed).
//
// Failures: kUnavailable/kResourceExhausted are retried in-process with jittered backoff and
// the same ClientToken (so a request that did land is not applied twice); an error that remains
// breaks the checkpointer: that call and every later one return it, nothing is lost silently.
//
// Example:
//
//   Checkpointer checkpointer(service, arn, token, options, [&](std::vector<Operation> ops) {
//     log.Apply(std::move(ops));
//   });
//   checkpointer.Enqueue(step_start);                          // async
//   LMC_RETURN_IF_ERROR(checkpointer.Commit(step_succeed));    // both go in one request
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "handlers/durable/checkpoint_service.h"
#include "handlers/durable/operation.h"
#include "lmc/mutex.h"

namespace lmc::durable::internal {

// Checkpointer
//
// Thread-safe: any branch of the execution may call it at any time. `service` and what
// `apply` refers to must outlive it. `apply` is called by one thread at a time, in answer
// order, with no lock of the checkpointer held.
class Checkpointer {
 public:
  using ApplyFn = std::function<void(std::vector<Operation> operations)>;

  Checkpointer(CheckpointService& service, std::string durable_execution_arn,
               std::string checkpoint_token, CheckpointOptions options, ApplyFn apply);
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Queues `update` for the next flush; never blocks on the network.
  void Enqueue(OperationUpdate update);
  // Queues `update` and returns once the request carrying it (and everything queued before it)
  // has been answered, or with the error that stopped it.
  absl::Status Commit(OperationUpdate update);
  // Sends everything queued; OK at once when nothing is.
  absl::Status Flush();

  // Pages the log from `marker` with GetDurableExecutionState and the current token, handing
  // each page to `apply`. Used once at start-up (the event's NextMarker).
  absl::Status LoadPages(std::string marker);

  // True once an answer came without a token (the execution reached a terminal state).
  bool ended() const;

 private:
  struct Queued {
    uint64_t seq;
    size_t bytes;
    OperationUpdate update;
  };

  // Returns once every update up to `seq` has been answered (sending batches as the leader
  // when no request is in flight), or with the error that broke the checkpointer.
  absl::Status WaitFor(uint64_t seq);
  // Takes the queue's head within the batch limits; mu_ held.
  std::vector<OperationUpdate> TakeBatch(uint64_t& last_seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // One CheckpointDurableExecution request for `batch` (with in-process retries), then the
  // answer's pages; returns the next token (nullopt: the execution ended). No lock held.
  absl::StatusOr<std::optional<std::string>> Send(std::vector<OperationUpdate> batch,
                                                  const std::string& token);
  // Pages from `marker` with `token`.
  absl::Status Page(std::string marker, const std::string& token);
  // Runs `call` up to options_.max_attempts times while it fails with a transient code.
  template <typename Call>
  auto WithRetries(const Call& call) -> decltype(call());

  CheckpointService& service_;
  const std::string arn_;
  const CheckpointOptions options_;
  const ApplyFn apply_;

  mutable Mutex mu_;
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t done_seq_ ABSL_GUARDED_BY(mu_) = 0;
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  std::string token_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status broken_ ABSL_GUARDED_BY(mu_);
};

// A rough size of `update` on the wire, for the batch byte limit.
size_t EstimatedBytes(const OperationUpdate& update);

}  // namespace lmc::durable::internal
