// File: tools/durable/operation_log.h
//
// One durable execution's operation log and the service's rules for changing it: which
// OperationUpdates a checkpoint may carry (validated as a batch, nothing applied when one is
// wrong, with the service's InvalidParameterValueException messages), what each update does to
// the log (STEP START/SUCCEED/FAIL/RETRY, WAIT START/CANCEL, CALLBACK START, CHAINED_INVOKE
// START/CANCEL, CONTEXT START/SUCCEED/FAIL, EXECUTION SUCCEED/FAIL), the changes the service
// makes on its own (a wait ends, a retry becomes ready, a callback or chained invoke completes),
// and the history event each change records (StepStarted, WaitSucceeded, CallbackTimedOut, ...).
// It also answers the questions the API asks of the log: which operations a replay sees (the
// children of a completed context are left out unless it set ReplayChildren) and which changed
// since the handler last heard (the checkpoint answer's delta).
//
// No clock, no threads, no I/O: times come in as arguments, ids and chained invocations from a
// Hooks object, so every rule is unit-tested on its own (operation_log_test.cc).
//
// Example:
//
//   OperationLog log(execution_op, &history);
//   if (absl::Status s = log.Validate(request.updates); !s.ok()) return Reject(s);
//   ApplyEffects fx = log.Apply(request.updates, now, hooks);
//   for (const TimerRequest& t : log.Timers()) Arm(t);
//   std::vector<const Operation*> delta = log.ChangedSince(delivered_seq);
//
// Not thread-safe: its owner (the service, under its lock) serialises every call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tools/durable/model.h"

namespace lmc::durable_service {

// History
//
// The events of one execution, numbered from 1 in the order they happen.
class History {
 public:
  // Appends an event stamped `now`; `op` (nullable) gives Id, Name, ParentId and SubType.
  HistoryEvent& Add(std::string type, absl::Time now, const Operation* op);
  const std::vector<HistoryEvent>& events() const { return events_; }

 private:
  std::vector<HistoryEvent> events_;
};

// TimerRequest: a moment at which the service must change an operation on its own.
struct TimerRequest {
  enum class Kind { kWaitEnd, kRetryReady };
  Kind kind = Kind::kWaitEnd;
  std::string op_id;
  absl::Time due;
};

// ExecutionOutcome: an EXECUTION SUCCEED or FAIL update (a result too large for the response).
struct ExecutionOutcome {
  bool succeeded = false;
  std::optional<std::string> result;
  std::optional<ErrorObject> error;
};

// ApplyEffects: what the service must do after a batch is applied. (Wait and retry timers
// need no effect: Timers() lists them from the log.)
struct ApplyEffects {
  std::vector<std::string> callbacks_started;  // CALLBACK op ids (timeouts to arm)
  std::vector<std::string> chained_cancelled;  // CHAINED_INVOKE op ids (targets to stop)
  std::optional<ExecutionOutcome> outcome;
};

// ChainedStart: how the service started a CHAINED_INVOKE's target.
struct ChainedStart {
  std::string executed_version = "$LATEST";
  // The target's own durable execution, when it is a durable function.
  std::optional<std::string> durable_execution_arn;
  // Set when the target could not be started (unknown function): the operation fails at once.
  std::optional<ErrorObject> error;
};

// OperationLog
class OperationLog {
 public:
  // The service's side of Apply(): fresh callback ids and starting chained invocations.
  class Hooks {
   public:
    virtual ~Hooks() = default;
    virtual std::string NewCallbackId(const Operation& callback) = 0;
    virtual ChainedStart StartChainedInvoke(const Operation& op, const OperationUpdate& update) = 0;
  };

  // `execution` is the EXECUTION operation (first in the log); `history` must outlive the log.
  OperationLog(Operation execution, History* history);

  // Validate()
  //
  // InvalidArgument (rendered as InvalidParameterValueException) when any update of the batch
  // breaks a rule: ids and names outside the model's patterns, a duplicate id (except a STEP or
  // CONTEXT START followed by its completion), a parent that is not a CONTEXT, an action the
  // type does not have, a transition from the operation's current status, metadata that
  // differs from the logged operation, a missing or out-of-range option, a Payload on FAIL or an
  // Error on SUCCEED, more than one EXECUTION update or one that is not last.
  absl::Status Validate(const std::vector<OperationUpdate>& updates) const;

  // Apply()
  //
  // Applies a batch Validate() accepted, at time `now`, recording its events.
  ApplyEffects Apply(const std::vector<OperationUpdate>& updates, absl::Time now, Hooks& hooks);

  // The service's own changes. Each returns false (and changes nothing) when the operation is
  // missing or no longer in the status the change expects.
  bool EndWait(const std::string& op_id, absl::Time now);        // STARTED -> SUCCEEDED
  bool MakeStepReady(const std::string& op_id, absl::Time now);  // PENDING -> READY, no event
  // STARTED -> SUCCEEDED (result), FAILED (error) or TIMED_OUT (error).
  enum class Completion { kSucceeded, kFailed, kTimedOut, kStopped };
  bool CompleteCallback(const std::string& op_id, Completion how, std::optional<std::string> result,
                        std::optional<ErrorObject> error, absl::Time now);
  bool CompleteChainedInvoke(const std::string& op_id, Completion how,
                             std::optional<std::string> result, std::optional<ErrorObject> error,
                             absl::Time now);
  // The EXECUTION operation's final status.
  void CompleteExecution(OperationStatus status, absl::Time now);

  const Operation* Find(const std::string& op_id) const;
  const Operation& execution() const { return entries_.front().op; }
  size_t size() const { return entries_.size(); }

  // Operations a replay sees, in log order: all but the descendants of a terminal CONTEXT that
  // did not set ReplayChildren.
  std::vector<const Operation*> Visible() const;
  // Operations changed after change number `seq`, in log order (the checkpoint answer's delta).
  std::vector<const Operation*> ChangedSince(uint64_t seq) const;
  // The number of the latest change.
  uint64_t seq() const { return seq_; }
  // The moments at which a STARTED wait ends and a PENDING step becomes ready, in log order.
  std::vector<TimerRequest> Timers() const;
  // Whether anything can still wake a suspended execution: a STARTED wait, callback or chained
  // invoke, or a PENDING or READY step.
  bool HasPendingWork() const;

 private:
  struct Entry {
    Operation op;
    uint64_t touched = 0;      // change number of the last change
    int64_t wait_seconds = 0;  // WAIT: the requested duration, for WaitSucceeded
  };

  Entry* FindEntry(const std::string& op_id);
  // STARTED -> `how` for an operation of `type`, recording "<event_prefix><how>".
  bool CompleteStarted(const std::string& op_id, OperationType type, std::string_view event_prefix,
                       Completion how, std::optional<std::string> result,
                       std::optional<ErrorObject> error, absl::Time now);
  void Touch(Entry& e) { e.touched = ++seq_; }
  Entry& Create(const OperationUpdate& u, absl::Time now);
  absl::Status ValidateOne(const OperationUpdate& u, const Operation* current,
                           bool parent_started_in_batch) const;
  void ApplyStep(const OperationUpdate& u, absl::Time now);
  void ApplyContext(const OperationUpdate& u, absl::Time now);
  void ApplyWait(const OperationUpdate& u, absl::Time now);
  void ApplyCallback(const OperationUpdate& u, absl::Time now, Hooks& hooks, ApplyEffects& fx);
  void ApplyChainedInvoke(const OperationUpdate& u, absl::Time now, Hooks& hooks, ApplyEffects& fx);
  HistoryEvent& Record(std::string type, absl::Time now, const Operation& op);

  std::vector<Entry> entries_;  // log order; entries_[0] is the EXECUTION operation
  absl::flat_hash_map<std::string, size_t> index_;
  History* history_;
  uint64_t seq_ = 0;
};

}  // namespace lmc::durable_service
