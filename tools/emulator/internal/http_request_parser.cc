#include "tools/emulator/internal/http_request_parser.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"

namespace lmc::emulator::internal {
namespace {

// Blank lines tolerated before a request line (RFC 9112 §2.2 asks servers to ignore at least
// one; clients sometimes send a stray CRLF after a POST body).
constexpr int kMaxLeadingEmptyLines = 4;

// tchar from RFC 9110 §5.6.2: the characters allowed in methods and field names.
bool IsTokenChar(unsigned char c) {
  if (absl::ascii_isalnum(c)) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return IsTokenChar(static_cast<unsigned char>(c));
  });
}

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits a comma-separated field value into its items, blanks trimmed (empty items kept).
std::vector<std::string_view> SplitList(std::string_view value) {
  std::vector<std::string_view> items;
  for (;;) {
    const size_t comma = value.find(',');
    items.push_back(TrimBlanks(value.substr(0, comma)));
    if (comma == std::string_view::npos) return items;
    value.remove_prefix(comma + 1);
  }
}

// True when the comma-separated list `value` contains `token` (case-insensitive).
bool ListContains(std::string_view value, std::string_view token) {
  for (std::string_view item : SplitList(value)) {
    if (EqualsIgnoreCase(item, token)) return true;
  }
  return false;
}

}  // namespace

// Debian's Abseil is built with its own absl::string_view (not std::string_view), so the
// absl/strings helpers that take one are avoided in favour of these few lines.
bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(a[i])) !=
        absl::ascii_tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

const std::string* FindField(const HttpFields& fields, std::string_view lower_name) {
  for (const auto& [name, value] : fields) {
    if (name == lower_name) return &value;
  }
  return nullptr;
}

void HttpRequest::Clear() {
  method.clear();
  target.clear();
  minor_version = 1;
  headers.clear();
  trailers.clear();
  body.clear();
  chunked = false;
  keep_alive = true;
  expect_continue = false;
}

HttpRequestParser::HttpRequestParser(HttpParserLimits limits) : limits_(limits) {}

void HttpRequestParser::Feed(std::string_view bytes) {
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 4096 && pos_ * 2 > buf_.size()) {
    // Compact once the consumed prefix dominates, so a long keep-alive connection does not grow
    // its buffer without bound, while small leftovers are not shifted on every read.
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes.data(), bytes.size());
}

bool HttpRequestParser::AwaitingContinue() const {
  if (!current_.expect_continue || continue_sent_) return false;
  return state_ == State::kBody || state_ == State::kChunkSize || state_ == State::kChunkData ||
         state_ == State::kChunkDataEnd || state_ == State::kTrailers;
}

HttpRequestParser::Result HttpRequestParser::Fail(int status, std::string_view message) {
  state_ = State::kError;
  error_status_ = status;
  error_message_ = std::string(message);
  return Result::kError;
}

bool HttpRequestParser::NextLine(std::string_view& line, size_t limit, bool& too_long) {
  too_long = false;
  const char* begin = buf_.data() + pos_;
  const size_t avail = buf_.size() - pos_;
  // A byte search in a buffer, not a C string.
  const void* nl = std::memchr(begin, '\n', avail);  // NOLINT(bugprone-not-null-terminated-result)
  if (nl == nullptr) {
    too_long = avail > limit;
    return false;
  }
  size_t len = static_cast<const char*>(nl) - begin;
  if (len + 1 > limit) {
    too_long = true;
    return false;
  }
  pos_ += len + 1;
  if (len > 0 && begin[len - 1] == '\r') --len;
  line = std::string_view(begin, len);
  return true;
}

bool HttpRequestParser::ParseStartLine(std::string_view line) {
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return false;
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method) || target.empty()) return false;
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      !absl::ascii_isdigit(static_cast<unsigned char>(version[5])) ||
      !absl::ascii_isdigit(static_cast<unsigned char>(version[7]))) {
    return false;
  }
  if (version[5] != '1') {
    Fail(505, "unsupported HTTP version");
    return false;
  }
  current_.method.assign(method);
  current_.target.assign(target);
  current_.minor_version = version[7] - '0';
  return true;
}

bool HttpRequestParser::ParseField(std::string_view line, HttpFields& fields) {
  if (line.front() == ' ' || line.front() == '\t') {
    Fail(400, "obsolete line folding is not accepted");
    return false;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
    Fail(400, "malformed header field");
    return false;
  }
  const std::string_view value = TrimBlanks(line.substr(colon + 1));
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) {
      Fail(400, "control character in header value");
      return false;
    }
  }
  auto& field = fields.emplace_back();
  field.first.assign(line.substr(0, colon));
  absl::AsciiStrToLower(&field.first);
  field.second.assign(value);
  return true;
}

bool HttpRequestParser::FinishHeaders() {
  bool has_length = false;
  uint64_t length = 0;
  bool has_transfer_encoding = false;
  current_.keep_alive = current_.minor_version >= 1;
  for (const auto& [name, value] : current_.headers) {
    if (name == "content-length") {
      // A list of identical values is allowed (RFC 9112 §6.3); differing values are an attack.
      for (std::string_view item : SplitList(value)) {
        if (item.empty() || item.size() > 19 || !std::all_of(item.begin(), item.end(), [](char c) {
              return absl::ascii_isdigit(static_cast<unsigned char>(c));
            })) {
          Fail(400, "invalid Content-Length");
          return false;
        }
        uint64_t n = 0;
        for (char c : item) n = n * 10 + static_cast<uint64_t>(c - '0');
        if (has_length && n != length) {
          Fail(400, "conflicting Content-Length values");
          return false;
        }
        has_length = true;
        length = n;
      }
    } else if (name == "transfer-encoding") {
      has_transfer_encoding = true;
      // Only "chunked" is implemented; it must be the final (here: only) coding.
      const std::vector<std::string_view> codings = SplitList(value);
      for (std::string_view coding : codings) {
        if (!EqualsIgnoreCase(coding, "chunked")) {
          Fail(501, "unsupported transfer coding");
          return false;
        }
      }
      if (current_.chunked || codings.size() != 1) {
        Fail(400, "chunked applied more than once");
        return false;
      }
      current_.chunked = true;
    } else if (name == "connection") {
      if (ListContains(value, "close")) {
        current_.keep_alive = false;
      } else if (ListContains(value, "keep-alive")) {
        current_.keep_alive = true;
      }
    } else if (name == "expect") {
      current_.expect_continue =
          current_.minor_version >= 1 && EqualsIgnoreCase(value, "100-continue");
    }
  }
  if (has_transfer_encoding && has_length) {
    // Both framings at once is the classic request-smuggling shape; refuse rather than guess.
    Fail(400, "both Content-Length and Transfer-Encoding");
    return false;
  }
  if (has_transfer_encoding && current_.minor_version == 0) {
    Fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    return false;
  }
  if (has_length && length > limits_.max_body_bytes) {
    Fail(413, "request body too large");
    return false;
  }
  continue_sent_ = false;
  if (current_.chunked) {
    state_ = State::kChunkSize;
    section_bytes_ = 0;
  } else {
    remaining_ = length;
    current_.body.reserve(static_cast<size_t>(length));
    state_ = State::kBody;
  }
  return true;
}

bool HttpRequestParser::ParseChunkSize(std::string_view line) {
  // chunk-size [ BWS ; chunk-ext ]; extensions carry nothing the emulator needs.
  const size_t semicolon = line.find(';');
  const std::string_view digits = TrimBlanks(line.substr(0, semicolon));
  if (digits.empty()) {
    Fail(400, "missing chunk size");
    return false;
  }
  uint64_t size = 0;
  for (char c : digits) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      Fail(400, "invalid chunk size");
      return false;
    }
    if (size > (uint64_t{1} << 40)) {  // already far over any limit; stop before overflow
      Fail(413, "request body too large");
      return false;
    }
    size = size * 16 + static_cast<uint64_t>(v);
  }
  if (size > limits_.max_body_bytes - std::min(limits_.max_body_bytes, current_.body.size())) {
    Fail(413, "request body too large");
    return false;
  }
  if (size == 0) {
    state_ = State::kTrailers;
    section_bytes_ = 0;
  } else {
    remaining_ = size;
    state_ = State::kChunkData;
  }
  return true;
}

void HttpRequestParser::TakeBodyBytes() {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, buf_.size() - pos_));
  current_.body.append(buf_.data() + pos_, n);
  pos_ += n;
  remaining_ -= n;
}

HttpRequestParser::Result HttpRequestParser::Complete(HttpRequest& request) {
  std::swap(request, current_);
  current_.Clear();
  state_ = State::kStartLine;
  section_bytes_ = 0;
  continue_sent_ = false;
  return Result::kRequest;
}

HttpRequestParser::Result HttpRequestParser::Parse(HttpRequest& request) {
  std::string_view line;
  bool too_long = false;
  for (;;) {
    switch (state_) {
      case State::kError:
        return Result::kError;
      case State::kStartLine: {
        for (;;) {
          if (!NextLine(line, limits_.max_header_bytes, too_long)) {
            if (too_long) return Fail(431, "request line too long");
            return Result::kNeedMore;
          }
          if (!line.empty()) break;
          // Counted across Parse() calls: the limit must not depend on how bytes arrive.
          if (++leading_empty_lines_ > kMaxLeadingEmptyLines) {
            return Fail(400, "empty lines before request");
          }
        }
        leading_empty_lines_ = 0;
        section_bytes_ = line.size() + 2;
        if (!ParseStartLine(line)) {
          return state_ == State::kError ? Result::kError : Fail(400, "malformed request line");
        }
        state_ = State::kHeaders;
        break;
      }
      case State::kHeaders:
      case State::kTrailers: {
        const bool trailers = state_ == State::kTrailers;
        const size_t budget =
            limits_.max_header_bytes - std::min(limits_.max_header_bytes, section_bytes_);
        if (!NextLine(line, budget, too_long)) {
          if (too_long) {
            return Fail(431, trailers ? "trailer section too large" : "header section too large");
          }
          return Result::kNeedMore;
        }
        section_bytes_ += line.size() + 2;
        if (line.empty()) {
          if (trailers) return Complete(request);
          if (!FinishHeaders()) return Result::kError;
          break;
        }
        if (!ParseField(line, trailers ? current_.trailers : current_.headers)) {
          return Result::kError;
        }
        break;
      }
      case State::kBody:
        TakeBodyBytes();
        if (remaining_ > 0) return Result::kNeedMore;
        return Complete(request);
      case State::kChunkSize:
        if (!NextLine(line, limits_.max_header_bytes, too_long)) {
          if (too_long) return Fail(400, "chunk size line too long");
          return Result::kNeedMore;
        }
        if (!ParseChunkSize(line)) return Result::kError;
        break;
      case State::kChunkData:
        TakeBodyBytes();
        if (remaining_ > 0) return Result::kNeedMore;
        state_ = State::kChunkDataEnd;
        break;
      case State::kChunkDataEnd:
        if (!NextLine(line, 2, too_long)) {
          if (too_long) return Fail(400, "chunk data longer than its size");
          return Result::kNeedMore;
        }
        if (!line.empty()) return Fail(400, "chunk data longer than its size");
        state_ = State::kChunkSize;
        break;
    }
  }
}

}  // namespace lmc::emulator::internal
