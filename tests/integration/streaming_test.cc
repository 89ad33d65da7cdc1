// Response streaming end to end: the real bootstrap's diagnostic `stream` handler against the
// emulator, for both transports (this suite runs as integration.* and integration-curl.*). What
// is pinned: the wire form of runtime-api.md §2 (headers, chunking, real trailers), chunk-by-chunk
// delivery, /error before the first byte, the exact HTTP prelude, and concurrent streams that do
// not wait for each other.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "lmc/response_stream.h"
#include "tests/support/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

emulator::EventSpec StreamEvent(const std::string& request_id, const std::string& body) {
  emulator::EventSpec event;
  event.request_id = request_id;
  event.body = body;
  return event;
}

const std::string* Header(const emulator::Answer& answer, std::string_view lower_name) {
  return answer.FindHeader(lower_name);
}

// `answer` went to /error the buffered way (a stream that failed before its first byte), was
// accepted, and names `error_type`.
void ExpectPlainErrorAnswer(const emulator::Answer& answer, std::string_view error_type) {
  EXPECT_EQ(answer.kind, emulator::Answer::Kind::kError);
  EXPECT_EQ(answer.status_returned, 202);
  EXPECT_FALSE(answer.chunked);
  ASSERT_NE(Header(answer, "lambda-runtime-function-error-type"), nullptr);
  EXPECT_EQ(*Header(answer, "lambda-runtime-function-error-type"), error_type);
}

TEST_F(BootstrapTest, StreamedResponseArrivesChunkByChunkWithTheStreamingHeaders) {
  StartEmulator();
  // Chunk i is written at start + i * 100 ms.
  emulator().Enqueue(StreamEvent("req-stream", R"({"chunks":4,"bytes":1000,"delay_ms":100})"));
  StartBootstrap("stream");
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  const emulator::Answer answer = emulator().record("req-stream")->answers.at(0);
  EXPECT_EQ(answer.kind, emulator::Answer::Kind::kResponse);
  EXPECT_EQ(answer.status_returned, 202);
  EXPECT_TRUE(answer.chunked);
  ASSERT_NE(Header(answer, "lambda-runtime-function-response-mode"), nullptr);
  EXPECT_EQ(*Header(answer, "lambda-runtime-function-response-mode"), "streaming");
  ASSERT_NE(Header(answer, "transfer-encoding"), nullptr);
  EXPECT_EQ(*Header(answer, "transfer-encoding"), "chunked");
  ASSERT_NE(Header(answer, "trailer"), nullptr);
  EXPECT_EQ(*Header(answer, "trailer"),
            "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body");
  EXPECT_EQ(answer.content_type, "application/octet-stream");
  EXPECT_EQ(answer.body, std::string(1000, 'a') + std::string(1000, 'b') + std::string(1000, 'c') +
                             std::string(1000, 'd'));
  EXPECT_TRUE(answer.trailers.empty());
  // One chunk per write, in order, their arrivals spread like the writes (300 ms from the first
  // to the last write; a transport that held bytes back would deliver them all at once).
  ASSERT_EQ(answer.chunks.size(), 4u);
  for (const emulator::AnswerChunk& chunk : answer.chunks) EXPECT_EQ(chunk.size, 1000u);
  for (size_t i = 1; i < answer.chunks.size(); ++i) {
    EXPECT_LE(answer.chunks[i - 1].arrived_at, answer.chunks[i].arrived_at);
  }
  EXPECT_GE(answer.chunks.back().arrived_at - answer.chunks.front().arrived_at,
            absl::Milliseconds(100));
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, MidStreamErrorArrivesAsTrailersWithTheExactTypeAndBody) {
  StartEmulator();
  emulator().Enqueue(
      StreamEvent("req-mid", R"({"chunks":5,"bytes":10,"delay_ms":0,"fail_after":2})"));
  StartBootstrap("stream");
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  const auto record = emulator().record("req-mid");
  ASSERT_EQ(record->answers.size(), 1u);
  const emulator::Answer& answer = record->answers[0];
  EXPECT_EQ(answer.kind, emulator::Answer::Kind::kResponse);
  EXPECT_EQ(answer.status_returned, 202);
  // The bytes already sent stay; no trailer text leaks into the body.
  EXPECT_EQ(answer.body, std::string(10, 'a') + std::string(10, 'b'));
  ASSERT_EQ(answer.trailers.size(), 2u);
  EXPECT_EQ(answer.trailers[0].first, "lambda-runtime-function-error-type");
  EXPECT_EQ(answer.trailers[0].second, "Diagnostic.StreamFailed");
  EXPECT_EQ(answer.trailers[1].first, "lambda-runtime-function-error-body");
  std::string error_json;
  ASSERT_TRUE(absl::Base64Unescape(answer.trailers[1].second, &error_json));
  simdjson::dom::parser parser;
  const simdjson::dom::element doc = ParseJson(parser, error_json);
  EXPECT_EQ(std::string_view(doc["errorType"]), "Diagnostic.StreamFailed");
  EXPECT_EQ(std::string_view(doc["errorMessage"]), "failed after 2 chunks");
  EXPECT_EQ(simdjson::dom::array(doc["stackTrace"]).size(), 0u);
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, StreamFailingBeforeAnyByteIsReportedOnTheErrorEndpoint) {
  StartEmulator();
  emulator().Enqueue(StreamEvent("req-zero", R"({"chunks":3,"bytes":10,"fail_after":0})"));
  StartBootstrap("stream");
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  const auto record = emulator().record("req-zero");
  ASSERT_EQ(record->answers.size(), 1u);
  const emulator::Answer& answer = record->answers[0];
  ExpectPlainErrorAnswer(answer, "Diagnostic.StreamFailed");
  simdjson::dom::parser parser;
  const simdjson::dom::element doc = ParseJson(parser, answer.body);
  EXPECT_EQ(std::string_view(doc["errorMessage"]), "failed after 0 chunks");
  EXPECT_EQ(Terminate().code, 0);
}

// One loop streams answer after answer on the same connection: the transports' per-stream
// state (the libcurl transport once corrupted its heap on the second stream) must not leak from
// one stream into the next, with or without trailers.
TEST_F(BootstrapTest, ConsecutiveStreamsOnOneLoopAreEachDeliveredWhole) {
  StartEmulator();
  emulator().Enqueue(StreamEvent("req-1", R"({"chunks":3,"bytes":70000,"delay_ms":0})"));
  emulator().Enqueue(
      StreamEvent("req-2", R"({"chunks":3,"bytes":10,"delay_ms":0,"fail_after":2})"));
  emulator().Enqueue(StreamEvent("req-3", R"({"chunks":2,"bytes":5,"delay_ms":0})"));
  StartBootstrap("stream");  // N = 1: one loop serves all three
  ASSERT_TRUE(emulator().WaitForClosed(3, kWait));
  const auto first = emulator().record("req-1");
  ASSERT_EQ(first->answers.size(), 1u);
  EXPECT_EQ(first->answers[0].body,
            std::string(70000, 'a') + std::string(70000, 'b') + std::string(70000, 'c'));
  EXPECT_TRUE(first->answers[0].trailers.empty());
  const auto second = emulator().record("req-2");
  ASSERT_EQ(second->answers.size(), 1u);
  EXPECT_EQ(second->answers[0].body, std::string(10, 'a') + std::string(10, 'b'));
  ASSERT_EQ(second->answers[0].trailers.size(), 2u);
  EXPECT_EQ(second->answers[0].trailers[0].second, "Diagnostic.StreamFailed");
  const auto third = emulator().record("req-3");
  ASSERT_EQ(third->answers.size(), 1u);
  EXPECT_EQ(third->answers[0].status_returned, 202);
  EXPECT_EQ(third->answers[0].body, "aaaaabbbbb");
  EXPECT_TRUE(third->answers[0].trailers.empty());
  EXPECT_EQ(Terminate().code, 0);
}

// The streamed-response limit (kMaxStreamedResponseBytes, 200 MiB): the write that would pass it
// is refused, and the stream ends with Function.ResponseSizeTooLarge whatever the handler does
// next.
constexpr uint64_t kStreamLimit = kMaxStreamedResponseBytes;
static_assert(kStreamLimit == uint64_t{200} << 20, "runtime-api.md: 200 MiB");

TEST_F(BootstrapTest, WritePastTheStreamLimitEndsTheStreamWithResponseSizeTooLarge) {
  StartEmulator();
  // Two writes of half the limit plus one byte: the first goes out, the second is refused.
  const uint64_t half = kStreamLimit / 2 + 1;
  emulator().Enqueue(
      StreamEvent("req-big", absl::StrCat(R"({"chunks":2,"bytes":)", half, R"(,"delay_ms":0})")));
  StartBootstrap("stream");
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  const auto record = emulator().record("req-big");
  ASSERT_EQ(record->answers.size(), 1u);
  const emulator::Answer& answer = record->answers[0];
  EXPECT_EQ(answer.kind, emulator::Answer::Kind::kResponse);
  EXPECT_EQ(answer.status_returned, 202);
  EXPECT_EQ(answer.body.size(), half);
  EXPECT_EQ(answer.body.find_first_not_of('a'), std::string::npos);
  ASSERT_EQ(answer.trailers.size(), 2u);
  EXPECT_EQ(answer.trailers[0].second, "Function.ResponseSizeTooLarge");
  std::string error_json;
  ASSERT_TRUE(absl::Base64Unescape(answer.trailers[1].second, &error_json));
  simdjson::dom::parser parser;
  const simdjson::dom::element doc = ParseJson(parser, error_json);
  EXPECT_EQ(static_cast<std::string_view>(doc["errorType"]), "Function.ResponseSizeTooLarge");
  EXPECT_THAT(std::string{static_cast<std::string_view>(doc["errorMessage"])},
              ::testing::HasSubstr(absl::StrCat(kStreamLimit)));
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, FirstWritePastTheStreamLimitIsReportedOnTheErrorEndpoint) {
  StartEmulator();
  emulator().Enqueue(StreamEvent(
      "req-huge", absl::StrCat(R"({"chunks":1,"bytes":)", kStreamLimit + 1, R"(,"delay_ms":0})")));
  StartBootstrap("stream");
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  const auto record = emulator().record("req-huge");
  ASSERT_EQ(record->answers.size(), 1u);
  const emulator::Answer& answer = record->answers[0];
  ExpectPlainErrorAnswer(answer, "Function.ResponseSizeTooLarge");  // nothing was streamed
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, HttpStreamStartsWithTheExactPrelude) {
  StartEmulator();
  emulator().Enqueue(StreamEvent("req-http", R"({"chunks":2,"bytes":3,"http":true})"));
  StartBootstrap("stream");
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  const emulator::Answer answer = emulator().record("req-http")->answers.at(0);
  EXPECT_EQ(answer.status_returned, 202);
  EXPECT_EQ(answer.content_type, "application/vnd.awslambda.http-integration-response");
  EXPECT_EQ(answer.body,
            std::string(R"({"statusCode":200,"headers":{"Content-Type":"text/plain"}})") +
                std::string(8, '\0') + "aaabbb");
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, FourConcurrentStreamsDoNotWaitForEachOther) {
  StartEmulator();
  const std::vector<std::string> ids = EnqueueMany(R"({"chunks":4,"bytes":100,"delay_ms":100})", 4);
  StartBootstrap("stream", {"AWS_LAMBDA_MAX_CONCURRENCY=4"});
  ASSERT_TRUE(emulator().WaitForClosed(4, kWait));
  // Each stream lasts from its first chunk to its last (300 ms of writes). Streams served one
  // after another would have disjoint intervals; concurrent ones all overlap: the latest first
  // chunk arrives before the earliest last chunk.
  absl::Time latest_first = absl::InfinitePast();
  absl::Time earliest_last = absl::InfiniteFuture();
  for (const emulator::InvocationRecord& record : emulator().records()) {
    ASSERT_EQ(record.answers.size(), 1u);
    const emulator::Answer& answer = record.answers[0];
    EXPECT_EQ(answer.status_returned, 202);
    ASSERT_EQ(answer.chunks.size(), 4u);
    latest_first = std::max(latest_first, answer.chunks.front().arrived_at);
    earliest_last = std::min(earliest_last, answer.chunks.back().arrived_at);
  }
  EXPECT_LT(latest_first, earliest_last);
  EXPECT_EQ(emulator().stats().max_in_flight, 4u);
  EXPECT_EQ(Terminate().code, 0);
}

}  // namespace
}  // namespace lmc::integration
