#include "lmc/base/signal_safe_log.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "lmc/json.h"
#include "lmc/log_level.h"

namespace lmc {
namespace {

// Room kept for what EndMessage() and Finish() write ('"', '}', '\n').
constexpr size_t kReserve = 3;

}  // namespace

SignalSafeLogLine::SignalSafeLogLine(LogFormat format, LogLevel level, const char* request_id)
    : format_(format) {
  const bool has_request = request_id != nullptr && request_id[0] != '\0';
  if (format_ == LogFormat::kJson) {
    AppendRaw("{\"timestamp\":\"");
    AppendTimestamp();
    AppendRaw("\",\"level\":\"");
    AppendRaw(LogLevelName(level));
    AppendRaw("\"");
    if (has_request) {
      AppendRaw(",\"requestId\":\"");
      AppendText(request_id);
      AppendRaw("\"");
    }
    AppendRaw(",\"message\":\"");
    return;
  }
  AppendTimestamp();
  Put('\t');
  if (has_request) {
    AppendText(request_id);
  } else {
    Put('-');
  }
  Put('\t');
  AppendRaw(LogLevelName(level));
  Put('\t');
}

void SignalSafeLogLine::Put(char c) {
  if (used_ + kReserve < kCapacity) buf_[used_++] = c;
}

void SignalSafeLogLine::AppendRaw(const char* s) {
  for (; *s != '\0'; ++s) Put(*s);
}

void SignalSafeLogLine::AppendRaw(std::string_view s) {
  for (const char c : s) Put(c);
}

void SignalSafeLogLine::AppendText(const char* s) {
  size_t length = 0;
  while (s[length] != '\0') ++length;
  const std::string_view text(s, length);
  if (format_ == LogFormat::kJson) {
    // LogSink's escaping exactly (lmc/json.h), without its allocation.
    EscapeJsonString(text, [this](std::string_view piece) { AppendRaw(piece); });
    return;
  }
  for (const char c : text) Put(c == '\n' ? '\r' : c);
}

void SignalSafeLogLine::AppendUnsigned(uint64_t value, int min_digits) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n < min_digits && n < static_cast<int>(sizeof(digits))) digits[n++] = '0';
  while (n > 0) Put(digits[--n]);
}

void SignalSafeLogLine::AppendHex(uintptr_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  AppendRaw("0x");
  char digits[20];
  int n = 0;
  do {
    digits[n++] = kHex[value & 0xF];
    value >>= 4;
  } while (value != 0);
  while (n > 0) Put(digits[--n]);
}

// RFC 3339 UTC with milliseconds, computed by hand (gmtime_r and snprintf are not
// async-signal-safe). Days-to-civil conversion after Howard Hinnant's algorithm.
void SignalSafeLogLine::AppendTimestamp() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  const int64_t secs = ts.tv_sec;
  int64_t days = secs / 86400;
  const int64_t rem = secs % 86400;
  days += 719468;
  const int64_t era = days / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  AppendUnsigned(static_cast<uint64_t>(year), 4);
  Put('-');
  AppendUnsigned(static_cast<uint64_t>(month), 2);
  Put('-');
  AppendUnsigned(static_cast<uint64_t>(day), 2);
  Put('T');
  AppendUnsigned(static_cast<uint64_t>(rem / 3600), 2);
  Put(':');
  AppendUnsigned(static_cast<uint64_t>(rem % 3600 / 60), 2);
  Put(':');
  AppendUnsigned(static_cast<uint64_t>(rem % 60), 2);
  Put('.');
  AppendUnsigned(static_cast<uint64_t>(ts.tv_nsec / 1000000), 3);
  Put('Z');
}

void SignalSafeLogLine::EndMessage() {
  // May use the reserve: Finish() needs only two of its bytes.
  if (format_ == LogFormat::kJson && used_ + 2 < kCapacity) buf_[used_++] = '"';
}

void SignalSafeLogLine::Finish() {
  // The reserve guarantees room for these two bytes.
  if (format_ == LogFormat::kJson) buf_[used_++] = '}';
  buf_[used_++] = '\n';
}

bool SignalSafeLogLine::WriteTo(int fd) const {
  const char* p = buf_;
  size_t left = used_;
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace lmc
