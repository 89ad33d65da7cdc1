// File: tools/emulator/internal/http_request_parser.h
//
// An incremental HTTP/1.1 request parser for the Runtime API emulator, on top of the shared codec
// (lmc/base/http/: field rules, Content-Length lists, the chunked decoder). Bytes are fed as they
// arrive from a socket, in pieces of any size; complete requests are taken out one at a time, so
// pipelined requests on one connection come out in order. It understands what a Lambda runtime
// and the usual HTTP clients send: a request line, header fields (names lower-cased, matched
// case-insensitively), `Content-Length` bodies, `Transfer-Encoding: chunked` bodies with chunk
// extensions and trailer fields, `Expect: 100-continue`, and keep-alive rules for HTTP/1.0 and
// HTTP/1.1. Anything else is rejected with the status code the server should answer before it
// closes the connection (400, 413, 431, 501, 505).
//
// Example:
//
//   HttpRequestParser parser;
//   ReceivedRequest request;
//   parser.Feed(bytes_from_socket);
//   for (;;) {
//     HttpRequestParser::Result r = parser.Parse(request);
//     if (r == HttpRequestParser::Result::kNeedMore) break;           // read more bytes
//     if (r == HttpRequestParser::Result::kError) { Reply(parser.error_status()); Close(); }
//     Handle(request);                                                // one whole request
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lmc/base/http/chunked_decoder.h"

namespace lmc::emulator::internal {

// Header or trailer fields in arrival order: lower-cased name, value with surrounding blanks
// removed. Repeated fields stay separate entries.
using HttpFields = std::vector<std::pair<std::string, std::string>>;

// FindField()
//
// The value of the first field named `lower_name` (which must be lower case), or nullptr. The
// pointer is valid until `fields` is modified.
const std::string* FindField(const HttpFields& fields, std::string_view lower_name);

// ReceivedChunk
//
// One data chunk of a chunked request body: its size and when its last byte was fed.
struct ReceivedChunk {
  uint64_t size = 0;
  absl::Time arrived_at;
};

// ReceivedRequest
//
// One complete request as the emulator received it (not the direct transport's OutgoingRequest,
// nor handlers/events' HttpRequest event). Plain data; the parser fills it and the caller owns it.
struct ReceivedRequest {
  std::string method;     // as sent, case-sensitive ("GET", "POST")
  std::string target;     // request-target as sent, query string included
  int minor_version = 1;  // HTTP/1.<minor_version>
  HttpFields headers;
  HttpFields trailers;  // chunked requests only
  std::string body;     // de-chunked when `chunked`
  bool chunked = false;
  std::vector<ReceivedChunk> chunks;  // chunked requests only, in order
  // Whether the connection may carry another request after this one: HTTP/1.1 unless
  // `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
  bool keep_alive = true;
  bool expect_continue = false;  // `Expect: 100-continue` on an HTTP/1.1 request

  // FindField() over `headers`.
  const std::string* FindHeader(std::string_view lower_name) const {
    return FindField(headers, lower_name);
  }

  // Empties every field but keeps the allocated capacity, so a reused request costs no
  // allocations for typical sizes.
  void Clear();
};

// HttpParserLimits
//
// Bounds that protect the server from a hostile or broken peer.
struct HttpParserLimits {
  // Request line plus header fields (and, separately, the trailer section). Over it: 431.
  size_t max_header_bytes = 64 * 1024;
  // Decoded body. Over it: 413, reported as soon as a Content-Length or chunk size shows it.
  size_t max_body_bytes = 16 * 1024 * 1024;
};

// HttpRequestParser
//
// Incremental parser for the requests of one connection. Not thread-safe: one connection, one
// parser, one thread. The parser buffers what it was fed until a complete request has been taken
// out with Parse(); after an error it stays in the error state.
class HttpRequestParser {
 public:
  enum class Result {
    kNeedMore,  // no complete request buffered yet; Feed() more bytes
    kRequest,   // `request` holds the next complete request
    kError,     // the stream is not valid HTTP/1.1; see error_status()
  };

  explicit HttpRequestParser(HttpParserLimits limits = {});

  // Feed()
  //
  // Appends `bytes` (copied) to the parser's buffer. Parsing happens in Parse(). `arrived_at`
  // stamps the chunks whose last byte is among these bytes (ReceivedChunk::arrived_at).
  void Feed(std::string_view bytes, absl::Time arrived_at = absl::Now());

  // Parse()
  //
  // Parses as far as the buffered bytes allow. On kRequest, `request` is overwritten with the
  // next complete request (its previous capacity is recycled) and the bytes of that request are
  // dropped from the buffer; call again for pipelined requests. kError is sticky.
  Result Parse(ReceivedRequest& request);

  // After kError: the HTTP status to answer (400 malformed, 413 body too large, 431 header
  // section too large, 501 unsupported transfer coding, 505 unsupported HTTP version) and a
  // one-line reason.
  int error_status() const { return error_status_; }
  std::string_view error_message() const { return error_message_; }

  // AwaitingContinue()
  //
  // True when the request being received asked for `Expect: 100-continue`, its header section
  // is complete, its body is not, and ContinueSent() has not been called for it. The server then
  // owes the client a `100 Continue` interim response.
  bool AwaitingContinue() const;
  void ContinueSent() { continue_sent_ = true; }

  // Data chunks of the chunked request being received so far (0 between requests): lets the
  // server observe a streamed body while it arrives.
  size_t pending_chunks() const { return current_.chunks.size(); }

  // Bytes fed but not yet consumed by a returned request.
  size_t buffered_bytes() const { return buf_.size() - pos_; }

 private:
  enum class State {
    kStartLine,
    kHeaders,
    kBody,     // Content-Length body
    kChunked,  // chunked body and trailers: handed to chunked_
    kError,
  };
  // Collects the chunked decoder's output into the request being parsed.
  struct ChunkSink : lmc::http::ChunkedCallbacks {
    void OnChunkData(std::string_view bytes) override;
    void OnChunkEnd(uint64_t size) override;
    void OnTrailerLine(std::string_view line) override;
    HttpRequestParser* parser = nullptr;
  };

  // Takes the next line (without its CR LF or bare LF) from the buffer. Returns false when no
  // full line is buffered; sets `too_long` when the partial line already exceeds `limit`.
  bool NextLine(std::string_view& line, size_t limit, bool& too_long);
  bool ParseStartLine(std::string_view line);
  // Parses `name: value` into `fields`. Returns false (after Fail()) on a malformed field.
  bool ParseField(std::string_view line, HttpFields& fields);
  // Works out framing, keep-alive and Expect once the header section has ended.
  bool FinishHeaders();
  // Moves up to `remaining_` buffered bytes into the body.
  void TakeBodyBytes();
  Result Fail(int status, std::string_view message);
  Result Complete(ReceivedRequest& request);

  HttpParserLimits limits_;
  // Empty lines seen before the current request line (RFC 9112 tolerates a few).
  int leading_empty_lines_ = 0;
  std::string buf_;
  size_t pos_ = 0;  // first unconsumed byte of buf_
  State state_ = State::kStartLine;
  ReceivedRequest current_;   // the request being parsed
  size_t section_bytes_ = 0;  // bytes of the current header or trailer section so far
  uint64_t remaining_ = 0;    // Content-Length body bytes still expected
  ChunkSink chunk_sink_;
  lmc::http::ChunkedDecoder chunked_;
  absl::Time last_feed_at_;
  bool continue_sent_ = false;
  int error_status_ = 0;
  std::string error_message_;
};

}  // namespace lmc::emulator::internal
