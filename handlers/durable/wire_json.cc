#include "handlers/durable/wire_json.h"

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "lmc/json.h"
#include "lmc/json_reader.h"
#include "lmc/status_macros.h"
#include "lmc/strings.h"

namespace lmc::durable {
namespace {

// The documents as lmc's JSON reader sees them: every field in its wire spelling, enums and
// timestamps still raw. Converted into the public types (with their own checks) afterwards.

struct ErrorWire {
  std::optional<std::string> type;
  std::optional<std::string> message;
  std::optional<std::string> data;
  std::optional<std::vector<std::string>> stack_trace;
};
void DescribeJson(JsonFields& fields, ErrorWire& error) {
  fields.Optional("ErrorType", error.type);
  fields.Optional("ErrorMessage", error.message);
  fields.Optional("ErrorData", error.data);
  fields.Optional("StackTrace", error.stack_trace);
}

// Every details object (ExecutionDetails, StepDetails, ...) read with one shape: each names a
// subset of these fields.
struct DetailsWire {
  std::optional<std::string> input_payload;
  std::optional<std::string> result;
  std::optional<ErrorWire> error;
  std::optional<bool> replay_children;
  std::optional<int64_t> attempt;
  std::optional<double> next_attempt_timestamp;
  std::optional<double> scheduled_end_timestamp;
  std::optional<std::string> callback_id;
};
void DescribeJson(JsonFields& fields, DetailsWire& details) {
  fields.Optional("InputPayload", details.input_payload);
  fields.Optional("Result", details.result);
  fields.Optional("Error", details.error);
  fields.Optional("ReplayChildren", details.replay_children);
  fields.Optional("Attempt", details.attempt);
  fields.Optional("NextAttemptTimestamp", details.next_attempt_timestamp);
  fields.Optional("ScheduledEndTimestamp", details.scheduled_end_timestamp);
  fields.Optional("CallbackId", details.callback_id);
}

struct OperationWire {
  std::string id;
  std::optional<std::string> parent_id;
  std::optional<std::string> name;
  std::string type;
  std::optional<std::string> sub_type;
  std::string status;
  std::optional<double> start_timestamp;
  std::optional<double> end_timestamp;
  std::optional<DetailsWire> execution_details;
  std::optional<DetailsWire> context_details;
  std::optional<DetailsWire> step_details;
  std::optional<DetailsWire> wait_details;
  std::optional<DetailsWire> callback_details;
  std::optional<DetailsWire> chained_invoke_details;
};
void DescribeJson(JsonFields& fields, OperationWire& op) {
  fields.Required("Id", op.id);
  fields.Optional("ParentId", op.parent_id);
  fields.Optional("Name", op.name);
  fields.Required("Type", op.type);
  fields.Optional("SubType", op.sub_type);
  fields.Required("Status", op.status);
  fields.Optional("StartTimestamp", op.start_timestamp);
  fields.Optional("EndTimestamp", op.end_timestamp);
  fields.Optional("ExecutionDetails", op.execution_details);
  fields.Optional("ContextDetails", op.context_details);
  fields.Optional("StepDetails", op.step_details);
  fields.Optional("WaitDetails", op.wait_details);
  fields.Optional("CallbackDetails", op.callback_details);
  fields.Optional("ChainedInvokeDetails", op.chained_invoke_details);
}

struct OperationsWire {
  std::optional<std::vector<OperationWire>> operations;
  std::optional<std::string> next_marker;
};
void DescribeJson(JsonFields& fields, OperationsWire& state) {
  fields.Optional("Operations", state.operations);
  fields.Optional("NextMarker", state.next_marker);
}

struct InvocationWire {
  std::string durable_execution_arn;
  std::string checkpoint_token;
  std::optional<OperationsWire> initial_execution_state;
};
void DescribeJson(JsonFields& fields, InvocationWire& input) {
  fields.Required("DurableExecutionArn", input.durable_execution_arn);
  fields.Required("CheckpointToken", input.checkpoint_token);
  fields.Optional("InitialExecutionState", input.initial_execution_state);
}

struct CheckpointResponseWire {
  std::optional<std::string> checkpoint_token;
  std::optional<OperationsWire> new_execution_state;
};
void DescribeJson(JsonFields& fields, CheckpointResponseWire& response) {
  fields.Optional("CheckpointToken", response.checkpoint_token);
  fields.Optional("NewExecutionState", response.new_execution_state);
}

// The option objects of an update, read with one shape like the details above.
struct OptionsWire {
  std::optional<bool> replay_children;
  std::optional<int64_t> next_attempt_delay_seconds;
  std::optional<int64_t> wait_seconds;
  std::optional<int64_t> timeout_seconds;
  std::optional<int64_t> heartbeat_timeout_seconds;
  std::optional<std::string> function_name;
  std::optional<std::string> tenant_id;
};
void DescribeJson(JsonFields& fields, OptionsWire& options) {
  fields.Optional("ReplayChildren", options.replay_children);
  fields.Optional("NextAttemptDelaySeconds", options.next_attempt_delay_seconds);
  fields.Optional("WaitSeconds", options.wait_seconds);
  fields.Optional("TimeoutSeconds", options.timeout_seconds);
  fields.Optional("HeartbeatTimeoutSeconds", options.heartbeat_timeout_seconds);
  fields.Optional("FunctionName", options.function_name);
  fields.Optional("TenantId", options.tenant_id);
}

struct UpdateWire {
  std::string id;
  std::optional<std::string> parent_id;
  std::optional<std::string> name;
  std::string type;
  std::optional<std::string> sub_type;
  std::string action;
  std::optional<std::string> payload;
  std::optional<ErrorWire> error;
  std::optional<OptionsWire> context_options;
  std::optional<OptionsWire> step_options;
  std::optional<OptionsWire> wait_options;
  std::optional<OptionsWire> callback_options;
  std::optional<OptionsWire> chained_invoke_options;
};
void DescribeJson(JsonFields& fields, UpdateWire& update) {
  fields.Required("Id", update.id);
  fields.Optional("ParentId", update.parent_id);
  fields.Optional("Name", update.name);
  fields.Required("Type", update.type);
  fields.Optional("SubType", update.sub_type);
  fields.Required("Action", update.action);
  fields.Optional("Payload", update.payload);
  fields.Optional("Error", update.error);
  fields.Optional("ContextOptions", update.context_options);
  fields.Optional("StepOptions", update.step_options);
  fields.Optional("WaitOptions", update.wait_options);
  fields.Optional("CallbackOptions", update.callback_options);
  fields.Optional("ChainedInvokeOptions", update.chained_invoke_options);
}

struct CheckpointRequestWire {
  std::string checkpoint_token;
  std::optional<std::vector<UpdateWire>> updates;
  std::optional<std::string> client_token;
};
void DescribeJson(JsonFields& fields, CheckpointRequestWire& request) {
  fields.Required("CheckpointToken", request.checkpoint_token);
  fields.Optional("Updates", request.updates);
  fields.Optional("ClientToken", request.client_token);
}

struct OutputWire {
  std::string status;
  std::optional<std::string> result;
  std::optional<ErrorWire> error;
};
void DescribeJson(JsonFields& fields, OutputWire& output) {
  fields.Required("Status", output.status);
  fields.Optional("Result", output.result);
  fields.Optional("Error", output.error);
}

// Reads `json` into a wire struct; errors name the document (`what`).
template <typename T>
absl::StatusOr<T> Read(std::string_view json, std::string_view what) {
  absl::StatusOr<T> read = ReadJsonText<T>(json);
  if (!read.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(what), ": ", read.status().message()));
  }
  return read;
}

absl::Status UnknownWord(std::string_view where, std::string_view kind, std::string_view word) {
  return absl::InvalidArgumentError(
      absl::StrCat(AsAbsl(where), ": unknown ", AsAbsl(kind), " \"", AsAbsl(word), "\""));
}

int64_t ToMillis(double value, TimestampUnit unit) {
  return static_cast<int64_t>(std::llround(unit == TimestampUnit::kSeconds ? value * 1000 : value));
}

std::optional<int64_t> ToMillis(const std::optional<double>& value, TimestampUnit unit) {
  if (!value.has_value()) return std::nullopt;
  return ToMillis(*value, unit);
}

ErrorObject FromWire(ErrorWire wire) {
  ErrorObject error;
  error.type = std::move(wire.type);
  error.message = std::move(wire.message);
  error.data = std::move(wire.data);
  if (wire.stack_trace.has_value()) error.stack_trace = std::move(*wire.stack_trace);
  return error;
}

// The details object of `type` (the others are ignored).
std::optional<DetailsWire>& DetailsOf(OperationWire& wire, OperationType type) {
  switch (type) {
    case OperationType::kExecution:
      return wire.execution_details;
    case OperationType::kContext:
      return wire.context_details;
    case OperationType::kStep:
      return wire.step_details;
    case OperationType::kWait:
      return wire.wait_details;
    case OperationType::kCallback:
      return wire.callback_details;
    case OperationType::kChainedInvoke:
      return wire.chained_invoke_details;
  }
  return wire.step_details;
}

absl::StatusOr<Operation> FromWire(OperationWire wire, TimestampUnit unit, std::string_view where) {
  Operation op;
  std::optional<OperationType> type = ParseOperationType(wire.type);
  if (!type.has_value()) {
    return UnknownWord(absl::StrCat(AsAbsl(where), ".Type"), "operation type", wire.type);
  }
  std::optional<OperationStatus> status = ParseOperationStatus(wire.status);
  if (!status.has_value()) {
    return UnknownWord(absl::StrCat(AsAbsl(where), ".Status"), "operation status", wire.status);
  }
  if (wire.id.empty()) return absl::InvalidArgumentError(absl::StrCat(AsAbsl(where), ".Id: empty"));
  op.id = std::move(wire.id);
  op.parent_id = std::move(wire.parent_id);
  op.name = std::move(wire.name);
  op.type = *type;
  op.sub_type = wire.sub_type.value_or("");
  op.status = *status;
  op.start_ms = ToMillis(wire.start_timestamp, unit);
  op.end_ms = ToMillis(wire.end_timestamp, unit);
  if (std::optional<DetailsWire>& details = DetailsOf(wire, *type); details.has_value()) {
    op.input_payload = std::move(details->input_payload);
    op.result = std::move(details->result);
    if (details->error.has_value()) op.error = FromWire(std::move(*details->error));
    op.replay_children = details->replay_children.value_or(false);
    op.attempt = static_cast<int>(details->attempt.value_or(0));
    op.next_attempt_ms = ToMillis(details->next_attempt_timestamp, unit);
    op.scheduled_end_ms = ToMillis(details->scheduled_end_timestamp, unit);
    op.callback_id = std::move(details->callback_id);
  }
  return op;
}

absl::StatusOr<std::vector<Operation>> FromWire(std::optional<std::vector<OperationWire>> wire,
                                                TimestampUnit unit, std::string_view where) {
  std::vector<Operation> operations;
  if (!wire.has_value()) return operations;
  operations.reserve(wire->size());
  for (size_t i = 0; i < wire->size(); ++i) {
    LMC_ASSIGN_OR_RETURN(Operation op, FromWire(std::move((*wire)[i]), unit,
                                                absl::StrCat(AsAbsl(where), "[", i, "]")));
    operations.push_back(std::move(op));
  }
  return operations;
}

absl::StatusOr<OperationUpdate> FromWire(UpdateWire wire, std::string_view where) {
  OperationUpdate update;
  std::optional<OperationType> type = ParseOperationType(wire.type);
  if (!type.has_value()) {
    return UnknownWord(absl::StrCat(AsAbsl(where), ".Type"), "operation type", wire.type);
  }
  std::optional<OperationAction> action = ParseOperationAction(wire.action);
  if (!action.has_value()) {
    return UnknownWord(absl::StrCat(AsAbsl(where), ".Action"), "operation action", wire.action);
  }
  update.id = std::move(wire.id);
  update.parent_id = std::move(wire.parent_id);
  update.name = std::move(wire.name);
  update.type = *type;
  update.sub_type = wire.sub_type.value_or("");
  update.action = *action;
  update.payload = std::move(wire.payload);
  if (wire.error.has_value()) update.error = FromWire(std::move(*wire.error));
  if (wire.context_options.has_value()) {
    update.replay_children = wire.context_options->replay_children;
  }
  if (wire.step_options.has_value()) {
    update.next_attempt_delay_seconds = wire.step_options->next_attempt_delay_seconds;
  }
  if (wire.wait_options.has_value()) update.wait_seconds = wire.wait_options->wait_seconds;
  if (wire.callback_options.has_value()) {
    update.callback_timeout_seconds = wire.callback_options->timeout_seconds;
    update.heartbeat_timeout_seconds = wire.callback_options->heartbeat_timeout_seconds;
  }
  if (wire.chained_invoke_options.has_value()) {
    update.function_name = std::move(wire.chained_invoke_options->function_name);
    update.tenant_id = std::move(wire.chained_invoke_options->tenant_id);
  }
  return update;
}

}  // namespace

absl::StatusOr<InvocationInput> ParseInvocationInput(std::string_view json) {
  LMC_ASSIGN_OR_RETURN(InvocationWire wire, Read<InvocationWire>(json, "durable invocation event"));
  InvocationInput input;
  input.durable_execution_arn = std::move(wire.durable_execution_arn);
  input.checkpoint_token = std::move(wire.checkpoint_token);
  if (input.durable_execution_arn.empty() || input.checkpoint_token.empty()) {
    return absl::InvalidArgumentError(
        "durable invocation event: DurableExecutionArn and CheckpointToken must not be empty");
  }
  if (wire.initial_execution_state.has_value()) {
    LMC_ASSIGN_OR_RETURN(
        input.operations,
        FromWire(std::move(wire.initial_execution_state->operations), TimestampUnit::kMilliseconds,
                 "durable invocation event: InitialExecutionState.Operations"));
    input.next_marker = wire.initial_execution_state->next_marker.value_or("");
  }
  return input;
}

absl::StatusOr<CheckpointRequest> ParseCheckpointRequest(std::string_view json) {
  LMC_ASSIGN_OR_RETURN(CheckpointRequestWire wire,
                       Read<CheckpointRequestWire>(json, "checkpoint request"));
  CheckpointRequest request;
  request.checkpoint_token = std::move(wire.checkpoint_token);
  request.client_token = wire.client_token.value_or("");
  if (wire.updates.has_value()) {
    for (size_t i = 0; i < wire.updates->size(); ++i) {
      LMC_ASSIGN_OR_RETURN(OperationUpdate update,
                           FromWire(std::move((*wire.updates)[i]),
                                    absl::StrCat("checkpoint request: Updates[", i, "]")));
      request.updates.push_back(std::move(update));
    }
  }
  return request;
}

absl::StatusOr<CheckpointResponse> ParseCheckpointResponse(std::string_view json) {
  LMC_ASSIGN_OR_RETURN(CheckpointResponseWire wire,
                       Read<CheckpointResponseWire>(json, "checkpoint answer"));
  CheckpointResponse response;
  response.checkpoint_token = std::move(wire.checkpoint_token);
  if (response.checkpoint_token.has_value() && response.checkpoint_token->empty()) {
    return absl::InvalidArgumentError("checkpoint answer: CheckpointToken is empty");
  }
  if (wire.new_execution_state.has_value()) {
    LMC_ASSIGN_OR_RETURN(
        response.operations,
        FromWire(std::move(wire.new_execution_state->operations), TimestampUnit::kSeconds,
                 "checkpoint answer: NewExecutionState.Operations"));
    response.next_marker = wire.new_execution_state->next_marker.value_or("");
  }
  return response;
}

absl::StatusOr<StateResponse> ParseStateResponse(std::string_view json) {
  LMC_ASSIGN_OR_RETURN(OperationsWire wire, Read<OperationsWire>(json, "state answer"));
  StateResponse response;
  LMC_ASSIGN_OR_RETURN(
      response.operations,
      FromWire(std::move(wire.operations), TimestampUnit::kSeconds, "state answer: Operations"));
  response.next_marker = wire.next_marker.value_or("");
  return response;
}

absl::StatusOr<ErrorObject> ParseErrorObject(std::string_view json) {
  LMC_ASSIGN_OR_RETURN(ErrorWire wire, Read<ErrorWire>(json, "error object"));
  return FromWire(std::move(wire));
}

absl::StatusOr<InvocationOutput> ParseInvocationOutput(std::string_view json) {
  LMC_ASSIGN_OR_RETURN(OutputWire wire, Read<OutputWire>(json, "durable answer"));
  InvocationOutput output;
  if (wire.status == "SUCCEEDED") {
    output.status = InvocationStatus::kSucceeded;
  } else if (wire.status == "FAILED") {
    output.status = InvocationStatus::kFailed;
  } else if (wire.status == "PENDING") {
    output.status = InvocationStatus::kPending;
  } else {
    return UnknownWord("durable answer: Status", "invocation status", wire.status);
  }
  output.result = std::move(wire.result);
  if (wire.error.has_value()) output.error = FromWire(std::move(*wire.error));
  return output;
}

}  // namespace lmc::durable
