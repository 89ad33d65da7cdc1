#include "lmc/base/http/http_fields.h"

#include <algorithm>

namespace lmc::http {

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsTokenChar);
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsValidFieldValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool SplitFieldLine(std::string_view line, FieldLine& field) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) return false;
  const std::string_view value = TrimOws(line.substr(colon + 1));
  if (!IsValidFieldValue(value)) return false;
  field.name = line.substr(0, colon);
  field.value = value;
  return true;
}

bool ListContainsToken(std::string_view value, std::string_view token) {
  return !ForEachListItem(value,
                          [&](std::string_view item) { return !EqualsIgnoreCase(item, token); });
}

bool ContentLength::Add(std::string_view value) {
  if (failed_) return false;
  bool any = false;
  const bool ok = ForEachListItem(value, [&](std::string_view item) {
    if (item.size() > 19 ||
        !std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    uint64_t n = 0;
    for (char c : item) n = n * 10 + static_cast<uint64_t>(c - '0');
    if (present_ && n != value_) return false;
    present_ = true;
    value_ = n;
    any = true;
    return true;
  });
  failed_ = !ok || !any;
  return !failed_;
}

TransferCoding::Verdict TransferCoding::Add(std::string_view value) {
  present_ = true;
  Verdict verdict = Verdict::kOk;
  ForEachListItem(value, [&](std::string_view coding) {
    if (!EqualsIgnoreCase(coding, "chunked")) {
      verdict = Verdict::kUnsupported;
      return false;
    }
    if (chunked_) {
      verdict = Verdict::kChunkedTwice;
      return false;
    }
    chunked_ = true;
    return true;
  });
  return verdict;
}

}  // namespace lmc::http
