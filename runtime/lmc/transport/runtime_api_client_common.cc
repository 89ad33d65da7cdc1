#include "lmc/transport/runtime_api_client_common.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "lmc/strings.h"
#include "lmc/transport/api_request.h"

namespace lmc {

void AppendReplyBody(std::string_view bytes, ApiReply& reply) {
  const size_t room = kMaxReplyBodyBytes - std::min(kMaxReplyBodyBytes, reply.body.size());
  reply.body.append(bytes.data(), std::min(room, bytes.size()));
}

void ApplyReplyHeaderLine(std::string_view line, ApiReply& reply) {
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos &&
      EqualsIgnoreCase(line.substr(0, colon), "lambda-extension-identifier")) {
    reply.extension_id.assign(StripAsciiWhitespace(line.substr(colon + 1)));
  }
}

absl::Status ShuttingDownError() { return absl::CancelledError("the runtime is shutting down"); }

absl::Status EventTooLargeError(uint64_t max_event_bytes) {
  return absl::ResourceExhaustedError(
      absl::StrCat("the event is larger than ", max_event_bytes, " bytes"));
}

absl::Status NextFailedError(std::string_view detail) {
  return absl::UnavailableError(
      absl::StrCat("GET /runtime/invocation/next failed: ", AsAbsl(detail)));
}

void LogNon2xxReply(const LogSink& sink, std::string_view method, std::string_view path, int status,
                    std::string_view body) {
  if (body.size() > kMaxLoggedBodyBytes) body = body.substr(0, kMaxLoggedBodyBytes);
  sink.Write(LogLevel::kWarn, {},
             absl::StrCat("Runtime API replied ", status, " to ", AsAbsl(method), " ", AsAbsl(path),
                          ": ", AsAbsl(body)));
}

void LogUnsendableTrailers(const LogSink& sink) {
  sink.Write(LogLevel::kWarn, {},
             "a streamed error's trailer value holds CR, LF or NUL; ending the stream without "
             "trailers");
}

// The calls that only build an ApiRequest and hand it to the implementation's Send().

absl::StatusOr<ApiReply> RuntimeApiClient::PostResponse(std::string_view request_id,
                                                        std::string_view invocation_id,
                                                        std::string_view content_type,
                                                        std::string_view body,
                                                        std::chrono::milliseconds timeout) {
  return Send(ApiRequest::Response(request_id, invocation_id, content_type, body, timeout));
}

absl::StatusOr<ApiReply> RuntimeApiClient::PostError(std::string_view request_id,
                                                     std::string_view invocation_id,
                                                     std::string_view error_type,
                                                     std::string_view error_json,
                                                     std::chrono::milliseconds timeout) {
  return Send(ApiRequest::Error(request_id, invocation_id, error_type, error_json, timeout));
}

absl::StatusOr<ApiReply> RuntimeApiClient::PostInitError(std::string_view error_type,
                                                         std::string_view error_json) {
  return Send(ApiRequest::InitError(error_type, error_json));
}

absl::StatusOr<ApiReply> RuntimeApiClient::RegisterExtension(std::string_view name,
                                                             std::string_view events_json) {
  return Send(ApiRequest::RegisterExtension(name, events_json));
}

absl::StatusOr<ApiReply> RuntimeApiClient::NextExtensionEvent(std::string_view identifier) {
  // A long poll like Next(): no timeout, cancelled by Abort() (ApiRequest says so).
  return Send(ApiRequest::NextExtensionEvent(identifier));
}

}  // namespace lmc
