// File: lmc/transport/runtime_api_client_common.h
//
// What the two RuntimeApiClient implementations (runtime_api_client_direct.cc and
// runtime_api_client_curl.cc) share, so that each rule is written once: the user agent, how much
// of a reply body is kept and how much of it is logged, where Lambda-Extension-Identifier is
// read, the statuses a call returns when the runtime shuts down or an event is too large, and
// the WARN lines for non-2xx replies and for trailers that cannot be sent. The calls that only
// build an ApiRequest and send it (PostResponse, PostError, PostInitError, RegisterExtension,
// NextExtensionEvent) are defined once, in runtime_api_client_common.cc, on top of the one
// private member each implementation defines: RuntimeApiClient::Send().
//
// Example (inside an implementation):
//
//   void OnHeaderLine(std::string_view line) { ApplyReplyHeaderLine(line, reply); }
//   void OnBody(std::string_view bytes) { AppendReplyBody(bytes, reply); }
//   ...
//   reply.status = status;
//   LogNon2xx(sink, "POST", target, reply.status, reply.body);
//
// Transport-private: only the two implementations include it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "lmc/base/log_sink.h"
#include "lmc/transport/runtime_api_client.h"

namespace lmc {

// The User-Agent both implementations send.
inline constexpr std::string_view kRuntimeApiUserAgent = "lmc/0.1";

// How much of a reply's body an ApiReply keeps (the rest is read and dropped, so the connection
// stays usable), and how much of a non-2xx reply's body is logged.
inline constexpr size_t kMaxReplyBodyBytes = size_t{64} * 1024;
inline constexpr size_t kMaxLoggedBodyBytes = 1024;

// Appends `bytes` to reply.body up to kMaxReplyBodyBytes in all.
void AppendReplyBody(std::string_view bytes, ApiReply& reply);

// Reads one reply header line ("Name: value", with or without CR LF) into `reply`: only
// Lambda-Extension-Identifier matters (RegisterExtension()).
void ApplyReplyHeaderLine(std::string_view line, ApiReply& reply);

// The statuses every call returns for Abort() (kCancelled) and for an event larger than the
// client's max_event_bytes (kResourceExhausted).
absl::Status ShuttingDownError();
absl::Status EventTooLargeError(uint64_t max_event_bytes);
// kUnavailable: GET /next got no complete reply, for the transport's reason `detail`.
absl::Status NextFailedError(std::string_view detail);

// LogNon2xx()
//
// A WARN line "Runtime API replied <status> to <method> <path>: <body>" (the body cut to
// kMaxLoggedBodyBytes) unless `status` is 2xx: every call site gets the status and body of a
// refused request in the log. Inline for the 2xx test: it runs on every answer.
void LogNon2xxReply(const LogSink& sink, std::string_view method, std::string_view path, int status,
                    std::string_view body);
inline void LogNon2xx(const LogSink& sink, std::string_view method, std::string_view path,
                      int status, std::string_view body) {
  if (status >= 200 && status < 300) return;
  LogNon2xxReply(sink, method, path, status, body);
}

// The WARN line for a streamed error whose trailer values hold CR, LF or NUL: nothing valid can
// carry them, so the stream ends without trailers rather than corrupted.
void LogUnsendableTrailers(const LogSink& sink);

}  // namespace lmc
