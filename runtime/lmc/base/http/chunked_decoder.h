// File: lmc/base/http/chunked_decoder.h
//
// ChunkedDecoder: the one HTTP/1.1 chunked transfer-coding decoder (RFC 9112 §7.1), shared by
// the direct transport's response parser and the emulator's request parser. It is fed the bytes
// after the header section, in pieces of any size, and reports the chunk data (without copying),
// the end of each chunk, and each trailer field line. Chunk extensions are ignored.
//
// Strict where leniency would let a peer smuggle a second message: the chunk size must start at
// the beginning of its line (no blanks before it), only blanks and extensions may follow it, a
// chunk's data must be followed by exactly CR LF (or LF), trailer fields follow the field rules
// of http_fields.h.
//
// Example:
//
//   class Sink : public lmc::http::ChunkedCallbacks {
//     void OnChunkData(std::string_view bytes) override { body.append(bytes); }
//   } sink;
//   lmc::http::ChunkedDecoder decoder;
//   decoder.Reset(&sink, {.max_body_bytes = 6 << 20});
//   size_t used = decoder.Feed(bytes);          // < bytes.size(): the rest follows the message
//   if (decoder.complete()) ...; if (decoder.failed()) Reject(decoder.error_message());
//
// Bytes can also be received in place: while DataRun() > 0 the caller may copy up to that many
// chunk bytes itself and report them with ConsumeData() instead of feeding them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include "lmc/base/http/line_reader.h"

namespace lmc::http {

struct ChunkedLimits {
  // Bytes of the trailer section, line endings counted as two bytes. Over it: kTrailerTooLarge.
  size_t max_trailer_bytes = size_t{64} * 1024;
  // Decoded body bytes. Over it: kBodyTooLarge, as soon as a chunk size shows it.
  uint64_t max_body_bytes = std::numeric_limits<uint64_t>::max();
};

enum class ChunkedError {
  kNone,
  kMalformed,        // not valid chunked framing
  kTrailerTooLarge,  // trailer section over max_trailer_bytes
  kBodyTooLarge,     // decoded body over max_body_bytes
};

// ChunkedCallbacks
//
// What the decoder reports, in order. Views are valid only during the call.
class ChunkedCallbacks {
 public:
  virtual ~ChunkedCallbacks() = default;
  // Data bytes of the current chunk that were fed through Feed() (not those consumed in place).
  virtual void OnChunkData(std::string_view bytes) = 0;
  // A data chunk of `size` bytes ended (its CR LF was read).
  virtual void OnChunkEnd(uint64_t size) { (void)size; }
  // One trailer field line, "Name: value" as received without its line ending; already checked
  // with SplitFieldLine().
  virtual void OnTrailerLine(std::string_view line) { (void)line; }
};

// ChunkedDecoder
//
// Decodes one chunked body at a time; Reset() readies it for the next. Not thread-safe. Errors
// are sticky until Reset(). Never reads outside the given bytes.
class ChunkedDecoder {
 public:
  ChunkedDecoder() = default;
  ChunkedDecoder(const ChunkedDecoder&) = delete;
  ChunkedDecoder& operator=(const ChunkedDecoder&) = delete;

  // Starts a new body reported to `callbacks` (not owned; must outlive the decoding).
  void Reset(ChunkedCallbacks* callbacks, ChunkedLimits limits = {});

  // Feed()
  //
  // Decodes `data` as the next bytes of the body. Returns how many it consumed: all of them
  // unless the body ended inside `data` (the rest belongs to what follows) or an error was found.
  size_t Feed(std::string_view data);

  // DataRun()
  //
  // Bytes left of the current chunk's data while the decoder is inside it; 0 when the next bytes
  // are framing and must go through Feed().
  uint64_t DataRun() const { return state_ == State::kData ? remaining_ : 0; }

  // ConsumeData()
  //
  // `n` (at most DataRun()) chunk bytes were received in place; they are not reported to
  // OnChunkData().
  void ConsumeData(size_t n);

  bool complete() const { return state_ == State::kComplete; }
  bool failed() const { return state_ == State::kError; }
  bool done() const { return complete() || failed(); }
  ChunkedError error() const { return error_; }
  // A one-line reason after failed(); "" otherwise. Points to a string literal.
  std::string_view error_message() const { return error_message_; }
  // Decoded body bytes so far, fed or in place.
  uint64_t body_bytes() const { return body_bytes_; }

 private:
  enum class State { kSize, kData, kDataEnd, kTrailers, kComplete, kError };

  void Fail(ChunkedError error, const char* message);
  bool ParseSize(std::string_view line);
  void AfterData();

  ChunkedCallbacks* callbacks_ = nullptr;
  ChunkedLimits limits_;
  State state_ = State::kSize;
  ChunkedError error_ = ChunkedError::kNone;
  const char* error_message_ = "";
  LineReader lines_;
  uint64_t chunk_size_ = 0;
  uint64_t remaining_ = 0;
  uint64_t body_bytes_ = 0;
  size_t trailer_bytes_ = 0;
};

}  // namespace lmc::http
