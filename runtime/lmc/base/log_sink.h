// File: lmc/base/log_sink.h
//
// The process's log output: levels, formats, and LogSink, which turns one record into one line
// and writes it with a single write(2). Every layer logs through it; handlers reach it through
// lmc::Logger (lmc/logger.h), which binds the invocation's request id, tenant id and trace id.
//
// JSON format (the default, and the only one Lambda Managed Instances allow) writes one object
// per line, fields in this order, absent ones left out:
//
//   {"timestamp":"2026-11-23T11:17:00.123Z","level":"INFO","requestId":"...","tenantId":"...",
//    "traceId":"...","message":"..."}
//
// Text format writes `timestamp<TAB>requestId<TAB>LEVEL<TAB>message`, with newlines inside the
// message turned into '\r' so that one record stays one CloudWatch event.
//
// Example:
//
//   lmc::LogSink sink(STDOUT_FILENO, lmc::LogFormat::kJson, lmc::LogLevel::kInfo);
//   sink.Write(lmc::LogLevel::kWarn, {}, "AWS_LAMBDA_MAX_CONCURRENCY is not a number; using 1");
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "lmc/clock.h"
#include "lmc/log_level.h"
#include "lmc/mutex.h"

namespace lmc {

// LogLevel and LogFormat, their names and parsers, are in lmc/log_level.h (public, a leaf).

// LogFields
//
// The invocation a record belongs to. Views: the caller keeps the bytes alive for the call.
struct LogFields {
  std::string_view request_id;                // empty: no "requestId" field
  std::optional<std::string_view> tenant_id;  // nullopt: no "tenantId"; "" is written as ""
  std::string_view trace_id;                  // empty: no "traceId" field
};

// LogSink
//
// Formats records and writes each as one line. Thread-safe: records from concurrent invocations
// never interleave, because each line is formatted into a private buffer first and then written
// under `write_mu_` with one write(2) (a pipe only guarantees atomic writes up to PIPE_BUF bytes,
// and a line may be longer; the lock also keeps a rare partial write from being split).
// The sink does not own `fd`. Messages longer than kMaxMessageBytes are cut there and marked.
class LogSink {
 public:
  static constexpr size_t kMaxMessageBytes = size_t{256} * 1024;

  // `clock` must outlive the sink.
  LogSink(int fd, LogFormat format, LogLevel min_level, const Clock& clock = Clock::Real())
      : fd_(fd), format_(format), min_level_(min_level), clock_(clock) {}

  LogSink(const LogSink&) = delete;
  LogSink& operator=(const LogSink&) = delete;

  // True when records at `level` are written. Cheap; call it before building costly messages.
  bool Enabled(LogLevel level) const { return level >= min_level_; }

  // Writes one record if `level` is enabled. Write errors are dropped: logging must never fail
  // an invocation (EINTR is retried; a full non-blocking pipe is waited on).
  void Write(LogLevel level, const LogFields& fields, std::string_view message) const;

  // Writes `record` and a newline exactly as given, in either format and at any level: for
  // records whose whole shape a consumer fixes, such as CloudWatch Embedded Metric Format (its
  // JSON object must be the log event itself, not a "message" inside ours). Atomic like Write().
  // The caller guarantees `record` holds no newline.
  void WriteRecord(std::string_view record) const;

  // Appends the formatted line (with its trailing '\n') to `out` without writing it.
  void Format(LogLevel level, const LogFields& fields, std::string_view message,
              Clock::TimePoint time, std::string& out) const;

  LogFormat format() const { return format_; }
  LogLevel min_level() const { return min_level_; }

 private:
  void WriteLine(std::string_view line) const;

  const int fd_;
  const LogFormat format_;
  const LogLevel min_level_;
  const Clock& clock_;
  // Serialises whole-line writes to fd_ (see the class comment).
  mutable Mutex write_mu_;
};

// Appends `time` as RFC 3339 UTC with milliseconds, e.g. "2026-11-23T11:17:00.123Z".
void AppendTimestamp(Clock::TimePoint time, std::string& out);

}  // namespace lmc
