#include "lmc/base/http/chunked_encoder.h"

#include <string>

#include "gtest/gtest.h"
#include "lmc/base/http/chunked_decoder.h"

namespace lmc::http {
namespace {

TEST(ChunkedEncoder, SizeLineIsLowerCaseHexWithCrLf) {
  EXPECT_EQ(ChunkSizeLine(1).view(), "1\r\n");
  EXPECT_EQ(ChunkSizeLine(26).view(), "1a\r\n");
  EXPECT_EQ(ChunkSizeLine(size_t{50} << 20).view(), "3200000\r\n");
  EXPECT_EQ(ChunkSizeLine(SIZE_MAX).view(), std::string(2 * sizeof(size_t), 'f') + "\r\n");
}

TEST(ChunkedEncoder, EmptyDataAppendsNothingBecauseAnEmptyChunkWouldEndTheBody) {
  std::string out;
  AppendChunk("", out);
  EXPECT_EQ(out, "");
  AppendChunk("hello", out);
  EXPECT_EQ(out, "5\r\nhello\r\n");
}

TEST(ChunkedEncoder, LastChunkCarriesTrailersAndRefusesValuesThatBreakFraming) {
  std::string out;
  ASSERT_TRUE(AppendLastChunk({{"Lambda-Runtime-Function-Error-Type", "E.Type"},
                               {"Lambda-Runtime-Function-Error-Body", "eyJ9"}},
                              out));
  EXPECT_EQ(out,
            "0\r\nLambda-Runtime-Function-Error-Type: E.Type\r\n"
            "Lambda-Runtime-Function-Error-Body: eyJ9\r\n\r\n");
  std::string unchanged = "x";
  EXPECT_FALSE(AppendLastChunk({{"Name", "a\r\nInjected: 1"}}, unchanged));
  EXPECT_FALSE(AppendLastChunk({{"Bad Name", "v"}}, unchanged));
  EXPECT_EQ(unchanged, "x");
  out.clear();
  ASSERT_TRUE(AppendLastChunk({}, out));
  EXPECT_EQ(out, "0\r\n\r\n");
}

class CollectEncoded : public ChunkedCallbacks {
 public:
  void OnChunkData(std::string_view bytes) override { body.append(bytes); }
  void OnChunkEnd(uint64_t size) override { sizes.push_back(size); }
  void OnTrailerLine(std::string_view line) override { trailers.emplace_back(line); }
  std::string body;
  std::vector<uint64_t> sizes;
  std::vector<std::string> trailers;
};

TEST(ChunkedEncoder, DecoderReadsBackWhatTheEncoderWrote) {
  std::string wire;
  const std::string big(100000, 'z');
  AppendChunk("first", wire);
  AppendChunk(big, wire);
  ASSERT_TRUE(AppendLastChunk({{"T", "v"}}, wire));
  wire += "NEXT";
  CollectEncoded collect;
  ChunkedDecoder decoder;
  decoder.Reset(&collect);
  EXPECT_EQ(decoder.Feed(wire), wire.size() - 4);
  EXPECT_TRUE(decoder.complete());
  EXPECT_EQ(collect.body, "first" + big);
  EXPECT_EQ(collect.sizes, (std::vector<uint64_t>{5, big.size()}));
  EXPECT_EQ(collect.trailers, (std::vector<std::string>{"T: v"}));
}

}  // namespace
}  // namespace lmc::http
