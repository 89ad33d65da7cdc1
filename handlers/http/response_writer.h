// File: handlers/http/response_writer.h
//
// HttpResponseWriter: where a route writes its answer, so that one route serves both kinds of
// invocation: buffered (BufferedResponseWriter collects the answer, the router encodes it in the
// event source's shape) and streamed (StreamedResponseWriter sends the prelude and then each
// write through lmc::ResponseStream as it happens: Function URL response streaming).
//
// Example (a streaming route; buffered, the same code returns the whole body at the end):
//
//   absl::Status Count(const RouteRequest& request, HttpResponseWriter& out) {
//     LMC_RETURN_IF_ERROR(out.Begin(HttpResponse::Text(200, "")));
//     for (int i = 0; i < 3; ++i) LMC_RETURN_IF_ERROR(out.Write(absl::StrCat(i, "\n")));
//     return absl::OkStatus();
//   }
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "handlers/http/http_response.h"
#include "lmc/response_stream.h"

namespace lmc::http {

// HttpResponseWriter
//
// Owned by the router for one request; not thread-safe (one writer thread at a time).
class HttpResponseWriter {
 public:
  virtual ~HttpResponseWriter() = default;

  // Sends the status, headers and cookies of `head`, then its body if it has one. Once per
  // answer: FailedPrecondition on a second call.
  virtual absl::Status Begin(const HttpResponse& head) = 0;
  // Appends `bytes` to the body; FailedPrecondition before Begin(). Streamed, the bytes have
  // reached the Runtime API when it returns; errors are those of lmc::ResponseStream::Write().
  virtual absl::Status Write(std::string_view bytes) = 0;
  // True when writes reach the client as they happen.
  virtual bool streaming() const = 0;

  bool begun() const { return begun_; }
  int status() const { return status_; }
  uint64_t body_bytes() const { return body_bytes_; }

 protected:
  // Bookkeeping shared by the implementations.
  absl::Status MarkBegun(int status);
  absl::Status CheckBegun() const;
  void Count(uint64_t n) { body_bytes_ += n; }

 private:
  bool begun_ = false;
  int status_ = 0;
  uint64_t body_bytes_ = 0;
};

// BufferedResponseWriter
//
// Collects the answer into response().
class BufferedResponseWriter final : public HttpResponseWriter {
 public:
  absl::Status Begin(const HttpResponse& head) override;
  absl::Status Write(std::string_view bytes) override;
  bool streaming() const override { return false; }

  // The collected answer (status 500 with no body until Begin()).
  HttpResponse& response() { return response_; }

 private:
  HttpResponse response_ = HttpResponse::Empty(500);
};

// StreamedResponseWriter
//
// Begin() sends lmc::BeginHttpStream() with StreamPrelude(head); the body goes out raw (never
// base64). `stream` must outlive the writer.
class StreamedResponseWriter final : public HttpResponseWriter {
 public:
  explicit StreamedResponseWriter(ResponseStream& stream) : stream_(stream) {}

  absl::Status Begin(const HttpResponse& head) override;
  absl::Status Write(std::string_view bytes) override;
  bool streaming() const override { return true; }

 private:
  ResponseStream& stream_;
};

}  // namespace lmc::http
