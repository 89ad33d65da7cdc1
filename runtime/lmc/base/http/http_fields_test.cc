#include "lmc/base/http/http_fields.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace lmc::http {
namespace {

TEST(HttpFields, TokensAreTcharRuns) {
  EXPECT_TRUE(IsToken("Lambda-Runtime-Aws-Request-Id"));
  EXPECT_TRUE(IsToken("!#$%&'*+-.^_`|~09azAZ"));
  EXPECT_FALSE(IsToken(""));
  EXPECT_FALSE(IsToken("Bad Name"));
  EXPECT_FALSE(IsToken("a:b"));
  EXPECT_FALSE(IsToken("x\"y"));
  EXPECT_FALSE(IsToken(std::string("a\0b", 3)));
}

TEST(HttpFields, SplitFieldLineTrimsTheValueAndRefusesSmugglingShapes) {
  FieldLine field;
  ASSERT_TRUE(SplitFieldLine("Content-Type: \t text/plain \t", field));
  EXPECT_EQ(field.name, "Content-Type");
  EXPECT_EQ(field.value, "text/plain");
  ASSERT_TRUE(SplitFieldLine("Empty:", field));
  EXPECT_EQ(field.value, "");
  // Other control characters and high bytes are relayed as they are.
  ASSERT_TRUE(SplitFieldLine("X: a\x01\x7f\xff", field));
  EXPECT_EQ(field.value, "a\x01\x7f\xff");
  for (const std::string& bad :
       {std::string("No colon"), std::string(": empty name"), std::string("Name : space"),
        std::string(" folded: x"), std::string("X: a\rb"), std::string("X: a\nb"),
        std::string("X: a\0b", 6)}) {
    EXPECT_FALSE(SplitFieldLine(bad, field)) << bad;
  }
}

TEST(HttpFields, ListItemsAreTrimmedAndEmptyOnesSkipped) {
  std::vector<std::string> items;
  ForEachListItem(" a ,, b\t,c ,", [&](std::string_view item) {
    items.emplace_back(item);
    return true;
  });
  EXPECT_EQ(items, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(ListContainsToken("keep-alive, Close", "close"));
  EXPECT_FALSE(ListContainsToken("keep-alive", "close"));
}

TEST(HttpFields, ContentLengthAcceptsIdenticalListsAndRepeats) {
  ContentLength length;
  EXPECT_FALSE(length.present());
  EXPECT_TRUE(length.Add("12, 12,"));
  EXPECT_TRUE(length.Add("12"));
  EXPECT_TRUE(length.present());
  EXPECT_EQ(length.value(), 12u);
  EXPECT_TRUE(ContentLength().Add("9999999999999999999"));
}

TEST(HttpFields, ContentLengthRefusesConflictsNonDigitsAndEmptyValues) {
  for (const char* bad : {"", " , ", "-1", "1x", "0x10", "+5", "5, 6", "99999999999999999999"}) {
    ContentLength length;
    EXPECT_FALSE(length.Add(bad)) << bad;
    EXPECT_FALSE(length.Add("5")) << "a failed length stays failed";
  }
  ContentLength repeated;
  EXPECT_TRUE(repeated.Add("5"));
  EXPECT_FALSE(repeated.Add("6"));
}

TEST(HttpFields, TransferCodingAcceptsChunkedOnce) {
  TransferCoding coding;
  EXPECT_EQ(coding.Add("Chunked"), TransferCoding::Verdict::kOk);
  EXPECT_TRUE(coding.chunked());
  EXPECT_EQ(coding.Add("chunked"), TransferCoding::Verdict::kChunkedTwice);
  EXPECT_EQ(TransferCoding().Add("gzip, chunked"), TransferCoding::Verdict::kUnsupported);
  EXPECT_EQ(TransferCoding().Add("chunked, chunked"), TransferCoding::Verdict::kChunkedTwice);
  TransferCoding empty;
  EXPECT_EQ(empty.Add(""), TransferCoding::Verdict::kOk);
  EXPECT_TRUE(empty.present());
  EXPECT_FALSE(empty.chunked()) << "the caller refuses a present but empty coding";
}

}  // namespace
}  // namespace lmc::http
