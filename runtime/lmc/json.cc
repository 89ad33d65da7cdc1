#include "lmc/json.h"

#include <charconv>
#include <cmath>

namespace lmc {
namespace {

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

namespace json_internal {

size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  const size_t left = s.size() - i;
  const auto cont = [&](size_t k) { return k < left && (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !cont(2)) return 0;
    const unsigned char c1 = b(1);
    if (c == 0xE0) return (c1 >= 0xA0 && c1 <= 0xBF) ? 3 : 0;
    if (c == 0xED) return (c1 >= 0x80 && c1 <= 0x9F) ? 3 : 0;
    return cont(1) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !cont(2) || !cont(3)) return 0;
    const unsigned char c1 = b(1);
    if (c == 0xF0) return (c1 >= 0x90 && c1 <= 0xBF) ? 4 : 0;
    if (c == 0xF4) return (c1 >= 0x80 && c1 <= 0x8F) ? 4 : 0;
    return cont(1) ? 4 : 0;
  }
  return 0;
}

std::string_view EscapeAscii(unsigned char c, char (&buffer)[6]) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    default:
      buffer[0] = '\\';
      buffer[1] = 'u';
      buffer[2] = '0';
      buffer[3] = '0';
      buffer[4] = kHex[c >> 4];
      buffer[5] = kHex[c & 0xF];
      return std::string_view(buffer, sizeof(buffer));
  }
}

}  // namespace json_internal

void AppendJsonString(std::string& out, std::string_view bytes) {
  out.reserve(out.size() + bytes.size() + 2);
  out.push_back('"');
  EscapeJsonString(bytes, [&out](std::string_view piece) { out.append(piece); });
  out.push_back('"');
}

std::string JsonQuote(std::string_view bytes) {
  std::string out;
  AppendJsonString(out, bytes);
  return out;
}

bool IsValidUtf8(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t len = json_internal::Utf8SequenceLength(bytes, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (first_.back()) {
      first_.back() = false;
    } else {
      out_->push_back(',');
    }
  }
}

JsonWriter& JsonWriter::BeginObject() {
  Separate();
  out_->push_back('{');
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  out_->push_back('}');
  if (!first_.empty()) first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  Separate();
  out_->push_back('[');
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  out_->push_back(']');
  if (!first_.empty()) first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  Separate();
  AppendJsonString(*out_, key);
  out_->push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  Separate();
  AppendJsonString(*out_, value);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  Separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out_->append(buf, end);
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  Separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out_->append(buf, end);
  return *this;
}

namespace {

// The shortest form of `value` that parses back to exactly it (as a T), null when it is not
// finite (JSON has neither NaN nor infinity).
template <typename T>
void AppendShortest(std::string& out, T value) {
  if (!std::isfinite(value)) {
    out.append("null");
    return;
  }
  // std::to_chars without a precision writes the shortest form that round-trips exactly. It
  // prefers plain digits when they are as short, which for large integral values means an
  // integer literal beyond 64 bits that many readers (simdjson included) cannot take as a double:
  // those are written in exponent form instead.
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  if (std::fabs(value) >= static_cast<T>(1e15) &&
      std::string_view(buf, end - buf).find_first_of(".e") == std::string_view::npos) {
    end = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific).ptr;
  }
  out.append(buf, end);
}

}  // namespace

JsonWriter& JsonWriter::Double(double value) {
  Separate();
  AppendShortest(*out_, value);
  return *this;
}

JsonWriter& JsonWriter::Float(float value) {
  Separate();
  AppendShortest(*out_, value);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  Separate();
  out_->append(value ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::Null() {
  Separate();
  out_->append("null");
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  Separate();
  out_->append(json);
  return *this;
}

}  // namespace lmc
