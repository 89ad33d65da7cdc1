#include "tools/emulator/internal/http_request_parser.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "lmc/base/http/http_fields.h"

namespace lmc::emulator::internal {
namespace {

// Blank lines tolerated before a request line (RFC 9112 §2.2 asks servers to ignore at least
// one; clients sometimes send a stray CRLF after a POST body).
constexpr int kMaxLeadingEmptyLines = 4;

}  // namespace

const std::string* FindField(const HttpFields& fields, std::string_view lower_name) {
  for (const auto& [name, value] : fields) {
    if (name == lower_name) return &value;
  }
  return nullptr;
}

void ReceivedRequest::Clear() {
  method.clear();
  target.clear();
  minor_version = 1;
  headers.clear();
  trailers.clear();
  body.clear();
  chunked = false;
  chunks.clear();
  keep_alive = true;
  expect_continue = false;
}

HttpRequestParser::HttpRequestParser(HttpParserLimits limits) : limits_(limits) {
  chunk_sink_.parser = this;
}

void HttpRequestParser::ChunkSink::OnChunkData(std::string_view bytes) {
  parser->current_.body.append(bytes);
}

void HttpRequestParser::ChunkSink::OnChunkEnd(uint64_t size) {
  parser->current_.chunks.push_back({size, parser->last_feed_at_});
}

void HttpRequestParser::ChunkSink::OnTrailerLine(std::string_view line) {
  // Already checked by the decoder; ParseField() only splits and lower-cases it.
  parser->ParseField(line, parser->current_.trailers);
}

void HttpRequestParser::Feed(std::string_view bytes, absl::Time arrived_at) {
  last_feed_at_ = arrived_at;
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
  return state_ == State::kBody || state_ == State::kChunked;
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
  if (!lmc::http::IsToken(method) || target.empty()) return false;
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
  lmc::http::FieldLine field;
  if (!lmc::http::SplitFieldLine(line, field)) {
    Fail(400, "malformed header field");
    return false;
  }
  auto& entry = fields.emplace_back();
  entry.first.assign(field.name);
  absl::AsciiStrToLower(&entry.first);
  entry.second.assign(field.value);
  return true;
}

bool HttpRequestParser::FinishHeaders() {
  lmc::http::ContentLength length;
  lmc::http::TransferCoding coding;
  current_.keep_alive = current_.minor_version >= 1;
  for (const auto& [name, value] : current_.headers) {
    if (name == "content-length") {
      if (!length.Add(value)) {
        Fail(400, "invalid Content-Length");
        return false;
      }
    } else if (name == "transfer-encoding") {
      switch (coding.Add(value)) {
        case lmc::http::TransferCoding::Verdict::kOk:
          break;
        case lmc::http::TransferCoding::Verdict::kUnsupported:
          Fail(501, "unsupported transfer coding");
          return false;
        case lmc::http::TransferCoding::Verdict::kChunkedTwice:
          Fail(400, "chunked applied more than once");
          return false;
      }
    } else if (name == "connection") {
      if (lmc::http::ListContainsToken(value, "close")) {
        current_.keep_alive = false;
      } else if (lmc::http::ListContainsToken(value, "keep-alive")) {
        current_.keep_alive = true;
      }
    } else if (name == "expect") {
      current_.expect_continue =
          current_.minor_version >= 1 && EqualsIgnoreCase(value, "100-continue");
    }
  }
  if (coding.present() && !coding.chunked()) {
    Fail(400, "empty Transfer-Encoding");
    return false;
  }
  if (coding.present() && length.present()) {
    // Both framings at once is the classic request-smuggling shape; refuse rather than guess.
    Fail(400, "both Content-Length and Transfer-Encoding");
    return false;
  }
  if (coding.present() && current_.minor_version == 0) {
    Fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    return false;
  }
  if (length.value() > limits_.max_body_bytes) {
    Fail(413, "request body too large");
    return false;
  }
  continue_sent_ = false;
  current_.chunked = coding.chunked();
  if (current_.chunked) {
    chunked_.Reset(&chunk_sink_, {.max_trailer_bytes = limits_.max_header_bytes,
                                  .max_body_bytes = limits_.max_body_bytes});
    state_ = State::kChunked;
  } else {
    remaining_ = length.value();
    current_.body.reserve(static_cast<size_t>(remaining_));
    state_ = State::kBody;
  }
  return true;
}

void HttpRequestParser::TakeBodyBytes() {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, buf_.size() - pos_));
  current_.body.append(buf_.data() + pos_, n);
  pos_ += n;
  remaining_ -= n;
}

HttpRequestParser::Result HttpRequestParser::Complete(ReceivedRequest& request) {
  std::swap(request, current_);
  current_.Clear();
  state_ = State::kStartLine;
  section_bytes_ = 0;
  continue_sent_ = false;
  return Result::kRequest;
}

HttpRequestParser::Result HttpRequestParser::Parse(ReceivedRequest& request) {
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
      case State::kHeaders: {
        const size_t budget =
            limits_.max_header_bytes - std::min(limits_.max_header_bytes, section_bytes_);
        if (!NextLine(line, budget, too_long)) {
          if (too_long) return Fail(431, "header section too large");
          return Result::kNeedMore;
        }
        section_bytes_ += line.size() + 2;
        if (line.empty()) {
          if (!FinishHeaders()) return Result::kError;
          break;
        }
        if (!ParseField(line, current_.headers)) return Result::kError;
        break;
      }
      case State::kBody:
        TakeBodyBytes();
        if (remaining_ > 0) return Result::kNeedMore;
        return Complete(request);
      case State::kChunked: {
        pos_ += chunked_.Feed(std::string_view(buf_).substr(pos_));
        if (chunked_.failed()) {
          switch (chunked_.error()) {
            case lmc::http::ChunkedError::kBodyTooLarge:
              return Fail(413, "request body too large");
            case lmc::http::ChunkedError::kTrailerTooLarge:
              return Fail(431, "trailer section too large");
            default:
              return Fail(400, chunked_.error_message());
          }
        }
        if (state_ == State::kError) return Result::kError;  // a trailer field was malformed
        if (!chunked_.complete()) return Result::kNeedMore;
        return Complete(request);
      }
    }
  }
}

}  // namespace lmc::emulator::internal
