// File: lmc/transport/next_invocation.h
//
// NextInvocation: one reply to GET /runtime/invocation/next, as the transport received it: the
// HTTP status, every Lambda-Runtime-* header it knows (matched case-insensitively) and the event
// bytes in a padded buffer. Each poll loop owns one and reuses it, so strings keep their
// capacity from one event to the next.
//
// Also the validators for values that come from the Runtime API and end up in URLs, paths or
// headers: request ids, header values and deadlines are checked before use.
//
// Example:
//
//   lmc::NextInvocation next;
//   next.Reset();
//   for (std::string_view line : header_lines) next.ApplyHeaderLine(line);
//   if (!lmc::IsValidRequestId(next.request_id)) { ... skip ... }
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "lmc/base/padded_buffer.h"

namespace lmc {

// Upper bound on a request id's length. Lambda's are 36-character UUIDs; the bound is generous
// for emulators and caller-chosen ids while keeping URLs and log lines small.
inline constexpr size_t kMaxRequestIdLength = 128;

// True when `id` is 1..kMaxRequestIdLength bytes of URL-unreserved characters
// ([A-Za-z0-9._~-]), so it can be pasted into a URL path as-is.
bool IsValidRequestId(std::string_view id);

// True when `value` can be sent as an HTTP header value: no CR, LF or NUL, at most 8 KiB.
bool IsValidHeaderValue(std::string_view value);

// The checks both transports make before answering an invocation: OK when `request_id` is
// valid (IsValidRequestId) and every one of `header_values` is (IsValidHeaderValue); otherwise
// InvalidArgument saying which. Nothing unsafe ever reaches a URL or a header.
absl::Status CheckAnswerArguments(std::string_view request_id,
                                  std::initializer_list<std::string_view> header_values);

// Parses Lambda-Runtime-Deadline-Ms: a non-negative decimal integer of Unix epoch milliseconds,
// surrounding spaces allowed. nullopt for anything else (garbage, overflow, negative).
std::optional<int64_t> ParseDeadlineMs(std::string_view text);

// NextInvocation
//
// Not thread-safe; owned by one poll loop.
struct NextInvocation {
  int http_status = 0;
  std::string request_id;        // Lambda-Runtime-Aws-Request-Id
  std::string invocation_id;     // Lambda-Runtime-Invocation-Id ("" when absent)
  std::string function_arn;      // Lambda-Runtime-Invoked-Function-Arn
  std::string trace_id;          // Lambda-Runtime-Trace-Id
  std::string client_context;    // Lambda-Runtime-Client-Context
  std::string cognito_identity;  // Lambda-Runtime-Cognito-Identity
  bool has_tenant_id = false;    // Lambda-Runtime-Aws-Tenant-Id present (even if empty)
  std::string tenant_id;
  bool has_deadline_header = false;
  std::optional<int64_t> deadline_ms;  // parsed Lambda-Runtime-Deadline-Ms, if valid
  std::string content_type;            // Content-Type
  std::optional<uint64_t> content_length;
  PaddedBuffer body;

  // Forgets the previous reply; keeps allocated memory.
  void Reset();
  // Forgets the status and headers only.
  void ResetHeaders();

  // Applies one raw header line as both transports deliver it ("Name: value\r\n"). A status line
  // ("HTTP/1.1 200 OK") resets the headers, since 1xx replies come before the real one.
  // Unknown headers and malformed lines are ignored.
  void ApplyHeaderLine(std::string_view line);
};

}  // namespace lmc
