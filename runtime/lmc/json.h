// File: lmc/json.h
//
// Writing JSON (public; the only JSON writer in lmc): a string escaper that turns any bytes into
// a valid JSON string literal, and a streaming writer that places commas and colons itself, for
// handler answers, log lines, Lambda error bodies and the tools' reports. Reading JSON into a
// struct is lmc/json_reader.h's job (on simdjson).
//
// A leaf: it depends on the C++ library only, so every layer of lmc (base included) and every
// tool may use it.
//
// Example (a handler's answer):
//
//   std::string body;
//   lmc::JsonWriter json(&body);
//   json.BeginObject();
//   json.Key("name").String(name);          // any bytes: escaped, always valid UTF-8
//   json.Key("count").Int(count);
//   json.Key("ratio").Double(0.1);          // 0.1 (shortest form that reads back exactly)
//   json.Key("tags").BeginArray().String("a").String("b").EndArray();
//   json.EndObject();   // {"name":"...","count":3,"ratio":0.1,"tags":["a","b"]}
//   return lmc::Response::Json(std::move(body));
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lmc {

// AppendJsonString()
//
// Appends `bytes` to `out` as a JSON string literal, quotes included. `"`, `\` and every control
// character are escaped; DEL and the non-ASCII range are kept as UTF-8 when they form valid
// UTF-8 and each invalid byte becomes U+FFFD, so the output is always valid JSON and valid UTF-8
// whatever the input (request ids, tenant ids and messages come from outside the process).
void AppendJsonString(std::string& out, std::string_view bytes);

// JsonQuote()
//
// Returns `bytes` as a JSON string literal (see AppendJsonString()).
std::string JsonQuote(std::string_view bytes);

// IsValidUtf8()
//
// True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view bytes);

// JsonWriter
//
// Appends one JSON value to a caller-owned string, inserting commas and colons itself. The
// writer does not check that Begin/End calls balance or that keys appear only inside objects
// (that is the caller's contract); it only guarantees that every string it writes is escaped.
// Not thread-safe; cheap to construct (one small vector).
class JsonWriter {
 public:
  // `out` must outlive the writer. Output is appended; existing content is kept.
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // Writes an object key; the next call writes its value.
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  // The shortest decimal form that parses back to exactly `value` (17 significant digits at
  // most: 0.1, -2, 1e+300, 5e-324); integral values of 1e15 and more always take an exponent
  // (1e+15), so readers that limit integers to 64 bits still read them. JSON has no NaN or
  // infinity: those are written as null.
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Writes `json` verbatim as one value. The caller guarantees it is valid JSON.
  JsonWriter& Raw(std::string_view json);

 private:
  // Writes the separator owed before a new value or key at the current nesting level.
  void Separate();

  std::string* out_;
  // One entry per open container: true until its first element has been written.
  std::vector<bool> first_;
  // True right after Key(): the value that follows needs no comma.
  bool after_key_ = false;
};

}  // namespace lmc
