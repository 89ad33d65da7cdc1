#include "lmc/log_level.h"

#include "lmc/strings.h"

namespace lmc {

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "TRACE";
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kFatal:
      return "FATAL";
  }
  return "INFO";
}

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  name = StripAsciiWhitespace(name);
  for (LogLevel level : {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn,
                         LogLevel::kError, LogLevel::kFatal}) {
    if (EqualsIgnoreCase(name, LogLevelName(level))) return level;
  }
  if (EqualsIgnoreCase(name, "WARNING")) return LogLevel::kWarn;
  return std::nullopt;
}

std::optional<LogFormat> ParseLogFormat(std::string_view name) {
  name = StripAsciiWhitespace(name);
  if (EqualsIgnoreCase(name, "JSON")) return LogFormat::kJson;
  if (EqualsIgnoreCase(name, "Text")) return LogFormat::kText;
  return std::nullopt;
}

}  // namespace lmc
