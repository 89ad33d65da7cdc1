#include "lmc/base/log_sink.h"

#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"

namespace lmc {
namespace {

using ::testing::HasSubstr;

const Clock::TimePoint kTime =
    Clock::TimePoint(std::chrono::milliseconds(1'763'896'620'123));  // 2025-11-23T11:17:00.123Z

std::string FormatJson(LogLevel level, const LogFields& fields, std::string_view message) {
  LogSink sink(-1, LogFormat::kJson, LogLevel::kTrace);
  std::string out;
  sink.Format(level, fields, message, kTime, out);
  return out;
}

TEST(AppendTimestamp, IsRfc3339UtcWithMilliseconds) {
  std::string out;
  AppendTimestamp(kTime, out);
  EXPECT_EQ(out, "2025-11-23T11:17:00.123Z");
  out.clear();
  AppendTimestamp(Clock::TimePoint(), out);
  EXPECT_EQ(out, "1970-01-01T00:00:00.000Z");
}

TEST(LogSink, JsonLineHasFieldsInOrderAndEndsWithNewline) {
  const std::string line =
      FormatJson(LogLevel::kWarn, {"req-1", std::string_view("tenant/1"), "Root=1-abc"}, "hi");
  EXPECT_EQ(
      line,
      "{\"timestamp\":\"2025-11-23T11:17:00.123Z\",\"level\":\"WARN\",\"requestId\":\"req-1\","
      "\"tenantId\":\"tenant/1\",\"traceId\":\"Root=1-abc\",\"message\":\"hi\"}\n");
}

TEST(LogSink, AbsentFieldsAreLeftOutButEmptyTenantIsKept) {
  EXPECT_EQ(FormatJson(LogLevel::kInfo, {}, "m"),
            "{\"timestamp\":\"2025-11-23T11:17:00.123Z\",\"level\":\"INFO\",\"message\":\"m\"}\n");
  EXPECT_THAT(FormatJson(LogLevel::kInfo, {"r", std::string_view(""), ""}, "m"),
              HasSubstr("\"tenantId\":\"\""));
}

TEST(LogSink, AnyBytesProduceOneValidJsonLine) {
  std::string nasty = "line1\nline2\r\t\"quoted\"\\ \x01\x7f \xff\xfe bad utf8 \xc3";
  nasty.push_back('\0');
  const std::string line = FormatJson(LogLevel::kError, {"r\n1", std::nullopt, ""}, nasty);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
  std::string_view level;
  ASSERT_EQ(doc["level"].get(level), simdjson::SUCCESS);
  EXPECT_EQ(level, "ERROR");
}

TEST(LogSink, OverlongMessageIsCutOnACharacterBoundaryAndMarked) {
  std::string message(LogSink::kMaxMessageBytes - 1, 'a');
  message += "\xE2\x82\xAC";  // A 3-byte character straddling the limit.
  message += std::string(100, 'b');
  const std::string line = FormatJson(LogLevel::kInfo, {}, message);
  EXPECT_THAT(line, HasSubstr("...[truncated]"));
  EXPECT_THAT(line, ::testing::Not(HasSubstr("\xEF\xBF\xBD")));  // No replacement char.
  EXPECT_LT(line.size(), LogSink::kMaxMessageBytes + 200);
}

TEST(LogSink, TextFormatIsTabSeparatedAndKeepsOneLinePerRecord) {
  LogSink sink(-1, LogFormat::kText, LogLevel::kTrace);
  std::string out;
  sink.Format(LogLevel::kInfo, {"req-9", std::nullopt, ""}, "a\nb", kTime, out);
  EXPECT_EQ(out, "2025-11-23T11:17:00.123Z\treq-9\tINFO\ta\rb\n");
  out.clear();
  sink.Format(LogLevel::kDebug, {}, "x", kTime, out);
  EXPECT_EQ(out, "2025-11-23T11:17:00.123Z\t-\tDEBUG\tx\n");
}

TEST(LogSink, LevelFiltering) {
  LogSink sink(-1, LogFormat::kJson, LogLevel::kWarn);
  EXPECT_FALSE(sink.Enabled(LogLevel::kInfo));
  EXPECT_TRUE(sink.Enabled(LogLevel::kWarn));
  EXPECT_TRUE(sink.Enabled(LogLevel::kFatal));
}

TEST(ParseLogLevel, AcceptsNamesCaseInsensitively) {
  EXPECT_EQ(ParseLogLevel("trace"), LogLevel::kTrace);
  EXPECT_EQ(ParseLogLevel(" Error "), LogLevel::kError);
  EXPECT_EQ(ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("verbose"), std::nullopt);
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("TEXT"), LogFormat::kText);
  EXPECT_EQ(ParseLogFormat("yaml"), std::nullopt);
}

TEST(LogSink, WriteRecordWritesTheLineVerbatimInEitherFormatAtAnyLevel) {
  for (LogFormat format : {LogFormat::kJson, LogFormat::kText}) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    {
      // At FATAL every ordinary record is filtered out; a verbatim record is not a log level's.
      LogSink sink(fds[1], format, LogLevel::kFatal);
      sink.Write(LogLevel::kInfo, {}, "filtered");
      sink.WriteRecord(R"({"_aws":{"Timestamp":1}})");
    }
    ::close(fds[1]);
    std::string received;
    char buf[256];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) received.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    EXPECT_EQ(received, "{\"_aws\":{\"Timestamp\":1}}\n");
  }
}

// Lines larger than PIPE_BUF written from many threads into one pipe must arrive whole.
TEST(LogSink, ConcurrentLargeLinesNeverInterleave) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string received;
  std::thread reader([&] {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) received.append(buf, static_cast<size_t>(n));
  });
  constexpr int kThreads = 8;
  constexpr int kLinesPerThread = 200;
  {
    LogSink sink(fds[1], LogFormat::kJson, LogLevel::kInfo);
    std::vector<std::thread> writers;
    writers.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&sink, t] {
        const std::string id = "req-" + std::to_string(t);
        const std::string message(10000, static_cast<char>('a' + t));
        for (int i = 0; i < kLinesPerThread; ++i) sink.Write(LogLevel::kInfo, {id}, message);
      });
    }
    for (auto& w : writers) w.join();
  }
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  std::vector<std::string> lines = absl::StrSplit(received, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), size_t{kThreads} * kLinesPerThread);
  simdjson::dom::parser parser;
  for (const std::string& line : lines) {
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS);
    std::string_view id, message;
    ASSERT_EQ(doc["requestId"].get(id), simdjson::SUCCESS);
    ASSERT_EQ(doc["message"].get(message), simdjson::SUCCESS);
    const char expected = static_cast<char>('a' + (id.back() - '0'));
    ASSERT_EQ(message, std::string(10000, expected));
  }
}

}  // namespace
}  // namespace lmc
