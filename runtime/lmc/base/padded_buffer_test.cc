#include "lmc/base/padded_buffer.h"

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
