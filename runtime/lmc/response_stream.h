// File: lmc/response_stream.h
//
// Response streaming: a handler that writes its answer as it produces it instead of returning it
// whole. Each Write() reaches the Runtime API before it returns (one HTTP chunk per write, no
// buffering across writes), so a caller behind a Function URL or API Gateway sees bytes as soon
// as the handler has them. Use it for long answers (up to 200 MB instead of 6 MB), for time to
// first byte (tokens of a model, rows of a report), or both.
//
// How a streamed invocation ends:
//   - the handler returns success: the stream is closed normally;
//   - the handler returns an Error (or throws) before any byte was written: the error is reported
//     through /invocation/{id}/error exactly as for a buffered handler;
//   - the handler returns an Error (or throws) after bytes were written: the stream ends with the
//     HTTP trailers Lambda-Runtime-Function-Error-Type and Lambda-Runtime-Function-Error-Body
//     (base64 of the Lambda error JSON); the caller keeps the bytes already sent.
//
// Example (a streaming handler that sends server-sent events through a Function URL):
//
//   lmc::StreamResult Tokens(const lmc::Event& event, const lmc::Context& context,
//                            lmc::ResponseStream& stream) {
//     lmc::HttpStreamPrelude prelude;
//     prelude.headers.emplace_back("Content-Type", "text/event-stream");
//     if (absl::Status s = lmc::BeginHttpStream(stream, prelude); !s.ok()) return s;
//     for (std::string_view token : {"hello", "world"}) {
//       if (absl::Status s = stream.Write(absl::StrCat("data: ", token, "\n\n")); !s.ok()) return
//       s;
//     }
//     return {};
//   }
//
//   handlers.Register("tokens", Tokens);   // a three-argument callable registers a streamer
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "lmc/context.h"
#include "lmc/event.h"
#include "lmc/handler.h"

namespace lmc {

// The most a streamed response may carry (Lambda's limit for streamed responses).
inline constexpr uint64_t kMaxStreamedResponseBytes = 200ull * 1024 * 1024;

// The content type of a streamed response when the handler sets none.
inline constexpr std::string_view kDefaultStreamContentType = "application/octet-stream";

// The content type Function URLs and API Gateway expect for a streamed HTTP response that begins
// with a prelude (see BeginHttpStream()).
inline constexpr std::string_view kHttpIntegrationContentType =
    "application/vnd.awslambda.http-integration-response";

// ResponseStream
//
// The sink a streaming handler writes its answer into. Owned by the runtime; valid only during
// the handler call it is passed to. Not thread-safe: call it from one thread at a time (a handler
// may hand it to a worker thread it joins before returning).
class ResponseStream {
 public:
  // Sets the content type of the response. Only before the first Write(); afterwards (the
  // headers are already on the wire) it returns FailedPrecondition and changes nothing.
  virtual absl::Status SetContentType(std::string_view content_type) = 0;

  // Sends `bytes` as the next part of the response before returning. An empty write sends
  // nothing. Errors: ResourceExhausted when the total would pass kMaxStreamedResponseBytes
  // (nothing of `bytes` is sent); Unavailable when the Runtime API connection failed or the runtime
  // is shutting down. After an error the stream is broken: later writes fail the same way, and
  // the handler should return (its result then decides how the invocation is reported).
  virtual absl::Status Write(std::string_view bytes) = 0;

  // Bytes sent so far (excluding HTTP framing).
  virtual uint64_t bytes_written() const = 0;

 protected:
  ~ResponseStream() = default;
};

// HttpStreamPrelude
//
// The status line and headers of a streamed HTTP response for Function URLs and API Gateway.
struct HttpStreamPrelude {
  int status_code = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> cookies;  // Set-Cookie values
};

// BeginHttpStream()
//
// Sets the content type to kHttpIntegrationContentType and writes the JSON prelude
// {"statusCode":...,"headers":{...},"cookies":[...]} followed by 8 NUL bytes; what the handler
// writes next is the HTTP body. "cookies" is omitted when empty. Call before any other Write().
absl::Status BeginHttpStream(ResponseStream& stream, const HttpStreamPrelude& prelude);

// StreamResult
//
// What a streaming handler returns: success (default-constructed: `return {};`) or an Error.
// Converts implicitly from an Error and from an absl::Status (OK: success; otherwise an Error named
// after the status code, as Error::FromStatus()).
class StreamResult {
 public:
  StreamResult() = default;
  StreamResult(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit
  StreamResult(const absl::Status& status)                             // NOLINT: implicit
      : error_(status.ok() ? Error("", "") : Error::FromStatus(status)), ok_(status.ok()) {}

  bool ok() const { return ok_; }
  // Requires !ok().
  const Error& error() const { return error_; }

 private:
  Error error_{"", ""};
  bool ok_ = true;
};

// StreamingHandler
//
// Called once per invocation, concurrently from several threads, like Handler (see
// lmc/handler.h). Register it with HandlerRegistry::Register(); the runtime then answers the
// invocation with a streamed response.
using StreamingHandler =
    std::function<StreamResult(const Event& event, const Context& context, ResponseStream& stream)>;

}  // namespace lmc
