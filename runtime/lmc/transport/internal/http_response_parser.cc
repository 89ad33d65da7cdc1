#include "lmc/transport/internal/http_response_parser.h"

#include <algorithm>
#include <cstring>

#include "lmc/base/strings.h"

namespace lmc::internal {
namespace {

// A chunk-size line (size plus extensions, which we ignore) longer than this is not something
// the Runtime API sends; refusing it bounds the partial-line buffer.
constexpr size_t kMaxChunkLineBytes = 4096;

// Chunk sizes with more significant hex digits than this (2^60 bytes and up) exceed any body
// limit; stopping there keeps the arithmetic clear of overflow.
constexpr int kMaxChunkSizeDigits = 15;

// tchar from RFC 9110 §5.6.2: the characters of field names and tokens.
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

// A bare CR or a NUL in a field value or reason phrase is refused: RFC 9110 §5.5 calls them
// dangerous (another parser may split the line there). Other control characters are kept, as
// RFC 9110 allows and libcurl does: the Runtime API relays caller-chosen values (a tenant id)
// byte for byte, and the layers above validate what they use.
bool HasDangerousChar(std::string_view s) {
  return s.find('\r') != std::string_view::npos || s.find('\0') != std::string_view::npos;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Optional whitespace (SP / HTAB) around field values and list items.
std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls `fn(item)` for each comma-separated item of `value`, whitespace trimmed, empty items
// skipped (RFC 9110 §5.6.1 lets recipients ignore them). Stops when `fn` returns false.
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

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void HttpResponseParser::Reset(HttpResponseCallbacks* callbacks, HttpResponseLimits limits) {
  callbacks_ = callbacks;
  limits_ = limits;
  state_ = State::kStatusLine;
  error_ = HttpResponseError::kNone;
  error_message_ = "";
  head_ = HttpResponseHead();
  headers_complete_ = false;
  has_content_length_ = false;
  chunked_ = false;
  transfer_encoding_ = false;
  connection_close_ = false;
  connection_keep_alive_ = false;
  section_bytes_ = 0;
  partial_.clear();
  partial_is_line_ = false;
  remaining_ = 0;
  body_bytes_ = 0;
}

void HttpResponseParser::Fail(HttpResponseError error, const char* message) {
  state_ = State::kError;
  error_ = error;
  error_message_ = message;
}

HttpResponseParser::LineResult HttpResponseParser::TakeLine(std::string_view data, size_t& pos,
                                                            size_t limit, std::string_view& line) {
  if (partial_is_line_) {
    partial_.clear();
    partial_is_line_ = false;
  }
  const char* begin = data.data() + pos;
  const size_t available = data.size() - pos;
  const void* lf = available == 0 ? nullptr : std::memchr(begin, '\n', available);
  if (lf == nullptr) {
    // The line is at least partial_ + available bytes plus its LF: decide "too long" now, so the
    // verdict does not depend on how the bytes were split across Feed() calls.
    if (partial_.size() + available >= limit) return LineResult::kTooLong;
    partial_.append(begin, available);
    pos = data.size();
    return LineResult::kNeedMore;
  }
  size_t length = static_cast<size_t>(static_cast<const char*>(lf) - begin);
  if (partial_.size() + length + 1 > limit) return LineResult::kTooLong;
  pos += length + 1;
  if (partial_.empty()) {
    line = std::string_view(begin, length);
  } else {
    partial_.append(begin, length);
    partial_is_line_ = true;
    line = partial_;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return LineResult::kLine;
}

bool HttpResponseParser::ParseStatusLine(std::string_view line) {
  // HTTP-version SP status-code [SP reason-phrase]; the version must be HTTP/1.x.
  constexpr std::string_view kPrefix = "HTTP/1.";
  if (line.size() < kPrefix.size() + 5 || line.substr(0, kPrefix.size()) != kPrefix ||
      !IsDigit(line[7]) || line[8] != ' ') {
    Fail(HttpResponseError::kMalformed, "malformed status line");
    return false;
  }
  const std::string_view code = line.substr(9, 3);
  if (code.size() != 3 || code[0] < '1' || code[0] > '5' || !IsDigit(code[1]) ||
      !IsDigit(code[2])) {
    Fail(HttpResponseError::kMalformed, "malformed status code");
    return false;
  }
  // A server may leave out the SP before an empty reason phrase.
  if (line.size() > 12 && (line[12] != ' ' || HasDangerousChar(line.substr(13)))) {
    Fail(HttpResponseError::kMalformed, "malformed reason phrase");
    return false;
  }
  head_.minor_version = line[7] - '0';
  head_.status_code = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  return true;
}

bool HttpResponseParser::CheckField(std::string_view line, bool interpret) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    // Includes obsolete line folding (a line starting with SP or HTAB has no token before ':').
    Fail(HttpResponseError::kMalformed, "malformed header field");
    return false;
  }
  const std::string_view name = line.substr(0, colon);
  for (char c : name) {
    if (!IsTokenChar(c)) {
      Fail(HttpResponseError::kMalformed, "malformed header field name");
      return false;
    }
  }
  const std::string_view value = TrimOws(line.substr(colon + 1));
  if (HasDangerousChar(value)) {
    Fail(HttpResponseError::kMalformed, "CR or NUL in a header field value");
    return false;
  }
  if (!interpret) return true;
  if (EqualsIgnoreCase(name, "content-length")) {
    // A list of identical values is allowed (RFC 9112 §6.3); differing values are not.
    const bool ok = ForEachListItem(value, [&](std::string_view item) {
      // 19 digits cannot overflow 64 bits; longer values exceed any body limit anyway.
      if (item.size() > 19 || !std::all_of(item.begin(), item.end(), IsDigit)) return false;
      uint64_t n = 0;
      for (char c : item) n = n * 10 + static_cast<uint64_t>(c - '0');
      if (has_content_length_ && n != head_.content_length) return false;
      has_content_length_ = true;
      head_.content_length = n;
      return true;
    });
    if (!ok || !has_content_length_) {
      Fail(HttpResponseError::kMalformed, "invalid Content-Length");
      return false;
    }
  } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
    // We send no TE header, so a server may apply only chunked, and only once.
    transfer_encoding_ = true;
    bool ok = true;
    ForEachListItem(value, [&](std::string_view coding) {
      ok = EqualsIgnoreCase(coding, "chunked") && !chunked_;
      chunked_ = true;
      return ok;
    });
    if (!ok || !chunked_) {
      Fail(HttpResponseError::kMalformed, "unsupported Transfer-Encoding");
      return false;
    }
  } else if (EqualsIgnoreCase(name, "connection")) {
    ForEachListItem(value, [&](std::string_view option) {
      if (EqualsIgnoreCase(option, "close")) connection_close_ = true;
      if (EqualsIgnoreCase(option, "keep-alive")) connection_keep_alive_ = true;
      return true;
    });
  }
  return true;
}

void HttpResponseParser::FinishHeaders() {
  if (transfer_encoding_ && has_content_length_) {
    // Both framings at once is the classic smuggling shape; refuse rather than pick one.
    Fail(HttpResponseError::kMalformed, "both Content-Length and Transfer-Encoding");
    return;
  }
  if (transfer_encoding_ && head_.minor_version == 0) {
    Fail(HttpResponseError::kMalformed, "Transfer-Encoding in an HTTP/1.0 response");
    return;
  }
  head_.keep_alive = !connection_close_ && (head_.minor_version >= 1 || connection_keep_alive_);
  const int status = head_.status_code;
  if (status == 204 || status == 304) {
    head_.framing = HttpBodyFraming::kNone;
    head_.content_length = 0;
  } else if (chunked_) {
    head_.framing = HttpBodyFraming::kChunked;
  } else if (has_content_length_) {
    if (head_.content_length > limits_.max_body_bytes) {
      Fail(HttpResponseError::kBodyTooLarge, "Content-Length exceeds the body limit");
      return;
    }
    head_.framing =
        head_.content_length == 0 ? HttpBodyFraming::kNone : HttpBodyFraming::kContentLength;
  } else {
    head_.framing = HttpBodyFraming::kUntilClose;
    head_.keep_alive = false;
  }
  headers_complete_ = true;
  callbacks_->OnHeadersComplete(head_);
  switch (head_.framing) {
    case HttpBodyFraming::kNone:
      state_ = State::kComplete;
      break;
    case HttpBodyFraming::kContentLength:
      remaining_ = head_.content_length;
      state_ = State::kBody;
      break;
    case HttpBodyFraming::kChunked:
      state_ = State::kChunkSize;
      break;
    case HttpBodyFraming::kUntilClose:
      state_ = State::kUntilClose;
      break;
  }
}

bool HttpResponseParser::ParseChunkSize(std::string_view line) {
  // chunk-size [ BWS ";" chunk-ext ]; the extensions carry nothing we use.
  size_t i = 0;
  uint64_t size = 0;
  int significant = 0;
  for (; i < line.size(); ++i) {
    const int v = HexValue(line[i]);
    if (v < 0) break;
    if (size != 0 || v != 0) ++significant;
    if (significant > kMaxChunkSizeDigits) {
      Fail(HttpResponseError::kBodyTooLarge, "chunk size exceeds the body limit");
      return false;
    }
    size = size * 16 + static_cast<uint64_t>(v);
  }
  if (i == 0) {
    Fail(HttpResponseError::kMalformed, "missing chunk size");
    return false;
  }
  std::string_view rest = TrimOws(line.substr(i));
  if (!rest.empty() && rest.front() != ';') {
    Fail(HttpResponseError::kMalformed, "invalid chunk size");
    return false;
  }
  if (size > limits_.max_body_bytes - std::min(limits_.max_body_bytes, body_bytes_)) {
    Fail(HttpResponseError::kBodyTooLarge, "chunked body exceeds the body limit");
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

size_t HttpResponseParser::TakeBody(const char* data, size_t available) {
  size_t n = available;
  if (state_ == State::kUntilClose) {
    // Deliver exactly up to the limit, then fail: the bytes reported do not depend on how
    // the input was split.
    const uint64_t room = limits_.max_body_bytes - body_bytes_;
    if (n > room) {
      n = static_cast<size_t>(room);
      if (n > 0) callbacks_->OnBody(std::string_view(data, n));
      body_bytes_ += n;
      Fail(HttpResponseError::kBodyTooLarge, "body exceeds the body limit");
      return n;
    }
  } else {
    n = static_cast<size_t>(std::min<uint64_t>(remaining_, available));
    remaining_ -= n;
  }
  if (n > 0) callbacks_->OnBody(std::string_view(data, n));
  body_bytes_ += n;
  AfterBodyBytes();
  return n;
}

void HttpResponseParser::AfterBodyBytes() {
  if (remaining_ != 0) return;
  if (state_ == State::kBody) {
    state_ = State::kComplete;
  } else if (state_ == State::kChunkData) {
    state_ = State::kChunkDataEnd;
  }
}

uint64_t HttpResponseParser::InPlaceBodyRun() const {
  switch (state_) {
    case State::kBody:
    case State::kChunkData:
      return remaining_;
    case State::kUntilClose: {
      const uint64_t room = limits_.max_body_bytes - body_bytes_;
      return room == std::numeric_limits<uint64_t>::max() ? room : room + 1;
    }
    default:
      return 0;
  }
}

void HttpResponseParser::ConsumeInPlaceBody(size_t n) {
  if (n == 0) return;
  switch (state_) {
    case State::kBody:
    case State::kChunkData: {
      const uint64_t taken = std::min<uint64_t>(n, remaining_);
      remaining_ -= taken;
      body_bytes_ += taken;
      AfterBodyBytes();
      return;
    }
    case State::kUntilClose:
      if (n > limits_.max_body_bytes - body_bytes_) {
        body_bytes_ = limits_.max_body_bytes;
        Fail(HttpResponseError::kBodyTooLarge, "body exceeds the body limit");
        return;
      }
      body_bytes_ += n;
      return;
    default:
      return;
  }
}

void HttpResponseParser::FinishOnEof() {
  if (state_ == State::kUntilClose) {
    state_ = State::kComplete;
  } else if (!done()) {
    Fail(HttpResponseError::kTruncated, "the connection closed before the response was complete");
  }
}

size_t HttpResponseParser::Feed(std::string_view data) {
  size_t pos = 0;
  std::string_view line;
  while (pos < data.size()) {
    switch (state_) {
      case State::kComplete:
      case State::kError:
        return pos;
      case State::kStatusLine:
      case State::kHeaders:
      case State::kInterimFields: {
        const size_t budget =
            limits_.max_header_bytes - std::min(limits_.max_header_bytes, section_bytes_);
        const LineResult r = TakeLine(data, pos, budget, line);
        if (r == LineResult::kNeedMore) return pos;
        if (r == LineResult::kTooLong) {
          Fail(HttpResponseError::kHeaderTooLarge, "header section too large");
          return pos;
        }
        // Counted with a two-byte line ending, whatever was sent, so the budget is exact for
        // well-formed input and conservative otherwise.
        section_bytes_ += line.size() + 2;
        if (state_ == State::kStatusLine) {
          if (!ParseStatusLine(line)) return pos;
          if (head_.status_code == 101) {
            Fail(HttpResponseError::kMalformed, "unexpected 101 Switching Protocols");
            return pos;
          }
          state_ = head_.status_code < 200 ? State::kInterimFields : State::kHeaders;
        } else if (line.empty()) {
          if (state_ == State::kInterimFields) {
            // An interim response ends: the final one follows. Its fields were never reported.
            state_ = State::kStatusLine;
          } else {
            FinishHeaders();
          }
        } else if (state_ == State::kInterimFields) {
          if (!CheckField(line, /*interpret=*/false)) return pos;
        } else {
          if (!CheckField(line, /*interpret=*/true)) return pos;
          callbacks_->OnHeaderLine(line);
        }
        break;
      }
      case State::kBody:
      case State::kChunkData:
      case State::kUntilClose:
        pos += TakeBody(data.data() + pos, data.size() - pos);
        break;
      case State::kChunkSize: {
        const LineResult r = TakeLine(data, pos, kMaxChunkLineBytes, line);
        if (r == LineResult::kNeedMore) return pos;
        if (r == LineResult::kTooLong) {
          Fail(HttpResponseError::kMalformed, "chunk size line too long");
          return pos;
        }
        if (!ParseChunkSize(line)) return pos;
        break;
      }
      case State::kChunkDataEnd: {
        const LineResult r = TakeLine(data, pos, 2, line);
        if (r == LineResult::kNeedMore) return pos;
        if (r == LineResult::kTooLong || !line.empty()) {
          Fail(HttpResponseError::kMalformed, "chunk data longer than its size");
          return pos;
        }
        state_ = State::kChunkSize;
        break;
      }
      case State::kTrailers: {
        const size_t budget =
            limits_.max_header_bytes - std::min(limits_.max_header_bytes, section_bytes_);
        const LineResult r = TakeLine(data, pos, budget, line);
        if (r == LineResult::kNeedMore) return pos;
        if (r == LineResult::kTooLong) {
          Fail(HttpResponseError::kHeaderTooLarge, "trailer section too large");
          return pos;
        }
        section_bytes_ += line.size() + 2;
        if (line.empty()) {
          state_ = State::kComplete;
        } else {
          if (!CheckField(line, /*interpret=*/false)) return pos;
          callbacks_->OnTrailerLine(line);
        }
        break;
      }
    }
  }
  return pos;
}

}  // namespace lmc::internal
