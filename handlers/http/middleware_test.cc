#include "handlers/http/middleware.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lmc/testing/handler_harness.h"
#include "simdjson.h"

namespace lmc::http {
namespace {

std::string Event(const std::string& method, const std::string& headers) {
  return absl::StrCat(R"({"version":"2.0","rawPath":"/items","headers":{)", headers,
                      R"(},"requestContext":{"http":{"method":")", method, R"("}}})");
}

Router ItemsWith(std::shared_ptr<const Middleware> middleware) {
  Router router;
  router.Use(std::move(middleware));
  router.Get("/items", [](const RouteRequest&) -> absl::StatusOr<HttpResponse> {
    return HttpResponse::Json(200, "[]");
  });
  return router;
}

lmc::testing::Outcome Call(const Router& router, std::string event) {
  lmc::testing::Invocation invocation;
  invocation.event = std::move(event);
  return lmc::testing::Invoke(router.AsHandler(), invocation);
}

TEST(CorsMiddleware, AnswersPreflightRequestsWithoutRouting) {
  CorsOptions options;
  options.allowed_origins = {"https://app.example.com"};
  const Router router = ItemsWith(std::make_shared<CorsMiddleware>(options));
  lmc::testing::Outcome outcome =
      Call(router, Event("OPTIONS", R"("origin":"https://app.example.com",)"
                                    R"("access-control-request-method":"POST")"));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(outcome.body).get(doc), simdjson::SUCCESS) << outcome.body;
  EXPECT_EQ(int64_t(doc["statusCode"]), 204);
  EXPECT_EQ(std::string_view(doc["headers"]["Access-Control-Allow-Origin"]),
            "https://app.example.com");
  EXPECT_EQ(std::string_view(doc["headers"]["Access-Control-Allow-Methods"]),
            CorsOptions().allowed_methods);
  EXPECT_EQ(std::string_view(doc["headers"]["Vary"]), "Origin");
}

TEST(CorsMiddleware, AddsTheOriginHeaderOnlyForAllowedOrigins) {
  CorsOptions options;
  options.allowed_origins = {"https://app.example.com"};
  const Router router = ItemsWith(std::make_shared<CorsMiddleware>(options));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  lmc::testing::Outcome allowed =
      Call(router, Event("GET", R"("origin":"https://app.example.com")"));
  ASSERT_EQ(parser.parse(allowed.body).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["headers"]["Access-Control-Allow-Origin"]),
            "https://app.example.com");
  lmc::testing::Outcome other = Call(router, Event("GET", R"("origin":"https://evil.example")"));
  ASSERT_EQ(parser.parse(other.body).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(doc["headers"]["Access-Control-Allow-Origin"].error(), simdjson::NO_SUCH_FIELD);
  // Without Access-Control-Request-Method an OPTIONS request is routed like any other (405).
  lmc::testing::Outcome options_only = Call(router, Event("OPTIONS", R"("origin":"x")"));
  ASSERT_EQ(parser.parse(options_only.body).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(int64_t(doc["statusCode"]), 405);
}

TEST(LoggingMiddleware, LogsOneLinePerRequestWithItsStatus) {
  const Router router = ItemsWith(std::make_shared<LoggingMiddleware>());
  lmc::testing::Outcome outcome = Call(router, Event("GET", R"("a":"b")"));
  EXPECT_NE(outcome.logs.find("GET /items -> 200 (2 bytes"), std::string::npos) << outcome.logs;
  outcome = Call(router, Event("DELETE", R"("a":"b")"));
  EXPECT_NE(outcome.logs.find("DELETE /items -> 405"), std::string::npos) << outcome.logs;
}

}  // namespace
}  // namespace lmc::http
