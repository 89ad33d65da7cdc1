// File: tools/durable/wire_json.h
//
// The JSON the durable-execution API speaks, both ways, for the local service: reading what an
// SDK sends (CheckpointDurableExecution bodies, the handler's invocation output, callback
// bodies, Lambda /error bodies) and writing what the service answers (operations, history
// events, error objects). Field names are the API model's; timestamps are written as the
// rest-json protocol writes them (epoch seconds, a JSON number with a fraction) in REST answers
// and as epoch milliseconds (an integer) in the invocation event, which is how the real service
// hands the initial state to a function.
//
// Example:
//
//   absl::StatusOr<CheckpointRequest> req = ParseCheckpointRequest(body);
//   if (!req.ok()) return Reject(req.status());        // message names the bad field
//   std::string out;
//   lmc::JsonWriter w(&out);
//   AppendOperation(w, op, TimeFormat::kEpochSeconds);
//
// Thread-safety: every function is reentrant (each parse uses its own parser).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lmc/json.h"
#include "tools/durable/model.h"

namespace lmc::durable_service {

// TimeFormat: how a timestamp is written.
enum class TimeFormat {
  kEpochSeconds,  // 1767225600.25 (REST answers)
  kEpochMillis,   // 1767225600250 (the invocation event)
};

// CheckpointRequest: the body of POST .../checkpoint.
struct CheckpointRequest {
  std::string checkpoint_token;
  std::optional<std::string> client_token;
  std::vector<OperationUpdate> updates;
};

// ParseCheckpointRequest()
//
// Reads and type-checks the body. InvalidArgument, with a message naming the field
// ("Updates[2].Action: unknown value \"GO\""), for malformed JSON, a missing CheckpointToken,
// an update without Id/Type/Action, unknown enum values or a field of the wrong JSON type.
absl::StatusOr<CheckpointRequest> ParseCheckpointRequest(std::string_view body);

// InvocationOutput: what a durable handler answers ({"Status":"SUCCEEDED","Result":"..."}).
struct InvocationOutput {
  enum class Status { kSucceeded, kFailed, kPending };
  Status status = Status::kPending;
  std::optional<std::string> result;
  std::optional<ErrorObject> error;
};

// ParseInvocationOutput()
//
// InvalidArgument when the body is not a JSON object with a Status of SUCCEEDED, FAILED or
// PENDING (a non-durable handler's answer, for instance), or when Result is not a string.
absl::StatusOr<InvocationOutput> ParseInvocationOutput(std::string_view body);

// ParseErrorObject()
//
// An ErrorObject from JSON ({"ErrorType":..,"ErrorMessage":..,"ErrorData":..,"StackTrace":[..]}).
// An empty body is an empty ErrorObject (SendDurableExecutionCallbackFailure without Error).
absl::StatusOr<ErrorObject> ParseErrorObject(std::string_view body);

// ParseLambdaError()
//
// The ErrorObject of a Runtime API /error body ({"errorType","errorMessage","stackTrace"}); a
// body that is not such JSON becomes {ErrorType: header_type or "Runtime.Unknown", message: the
// body}.
ErrorObject ParseLambdaError(std::string_view body, std::string_view header_type);

// Writers. Each appends one JSON value through `w`.
void AppendTime(JsonWriter& w, absl::Time t, TimeFormat format);
void AppendErrorObject(JsonWriter& w, const ErrorObject& error);
void AppendOperation(JsonWriter& w, const Operation& op, TimeFormat format);
// An event of GetDurableExecutionHistory; `include_data` false leaves payloads and error
// objects out (IncludeExecutionData=false).
void AppendEvent(JsonWriter& w, const HistoryEvent& event, bool include_data);

}  // namespace lmc::durable_service
