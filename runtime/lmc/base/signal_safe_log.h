// File: lmc/base/signal_safe_log.h
//
// SignalSafeLogLine: builds one log record in a fixed buffer without allocating, locking or
// calling anything that is not async-signal-safe, for the two records written from signal
// handlers (the crash report and the second-termination-signal line). The record has LogSink's
// shape (lmc/base/log_sink.h): JSON `{"timestamp":"...","level":"...","requestId":"...",
// "message":"..."}` or Text `timestamp<TAB>requestId<TAB>LEVEL<TAB>message`, with the same
// RFC 3339 millisecond timestamp, and goes to the same file descriptor, so a crash reads like
// every other line of the process.
//
// Example (inside a signal handler):
//
//   lmc::SignalSafeLogLine line(format, lmc::LogLevel::kFatal, request_id);
//   line.AppendText("crash: SIGSEGV at ");
//   line.AppendHex(address);
//   line.EndMessage();
//   if (format == lmc::LogFormat::kJson) line.AppendRaw(",\"signal\":\"SIGSEGV\"");
//   line.Finish();
//   line.WriteTo(fd);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lmc/base/log_sink.h"

namespace lmc {

// SignalSafeLogLine
//
// A value on the stack of the thread building it; not thread-safe (it need not be). Appends
// beyond the capacity are dropped, always leaving room to finish the line.
class SignalSafeLogLine {
 public:
  static constexpr size_t kCapacity = size_t{16} * 1024;

  // Starts a record stamped with CLOCK_REALTIME: timestamp, level and `request_id` (null or ""
  // for none), up to the start of the message.
  SignalSafeLogLine(LogFormat format, LogLevel level, const char* request_id);

  SignalSafeLogLine(const SignalSafeLogLine&) = delete;
  SignalSafeLogLine& operator=(const SignalSafeLogLine&) = delete;

  // Appends NUL-terminated `s` as text: JSON-escaped in JSON exactly as LogSink escapes it
  // (EscapeJsonString(), lmc/json.h), newlines turned into '\r' in Text.
  void AppendText(const char* s);
  // Appends `s` unchanged (field names and punctuation the caller knows to be safe).
  void AppendRaw(const char* s);
  void AppendRaw(std::string_view s);
  void AppendUnsigned(uint64_t value, int min_digits = 1);
  // "0x..." in lower case.
  void AppendHex(uintptr_t value);

  // Ends the message (JSON: closes its string); JSON fields may follow through AppendRaw().
  void EndMessage();
  // Ends the record (JSON: closes the object) and the line. Nothing may be appended after.
  void Finish();

  // Writes the line with write(2), retrying short writes and EINTR. False if it could not.
  bool WriteTo(int fd) const;

  const char* data() const { return buf_; }
  size_t size() const { return used_; }

 private:
  void Put(char c);
  void AppendTimestamp();

  const LogFormat format_;
  char buf_[kCapacity];
  size_t used_ = 0;
};

}  // namespace lmc
