#include "handlers/events/url_decode.h"

#include "gtest/gtest.h"

namespace lmc::events {
namespace {

TEST(UrlDecode, DecodesEscapesAndOptionallyPlus) {
  EXPECT_EQ(*UrlDecode("a%2Fb%2fc+d", true), "a/b/c d");
  EXPECT_EQ(*UrlDecode("a+b", false), "a+b");
  EXPECT_EQ(*UrlDecode("%00", false), std::string(1, '\0'));
  EXPECT_EQ(*UrlDecode("", true), "");
}

TEST(UrlDecode, RejectsTruncatedOrNonHexEscapes) {
  for (const char* bad : {"%", "%4", "a%zz", "%4g"}) {
    EXPECT_EQ(UrlDecode(bad, true).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace lmc::events
