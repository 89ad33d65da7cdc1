#include "handlers/events/http_event.h"

#include "gtest/gtest.h"
#include "handlers/events/event_fixture.h"

namespace lmc::events {
namespace {

using Views = std::vector<std::string_view>;

TEST(HttpEvent, ParsesApiGatewayRestRequestsWithMultiValueHeadersAndQuery) {
  OwnedEvent owned(ReadFixture("apigw_v1.json"));
  absl::StatusOr<HttpRequest> r = ParseHttpRequest(owned.event());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->source, HttpSource::kApiGatewayRest);
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->path, "/items/42");
  EXPECT_EQ(r->resource, "/items/{id}");
  EXPECT_EQ(r->Header("x-forwarded-for"), "203.0.113.9, 10.0.0.1");
  EXPECT_EQ(r->headers.GetAll("x-tag"), (Views{"first", "second"}));
  EXPECT_EQ(r->query.GetAll("tag"), (Views{"a", "b"}));
  EXPECT_EQ(r->path_parameters.Get("id"), "42");
  EXPECT_EQ(r->stage_variables.Get("table"), "items-prod");
  EXPECT_EQ(r->cookies, (Views{"session=abc123", "theme=dark"}));
  EXPECT_EQ(r->Cookie("theme"), "dark");
  EXPECT_EQ(r->Cookie("them"), std::nullopt);
  EXPECT_EQ(r->request_id, "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
  EXPECT_EQ(r->source_ip, "203.0.113.9");
  EXPECT_EQ(r->user_agent, "curl/8.5.0");
  EXPECT_EQ(r->stage, "prod");
  EXPECT_EQ(r->time_epoch_ms, 1428582896000);
  EXPECT_EQ(r->body, "");
  EXPECT_TRUE(ParseApiGatewayV1Request(owned.event()).ok());
  EXPECT_FALSE(ParseApiGatewayV2Request(owned.event()).ok());
}

TEST(HttpEvent, ParsesHttpApiRequestsStrippingTheStageAndDecodingBase64OnRequest) {
  OwnedEvent owned(ReadFixture("apigw_v2.json"));
  absl::StatusOr<HttpRequest> r = ParseHttpRequest(owned.event());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->source, HttpSource::kApiGatewayHttp);
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->path, "/items");
  EXPECT_EQ(r->raw_query, "tag=a&tag=b&q=caf%C3%A9");
  EXPECT_EQ(r->Query("q"), "caf\xc3\xa9");
  EXPECT_EQ(r->Query("tag"), "a,b");
  EXPECT_EQ(r->Header("Content-Type"), "application/json");
  EXPECT_EQ(r->cookies, (Views{"session=abc123", "theme=dark"}));
  EXPECT_EQ(r->route_key, "ANY /{proxy+}");
  EXPECT_EQ(r->source_ip, "205.255.255.176");
  EXPECT_EQ(r->time_epoch_ms, 1583817383220);
  EXPECT_NE(r->authorizer_json.find("items:write"), std::string::npos);
  EXPECT_TRUE(r->is_base64_encoded);
  EXPECT_EQ(r->body, "eyJuYW1lIjoid2lkZ2V0In0=");
  absl::StatusOr<std::string> body = r->DecodedBody();
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, R"({"name":"widget"})");
  EXPECT_TRUE(ParseApiGatewayV2Request(owned.event()).ok());
  EXPECT_FALSE(ParseFunctionUrlRequest(owned.event()).ok());
}

TEST(HttpEvent, RecognisesFunctionUrlsByTheirDomain) {
  OwnedEvent owned(ReadFixture("function_url.json"));
  absl::StatusOr<HttpRequest> r = ParseFunctionUrlRequest(owned.event());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->source, HttpSource::kFunctionUrl);
  EXPECT_EQ(r->path, "/stream");
  EXPECT_EQ(r->body, R"({"prompt":"tell me a story","tokens":3})");
  EXPECT_FALSE(r->is_base64_encoded);
  EXPECT_EQ(*r->DecodedBody(), r->body);
  // The 2.0 shape is the same, so an HTTP API parser accepts it.
  EXPECT_TRUE(ParseApiGatewayV2Request(owned.event()).ok());
}

TEST(HttpEvent, ParsesAlbRequestsInBothHeaderModes) {
  OwnedEvent single(ReadFixture("alb.json"));
  absl::StatusOr<HttpRequest> r = ParseAlbRequest(single.event());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->source, HttpSource::kAlb);
  EXPECT_FALSE(r->alb_multi_value);
  EXPECT_EQ(r->Query("q"), "a%20b");  // ALB passes the query as the client encoded it
  EXPECT_EQ(r->Cookie("session"), "abc123");
  EXPECT_EQ(r->target_group_arn.substr(0, 30), "arn:aws:elasticloadbalancing:u");

  OwnedEvent multi(ReadFixture("alb_multi_value.json"));
  r = ParseAlbRequest(multi.event());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->alb_multi_value);
  EXPECT_EQ(r->method, "DELETE");
  EXPECT_EQ(r->Query("force"), "true");
  EXPECT_EQ(r->cookies, (Views{"a=1", "b=2", "c=3"}));
}

TEST(HttpEvent, RejectsOtherEventsAndWrongShapes) {
  OwnedEvent sqs(ReadFixture("sqs.json"));
  absl::Status status = ParseHttpRequest(sqs.event()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("HTTP event"), std::string::npos) << status;
  for (const char* json : {
           R"({"httpMethod":"GET"})",                                     // no path
           R"({"httpMethod":"GET","path":"/","headers":{"a":1}})",        // header not a string
           R"({"httpMethod":"GET","path":"/","isBase64Encoded":"yes"})",  // not a bool
           R"({"version":"2.0","rawPath":"/"})",                          // no requestContext.http
           "not json",
       }) {
    OwnedEvent owned(json);
    EXPECT_EQ(ParseHttpRequest(owned.event()).status().code(), absl::StatusCode::kInvalidArgument)
        << json;
  }
}

TEST(HttpEvent, MalformedBase64BodiesFailOnlyWhenDecoded) {
  OwnedEvent owned(R"({"httpMethod":"POST","path":"/","body":"!!!","isBase64Encoded":true})");
  absl::StatusOr<HttpRequest> r = ParseHttpRequest(owned.event());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->DecodedBody().status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lmc::events
