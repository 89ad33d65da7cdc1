#include "functions/rest_api/rest_api.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lmc/json.h"
#include "lmc/strings.h"
#include "lmc/testing/handler_harness.h"
#include "simdjson.h"

namespace lmc::examples {
namespace {

enum class Shape { kRest, kHttpApi, kFunctionUrl, kAlb };

// An event of `shape` for `method` `path` with `body` ("" for none).
std::string MakeEvent(Shape shape, const std::string& method, const std::string& path,
                      const std::string& body = "", bool base64 = false) {
  const std::string body_json = body.empty() ? "null" : JsonQuote(body);
  const std::string tail =
      absl::StrCat(R"("body":)", body_json, R"(,"isBase64Encoded":)", base64 ? "true" : "false");
  switch (shape) {
    case Shape::kRest:
      return absl::StrCat(R"({"resource":"/{proxy+}","path":")", path, R"(","httpMethod":")",
                          method, R"(","headers":{"Content-Type":"application/json"},)",
                          R"("multiValueHeaders":{"Content-Type":["application/json"]},)",
                          R"("requestContext":{"requestId":"r","stage":"prod"},)", tail, "}");
    case Shape::kHttpApi:
    case Shape::kFunctionUrl:
      return absl::StrCat(R"({"version":"2.0","routeKey":"$default","rawPath":")", path,
                          R"(","rawQueryString":"","headers":{"content-type":"application/json"},)",
                          R"("requestContext":{"domainName":")",
                          shape == Shape::kFunctionUrl ? "abc.lambda-url.us-east-1.on.aws"
                                                       : "abc.execute-api.us-east-1.amazonaws.com",
                          R"(","http":{"method":")", method, R"(","path":")", path,
                          R"("},"requestId":"r","stage":"$default"},)", tail, "}");
    case Shape::kAlb:
      return absl::StrCat(R"({"requestContext":{"elb":{"targetGroupArn":"arn:tg"}},"httpMethod":")",
                          method, R"(","path":")", path,
                          R"(","headers":{"content-type":"application/json"},)", tail, "}");
  }
  return "";
}

struct Reply {
  int64_t status = 0;
  std::string body;
  std::string allow;
};

class RestApiTest : public ::testing::Test {
 protected:
  RestApiTest() { AddRestApiRoutes(router_, store_); }

  Reply Call(Shape shape, const std::string& method, const std::string& path,
             const std::string& body = "", bool base64 = false) {
    lmc::testing::Invocation invocation;
    invocation.event = MakeEvent(shape, method, path, body, base64);
    lmc::testing::Outcome outcome = lmc::testing::Invoke(router_.AsHandler(), invocation);
    Reply reply;
    EXPECT_TRUE(outcome.result.ok());
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(outcome.body).get(doc) != simdjson::SUCCESS) {
      ADD_FAILURE() << outcome.body;
      return reply;
    }
    reply.status = static_cast<int64_t>(doc["statusCode"]);
    std::string_view text;
    if (doc["body"].get(text) == simdjson::SUCCESS) reply.body = std::string(text);
    if (doc["headers"]["Allow"].get(text) == simdjson::SUCCESS) reply.allow = std::string(text);
    simdjson::dom::array values;
    if (doc["multiValueHeaders"]["Allow"].get(values) == simdjson::SUCCESS) {
      reply.allow = std::string{static_cast<std::string_view>(values.at(0))};
    }
    return reply;
  }

  ItemStore store_;
  http::Router router_;
};

TEST_F(RestApiTest, CreatesListsReadsReplacesAndDeletesItems) {
  Reply created = Call(Shape::kHttpApi, "POST", "/items", R"({"name":"widget","n":2})");
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.body, R"({"id":"1","name":"widget","n":2})");
  EXPECT_EQ(Call(Shape::kHttpApi, "GET", "/items/1").body, created.body);
  EXPECT_EQ(Call(Shape::kHttpApi, "GET", "/items").body,
            absl::StrCat(R"({"items":[)", created.body, "]}"));
  Reply replaced = Call(Shape::kHttpApi, "PUT", "/items/1", R"({"id":"9","name":"gadget"})");
  EXPECT_EQ(replaced.status, 200);
  EXPECT_EQ(replaced.body, R"({"id":"1","name":"gadget"})");
  EXPECT_EQ(Call(Shape::kHttpApi, "DELETE", "/items/1").status, 204);
  EXPECT_EQ(Call(Shape::kHttpApi, "GET", "/items/1").status, 404);
  EXPECT_EQ(Call(Shape::kHttpApi, "DELETE", "/items/1").status, 404);
  EXPECT_EQ(Call(Shape::kHttpApi, "PUT", "/items/1", "{}").status, 404);
  EXPECT_EQ(Call(Shape::kHttpApi, "GET", "/items").body, R"({"items":[]})");
}

TEST_F(RestApiTest, AnswersEverySourceAlike) {
  for (Shape shape : {Shape::kRest, Shape::kHttpApi, Shape::kFunctionUrl, Shape::kAlb}) {
    Reply created = Call(shape, "POST", "/items", R"({"k":"v"})");
    EXPECT_EQ(created.status, 201);
    const std::string id = std::to_string(store_.size());
    EXPECT_EQ(created.body, absl::StrCat(R"({"id":")", id, R"(","k":"v"})"));
    EXPECT_EQ(Call(shape, "GET", absl::StrCat("/items/", id)).body, created.body);
    EXPECT_EQ(Call(shape, "PATCH", "/items").allow, "GET, POST");
  }
}

TEST_F(RestApiTest, AcceptsBase64EncodedBodies) {
  std::string encoded;
  absl::Base64Escape(R"({"bin":true})", &encoded);
  Reply created = Call(Shape::kHttpApi, "POST", "/items", encoded, /*base64=*/true);
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.body, R"({"id":"1","bin":true})");
}

TEST_F(RestApiTest, RejectsInvalidBodiesWith400AndUnknownRoutesWith404Or405) {
  Reply bad = Call(Shape::kHttpApi, "POST", "/items", "{not json");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, R"({"message":"the body is not valid JSON"})");
  EXPECT_EQ(Call(Shape::kHttpApi, "POST", "/items", "[1]").body,
            R"({"message":"the body must be a JSON object"})");
  EXPECT_EQ(Call(Shape::kHttpApi, "POST", "/items").status, 400);
  EXPECT_EQ(store_.size(), 0u);
  Reply wrong = Call(Shape::kRest, "POST", "/items/3", "{}");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.allow, "DELETE, GET, PUT");
  Reply missing = Call(Shape::kAlb, "GET", "/users");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, R"({"message":"Not Found"})");
  EXPECT_EQ(Call(Shape::kHttpApi, "GET", "/items/abc").status, 404);
}

TEST(ItemStore, ConcurrentCreatesGetDistinctIdsAndAreAllKept) {
  ItemStore store;
  constexpr int kThreads = 8;
  constexpr int kEach = 200;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        store.Create([](std::string_view id) {
          return absl::StrCat(R"({"id":")", lmc::AsAbsl(id), R"("})");
        });
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(store.size(), size_t{kThreads} * kEach);
  const std::vector<std::string> items = store.List();
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i], absl::StrCat(R"({"id":")", i + 1, R"("})"));
  }
}

}  // namespace
}  // namespace lmc::examples
