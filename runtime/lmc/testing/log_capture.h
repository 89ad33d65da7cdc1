// File: lmc/testing/log_capture.h
//
// LogCapture: a Logger outside any invocation whose lines are kept in memory, for unit tests of
// components that take a Logger but are built once rather than per invocation (a model loaded in
// an init hook, a batcher, a metrics publisher). Lines are formatted by the runtime's own log
// sink, so they are exactly what the function would write to its log stream. To run a whole
// handler, use lmc/testing/handler_harness.h instead.
//
// Example (GoogleTest):
//
//   lmc::testing::LogCapture capture;
//   Batcher batcher(width, run, options, lmc::Clock::Real(), &capture.logger());
//   ...
//   EXPECT_THAT(capture.Lines(), HasSubstr("\"_aws\""));
#pragma once

#include <memory>
#include <string>

#include "lmc/clock.h"
#include "lmc/log_level.h"
#include "lmc/logger.h"

namespace lmc::testing {

// LogCapture
//
// Thread-safe: logger() may be used from many threads at once (lines never interleave, as in
// production), and Lines() may be called at any time. Not copyable or movable (the Logger refers
// to it). The logger has no request id; it must not be used after the LogCapture is destroyed.
class LogCapture {
 public:
  // Records below `min_level` are dropped, as LMC_LOG_LEVEL would drop them. `clock` stamps each
  // line and must outlive the capture.
  explicit LogCapture(LogLevel min_level = LogLevel::kTrace, LogFormat format = LogFormat::kJson,
                      const Clock& clock = Clock::Real());
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  const Logger& logger() const { return logger_; }

  // Every line written so far, each ending in '\n', in the order they were written.
  std::string Lines() const;

 private:
  // The harness runs each invocation's Context on a capture's sink.
  friend class CaptureAccess;

  int fd_;  // An anonymous in-memory file (memfd) the sink writes to; owned.
  std::unique_ptr<const LogSink> sink_;
  Logger logger_;
};

}  // namespace lmc::testing
