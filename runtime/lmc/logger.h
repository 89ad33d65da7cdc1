// File: lmc/logger.h
//
// Logger: what handlers (and the runtime itself) log through. A Logger is a cheap handle that
// pairs the process's LogSink with the fields of one invocation, so every line a handler writes
// carries its requestId, tenantId and traceId without the handler passing them around. Lines
// from concurrent invocations never interleave (see lmc/base/log_sink.h).
//
// Example:
//
//   lmc::Result Handle(const lmc::Event& event, const lmc::Context& context) {
//     context.logger().Info("resizing image");
//     if (context.logger().Enabled(lmc::LogLevel::kDebug)) {
//       context.logger().Debug(absl::StrCat("event bytes: ", event.size()));
//     }
//     ...
//   }
//
// Never log event payloads above DEBUG: they may hold personal data and cost money at volume.
#pragma once

#include <string_view>

#include "lmc/base/log_sink.h"

namespace lmc {

// Logger
//
// Thread-safe (all methods are const and the sink is thread-safe). Copyable. A Logger obtained
// from a Context refers to that invocation's ids: use it only until the handler returns.
class Logger {
 public:
  // `sink` must outlive the Logger; `fields` views must stay valid while it is used.
  explicit Logger(const LogSink& sink, LogFields fields = {}) : sink_(&sink), fields_(fields) {}

  // True when a record at `level` would be written.
  bool Enabled(LogLevel level) const { return sink_->Enabled(level); }

  // Writes `message` as one record at `level` (dropped when the level is filtered out).
  void Log(LogLevel level, std::string_view message) const {
    sink_->Write(level, fields_, message);
  }

  void Trace(std::string_view message) const { Log(LogLevel::kTrace, message); }
  void Debug(std::string_view message) const { Log(LogLevel::kDebug, message); }
  void Info(std::string_view message) const { Log(LogLevel::kInfo, message); }
  void Warn(std::string_view message) const { Log(LogLevel::kWarn, message); }
  void Error(std::string_view message) const { Log(LogLevel::kError, message); }
  void Fatal(std::string_view message) const { Log(LogLevel::kFatal, message); }

  // Writes `record` as one whole line, verbatim and unfiltered by level (see
  // LogSink::WriteRecord): for lines whose shape is fixed elsewhere, such as CloudWatch Embedded
  // Metric Format (handlers/metrics). `record` must hold no newline.
  void WriteRecord(std::string_view record) const { sink_->WriteRecord(record); }

  const LogFields& fields() const { return fields_; }
  const LogSink& sink() const { return *sink_; }

 private:
  const LogSink* sink_;
  LogFields fields_;
};

}  // namespace lmc
