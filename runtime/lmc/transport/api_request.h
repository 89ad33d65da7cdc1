// File: lmc/transport/api_request.h
//
// ApiRequest: what each Runtime API and Extensions API call sends (method, target, headers,
// body, timeout, whether it long-polls), decided once for every transport. A transport only
// moves an ApiRequest over HTTP/1.1, so the protocol mapping and the checks that keep unsafe
// bytes out of URLs and headers cannot drift apart between implementations. GET /next is not
// here: it carries nothing but its target, kNextTarget.
//
// Example:
//
//   absl::StatusOr<lmc::ApiRequest> request = lmc::ApiRequest::Response(
//       request_id, invocation_id, "application/json", body, std::chrono::seconds(5));
//   if (!request.ok()) return request.status();  // InvalidArgument: unsafe id or header value
//   target.clear();
//   request->AppendTarget(target);  // "/2018-06-01/runtime/invocation/<id>/response"
//   for (const lmc::ApiHeader& header : request->headers()) { ... }
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace lmc {

// The target of GET /next, the one request every loop makes between invocations.
inline constexpr std::string_view kNextTarget = "/2018-06-01/runtime/invocation/next";

// Returns `error_type` if it is a safe Lambda-Runtime-Function-Error-Type value (1..128 bytes of
// [A-Za-z0-9._:-]), else "Unhandled". The error's JSON body always carries the exact type; the
// header only has to be a safe token. The returned view aliases `error_type` or a literal.
std::string_view HeaderErrorType(std::string_view error_type);

// ApiHeader
//
// One request header field; views.
struct ApiHeader {
  std::string_view name;
  std::string_view value;
};

// ApiRequest
//
// A value holding views into the arguments given to its factory: valid while they are. Each
// factory validates what will reach a URL or a header (request ids per IsValidRequestId(),
// header values per IsValidHeaderValue()) and returns InvalidArgument otherwise. Optional
// headers whose value is empty are left out; POSTs always have a body, possibly empty.
class ApiRequest {
 public:
  // POST /2018-06-01/runtime/invocation/{request_id}/response. An empty `content_type` sends
  // none; an empty `invocation_id` sends no Lambda-Runtime-Invocation-Id.
  static absl::StatusOr<ApiRequest> Response(std::string_view request_id,
                                             std::string_view invocation_id,
                                             std::string_view content_type, std::string_view body,
                                             std::chrono::milliseconds timeout);
  // POST /2018-06-01/runtime/invocation/{request_id}/error with the Lambda error document and
  // Lambda-Runtime-Function-Error-Type.
  static absl::StatusOr<ApiRequest> Error(std::string_view request_id,
                                          std::string_view invocation_id,
                                          std::string_view error_type, std::string_view error_json,
                                          std::chrono::milliseconds timeout);
  // POST /2018-06-01/runtime/init/error.
  static absl::StatusOr<ApiRequest> InitError(std::string_view error_type,
                                              std::string_view error_json);
  // POST /2020-01-01/extension/register as extension `name`.
  static absl::StatusOr<ApiRequest> RegisterExtension(std::string_view name,
                                                      std::string_view events_json);
  // GET /2020-01-01/extension/event/next: a long poll, without a timeout.
  static absl::StatusOr<ApiRequest> NextExtensionEvent(std::string_view identifier);

  std::string_view method() const { return has_body_ ? "POST" : "GET"; }
  // Appends the origin-form target ("/2018-06-01/...") to `out`, so a transport can reuse one
  // buffer (and its capacity) for every request.
  void AppendTarget(std::string& out) const;
  std::span<const ApiHeader> headers() const { return {headers_.data(), header_count_}; }
  bool has_body() const { return has_body_; }
  std::string_view body() const { return body_; }
  // Zero: none.
  std::chrono::milliseconds timeout() const { return timeout_; }
  // Waits as long as it takes and is cancelled by RuntimeApiClient::Abort().
  bool long_poll() const { return long_poll_; }

 private:
  ApiRequest() = default;
  void AddHeader(std::string_view name, std::string_view value);

  // The target is prefix + id + suffix (id empty for most requests).
  std::string_view prefix_;
  std::string_view id_;
  std::string_view suffix_;
  std::array<ApiHeader, 3> headers_{};
  size_t header_count_ = 0;
  bool has_body_ = false;
  std::string_view body_;
  std::chrono::milliseconds timeout_{0};
  bool long_poll_ = false;
};

}  // namespace lmc
