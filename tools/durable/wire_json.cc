#include "tools/durable/wire_json.h"

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lmc/strings.h"
#include "simdjson.h"

namespace lmc::durable_service {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

// A parsed document that owns its parser (reentrancy: one per call).
struct Document {
  simdjson::dom::parser parser;
  element root;
};

absl::Status Invalid(std::string_view where, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(AsAbsl(where), ": ", AsAbsl(what)));
}

absl::Status ParseObject(std::string_view body, Document& doc, object& out) {
  if (doc.parser.parse(body.data(), body.size()).get(doc.root) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("the body is not valid JSON");
  }
  if (doc.root.get(out) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("the body is not a JSON object");
  }
  return absl::OkStatus();
}

// Optional members: absent and null both leave `out` empty; any other JSON type is an error.
absl::Status ReadString(const object& o, std::string_view key, std::string_view where,
                        std::optional<std::string>& out) {
  element e;
  if (o[key].get(e) != simdjson::SUCCESS || e.is_null()) return absl::OkStatus();
  std::string_view s;
  if (e.get(s) != simdjson::SUCCESS) {
    return Invalid(absl::StrCat(AsAbsl(where), AsAbsl(key)), "expected a string");
  }
  out = std::string(s);
  return absl::OkStatus();
}

absl::Status ReadInt(const object& o, std::string_view key, std::string_view where,
                     std::optional<int64_t>& out) {
  element e;
  if (o[key].get(e) != simdjson::SUCCESS || e.is_null()) return absl::OkStatus();
  int64_t v = 0;
  if (e.get(v) != simdjson::SUCCESS) {
    return Invalid(absl::StrCat(AsAbsl(where), AsAbsl(key)), "expected an integer");
  }
  out = v;
  return absl::OkStatus();
}

absl::Status ReadBool(const object& o, std::string_view key, std::string_view where,
                      std::optional<bool>& out) {
  element e;
  if (o[key].get(e) != simdjson::SUCCESS || e.is_null()) return absl::OkStatus();
  bool v = false;
  if (e.get(v) != simdjson::SUCCESS) {
    return Invalid(absl::StrCat(AsAbsl(where), AsAbsl(key)), "expected a boolean");
  }
  out = v;
  return absl::OkStatus();
}

// An optional nested object: absent or null gives an empty (null) `out`.
absl::Status ReadObject(const object& o, std::string_view key, std::string_view where, object& out,
                        bool& present) {
  present = false;
  element e;
  if (o[key].get(e) != simdjson::SUCCESS || e.is_null()) return absl::OkStatus();
  if (e.get(out) != simdjson::SUCCESS) {
    return Invalid(absl::StrCat(AsAbsl(where), AsAbsl(key)), "expected an object");
  }
  present = true;
  return absl::OkStatus();
}

absl::Status ReadErrorObject(const object& o, std::string_view where, ErrorObject& out) {
  if (absl::Status s = ReadString(o, "ErrorType", where, out.error_type); !s.ok()) return s;
  if (absl::Status s = ReadString(o, "ErrorMessage", where, out.error_message); !s.ok()) return s;
  if (absl::Status s = ReadString(o, "ErrorData", where, out.error_data); !s.ok()) return s;
  element trace;
  if (o["StackTrace"].get(trace) == simdjson::SUCCESS && !trace.is_null()) {
    simdjson::dom::array list;
    if (trace.get(list) != simdjson::SUCCESS) {
      return Invalid(absl::StrCat(AsAbsl(where), "StackTrace"), "expected an array of strings");
    }
    for (element line : list) {
      std::string_view s;
      if (line.get(s) != simdjson::SUCCESS) {
        return Invalid(absl::StrCat(AsAbsl(where), "StackTrace"), "expected an array of strings");
      }
      out.stack_trace.emplace_back(s);
    }
  }
  return absl::OkStatus();
}

// A required enum member.
template <typename Enum, typename Parse>
absl::Status ReadEnum(const object& o, std::string_view key, std::string_view where, Parse parse,
                      Enum& out) {
  std::optional<std::string> text;
  if (absl::Status s = ReadString(o, key, where, text); !s.ok()) return s;
  if (!text) return Invalid(absl::StrCat(AsAbsl(where), AsAbsl(key)), "required");
  std::optional<Enum> value = parse(*text);
  if (!value) {
    return Invalid(absl::StrCat(AsAbsl(where), AsAbsl(key)),
                   absl::StrCat("unknown value \"", *text, "\""));
  }
  out = *value;
  return absl::OkStatus();
}

absl::Status ReadOptions(const object& u, std::string_view where, OperationUpdate& out) {
  object opts;
  bool present = false;
  if (absl::Status s = ReadObject(u, "ContextOptions", where, opts, present); !s.ok()) return s;
  if (present) {
    if (absl::Status s = ReadBool(opts, "ReplayChildren", where, out.replay_children); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = ReadObject(u, "StepOptions", where, opts, present); !s.ok()) return s;
  if (present) {
    absl::Status s =
        ReadInt(opts, "NextAttemptDelaySeconds", where, out.next_attempt_delay_seconds);
    if (!s.ok()) return s;
  }
  if (absl::Status s = ReadObject(u, "WaitOptions", where, opts, present); !s.ok()) return s;
  if (present) {
    if (absl::Status s = ReadInt(opts, "WaitSeconds", where, out.wait_seconds); !s.ok()) return s;
  }
  if (absl::Status s = ReadObject(u, "CallbackOptions", where, opts, present); !s.ok()) return s;
  if (present) {
    absl::Status s = ReadInt(opts, "TimeoutSeconds", where, out.callback_timeout_seconds);
    if (s.ok()) s = ReadInt(opts, "HeartbeatTimeoutSeconds", where, out.callback_heartbeat_seconds);
    if (!s.ok()) return s;
  }
  if (absl::Status s = ReadObject(u, "ChainedInvokeOptions", where, opts, present); !s.ok()) {
    return s;
  }
  if (present) {
    absl::Status s = ReadString(opts, "FunctionName", where, out.function_name);
    if (s.ok()) s = ReadString(opts, "TenantId", where, out.tenant_id);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ReadUpdate(const object& u, std::string_view where, OperationUpdate& out) {
  std::optional<std::string> id;
  if (absl::Status s = ReadString(u, "Id", where, id); !s.ok()) return s;
  if (!id || id->empty()) return Invalid(absl::StrCat(AsAbsl(where), "Id"), "required");
  out.id = *std::move(id);
  absl::Status s = ReadString(u, "ParentId", where, out.parent_id);
  if (s.ok()) s = ReadString(u, "Name", where, out.name);
  if (s.ok()) s = ReadString(u, "SubType", where, out.sub_type);
  if (s.ok()) s = ReadString(u, "Payload", where, out.payload);
  if (s.ok()) s = ReadEnum(u, "Type", where, ParseOperationType, out.type);
  if (s.ok()) s = ReadEnum(u, "Action", where, ParseOperationAction, out.action);
  if (!s.ok()) return s;
  object error;
  bool has_error = false;
  if (s = ReadObject(u, "Error", where, error, has_error); !s.ok()) return s;
  if (has_error) {
    ErrorObject e;
    if (s = ReadErrorObject(error, absl::StrCat(AsAbsl(where), "Error."), e); !s.ok()) return s;
    out.error = std::move(e);
  }
  return ReadOptions(u, where, out);
}

void AppendOptionalString(JsonWriter& w, std::string_view key,
                          const std::optional<std::string>& v) {
  if (v) w.Key(key).String(*v);
}

// EventResult / EventInput: {Payload, Truncated}. The service never truncates.
void AppendPayloadHolder(JsonWriter& w, std::string_view key, const std::optional<std::string>& v,
                         bool include_data) {
  w.Key(key).BeginObject();
  if (v && include_data) w.Key("Payload").String(*v);
  w.Key("Truncated").Bool(false).EndObject();
}

void AppendErrorHolder(JsonWriter& w, const std::optional<ErrorObject>& e, bool include_data) {
  w.Key("Error").BeginObject();
  if (e && include_data) {
    w.Key("Payload");
    AppendErrorObject(w, *e);
  }
  w.Key("Truncated").Bool(false).EndObject();
}

// Which payload holder an event type carries: Result for *Succeeded (but WaitSucceeded), Error
// for *Failed, *TimedOut, *Stopped and WaitCancelled; Input for *Started that carry input.
bool WantsResult(std::string_view type) {
  return type.ends_with("Succeeded") && type != "WaitSucceeded";
}
bool WantsError(std::string_view type) {
  return type.ends_with("Failed") || type.ends_with("TimedOut") || type.ends_with("Stopped") ||
         type == "WaitCancelled";
}

void AppendDetails(JsonWriter& w, const HistoryEvent& e, bool include_data) {
  const EventDetails& d = e.details;
  w.Key(e.type + "Details").BeginObject();
  if (d.input) AppendPayloadHolder(w, "Input", d.input, include_data);
  if (d.execution_timeout_seconds) w.Key("ExecutionTimeout").Int(*d.execution_timeout_seconds);
  if (WantsResult(e.type)) AppendPayloadHolder(w, "Result", d.result, include_data);
  if (WantsError(e.type) || (e.type == "InvocationCompleted" && d.error)) {
    AppendErrorHolder(w, d.error, include_data);
  }
  if (d.has_retry_details) {
    w.Key("RetryDetails").BeginObject().Key("CurrentAttempt").Int(d.current_attempt);
    if (d.next_attempt_delay_seconds) {
      w.Key("NextAttemptDelaySeconds").Int(*d.next_attempt_delay_seconds);
    }
    w.EndObject();
  }
  if (d.duration_seconds) w.Key("Duration").Int(*d.duration_seconds);
  if (d.scheduled_end_timestamp) {
    w.Key("ScheduledEndTimestamp");
    AppendTime(w, *d.scheduled_end_timestamp, TimeFormat::kEpochSeconds);
  }
  AppendOptionalString(w, "CallbackId", d.callback_id);
  if (d.heartbeat_timeout_seconds) w.Key("HeartbeatTimeout").Int(*d.heartbeat_timeout_seconds);
  if (d.timeout_seconds) w.Key("Timeout").Int(*d.timeout_seconds);
  AppendOptionalString(w, "FunctionName", d.function_name);
  AppendOptionalString(w, "TenantId", d.tenant_id);
  AppendOptionalString(w, "ExecutedVersion", d.executed_version);
  AppendOptionalString(w, "DurableExecutionArn", d.durable_execution_arn);
  if (d.invocation_start) {
    w.Key("StartTimestamp");
    AppendTime(w, *d.invocation_start, TimeFormat::kEpochSeconds);
  }
  if (d.invocation_end) {
    w.Key("EndTimestamp");
    AppendTime(w, *d.invocation_end, TimeFormat::kEpochSeconds);
  }
  AppendOptionalString(w, "RequestId", d.request_id);
  w.EndObject();
}

}  // namespace

absl::StatusOr<CheckpointRequest> ParseCheckpointRequest(std::string_view body) {
  Document doc;
  object root;
  if (absl::Status s = ParseObject(body, doc, root); !s.ok()) return s;
  CheckpointRequest out;
  std::optional<std::string> token;
  if (absl::Status s = ReadString(root, "CheckpointToken", "", token); !s.ok()) return s;
  if (!token || token->empty()) return Invalid("CheckpointToken", "required");
  out.checkpoint_token = *std::move(token);
  if (absl::Status s = ReadString(root, "ClientToken", "", out.client_token); !s.ok()) return s;
  element updates;
  if (root["Updates"].get(updates) == simdjson::SUCCESS && !updates.is_null()) {
    simdjson::dom::array list;
    if (updates.get(list) != simdjson::SUCCESS) return Invalid("Updates", "expected an array");
    size_t index = 0;
    for (element u : list) {
      const std::string where = absl::StrCat("Updates[", index++, "].");
      object update;
      if (u.get(update) != simdjson::SUCCESS) return Invalid(where, "expected an object");
      OperationUpdate parsed;
      if (absl::Status s = ReadUpdate(update, where, parsed); !s.ok()) return s;
      out.updates.push_back(std::move(parsed));
    }
  }
  return out;
}

absl::StatusOr<InvocationOutput> ParseInvocationOutput(std::string_view body) {
  Document doc;
  object root;
  if (absl::Status s = ParseObject(body, doc, root); !s.ok()) return s;
  std::optional<std::string> status;
  if (absl::Status s = ReadString(root, "Status", "", status); !s.ok()) return s;
  InvocationOutput out;
  if (status == "SUCCEEDED") {
    out.status = InvocationOutput::Status::kSucceeded;
  } else if (status == "FAILED") {
    out.status = InvocationOutput::Status::kFailed;
  } else if (status == "PENDING") {
    out.status = InvocationOutput::Status::kPending;
  } else {
    return Invalid("Status", status ? absl::StrCat("unknown value \"", *status, "\"")
                                    : std::string("required (SUCCEEDED, FAILED or PENDING)"));
  }
  if (absl::Status s = ReadString(root, "Result", "", out.result); !s.ok()) return s;
  object error;
  bool has_error = false;
  if (absl::Status s = ReadObject(root, "Error", "", error, has_error); !s.ok()) return s;
  if (has_error) {
    ErrorObject e;
    if (absl::Status s = ReadErrorObject(error, "Error.", e); !s.ok()) return s;
    out.error = std::move(e);
  }
  return out;
}

absl::StatusOr<ErrorObject> ParseErrorObject(std::string_view body) {
  ErrorObject out;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return out;
  Document doc;
  object root;
  if (absl::Status s = ParseObject(body, doc, root); !s.ok()) return s;
  if (absl::Status s = ReadErrorObject(root, "", out); !s.ok()) return s;
  return out;
}

ErrorObject ParseLambdaError(std::string_view body, std::string_view header_type) {
  ErrorObject out;
  Document doc;
  object root;
  if (ParseObject(body, doc, root).ok()) {
    std::optional<std::string> type;
    std::optional<std::string> message;
    if (ReadString(root, "errorType", "", type).ok()) out.error_type = std::move(type);
    if (ReadString(root, "errorMessage", "", message).ok()) out.error_message = std::move(message);
    simdjson::dom::array trace;
    if (root["stackTrace"].get(trace) == simdjson::SUCCESS) {
      for (element line : trace) {
        std::string_view s;
        if (line.get(s) == simdjson::SUCCESS) out.stack_trace.emplace_back(s);
      }
    }
  } else if (!body.empty()) {
    out.error_message = std::string(body);
  }
  if (!out.error_type) {
    out.error_type = header_type.empty() ? "Runtime.Unknown" : std::string(header_type);
  }
  return out;
}

void AppendTime(JsonWriter& w, absl::Time t, TimeFormat format) {
  if (format == TimeFormat::kEpochMillis) {
    w.Int(absl::ToUnixMillis(t));
  } else {
    // Millisecond precision, as the service stores them: 1767225600.25, 1767225600.
    w.Double(static_cast<double>(absl::ToUnixMillis(t)) / 1000.0);
  }
}

void AppendErrorObject(JsonWriter& w, const ErrorObject& error) {
  w.BeginObject();
  AppendOptionalString(w, "ErrorType", error.error_type);
  AppendOptionalString(w, "ErrorMessage", error.error_message);
  AppendOptionalString(w, "ErrorData", error.error_data);
  if (!error.stack_trace.empty()) {
    w.Key("StackTrace").BeginArray();
    for (const std::string& line : error.stack_trace) w.String(line);
    w.EndArray();
  }
  w.EndObject();
}

void AppendOperation(JsonWriter& w, const Operation& op, TimeFormat format) {
  w.BeginObject().Key("Id").String(op.id);
  AppendOptionalString(w, "ParentId", op.parent_id);
  AppendOptionalString(w, "Name", op.name);
  w.Key("Type").String(ToString(op.type));
  AppendOptionalString(w, "SubType", op.sub_type);
  w.Key("StartTimestamp");
  AppendTime(w, op.start_timestamp, format);
  if (op.end_timestamp) {
    w.Key("EndTimestamp");
    AppendTime(w, *op.end_timestamp, format);
  }
  w.Key("Status").String(ToString(op.status));
  auto result_and_error = [&] {
    AppendOptionalString(w, "Result", op.result);
    if (op.error) {
      w.Key("Error");
      AppendErrorObject(w, *op.error);
    }
  };
  switch (op.type) {
    case OperationType::kExecution:
      w.Key("ExecutionDetails").BeginObject();
      AppendOptionalString(w, "InputPayload", op.input_payload);
      w.EndObject();
      break;
    case OperationType::kContext:
      w.Key("ContextDetails").BeginObject();
      if (op.replay_children) w.Key("ReplayChildren").Bool(*op.replay_children);
      result_and_error();
      w.EndObject();
      break;
    case OperationType::kStep:
      w.Key("StepDetails").BeginObject().Key("Attempt").Int(op.attempt);
      if (op.next_attempt_timestamp) {
        w.Key("NextAttemptTimestamp");
        AppendTime(w, *op.next_attempt_timestamp, format);
      }
      result_and_error();
      w.EndObject();
      break;
    case OperationType::kWait:
      w.Key("WaitDetails").BeginObject();
      if (op.scheduled_end_timestamp) {
        w.Key("ScheduledEndTimestamp");
        AppendTime(w, *op.scheduled_end_timestamp, format);
      }
      w.EndObject();
      break;
    case OperationType::kCallback:
      w.Key("CallbackDetails").BeginObject().Key("CallbackId").String(op.callback_id);
      result_and_error();
      w.EndObject();
      break;
    case OperationType::kChainedInvoke:
      w.Key("ChainedInvokeDetails").BeginObject();
      result_and_error();
      w.EndObject();
      break;
  }
  w.EndObject();
}

void AppendEvent(JsonWriter& w, const HistoryEvent& event, bool include_data) {
  w.BeginObject().Key("EventType").String(event.type);
  AppendOptionalString(w, "SubType", event.sub_type);
  w.Key("EventId").Int(event.event_id);
  AppendOptionalString(w, "Id", event.op_id);
  AppendOptionalString(w, "Name", event.name);
  w.Key("EventTimestamp");
  AppendTime(w, event.timestamp, TimeFormat::kEpochSeconds);
  AppendOptionalString(w, "ParentId", event.parent_id);
  AppendDetails(w, event, include_data);
  w.EndObject();
}

}  // namespace lmc::durable_service
