#include "lmc/transport/internal/http_response_parser.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lmc::transport_internal {
namespace {

using ::testing::ElementsAre;

// Everything the parser reported, plus its final state.
struct Outcome {
  std::vector<std::string> headers;
  std::vector<std::string> trailers;
  std::string body;
  int headers_complete_calls = 0;
  bool body_before_headers_complete = false;
  HttpResponseHead head;
  bool complete = false;
  HttpResponseError error = HttpResponseError::kNone;
  size_t consumed = 0;

  // Bytes consumed are compared only for complete responses: after an error they depend on
  // where the input was split (a partial line is consumed into the parser's buffer).
  bool operator==(const Outcome& o) const {
    return headers == o.headers && trailers == o.trailers && body == o.body &&
           headers_complete_calls == o.headers_complete_calls && complete == o.complete &&
           error == o.error && (!complete || consumed == o.consumed) &&
           head.status_code == o.head.status_code && head.framing == o.head.framing &&
           head.keep_alive == o.head.keep_alive && head.content_length == o.head.content_length;
  }
};

class Collector : public HttpResponseCallbacks {
 public:
  explicit Collector(Outcome& out) : out_(out) {}
  void OnHeaderLine(std::string_view line) override { out_.headers.emplace_back(line); }
  void OnHeadersComplete(const HttpResponseHead& head) override {
    ++out_.headers_complete_calls;
    out_.head = head;
  }
  void OnBody(std::string_view bytes) override {
    if (out_.headers_complete_calls == 0) out_.body_before_headers_complete = true;
    out_.body.append(bytes);
  }
  void OnTrailerLine(std::string_view line) override { out_.trailers.emplace_back(line); }

 private:
  Outcome& out_;
};

void Finish(HttpResponseParser& parser, Outcome& out, bool eof) {
  if (eof) parser.FinishOnEof();
  out.complete = parser.complete();
  out.error = parser.error();
  if (parser.headers_complete()) out.head = parser.head();
}

// Feeds `pieces` in order (stopping once the parser is done), then EOF when `eof`.
Outcome Parse(const std::vector<std::string_view>& pieces, bool eof = false,
              HttpResponseLimits limits = {}) {
  Outcome out;
  Collector collector(out);
  HttpResponseParser parser;
  parser.Reset(&collector, limits);
  for (std::string_view piece : pieces) {
    if (parser.done()) break;
    out.consumed += parser.Feed(piece);
  }
  Finish(parser, out, eof);
  return out;
}

Outcome ParseWhole(std::string_view wire, bool eof = false, HttpResponseLimits limits = {}) {
  return Parse({wire}, eof, limits);
}

// Feeds `wire` one byte at a time.
Outcome ParseBytewise(std::string_view wire, bool eof = false, HttpResponseLimits limits = {}) {
  std::vector<std::string_view> pieces;
  for (size_t i = 0; i < wire.size(); ++i) pieces.push_back(wire.substr(i, 1));
  return Parse(pieces, eof, limits);
}

// Receives body runs "in place" (copied straight from `wire` into the outcome's body, the way
// the connection recv()s into the event buffer) in steps of at most `step` bytes; everything
// else goes through Feed() in steps of `step`.
Outcome ParseInPlace(std::string_view wire, size_t step, bool eof = false,
                     HttpResponseLimits limits = {}) {
  Outcome out;
  Collector collector(out);
  HttpResponseParser parser;
  parser.Reset(&collector, limits);
  size_t pos = 0;
  while (pos < wire.size() && !parser.done()) {
    const uint64_t run = parser.InPlaceBodyRun();
    if (run > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>({run, step, wire.size() - pos}));
      out.body.append(wire.substr(pos, n));
      parser.ConsumeInPlaceBody(n);
      pos += n;
      out.consumed += n;
    } else {
      const size_t used = parser.Feed(wire.substr(pos, std::min(step, wire.size() - pos)));
      pos += used;
      out.consumed += used;
      if (used == 0) break;
    }
  }
  Finish(parser, out, eof);
  return out;
}

constexpr std::string_view kNextReply =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 13\r\n"
    "Lambda-Runtime-Aws-Request-Id: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\r\n"
    "Lambda-Runtime-Deadline-Ms: 1542409706888\r\n"
    "\r\n"
    "{\"ok\":\"yes\"}\n";

constexpr std::string_view kChunked =
    "HTTP/1.1 200 OK\r\n"
    "Transfer-Encoding: chunked\r\n"
    "Trailer: X-Checksum\r\n"
    "\r\n"
    "5;name=value\r\nhello\r\n"
    "1A ; a=b;c\r\n"
    "abcdefghijklmnopqrstuvwxyz\r\n"
    "0\r\n"
    "X-Checksum: 42\r\n"
    "X-Other:\tvalue with tab\r\n"
    "\r\n";

constexpr std::string_view kInterim =
    "HTTP/1.1 100 Continue\r\n"
    "\r\n"
    "HTTP/1.1 103 Early Hints\r\n"
    "Link: </style.css>; rel=preload\r\n"
    "\r\n"
    "HTTP/1.1 202 Accepted\r\n"
    "Content-Length: 15\r\n"
    "\r\n"
    "{\"status\":\"OK\"}";

constexpr std::string_view kCloseDelimited =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "everything until the peer closes";

constexpr std::string_view kBareLf =
    "HTTP/1.0 200 OK\n"
    "Connection: keep-alive\n"
    "Content-Length: 2\n"
    "\n"
    "ok";

TEST(HttpResponseParser, ParsesStatusHeadersAndContentLengthBody) {
  const Outcome out = ParseWhole(kNextReply);
  EXPECT_TRUE(out.complete);
  EXPECT_EQ(out.error, HttpResponseError::kNone);
  EXPECT_EQ(out.head.status_code, 200);
  EXPECT_EQ(out.head.framing, HttpBodyFraming::kContentLength);
  EXPECT_EQ(out.head.content_length, 13u);
  EXPECT_TRUE(out.head.keep_alive);
  EXPECT_EQ(out.body, "{\"ok\":\"yes\"}\n");
  EXPECT_EQ(out.consumed, kNextReply.size());
  EXPECT_EQ(out.headers_complete_calls, 1);
  EXPECT_FALSE(out.body_before_headers_complete);
}

TEST(HttpResponseParser, ReportsEachHeaderLineRawWithoutItsLineEnding) {
  const Outcome out = ParseWhole(
      "HTTP/1.1 200 OK\r\nX-Spaced:   padded value  \r\nx-lower: v\r\nContent-Length: 0\r\n\r\n");
  EXPECT_THAT(out.headers,
              ElementsAre("X-Spaced:   padded value  ", "x-lower: v", "Content-Length: 0"));
  EXPECT_TRUE(out.complete);
  EXPECT_EQ(out.head.framing, HttpBodyFraming::kNone);
}

TEST(HttpResponseParser, ChunkedBodyIgnoresExtensionsAndReportsTrailers) {
  const Outcome out = ParseWhole(kChunked);
  EXPECT_TRUE(out.complete);
  EXPECT_EQ(out.head.framing, HttpBodyFraming::kChunked);
  EXPECT_EQ(out.body, "helloabcdefghijklmnopqrstuvwxyz");
  EXPECT_THAT(out.trailers, ElementsAre("X-Checksum: 42", "X-Other:\tvalue with tab"));
  EXPECT_TRUE(out.head.keep_alive);
  EXPECT_EQ(out.consumed, kChunked.size());
}

TEST(HttpResponseParser, ChunkedBodyWithoutTrailersAndUpperCaseHex) {
  const Outcome out = ParseWhole(
      "HTTP/1.1 200 OK\r\ntransfer-encoding: CHUNKED\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n");
  EXPECT_TRUE(out.complete);
  EXPECT_EQ(out.body, "0123456789");
  EXPECT_TRUE(out.trailers.empty());
}

TEST(HttpResponseParser, SkipsInterimResponsesEntirely) {
  const Outcome out = ParseWhole(kInterim);
  EXPECT_TRUE(out.complete);
  EXPECT_EQ(out.head.status_code, 202);
  // Only the final response's fields are reported: not the 103's Link.
  EXPECT_THAT(out.headers, ElementsAre("Content-Length: 15"));
  EXPECT_EQ(out.body, "{\"status\":\"OK\"}");
  EXPECT_EQ(out.headers_complete_calls, 1);
}

TEST(HttpResponseParser, RefusesSwitchingProtocols) {
  const Outcome out = ParseWhole("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n");
  EXPECT_EQ(out.error, HttpResponseError::kMalformed);
}

TEST(HttpResponseParser, NoBodyFor204And304WhateverTheHeadersSay) {
  for (std::string_view wire : {std::string_view("HTTP/1.1 204 No Content\r\n\r\nextra"),
                                std::string_view("HTTP/1.1 304 Not Modified\r\nContent-Length: "
                                                 "50\r\n\r\nextra")}) {
    const Outcome out = ParseWhole(wire);
    EXPECT_TRUE(out.complete) << wire;
    EXPECT_EQ(out.head.framing, HttpBodyFraming::kNone) << wire;
    EXPECT_TRUE(out.body.empty()) << wire;
    EXPECT_EQ(out.consumed, wire.size() - 5) << wire;  // "extra" is not part of it
    EXPECT_TRUE(out.head.keep_alive) << wire;
  }
}

TEST(HttpResponseParser, CloseDelimitedBodyEndsAtEofAndEndsTheConnection) {
  const Outcome before_eof = ParseWhole(kCloseDelimited);
  EXPECT_FALSE(before_eof.complete);
  EXPECT_EQ(before_eof.body, "everything until the peer closes");
  const Outcome out = ParseWhole(kCloseDelimited, /*eof=*/true);
  EXPECT_TRUE(out.complete);
  EXPECT_EQ(out.head.framing, HttpBodyFraming::kUntilClose);
  EXPECT_FALSE(out.head.keep_alive);
  EXPECT_EQ(out.body, "everything until the peer closes");
}

TEST(HttpResponseParser, EofBeforeTheEndIsTruncation) {
  EXPECT_EQ(ParseWhole("", /*eof=*/true).error, HttpResponseError::kTruncated);
  EXPECT_EQ(ParseWhole("HTTP/1.1 200 OK\r\nContent-Le", true).error, HttpResponseError::kTruncated);
  const Outcome cut = ParseWhole(kNextReply.substr(0, kNextReply.size() - 3), true);
  EXPECT_EQ(cut.error, HttpResponseError::kTruncated);
  EXPECT_TRUE(cut.headers.size() == 4);  // What arrived was still reported.
  EXPECT_EQ(ParseWhole(kChunked.substr(0, kChunked.size() - 2), true).error,
            HttpResponseError::kTruncated);
}

TEST(HttpResponseParser, KeepAliveFollowsVersionAndConnectionHeader) {
  const auto keep_alive = [](std::string_view head) {
    const Outcome out = ParseWhole(std::string(head) + "Content-Length: 0\r\n\r\n");
    EXPECT_TRUE(out.complete) << head;
    return out.head.keep_alive;
  };
  EXPECT_TRUE(keep_alive("HTTP/1.1 200 OK\r\n"));
  EXPECT_FALSE(keep_alive("HTTP/1.1 200 OK\r\nConnection: close\r\n"));
  EXPECT_FALSE(keep_alive("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\n"));
  EXPECT_FALSE(keep_alive("HTTP/1.0 200 OK\r\n"));
  EXPECT_TRUE(keep_alive("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"));
  EXPECT_TRUE(ParseWhole(kBareLf).head.keep_alive);
}

TEST(HttpResponseParser, AcceptsBareLineFeedsAndAMissingReasonPhrase) {
  const Outcome out = ParseWhole(kBareLf);
  EXPECT_TRUE(out.complete);
  EXPECT_EQ(out.body, "ok");
  const Outcome no_reason = ParseWhole("HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(no_reason.complete);
  EXPECT_EQ(no_reason.head.status_code, 503);
}

TEST(HttpResponseParser, KeepsOtherControlCharactersAndHighBytesInValues) {
  // RFC 9110 lets recipients keep them; the Runtime API relays caller-chosen bytes (tenant ids).
  const std::string wire =
      "HTTP/1.1 200 OK\r\nX-Tenant: \xff\xfe\x01 tenant\x7f\r\nContent-Length: 0\r\n\r\n";
  const Outcome out = ParseWhole(wire);
  EXPECT_TRUE(out.complete);
  EXPECT_THAT(out.headers, ElementsAre("X-Tenant: \xff\xfe\x01 tenant\x7f", "Content-Length: 0"));
}

TEST(HttpResponseParser, StopsAtTheEndOfTheResponse) {
  const std::string two = std::string(kNextReply) + "HTTP/1.1 200 OK\r\n";
  const Outcome out = ParseWhole(two);
  EXPECT_TRUE(out.complete);
  EXPECT_EQ(out.consumed, kNextReply.size());
}

// The same result whatever the split: the property the fuzzer checks at random, here exhaustively
// for each shape of response.
TEST(HttpResponseParser, EverySplitPointGivesTheSameResult) {
  for (std::string_view wire : {kNextReply, kChunked, kInterim, kCloseDelimited, kBareLf}) {
    const bool eof = wire == kCloseDelimited;
    const Outcome whole = ParseWhole(wire, eof);
    ASSERT_TRUE(whole.complete) << wire;
    for (size_t split = 0; split <= wire.size(); ++split) {
      const Outcome two = Parse({wire.substr(0, split), wire.substr(split)}, eof);
      EXPECT_TRUE(two == whole) << "split at " << split << " of\n" << wire;
    }
    EXPECT_TRUE(ParseBytewise(wire, eof) == whole) << wire;
  }
}

TEST(HttpResponseParser, BodyReceivedInPlaceMatchesBodyFed) {
  for (std::string_view wire : {kNextReply, kChunked, kInterim, kCloseDelimited}) {
    const bool eof = wire == kCloseDelimited;
    const Outcome whole = ParseWhole(wire, eof);
    for (size_t step : {1, 2, 3, 7, 64, 4096}) {
      EXPECT_TRUE(ParseInPlace(wire, step, eof) == whole) << "step " << step << " of\n" << wire;
    }
  }
}

TEST(HttpResponseParser, InPlaceRunIsZeroOutsideBodies) {
  Outcome out;
  Collector collector(out);
  HttpResponseParser parser;
  parser.Reset(&collector);
  EXPECT_EQ(parser.InPlaceBodyRun(), 0u);
  parser.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(parser.InPlaceBodyRun(), 0u);  // A chunk size comes next.
  parser.Feed("10\r\n0123");
  EXPECT_EQ(parser.InPlaceBodyRun(), 12u);  // The rest of the 16-byte chunk.
  parser.ConsumeInPlaceBody(12);
  EXPECT_EQ(parser.InPlaceBodyRun(), 0u);  // Its CR LF comes next.
  EXPECT_EQ(parser.body_bytes(), 16u);
  EXPECT_EQ(out.body, "0123");  // In-place bytes are not reported again.
  parser.Feed("\r\n0\r\n\r\n");
  EXPECT_TRUE(parser.complete());
}

TEST(HttpResponseParser, HeaderSectionLimitIsExactAndCoversInterimResponses) {
  // Status line + field + blank line: pad the field to land exactly on the limit. A 204 has no
  // body, so the response is complete at the blank line.
  const std::string status = "HTTP/1.1 204 No Content";
  HttpResponseLimits limits;
  limits.max_header_bytes = 200;
  const size_t field_bytes = 200 - (status.size() + 2) - 2;  // the field line with its CR LF
  const std::string field = "X-Pad: " + std::string(field_bytes - 2 - 7, 'p');
  const std::string exact = status + "\r\n" + field + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 200u);
  EXPECT_TRUE(ParseWhole(exact, false, limits).complete);
  EXPECT_TRUE(ParseBytewise(exact, false, limits).complete);
  const std::string over = status + "\r\n" + field + "p\r\n\r\n";
  EXPECT_EQ(ParseWhole(over, false, limits).error, HttpResponseError::kHeaderTooLarge);
  EXPECT_EQ(ParseBytewise(over, false, limits).error, HttpResponseError::kHeaderTooLarge);
  // An endless line is refused as soon as it passes the limit, without waiting for its end.
  EXPECT_EQ(ParseWhole(status + "\r\nX: " + std::string(300, 'x'), false, limits).error,
            HttpResponseError::kHeaderTooLarge);
  // Interim responses count towards the same budget.
  EXPECT_EQ(ParseWhole("HTTP/1.1 100 Continue\r\n\r\n" + exact, false, limits).error,
            HttpResponseError::kHeaderTooLarge);
}

TEST(HttpResponseParser, DefaultHeaderLimitIs64KiB) {
  const std::string big =
      "HTTP/1.1 204 No Content\r\nX: " + std::string(size_t{64} * 1024, 'x') + "\r\n\r\n";
  EXPECT_EQ(ParseWhole(big).error, HttpResponseError::kHeaderTooLarge);
  const std::string fits =
      "HTTP/1.1 204 No Content\r\nX: " + std::string(size_t{60} * 1024, 'x') + "\r\n\r\n";
  EXPECT_TRUE(ParseWhole(fits).complete);
}

TEST(HttpResponseParser, TrailerSectionHasItsOwnLimit) {
  HttpResponseLimits limits;
  limits.max_header_bytes = 100;
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " + std::string(120, 't') +
      "\r\n\r\n";
  EXPECT_EQ(ParseWhole(wire, false, limits).error, HttpResponseError::kHeaderTooLarge);
}

TEST(HttpResponseParser, ContentLengthOverTheBodyLimitFailsRightAfterTheHeaders) {
  HttpResponseLimits limits;
  limits.max_body_bytes = 12;
  const Outcome out = ParseWhole(kNextReply, false, limits);
  EXPECT_EQ(out.error, HttpResponseError::kBodyTooLarge);
  // The header lines (the request id among them) were reported before the refusal.
  EXPECT_EQ(out.headers.size(), 4u);
  EXPECT_TRUE(out.body.empty());
  limits.max_body_bytes = 13;
  EXPECT_TRUE(ParseWhole(kNextReply, false, limits).complete);
}

TEST(HttpResponseParser, ChunkedBodyOverTheLimitFailsAtTheChunkThatCrossesIt) {
  HttpResponseLimits limits;
  limits.max_body_bytes = 30;
  const Outcome out = ParseWhole(kChunked, false, limits);
  EXPECT_EQ(out.error, HttpResponseError::kBodyTooLarge);
  EXPECT_EQ(out.body, "hello");  // The first chunk fitted.
  limits.max_body_bytes = 31;
  EXPECT_TRUE(ParseWhole(kChunked, false, limits).complete);
  EXPECT_EQ(ParseWhole("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "ffffffffffffffffffff\r\n")
                .error,
            HttpResponseError::kBodyTooLarge);
}

TEST(HttpResponseParser, CloseDelimitedBodyStopsExactlyAtTheLimit) {
  HttpResponseLimits limits;
  limits.max_body_bytes = 10;
  const Outcome fed = ParseWhole(kCloseDelimited, true, limits);
  EXPECT_EQ(fed.error, HttpResponseError::kBodyTooLarge);
  EXPECT_EQ(fed.body, "everything");
  EXPECT_TRUE(ParseBytewise(kCloseDelimited, true, limits) == fed);
  const Outcome in_place = ParseInPlace(kCloseDelimited, 4096, true, limits);
  EXPECT_EQ(in_place.error, HttpResponseError::kBodyTooLarge);
}

TEST(HttpResponseParser, RefusesMalformedResponses) {
  const std::vector<std::string> cases = {
      "garbage\r\n\r\n",
      "HTTP/2 200\r\n\r\n",
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "HTTP/1.1 600 Nope\r\n\r\n",
      "HTTP/1.1 099 Low\r\n\r\n",
      "HTTP/1.1  200 OK\r\n\r\n",
      "http/1.1 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\rX\r\n\r\n",
      "\r\nHTTP/1.1 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
      "HTTP/1.1 200 OK\r\nBad Name: v\r\n\r\n",
      "HTTP/1.1 200 OK\r\nName : v\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
      std::string("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", 27),  // 27: the NUL is inside
      "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;ext\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + std::string(5000, 'e'),
  };
  for (const std::string& wire : cases) {
    const Outcome whole = ParseWhole(wire, true);
    EXPECT_EQ(whole.error, HttpResponseError::kMalformed) << wire;
    EXPECT_FALSE(whole.complete) << wire;
    EXPECT_TRUE(ParseBytewise(wire, true) == whole) << wire;
  }
}

TEST(HttpResponseParser, SurvivesArbitraryBytes) {
  // Every byte value in every position of a short response: never a crash, always a verdict
  // that does not depend on the split.
  const std::string base(kNextReply);
  for (size_t i = 0; i < base.size(); i += 3) {
    for (int b = 0; b < 256; b += 17) {
      std::string wire = base;
      wire[i] = static_cast<char>(b);
      const Outcome whole = ParseWhole(wire, true);
      EXPECT_TRUE(whole.complete || whole.error != HttpResponseError::kNone);
      EXPECT_TRUE(ParseBytewise(wire, true) == whole) << i << " " << b;
    }
  }
}

TEST(HttpResponseParser, ErrorIsStickyAndResetStartsOver) {
  Outcome out;
  Collector collector(out);
  HttpResponseParser parser;
  parser.Reset(&collector);
  EXPECT_EQ(parser.Feed("nonsense\r\n"), 10u);
  EXPECT_TRUE(parser.failed());
  EXPECT_FALSE(parser.error_message().empty());
  EXPECT_EQ(parser.Feed(kNextReply), 0u);
  EXPECT_TRUE(parser.failed());
  parser.Reset(&collector);
  EXPECT_EQ(parser.Feed(kNextReply), kNextReply.size());
  EXPECT_TRUE(parser.complete());
  EXPECT_EQ(out.body, "{\"ok\":\"yes\"}\n");
  // A second response on the same parser after Reset().
  out = Outcome();
  parser.Reset(&collector);
  EXPECT_EQ(parser.Feed(kInterim), kInterim.size());
  EXPECT_TRUE(parser.complete());
  EXPECT_EQ(parser.head().status_code, 202);
}

}  // namespace
}  // namespace lmc::transport_internal
