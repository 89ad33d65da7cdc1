// File: lmc/transport/internal/http_response_parser.h
//
// HttpResponseParser: an incremental HTTP/1.1 response parser for the direct Runtime API
// transport. Bytes are fed as they arrive from a socket, in pieces of any size; the parser hands
// out what it finds through HttpResponseCallbacks, without copying:
//
//   - each header field line of the final response, raw ("Name: value", no CR LF), so a caller
//     can feed NextInvocation::ApplyHeaderLine() directly;
//   - OnHeadersComplete() once the status and the body framing are known;
//   - the body bytes, de-chunked, as views into the fed data;
//   - each trailer field line of a chunked body.
//
// Field, Content-Length and Transfer-Encoding rules and the chunked decoder are the shared codec
// in lmc/base/http/; this file adds the status line, interim responses and body framing.
//
// Framing follows RFC 9112 §6.3 for a client that never sends HEAD: 1xx interim responses are
// skipped entirely (101 is refused: we never ask to switch protocols), 204 and 304 have no body,
// then `Transfer-Encoding: chunked` (extensions ignored, trailers reported), then
// `Content-Length`, else the body runs until the peer closes the connection. The parser is strict
// where leniency would let a broken or hostile peer smuggle a second message: conflicting
// Content-Length values, both framings at once, codings other than chunked, obsolete line
// folding, CR or NUL inside a line and whitespace before a field's colon are errors.
//
// Limits: the header section (status lines and fields of the interim and final responses
// together) is at most HttpResponseLimits::max_header_bytes, the trailer section likewise; the
// body is at most max_body_bytes, reported as the distinct error kBodyTooLarge (as soon as a
// Content-Length or chunk size shows it) so a caller can tell "too large" from "broken".
//
// Bodies can also be received in place: while the parser is inside a run of body bytes
// (InPlaceBodyRun() > 0), the caller may recv() up to that many bytes straight into its own
// memory and report them with ConsumeInPlaceBody() instead of feeding them.
//
// Example:
//
//   class Collect : public lmc::transport_internal::HttpResponseCallbacks {
//     void OnHeaderLine(std::string_view line) override { next.ApplyHeaderLine(line); }
//     void OnBody(std::string_view bytes) override { body.append(bytes); }
//     ...
//   } collect;
//   lmc::transport_internal::HttpResponseParser parser;
//   parser.Reset(&collect, {.max_body_bytes = 6 << 20});
//   while (!parser.done()) {
//     ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
//     if (n <= 0) { parser.FinishOnEof(); break; }
//     size_t used = parser.Feed({buffer, size_t(n)});   // < n: bytes after the response
//   }
//   if (parser.complete()) Use(parser.head().status_code);
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "lmc/base/http/chunked_decoder.h"
#include "lmc/base/http/http_fields.h"
#include "lmc/base/http/line_reader.h"

namespace lmc::transport_internal {

// HttpResponseLimits
struct HttpResponseLimits {
  // Bytes of the header section (interim responses included), and separately of the trailer
  // section. Over it: kHeaderTooLarge.
  size_t max_header_bytes = size_t{64} * 1024;
  // Decoded body bytes. Over it: kBodyTooLarge.
  uint64_t max_body_bytes = std::numeric_limits<uint64_t>::max();
};

// How the final response's body is delimited.
enum class HttpBodyFraming {
  kNone,           // 204, 304, or Content-Length: 0
  kContentLength,  // Content-Length: N (N > 0)
  kChunked,        // Transfer-Encoding: chunked
  kUntilClose,     // neither: the body ends when the peer closes the connection
};

// Why parsing failed.
enum class HttpResponseError {
  kNone,
  kMalformed,       // not a valid HTTP/1.x response (or a feature we refuse, e.g. 101)
  kHeaderTooLarge,  // header or trailer section over max_header_bytes
  kBodyTooLarge,    // body over max_body_bytes
  kTruncated,       // the connection closed before the response was complete
};

// HttpResponseHead
//
// What the final response's status line and header fields say. Valid once headers_complete().
struct HttpResponseHead {
  int status_code = 0;
  int minor_version = 1;  // HTTP/1.<minor_version>
  HttpBodyFraming framing = HttpBodyFraming::kNone;
  uint64_t content_length = 0;  // for kContentLength
  // Whether the connection may carry another request after this response: HTTP/1.1 unless
  // `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`, never for kUntilClose.
  bool keep_alive = false;
};

// HttpResponseCallbacks
//
// What the parser reports, in order: header lines, OnHeadersComplete(), body bytes, trailer
// lines. Views are valid only during the call. Interim (1xx) responses report nothing.
class HttpResponseCallbacks {
 public:
  virtual ~HttpResponseCallbacks() = default;
  // One header field of the final response, exactly as received minus the line ending
  // ("Name: value"). Already validated: a token name, a colon, no CR or NUL.
  virtual void OnHeaderLine(std::string_view line) = 0;
  // The header section is complete and valid; `head` says how the body is framed. Called before
  // any body byte (also when there is no body).
  virtual void OnHeadersComplete(const HttpResponseHead& head) { (void)head; }
  // Body bytes (de-chunked) that were fed through Feed(). Bytes received in place are not
  // reported here.
  virtual void OnBody(std::string_view bytes) = 0;
  // One trailer field of a chunked body, like OnHeaderLine().
  virtual void OnTrailerLine(std::string_view line) { (void)line; }
};

// HttpResponseParser
//
// Parses one response at a time; Reset() readies it for the next. Not thread-safe: one
// connection, one parser, one thread. Holds no reference to fed data after Feed() returns; a
// line split across Feed() calls is copied into an internal buffer (at most the section limit).
// Errors are sticky until Reset(). Never reads outside the given bytes, whatever they hold.
class HttpResponseParser {
 public:
  HttpResponseParser() = default;
  HttpResponseParser(const HttpResponseParser&) = delete;
  HttpResponseParser& operator=(const HttpResponseParser&) = delete;

  // Reset()
  //
  // Starts a new response reported to `callbacks` (not owned; must outlive the parsing), under
  // `limits`. Keeps the internal buffer's memory.
  void Reset(HttpResponseCallbacks* callbacks, HttpResponseLimits limits = {});

  // Feed()
  //
  // Parses `data` as the next bytes of the response. Returns how many bytes it consumed: all of
  // them, unless the response ended inside `data` (the rest belongs to whatever follows it) or
  // an error was found (parsing stops there). Feeding a complete or failed parser consumes
  // nothing.
  size_t Feed(std::string_view data);

  // FinishOnEof()
  //
  // The peer closed the connection. Completes a close-delimited body; anything else unfinished
  // becomes kTruncated.
  void FinishOnEof();

  // InPlaceBodyRun()
  //
  // While the parser is inside a run of body bytes (the rest of a Content-Length body, the rest
  // of a chunk's data, or a close-delimited body), how many of them the caller may receive
  // straight into its own memory and report with ConsumeInPlaceBody(); 0 when the next bytes
  // are framing (status line, headers, chunk sizes, trailers) and must go through Feed(). For a
  // close-delimited body it is one more than the body limit allows, so an excess is detected.
  uint64_t InPlaceBodyRun() const;

  // ConsumeInPlaceBody()
  //
  // `n` body bytes (at most InPlaceBodyRun()) were received in place; they are not reported to
  // OnBody(). Over the body limit: kBodyTooLarge.
  void ConsumeInPlaceBody(size_t n);

  bool headers_complete() const { return headers_complete_; }
  bool complete() const { return state_ == State::kComplete; }
  bool failed() const { return state_ == State::kError; }
  bool done() const { return complete() || failed(); }
  HttpResponseError error() const { return error_; }
  // A one-line reason after failed(); "" otherwise. Points to a string literal.
  std::string_view error_message() const { return error_message_; }
  // The final response's status and framing (valid once headers_complete()).
  const HttpResponseHead& head() const { return head_; }
  // Body bytes so far, in place or fed.
  uint64_t body_bytes() const;

 private:
  enum class State {
    kStatusLine,
    kHeaders,        // fields of the final response
    kInterimFields,  // fields of a 1xx response: checked, not reported
    kBody,           // Content-Length body
    kUntilClose,     // close-delimited body
    kChunked,        // chunked body: handed to chunked_
    kComplete,
    kError,
  };
  // Forwards the chunked decoder's output to the parser's callbacks.
  struct ChunkSink : http::ChunkedCallbacks {
    void OnChunkData(std::string_view bytes) override;
    void OnTrailerLine(std::string_view line) override;
    HttpResponseCallbacks* callbacks = nullptr;
  };

  void Fail(HttpResponseError error, const char* message);
  bool ParseStatusLine(std::string_view line);
  // Checks a field line; for the final response's header section (`interpret`), also notes
  // framing and connection options.
  bool CheckField(std::string_view line, bool interpret);
  // Decides the body framing once the header section has ended.
  void FinishHeaders();
  // Reports up to `available` bytes of a Content-Length or close-delimited body; returns how many.
  size_t TakeBody(const char* data, size_t available);
  size_t FeedChunked(std::string_view data);

  HttpResponseCallbacks* callbacks_ = nullptr;
  ChunkSink chunk_sink_;
  HttpResponseLimits limits_;
  State state_ = State::kStatusLine;
  HttpResponseError error_ = HttpResponseError::kNone;
  const char* error_message_ = "";
  HttpResponseHead head_;
  bool headers_complete_ = false;
  // Field facts gathered while reading the final header section.
  http::ContentLength content_length_;
  http::TransferCoding transfer_coding_;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  // Bytes of the current header section so far, line endings included.
  size_t section_bytes_ = 0;
  http::LineReader lines_;
  http::ChunkedDecoder chunked_;
  uint64_t remaining_ = 0;   // bytes left of the Content-Length body
  uint64_t body_bytes_ = 0;  // Content-Length and close-delimited bodies
};

}  // namespace lmc::transport_internal
