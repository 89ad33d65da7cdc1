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

// EscapeJsonString()
//
// The escaping rule of AppendJsonString(), for a writer that cannot append to a std::string
// (lmc's records written from signal handlers, lmc/base/signal_safe_log.h): calls `put(piece)`
// with consecutive std::string_view pieces of the escaped form of `bytes`, quotes excluded. It
// allocates nothing and calls nothing but `put`, so it is async-signal-safe when `put` is.
//
//   EscapeJsonString(message, [&](std::string_view piece) { buffer.Append(piece); });
template <typename Put>
void EscapeJsonString(std::string_view bytes, Put&& put);

// JsonQuote()
//
// Returns `bytes` as a JSON string literal (see AppendJsonString()).
std::string JsonQuote(std::string_view bytes);

// IsValidUtf8()
//
// True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view bytes);

namespace json_internal {

// The length (2..4) of the valid UTF-8 sequence that starts at s[i], or 0 if s[i] starts none
// (RFC 3629 table 3-7: overlongs and surrogates rejected). Pure; async-signal-safe.
size_t Utf8SequenceLength(std::string_view s, size_t i);

// The escape sequence of an ASCII byte that needs one (`"`, `\`, a control character), written
// into `buffer`: \" \\ \n \r \t \b \f or \u00XX. Pure; async-signal-safe.
std::string_view EscapeAscii(unsigned char c, char (&buffer)[6]);

inline bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80; }

}  // namespace json_internal

template <typename Put>
void EscapeJsonString(std::string_view bytes, Put&& put) {
  constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8
  size_t i = 0;
  while (i < bytes.size()) {
    // The longest run that needs no escaping, in one piece.
    size_t run = i;
    while (run < bytes.size() &&
           !json_internal::NeedsEscape(static_cast<unsigned char>(bytes[run]))) {
      ++run;
    }
    if (run > i) put(bytes.substr(i, run - i));
    i = run;
    if (i == bytes.size()) break;
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x80) {
      const size_t length = json_internal::Utf8SequenceLength(bytes, i);
      put(length == 0 ? kReplacement : bytes.substr(i, length));
      i += length == 0 ? 1 : length;
      continue;
    }
    char buffer[6];
    put(json_internal::EscapeAscii(c, buffer));
    ++i;
  }
}

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
  // The same for a float: the shortest form that parses back to exactly `value` as a float (9
  // significant digits at most: 0.1f is written 0.1, not 0.10000000149011612).
  JsonWriter& Float(float value);
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
