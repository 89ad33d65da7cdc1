// File: lmc/json_reader.h
//
// Typed JSON input (and output): reads a handler's event (or any JSON text) into a struct of the
// handler's own, in one pass over simdjson's on-demand parser (in place, no copy of the event). A
// struct says once which fields it has, in a DescribeJson() function found next to it; ReadJson()
// does the rest and reports the first problem as an InvalidArgument status that names the field:
//
//   field "order.quantity": expected an integer, got a string
//   field "items[2].sku": required but missing
//
// Supported member types: bool, int, int64_t, uint64_t, double, std::string, std::string_view
// (a view into the parser's buffer, valid until the next Event::Json()/ReadJson() call of the
// handler and never beyond the handler call), std::optional<T> (null or absent: nullopt),
// std::vector<T> (a JSON array) and any struct with its own DescribeJson() (a JSON object).
// Fields the struct does not describe are skipped. A key that appears twice is an error.
//
// Example:
//
//   struct Order {
//     std::string sku;
//     int64_t quantity = 1;             // optional: keeps 1 when absent
//     std::optional<std::string> note;  // nullopt when absent or null
//     std::vector<std::string> tags;
//   };
//   void DescribeJson(lmc::JsonFields& fields, Order& order) {  // next to Order (found by ADL)
//     fields.Required("sku", order.sku);
//     fields.Optional("quantity", order.quantity);
//     fields.Optional("note", order.note);
//     fields.Optional("tags", order.tags);
//   }
//
//   lmc::Result Handle(const lmc::Event& event, const lmc::Context&) {
//     absl::StatusOr<Order> order = lmc::ReadJson<Order>(event);
//     if (!order.ok()) return lmc::Error("InvalidEvent", std::string(order.status().message()));
//     ...
//   }
//
// The same DescribeJson() writes the struct back (WriteJson(), WriteJsonText()): its fields in
// the order described, an Optional std::optional left out when empty (so it reads back as
// nullopt), a Required one written null:
//
//   std::string text = lmc::WriteJsonText(order);   // {"sku":"a","quantity":1,"tags":[]}
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lmc/event.h"
#include "lmc/json.h"
#include "simdjson.h"

namespace lmc {

// JsonPath
//
// Where a value sits in the document, as a chain of links that live on the reader's stack; turned
// into text ("items[2].sku") only when an error is reported.
struct JsonPath {
  const JsonPath* parent = nullptr;
  std::string_view key;     // The object key, or "" for an array element.
  size_t index = 0;         // The array index when `key` is "".
  bool is_element = false;  // True for an array element.

  // "a.b[3].c"; "" for the document itself.
  std::string ToString() const;
};

// JsonFields
//
// The fields of one struct, as described by its DescribeJson(). A reading JsonFields (the
// default) holds pointers to the struct's members (not owned); a writing one (constructed on a
// JsonWriter) writes each field as it is described and never changes the struct. Use it only
// inside DescribeJson(). Not thread-safe (one per read or write).
class JsonFields {
 public:
  JsonFields() = default;
  // Writes each described field to `json`, as a member of the object the caller opened.
  explicit JsonFields(JsonWriter& json) : writer_(&json) {}

  // Reading: reads field `name` into `out`; InvalidArgument when it is absent. A JSON null is
  // accepted only when `out` is a std::optional. Writing: writes `out` (null for an empty
  // std::optional).
  template <typename T>
  void Required(std::string_view name, T& out);
  // Reading: reads field `name` into `out` when present; leaves `out` as it was when absent (or
  // when null, for a std::optional: then nullopt). Writing: writes `out`, or nothing for an
  // empty std::optional.
  template <typename T>
  void Optional(std::string_view name, T& out);

  // True for a writing JsonFields (a DescribeJson() that does more than name fields may ask).
  bool writing() const { return writer_ != nullptr; }

  // Reads every field of `object` into the bound members (internal: ReadJson() calls it).
  absl::Status ReadObject(simdjson::ondemand::object object, const JsonPath& path);

 private:
  using ReadFn = absl::Status (*)(simdjson::ondemand::value value, void* out, const JsonPath& path);
  struct Binding {
    std::string_view name;
    bool required;
    bool seen;
    void* out;
    ReadFn read;
  };

  template <typename T>
  static absl::Status ReadInto(simdjson::ondemand::value value, void* out, const JsonPath& path);

  void Bind(std::string_view name, bool required, void* out, ReadFn read) {
    bindings_.push_back(Binding{name, required, false, out, read});
  }

  // Most structs have a handful of fields: no allocation for up to 16.
  absl::InlinedVector<Binding, 16> bindings_;
  JsonWriter* writer_ = nullptr;  // set: writing
};

namespace json_internal {

// A struct ReadJson() can fill: it has a DescribeJson(JsonFields&, T&) found by ADL.
template <typename T>
concept Described = requires(JsonFields& fields, T& value) {
  DescribeJson(fields, value);
};

// InvalidArgument("field \"<path>\": <what>") (or "the document: <what>" at the root).
absl::Status FieldError(const JsonPath& path, std::string_view what);
// The error for a value that is not of the `expected` kind ("an integer", "a string", ...).
absl::Status TypeError(simdjson::ondemand::value& value, const JsonPath& path,
                       std::string_view expected);

// One overload per supported type. All are declared before any template uses them, so the
// templates below find each other by ordinary lookup.
absl::Status ReadValue(simdjson::ondemand::value value, bool& out, const JsonPath& path);
absl::Status ReadValue(simdjson::ondemand::value value, int& out, const JsonPath& path);
absl::Status ReadValue(simdjson::ondemand::value value, int64_t& out, const JsonPath& path);
absl::Status ReadValue(simdjson::ondemand::value value, uint64_t& out, const JsonPath& path);
absl::Status ReadValue(simdjson::ondemand::value value, double& out, const JsonPath& path);
absl::Status ReadValue(simdjson::ondemand::value value, std::string& out, const JsonPath& path);
absl::Status ReadValue(simdjson::ondemand::value value, std::string_view& out,
                       const JsonPath& path);
template <typename T>
absl::Status ReadValue(simdjson::ondemand::value value, std::optional<T>& out,
                       const JsonPath& path);
template <typename T>
absl::Status ReadValue(simdjson::ondemand::value value, std::vector<T>& out, const JsonPath& path);
template <Described T>
absl::Status ReadValue(simdjson::ondemand::value value, T& out, const JsonPath& path);

// True when `value` is JSON null (and consumes it).
bool IsNull(simdjson::ondemand::value& value);

template <typename T>
absl::Status ReadValue(simdjson::ondemand::value value, std::optional<T>& out,
                       const JsonPath& path) {
  if (IsNull(value)) {
    out.reset();
    return absl::OkStatus();
  }
  T read{};
  absl::Status status = ReadValue(value, read, path);
  if (status.ok()) out = std::move(read);
  return status;
}

template <typename T>
absl::Status ReadValue(simdjson::ondemand::value value, std::vector<T>& out, const JsonPath& path) {
  simdjson::ondemand::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    return TypeError(value, path, "an array");
  }
  out.clear();
  size_t index = 0;
  for (auto element : array) {
    const JsonPath element_path{&path, "", index++, true};
    simdjson::ondemand::value element_value;
    if (element.get(element_value) != simdjson::SUCCESS) {
      return FieldError(element_path, "not valid JSON");
    }
    T read{};
    if (absl::Status status = ReadValue(element_value, read, element_path); !status.ok()) {
      return status;
    }
    out.push_back(std::move(read));
  }
  return absl::OkStatus();
}

template <Described T>
absl::Status ReadValue(simdjson::ondemand::value value, T& out, const JsonPath& path) {
  simdjson::ondemand::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) {
    return TypeError(value, path, "an object");
  }
  JsonFields fields;
  DescribeJson(fields, out);
  return fields.ReadObject(object, path);
}

// Reads the root of `document` (an object) into `out`.
absl::Status ReadDocument(simdjson::simdjson_result<simdjson::ondemand::document>&& document,
                          JsonFields& fields);

// Writing: one overload per supported type, declared before the templates that use them.
inline void WriteValue(JsonWriter& json, bool value) { json.Bool(value); }
// Every other arithmetic type (int, long long, size_t, float, ...).
template <typename T>
requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) void WriteValue(JsonWriter& json,
                                                                              T value) {
  if constexpr (std::is_floating_point_v<T>) {
    json.Double(static_cast<double>(value));
  } else if constexpr (std::is_signed_v<T>) {
    json.Int(static_cast<int64_t>(value));
  } else {
    json.Uint(static_cast<uint64_t>(value));
  }
}
inline void WriteValue(JsonWriter& json, std::string_view value) { json.String(value); }
inline void WriteValue(JsonWriter& json, const std::string& value) { json.String(value); }
inline void WriteValue(JsonWriter& json, const char* value) { json.String(value); }
template <typename T>
void WriteValue(JsonWriter& json, const std::optional<T>& value);
template <typename T>
void WriteValue(JsonWriter& json, const std::vector<T>& values);

// A type with a WriteJson(JsonWriter&, const T&) found by argument-dependent lookup: one of its
// own, or lmc::WriteJson (below) for a struct with a DescribeJson(). Looking the writer up by
// name is what lets a struct's own WriteJson() take precedence wherever the struct is written,
// as a field or an element too.
template <typename T>
concept HasWriteJson = requires(JsonWriter& json, const T& value) {
  WriteJson(json, value);
};
template <HasWriteJson T>
void WriteValue(JsonWriter& json, const T& value) {
  WriteJson(json, value);
}

template <typename T>
void WriteValue(JsonWriter& json, const std::optional<T>& value) {
  if (value.has_value()) {
    WriteValue(json, *value);
  } else {
    json.Null();
  }
}
template <typename T>
void WriteValue(JsonWriter& json, const std::vector<T>& values) {
  json.BeginArray();
  for (const T& value : values) WriteValue(json, value);
  json.EndArray();
}

// A value WriteJsonText() can write: a scalar, a string, an optional or vector of writable
// values, or a type with a WriteJson().
template <typename T>
concept Writable = requires(JsonWriter& json, const T& value) {
  WriteValue(json, value);
};

// The fields of a described struct, as one JSON object.
template <Described T>
void WriteDescribed(JsonWriter& json, const T& value) {
  json.BeginObject();
  JsonFields fields(json);
  // A writing JsonFields only reads the members: DescribeJson's non-const reference is never
  // written through.
  DescribeJson(fields, const_cast<T&>(value));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  json.EndObject();
}

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

}  // namespace json_internal

template <typename T>
void JsonFields::Required(std::string_view name, T& out) {
  if (writer_ != nullptr) {
    writer_->Key(name);
    json_internal::WriteValue(*writer_, out);
    return;
  }
  Bind(name, /*required=*/true, &out, &ReadInto<T>);
}

template <typename T>
void JsonFields::Optional(std::string_view name, T& out) {
  if (writer_ != nullptr) {
    if constexpr (json_internal::IsOptional<T>::value) {
      if (!out.has_value()) return;
    }
    writer_->Key(name);
    json_internal::WriteValue(*writer_, out);
    return;
  }
  Bind(name, /*required=*/false, &out, &ReadInto<T>);
}

template <typename T>
absl::Status JsonFields::ReadInto(simdjson::ondemand::value value, void* out,
                                  const JsonPath& path) {
  return json_internal::ReadValue(value, *static_cast<T*>(out), path);
}

// ReadJson()
//
// Parses `event` (in place, with the invocation's parser) as a JSON object and fills `out`, a
// struct with a DescribeJson(). On error `out` may be partly filled. Like Event::Json(), it
// invalidates documents and string views from an earlier Json()/ReadJson() of the same handler.
template <json_internal::Described T>
absl::Status ReadJson(const Event& event, T& out) {
  JsonFields fields;
  DescribeJson(fields, out);
  return json_internal::ReadDocument(event.Json(), fields);
}

// The same, returning a value-initialised T filled from `event`.
template <json_internal::Described T>
absl::StatusOr<T> ReadJson(const Event& event) {
  T out{};
  if (absl::Status status = ReadJson(event, out); !status.ok()) return status;
  return out;
}

// WriteJson()
//
// Writes `value`, a struct with a DescribeJson(), to `json` as one JSON object (see the file
// comment). Found by argument-dependent lookup through JsonWriter, so code that writes values
// with an unqualified WriteJson(json, value) gets it for every described struct; a WriteJson()
// of the struct's own (a non-template overload) takes precedence, there and wherever lmc writes
// the struct (a field, an element, WriteJsonText()).
template <json_internal::Described T>
void WriteJson(JsonWriter& json, const T& value) {
  json_internal::WriteDescribed(json, value);
}

// WriteJsonText()
//
// The JSON text of `value`: a described struct (or one with its own WriteJson()), or any value
// such a struct may hold (bool, any arithmetic type, a string, std::optional<T>: null when
// empty, std::vector<T>). Thread-safe (pure).
template <json_internal::Writable T>
std::string WriteJsonText(const T& value) {
  std::string out;
  JsonWriter json(&out);
  json_internal::WriteValue(json, value);
  return out;
}

// Reads JSON text that is not an event (a file, an environment variable, a nested payload).
// Copies `json` into a padded buffer and parses it with a parser of its own: std::string_view
// members are not supported here (they would outlive that parser), so T must not contain any.
template <json_internal::Described T>
absl::StatusOr<T> ReadJsonText(std::string_view json) {
  simdjson::padded_string padded(json);
  simdjson::ondemand::parser parser;
  T out{};
  JsonFields fields;
  DescribeJson(fields, out);
  if (absl::Status status = json_internal::ReadDocument(parser.iterate(padded), fields);
      !status.ok()) {
    return status;
  }
  return out;
}

}  // namespace lmc
