#include "tools/emulator/internal/wire_format.h"

#include <charconv>
#include <cstddef>

#include "absl/strings/ascii.h"
#include "lmc/http_status.h"
#include "lmc/json.h"

namespace lmc::emulator::internal {
namespace {

// Integer formatting without iostreams or temporaries: these run for every reply.
void AppendUint(std::string& out, uint64_t value) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, end);
}

void AppendInt(std::string& out, int64_t value) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, end);
}

// Appends the low `digits` nibbles of `value` as lower-case hex, zero-padded.
void AppendHex(std::string& out, uint64_t value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out.push_back(kHex[(value >> (4 * i)) & 0xf]);
}

void AppendConnection(std::string& out, ConnectionMode mode) {
  if (!mode.keep_alive) {
    out.append("Connection: close\r\n");
  } else if (mode.http10) {
    out.append("Connection: keep-alive\r\n");
  }
}

}  // namespace

std::string_view ReasonPhrase(int status) {
  const std::string_view phrase = HttpReasonPhrase(status);
  return phrase.empty() ? "Status" : phrase;
}

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

namespace {

// The reply writer behind AppendReply() and AppendReplyWithFields(): any range of name/value
// pairs.
template <typename Headers>
void AppendReplyImpl(std::string& out, int status, std::string_view content_type,
                     std::string_view body, const Headers& headers, ConnectionMode mode) {
  out.append("HTTP/1.1 ");
  AppendUint(out, static_cast<uint64_t>(status));
  out.push_back(' ');
  out.append(ReasonPhrase(status));
  out.append("\r\n");
  if (!content_type.empty()) AppendHeader(out, "Content-Type", content_type);
  out.append("Content-Length: ");
  AppendUint(out, body.size());
  out.append("\r\n");
  for (const auto& [name, value] : headers) AppendHeader(out, name, value);
  AppendConnection(out, mode);
  out.append("\r\n");
  out.append(body);
}

}  // namespace

void AppendReply(std::string& out, int status, std::string_view content_type, std::string_view body,
                 HeaderList headers, ConnectionMode mode) {
  AppendReplyImpl(out, status, content_type, body, headers, mode);
}

void AppendReplyWithFields(std::string& out, int status, std::string_view content_type,
                           std::string_view body, const Fields& headers, ConnectionMode mode) {
  AppendReplyImpl(out, status, content_type, body, headers, mode);
}

std::string LambdaErrorBody(std::string_view error_type, std::string_view message) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("errorMessage").String(message).Key("errorType").String(error_type);
  w.EndObject();
  return out;
}

void AppendNextReply(std::string& out, const EventSpec& event, const NextReplyIds& ids,
                     ConnectionMode mode) {
  out.append("HTTP/1.1 200 OK\r\n");
  AppendHeader(out, "Content-Type", event.content_type);
  out.append("Content-Length: ");
  AppendUint(out, event.body.size());
  out.append("\r\n");
  AppendHeader(out, "Lambda-Runtime-Aws-Request-Id", ids.request_id);
  if (!event.deadline_header) {
    out.append("Lambda-Runtime-Deadline-Ms: ");
    AppendInt(out, absl::ToUnixMillis(ids.deadline));
    out.append("\r\n");
  } else if (!event.deadline_header->empty()) {
    AppendHeader(out, "Lambda-Runtime-Deadline-Ms", *event.deadline_header);
  }
  AppendHeader(out, "Lambda-Runtime-Invoked-Function-Arn", event.function_arn);
  if (event.send_trace_id) {
    AppendHeader(out, "Lambda-Runtime-Trace-Id",
                 event.trace_id ? std::string_view(*event.trace_id) : ids.generated_trace_id);
  }
  if (event.client_context) {
    AppendHeader(out, "Lambda-Runtime-Client-Context", *event.client_context);
  }
  if (event.cognito_identity) {
    AppendHeader(out, "Lambda-Runtime-Cognito-Identity", *event.cognito_identity);
  }
  if (event.tenant_id) AppendHeader(out, "Lambda-Runtime-Aws-Tenant-Id", *event.tenant_id);
  if (event.send_invocation_id) {
    AppendHeader(out, "Lambda-Runtime-Invocation-Id", ids.invocation_id);
  }
  for (const auto& [name, value] : event.extra_headers) AppendHeader(out, name, value);
  AppendConnection(out, mode);
  out.append("\r\n");
  out.append(event.body);
}

void AppendTruncatedNextReply(std::string& out, std::string_view request_id, absl::Time deadline) {
  out.append("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1024\r\n");
  AppendHeader(out, "Lambda-Runtime-Aws-Request-Id", request_id);
  out.append("Lambda-Runtime-Deadline-Ms: ");
  AppendInt(out, absl::ToUnixMillis(deadline));
  out.append("\r\n\r\n{\"truncated\":\"");
}

std::string PercentDecode(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '%' && i + 2 < segment.size() &&
        absl::ascii_isxdigit(static_cast<unsigned char>(segment[i + 1])) &&
        absl::ascii_isxdigit(static_cast<unsigned char>(segment[i + 2]))) {
      int v = 0;
      std::from_chars(segment.data() + i + 1, segment.data() + i + 3, v, 16);
      out.push_back(static_cast<char>(v));
      i += 2;
    } else {
      out.push_back(segment[i]);
    }
  }
  return out;
}

std::string FormatUuidV4(uint64_t hi, uint64_t lo) {
  hi = (hi & ~uint64_t{0xf000}) | uint64_t{0x4000};            // version 4
  lo = (lo & ~(uint64_t{0xc} << 60)) | (uint64_t{0x8} << 60);  // variant 10xx
  std::string out;
  out.reserve(36);
  AppendHex(out, hi >> 32, 8);
  out.push_back('-');
  AppendHex(out, hi >> 16, 4);
  out.push_back('-');
  AppendHex(out, hi, 4);
  out.push_back('-');
  AppendHex(out, lo >> 48, 4);
  out.push_back('-');
  AppendHex(out, lo, 12);
  return out;
}

std::string FormatTraceId(absl::Time now, uint64_t root_hi, uint64_t root_lo, uint64_t parent) {
  std::string out = "Root=1-";
  AppendHex(out, static_cast<uint64_t>(absl::ToUnixSeconds(now)), 8);
  out.push_back('-');
  AppendHex(out, root_hi, 8);
  AppendHex(out, root_lo, 16);
  out.append(";Parent=");
  AppendHex(out, parent, 16);
  out.append(";Sampled=0");
  return out;
}

std::string ShutdownEventBody(std::string_view reason, absl::Time deadline) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject()
      .Key("eventType")
      .String("SHUTDOWN")
      .Key("shutdownReason")
      .String(reason)
      .Key("deadlineMs")
      .Int(absl::ToUnixMillis(deadline));
  w.EndObject();
  return body;
}

std::string ExtensionRegisterBody(const EmulatorOptions& options, bool with_account_id) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject()
      .Key("functionName")
      .String(options.function_name)
      .Key("functionVersion")
      .String(options.function_version)
      .Key("handler")
      .String(options.handler);
  if (with_account_id) w.Key("accountId").String("123456789012");
  w.EndObject();
  return body;
}

}  // namespace lmc::emulator::internal
