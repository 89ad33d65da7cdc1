// File: tools/emulator/internal/raw_http_client.h
//
// A deliberately small, blocking HTTP/1.1 client over one TCP connection to 127.0.0.1, for the
// emulator's tests and benchmark. Unlike libcurl it sends exactly the bytes it is given, so
// tests can pipeline, send malformed or chunked requests, and watch for resets and early closes;
// it reads responses one at a time (interim `100 Continue` responses included), framed by
// Content-Length, chunked (decoded by the shared codec, lmc/base/http/) or by the connection
// closing.
//
// Example:
//
//   RawHttpClient client;
//   if (!client.Connect(emulator.port()).ok()) ...;
//   absl::StatusOr<RawHttpResponse> next = client.Get("/2018-06-01/runtime/invocation/next");
//   client.Send("POST /x HTTP/1.1\r\nContent-Length: 2\r\n\r\nok");
//   absl::StatusOr<RawHttpResponse> reply = client.ReadResponse();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/emulator/internal/http_request_parser.h"

namespace lmc::emulator::internal {

struct RawHttpResponse {
  int status = 0;
  HttpFields headers;                 // names lower-cased, in order
  std::string body;                   // de-chunked for a chunked reply
  HttpFields trailers;                // chunked replies only, names lower-cased
  std::vector<uint64_t> chunk_sizes;  // chunked replies only
  // The first header named `lower_name` (lower case), or nullptr.
  const std::string* FindHeader(std::string_view lower_name) const {
    return FindField(headers, lower_name);
  }
};

// RawHttpClient
//
// One connection. Not thread-safe; owns its socket (closed by the destructor). Every blocking
// read and write gives up after `io_timeout` so a broken server fails a test instead of hanging
// (absl::InfiniteDuration(): never, for long-polling clients such as a fake runtime).
class RawHttpClient {
 public:
  RawHttpClient() = default;
  ~RawHttpClient();
  RawHttpClient(const RawHttpClient&) = delete;
  RawHttpClient& operator=(const RawHttpClient&) = delete;

  absl::Status Connect(int port, absl::Duration io_timeout = absl::Seconds(10));

  // Writes all of `bytes`.
  absl::Status Send(std::string_view bytes);

  // Reads the next response. Errors: kUnavailable when the server closed the connection before
  // the first byte of a response, kAborted on a connection reset, kDeadlineExceeded on
  // `io_timeout`, kDataLoss when the connection ended inside a response.
  absl::StatusOr<RawHttpResponse> ReadResponse();

  // Send() a request built from the arguments (HTTP/1.1, Host and Content-Length added), then
  // ReadResponse().
  absl::StatusOr<RawHttpResponse> Get(
      std::string_view path, const std::vector<std::pair<std::string, std::string>>& headers = {});
  absl::StatusOr<RawHttpResponse> Post(
      std::string_view path, std::string_view body,
      const std::vector<std::pair<std::string, std::string>>& headers = {});

  // Waits for the server to close the connection: OK on EOF or reset, kDataLoss if bytes
  // arrive instead, kDeadlineExceeded on `io_timeout`.
  absl::Status ExpectClosed();

  // True when a non-blocking read finds nothing buffered and the connection still open.
  bool NothingPending();

  int fd() const { return fd_; }

 private:
  // Reads more bytes into buf_. kUnavailable on EOF, kAborted on reset.
  absl::Status Fill();
  // Reads and decodes a chunked body (and its trailers) into `response`.
  absl::StatusOr<RawHttpResponse> ReadChunkedBody(RawHttpResponse response);

  int fd_ = -1;
  std::string buf_;
};

// Builds the bytes of a request: request line, Host, the given headers, Content-Length when
// `body` is non-empty or the method is POST, and the body.
std::string BuildRequest(std::string_view method, std::string_view path, std::string_view body,
                         const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace lmc::emulator::internal
