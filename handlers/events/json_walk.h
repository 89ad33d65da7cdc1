// File: handlers/events/json_walk.h
//
// Internal to handlers/events and handlers/http: small readers over simdjson's on-demand API
// that every event parser shares, so that "a field of the wrong type" is reported the same way
// everywhere (absl::InvalidArgumentError naming the field) and JSON null reads as "absent".
// Strings are views: into the parser's string buffer (unescaped) or, for raw JSON, into the
// event bytes. They stay valid until the parser parses another document.
//
// Example:
//
//   absl::Status status = ForEachField(object, [&](std::string_view key, Value& value) {
//     if (key == "messageId") return ReadString(value, key, record.message_id);
//     return absl::OkStatus();   // unknown fields are skipped
//   });
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "handlers/events/fields.h"
#include "lmc/event.h"
#include "simdjson.h"

namespace lmc::events::internal {

using Value = simdjson::ondemand::value;
using FieldFn = absl::FunctionRef<absl::Status(std::string_view key, Value& value)>;

// InvalidArgument "<what>: <why>".
absl::Status FieldError(std::string_view what, std::string_view why);
// Prefixes a non-OK status's message with "<prefix>: " (same code).
absl::Status Annotate(const absl::Status& status, std::string_view prefix);

// Parses `event` as a JSON object and calls `fn` for each field. `source` names the expected
// event kind in errors ("SQS event").
absl::Status ForEachTopLevelField(const lmc::Event& event, std::string_view source, FieldFn fn);
// Parses an event of the {"Records":[...]} shape (SQS, SNS, S3, Kinesis, DynamoDB Streams) and
// calls `fn` for each record. Errors are prefixed with `source` and the record's index; an event
// without a Records array is InvalidArgument "<source>: no Records array".
absl::Status ForEachRecord(const lmc::Event& event, std::string_view source,
                           absl::FunctionRef<absl::Status(Value& record)> fn);
// Calls `fn` for each field of the object `value`; null is an empty object.
absl::Status ForEachField(Value& value, std::string_view what, FieldFn fn);
// Calls `fn(index, element)` for each element of the array `value`; null is an empty array.
absl::Status ForEachElement(Value& value, std::string_view what,
                            absl::FunctionRef<absl::Status(size_t index, Value& element)> fn);

// True when `value` is JSON null (without consuming it).
bool IsNull(Value& value);

// Scalar readers: null leaves `out` unchanged; another type is an error naming `what`.
absl::Status ReadString(Value& value, std::string_view what, std::string_view& out);
absl::Status ReadBool(Value& value, std::string_view what, bool& out);
absl::Status ReadInt64(Value& value, std::string_view what, int64_t& out);
// Any JSON number (integers included), e.g. epoch seconds with a fraction.
absl::Status ReadDouble(Value& value, std::string_view what, double& out);
// The value's JSON text exactly as in the event (no copy); null gives "null".
absl::Status ReadRaw(Value& value, std::string_view what, std::string_view& out);
// {"k":"v",...} into `out` (null values are skipped).
absl::Status ReadStringMap(Value& value, std::string_view what, Fields& out);
// {"k":["v1","v2"],...} into `out`, one entry per value.
absl::Status ReadMultiMap(Value& value, std::string_view what, Fields& out);
// ["a","b"] into `out`.
absl::Status ReadStringArray(Value& value, std::string_view what,
                             std::vector<std::string_view>& out);

// Checks a record's eventSource (`got`) against `want`.
absl::Status ExpectSource(std::string_view got, std::string_view want);

// Decodes standard base64 (with or without padding). InvalidArgument naming `what` on bad input.
absl::Status DecodeBase64(std::string_view encoded, std::string_view what, std::string& out);

}  // namespace lmc::events::internal
