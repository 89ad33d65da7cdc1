// File: handlers/durable/wire_json.h
//
// The JSON codec of the durable-execution wire types (handlers/durable/operation.h), read with
// lmc's JSON reader (the operation log with a one-pass reader of its own, under the same rules:
// internal/operation_reader.h) and written with lmc::JsonWriter, in the exact field names of the
// Lambda API model (PROTOCOL.md). Both directions of every message are here, so the SDK, its test
// fakes and the local emulator share one codec: the invocation event, the handler's answer, the
// checkpoint request and answer, the state answer and an ErrorObject.
//
// Parsing never trusts its input: a malformed document, a missing required field, a value of
// the wrong type or an unknown enum word gives InvalidArgument naming the field
// (`Operations[2].Status: unknown operation status "DONE"`).
//
// Example:
//
//   absl::StatusOr<lmc::durable::InvocationInput> input =
//       lmc::durable::ParseInvocationInput(event);
//   if (!input.ok()) return lmc::Error::FromStatus(input.status());
//   std::string body = lmc::durable::CheckpointRequestJson(request);
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "handlers/durable/operation.h"
#include "lmc/event.h"
#include "lmc/json.h"

namespace lmc::durable {

// How a message writes its timestamps: the invocation event in epoch milliseconds (integers),
// the REST answers in epoch seconds (numbers, possibly fractional), as rest-json does.
enum class TimestampUnit { kMilliseconds, kSeconds };

// The invocation event (milliseconds). The Event form reads the event where the runtime holds
// it, with the invocation's parser (no copy); like Event::Json(), it invalidates documents from
// an earlier Json() of the same handler call.
absl::StatusOr<InvocationInput> ParseInvocationInput(std::string_view json);
absl::StatusOr<InvocationInput> ParseInvocationInput(const Event& event);
std::string InvocationInputJson(const InvocationInput& input);

// CheckpointDurableExecution's body (the ARN travels in the path, so `durable_execution_arn`
// is neither written nor read) and its answer (seconds).
std::string CheckpointRequestJson(const CheckpointRequest& request);
absl::StatusOr<CheckpointRequest> ParseCheckpointRequest(std::string_view json);
std::string CheckpointResponseJson(const CheckpointResponse& response);
absl::StatusOr<CheckpointResponse> ParseCheckpointResponse(std::string_view json);

// GetDurableExecutionState's answer (seconds).
std::string StateResponseJson(const StateResponse& response);
absl::StatusOr<StateResponse> ParseStateResponse(std::string_view json);

// One Operation, one OperationUpdate, one ErrorObject.
void WriteOperation(JsonWriter& json, const Operation& operation, TimestampUnit unit);
void WriteOperationUpdate(JsonWriter& json, const OperationUpdate& update);
void WriteErrorObject(JsonWriter& json, const ErrorObject& error);
std::string ErrorObjectJson(const ErrorObject& error);
// An ErrorObject document (SendDurableExecutionCallbackFailure's body).
absl::StatusOr<ErrorObject> ParseErrorObject(std::string_view json);

// InvocationOutput
//
// The durable handler's answer (PROTOCOL.md §2).
enum class InvocationStatus { kSucceeded, kFailed, kPending };
struct InvocationOutput {
  InvocationStatus status = InvocationStatus::kPending;
  std::optional<std::string> result;  // SUCCEEDED: the result's JSON text ("" when checkpointed)
  std::optional<ErrorObject> error;   // FAILED (absent when checkpointed)

  bool operator==(const InvocationOutput&) const = default;
};
std::string InvocationOutputJson(const InvocationOutput& output);
absl::StatusOr<InvocationOutput> ParseInvocationOutput(std::string_view json);

}  // namespace lmc::durable
