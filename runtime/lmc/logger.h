// File: lmc/logger.h
//
// Logger: what handlers log through. A Logger is a cheap handle that pairs the process's log
// output with the fields of one invocation, so every line a handler writes carries its requestId,
// tenantId and traceId without the handler passing them around. Lines from concurrent
// invocations never interleave.
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

#include <optional>
#include <string_view>

#include "lmc/log_level.h"

namespace lmc {

class LogSink;  // The process's log output (private: lmc/base/log_sink.h).
namespace internal {
class SurfaceAccess;
}  // namespace internal

// Logger
//
// Thread-safe (all methods are const and the output is thread-safe). Copyable. Handlers get one
// from Context (or InitContext); only the runtime and the testing harness create them. A Logger
// from a Context refers to that invocation's ids: use it only until the handler returns.
class Logger {
 public:
  // True when a record at `level` would be written.
  bool Enabled(LogLevel level) const;

  // Writes `message` as one record at `level` (dropped when the level is filtered out).
  void Log(LogLevel level, std::string_view message) const;

  void Trace(std::string_view message) const { Log(LogLevel::kTrace, message); }
  void Debug(std::string_view message) const { Log(LogLevel::kDebug, message); }
  void Info(std::string_view message) const { Log(LogLevel::kInfo, message); }
  void Warn(std::string_view message) const { Log(LogLevel::kWarn, message); }
  void Error(std::string_view message) const { Log(LogLevel::kError, message); }
  void Fatal(std::string_view message) const { Log(LogLevel::kFatal, message); }

  // Writes `record` as one whole line, verbatim and unfiltered by level (see
  // LogSink::WriteRecord): for lines whose shape is fixed elsewhere, such as CloudWatch Embedded
  // Metric Format (handlers/metrics). `record` must hold no newline.
  void WriteRecord(std::string_view record) const;

 private:
  friend class internal::SurfaceAccess;

  // `sink` must outlive the Logger; the views must stay valid while it is used.
  Logger(const LogSink& sink, std::string_view request_id,
         std::optional<std::string_view> tenant_id, std::string_view trace_id)
      : sink_(&sink), request_id_(request_id), tenant_id_(tenant_id), trace_id_(trace_id) {}

  const LogSink* sink_;
  std::string_view request_id_;
  std::optional<std::string_view> tenant_id_;
  std::string_view trace_id_;
};

}  // namespace lmc
