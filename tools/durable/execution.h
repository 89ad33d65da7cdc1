// File: tools/durable/execution.h
//
// One durable execution as the local service runs it: its operation log and history
// (operation_log.h), the invocation gate (at most one invocation in flight; a change that
// arrives meanwhile re-invokes once it ends), the checkpoint tokens (each used once; a stale or
// unknown one is rejected with "Invalid Checkpoint Token"), paging of the operation log
// (InitialExecutionState, GetDurableExecutionState and NextMarker), callbacks and their
// timeouts and heartbeats, scripted callback answers, failed-invocation retries, and the
// execution's own clock.
//
// Time: an execution keeps `skew`, how far its clock runs ahead of the real one. With time
// skipping, an execution that has nothing to do but wait (no invocation in flight or due, no
// chained invoke running) jumps its clock to its next timer, so a one-hour wait costs nothing
// and timers still fire in their true order (a 3 s callback timeout before a 6 s wait).
// Every timestamp the execution writes is on its own clock.
//
// Example (the service, under its lock):
//
//   Execution e(config, real_now);
//   std::string event = e.BeginInvocation(request_id, real_now);   // queue it to the runtime
//   absl::StatusOr<std::string> answer = e.Checkpoint(request, real_now, hooks);
//   e.EndInvocation(request_id, result, real_now);                 // PENDING, SUCCEEDED, ...
//   e.FireDue(real_now, /*skip=*/true);                            // waits end, retries ready
//
// Not thread-safe: the service serialises every call under its lock.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/durable/model.h"
#include "tools/durable/operation_log.h"
#include "tools/durable/wire_json.h"

namespace lmc::durable_service {

// CallbackScript
//
// A scripted answer to a callback, as a test or the command gives it up front: when a callback
// whose name matches starts, the answer is sent `delay` later on the execution's clock. A
// heartbeat does not use the callback up: the next matching entry answers it after its own
// delay. Callbacks inside a WaitForCallback context match on that context's name.
struct CallbackScript {
  enum class Action { kSucceed, kFail, kHeartbeat };
  std::string name = "*";  // "*" matches any callback
  Action action = Action::kSucceed;
  std::optional<std::string> result;  // kSucceed: the raw result bytes (JSON text)
  ErrorObject error;                  // kFail
  absl::Duration delay = absl::ZeroDuration();
};

// ExecutionConfig
struct ExecutionConfig {
  std::string arn;
  std::string function_name;
  std::string input;  // the user's input: JSON text, the EXECUTION operation's InputPayload
  std::vector<CallbackScript> callbacks;
  int64_t execution_timeout_seconds = 86400;  // reported in ExecutionStarted
  size_t page_items = 1000;                   // operations per page of the operation log
  int max_invocation_attempts = 5;            // consecutive failed invocations tolerated
  absl::Duration invocation_retry_delay = absl::Seconds(5);
  bool skip_callback_timeouts = true;  // false: callback timers only fire in real time
};

// InvocationResult: how an invocation ended.
struct InvocationResult {
  enum class Kind {
    kResponse,  // a /response: the durable output ({"Status":...}) in `body`
    kError,     // an /error: a Lambda error body; `error_type` from its header
    kCrash,     // the runtime exited (Runtime.ExitError) or the invocation was lost
  };
  Kind kind = Kind::kResponse;
  std::string body;
  std::string error_type;
};

// ReceivedCheckpoint: one CheckpointDurableExecution call as it arrived, whatever became of it
// (tests read the updates an SDK sent, apart from the history they produced).
struct ReceivedCheckpoint {
  int invocation = 0;  // 1 for the first invocation of the execution
  std::vector<OperationUpdate> updates;
  bool applied = false;  // false: refused, or a retried call answered again without applying
};

// ExecutionSnapshot: what GetDurableExecution and the command report.
struct ExecutionSnapshot {
  std::string arn;
  std::string function_name;
  ExecutionStatus status = ExecutionStatus::kRunning;
  std::optional<std::string> result;
  std::optional<ErrorObject> error;
  absl::Time start;
  std::optional<absl::Time> end;
  std::string input;
  std::vector<Operation> operations;
  std::vector<HistoryEvent> history;
  int invocations = 0;
  std::vector<ReceivedCheckpoint> checkpoints;
};

class Execution {
 public:
  Execution(ExecutionConfig config, absl::Time real_now);

  const std::string& arn() const { return config_.arn; }
  const ExecutionConfig& config() const { return config_; }
  ExecutionStatus status() const { return status_; }
  bool running() const { return status_ == ExecutionStatus::kRunning; }
  absl::Time Now(absl::Time real_now) const { return real_now + skew_; }

  // Whether the service should start an invocation now: running, none in flight, one wanted.
  bool WantsInvocation() const { return running() && !in_flight_ && needs_invocation_; }
  bool in_flight() const { return in_flight_.has_value(); }
  const std::string& in_flight_request_id() const;

  // BeginInvocation()
  //
  // Opens the gate for `request_id`, issues a fresh checkpoint token and returns the
  // invocation event: {"DurableExecutionArn","CheckpointToken","InitialExecutionState":
  // {"Operations":[first page, epoch-millisecond timestamps],"NextMarker"?}}.
  std::string BeginInvocation(const std::string& request_id, absl::Time real_now);

  // EndInvocation()
  //
  // Records InvocationCompleted and acts on the result: SUCCEEDED and FAILED complete the
  // execution (with a result checkpointed on the EXECUTION operation if the output has none);
  // PENDING waits for the next change (and is an invalid output when nothing is pending);
  // an /error, a crash or an output that is not durable output schedules a retry, and fails
  // the execution once `max_invocation_attempts` consecutive invocations failed. Ignored
  // unless `request_id` is the invocation in flight.
  void EndInvocation(const std::string& request_id, const InvocationResult& result,
                     absl::Time real_now);

  // Checkpoint()
  //
  // CheckpointDurableExecution. InvalidArgument "Invalid Checkpoint Token: ..." for a token
  // that is not the current one of the invocation in flight (no effect); InvalidArgument with
  // the rule's message for a bad update (no effect). Otherwise applies the updates and returns
  // the answer: {"CheckpointToken": new token, "NewExecutionState": {"Operations": operations
  // changed since the handler last heard, epoch-second timestamps}}. A retry of the last call
  // (same ClientToken and CheckpointToken) gets the same answer again.
  absl::StatusOr<std::string> Checkpoint(const CheckpointRequest& request, absl::Time real_now,
                                         OperationLog::Hooks& hooks);

  // GetState()
  //
  // GetDurableExecutionState: one page of at most `max_items` (0: the configured page size)
  // operations. The token must belong to the invocation in flight; a marker must come from
  // this execution's current snapshot (a snapshot is taken when an invocation begins and when
  // a call comes without a marker).
  absl::StatusOr<std::string> GetState(const std::string& token,
                                       const std::optional<std::string>& marker, size_t max_items);

  // Callback answers from outside (SendDurableExecutionCallback*). InvalidArgument when the
  // callback is not open; FailedPrecondition (CallbackTimeoutException) when it timed out.
  absl::Status CompleteCallback(const std::string& op_id, OperationLog::Completion how,
                                std::optional<std::string> result, std::optional<ErrorObject> error,
                                absl::Time real_now);
  absl::Status Heartbeat(const std::string& op_id, absl::Time real_now);

  // A chained invoke's target finished after `elapsed` on its own clock. While an invocation is
  // in flight the completion waits for it to end (it is recorded after its
  // InvocationCompleted): a target is another Lambda invocation, never done before its caller
  // has handed the chained invoke over, and the order of events stays reproducible.
  void CompleteChainedInvoke(const std::string& op_id, OperationLog::Completion how,
                             std::optional<std::string> result, std::optional<ErrorObject> error,
                             absl::Duration elapsed, absl::Time real_now);
  // The moment a chained invoke started, on this execution's clock.
  absl::Time ChainedStartTime(const std::string& op_id) const;

  // FireDue()
  //
  // Fires every timer due on the execution's clock, earliest first; with `skip`, a quiescent
  // execution first jumps its clock to its next timer. True when anything fired.
  bool FireDue(absl::Time real_now, bool skip);
  // The real moment of the next timer, if any (for the service's scheduler).
  std::optional<absl::Time> NextDue(absl::Time real_now, bool skip) const;

  // Stops the execution (StopDurableExecution, or the service shutting down).
  void Stop(const ErrorObject& error, absl::Time real_now);

  ExecutionSnapshot Snapshot() const;
  const History& history() const { return history_; }
  const OperationLog& log() const { return log_; }

 private:
  // OK when `op_id` names a callback still waiting for its answer; otherwise the error
  // CompleteCallback() and Heartbeat() give.
  absl::Status CheckCallbackOpen(const std::string& op_id) const;
  struct Timer {
    enum class Kind { kLog, kCallbackTimeout, kCallbackHeartbeat, kScripted, kInvocationRetry };
    Kind kind = Kind::kLog;
    absl::Time due;
    TimerRequest log_timer;  // kLog
    std::string op_id;       // callback timers and scripts
    size_t script = 0;       // kScripted: index into config_.callbacks
  };
  struct CallbackState {
    std::optional<absl::Time> timeout_due;
    std::optional<absl::Time> heartbeat_due;
    int64_t heartbeat_seconds = 0;
    std::vector<std::pair<size_t, absl::Time>> scripted;  // (script index, due), in order
  };
  struct Invocation {
    std::string request_id;
    absl::Time start;
    std::vector<std::string> tokens;  // issued during this invocation, last is current
  };
  struct PagedSnapshot {
    uint64_t id = 0;
    std::vector<Operation> operations;
  };

  bool Quiescent() const;
  // EndInvocation() without the chained completions that waited for it.
  void RecordInvocationEnd(const InvocationResult& result, absl::Time real_now);
  std::vector<Timer> Timers() const;
  void Fire(const Timer& t, absl::Time now);
  void OnCallbacksStarted(const std::vector<std::string>& op_ids, absl::Time now);
  void ScriptCallback(const Operation& op, absl::Time now);
  void Complete(ExecutionStatus status, std::optional<std::string> result,
                std::optional<ErrorObject> error, absl::Time now);
  void FailInvocation(ErrorObject error, absl::Time now);
  std::string NewToken();
  std::string Page(const std::vector<Operation>& ops, size_t offset, size_t max_items,
                   uint64_t snapshot_id, TimeFormat format) const;
  void TakeSnapshot();

  ExecutionConfig config_;
  History history_;
  OperationLog log_;
  ExecutionStatus status_ = ExecutionStatus::kRunning;
  std::optional<std::string> result_;
  std::optional<ErrorObject> error_;
  absl::Time start_;
  std::optional<absl::Time> end_;
  absl::Duration skew_ = absl::ZeroDuration();

  bool needs_invocation_ = true;  // the first invocation is due at once
  std::optional<Invocation> in_flight_;
  int invocations_ = 0;
  int consecutive_failures_ = 0;
  std::optional<absl::Time> invocation_retry_due_;
  std::optional<ExecutionOutcome> checkpointed_outcome_;
  uint64_t delivered_seq_ = 0;  // the handler has heard of every change up to this one
  std::mt19937_64 rng_;
  // The last checkpoint call, for retries: (ClientToken, CheckpointToken) -> answer.
  std::optional<std::pair<std::string, std::string>> last_call_;
  std::string last_answer_;
  std::vector<ReceivedCheckpoint> received_;
  PagedSnapshot snapshot_;
  uint64_t next_snapshot_id_ = 1;

  absl::flat_hash_map<std::string, CallbackState> callbacks_;  // open callbacks, by op id
  std::vector<bool> script_used_;
  absl::flat_hash_map<std::string, absl::Time> chained_started_;  // running chained invokes
  struct ChainedResult {
    std::string op_id;
    OperationLog::Completion how;
    std::optional<std::string> result;
    std::optional<ErrorObject> error;
    absl::Duration elapsed;
  };
  std::vector<ChainedResult> chained_done_;  // completions waiting for the invocation to end
};

}  // namespace lmc::durable_service
