// File: lmc/strings.h
//
// Small std::string_view helpers. lmc's interfaces use std::string_view, but Debian 12's Abseil
// is built with ABSL_OPTION_USE_STD_STRING_VIEW=0, so absl::string_view is a distinct type that
// std::string_view does not convert to. AsAbsl() bridges the two at the few places lmc calls
// Abseil's string functions; the rest are tiny enough to write here for std::string_view.
//
// Example:
//
//   if (lmc::EqualsIgnoreCase(name, "content-type")) ...
//   absl::StrCat("request ", lmc::AsAbsl(request_id));
#pragma once

#include <string.h>

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace lmc {

// Returns an absl::string_view over the same bytes (no copy).
inline absl::string_view AsAbsl(std::string_view s) { return {s.data(), s.size()}; }

// Returns a std::string_view over the same bytes (no copy).
inline std::string_view AsStd(absl::string_view s) { return {s.data(), s.size()}; }

// ASCII-only case folding, independent of the C locale.
inline char AsciiToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// True when `a` and `b` are equal ignoring ASCII case (HTTP header names, log levels).
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiToLower(a[i]) != AsciiToLower(b[i])) return false;
  }
  return true;
}

inline bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// The value (0..15) of hexadecimal digit `c`, either case, or -1 when `c` is not one (chunk
// sizes, %-escapes).
constexpr int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Returns `s` without leading and trailing ASCII whitespace.
inline std::string_view StripAsciiWhitespace(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Returns the text for errno value `err`. Thread-safe, unlike std::strerror().
inline std::string ErrnoMessage(int err) {
  char buf[128];
  // GNU strerror_r: returns a pointer to the message (in `buf` or a static string).
  return std::string(::strerror_r(err, buf, sizeof(buf)));
}

}  // namespace lmc
