#include "lmc/base/padded_buffer.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "simdjson.h"

namespace lmc {
namespace {

TEST(PaddedBuffer, PaddingCoversWhatSimdjsonNeeds) {
  static_assert(PaddedBuffer::kPadding >= simdjson::SIMDJSON_PADDING);
}

TEST(PaddedBuffer, AppendsAndGrowsKeepingContent) {
  PaddedBuffer buffer;
  EXPECT_TRUE(buffer.empty());
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    const std::string piece = std::to_string(i) + ",";
    buffer.Append(piece.data(), piece.size());
    expected += piece;
  }
  EXPECT_EQ(buffer.view(), expected);
  EXPECT_GE(buffer.capacity(), buffer.size());
}

TEST(PaddedBuffer, ReserveAvoidsLaterReallocation) {
  PaddedBuffer buffer;
  buffer.Reserve(1 << 20);
  const char* before = buffer.data();
  const std::string chunk(4096, 'x');
  for (int i = 0; i < 256; ++i) buffer.Append(chunk.data(), chunk.size());
  EXPECT_EQ(buffer.data(), before);
  EXPECT_EQ(buffer.size(), size_t{1} << 20);
}

TEST(PaddedBuffer, ClearKeepsMemoryAndTrimReleasesIt) {
  PaddedBuffer buffer;
  const std::string big(2 << 20, 'y');
  buffer.Append(big.data(), big.size());
  buffer.Clear();
  EXPECT_GE(buffer.capacity(), big.size());
  buffer.Trim(1 << 20);
  EXPECT_EQ(buffer.capacity(), 0u);
  buffer.Append("ok", 2);
  EXPECT_EQ(buffer.view(), "ok");
}

TEST(PaddedBuffer, PrepareAppendWritesInPlaceOnlyCommittedBytesCount) {
  PaddedBuffer buffer;
  buffer.Append("ab", 2);
  char* space = buffer.PrepareAppend(8);
  ASSERT_NE(space, nullptr);
  EXPECT_EQ(space, buffer.data() + 2);  // Right after the content: no staging copy.
  EXPECT_GE(buffer.capacity(), 10u);
  EXPECT_EQ(buffer.size(), 2u);  // Nothing is content until committed.
  std::copy_n("cdefghij", 8, space);
  buffer.CommitAppend(3);
  EXPECT_EQ(buffer.view(), "abcde");
  // The uncommitted tail is overwritten by the next write.
  buffer.Append("X", 1);
  EXPECT_EQ(buffer.view(), "abcdeX");
}

TEST(PaddedBuffer, PrepareAppendKeepsContentWhenItGrows) {
  PaddedBuffer buffer;
  buffer.Append("head", 4);
  const size_t before = buffer.capacity();
  char* space = buffer.PrepareAppend(before * 4);
  EXPECT_GE(buffer.capacity(), 4 + before * 4);
  std::memset(space, 'z', before * 4);
  buffer.CommitAppend(before * 4);
  EXPECT_EQ(buffer.view(), "head" + std::string(before * 4, 'z'));
}

TEST(PaddedBuffer, PrepareAppendWithinReservedCapacityDoesNotReallocate) {
  PaddedBuffer buffer;
  buffer.Reserve(1000);
  const char* before = buffer.data();
  for (int i = 0; i < 10; ++i) {
    char* space = buffer.PrepareAppend(100);
    std::memset(space, 'a' + i, 100);
    buffer.CommitAppend(100);
  }
  EXPECT_EQ(buffer.data(), before);
  EXPECT_EQ(buffer.size(), 1000u);
  EXPECT_EQ(buffer.view().substr(900), std::string(100, 'j'));
}

TEST(PaddedBuffer, CommitAppendIsClampedToTheCapacity) {
  PaddedBuffer buffer;
  char* space = buffer.PrepareAppend(4);
  std::copy_n("wxyz", 4, space);
  buffer.CommitAppend(buffer.capacity() + 100);
  EXPECT_EQ(buffer.size(), buffer.capacity());
  EXPECT_EQ(buffer.view().substr(0, 4), "wxyz");
}

TEST(PaddedBuffer, ParsesInPlaceWithSimdjson) {
  PaddedBuffer buffer;
  const std::string json = R"({"ms":42})";
  buffer.Append(json.data(), json.size());
  simdjson::ondemand::parser parser;
  simdjson::padded_string_view view(buffer.data(), buffer.size(),
                                    buffer.capacity() + PaddedBuffer::kPadding);
  simdjson::ondemand::document doc;
  ASSERT_EQ(parser.iterate(view).get(doc), simdjson::SUCCESS);
  int64_t ms = 0;
  ASSERT_EQ(doc["ms"].get_int64().get(ms), simdjson::SUCCESS);
  EXPECT_EQ(ms, 42);
}

}  // namespace
}  // namespace lmc
