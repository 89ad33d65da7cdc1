// File: handlers/durable/internal/batch_runner.h
//
// BatchRunner: the engine behind Map and Parallel, run inside the batch's own CONTEXT
// operation. Branch i is that context's (i+1)-th operation, a MapIteration/ParallelBranch child
// context, whatever order the branches finish in (so ids do not depend on scheduling).
//
// Scheduling (the official SDKs' rules, PROTOCOL.md §9): branches start in index order, at most
// max_concurrency in flight; a branch that suspended keeps its slot. The calling thread
// coordinates and up to kMaxThreads workers run branches. The batch completes when every
// branch finished or min_successful succeeded, and stops starting branches once failures exceed
// the tolerance. If it can neither complete nor start anything (every slot held by a suspended
// branch), it suspends. On completion, branches still running are abandoned (see
// durable_context.h) and reported as STARTED, exactly as they stood when it completed; the
// workers are joined before Run() returns. With NestingType::kFlat a branch is no operation of its
// own: it runs in a virtual context whose operations take the branch's step id as their prefix
// and the batch's CONTEXT as their ParentId, and a replay runs it again over them.
//
// Example (inside DurableContext::RunBatch):
//
//   internal::BatchRunner runner(batch_context, spec);
//   context_internal::EncodedBatch batch = runner.Run();   // may throw Suspend/FatalSignal
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "handlers/durable/durable_context.h"
#include "handlers/durable/internal/batch_json.h"

namespace lmc::durable::internal {

// BatchRunner
//
// Single use. Not thread-safe itself (the calling thread owns it); its workers synchronise on
// its mutex.
class BatchRunner {
 public:
  // Workers per batch: enough to overlap branches that block in step bodies, bounded so that
  // many concurrent executions with wide batches do not multiply threads without limit.
  static constexpr size_t kMaxThreads = 16;

  BatchRunner(DurableContext& batch, const context_internal::BatchSpec& spec)
      : batch_(batch), spec_(spec) {}

  // Runs (or replays) the batch; throws SuspendSignal when it must suspend, FatalSignal when the
  // execution must stop.
  context_internal::EncodedBatch Run();

 private:
  // The batch context SUCCEEDED with ReplayChildren: rebuild the result from the logged
  // branches, in order, starting nothing new.
  context_internal::EncodedBatch Rebuild();
  bool execution_fatal() const;

  // What the coordinator and the workers share (batch_runner.cc).
  struct Board;
  // Runs branch `index` on the calling (worker) thread and records its outcome.
  void RunBranch(Board& board, size_t index);
  // Runs branch `index` in a virtual context (NestingType::kFlat): nothing logged for the branch
  // itself, its operations logged under the batch's CONTEXT. Throws FatalSignal only.
  DurableContext::ChildOutcome RunFlat(size_t index);
  // Rebuild() of a FLAT batch: from the summary's completion record, running the branches it
  // recorded terminal again over their logged operations.
  context_internal::EncodedBatch RebuildFlat();
  // A worker: runs branches as the coordinator queues them, until it stops.
  static void Work(BatchRunner& runner, Board& board);
  // Starts branches as slots allow and waits for them until the batch completes (its result)
  // or cannot go on (nullopt: it must suspend, or the execution failed).
  std::optional<context_internal::EncodedBatch> Coordinate(Board& board, size_t limit);
  // The batch as it stands, `board.mu` held (STARTED for branches running or suspended).
  static context_internal::EncodedBatch Snapshot(Board& board, CompletionReason reason);

  DurableContext& batch_;
  const context_internal::BatchSpec& spec_;
};

}  // namespace lmc::durable::internal
