// File: tools/durable/model.h
//
// The data model of Lambda durable executions as the local durable-execution service keeps it:
// operations (the checkpointed log an SDK replays), the updates an SDK checkpoints, errors, and
// the history events GetDurableExecutionHistory returns. Names and enum values are those of the
// Lambda API (service model 2015-03-31, operations under /2025-12-01/), so the JSON written
// from these structs (wire_json.h) is what the real service sends.
//
// Example:
//
//   Operation op;
//   op.id = "c4ca4238a0b92382";
//   op.type = OperationType::kStep;
//   op.status = OperationStatus::kStarted;
//   std::string_view s = ToString(op.type);               // "STEP"
//   std::optional<OperationType> t = ParseOperationType("WAIT");
//
// Plain data: no locks, no invariants beyond the field comments; copy freely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

namespace lmc::durable_service {

// OperationType, OperationStatus, OperationAction: the API's enums.
enum class OperationType { kExecution, kContext, kStep, kWait, kCallback, kChainedInvoke };
enum class OperationStatus {
  kStarted,
  kPending,
  kReady,
  kSucceeded,
  kFailed,
  kCancelled,
  kTimedOut,
  kStopped,
};
enum class OperationAction { kStart, kSucceed, kFail, kRetry, kCancel };

// Wire names ("STEP", "SUCCEEDED", "RETRY") and their inverse; nullopt for unknown names.
std::string_view ToString(OperationType type);
std::string_view ToString(OperationStatus status);
std::string_view ToString(OperationAction action);
std::optional<OperationType> ParseOperationType(std::string_view name);
std::optional<OperationStatus> ParseOperationStatus(std::string_view name);
std::optional<OperationAction> ParseOperationAction(std::string_view name);

// True for SUCCEEDED, FAILED, CANCELLED, TIMED_OUT and STOPPED: the operation will not change.
bool IsTerminal(OperationStatus status);

// ErrorObject
//
// {ErrorType, ErrorMessage, ErrorData, StackTrace}; every member optional on the wire.
struct ErrorObject {
  std::optional<std::string> error_type;
  std::optional<std::string> error_message;
  std::optional<std::string> error_data;
  std::vector<std::string> stack_trace;

  bool operator==(const ErrorObject&) const = default;
};

// Operation
//
// One entry of an execution's operation log. Exactly the details object of its type is
// meaningful (StepDetails for STEP, ...); the others stay empty.
struct Operation {
  std::string id;
  std::optional<std::string> parent_id;
  std::optional<std::string> name;
  OperationType type = OperationType::kStep;
  std::optional<std::string> sub_type;
  OperationStatus status = OperationStatus::kStarted;
  absl::Time start_timestamp;
  std::optional<absl::Time> end_timestamp;

  // EXECUTION: ExecutionDetails{InputPayload}.
  std::optional<std::string> input_payload;
  // STEP: StepDetails{Attempt, NextAttemptTimestamp, Result, Error}. Attempt counts finished
  // attempts (0 until the first SUCCEED, FAIL or RETRY).
  int64_t attempt = 0;
  std::optional<absl::Time> next_attempt_timestamp;
  // WAIT: WaitDetails{ScheduledEndTimestamp}.
  std::optional<absl::Time> scheduled_end_timestamp;
  // CALLBACK: CallbackDetails{CallbackId, Result, Error}.
  std::string callback_id;
  // CONTEXT: ContextDetails{ReplayChildren, Result, Error}.
  std::optional<bool> replay_children;
  // STEP, CALLBACK, CONTEXT, CHAINED_INVOKE: the result payload or the error.
  std::optional<std::string> result;
  std::optional<ErrorObject> error;
};

// OperationUpdate
//
// One element of CheckpointDurableExecution's `Updates`.
struct OperationUpdate {
  std::string id;
  std::optional<std::string> parent_id;
  std::optional<std::string> name;
  OperationType type = OperationType::kStep;
  std::optional<std::string> sub_type;
  OperationAction action = OperationAction::kStart;
  std::optional<std::string> payload;
  std::optional<ErrorObject> error;
  std::optional<bool> replay_children;                // ContextOptions.ReplayChildren
  std::optional<int64_t> next_attempt_delay_seconds;  // StepOptions
  std::optional<int64_t> wait_seconds;                // WaitOptions
  std::optional<int64_t> callback_timeout_seconds;    // CallbackOptions.TimeoutSeconds
  std::optional<int64_t> callback_heartbeat_seconds;  // CallbackOptions.HeartbeatTimeoutSeconds
  std::optional<std::string> function_name;           // ChainedInvokeOptions.FunctionName
  std::optional<std::string> tenant_id;               // ChainedInvokeOptions.TenantId
};

// EventDetails
//
// The fields an event's `<EventType>Details` object may carry; which ones a given event type
// writes is decided by the writer (wire_json.h). Payloads and errors are "execution data":
// GetDurableExecutionHistory leaves them out unless IncludeExecutionData is true.
struct EventDetails {
  std::optional<std::string> input;   // Input{Payload}
  std::optional<std::string> result;  // Result{Payload}
  std::optional<ErrorObject> error;   // Error{Payload}
  bool has_retry_details = false;     // RetryDetails{CurrentAttempt, NextAttemptDelaySeconds}
  int64_t current_attempt = 0;
  std::optional<int64_t> next_attempt_delay_seconds;
  std::optional<int64_t> duration_seconds;  // Wait*: Duration
  std::optional<absl::Time> scheduled_end_timestamp;
  std::optional<std::string> callback_id;  // CallbackStarted
  std::optional<int64_t> timeout_seconds;
  std::optional<int64_t> heartbeat_timeout_seconds;
  std::optional<std::string> function_name;  // ChainedInvokeStarted
  std::optional<std::string> tenant_id;
  std::optional<std::string> executed_version;
  std::optional<std::string> durable_execution_arn;
  std::optional<absl::Time> invocation_start;  // InvocationCompleted
  std::optional<absl::Time> invocation_end;
  std::optional<std::string> request_id;
  std::optional<int64_t> execution_timeout_seconds;  // ExecutionStarted
};

// HistoryEvent
//
// One event of GetDurableExecutionHistory: `type` is the EventType ("StepStarted", ...). The
// operation fields are empty for execution-level events (InvocationCompleted, Execution*).
struct HistoryEvent {
  std::string type;
  int64_t event_id = 0;  // 1, 2, 3, ... in the order the events happened
  absl::Time timestamp;
  std::optional<std::string> op_id;
  std::optional<std::string> name;
  std::optional<std::string> parent_id;
  std::optional<std::string> sub_type;
  EventDetails details;
};

// ExecutionStatus: GetDurableExecution's Status.
enum class ExecutionStatus { kRunning, kSucceeded, kFailed, kTimedOut, kStopped };
std::string_view ToString(ExecutionStatus status);

}  // namespace lmc::durable_service
