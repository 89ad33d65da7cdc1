// File: handlers/durable/operation.h
//
// The wire types of Lambda durable executions (handlers/durable/PROTOCOL.md §3-§5), as plain
// structs: an Operation of the execution's log, an OperationUpdate sent with
// CheckpointDurableExecution, an ErrorObject, and the request/answer shapes of the checkpoint
// and state APIs. lmc::durable's context, its checkpoint service fakes and the local emulator
// all speak these; handlers/durable/wire_json.h turns them into JSON and back.
//
// Timestamps are kept as Unix epoch milliseconds whatever the wire used (the invocation event
// carries milliseconds, the REST answers seconds).
//
// Example:
//
//   lmc::durable::OperationUpdate update;
//   update.id = "c4ca4238a0b92382";
//   update.type = lmc::durable::OperationType::kStep;
//   update.sub_type = "Step";
//   update.action = lmc::durable::OperationAction::kSucceed;
//   update.payload = "42";
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmc::durable {

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

// The wire spelling ("STEP", "SUCCEEDED", "RETRY"), and back (nullopt for an unknown word).
std::string_view ToString(OperationType type);
std::string_view ToString(OperationStatus status);
std::string_view ToString(OperationAction action);
std::optional<OperationType> ParseOperationType(std::string_view text);
std::optional<OperationStatus> ParseOperationStatus(std::string_view text);
std::optional<OperationAction> ParseOperationAction(std::string_view text);

// SUCCEEDED, FAILED, CANCELLED, TIMED_OUT and STOPPED: the operation will not change again.
bool IsTerminal(OperationStatus status);

// The SubType values the SDKs write (PROTOCOL.md §3).
namespace sub_type {
inline constexpr std::string_view kStep = "Step";
inline constexpr std::string_view kWait = "Wait";
inline constexpr std::string_view kCallback = "Callback";
inline constexpr std::string_view kRunInChildContext = "RunInChildContext";
inline constexpr std::string_view kMap = "Map";
inline constexpr std::string_view kMapIteration = "MapIteration";
inline constexpr std::string_view kParallel = "Parallel";
inline constexpr std::string_view kParallelBranch = "ParallelBranch";
inline constexpr std::string_view kWaitForCallback = "WaitForCallback";
inline constexpr std::string_view kWaitForCondition = "WaitForCondition";
inline constexpr std::string_view kChainedInvoke = "ChainedInvoke";
}  // namespace sub_type

// ErrorObject
//
// A failure as the service stores it; every field is optional on the wire.
struct ErrorObject {
  std::optional<std::string> type;     // ErrorType
  std::optional<std::string> message;  // ErrorMessage
  std::optional<std::string> data;     // ErrorData (a string, often JSON text)
  std::vector<std::string> stack_trace;

  bool operator==(const ErrorObject&) const = default;
};

// Operation
//
// One entry of the execution's log. The type's details object is flattened into the fields
// below; only those of `type` are meaningful (the others stay empty).
struct Operation {
  std::string id;
  std::optional<std::string> parent_id;
  std::optional<std::string> name;
  OperationType type = OperationType::kStep;
  std::string sub_type;  // "" when absent
  OperationStatus status = OperationStatus::kStarted;
  std::optional<int64_t> start_ms;
  std::optional<int64_t> end_ms;

  // ExecutionDetails.InputPayload (EXECUTION).
  std::optional<std::string> input_payload;
  // Result and Error of StepDetails, CallbackDetails, ChainedInvokeDetails, ContextDetails.
  std::optional<std::string> result;
  std::optional<ErrorObject> error;
  // ContextDetails.ReplayChildren.
  bool replay_children = false;
  // StepDetails.Attempt and NextAttemptTimestamp.
  int attempt = 0;
  std::optional<int64_t> next_attempt_ms;
  // WaitDetails.ScheduledEndTimestamp.
  std::optional<int64_t> scheduled_end_ms;
  // CallbackDetails.CallbackId.
  std::optional<std::string> callback_id;

  bool operator==(const Operation&) const = default;
};

// OperationUpdate
//
// One change sent with CheckpointDurableExecution. Options are sent only when set.
struct OperationUpdate {
  std::string id;
  std::optional<std::string> parent_id;
  std::optional<std::string> name;
  OperationType type = OperationType::kStep;
  std::string sub_type;  // "" : not sent
  OperationAction action = OperationAction::kStart;
  std::optional<std::string> payload;
  std::optional<ErrorObject> error;
  std::optional<bool> replay_children;                // ContextOptions.ReplayChildren
  std::optional<int64_t> next_attempt_delay_seconds;  // StepOptions
  std::optional<int64_t> wait_seconds;                // WaitOptions
  std::optional<int64_t> callback_timeout_seconds;    // CallbackOptions.TimeoutSeconds
  std::optional<int64_t> heartbeat_timeout_seconds;   // CallbackOptions.HeartbeatTimeoutSeconds
  std::optional<std::string> function_name;           // ChainedInvokeOptions.FunctionName
  std::optional<std::string> tenant_id;               // ChainedInvokeOptions.TenantId

  bool operator==(const OperationUpdate&) const = default;
};

// InvocationInput
//
// The event Lambda sends a durable function (PROTOCOL.md §1).
struct InvocationInput {
  std::string durable_execution_arn;
  std::string checkpoint_token;
  std::vector<Operation> operations;
  std::string next_marker;  // "" : the log is complete
};

// CheckpointRequest / CheckpointResponse: CheckpointDurableExecution (PROTOCOL.md §4).
struct CheckpointRequest {
  std::string durable_execution_arn;
  std::string checkpoint_token;
  std::vector<OperationUpdate> updates;
  std::string client_token;  // "" : not sent
};
struct CheckpointResponse {
  // nullopt: the execution has reached a terminal state and takes no more checkpoints.
  std::optional<std::string> checkpoint_token;
  std::vector<Operation> operations;  // NewExecutionState.Operations
  std::string next_marker;            // NewExecutionState.NextMarker; "" : none
};

// StateRequest / StateResponse: GetDurableExecutionState (PROTOCOL.md §5).
struct StateRequest {
  std::string durable_execution_arn;
  std::string checkpoint_token;
  std::string marker;
  int max_items = 1000;
};
struct StateResponse {
  std::vector<Operation> operations;
  std::string next_marker;  // "" : the last page
};

}  // namespace lmc::durable
