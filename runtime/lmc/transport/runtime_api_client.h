// File: lmc/transport/runtime_api_client.h
//
// RuntimeApiClient: one kept-alive HTTP/1.1 connection to the Lambda Runtime API (and the
// Extensions API on the same host). Two implementations are chosen at link time: the direct
// socket client (runtime_api_client_direct.cc, the default) and libcurl
// (runtime_api_client_curl.cc). Each poll loop owns one client, so N loops hold N connections
// and never contend for one.
//
// The client reports facts, not policy: a call returns the HTTP status and body it got (any
// status, including 4xx/5xx), or a non-OK absl::Status when no reply arrived (connection refused
// or reset, timeout, truncated reply: kUnavailable; Abort(): kCancelled). The dispatch layer
// decides what each outcome means. Non-2xx replies are logged here, with status and body, so
// every call site gets that for free.
//
// Both send the same requests (ApiRequest, api_request.h) and share everything else that is not
// about moving bytes (runtime_api_client_common.h). The libcurl implementation's
// settings, and why: HTTP/1.1 (newer libcurl may try HTTP/2); no total timeout on
// /next (it long-polls, and on classic Lambda the environment may be frozen inside the call);
// a short connect timeout (the API is on the local host); TCP_NODELAY; proxies ignored (the
// environment's *_proxy variables must not redirect local traffic); no `Expect: 100-continue`
// (an extra round trip for large bodies); at most one cached connection.
//
// Example:
//
//   auto client = lmc::RuntimeApiClient::Create("127.0.0.1:9001", sink);
//   lmc::NextInvocation next;
//   if ((*client)->Next(next).ok() && next.http_status == 200) {
//     (*client)->PostResponse(next.request_id, next.invocation_id, "application/json", "{}");
//   }
//
// curl_global_init() must have been called (once, before threads start): see
// lmc::InitializeTransport().
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lmc/base/log_sink.h"
#include "lmc/mutex.h"
#include "lmc/transport/next_invocation.h"

namespace lmc {

class ApiRequest;

// InitializeTransport()
//
// Initialises the transport process-wide (libcurl's global init; nothing for the direct client).
// Call once from main() before any thread exists (libcurl's global init is not thread-safe).
// Later calls are no-ops.
absl::Status InitializeTransport();

// ApiReply
//
// A reply that arrived: its HTTP status and (the first 64 KiB of) its body.
struct ApiReply {
  int status = 0;
  std::string body;
  // Lambda-Extension-Identifier, set by RegisterExtension() on success.
  std::string extension_id;
};

// RuntimeApiClientOptions
struct RuntimeApiClientOptions {
  // Events larger than this are refused while downloading (kResourceExhausted), keeping one
  // hostile or broken reply from exhausting memory. Lambda's synchronous limit is 6 MB.
  size_t max_event_bytes = size_t{16} * 1024 * 1024;
  std::chrono::milliseconds connect_timeout{2000};
};

// RuntimeApiClient
//
// Not thread-safe, except Abort(), which any thread may call at any time. Owns its connection
// (socket or libcurl handle); move-only via unique_ptr.
class RuntimeApiClient {
 public:
  // `endpoint` is AWS_LAMBDA_RUNTIME_API ("host:port"). `sink` must outlive the client.
  static absl::StatusOr<std::unique_ptr<RuntimeApiClient>> Create(
      std::string_view endpoint, const LogSink& sink, RuntimeApiClientOptions options = {});

  ~RuntimeApiClient();
  RuntimeApiClient(const RuntimeApiClient&) = delete;
  RuntimeApiClient& operator=(const RuntimeApiClient&) = delete;

  // GET /2018-06-01/runtime/invocation/next, waiting as long as it takes. On OK, `out` holds the
  // reply: `out.http_status` may be any status; headers are parsed into `out`'s fields and the
  // body is in `out.body`. kCancelled once Abort() was called; kUnavailable when no complete
  // reply arrived; kResourceExhausted when the body exceeded max_event_bytes (the headers,
  // including the request id, are still in `out`).
  absl::Status Next(NextInvocation& out);

  // POST /2018-06-01/runtime/invocation/{request_id}/response with `body` (sent from the
  // caller's memory, not copied). `invocation_id` is echoed in Lambda-Runtime-Invocation-Id
  // when non-empty. An empty `content_type` sends none. `timeout` of zero means none.
  // InvalidArgument when request_id or a header value is unsafe to send.
  absl::StatusOr<ApiReply> PostResponse(std::string_view request_id, std::string_view invocation_id,
                                        std::string_view content_type, std::string_view body,
                                        std::chrono::milliseconds timeout = {});

  // POST /2018-06-01/runtime/invocation/{request_id}/error with the Lambda error document
  // `error_json` and the Lambda-Runtime-Function-Error-Type header `error_type`.
  absl::StatusOr<ApiReply> PostError(std::string_view request_id, std::string_view invocation_id,
                                     std::string_view error_type, std::string_view error_json,
                                     std::chrono::milliseconds timeout = {});

  // A streamed POST /2018-06-01/runtime/invocation/{request_id}/response (runtime-api.md §2),
  // in three steps on this client's connection, from one thread:
  //
  //   BeginStreamedResponse()   sends the head: Lambda-Runtime-Function-Response-Mode: streaming,
  //                             Transfer-Encoding: chunked, Trailer: Lambda-Runtime-Function-
  //                             Error-Type, Lambda-Runtime-Function-Error-Body, Content-Type
  //                             (none when empty) and the invocation id echo;
  //   WriteStreamChunk(bytes)   sends `bytes` as one chunk; it has left the process when the call
  //                             returns (nothing is buffered across calls); empty sends nothing;
  //   FinishStreamedResponse()  sends the last chunk, then, when `error_type` is not empty, the
  //                             trailers Lambda-Runtime-Function-Error-Type: error_type and
  //                             Lambda-Runtime-Function-Error-Body: error_body_base64, and
  //                             returns the reply like PostResponse().
  //
  // No timeout applies: a slow reader holds only this connection. Errors: InvalidArgument for an
  // unsafe request id or header or trailer value (nothing sent); Unavailable when the connection
  // failed (the stream is then over: later calls fail until the next Begin); FailedPrecondition
  // when no stream is open.
  absl::Status BeginStreamedResponse(std::string_view request_id, std::string_view invocation_id,
                                     std::string_view content_type);
  absl::Status WriteStreamChunk(std::string_view bytes);
  absl::StatusOr<ApiReply> FinishStreamedResponse(std::string_view error_type,
                                                  std::string_view error_body_base64);

  // POST /2018-06-01/runtime/init/error.
  absl::StatusOr<ApiReply> PostInitError(std::string_view error_type, std::string_view error_json);

  // POST /2020-01-01/extension/register as extension `name` subscribing to `events_json`
  // (e.g. {"events":[]}). On a 200 the identifier is in ApiReply::extension_id.
  absl::StatusOr<ApiReply> RegisterExtension(std::string_view name, std::string_view events_json);

  // GET /2020-01-01/extension/event/next for extension `identifier`, waiting as long as it takes.
  // Cancelled by Abort() like Next().
  absl::StatusOr<ApiReply> NextExtensionEvent(std::string_view identifier);

  // Makes the Next() (or NextExtensionEvent()) in progress, if any, fail promptly with
  // kCancelled, and every later one fail at once. A Next() whose reply has begun to arrive
  // completes instead: the server has handed that event over, and it must be served, not lost.
  // POSTs are not affected (answers for events already taken must still go out). Thread-safe,
  // idempotent.
  void Abort();

 private:
  struct Impl;
  explicit RuntimeApiClient(std::unique_ptr<Impl> impl);

  // Sends `request` (or returns its refusal) and returns the reply: the one call each
  // implementation defines for every request but Next() and the streamed response; the public
  // calls built on it are common (runtime_api_client_common.cc).
  absl::StatusOr<ApiReply> Send(const absl::StatusOr<ApiRequest>& request);

  std::unique_ptr<Impl> impl_;
};

}  // namespace lmc
