// File: lmc/log_level.h
//
// LogLevel and LogFormat: how severe a log record is and how lines are written. Public (handlers
// pass a LogLevel to Logger, tests pick a LogFormat in the harness) and a leaf: it depends on
// nothing but the C++ library, so the base layer's LogSink uses the same enums and names.
//
// Example:
//
//   if (context.logger().Enabled(lmc::LogLevel::kDebug)) {
//     context.logger().Debug(absl::StrCat("event bytes: ", event.size()));
//   }
#pragma once

#include <optional>
#include <string_view>

namespace lmc {

// LogLevel
//
// Ordered from most to least verbose, as AWS_LAMBDA_LOG_LEVEL is: a sink at level X writes X and
// every level after it.
enum class LogLevel { kTrace = 0, kDebug, kInfo, kWarn, kError, kFatal };

// LogFormat
//
// JSON (one object per line; the default, and the only one Lambda Managed Instances allow) or
// text (AWS_LAMBDA_LOG_FORMAT=Text).
enum class LogFormat { kJson, kText };

// LogLevelName()
//
// Returns "TRACE", "DEBUG", "INFO", "WARN", "ERROR" or "FATAL": a view of a NUL-terminated
// literal. The one place these names are spelled: LogSink, the level parser and the records
// written from signal handlers (lmc/base/signal_safe_log.h) all use it, so it must stay
// async-signal-safe (no allocation, no lock, no library call).
std::string_view LogLevelName(LogLevel level);

// Parses a level name case-insensitively, blanks around it ignored ("warning" is accepted for
// WARN), as AWS_LAMBDA_LOG_LEVEL is read. nullopt if unknown.
std::optional<LogLevel> ParseLogLevel(std::string_view name);

// Parses "JSON" or "Text" case-insensitively. nullopt if unknown.
std::optional<LogFormat> ParseLogFormat(std::string_view name);

}  // namespace lmc
