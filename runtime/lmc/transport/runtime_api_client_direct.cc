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

namespace lmc {
namespace {

using internal::HttpHeader;
using internal::HttpRequest;
using internal::HttpResponseHead;

constexpr size_t kMaxReplyBodyBytes = size_t{64} * 1024;
constexpr size_t kMaxLoggedBodyBytes = 1024;
constexpr std::string_view kUserAgent = "lmc/0.1";

// Receives a GET /next reply into a NextInvocation: header lines through ApplyHeaderLine(), the
// body into its padded buffer, in place once the headers are parsed.
class NextSink final : public internal::HttpResponseSink {
 public:
  NextSink(NextInvocation& out, uint64_t max_event_bytes)
      : out_(out), max_event_bytes_(max_event_bytes) {}

  void OnHeaderLine(std::string_view line) override { out_.ApplyHeaderLine(line); }
  void OnHeadersComplete(const HttpResponseHead& head) override {
    // One allocation of the right size up front (as the curl transport does), never more than
    // the limit allows: the parser refuses a larger Content-Length before any body byte.
    if (head.framing == internal::HttpBodyFraming::kContentLength &&
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
class ReplySink final : public internal::HttpResponseSink {
 public:
  explicit ReplySink(ApiReply& reply) : reply_(reply) {}

  void OnHeaderLine(std::string_view line) override {
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos &&
        EqualsIgnoreCase(line.substr(0, colon), "lambda-extension-identifier")) {
      reply_.extension_id.assign(StripAsciiWhitespace(line.substr(colon + 1)));
    }
  }
  void OnBody(std::string_view bytes) override {
    const size_t room = kMaxReplyBodyBytes - std::min(kMaxReplyBodyBytes, reply_.body.size());
    reply_.body.append(bytes.data(), std::min(room, bytes.size()));
  }

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
  Impl(const LogSink& log_sink, RuntimeApiClientOptions opts, internal::HttpEndpoint endpoint)
      : sink(log_sink),
        options(opts),
        connection(std::move(endpoint), {.connect_timeout = opts.connect_timeout,
                                         .user_agent = std::string(kUserAgent)}) {}

  const LogSink& sink;
  const RuntimeApiClientOptions options;
  internal::HttpConnection connection;
  std::string target;  // Reused for every request.

  void LogNon2xx(std::string_view method, std::string_view path, int status,
                 std::string_view body) const {
    if (status >= 200 && status < 300) return;
    if (body.size() > kMaxLoggedBodyBytes) body = body.substr(0, kMaxLoggedBodyBytes);
    sink.Write(LogLevel::kWarn, {},
               absl::StrCat("Runtime API replied ", status, " to ", AsAbsl(method), " ",
                            AsAbsl(path), ": ", AsAbsl(body)));
  }

  // Every call but Next(): what to send comes from ApiRequest (or its refusal); the reply goes
  // into an ApiReply.
  absl::StatusOr<ApiReply> Send(const absl::StatusOr<ApiRequest>& api_request) {
    if (!api_request.ok()) return api_request.status();
    target.clear();
    api_request->AppendTarget(target);
    std::array<HttpHeader, kMaxApiHeaders> headers;
    size_t count = 0;
    for (const ApiHeader& header : api_request->headers()) {
      headers[count++] = {header.name, header.value};
    }
    ApiReply reply;
    ReplySink reply_sink(reply);
    HttpRequest request;
    request.method = api_request->method();
    request.target = target;
    request.headers = std::span<const HttpHeader>(headers.data(), count);
    request.has_body = api_request->has_body();
    request.body = api_request->body();
    request.timeout = api_request->timeout();
    request.long_poll = api_request->long_poll();
    request.max_response_body_bytes = options.max_event_bytes;
    const absl::StatusOr<int> status = connection.RoundTrip(request, reply_sink);
    if (!status.ok()) {
      if (absl::IsCancelled(status.status())) {
        return absl::CancelledError("the runtime is shutting down");
      }
      return absl::UnavailableError(absl::StrCat(AsAbsl(request.method), " ", target,
                                                 " failed: ", status.status().message()));
    }
    reply.status = *status;
    LogNon2xx(request.method, target, reply.status, reply.body);
    return reply;
  }
};

RuntimeApiClient::RuntimeApiClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RuntimeApiClient::~RuntimeApiClient() = default;

absl::StatusOr<std::unique_ptr<RuntimeApiClient>> RuntimeApiClient::Create(
    std::string_view endpoint, const LogSink& sink, RuntimeApiClientOptions options) {
  absl::StatusOr<internal::HttpEndpoint> parsed = internal::ParseEndpoint(endpoint);
  if (!parsed.ok()) return parsed.status();
  auto impl = std::make_unique<Impl>(sink, options, *std::move(parsed));
  return std::unique_ptr<RuntimeApiClient>(new RuntimeApiClient(std::move(impl)));
}

absl::Status RuntimeApiClient::Next(NextInvocation& out) {
  Impl& s = *impl_;
  out.Reset();
  NextSink next_sink(out, s.options.max_event_bytes);
  HttpRequest request;
  request.method = "GET";
  request.target = kNextTarget;
  // No timeout: /next long-polls until an event arrives, however long that is.
  request.long_poll = true;
  request.max_response_body_bytes = s.options.max_event_bytes;
  const absl::StatusOr<int> status = s.connection.RoundTrip(request, next_sink);
  if (!status.ok()) {
    switch (status.status().code()) {
      case absl::StatusCode::kCancelled:
        return absl::CancelledError("the runtime is shutting down");
      case absl::StatusCode::kResourceExhausted:
        // The connection is closed: the rest of the body is never read.
        return absl::ResourceExhaustedError(
            absl::StrCat("the event is larger than ", s.options.max_event_bytes, " bytes"));
      default:
        return absl::UnavailableError(
            absl::StrCat("GET /runtime/invocation/next failed: ", status.status().message()));
    }
  }
  out.http_status = *status;
  if (out.http_status != 200) s.LogNon2xx("GET", kNextTarget, out.http_status, out.body.view());
  return absl::OkStatus();
}

absl::StatusOr<ApiReply> RuntimeApiClient::PostResponse(std::string_view request_id,
                                                        std::string_view invocation_id,
                                                        std::string_view content_type,
                                                        std::string_view body,
                                                        std::chrono::milliseconds timeout) {
  return impl_->Send(ApiRequest::Response(request_id, invocation_id, content_type, body, timeout));
}

absl::StatusOr<ApiReply> RuntimeApiClient::PostError(std::string_view request_id,
                                                     std::string_view invocation_id,
                                                     std::string_view error_type,
                                                     std::string_view error_json,
                                                     std::chrono::milliseconds timeout) {
  return impl_->Send(ApiRequest::Error(request_id, invocation_id, error_type, error_json, timeout));
}

absl::StatusOr<ApiReply> RuntimeApiClient::PostInitError(std::string_view error_type,
                                                         std::string_view error_json) {
  return impl_->Send(ApiRequest::InitError(error_type, error_json));
}

absl::StatusOr<ApiReply> RuntimeApiClient::RegisterExtension(std::string_view name,
                                                             std::string_view events_json) {
  return impl_->Send(ApiRequest::RegisterExtension(name, events_json));
}

absl::StatusOr<ApiReply> RuntimeApiClient::NextExtensionEvent(std::string_view identifier) {
  // Like Next(): no timeout, cancelled by Abort().
  return impl_->Send(ApiRequest::NextExtensionEvent(identifier));
}

absl::Status RuntimeApiClient::BeginStreamedResponse(std::string_view request_id,
                                                     std::string_view invocation_id,
                                                     std::string_view content_type) {
  Impl& s = *impl_;
  const absl::StatusOr<ApiRequest> api_request =
      ApiRequest::StreamedResponse(request_id, invocation_id, content_type);
  if (!api_request.ok()) return api_request.status();
  s.target.clear();
  api_request->AppendTarget(s.target);
  std::array<HttpHeader, kMaxApiHeaders> headers;
  size_t count = 0;
  for (const ApiHeader& header : api_request->headers()) {
    headers[count++] = {header.name, header.value};
  }
  HttpRequest request;
  request.method = api_request->method();
  request.target = s.target;
  request.headers = std::span<const HttpHeader>(headers.data(), count);
  request.has_body = true;
  request.chunked = true;
  request.max_response_body_bytes = s.options.max_event_bytes;
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
    s.sink.Write(LogLevel::kWarn, {},
                 "a streamed error's trailer value holds CR, LF or NUL; ending the stream "
                 "without trailers");
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
  s.LogNon2xx("POST", s.target, reply.status, reply.body);
  return reply;
}

void RuntimeApiClient::Abort() { impl_->connection.Abort(); }

}  // namespace lmc
