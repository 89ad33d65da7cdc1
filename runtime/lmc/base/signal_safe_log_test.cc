#include "lmc/base/signal_safe_log.h"

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

TEST(SignalSafeLogLine, TextRecordMatchesLogSinkLayout) {
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
