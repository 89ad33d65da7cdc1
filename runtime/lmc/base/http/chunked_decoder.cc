#include "lmc/base/http/chunked_decoder.h"

#include <algorithm>

#include "lmc/base/http/http_fields.h"
#include "lmc/strings.h"

namespace lmc::http {
namespace {

// A chunk-size line (size plus extensions, which are ignored) longer than this is not something
// a Runtime API peer sends; refusing it bounds the partial-line buffer.
constexpr size_t kMaxChunkLineBytes = 4096;

// Chunk sizes with more significant hex digits than this (2^60 bytes and up) exceed any body
// limit; stopping there keeps the arithmetic clear of overflow.
constexpr int kMaxChunkSizeDigits = 15;

}  // namespace

void ChunkedDecoder::Reset(ChunkedCallbacks* callbacks, ChunkedLimits limits) {
  callbacks_ = callbacks;
  limits_ = limits;
  state_ = State::kSize;
  error_ = ChunkedError::kNone;
  error_message_ = "";
  lines_.Clear();
  chunk_size_ = 0;
  remaining_ = 0;
  body_bytes_ = 0;
  trailer_bytes_ = 0;
}

void ChunkedDecoder::Fail(ChunkedError error, const char* message) {
  state_ = State::kError;
  error_ = error;
  error_message_ = message;
}

bool ChunkedDecoder::ParseSize(std::string_view line) {
  // chunk-size [ BWS ";" chunk-ext ]
  size_t i = 0;
  uint64_t size = 0;
  int significant = 0;
  for (; i < line.size(); ++i) {
    const int v = HexDigitValue(line[i]);
    if (v < 0) break;
    if (size != 0 || v != 0) ++significant;
    if (significant > kMaxChunkSizeDigits) {
      Fail(ChunkedError::kBodyTooLarge, "chunk size exceeds the body limit");
      return false;
    }
    size = size * 16 + static_cast<uint64_t>(v);
  }
  if (i == 0) {
    Fail(ChunkedError::kMalformed, "missing chunk size");
    return false;
  }
  const std::string_view rest = TrimOws(line.substr(i));
  if (!rest.empty() && rest.front() != ';') {
    Fail(ChunkedError::kMalformed, "invalid chunk size");
    return false;
  }
  if (size > limits_.max_body_bytes - std::min(limits_.max_body_bytes, body_bytes_)) {
    Fail(ChunkedError::kBodyTooLarge, "chunked body exceeds the body limit");
    return false;
  }
  if (size == 0) {
    state_ = State::kTrailers;
  } else {
    chunk_size_ = size;
    remaining_ = size;
    state_ = State::kData;
  }
  return true;
}

void ChunkedDecoder::AfterData() {
  if (remaining_ == 0) state_ = State::kDataEnd;
}

void ChunkedDecoder::ConsumeData(size_t n) {
  if (state_ != State::kData) return;
  const uint64_t taken = std::min<uint64_t>(n, remaining_);
  remaining_ -= taken;
  body_bytes_ += taken;
  AfterData();
}

size_t ChunkedDecoder::Feed(std::string_view data) {
  size_t pos = 0;
  std::string_view line;
  while (pos < data.size()) {
    switch (state_) {
      case State::kComplete:
      case State::kError:
        return pos;
      case State::kSize: {
        const LineReader::Result r = lines_.Take(data, pos, kMaxChunkLineBytes, line);
        if (r == LineReader::Result::kNeedMore) return pos;
        if (r == LineReader::Result::kTooLong) {
          Fail(ChunkedError::kMalformed, "chunk size line too long");
          return pos;
        }
        if (!ParseSize(line)) return pos;
        break;
      }
      case State::kData: {
        const auto n = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size() - pos));
        callbacks_->OnChunkData(data.substr(pos, n));
        pos += n;
        remaining_ -= n;
        body_bytes_ += n;
        AfterData();
        break;
      }
      case State::kDataEnd: {
        const LineReader::Result r = lines_.Take(data, pos, 2, line);
        if (r == LineReader::Result::kNeedMore) return pos;
        if (r == LineReader::Result::kTooLong || !line.empty()) {
          Fail(ChunkedError::kMalformed, "chunk data longer than its size");
          return pos;
        }
        callbacks_->OnChunkEnd(chunk_size_);
        state_ = State::kSize;
        break;
      }
      case State::kTrailers: {
        const size_t budget =
            limits_.max_trailer_bytes - std::min(limits_.max_trailer_bytes, trailer_bytes_);
        const LineReader::Result r = lines_.Take(data, pos, budget, line);
        if (r == LineReader::Result::kNeedMore) return pos;
        if (r == LineReader::Result::kTooLong) {
          Fail(ChunkedError::kTrailerTooLarge, "trailer section too large");
          return pos;
        }
        // Counted with a two-byte line ending, whatever was sent, so the budget is exact for
        // well-formed input and conservative otherwise.
        trailer_bytes_ += line.size() + 2;
        if (line.empty()) {
          state_ = State::kComplete;
          break;
        }
        FieldLine field;
        if (!SplitFieldLine(line, field)) {
          Fail(ChunkedError::kMalformed, "malformed trailer field");
          return pos;
        }
        callbacks_->OnTrailerLine(line);
        break;
      }
    }
  }
  return pos;
}

}  // namespace lmc::http
