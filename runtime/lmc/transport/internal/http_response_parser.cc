#include "lmc/transport/internal/http_response_parser.h"

#include <algorithm>

#include "lmc/base/http/http_fields.h"

namespace lmc::transport_internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

HttpResponseError FromChunkedError(http::ChunkedError error) {
  switch (error) {
    case http::ChunkedError::kTrailerTooLarge:
      return HttpResponseError::kHeaderTooLarge;
    case http::ChunkedError::kBodyTooLarge:
      return HttpResponseError::kBodyTooLarge;
    case http::ChunkedError::kNone:
    case http::ChunkedError::kMalformed:
      break;
  }
  return HttpResponseError::kMalformed;
}

}  // namespace

void HttpResponseParser::ChunkSink::OnChunkData(std::string_view bytes) {
  if (!bytes.empty()) callbacks->OnBody(bytes);
}

void HttpResponseParser::ChunkSink::OnTrailerLine(std::string_view line) {
  callbacks->OnTrailerLine(line);
}

void HttpResponseParser::Reset(HttpResponseCallbacks* callbacks, HttpResponseLimits limits) {
  callbacks_ = callbacks;
  chunk_sink_.callbacks = callbacks;
  limits_ = limits;
  state_ = State::kStatusLine;
  error_ = HttpResponseError::kNone;
  error_message_ = "";
  head_ = HttpResponseHead();
  headers_complete_ = false;
  content_length_ = http::ContentLength();
  transfer_coding_ = http::TransferCoding();
  connection_close_ = false;
  connection_keep_alive_ = false;
  section_bytes_ = 0;
  lines_.Clear();
  remaining_ = 0;
  body_bytes_ = 0;
}

void HttpResponseParser::Fail(HttpResponseError error, const char* message) {
  state_ = State::kError;
  error_ = error;
  error_message_ = message;
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
  if (line.size() > 12 && (line[12] != ' ' || !http::IsValidFieldValue(line.substr(13)))) {
    Fail(HttpResponseError::kMalformed, "malformed reason phrase");
    return false;
  }
  head_.minor_version = line[7] - '0';
  head_.status_code = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  return true;
}

bool HttpResponseParser::CheckField(std::string_view line, bool interpret) {
  http::FieldLine field;
  if (!http::SplitFieldLine(line, field)) {
    Fail(HttpResponseError::kMalformed, "malformed header field");
    return false;
  }
  if (!interpret) return true;
  if (EqualsIgnoreCase(field.name, "content-length")) {
    if (!content_length_.Add(field.value)) {
      Fail(HttpResponseError::kMalformed, "invalid Content-Length");
      return false;
    }
  } else if (EqualsIgnoreCase(field.name, "transfer-encoding")) {
    // We send no TE header, so a server may apply only chunked, and only once.
    if (transfer_coding_.Add(field.value) != http::TransferCoding::Verdict::kOk) {
      Fail(HttpResponseError::kMalformed, "unsupported Transfer-Encoding");
      return false;
    }
  } else if (EqualsIgnoreCase(field.name, "connection")) {
    if (http::ListContainsToken(field.value, "close")) connection_close_ = true;
    if (http::ListContainsToken(field.value, "keep-alive")) connection_keep_alive_ = true;
  }
  return true;
}

void HttpResponseParser::FinishHeaders() {
  if (transfer_coding_.present() && !transfer_coding_.chunked()) {
    Fail(HttpResponseError::kMalformed, "unsupported Transfer-Encoding");
    return;
  }
  if (transfer_coding_.present() && content_length_.present()) {
    // Both framings at once is the classic smuggling shape; refuse rather than pick one.
    Fail(HttpResponseError::kMalformed, "both Content-Length and Transfer-Encoding");
    return;
  }
  if (transfer_coding_.present() && head_.minor_version == 0) {
    Fail(HttpResponseError::kMalformed, "Transfer-Encoding in an HTTP/1.0 response");
    return;
  }
  head_.keep_alive = !connection_close_ && (head_.minor_version >= 1 || connection_keep_alive_);
  head_.content_length = content_length_.value();
  const int status = head_.status_code;
  if (status == 204 || status == 304) {
    head_.framing = HttpBodyFraming::kNone;
    head_.content_length = 0;
  } else if (transfer_coding_.chunked()) {
    head_.framing = HttpBodyFraming::kChunked;
  } else if (content_length_.present()) {
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
      chunked_.Reset(&chunk_sink_, {.max_trailer_bytes = limits_.max_header_bytes,
                                    .max_body_bytes = limits_.max_body_bytes});
      state_ = State::kChunked;
      break;
    case HttpBodyFraming::kUntilClose:
      state_ = State::kUntilClose;
      break;
  }
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
  if (state_ == State::kBody && remaining_ == 0) state_ = State::kComplete;
  return n;
}

size_t HttpResponseParser::FeedChunked(std::string_view data) {
  const size_t used = chunked_.Feed(data);
  if (chunked_.complete()) {
    state_ = State::kComplete;
  } else if (chunked_.failed()) {
    const std::string_view message = chunked_.error_message();
    Fail(FromChunkedError(chunked_.error()), message.data());
  }
  return used;
}

uint64_t HttpResponseParser::InPlaceBodyRun() const {
  switch (state_) {
    case State::kBody:
      return remaining_;
    case State::kChunked:
      return chunked_.DataRun();
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
    case State::kBody: {
      const uint64_t taken = std::min<uint64_t>(n, remaining_);
      remaining_ -= taken;
      body_bytes_ += taken;
      if (remaining_ == 0) state_ = State::kComplete;
      return;
    }
    case State::kChunked:
      chunked_.ConsumeData(n);
      return;
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

uint64_t HttpResponseParser::body_bytes() const {
  return head_.framing == HttpBodyFraming::kChunked ? chunked_.body_bytes() : body_bytes_;
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
        const http::LineReader::Result r = lines_.Take(data, pos, budget, line);
        if (r == http::LineReader::Result::kNeedMore) return pos;
        if (r == http::LineReader::Result::kTooLong) {
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
      case State::kUntilClose:
        pos += TakeBody(data.data() + pos, data.size() - pos);
        break;
      case State::kChunked:
        pos += FeedChunked(data.substr(pos));
        break;
    }
  }
  return pos;
}

}  // namespace lmc::transport_internal
