#include "lmc/base/json.h"

#include <string>

#include "gtest/gtest.h"
#include "simdjson.h"

namespace lmc {
namespace {

// Parses `json` as a single JSON string value and returns its decoded content.
std::string DecodeJsonString(const std::string& json) {
  simdjson::dom::parser parser;
  std::string_view out;
  EXPECT_EQ(parser.parse(json).get_string().get(out), simdjson::SUCCESS) << json;
  return std::string(out);
}

TEST(AppendJsonString, PlainAsciiIsCopied) {
  EXPECT_EQ(JsonQuote("hello world"), "\"hello world\"");
}

TEST(AppendJsonString, QuotesBackslashesAndControlCharactersAreEscaped) {
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\re\tf"), R"("a\"b\\c\nd\re\tf")");
  EXPECT_EQ(JsonQuote(std::string("\x01\x1f", 2)), R"("\u0001\u001f")");
  EXPECT_EQ(JsonQuote(std::string("\0x", 2)), R"("\u0000x")");
}

TEST(AppendJsonString, ValidUtf8IsKept) {
  const std::string s = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
  EXPECT_EQ(JsonQuote(s), "\"" + s + "\"");
}

TEST(AppendJsonString, InvalidUtf8BecomesReplacementCharacter) {
  // Lone continuation byte, truncated sequence, overlong '/', UTF-16 surrogate, > U+10FFFF.
  EXPECT_EQ(JsonQuote("\x80"), "\"\xEF\xBF\xBD\"");
  EXPECT_EQ(JsonQuote("a\xE2\x82"), "\"a\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(JsonQuote("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(JsonQuote("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(JsonQuote("\xF4\x90\x80\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(AppendJsonString, EveryByteValueRoundTripsThroughAParser) {
  std::string all;
  for (int c = 0; c < 128; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(DecodeJsonString(JsonQuote(all)), all);
}

TEST(IsValidUtf8, AcceptsAndRejects) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\x80"));
}

TEST(JsonWriter, WritesNestedValuesWithCommas) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject()
      .Key("a")
      .Int(-1)
      .Key("b")
      .BeginArray()
      .String("x")
      .Null()
      .Bool(true)
      .Uint(18446744073709551615ULL)
      .EndArray()
      .Key("c")
      .BeginObject()
      .EndObject()
      .Key("d")
      .Raw("[1,2]")
      .EndObject();
  EXPECT_EQ(out, R"({"a":-1,"b":["x",null,true,18446744073709551615],"c":{},"d":[1,2]})");
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(out).error(), simdjson::SUCCESS);
}

TEST(JsonWriter, AppendsToExistingContent) {
  std::string out = "prefix ";
  JsonWriter(&out).BeginArray().Int(1).Int(2).EndArray();
  EXPECT_EQ(out, "prefix [1,2]");
}

}  // namespace
}  // namespace lmc
