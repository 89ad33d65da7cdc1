#include "lmc/transport/next_invocation.h"

#include <charconv>

#include "lmc/strings.h"

namespace lmc {

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~';
    if (!ok) return false;
  }
  return true;
}

bool IsValidHeaderValue(std::string_view value) {
  if (value.size() > 8192) return false;
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

absl::Status CheckAnswerArguments(std::string_view request_id,
                                  std::initializer_list<std::string_view> header_values) {
  if (!IsValidRequestId(request_id)) return absl::InvalidArgumentError("invalid request id");
  for (std::string_view value : header_values) {
    if (!IsValidHeaderValue(value)) {
      return absl::InvalidArgumentError("a header value holds CR, LF or NUL, or is too long");
    }
  }
  return absl::OkStatus();
}

std::optional<int64_t> ParseDeadlineMs(std::string_view text) {
  text = StripAsciiWhitespace(text);
  if (text.empty() || text.front() == '-' || text.front() == '+') return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

void NextInvocation::Reset() {
  ResetHeaders();
  body.Clear();
}

void NextInvocation::ResetHeaders() {
  http_status = 0;
  request_id.clear();
  invocation_id.clear();
  function_arn.clear();
  trace_id.clear();
  client_context.clear();
  cognito_identity.clear();
  has_tenant_id = false;
  tenant_id.clear();
  has_deadline_header = false;
  deadline_ms.reset();
  content_type.clear();
  content_length.reset();
}

void NextInvocation::ApplyHeaderLine(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    // A new status line: forget the headers of an interim (1xx) reply.
    ResetHeaders();
    return;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return;
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = StripAsciiWhitespace(line.substr(colon + 1));
  // Most headers start with "Lambda-Runtime-": check that once, then the suffix.
  constexpr std::string_view kPrefix = "lambda-runtime-";
  if (name.size() > kPrefix.size() && EqualsIgnoreCase(name.substr(0, kPrefix.size()), kPrefix)) {
    const std::string_view suffix = name.substr(kPrefix.size());
    if (EqualsIgnoreCase(suffix, "aws-request-id")) {
      request_id.assign(value);
    } else if (EqualsIgnoreCase(suffix, "deadline-ms")) {
      has_deadline_header = true;
      deadline_ms = ParseDeadlineMs(value);
    } else if (EqualsIgnoreCase(suffix, "invoked-function-arn")) {
      function_arn.assign(value);
    } else if (EqualsIgnoreCase(suffix, "trace-id")) {
      trace_id.assign(value);
    } else if (EqualsIgnoreCase(suffix, "client-context")) {
      client_context.assign(value);
    } else if (EqualsIgnoreCase(suffix, "cognito-identity")) {
      cognito_identity.assign(value);
    } else if (EqualsIgnoreCase(suffix, "aws-tenant-id")) {
      has_tenant_id = true;
      tenant_id.assign(value);
    } else if (EqualsIgnoreCase(suffix, "invocation-id")) {
      invocation_id.assign(value);
    }
    return;
  }
  if (EqualsIgnoreCase(name, "content-type")) {
    content_type.assign(value);
  } else if (EqualsIgnoreCase(name, "content-length")) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec == std::errc() && end == value.data() + value.size()) content_length = n;
  }
}

}  // namespace lmc
