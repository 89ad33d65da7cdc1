// File: handlers/durable/internal/signals.h
//
// The two ways lmc::durable unwinds a workflow's stack. Neither derives from std::exception, so
// a workflow's `catch (const std::exception&)` lets them through; a `catch (...)` that swallows
// one is noticed anyway (the context records its suspension, the execution its fatal error) and
// the invocation ends as it would have.
//
//   SuspendSignal: this context (and so its callers) cannot go on in this invocation: a wait is
//     not yet due, a callback or chained invoke is not answered, a retry is scheduled, or a
//     Map/Parallel branch was abandoned because its batch completed. Every update made so far is
//     (or will be) checkpointed; the invocation answers PENDING.
//   FatalSignal: the execution must stop (Execution::fatal() says why).
//
// Example (inside the SDK):
//
//   if (op->status != OperationStatus::kSucceeded) {
//     suspended_ = true;
//     throw internal::SuspendSignal{};
//   }
#pragma once

namespace lmc::durable::internal {

struct SuspendSignal {};
struct FatalSignal {};

}  // namespace lmc::durable::internal
