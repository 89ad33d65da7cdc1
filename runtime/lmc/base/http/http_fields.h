// File: lmc/base/http/http_fields.h
//
// The HTTP/1.1 field rules shared by every HTTP reader and writer in lmc (the direct transport's
// response parser, the emulator's request parser, the tools' raw client): what a token is, how a
// field line splits into name and value, which bytes a value may not hold, how comma-separated
// lists are walked, and how a Content-Length list is read. One place, so the readers cannot
// disagree about what they accept (RFC 9110 §5, §5.6; RFC 9112 §5, §6.3).
//
// Example:
//
//   lmc::http::FieldLine field;
//   if (!lmc::http::SplitFieldLine("Content-Length: 12", field)) return Malformed();
//   lmc::http::ContentLength length;
//   if (!length.Add(field.value)) return Malformed();   // length.value() == 12
//
// All functions are pure and thread-safe; views point into the caller's bytes.
#pragma once

#include <cstdint>
#include <string_view>

#include "lmc/strings.h"  // EqualsIgnoreCase: the one case-insensitive comparison

namespace lmc::http {

// IsTokenChar()
//
// tchar of RFC 9110 §5.6.2: the characters of field names, methods and tokens such as "chunked".
bool IsTokenChar(char c);

// IsToken()
//
// A non-empty run of token characters.
bool IsToken(std::string_view s);

// TrimOws()
//
// `s` without optional whitespace (SP, HTAB) at either end.
std::string_view TrimOws(std::string_view s);

// IsValidFieldValue()
//
// False when `value` holds CR, LF or NUL. RFC 9110 §5.5 requires a recipient to refuse (or
// replace) exactly these: another parser may split the line there, which is how a second message
// gets smuggled. Other control characters are kept, as RFC 9110 allows and libcurl does: the
// Runtime API relays caller-chosen values (a tenant id) byte for byte, and the layers above
// validate what they use.
bool IsValidFieldValue(std::string_view value);

// FieldLine
//
// One "name: value" line, split. `value` has its optional whitespace trimmed.
struct FieldLine {
  std::string_view name;
  std::string_view value;
};

// SplitFieldLine()
//
// Splits a field line (without its line ending). False when the name is not a token (this
// includes whitespace before the colon and obsolete line folding, a line that starts with SP or
// HTAB), when there is no colon, or when the value is not IsValidFieldValue().
bool SplitFieldLine(std::string_view line, FieldLine& field);

// ForEachListItem()
//
// Calls `fn(item)` for each comma-separated item of `value`, whitespace trimmed. Empty items are
// skipped (RFC 9110 §5.6.1: a recipient accepts and ignores them). Stops, returning false, when
// `fn` returns false.
template <typename Fn>
bool ForEachListItem(std::string_view value, Fn fn) {
  for (;;) {
    const size_t comma = value.find(',');
    const std::string_view item = TrimOws(value.substr(0, comma));
    if (!item.empty() && !fn(item)) return false;
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

// ListContainsToken()
//
// True when the comma-separated list `value` has an item equal to `token`, ignoring case
// (`Connection: keep-alive, Upgrade`).
bool ListContainsToken(std::string_view value, std::string_view token);

// ContentLength
//
// Accumulates the Content-Length fields of one message. A field may be a list of identical
// values and may repeat (RFC 9112 §6.3); differing values, a non-digit, or a field without any
// value are malformed, as is a value over 19 digits (it would not fit in 64 bits, and exceeds
// every body limit anyway). Not thread-safe; one per message.
class ContentLength {
 public:
  // Adds one Content-Length field value. False when it is malformed or conflicts with an earlier
  // one; the object then stays failed.
  bool Add(std::string_view value);

  bool present() const { return present_; }
  uint64_t value() const { return value_; }

 private:
  bool present_ = false;
  bool failed_ = false;
  uint64_t value_ = 0;
};

// TransferCoding
//
// Accumulates the Transfer-Encoding fields of one message for a peer that implements only
// "chunked" (lmc sends no TE header and accepts no other coding). Not thread-safe; one per
// message.
class TransferCoding {
 public:
  enum class Verdict {
    kOk,
    kUnsupported,   // a coding other than chunked
    kChunkedTwice,  // chunked applied more than once
  };

  // Adds one Transfer-Encoding field value.
  Verdict Add(std::string_view value);

  // A Transfer-Encoding field was seen (with or without a valid coding).
  bool present() const { return present_; }
  bool chunked() const { return chunked_; }

 private:
  bool present_ = false;
  bool chunked_ = false;
};

}  // namespace lmc::http
