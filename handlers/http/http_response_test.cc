#include "handlers/http/http_response.h"

#include "gtest/gtest.h"
#include "handlers/events/event_fixture.h"
#include "simdjson.h"

namespace lmc::http {
namespace {

using events::HttpRequest;
using events::HttpSource;

HttpRequest From(HttpSource source, bool alb_multi_value = false) {
  HttpRequest request;
  request.source = source;
  request.alb_multi_value = alb_multi_value;
  return request;
}

HttpResponse Sample() {
  HttpResponse response = HttpResponse::Json(201, R"({"id":"7"})");
  response.AddHeader("X-Tag", "a").AddHeader("x-tag", "b");
  response.cookies = {"s=1; HttpOnly", "t=2"};
  return response;
}

simdjson::dom::element Parse(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::element element;
  EXPECT_EQ(parser.parse(json).get(element), simdjson::SUCCESS) << json;
  return element;
}

TEST(HttpResponse, EncodesPayload2WithJoinedHeadersAndCookies) {
  simdjson::dom::parser parser;
  const std::string json = EncodeBufferedResponse(Sample(), From(HttpSource::kFunctionUrl));
  simdjson::dom::element doc = Parse(parser, json);
  EXPECT_EQ(int64_t(doc["statusCode"]), 201);
  EXPECT_EQ(std::string_view(doc["headers"]["X-Tag"]), "a,b");
  EXPECT_EQ(std::string_view(doc["headers"]["Content-Type"]), "application/json");
  EXPECT_EQ(simdjson::dom::array(doc["cookies"]).size(), 2u);
  EXPECT_EQ(std::string_view(doc["body"]), R"({"id":"7"})");
  EXPECT_FALSE(bool(doc["isBase64Encoded"]));
  EXPECT_EQ(json, EncodeBufferedResponse(Sample(), From(HttpSource::kApiGatewayHttp)));
}

TEST(HttpResponse, EncodesRestApiWithRepeatedHeadersAndCookiesAsMultiValue) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc =
      Parse(parser, EncodeBufferedResponse(Sample(), From(HttpSource::kApiGatewayRest)));
  EXPECT_EQ(std::string_view(doc["headers"]["Content-Type"]), "application/json");
  EXPECT_EQ(doc["headers"]["X-Tag"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(simdjson::dom::array(doc["multiValueHeaders"]["X-Tag"]).size(), 2u);
  EXPECT_EQ(std::string_view(doc["multiValueHeaders"]["Set-Cookie"].at(1)), "t=2");
  EXPECT_EQ(doc["cookies"].error(), simdjson::NO_SUCH_FIELD);
}

TEST(HttpResponse, EncodesAlbWithStatusDescriptionInTheRequestsHeaderMode) {
  simdjson::dom::parser parser;
  simdjson::dom::element single =
      Parse(parser, EncodeBufferedResponse(Sample(), From(HttpSource::kAlb)));
  EXPECT_EQ(std::string_view(single["statusDescription"]), "201 Created");
  EXPECT_EQ(std::string_view(single["headers"]["X-Tag"]), "a, b");
  EXPECT_EQ(std::string_view(single["headers"]["Set-Cookie"]), "s=1; HttpOnly");
  EXPECT_EQ(single["multiValueHeaders"].error(), simdjson::NO_SUCH_FIELD);

  simdjson::dom::parser parser2;
  simdjson::dom::element multi =
      Parse(parser2, EncodeBufferedResponse(Sample(), From(HttpSource::kAlb, true)));
  EXPECT_EQ(multi["headers"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(simdjson::dom::array(multi["multiValueHeaders"]["Set-Cookie"]).size(), 2u);
  EXPECT_EQ(std::string_view(multi["multiValueHeaders"]["Content-Type"].at(0)), "application/json");
}

TEST(HttpResponse, BinaryAndNonUtf8BodiesAreBase64Encoded) {
  simdjson::dom::parser parser;
  HttpResponse png = HttpResponse::Binary(200, std::string("\x89PNG\r\n", 6), "image/png");
  simdjson::dom::element doc =
      Parse(parser, EncodeBufferedResponse(png, From(HttpSource::kApiGatewayHttp)));
  EXPECT_TRUE(bool(doc["isBase64Encoded"]));
  EXPECT_EQ(std::string_view(doc["body"]), "iVBORw0K");

  simdjson::dom::parser parser2;
  HttpResponse stray = HttpResponse::Text(200, std::string("ok\xff", 3));
  doc = Parse(parser2, EncodeBufferedResponse(stray, From(HttpSource::kApiGatewayRest)));
  EXPECT_TRUE(bool(doc["isBase64Encoded"]));
  EXPECT_EQ(std::string_view(doc["body"]), "b2v/");
}

TEST(HttpResponse, StreamPreludeJoinsHeadersAndDropsContentLength) {
  HttpResponse response = Sample();
  response.AddHeader("Content-Length", "10");
  const HttpStreamPrelude prelude = StreamPrelude(response);
  EXPECT_EQ(prelude.status_code, 201);
  ASSERT_EQ(prelude.headers.size(), 2u);
  EXPECT_EQ(prelude.headers[1], (std::pair<std::string, std::string>{"X-Tag", "a,b"}));
  EXPECT_EQ(prelude.cookies, response.cookies);
}

TEST(HttpResponse, SetHeaderReplacesEveryCaseVariant) {
  HttpResponse response = HttpResponse::Empty(204);
  response.AddHeader("allow", "GET").AddHeader("Allow", "PUT").SetHeader("ALLOW", "POST");
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.Header("allow"), "POST");
  EXPECT_EQ(std::string(ReasonPhrase(405)), "Method Not Allowed");
}

}  // namespace
}  // namespace lmc::http
