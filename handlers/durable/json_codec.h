// File: handlers/durable/json_codec.h
//
// How lmc::durable turns the values a workflow passes around (step results, inputs, callback
// results, map items' results) into the JSON text the service stores, and back, with lmc's own
// JSON reader (lmc/json_reader.h) and writer (lmc/json.h). Supported types:
//   - bool, int, int64_t, uint64_t, double, std::string (and, for writing, any other arithmetic
//     type and std::string_view);
//   - std::optional<T> (null when empty) and std::vector<T> of supported types;
//   - a struct of your own: its DescribeJson() serves both directions (lmc::ReadJson,
//     lmc::WriteJson); a WriteJson(lmc::JsonWriter&, const T&) found next to it, when there is
//     one, writes instead;
//   - lmc::durable::Json: JSON text passed through untouched (any JSON value).
// A value with no JSON form (a function returning void) is written as `null`. Writing is
// lmc::WriteJsonText()'s, so a value reads and writes here exactly as in the rest of lmc.
//
// Example:
//
//   struct Order { std::string sku; int64_t quantity = 1; };
//   void DescribeJson(lmc::JsonFields& fields, Order& o) {
//     fields.Required("sku", o.sku);
//     fields.Optional("quantity", o.quantity);
//   }
//   std::string text = lmc::durable::EncodeJson(Order{"a", 2});     // {"sku":"a","quantity":2}
//   absl::StatusOr<Order> back = lmc::durable::DecodeJson<Order>(text);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lmc/json.h"
#include "lmc/json_reader.h"

namespace lmc::durable {

// Json
//
// A JSON value kept as text: what a callback or an untyped input carries. Written verbatim (the
// holder guarantees it is valid JSON); read without parsing.
struct Json {
  std::string text = "null";

  bool operator==(const Json&) const = default;
};

// Json is written verbatim wherever lmc writes a value (a step result, a field, an element).
inline void WriteJson(JsonWriter& json, const Json& value) { json.Raw(value.text); }

namespace json_codec_internal {

// Any type lmc's reader reads, wrapped as the member of an object so that scalars, arrays and
// structs all go through ReadJsonText().
template <typename T>
struct Box {
  T value{};
};
template <typename T>
void DescribeJson(JsonFields& fields, Box<T>& box) {
  fields.Required("v", box.value);
}

// Reads `json` as the member of {"v": ...} into `fields` (a Box's), and the reader's errors
// reworded to name the value, not "v". Thread-safe: each thread reuses a parser and buffer of
// its own for values up to 64 KiB (one is decoded per replayed operation), larger ones get
// their own, so no thread keeps a large buffer.
absl::Status ReadBoxed(std::string_view json, JsonFields& fields);

}  // namespace json_codec_internal

// EncodeJson()
//
// The JSON text of `value`. Thread-safe (pure).
template <typename T>
std::string EncodeJson(const T& value) {
  return WriteJsonText(value);
}

// DecodeJson()
//
// Reads `json` as a T; InvalidArgument naming the problem (`the value: expected an integer, got
// a string`, `field "items[2].sku": required but missing`). Thread-safe.
template <typename T>
absl::StatusOr<T> DecodeJson(std::string_view json) {
  if constexpr (std::is_same_v<T, Json>) {
    return Json{json.empty() ? std::string("null") : std::string(json)};
  } else {
    json_codec_internal::Box<T> box;
    JsonFields fields;
    DescribeJson(fields, box);
    if (absl::Status status = json_codec_internal::ReadBoxed(json, fields); !status.ok()) {
      return status;
    }
    return std::move(box.value);
  }
}

}  // namespace lmc::durable
