#include "functions/token_stream/token_stream.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "handlers/events/event_fixture.h"
#include "handlers/http/recording_stream.h"
#include "lmc/testing/handler_harness.h"
#include "simdjson.h"

namespace lmc::examples {
namespace {

std::string FunctionUrlEvent(const std::string& body_json_string) {
  return absl::StrCat(
      R"({"version":"2.0","routeKey":"$default","rawPath":"/","rawQueryString":"",)"
      R"("headers":{"content-type":"application/json"},"requestContext":{)"
      R"("domainName":"abc.lambda-url.us-east-1.on.aws","http":{"method":"POST","path":"/"},)"
      R"("requestId":"r","stage":"$default"},"body":)",
      body_json_string, R"(,"isBase64Encoded":false})");
}

// Streams `event` through the router; `ok` receives whether the invocation succeeded.
http::RecordingStream Stream(const http::Router& router, std::string event, bool* ok) {
  http::RecordingStream stream;
  lmc::testing::Invocation invocation;
  invocation.event = std::move(event);
  lmc::testing::Invoke(
      [&](const lmc::Event& e, const lmc::Context& c) -> lmc::Result {
        *ok = router.HandleStream(e, c, stream).ok();
        return lmc::Response::Json("null");
      },
      invocation);
  return stream;
}

class TokenStreamTest : public ::testing::Test {
 protected:
  TokenStreamTest() { AddTokenStreamRoutes(router_); }
  http::Router router_;
};

TEST_F(TokenStreamTest, StreamsOneEventPerTokenThenDone) {
  bool ok = false;
  http::RecordingStream stream =
      Stream(router_, FunctionUrlEvent(R"("{\"prompt\":\"tell me a story\",\"tokens\":5}")"), &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(stream.content_type, kHttpIntegrationContentType);
  simdjson::dom::parser parser;
  simdjson::dom::element prelude;
  ASSERT_EQ(parser.parse(stream.Prelude()).get(prelude), simdjson::SUCCESS) << stream.Prelude();
  EXPECT_EQ(int64_t(prelude["statusCode"]), 200);
  EXPECT_EQ(std::string_view(prelude["headers"]["Content-Type"]), "text/event-stream");
  EXPECT_EQ(stream.Body(),
            "data: tell\n\ndata: me\n\ndata: a\n\ndata: story\n\ndata: tell\n\ndata: [DONE]\n\n");
  // One write per event: the prelude, 5 tokens, [DONE].
  ASSERT_EQ(stream.writes.size(), 7u);
  EXPECT_EQ(stream.writes[1], "data: tell\n\n");
  EXPECT_EQ(stream.writes[6], "data: [DONE]\n\n");
}

TEST_F(TokenStreamTest, ZeroTokensSendOnlyDone) {
  bool ok = false;
  http::RecordingStream stream =
      Stream(router_, FunctionUrlEvent(R"("{\"prompt\":\"\",\"tokens\":0}")"), &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(stream.Body(), "data: [DONE]\n\n");
}

TEST_F(TokenStreamTest, BadRequestsAre400BeforeAnyEvent) {
  for (const char* body : {R"("{\"prompt\":\"x\"}")", R"("{\"prompt\":\"x\",\"tokens\":-1}")",
                           R"("[1]")", R"("nope")", "null"}) {
    bool ok = false;
    http::RecordingStream stream = Stream(router_, FunctionUrlEvent(body), &ok);
    EXPECT_TRUE(ok) << body;
    EXPECT_NE(stream.Prelude().find(R"("statusCode":400)"), std::string::npos) << body;
    EXPECT_NE(stream.Body().find(R"("message")"), std::string::npos) << body;
  }
}

TEST_F(TokenStreamTest, AnswersBufferedInvocationsWithTheWholeStream) {
  lmc::testing::Invocation invocation;
  invocation.event = FunctionUrlEvent(R"("{\"prompt\":\"hi\",\"tokens\":2}")");
  lmc::testing::Outcome outcome = lmc::testing::Invoke(router_.AsHandler(), invocation);
  ASSERT_TRUE(outcome.result.ok());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(outcome.body).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["body"]), "data: hi\n\ndata: hi\n\ndata: [DONE]\n\n");
  EXPECT_EQ(std::string_view(doc["headers"]["Content-Type"]), "text/event-stream");
}

TEST(TokenAt, CyclesThroughTheWords) {
  const std::vector<std::string_view> words = {"a", "b"};
  EXPECT_EQ(TokenAt(words, 0), "a");
  EXPECT_EQ(TokenAt(words, 3), "b");
  EXPECT_EQ(TokenAt({}, 1), "...");
}

}  // namespace
}  // namespace lmc::examples
