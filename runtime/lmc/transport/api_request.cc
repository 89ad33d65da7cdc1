#include "lmc/transport/api_request.h"

#include "absl/status/status.h"
#include "lmc/transport/next_invocation.h"

namespace lmc {
namespace {

constexpr std::string_view kInvocationPrefix = "/2018-06-01/runtime/invocation/";

absl::Status CheckHeaderValue(std::string_view value, std::string_view what) {
  if (IsValidHeaderValue(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(std::string("unsafe ").append(what));
}

}  // namespace

void ApiRequest::AddHeader(std::string_view name, std::string_view value) {
  headers_[header_count_++] = {name, value};
}

void ApiRequest::AppendTarget(std::string& out) const {
  out.append(prefix_).append(id_).append(suffix_);
}

std::string_view HeaderErrorType(std::string_view error_type) {
  if (error_type.empty() || error_type.size() > 128) return "Unhandled";
  for (char c : error_type) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return "Unhandled";
  }
  return error_type;
}

absl::StatusOr<ApiRequest> ApiRequest::Response(std::string_view request_id,
                                                std::string_view invocation_id,
                                                std::string_view content_type,
                                                std::string_view body,
                                                std::chrono::milliseconds timeout) {
  if (absl::Status checked = CheckAnswerArguments(request_id, {invocation_id, content_type});
      !checked.ok()) {
    return checked;
  }
  ApiRequest r;
  r.prefix_ = kInvocationPrefix;
  r.id_ = request_id;
  r.suffix_ = "/response";
  if (!content_type.empty()) r.AddHeader("Content-Type", content_type);
  if (!invocation_id.empty()) r.AddHeader("Lambda-Runtime-Invocation-Id", invocation_id);
  r.has_body_ = true;
  r.body_ = body;
  r.timeout_ = timeout;
  return r;
}

absl::StatusOr<ApiRequest> ApiRequest::Error(std::string_view request_id,
                                             std::string_view invocation_id,
                                             std::string_view error_type,
                                             std::string_view error_json,
                                             std::chrono::milliseconds timeout) {
  if (absl::Status checked = CheckAnswerArguments(request_id, {invocation_id, error_type});
      !checked.ok()) {
    return checked;
  }
  ApiRequest r;
  r.prefix_ = kInvocationPrefix;
  r.id_ = request_id;
  r.suffix_ = "/error";
  r.AddHeader("Content-Type", "application/json");
  if (!error_type.empty()) r.AddHeader("Lambda-Runtime-Function-Error-Type", error_type);
  if (!invocation_id.empty()) r.AddHeader("Lambda-Runtime-Invocation-Id", invocation_id);
  r.has_body_ = true;
  r.body_ = error_json;
  r.timeout_ = timeout;
  return r;
}

absl::StatusOr<ApiRequest> ApiRequest::InitError(std::string_view error_type,
                                                 std::string_view error_json) {
  if (absl::Status checked = CheckHeaderValue(error_type, "error type"); !checked.ok()) {
    return checked;
  }
  ApiRequest r;
  r.prefix_ = "/2018-06-01/runtime/init/error";
  r.AddHeader("Content-Type", "application/json");
  if (!error_type.empty()) r.AddHeader("Lambda-Runtime-Function-Error-Type", error_type);
  r.has_body_ = true;
  r.body_ = error_json;
  return r;
}

absl::StatusOr<ApiRequest> ApiRequest::RegisterExtension(std::string_view name,
                                                         std::string_view events_json) {
  if (absl::Status checked = CheckHeaderValue(name, "extension name"); !checked.ok()) {
    return checked;
  }
  ApiRequest r;
  r.prefix_ = "/2020-01-01/extension/register";
  r.AddHeader("Content-Type", "application/json");
  r.AddHeader("Lambda-Extension-Name", name);
  r.has_body_ = true;
  r.body_ = events_json;
  return r;
}

absl::StatusOr<ApiRequest> ApiRequest::NextExtensionEvent(std::string_view identifier) {
  if (absl::Status checked = CheckHeaderValue(identifier, "identifier"); !checked.ok()) {
    return checked;
  }
  ApiRequest r;
  r.prefix_ = "/2020-01-01/extension/event/next";
  r.AddHeader("Lambda-Extension-Identifier", identifier);
  r.long_poll_ = true;
  return r;
}

}  // namespace lmc
