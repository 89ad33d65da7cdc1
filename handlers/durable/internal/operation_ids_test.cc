#include "handlers/durable/internal/operation_ids.h"

#include <string>

#include "gtest/gtest.h"

namespace lmc::durable::internal {
namespace {

TEST(Md5, MatchesTheRfc1321TestSuite) {
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Md5Hex("a"), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(Md5Hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Md5Hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(Md5Hex("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(Md5Hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(Md5Hex("1234567890123456789012345678901234567890123456789012345678901234567890123456"
                   "7890"),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Md5, PaddingIsRightAtEveryBlockBoundary) {
  // Lengths around 56 and 64 bytes take one or two padding blocks.
  EXPECT_EQ(Md5Hex(std::string(55, 'x')), "04364420e25c512fd958a70738aa8f72");
  EXPECT_EQ(Md5Hex(std::string(56, 'x')), "668a72d5ba17f08e62dabcafad6db14b");
  EXPECT_EQ(Md5Hex(std::string(63, 'x')), "7dc2ca208106a2f703567bdff99d8981");
  EXPECT_EQ(Md5Hex(std::string(64, 'x')), "c1bb4f81d892b2d57947682aeb252456");
  EXPECT_EQ(Md5Hex(std::string(65, 'x')), "1bc932052302d074bdec39795fe00cf6");
  EXPECT_EQ(Md5Hex(std::string(119, 'x')), "ab347a5f68c8a443cfcddc633f12c24f");
  EXPECT_EQ(Md5Hex(std::string(120, 'x')), "fb98667f98096de92620b64f46e1c5b5");
  EXPECT_EQ(Md5Hex("\xe1\x88\xb4-\xe2\x82\xac"), "bc427f7f456a7d63830641b8faa276ce");
}

TEST(OperationIds, AreDerivedAsTheJavaScriptSdkDerivesThem) {
  EXPECT_EQ(StepId("", 1), "1");
  EXPECT_EQ(StepId("3", 1), "3-1");
  EXPECT_EQ(StepId("3-1", 2), "3-1-2");
  EXPECT_EQ(HashId("1"), "c4ca4238a0b92382");
  EXPECT_EQ(HashId("2"), "c81e728d9d4c2f63");
  EXPECT_EQ(HashId("3"), "eccbc87e4b5ce2fe");
  EXPECT_EQ(HashId("1-1"), "ea66c06c1e1c05fa");
  EXPECT_EQ(HashId("3-1"), "c9e6e7b69f98f516");
  EXPECT_EQ(HashId("3-1-2"), "91745dee930a3421");
}

}  // namespace
}  // namespace lmc::durable::internal
