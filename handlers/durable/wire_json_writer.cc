// The writing half of the durable-execution JSON codec (handlers/durable/wire_json.h); the
// reading half is wire_json.cc.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/durable/operation.h"
#include "handlers/durable/wire_json.h"
#include "lmc/json.h"

namespace lmc::durable {
namespace {

void WriteTimestamp(JsonWriter& json, std::string_view key, const std::optional<int64_t>& ms,
                    TimestampUnit unit) {
  if (!ms.has_value()) return;
  json.Key(key);
  if (unit == TimestampUnit::kMilliseconds) {
    json.Int(*ms);
  } else {
    json.Double(static_cast<double>(*ms) / 1000.0);
  }
}

void WriteOptionalString(JsonWriter& json, std::string_view key,
                         const std::optional<std::string>& value) {
  if (value.has_value()) json.Key(key).String(*value);
}

std::string_view DetailsKey(OperationType type) {
  switch (type) {
    case OperationType::kExecution:
      return "ExecutionDetails";
    case OperationType::kContext:
      return "ContextDetails";
    case OperationType::kStep:
      return "StepDetails";
    case OperationType::kWait:
      return "WaitDetails";
    case OperationType::kCallback:
      return "CallbackDetails";
    case OperationType::kChainedInvoke:
      return "ChainedInvokeDetails";
  }
  return "StepDetails";
}

// The fields of `op`'s details object that its type has.
void WriteDetails(JsonWriter& json, const Operation& op, TimestampUnit unit) {
  json.Key(DetailsKey(op.type)).BeginObject();
  switch (op.type) {
    case OperationType::kExecution:
      WriteOptionalString(json, "InputPayload", op.input_payload);
      break;
    case OperationType::kWait:
      WriteTimestamp(json, "ScheduledEndTimestamp", op.scheduled_end_ms, unit);
      break;
    case OperationType::kStep:
      json.Key("Attempt").Int(op.attempt);
      WriteTimestamp(json, "NextAttemptTimestamp", op.next_attempt_ms, unit);
      [[fallthrough]];
    case OperationType::kContext:
    case OperationType::kCallback:
    case OperationType::kChainedInvoke:
      if (op.type == OperationType::kCallback) {
        WriteOptionalString(json, "CallbackId", op.callback_id);
      }
      if (op.type == OperationType::kContext && op.replay_children) {
        json.Key("ReplayChildren").Bool(true);
      }
      WriteOptionalString(json, "Result", op.result);
      if (op.error.has_value()) {
        json.Key("Error");
        WriteErrorObject(json, *op.error);
      }
      break;
  }
  json.EndObject();
}

void WriteOperations(JsonWriter& json, const std::vector<Operation>& operations,
                     std::string_view next_marker, TimestampUnit unit) {
  json.BeginObject().Key("Operations").BeginArray();
  for (const Operation& op : operations) WriteOperation(json, op, unit);
  json.EndArray();
  if (!next_marker.empty()) json.Key("NextMarker").String(next_marker);
  json.EndObject();
}

}  // namespace

std::string InvocationInputJson(const InvocationInput& input) {
  std::string out;
  JsonWriter json(&out);
  json.BeginObject();
  json.Key("DurableExecutionArn").String(input.durable_execution_arn);
  json.Key("CheckpointToken").String(input.checkpoint_token);
  json.Key("InitialExecutionState");
  WriteOperations(json, input.operations, input.next_marker, TimestampUnit::kMilliseconds);
  json.EndObject();
  return out;
}

std::string CheckpointRequestJson(const CheckpointRequest& request) {
  std::string out;
  JsonWriter json(&out);
  json.BeginObject();
  json.Key("CheckpointToken").String(request.checkpoint_token);
  json.Key("Updates").BeginArray();
  for (const OperationUpdate& update : request.updates) WriteOperationUpdate(json, update);
  json.EndArray();
  if (!request.client_token.empty()) json.Key("ClientToken").String(request.client_token);
  json.EndObject();
  return out;
}

std::string CheckpointResponseJson(const CheckpointResponse& response) {
  std::string out;
  JsonWriter json(&out);
  json.BeginObject();
  if (response.checkpoint_token.has_value()) {
    json.Key("CheckpointToken").String(*response.checkpoint_token);
  }
  json.Key("NewExecutionState");
  WriteOperations(json, response.operations, response.next_marker, TimestampUnit::kSeconds);
  json.EndObject();
  return out;
}

std::string StateResponseJson(const StateResponse& response) {
  std::string out;
  JsonWriter json(&out);
  WriteOperations(json, response.operations, response.next_marker, TimestampUnit::kSeconds);
  return out;
}

void WriteOperation(JsonWriter& json, const Operation& op, TimestampUnit unit) {
  json.BeginObject();
  json.Key("Id").String(op.id);
  WriteOptionalString(json, "ParentId", op.parent_id);
  WriteOptionalString(json, "Name", op.name);
  json.Key("Type").String(ToString(op.type));
  if (!op.sub_type.empty()) json.Key("SubType").String(op.sub_type);
  json.Key("Status").String(ToString(op.status));
  WriteTimestamp(json, "StartTimestamp", op.start_ms, unit);
  WriteTimestamp(json, "EndTimestamp", op.end_ms, unit);
  WriteDetails(json, op, unit);
  json.EndObject();
}

void WriteOperationUpdate(JsonWriter& json, const OperationUpdate& update) {
  json.BeginObject();
  json.Key("Id").String(update.id);
  WriteOptionalString(json, "ParentId", update.parent_id);
  WriteOptionalString(json, "Name", update.name);
  json.Key("Type").String(ToString(update.type));
  if (!update.sub_type.empty()) json.Key("SubType").String(update.sub_type);
  json.Key("Action").String(ToString(update.action));
  WriteOptionalString(json, "Payload", update.payload);
  if (update.error.has_value()) {
    json.Key("Error");
    WriteErrorObject(json, *update.error);
  }
  if (update.replay_children.has_value()) {
    json.Key("ContextOptions").BeginObject().Key("ReplayChildren").Bool(*update.replay_children);
    json.EndObject();
  }
  if (update.next_attempt_delay_seconds.has_value()) {
    json.Key("StepOptions").BeginObject();
    json.Key("NextAttemptDelaySeconds").Int(*update.next_attempt_delay_seconds).EndObject();
  }
  if (update.wait_seconds.has_value()) {
    json.Key("WaitOptions").BeginObject().Key("WaitSeconds").Int(*update.wait_seconds).EndObject();
  }
  if (update.callback_timeout_seconds.has_value() || update.heartbeat_timeout_seconds.has_value()) {
    json.Key("CallbackOptions").BeginObject();
    if (update.callback_timeout_seconds.has_value()) {
      json.Key("TimeoutSeconds").Int(*update.callback_timeout_seconds);
    }
    if (update.heartbeat_timeout_seconds.has_value()) {
      json.Key("HeartbeatTimeoutSeconds").Int(*update.heartbeat_timeout_seconds);
    }
    json.EndObject();
  }
  if (update.function_name.has_value()) {
    json.Key("ChainedInvokeOptions")
        .BeginObject()
        .Key("FunctionName")
        .String(*update.function_name);
    WriteOptionalString(json, "TenantId", update.tenant_id);
    json.EndObject();
  }
  json.EndObject();
}

void WriteErrorObject(JsonWriter& json, const ErrorObject& error) {
  json.BeginObject();
  WriteOptionalString(json, "ErrorType", error.type);
  WriteOptionalString(json, "ErrorMessage", error.message);
  WriteOptionalString(json, "ErrorData", error.data);
  if (!error.stack_trace.empty()) {
    json.Key("StackTrace").BeginArray();
    for (const std::string& line : error.stack_trace) json.String(line);
    json.EndArray();
  }
  json.EndObject();
}

std::string ErrorObjectJson(const ErrorObject& error) {
  std::string out;
  JsonWriter json(&out);
  WriteErrorObject(json, error);
  return out;
}

std::string InvocationOutputJson(const InvocationOutput& output) {
  std::string out;
  JsonWriter json(&out);
  json.BeginObject();
  switch (output.status) {
    case InvocationStatus::kSucceeded:
      json.Key("Status").String("SUCCEEDED");
      break;
    case InvocationStatus::kFailed:
      json.Key("Status").String("FAILED");
      break;
    case InvocationStatus::kPending:
      json.Key("Status").String("PENDING");
      break;
  }
  WriteOptionalString(json, "Result", output.result);
  if (output.error.has_value()) {
    json.Key("Error");
    WriteErrorObject(json, *output.error);
  }
  json.EndObject();
  return out;
}
}  // namespace lmc::durable
