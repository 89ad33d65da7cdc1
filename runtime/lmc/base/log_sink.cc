#include "lmc/base/log_sink.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

#include "lmc/json.h"
#include "lmc/strings.h"

namespace lmc {
namespace {

constexpr std::string_view kTruncatedMarker = "...[truncated]";

// Returns the longest prefix of `s` no longer than `max` that does not end inside a UTF-8
// sequence, so truncation never manufactures an invalid character.
std::string_view Utf8Prefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t end = max;
  // Step back over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

}  // namespace

void AppendTimestamp(Clock::TimePoint time, std::string& out) {
  using namespace std::chrono;
  const auto ms_since_epoch = floor<milliseconds>(time.time_since_epoch());
  const sys_days day = floor<days>(sys_time<milliseconds>(ms_since_epoch));
  const year_month_day ymd(day);
  const hh_mm_ss<milliseconds> tod(ms_since_epoch - day.time_since_epoch());
  char buf[32];
  const int n = std::snprintf(
      buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
      static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
      static_cast<int>(tod.seconds().count()), static_cast<int>(tod.subseconds().count()));
  out.append(buf, static_cast<size_t>(n));
}

void LogSink::Format(LogLevel level, const LogFields& fields, std::string_view message,
                     Clock::TimePoint time, std::string& out) const {
  const bool truncated = message.size() > kMaxMessageBytes;
  if (truncated) message = Utf8Prefix(message, kMaxMessageBytes);
  if (format_ == LogFormat::kJson) {
    out.append("{\"timestamp\":\"");
    AppendTimestamp(time, out);
    out.append("\",\"level\":\"");
    out.append(LogLevelName(level));
    out.push_back('"');
    if (!fields.request_id.empty()) {
      out.append(",\"requestId\":");
      AppendJsonString(out, fields.request_id);
    }
    if (fields.tenant_id.has_value()) {
      out.append(",\"tenantId\":");
      AppendJsonString(out, *fields.tenant_id);
    }
    if (!fields.trace_id.empty()) {
      out.append(",\"traceId\":");
      AppendJsonString(out, fields.trace_id);
    }
    out.append(",\"message\":");
    if (truncated) {
      std::string cut(message);
      cut.append(kTruncatedMarker);
      AppendJsonString(out, cut);
    } else {
      AppendJsonString(out, message);
    }
    out.append("}\n");
    return;
  }
  AppendTimestamp(time, out);
  out.push_back('\t');
  out.append(fields.request_id.empty() ? std::string_view("-") : fields.request_id);
  out.push_back('\t');
  out.append(LogLevelName(level));
  out.push_back('\t');
  const size_t start = out.size();
  out.append(message);
  if (truncated) out.append(kTruncatedMarker);
  for (size_t i = start; i < out.size(); ++i) {
    if (out[i] == '\n') out[i] = '\r';
  }
  out.push_back('\n');
}

void LogSink::Write(LogLevel level, const LogFields& fields, std::string_view message) const {
  if (!Enabled(level)) return;
  std::string line;
  line.reserve(message.size() + 160);
  Format(level, fields, message, clock_.Now(), line);
  WriteLine(line);
}

void LogSink::WriteRecord(std::string_view record) const {
  std::string line;
  line.reserve(record.size() + 1);
  line.append(record);
  line.push_back('\n');
  WriteLine(line);
}

void LogSink::WriteLine(std::string_view line) const {
  MutexLock lock(&write_mu_);
  while (!line.empty()) {
    const ssize_t n = ::write(fd_, line.data(), line.size());
    if (n > 0) {
      line.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // stdout was handed to us non-blocking: wait until the reader drains it.
      pollfd pfd{fd_, POLLOUT, 0};
      if (::poll(&pfd, 1, 1000) > 0) continue;
    }
    return;  // EPIPE, EBADF, a stuck reader: drop the line rather than fail the caller.
  }
}

}  // namespace lmc
