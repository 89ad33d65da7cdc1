#include "tools/emulator/internal/http_request_parser.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lmc::emulator::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using Result = HttpRequestParser::Result;

// Feeds `pieces` one after another and collects every complete request. Fails the test on a
// parse error.
std::vector<ReceivedRequest> ParsePieces(const std::vector<std::string>& pieces,
                                         HttpParserLimits limits = {}) {
  HttpRequestParser parser(limits);
  std::vector<ReceivedRequest> out;
  ReceivedRequest request;
  for (const std::string& piece : pieces) {
    parser.Feed(piece);
    for (;;) {
      const Result r = parser.Parse(request);
      if (r == Result::kNeedMore) break;
      EXPECT_EQ(r, Result::kRequest) << parser.error_message();
      if (r != Result::kRequest) return out;
      out.push_back(request);
    }
  }
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  return out;
}

// Feeds all of `wire` at once and returns the error status, or 0 when no error was reported.
int ErrorStatusOf(const std::string& wire, HttpParserLimits limits = {}) {
  HttpRequestParser parser(limits);
  parser.Feed(wire);
  ReceivedRequest request;
  for (;;) {
    const Result r = parser.Parse(request);
    if (r == Result::kError) return parser.error_status();
    if (r == Result::kNeedMore) return 0;
  }
}

// Compares every field of two requests.
void ExpectSameRequest(const ReceivedRequest& a, const ReceivedRequest& b) {
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.minor_version, b.minor_version);
  EXPECT_EQ(a.headers, b.headers);
  EXPECT_EQ(a.trailers, b.trailers);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.chunked, b.chunked);
  EXPECT_EQ(a.keep_alive, b.keep_alive);
  EXPECT_EQ(a.expect_continue, b.expect_continue);
}

const char kGet[] =
    "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n"
    "Host: 127.0.0.1:9001\r\n"
    "User-Agent: lmc/0.1\r\n"
    "\r\n";

const char kPost[] =
    "POST /2018-06-01/runtime/invocation/abc/response HTTP/1.1\r\n"
    "Host: 127.0.0.1\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 13\r\n"
    "\r\n"
    "{\"ok\":\"yes\"}\n";

const char kChunked[] =
    "POST /2018-06-01/runtime/invocation/abc/response HTTP/1.1\r\n"
    "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
    "Transfer-Encoding: chunked\r\n"
    "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n"
    "\r\n"
    "5;name=value\r\nhello\r\n"
    "1A ; a=b;c\r\n"
    "abcdefghijklmnopqrstuvwxyz\r\n"
    "0\r\n"
    "Lambda-Runtime-Function-Error-Type: Runtime.StreamError\r\n"
    "Lambda-Runtime-Function-Error-Body: eyJ9\r\n"
    "\r\n";

TEST(HttpRequestParser, ParsesRequestLineAndLowerCasesHeaderNames) {
  const std::vector<ReceivedRequest> requests = ParsePieces({kGet});
  ASSERT_EQ(requests.size(), 1u);
  const ReceivedRequest& r = requests[0];
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/2018-06-01/runtime/invocation/next");
  EXPECT_EQ(r.minor_version, 1);
  EXPECT_THAT(r.headers,
              ElementsAre(Pair("host", "127.0.0.1:9001"), Pair("user-agent", "lmc/0.1")));
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.keep_alive);
  EXPECT_FALSE(r.chunked);
  ASSERT_NE(r.FindHeader("host"), nullptr);
  EXPECT_EQ(*r.FindHeader("host"), "127.0.0.1:9001");
  EXPECT_EQ(r.FindHeader("content-length"), nullptr);
}

TEST(HttpRequestParser, HeaderValuesAreTrimmedAndRepeatsKeptInOrder) {
  const std::vector<ReceivedRequest> requests = ParsePieces(
      {"GET / HTTP/1.1\r\nX-A:   spaced \t\r\nX-A: second\r\nX-Empty:\r\nMiXeD-CaSe: V\r\n\r\n"});
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_THAT(requests[0].headers, ElementsAre(Pair("x-a", "spaced"), Pair("x-a", "second"),
                                               Pair("x-empty", ""), Pair("mixed-case", "V")));
}

TEST(HttpRequestParser, ContentLengthBodyIsReadExactly) {
  const std::vector<ReceivedRequest> requests = ParsePieces({kPost});
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body, "{\"ok\":\"yes\"}\n");
  EXPECT_FALSE(requests[0].chunked);
}

TEST(HttpRequestParser, BinaryBodyBytesArePreserved) {
  std::string body("a\0b\r\n\r\n\xff", 8);
  std::string wire = "POST /x HTTP/1.1\r\nContent-Length: 8\r\n\r\n" + body;
  const std::vector<ReceivedRequest> requests = ParsePieces({wire});
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body, body);
}

TEST(HttpRequestParser, ChunkedBodyWithExtensionsAndTrailersIsDecoded) {
  const std::vector<ReceivedRequest> requests = ParsePieces({kChunked});
  ASSERT_EQ(requests.size(), 1u);
  const ReceivedRequest& r = requests[0];
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.body, "helloabcdefghijklmnopqrstuvwxyz");
  EXPECT_THAT(r.trailers,
              ElementsAre(Pair("lambda-runtime-function-error-type", "Runtime.StreamError"),
                          Pair("lambda-runtime-function-error-body", "eyJ9")));
}

TEST(HttpRequestParser, ChunkedBodyWithoutTrailersEndsAtEmptyLine) {
  const std::vector<ReceivedRequest> requests =
      ParsePieces({"POST /x HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"});
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body, "abc");
  EXPECT_TRUE(requests[0].trailers.empty());
}

// The core property of an incremental parser: where the socket splits the stream must not
// matter. Every split point of three pipelined requests (GET, POST, chunked POST) is tried.
TEST(HttpRequestParser, SplitAtEveryByteBoundaryGivesTheSameRequests) {
  const std::string wire = std::string(kGet) + kPost + kChunked;
  const std::vector<ReceivedRequest> whole = ParsePieces({wire});
  ASSERT_EQ(whole.size(), 3u);
  for (size_t split = 0; split <= wire.size(); ++split) {
    SCOPED_TRACE(split);
    const std::vector<ReceivedRequest> parts =
        ParsePieces({wire.substr(0, split), wire.substr(split)});
    ASSERT_EQ(parts.size(), 3u);
    for (size_t i = 0; i < 3; ++i) ExpectSameRequest(parts[i], whole[i]);
  }
}

TEST(HttpRequestParser, ByteAtATimeGivesTheSameRequests) {
  const std::string wire = std::string(kChunked) + kPost + kGet;
  std::vector<std::string> bytes;
  for (char c : wire) bytes.emplace_back(1, c);
  const std::vector<ReceivedRequest> whole = ParsePieces({wire});
  const std::vector<ReceivedRequest> parts = ParsePieces(bytes);
  ASSERT_EQ(parts.size(), 3u);
  for (size_t i = 0; i < 3; ++i) ExpectSameRequest(parts[i], whole[i]);
}

TEST(HttpRequestParser, PipelinedRequestsComeOutInOrder) {
  std::string wire;
  for (int i = 0; i < 50; ++i) wire += "GET /" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
  const std::vector<ReceivedRequest> requests = ParsePieces({wire});
  ASSERT_EQ(requests.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(requests[i].target, "/" + std::to_string(i));
}

TEST(HttpRequestParser, IncompleteRequestNeedsMore) {
  HttpRequestParser parser;
  ReceivedRequest request;
  parser.Feed("POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345");
  EXPECT_EQ(parser.Parse(request), Result::kNeedMore);
  parser.Feed("6789");
  EXPECT_EQ(parser.Parse(request), Result::kNeedMore);
  parser.Feed("0GET");
  EXPECT_EQ(parser.Parse(request), Result::kRequest);
  EXPECT_EQ(request.body, "1234567890");
  EXPECT_EQ(parser.Parse(request), Result::kNeedMore);
  EXPECT_EQ(parser.buffered_bytes(), 3u);
}

TEST(HttpRequestParser, KeepAliveFollowsVersionAndConnectionHeader) {
  auto keep_alive = [](const std::string& wire) {
    const std::vector<ReceivedRequest> r = ParsePieces({wire});
    return r.size() == 1 && r[0].keep_alive;
  };
  EXPECT_TRUE(keep_alive("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nConnection: upgrade, close\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep_alive("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
}

TEST(HttpRequestParser, ExpectContinueIsReportedUntilAcknowledged) {
  HttpRequestParser parser;
  ReceivedRequest request;
  parser.Feed("POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_FALSE(parser.AwaitingContinue());  // headers not parsed yet
  EXPECT_EQ(parser.Parse(request), Result::kNeedMore);
  EXPECT_TRUE(parser.AwaitingContinue());
  parser.ContinueSent();
  EXPECT_FALSE(parser.AwaitingContinue());
  parser.Feed("abc");
  ASSERT_EQ(parser.Parse(request), Result::kRequest);
  EXPECT_TRUE(request.expect_continue);
  EXPECT_EQ(request.body, "abc");
  // The next request starts with a clean slate.
  parser.Feed("POST /y HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
  EXPECT_EQ(parser.Parse(request), Result::kNeedMore);
  EXPECT_TRUE(parser.AwaitingContinue());
}

TEST(HttpRequestParser, ExpectContinueOnHttp10IsIgnored) {
  const std::vector<ReceivedRequest> r =
      ParsePieces({"POST /x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n"});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].expect_continue);
}

TEST(HttpRequestParser, LeadingEmptyLinesAndBareLineFeedsAreAccepted) {
  const std::vector<ReceivedRequest> r = ParsePieces(
      {"\r\n\nGET /a HTTP/1.1\nHost: x\n\n", "POST /b HTTP/1.1\nContent-Length: 2\n\nok"});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].target, "/a");
  EXPECT_THAT(r[0].headers, ElementsAre(Pair("host", "x")));
  EXPECT_EQ(r[1].body, "ok");
}

TEST(HttpRequestParser, IdenticalRepeatedContentLengthsAreAccepted) {
  const std::vector<ReceivedRequest> r =
      ParsePieces({"POST /x HTTP/1.1\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok"});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].body, "ok");
}

TEST(HttpRequestParser, MalformedInputIsRejectedWith400) {
  const std::vector<std::string> garbage = {
      "GARBAGE\r\n\r\n",
      "GET\r\n\r\n",
      "GET /\r\n\r\n",
      "GET / HTTP/1.1 extra\r\n\r\n",
      "GET  / HTTP/1.1\r\n\r\n",
      "G(T / HTTP/1.1\r\n\r\n",
      "GET / HTTX/1.1\r\n\r\n",
      "GET / HTTP/1.10\r\n\r\n",
      std::string("GET /\0 HTTP/1.1\r\n\r\n", 19),
      "\x16\x03\x01\x02\x01\x01\xfc\x03\x03\r\n\r\n",  // the start of a TLS ClientHello
      "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
      "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
      "GET / HTTP/1.1\r\nName : x\r\n\r\n",
      "GET / HTTP/1.1\r\n: empty-name\r\n\r\n",
      "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
      std::string("GET / HTTP/1.1\r\nA: b\0c\r\n\r\n", 26),
      "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: \r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n;ext\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer\r\n\r\n",
      "\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n",
  };
  for (const std::string& wire : garbage) {
    EXPECT_EQ(ErrorStatusOf(wire), 400) << wire;
  }
}

TEST(HttpRequestParser, UnsupportedVersionAndCodingHaveTheirOwnStatus) {
  EXPECT_EQ(ErrorStatusOf("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(ErrorStatusOf("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
}

TEST(HttpRequestParser, OversizedHeaderSectionIs431) {
  HttpParserLimits limits;
  limits.max_header_bytes = 1024;
  // Many fields: the limit covers the whole section, not one line.
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 100; ++i) many += "X-Field-" + std::to_string(i) + ": value\r\n";
  many += "\r\n";
  EXPECT_EQ(ErrorStatusOf(many, limits), 431);
  // One huge line that never ends: detected without waiting for a line feed.
  EXPECT_EQ(ErrorStatusOf("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a'), limits), 431);
  EXPECT_EQ(ErrorStatusOf("GET /" + std::string(2000, 'a'), limits), 431);
  // Just under the limit is fine.
  std::string fits = "GET / HTTP/1.1\r\nX: " + std::string(900, 'a') + "\r\n\r\n";
  EXPECT_EQ(ErrorStatusOf(fits, limits), 0);
  EXPECT_EQ(ParsePieces({fits}, limits).size(), 1u);
}

TEST(HttpRequestParser, DefaultHeaderLimitIs64KiB) {
  EXPECT_EQ(ErrorStatusOf("GET / HTTP/1.1\r\nX: " + std::string(65 * 1024, 'a') + "\r\n\r\n"), 431);
  EXPECT_EQ(ErrorStatusOf("GET / HTTP/1.1\r\nX: " + std::string(60 * 1024, 'a') + "\r\n\r\n"), 0);
}

TEST(HttpRequestParser, OversizedTrailerSectionIs431) {
  HttpParserLimits limits;
  limits.max_header_bytes = 256;
  EXPECT_EQ(ErrorStatusOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " +
                              std::string(300, 'a') + "\r\n\r\n",
                          limits),
            431);
}

TEST(HttpRequestParser, OversizedBodyIs413BeforeTheBodyArrives) {
  HttpParserLimits limits;
  limits.max_body_bytes = 100;
  EXPECT_EQ(ErrorStatusOf("POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", limits), 413);
  EXPECT_EQ(ErrorStatusOf("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n", limits), 0);
  // Chunked: the running total counts, and a single huge chunk size is caught at once.
  EXPECT_EQ(ErrorStatusOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" +
                              std::string(64, 'a') + "\r\n40\r\n",
                          limits),
            413);
  EXPECT_EQ(ErrorStatusOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "ffffffffffffffffffffffff\r\n",
                          limits),
            413);
  EXPECT_EQ(ErrorStatusOf("POST / HTTP/1.1\r\nContent-Length: " +
                          std::to_string(16 * 1024 * 1024 + 1) + "\r\n\r\n"),
            413);
}

TEST(HttpRequestParser, ErrorIsSticky) {
  HttpRequestParser parser;
  ReceivedRequest request;
  parser.Feed("BROKEN\r\n");
  EXPECT_EQ(parser.Parse(request), Result::kError);
  parser.Feed("GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(parser.Parse(request), Result::kError);
  EXPECT_EQ(parser.error_status(), 400);
  EXPECT_FALSE(parser.error_message().empty());
}

TEST(HttpRequestParser, ReusedRequestIsFullyOverwritten) {
  HttpRequestParser parser;
  ReceivedRequest request;
  parser.Feed(kChunked);
  ASSERT_EQ(parser.Parse(request), Result::kRequest);
  parser.Feed(kGet);
  ASSERT_EQ(parser.Parse(request), Result::kRequest);
  const std::vector<ReceivedRequest> fresh = ParsePieces({kGet});
  ASSERT_EQ(fresh.size(), 1u);
  ExpectSameRequest(request, fresh[0]);
}

TEST(HttpRequestParser, EmptyLineLimitDoesNotDependOnHowBytesArrive) {
  // Found by tests/fuzz/http_request_parser_fuzzer: the count of leading empty lines used to
  // restart with every Parse() call, so one empty line per packet was never refused.
  HttpRequestParser whole;
  ReceivedRequest request;
  whole.Feed("\n\n\n\n\n\r");
  EXPECT_EQ(whole.Parse(request), HttpRequestParser::Result::kError);
  HttpRequestParser dribbled;
  HttpRequestParser::Result result = HttpRequestParser::Result::kNeedMore;
  for (int i = 0; i < 6 && result != HttpRequestParser::Result::kError; ++i) {
    dribbled.Feed("\n");
    result = dribbled.Parse(request);
  }
  EXPECT_EQ(result, HttpRequestParser::Result::kError);
  EXPECT_EQ(dribbled.error_status(), 400);
}

}  // namespace
}  // namespace lmc::emulator::internal
