#include "lmc/json.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
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

// Writes `value` alone and parses it back with simdjson.
double DoubleRoundTrip(double value, std::string* text) {
  text->clear();
  JsonWriter(text).Double(value);
  simdjson::dom::parser parser;
  double back = 0;
  EXPECT_EQ(parser.parse(*text).get_double().get(back), simdjson::SUCCESS) << *text;
  return back;
}

TEST(JsonWriter, DoublesUseTheShortestFormThatReadsBackExactly) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray().Double(0.1).Double(1.5).Double(-2.0).Double(1e300).Double(5e-324);
  w.Double(123456789012345.0).Double(1e15).Double(-4250000000000000000000.0).EndArray();
  EXPECT_EQ(out, "[0.1,1.5,-2,1e+300,5e-324,123456789012345,1e+15,-4.25e+21]");
}

TEST(JsonWriter, DoublesRoundTripBitForBit) {
  std::mt19937_64 rng(7);
  std::string text;
  for (int i = 0; i < 2000; ++i) {
    uint64_t bits = rng();
    double value;
    std::memcpy(&value, &bits, sizeof(value));
    if (!std::isfinite(value)) continue;
    const double back = DoubleRoundTrip(value, &text);
    uint64_t back_bits;
    std::memcpy(&back_bits, &back, sizeof(back));
    EXPECT_EQ(back_bits, bits) << text;
  }
  EXPECT_EQ(DoubleRoundTrip(std::numeric_limits<double>::max(), &text),
            std::numeric_limits<double>::max());
  EXPECT_EQ(DoubleRoundTrip(std::numeric_limits<double>::denorm_min(), &text),
            std::numeric_limits<double>::denorm_min());
}

TEST(JsonWriter, NonFiniteDoublesBecomeNull) {
  std::string out;
  JsonWriter(&out)
      .BeginArray()
      .Double(std::numeric_limits<double>::quiet_NaN())
      .Double(std::numeric_limits<double>::infinity())
      .Double(-std::numeric_limits<double>::infinity())
      .EndArray();
  EXPECT_EQ(out, "[null,null,null]");
}

TEST(JsonWriter, FloatsUseTheShortestFormThatReadsBackAsTheSameFloat) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray().Float(0.1f).Float(-2.0f).Float(3.4028235e38f).Float(1e-45f).Float(1e15f);
  w.Float(std::numeric_limits<float>::quiet_NaN()).Float(-std::numeric_limits<float>::infinity());
  w.EndArray();
  EXPECT_EQ(out, "[0.1,-2,3.4028235e+38,1e-45,1e+15,null,null]");
  std::mt19937 rng(11);
  for (int i = 0; i < 2000; ++i) {
    const uint32_t bits = rng();
    float value;
    std::memcpy(&value, &bits, sizeof(value));
    if (!std::isfinite(value)) continue;
    std::string text;
    JsonWriter(&text).Float(value);
    float back = 0;
    const std::from_chars_result read =
        std::from_chars(text.data(), text.data() + text.size(), back);
    ASSERT_EQ(read.ec, std::errc()) << text;
    uint32_t back_bits;
    std::memcpy(&back_bits, &back, sizeof(back));
    EXPECT_EQ(back_bits, bits) << text;
  }
}

TEST(JsonWriter, EscapesKeysAndNestsObjectsInArrays) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray().BeginObject().Key("q\"k").BeginArray().BeginArray().EndArray().EndArray();
  w.EndObject().BeginObject().Key("x").Double(0.5).EndObject().EndArray();
  EXPECT_EQ(out, R"([{"q\"k":[[]]},{"x":0.5}])");
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(out).error(), simdjson::SUCCESS);
}

}  // namespace
}  // namespace lmc
