#include "lmc/base/signal_safe_log.h"

#include <unistd.h>

#include <regex>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"

namespace lmc {
namespace {

using ::testing::EndsWith;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

std::string Line(const SignalSafeLogLine& line) { return std::string(line.data(), line.size()); }

// What LogSink writes for one record, read back from a pipe.
std::string LogSinkLine(LogFormat format, LogLevel level, std::string_view request_id,
                        std::string_view message) {
  int fds[2];
  if (::pipe(fds) != 0) return "";
  {
    LogSink sink(fds[1], format, LogLevel::kTrace);
    sink.Write(level, {.request_id = request_id}, message);
  }
  ::close(fds[1]);
  std::string received;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) received.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  return received;
}

// The line with its RFC 3339 millisecond timestamp replaced by "<time>": the two writers stamp
// different instants, everything else must be byte for byte the same.
std::string WithoutTimestamp(const std::string& line) {
  static const std::regex kTimestamp(
      "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z");
  return std::regex_replace(line, kTimestamp, "<time>", std::regex_constants::format_first_only);
}

// The records a signal handler writes must read like every other line of the process: the same
// bytes as LogSink's for the same level, request id and message, in both formats, with and
// without a request id, with characters either writer must escape.
TEST(SignalSafeLogLine, WritesExactlyWhatLogSinkWritesButTheTimestamp) {
  const std::string message = "crash: \"quoted\" back\\slash\ttab\nnext line";
  for (LogFormat format : {LogFormat::kJson, LogFormat::kText}) {
    for (const char* request_id : {"req-1", ""}) {
      for (LogLevel level : {LogLevel::kFatal, LogLevel::kWarn}) {
        SignalSafeLogLine line(format, level, request_id);
        line.AppendText(message.c_str());
        line.EndMessage();
        line.Finish();
        const std::string expected = LogSinkLine(format, level, request_id, message);
        ASSERT_THAT(
            WithoutTimestamp(expected),
            StartsWith(format == LogFormat::kJson ? "{\"timestamp\":\"<time>\"" : "<time>\t"));
        EXPECT_EQ(WithoutTimestamp(Line(line)), WithoutTimestamp(expected))
            << (format == LogFormat::kJson ? "JSON" : "Text") << " request id \"" << request_id
            << "\" " << LogLevelName(level);
      }
    }
  }
}

TEST(SignalSafeLogLine, JsonRecordHasLogSinkFieldsAndEscapes) {
  SignalSafeLogLine line(LogFormat::kJson, LogLevel::kFatal, "req-\"1\"");
  line.AppendText("crash: \"quoted\"\nnext ");
  line.AppendUnsigned(42);
  line.AppendRaw(" ");
  line.AppendHex(0xbeef);
  line.EndMessage();
  line.AppendRaw(",\"signal\":\"SIGSEGV\"");
  line.Finish();
  const std::string text = Line(line);
  ASSERT_THAT(text, EndsWith("}\n"));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  EXPECT_EQ(std::string(doc["level"].get_string().value()), "FATAL");
  EXPECT_EQ(std::string(doc["requestId"].get_string().value()), "req-\"1\"");
  EXPECT_EQ(std::string(doc["message"].get_string().value()), "crash: \"quoted\"\nnext 42 0xbeef");
  EXPECT_EQ(std::string(doc["signal"].get_string().value()), "SIGSEGV");
  EXPECT_THAT(std::string(doc["timestamp"].get_string().value()),
              MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z"));
}

TEST(SignalSafeLogLine, TextRecordTurnsNewlinesIntoCarriageReturns) {
  SignalSafeLogLine line(LogFormat::kText, LogLevel::kFatal, nullptr);
  line.AppendText("second signal\nexiting");
  line.EndMessage();
  line.Finish();
  EXPECT_THAT(Line(line), MatchesRegex("[0-9T:.Z-]+\t-\tFATAL\tsecond signal\rexiting\n"));
}

TEST(SignalSafeLogLine, OverlongMessageIsCutButTheLineStaysValid) {
  SignalSafeLogLine line(LogFormat::kJson, LogLevel::kFatal, "");
  const std::string big(SignalSafeLogLine::kCapacity * 2, 'x');
  line.AppendText(big.c_str());
  line.EndMessage();
  line.Finish();
  EXPECT_EQ(line.size(), SignalSafeLogLine::kCapacity);
  EXPECT_THAT(Line(line), StartsWith("{\"timestamp\":\""));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(Line(line)).get(doc), simdjson::SUCCESS);
}

}  // namespace
}  // namespace lmc
