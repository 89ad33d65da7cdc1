#include "lmc/base/http/chunked_decoder.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace lmc::http {
namespace {

struct Outcome {
  std::string body;
  std::vector<uint64_t> sizes;
  std::vector<std::string> trailers;
  bool complete = false;
  ChunkedError error = ChunkedError::kNone;
  size_t consumed = 0;
  uint64_t body_bytes = 0;

  bool operator==(const Outcome& o) const {
    return body == o.body && sizes == o.sizes && trailers == o.trailers && complete == o.complete &&
           error == o.error && body_bytes == o.body_bytes && (!complete || consumed == o.consumed);
  }
};

class Collect : public ChunkedCallbacks {
 public:
  explicit Collect(Outcome& out) : out_(out) {}
  void OnChunkData(std::string_view bytes) override { out_.body.append(bytes); }
  void OnChunkEnd(uint64_t size) override { out_.sizes.push_back(size); }
  void OnTrailerLine(std::string_view line) override { out_.trailers.emplace_back(line); }

 private:
  Outcome& out_;
};

// Feeds `wire` in pieces of `step` bytes (0: whole), stopping once the decoder is done.
Outcome Decode(std::string_view wire, size_t step = 0, ChunkedLimits limits = {}) {
  Outcome out;
  Collect collect(out);
  ChunkedDecoder decoder;
  decoder.Reset(&collect, limits);
  if (step == 0) step = wire.size() + 1;
  for (size_t pos = 0; pos < wire.size() && !decoder.done(); pos += step) {
    out.consumed += decoder.Feed(wire.substr(pos, step));
  }
  out.complete = decoder.complete();
  out.error = decoder.error();
  out.body_bytes = decoder.body_bytes();
  return out;
}

constexpr std::string_view kStream =
    "5;name=value\r\nhello\r\n"
    "1A ; a=b;c\r\n"
    "abcdefghijklmnopqrstuvwxyz\r\n"
    "0\r\n"
    "Lambda-Runtime-Function-Error-Type: Runtime.StreamError\r\n"
    "Lambda-Runtime-Function-Error-Body: eyJ9\r\n"
    "\r\n";

TEST(ChunkedDecoder, DecodesChunksIgnoringExtensionsAndReportsTrailers) {
  const Outcome out = Decode(kStream);
  EXPECT_TRUE(out.complete);
  EXPECT_EQ(out.body, "helloabcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(out.sizes, (std::vector<uint64_t>{5, 26}));
  EXPECT_EQ(out.trailers,
            (std::vector<std::string>{"Lambda-Runtime-Function-Error-Type: Runtime.StreamError",
                                      "Lambda-Runtime-Function-Error-Body: eyJ9"}));
  EXPECT_EQ(out.consumed, kStream.size());
}

TEST(ChunkedDecoder, StopsAtTheEndOfTheBodyAndAcceptsBareLineFeeds) {
  const std::string wire = "3\nabc\n0\n\nGET / HTTP/1.1\r\n";
  const Outcome out = Decode(wire);
  EXPECT_TRUE(out.complete);
  EXPECT_EQ(out.body, "abc");
  EXPECT_EQ(out.consumed, wire.find('G'));
}

TEST(ChunkedDecoder, EverySplitGivesTheSameResult) {
  const Outcome whole = Decode(kStream);
  for (size_t step = 1; step < kStream.size(); ++step) {
    EXPECT_TRUE(Decode(kStream, step) == whole) << step;
  }
}

TEST(ChunkedDecoder, DataReceivedInPlaceIsCountedNotReported) {
  Outcome out;
  Collect collect(out);
  ChunkedDecoder decoder;
  decoder.Reset(&collect);
  EXPECT_EQ(decoder.DataRun(), 0u);
  EXPECT_EQ(decoder.Feed("5\r\n"), 3u);
  EXPECT_EQ(decoder.DataRun(), 5u);
  decoder.ConsumeData(5);
  EXPECT_EQ(decoder.DataRun(), 0u);
  EXPECT_EQ(decoder.Feed("\r\n0\r\n\r\n"), 7u);
  EXPECT_TRUE(decoder.complete());
  EXPECT_EQ(decoder.body_bytes(), 5u);
  EXPECT_EQ(out.body, "");
  EXPECT_EQ(out.sizes, (std::vector<uint64_t>{5}));
}

TEST(ChunkedDecoder, RefusesMalformedFraming) {
  for (const std::string& bad : {
           std::string("zz\r\n"),
           std::string(";ext\r\n"),
           std::string(" 5\r\nhello\r\n0\r\n\r\n"),  // no blanks before the size
           std::string("5 x\r\nhello\r\n0\r\n\r\n"),
           std::string("3\r\nabcd\r\n0\r\n\r\n"),
           std::string("0\r\nBad Trailer\r\n\r\n"),
           std::string("0\r\nX: a\0b\r\n\r\n", 13),
           std::string("1;") + std::string(5000, 'e'),
       }) {
    const Outcome out = Decode(bad);
    EXPECT_EQ(out.error, ChunkedError::kMalformed) << bad;
    EXPECT_TRUE(Decode(bad, 1) == out) << bad;
  }
}

TEST(ChunkedDecoder, BodyLimitFailsAtTheChunkThatCrossesIt) {
  const Outcome out = Decode("4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n", 0, {.max_body_bytes = 6});
  EXPECT_EQ(out.error, ChunkedError::kBodyTooLarge);
  EXPECT_EQ(out.body, "abcd");
  EXPECT_EQ(Decode("1000000000000000\r\n").error, ChunkedError::kBodyTooLarge);
  EXPECT_TRUE(Decode("00000000000000000000001\r\na\r\n0\r\n\r\n").complete);
}

TEST(ChunkedDecoder, TrailerSectionHasItsOwnLimit) {
  const std::string wire = "0\r\nX: " + std::string(100, 'v') + "\r\n\r\n";
  EXPECT_EQ(Decode(wire, 0, {.max_trailer_bytes = 64}).error, ChunkedError::kTrailerTooLarge);
  EXPECT_EQ(Decode(wire, 7, {.max_trailer_bytes = 64}).error, ChunkedError::kTrailerTooLarge);
  EXPECT_TRUE(Decode(wire, 0, {.max_trailer_bytes = 108}).complete);
}

}  // namespace
}  // namespace lmc::http
