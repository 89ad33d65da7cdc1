// example-token-stream end to end: the real executable against the Runtime API emulator at
// concurrency 8, streamed ("token-stream") and buffered ("token-stream-buffered").
#include <stdlib.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "functions/token_stream/token_stream.h"
#include "gtest/gtest.h"
#include "tests/support/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

constexpr int kRequests = 16;
constexpr int kTokens = 20;

std::string FunctionUrlEvent(int tokens) {
  return absl::StrCat(
      R"({"version":"2.0","routeKey":"$default","rawPath":"/","rawQueryString":"",)"
      R"("headers":{"content-type":"application/json"},"requestContext":{)"
      R"("domainName":"abc.lambda-url.us-east-1.on.aws","http":{"method":"POST","path":"/"},)"
      R"("requestId":"r","stage":"$default"},"body":"{\"prompt\":\"one two\",\"tokens\":)",
      tokens, R"(}","isBase64Encoded":false})");
}

std::string ExpectedEvents(int tokens) {
  std::string out;
  for (int i = 0; i < tokens; ++i) out += i % 2 == 0 ? "data: one\n\n" : "data: two\n\n";
  return out + "data: [DONE]\n\n";
}

class TokenStreamIntegrationTest : public BootstrapTest {
 protected:
  // Before any of the suite's threads start; NOLINTNEXTLINE(concurrency-mt-unsafe)
  static void SetUpTestSuite() { ::setenv("LMC_TEST_BOOTSTRAP", LMC_EXAMPLE_TOKEN_STREAM_PATH, 1); }
};

TEST_F(TokenStreamIntegrationTest, StreamsServerSentEventsAtConcurrencyEight) {
  StartEmulator();
  for (int i = 0; i < kRequests; ++i) emulator().Enqueue({.body = FunctionUrlEvent(kTokens)});
  StartBootstrap("token-stream", {"AWS_LAMBDA_MAX_CONCURRENCY=8"});
  ASSERT_TRUE(emulator().WaitForClosed(kRequests, kWait));
  for (const emulator::InvocationRecord& record : emulator().records()) {
    ASSERT_EQ(record.answers.size(), 1u);
    const emulator::Answer& answer = record.answers[0];
    ASSERT_TRUE(answer.chunked) << answer.body.substr(0, 200);
    EXPECT_EQ(answer.status_returned, 202);
    EXPECT_EQ(answer.content_type, "application/vnd.awslambda.http-integration-response");
    const size_t nuls = answer.body.find(std::string(8, '\0'));
    ASSERT_NE(nuls, std::string::npos) << answer.body;
    simdjson::dom::parser parser;
    simdjson::dom::element prelude = ParseJson(parser, answer.body.substr(0, nuls));
    EXPECT_EQ(static_cast<int64_t>(prelude["statusCode"]), 200);
    EXPECT_EQ(static_cast<std::string_view>(prelude["headers"]["Content-Type"]),
              "text/event-stream");
    EXPECT_EQ(answer.body.substr(nuls + 8), ExpectedEvents(kTokens));
    // Incremental arrival: every event is its own chunk (the prelude may share the first), and
    // the chunks arrive spread like the writes, which are kTokenInterval apart; a runtime that
    // held the stream back would deliver it in one piece at the end.
    EXPECT_GE(answer.chunks.size(), static_cast<size_t>(kTokens) + 1);
    ASSERT_FALSE(answer.chunks.empty());
    EXPECT_GE(answer.chunks.back().arrived_at - answer.chunks.front().arrived_at,
              absl::FromChrono(examples::kTokenInterval) * (kTokens - 1) / 2);
    EXPECT_TRUE(answer.trailers.empty() ||
                answer.FindHeader("lambda-runtime-function-error-type") == nullptr);
  }
  EXPECT_GT(emulator().stats().max_in_flight, 1u);
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(TokenStreamIntegrationTest, TheBufferedHandlerAnswersTheSameEventsWhole) {
  StartEmulator();
  for (int i = 0; i < kRequests; ++i) emulator().Enqueue({.body = FunctionUrlEvent(3)});
  StartBootstrap("token-stream-buffered", {"AWS_LAMBDA_MAX_CONCURRENCY=8"});
  ASSERT_TRUE(emulator().WaitForClosed(kRequests, kWait));
  for (const emulator::InvocationRecord& record : emulator().records()) {
    ASSERT_EQ(record.answers.size(), 1u);
    simdjson::dom::parser parser;
    simdjson::dom::element doc = ParseJson(parser, record.answers[0].body);
    EXPECT_EQ(static_cast<int64_t>(doc["statusCode"]), 200);
    EXPECT_EQ(static_cast<std::string_view>(doc["body"]), ExpectedEvents(3));
  }
  EXPECT_EQ(Terminate().code, 0);
}

}  // namespace
}  // namespace lmc::integration
