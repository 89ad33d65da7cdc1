// File: handlers/durable/serdes.h
//
// Custom serialisation per operation, as the official SDKs' `serdes` options offer it
// (PROTOCOL.md §10). Every value an operation logs is first written as JSON by the JSON codec
// (handlers/durable/json_codec.h); a Serdes then turns that JSON text into the payload the log
// keeps (encode) and a logged payload back into JSON text (decode). Without one (the default),
// the JSON text is the payload, exactly as before. Typical uses: compress or encrypt payloads,
// keep a non-JSON wire form another SDK or tool expects, or reshape values (dates, envelopes).
//
// Where a Serdes applies (the same places as in the JS and Python SDKs):
//   StepOptions::serdes                 the step's result
//   ChildContextOptions::serdes         the child context's result
//   CallbackOptions / WaitForCallbackOptions::serdes   the callback's result (decode only: the
//                                       answer is written by whoever completes the callback)
//   InvokeOptions::payload_serdes       the chained invoke's input
//   InvokeOptions::result_serdes        its result (decode)
//   MapOptions / ParallelOptions::item_serdes          each branch's result
//   MapOptions / ParallelOptions::serdes               the whole batch result (the JSON of a
//                                       BatchResult: {"all":[{"index","status","result"|"error"}],
//                                       "completionReason"}); TypedBatchSerdes<T>() works on the
//                                       BatchResult<T> itself
//   WaitForConditionOptions::serdes     the state it checkpoints between checks
// An operation always returns what decode(encode(value)) gives, on the first run as on every
// replay, so code after it cannot tell the two apart. A function left empty is the identity.
// encode/decode may throw: the execution then fails with errorType Durable.SerializationFailed.
// They must be thread-safe when Map/Parallel branches share them.
//
// Example:
//
//   // Payloads sealed by the application's own cipher (any reversible text transform).
//   lmc::durable::Serdes sealed{
//       .encode = [](std::string_view json, const lmc::durable::SerdesContext& c) {
//         return Seal(json, c.operation_id);
//       },
//       .decode = [](std::string_view payload, const lmc::durable::SerdesContext& c) {
//         return Unseal(payload, c.operation_id);
//       }};
//   Receipt r = ctx.Step("charge", Charge, {.serdes = sealed});
//
//   // A typed serdes: a callback's answer {"at":"2026-01-01T00:00:00Z"} read into a struct.
//   lmc::durable::Serdes dated = lmc::durable::TypedSerdes<Event>(nullptr, ReadEventWithDate);
//   Event e = ctx.CreateCallback<Event>("partner", {.serdes = dated}).Result();
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "handlers/durable/batch_result.h"
#include "handlers/durable/internal/batch_json.h"
#include "handlers/durable/json_codec.h"

namespace lmc::durable {

// SerdesContext
//
// Which operation a payload belongs to. Valid during the call only.
struct SerdesContext {
  std::string_view operation_id;  // the operation's wire Id
  std::string_view durable_execution_arn;
};

// Serdes
//
// encode: the payload to log for a value whose JSON text is `json`. decode: the JSON text of the
// value a logged payload holds. Either may be empty (the identity).
struct Serdes {
  std::function<std::string(std::string_view json, const SerdesContext& context)> encode;
  std::function<std::string(std::string_view payload, const SerdesContext& context)> decode;

  // True when both are the identity (the default path: no call, no copy).
  bool empty() const { return !encode && !decode; }
};

// TypedSerdes()
//
// A Serdes over values of type T (any type json_codec.h reads and writes): `serialize` writes the
// payload for a T, `deserialize` reads a T back from a payload (and may throw). Costs one JSON
// round trip per call on top of the user's functions.
namespace serdes_internal {

// A failed decode inside a serdes, as the exception a serdes reports failures with.
[[noreturn]] inline void ThrowInvalid(const absl::Status& status) {
  throw std::invalid_argument(std::string(status.message().data(), status.message().size()));
}

}  // namespace serdes_internal

template <typename T>
Serdes TypedSerdes(
    std::function<std::string(const T& value, const SerdesContext& context)> serialize,
    std::function<T(std::string_view payload, const SerdesContext& context)> deserialize) {
  Serdes serdes;
  if (serialize) {
    serdes.encode = [serialize = std::move(serialize)](std::string_view json,
                                                       const SerdesContext& context) {
      absl::StatusOr<T> value = DecodeJson<T>(json);
      if (!value.ok()) serdes_internal::ThrowInvalid(value.status());
      return serialize(*value, context);
    };
  }
  if (deserialize) {
    serdes.decode = [deserialize = std::move(deserialize)](std::string_view payload,
                                                           const SerdesContext& context) {
      return EncodeJson(deserialize(payload, context));
    };
  }
  return serdes;
}

namespace serdes_internal {

// A batch's JSON (internal/batch_json.h) as a BatchResult<T> and back.
template <typename T>
BatchResult<T> BatchFromJson(std::string_view json) {
  absl::StatusOr<internal::EncodedBatch> batch = internal::DecodeBatchJson(json);
  if (!batch.ok()) ThrowInvalid(batch.status());
  std::vector<BatchItem<T>> items;
  items.reserve(batch->items.size());
  for (internal::EncodedItem& encoded : batch->items) {
    BatchItem<T> item{encoded.index, encoded.status, std::nullopt, std::move(encoded.error)};
    if (encoded.status == BatchItemStatus::kSucceeded) {
      absl::StatusOr<T> value = DecodeJson<T>(encoded.result);
      if (!value.ok()) ThrowInvalid(value.status());
      item.result = std::move(*value);
    }
    items.push_back(std::move(item));
  }
  return BatchResult<T>(std::move(items), batch->reason);
}
template <typename T>
std::string BatchToJson(const BatchResult<T>& result) {
  internal::EncodedBatch batch;
  batch.reason = result.completion_reason();
  for (const BatchItem<T>& item : result.items()) {
    const bool value = item.status == BatchItemStatus::kSucceeded && item.result.has_value();
    batch.items.push_back(
        {item.index, item.status, value ? EncodeJson(*item.result) : "null", item.error});
  }
  return internal::EncodeBatch(batch);
}

}  // namespace serdes_internal

// TypedBatchSerdes()
//
// A Serdes for Map/Parallel's whole-result `serdes` over the BatchResult<T> itself:
// `serialize` writes the payload for a batch, `deserialize` reads one back (and may throw).
template <typename T>
Serdes TypedBatchSerdes(
    std::function<std::string(const BatchResult<T>& batch, const SerdesContext& context)> serialize,
    std::function<BatchResult<T>(std::string_view payload, const SerdesContext& context)>
        deserialize) {
  Serdes serdes;
  if (serialize) {
    serdes.encode = [serialize = std::move(serialize)](std::string_view json,
                                                       const SerdesContext& context) {
      return serialize(serdes_internal::BatchFromJson<T>(json), context);
    };
  }
  if (deserialize) {
    serdes.decode = [deserialize = std::move(deserialize)](std::string_view payload,
                                                           const SerdesContext& context) {
      return serdes_internal::BatchToJson<T>(deserialize(payload, context));
    };
  }
  return serdes;
}

}  // namespace lmc::durable
