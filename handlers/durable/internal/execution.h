// File: handlers/durable/internal/execution.h
//
// Execution: everything one invocation of a durable function shares between its contexts and
// branch threads: the operation log (what the service knows, updated by every checkpoint
// answer), the checkpointer, the clock and logger, and the execution-wide fatal error (a
// non-deterministic replay, a checkpoint that failed for good) that ends the invocation
// whatever the workflow code does with the exception that reported it.
//
// Lifetime: created by the handler for one invocation; every context and branch thread that
// uses it is gone before it is destroyed (Map/Parallel join their threads).
//
// Example:
//
//   internal::Execution execution(input.durable_execution_arn, input.checkpoint_token, service,
//                                 options, clock, context.logger());
//   LMC_RETURN_IF_ERROR(execution.Load(std::move(input.operations), input.next_marker));
//   std::optional<Operation> op = execution.Find(id);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "handlers/durable/checkpoint_service.h"
#include "handlers/durable/internal/checkpointer.h"
#include "handlers/durable/operation.h"
#include "lmc/clock.h"
#include "lmc/logger.h"
#include "lmc/mutex.h"

namespace lmc::durable::internal {

// FatalError
//
// Why the invocation cannot go on. `retry_invocation`: a transient or token problem, answered
// through the Runtime API's /error so that Lambda invokes again; otherwise the execution is
// answered FAILED with `error`.
struct FatalError {
  ErrorObject error;
  bool retry_invocation = false;
};

// Execution
//
// Thread-safe. Not copyable.
class Execution {
 public:
  Execution(std::string durable_execution_arn, std::string checkpoint_token,
            CheckpointService& service, const CheckpointOptions& options, const Clock& clock,
            const Logger& logger);
  Execution(const Execution&) = delete;
  Execution& operator=(const Execution&) = delete;

  // Fills the log from the event's operations (taken as they are, not copied) and pages the rest
  // from `next_marker`. InvalidArgument when the log has no EXECUTION operation or repeats an id.
  absl::Status Load(std::vector<Operation>&& operations, std::string next_marker);

  // The logged operation with wire Id `id` (a copy: the log changes under concurrent branches).
  std::optional<Operation> Find(std::string_view id) const;
  bool Has(std::string_view id) const;
  size_t size() const;
  // The EXECUTION operation's InputPayload ("" when absent).
  std::string input_payload() const;

  Checkpointer& checkpointer() { return checkpointer_; }
  const Clock& clock() const { return clock_; }
  const Logger& logger() const { return logger_; }
  const std::string& arn() const { return arn_; }

  // Records the first fatal error (later ones are dropped); see FatalError.
  void Fail(FatalError error);
  std::optional<FatalError> fatal() const;

 private:
  // Hashes and compares the entries of `index_` (positions in `log_`) by their operation's Id,
  // and looks them up by an Id (`std::string_view`).
  struct ById {
    using is_transparent = void;
    size_t operator()(uint32_t position) const;
    size_t operator()(std::string_view id) const;
    bool operator()(uint32_t a, uint32_t b) const;
    bool operator()(uint32_t position, std::string_view id) const;
    bool operator()(std::string_view id, uint32_t position) const;
    const std::vector<Operation>* log;
  };

  // Replaces each operation's entry (by Id), or appends it.
  void Apply(std::vector<Operation> operations);
  // The entry with wire Id `id`, or null.
  const Operation* Lookup(std::string_view id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string arn_;
  const Clock& clock_;
  const Logger logger_;
  mutable Mutex mu_;
  // The log in the order it arrived (the event's vector itself, so loading it moves nothing),
  // and its index by Id: positions, so that neither copies an Id nor minds `log_` growing.
  std::vector<Operation> log_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<uint32_t, ById, ById> index_ ABSL_GUARDED_BY(mu_);
  std::optional<FatalError> fatal_ ABSL_GUARDED_BY(mu_);
  Checkpointer checkpointer_;
};

}  // namespace lmc::durable::internal
