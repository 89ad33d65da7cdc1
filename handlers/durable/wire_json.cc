#include "handlers/durable/wire_json.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "handlers/durable/internal/operation_reader.h"
#include "lmc/event.h"
#include "lmc/json.h"
#include "lmc/json_reader.h"
#include "lmc/status_macros.h"
#include "lmc/strings.h"
#include "simdjson.h"

namespace lmc::durable {
namespace {

// The documents without operations, as lmc's JSON reader sees them: every field in its wire
// spelling, enums still raw. Converted into the public types (with their own checks)
// afterwards. The three that carry operations are read by internal/operation_reader.h.

using internal::ErrorWire;
using internal::FromWire;

// The option objects of an update, all read with one shape: each names a subset of these.
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
  simdjson::padded_string padded(json.data(), json.size());
  simdjson::ondemand::parser parser;
  return internal::ReadInvocationInput(parser.iterate(padded));
}

absl::StatusOr<InvocationInput> ParseInvocationInput(const Event& event) {
  return internal::ReadInvocationInput(event.Json());
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
  simdjson::padded_string padded(json.data(), json.size());
  simdjson::ondemand::parser parser;
  return internal::ReadCheckpointResponse(parser.iterate(padded));
}

absl::StatusOr<StateResponse> ParseStateResponse(std::string_view json) {
  simdjson::padded_string padded(json.data(), json.size());
  simdjson::ondemand::parser parser;
  return internal::ReadStateResponse(parser.iterate(padded));
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
