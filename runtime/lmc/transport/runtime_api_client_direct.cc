// The "direct" implementation of lmc/transport/runtime_api_client.h: HTTP/1.1 on a plain,
// blocking, kept-alive TCP socket (lmc/transport/internal/http_connection.h), no libcurl. Same
// contract as runtime_api_client_curl.cc, which is the reference for every behaviour here:
// validation, headers sent, statuses returned, what is logged.
//
// Per invocation on a live connection this costs two system calls for GET /next (sendmsg,
// recv) and three for the POST that answers it (sendmsg, poll for its timeout, recv); the event
// body is received straight into the loop's padded buffer.
#include <algorithm>
#include <array>
#include <span>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lmc/base/http/chunked_encoder.h"
#include "lmc/strings.h"
#include "lmc/transport/api_request.h"
#include "lmc/transport/internal/http_connection.h"
#include "lmc/transport/runtime_api_client.h"
#include "lmc/transport/runtime_api_client_common.h"

namespace lmc {
namespace {

using transport_internal::HttpHeader;
using transport_internal::HttpResponseHead;
using transport_internal::OutgoingRequest;

// Receives a GET /next reply into a NextInvocation: header lines through ApplyHeaderLine(), the
// body into its padded buffer, in place once the headers are parsed.
class NextSink final : public transport_internal::HttpResponseSink {
 public:
  NextSink(NextInvocation& out, uint64_t max_event_bytes)
      : out_(out), max_event_bytes_(max_event_bytes) {}

  void OnHeaderLine(std::string_view line) override { out_.ApplyHeaderLine(line); }
  void OnHeadersComplete(const HttpResponseHead& head) override {
    // One allocation of the right size up front (as the curl transport does), never more than
    // the limit allows: the parser refuses a larger Content-Length before any body byte.
    if (head.framing == transport_internal::HttpBodyFraming::kContentLength &&
        head.content_length <= max_event_bytes_) {
      out_.body.Reserve(static_cast<size_t>(head.content_length));
    }
  }
  void OnBody(std::string_view bytes) override { out_.body.Append(bytes.data(), bytes.size()); }
  std::span<char> PrepareInPlace(size_t max_bytes) override {
    return {out_.body.PrepareAppend(max_bytes), max_bytes};
  }
  void CommitInPlace(size_t bytes) override { out_.body.CommitAppend(bytes); }

 private:
  NextInvocation& out_;
  const uint64_t max_event_bytes_;
};

// Receives any other reply into an ApiReply: the first 64 KiB of the body (the rest is read and
// dropped, so the connection stays usable) and Lambda-Extension-Identifier.
class ReplySink final : public transport_internal::HttpResponseSink {
 public:
  explicit ReplySink(ApiReply& reply) : reply_(reply) {}

  void OnHeaderLine(std::string_view line) override { ApplyReplyHeaderLine(line, reply_); }
  void OnBody(std::string_view bytes) override { AppendReplyBody(bytes, reply_); }

 private:
  ApiReply& reply_;
};

}  // namespace

absl::Status InitializeTransport() {
  // Nothing process-wide to set up: sockets need no global state, and SIGPIPE is avoided per
  // call (MSG_NOSIGNAL).
  return absl::OkStatus();
}

struct RuntimeApiClient::Impl {
  Impl(const LogSink& log_sink, RuntimeApiClientOptions opts,
       transport_internal::HttpEndpoint endpoint)
      : sink(log_sink),
        options(opts),
        connection(std::move(endpoint), {.connect_timeout = opts.connect_timeout,
                                         .user_agent = std::string(kRuntimeApiUserAgent)}) {}

  const LogSink& sink;
  const RuntimeApiClientOptions options;
  transport_internal::HttpConnection connection;
  std::string target;  // Reused for every request.

  // The request line and headers of `api_request` (target into `target`, header views into
  // `headers`), as the HTTP client takes them.
  OutgoingRequest Describe(const ApiRequest& api_request,
                           std::array<HttpHeader, kMaxApiHeaders>& headers) {
    target.clear();
    api_request.AppendTarget(target);
    size_t count = 0;
    for (const ApiHeader& header : api_request.headers()) {
      headers[count++] = {header.name, header.value};
    }
    OutgoingRequest request;
    request.method = api_request.method();
    request.target = target;
    request.headers = std::span<const HttpHeader>(headers.data(), count);
    request.max_response_body_bytes = options.max_event_bytes;
    return request;
  }
};

RuntimeApiClient::RuntimeApiClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RuntimeApiClient::~RuntimeApiClient() = default;

absl::StatusOr<std::unique_ptr<RuntimeApiClient>> RuntimeApiClient::Create(
    std::string_view endpoint, const LogSink& sink, RuntimeApiClientOptions options) {
  absl::StatusOr<transport_internal::HttpEndpoint> parsed =
      transport_internal::ParseEndpoint(endpoint);
  if (!parsed.ok()) return parsed.status();
  auto impl = std::make_unique<Impl>(sink, options, *std::move(parsed));
  return std::unique_ptr<RuntimeApiClient>(new RuntimeApiClient(std::move(impl)));
}

absl::StatusOr<ApiReply> RuntimeApiClient::Send(const absl::StatusOr<ApiRequest>& api_request) {
  if (!api_request.ok()) return api_request.status();
  Impl& s = *impl_;
  std::array<HttpHeader, kMaxApiHeaders> headers;
  OutgoingRequest request = s.Describe(*api_request, headers);
  request.has_body = api_request->has_body();
  request.body = api_request->body();
  request.timeout = api_request->timeout();
  request.long_poll = api_request->long_poll();
  ApiReply reply;
  ReplySink reply_sink(reply);
  const absl::StatusOr<int> status = s.connection.RoundTrip(request, reply_sink);
  if (!status.ok()) {
    if (absl::IsCancelled(status.status())) return ShuttingDownError();
    return absl::UnavailableError(absl::StrCat(AsAbsl(request.method), " ", s.target,
                                               " failed: ", status.status().message()));
  }
  reply.status = *status;
  LogNon2xx(s.sink, request.method, s.target, reply.status, reply.body);
  return reply;
}

absl::Status RuntimeApiClient::Next(NextInvocation& out) {
  Impl& s = *impl_;
  out.Reset();
  NextSink next_sink(out, s.options.max_event_bytes);
  OutgoingRequest request;
  request.method = "GET";
  request.target = kNextTarget;
  // No timeout: /next long-polls until an event arrives, however long that is.
  request.long_poll = true;
  request.max_response_body_bytes = s.options.max_event_bytes;
  const absl::StatusOr<int> status = s.connection.RoundTrip(request, next_sink);
  if (!status.ok()) {
    switch (status.status().code()) {
      case absl::StatusCode::kCancelled:
        return ShuttingDownError();
      case absl::StatusCode::kResourceExhausted:
        // The connection is closed: the rest of the body is never read.
        return EventTooLargeError(s.options.max_event_bytes);
      default:
        return NextFailedError(AsStd(status.status().message()));
    }
  }
  out.http_status = *status;
  LogNon2xx(s.sink, "GET", kNextTarget, out.http_status, out.body.view());
  return absl::OkStatus();
}

absl::Status RuntimeApiClient::BeginStreamedResponse(std::string_view request_id,
                                                     std::string_view invocation_id,
                                                     std::string_view content_type) {
  Impl& s = *impl_;
  const absl::StatusOr<ApiRequest> api_request =
      ApiRequest::StreamedResponse(request_id, invocation_id, content_type);
  if (!api_request.ok()) return api_request.status();
  std::array<HttpHeader, kMaxApiHeaders> headers;
  OutgoingRequest request = s.Describe(*api_request, headers);
  request.has_body = true;
  request.chunked = true;
  if (absl::Status begun = s.connection.BeginStream(request); !begun.ok()) {
    return absl::UnavailableError(
        absl::StrCat("POST ", s.target, " (streamed) failed: ", begun.message()));
  }
  return absl::OkStatus();
}

absl::Status RuntimeApiClient::WriteStreamChunk(std::string_view bytes) {
  absl::Status sent = impl_->connection.SendChunk(bytes);
  if (sent.ok() || absl::IsFailedPrecondition(sent)) return sent;
  return absl::UnavailableError(
      absl::StrCat("streaming to ", impl_->target, " failed: ", sent.message()));
}

absl::StatusOr<ApiReply> RuntimeApiClient::FinishStreamedResponse(
    std::string_view error_type, std::string_view error_body_base64) {
  Impl& s = *impl_;
  std::string last_chunk;
  std::vector<http::TrailerField> trailers;
  if (!error_type.empty()) {
    trailers = {{kStreamErrorTypeTrailer, error_type},
                {kStreamErrorBodyTrailer, error_body_base64}};
  }
  if (!http::AppendLastChunk(trailers, last_chunk)) {
    // Nothing valid can end this stream with an error; end it plainly rather than corrupt it.
    last_chunk.clear();
    http::AppendLastChunk({}, last_chunk);
    LogUnsendableTrailers(s.sink);
  }
  ApiReply reply;
  ReplySink reply_sink(reply);
  const absl::StatusOr<int> status = s.connection.FinishStream(last_chunk, reply_sink);
  if (!status.ok()) {
    if (absl::IsFailedPrecondition(status.status())) return status.status();
    return absl::UnavailableError(
        absl::StrCat("POST ", s.target, " (streamed) failed: ", status.status().message()));
  }
  reply.status = *status;
  LogNon2xx(s.sink, "POST", s.target, reply.status, reply.body);
  return reply;
}

void RuntimeApiClient::Abort() { impl_->connection.Abort(); }

}  // namespace lmc
