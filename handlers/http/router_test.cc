#include "handlers/http/router.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "handlers/events/event_fixture.h"
#include "handlers/http/recording_stream.h"
#include "lmc/status_macros.h"
#include "lmc/strings.h"
#include "lmc/testing/handler_harness.h"
#include "simdjson.h"

namespace lmc::http {
namespace {

using events::ReadFixture;

// An API Gateway v2 event for `method` and `path` with `body`.
std::string V2Event(const std::string& method, const std::string& path,
                    const std::string& body = "", const std::string& extra_headers = "") {
  return absl::StrCat(R"({"version":"2.0","routeKey":"$default","rawPath":")", path,
                      R"(","rawQueryString":"","headers":{"content-type":"application/json")",
                      extra_headers, R"(},"requestContext":{"http":{"method":")", method,
                      R"(","path":")", path, R"("},"requestId":"r1","stage":"$default"},"body":)",
                      body.empty() ? "null" : body, R"(,"isBase64Encoded":false})");
}

// Runs `router` buffered on `event`; returns the Lambda response body.
std::string CallForBody(const Router& router, std::string event) {
  lmc::testing::Invocation invocation;
  invocation.event = std::move(event);
  lmc::testing::Outcome outcome = lmc::testing::Invoke(router.AsHandler(), invocation);
  EXPECT_TRUE(outcome.result.ok()) << (outcome.result.ok() ? "" : outcome.result.error().message());
  return outcome.body;
}

struct Answer {
  int64_t status = 0;
  std::string body;
  std::string allow;
  bool base64 = false;
};

Answer Decode(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  Answer answer;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) {
    ADD_FAILURE() << "not JSON: " << json;
    return answer;
  }
  answer.status = static_cast<int64_t>(doc["statusCode"]);
  answer.body = std::string{static_cast<std::string_view>(doc["body"])};
  answer.base64 = static_cast<bool>(doc["isBase64Encoded"]);
  std::string_view allow;
  if (doc["headers"]["Allow"].get(allow) == simdjson::SUCCESS) answer.allow = std::string(allow);
  return answer;
}

Router ItemsRouter() {
  Router router;
  router.Get("/items", [](const RouteRequest&) -> absl::StatusOr<HttpResponse> {
    return HttpResponse::Json(200, R"({"items":[]})");
  });
  router.Get("/items/{id}", [](const RouteRequest& r) -> absl::StatusOr<HttpResponse> {
    if (*r.Param("id") == "missing") return absl::NotFoundError("no such item");
    return HttpResponse::Json(200, absl::StrCat(R"({"id":")", AsAbsl(*r.Param("id")), R"("})"));
  });
  router.Get("/items/new", [](const RouteRequest&) -> absl::StatusOr<HttpResponse> {
    return HttpResponse::Text(200, "form");
  });
  router.Delete("/items/{id}", [](const RouteRequest&) -> absl::StatusOr<HttpResponse> {
    return HttpResponse::Empty(204);
  });
  router.Post("/items", [](const RouteRequest& r) -> absl::StatusOr<HttpResponse> {
    if (r.http.body.empty()) return absl::InvalidArgumentError("a body is required");
    return HttpResponse::Json(201, std::string(r.http.body));
  });
  router.Get("/files/{path+}", [](const RouteRequest& r) -> absl::StatusOr<HttpResponse> {
    return HttpResponse::Text(200, std::string(*r.Param("path")));
  });
  router.Get("/boom", [](const RouteRequest&) -> absl::StatusOr<HttpResponse> {
    return absl::InternalError("secret detail");
  });
  return router;
}

TEST(Router, RoutesByMethodAndTemplatePreferringTheMostSpecific) {
  const Router router = ItemsRouter();
  EXPECT_EQ(Decode(CallForBody(router, V2Event("GET", "/items/42"))).body, R"({"id":"42"})");
  EXPECT_EQ(Decode(CallForBody(router, V2Event("GET", "/items/new"))).body, "form");
  EXPECT_EQ(Decode(CallForBody(router, V2Event("GET", "/items"))).body, R"({"items":[]})");
  EXPECT_EQ(Decode(CallForBody(router, V2Event("GET", "/files/a/b.txt"))).body, "a/b.txt");
  EXPECT_EQ(Decode(CallForBody(router, V2Event("DELETE", "/items/42"))).status, 204);
}

TEST(Router, UnknownPathsAre404AndOtherMethodsAre405WithAllow) {
  const Router router = ItemsRouter();
  Answer missing = Decode(CallForBody(router, V2Event("GET", "/nothing")));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, R"({"message":"Not Found"})");
  Answer wrong = Decode(CallForBody(router, V2Event("PATCH", "/items/42")));
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.allow, "DELETE, GET");
  EXPECT_EQ(wrong.body, R"({"message":"Method Not Allowed"})");
  EXPECT_EQ(Decode(CallForBody(router, V2Event("PUT", "/items"))).allow, "GET, POST");
}

TEST(Router, RouteErrorsBecomeHttpStatusesWithoutLeakingInternals) {
  const Router router = ItemsRouter();
  Answer not_found = Decode(CallForBody(router, V2Event("GET", "/items/missing")));
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(not_found.body, R"({"message":"no such item"})");
  Answer bad = Decode(CallForBody(router, V2Event("POST", "/items")));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, R"({"message":"a body is required"})");
  Answer boom = Decode(CallForBody(router, V2Event("GET", "/boom")));
  EXPECT_EQ(boom.status, 500);
  EXPECT_EQ(boom.body, R"({"message":"Internal Server Error"})");
}

TEST(Router, AnswersEverySourceInItsOwnShape) {
  Router router;
  router.Get("/items/{id}", [](const RouteRequest& r) -> absl::StatusOr<HttpResponse> {
    return HttpResponse::Json(200, absl::StrCat(R"({"id":")", AsAbsl(*r.Param("id")), R"("})"));
  });
  router.Get("/items", [](const RouteRequest&) -> absl::StatusOr<HttpResponse> {
    return HttpResponse::Json(200, "[]");
  });
  router
      .Add("POST", "/{proxy+}",
           [](const RouteRequest& r) -> absl::StatusOr<HttpResponse> {
             absl::StatusOr<std::string> body = r.http.DecodedBody();
             if (!body.ok()) return body.status();
             return HttpResponse::Json(200, *body);
           })
      .IgnoreError();
  router
      .Add("POST", "/stream",
           [](const RouteRequest& r) -> absl::StatusOr<HttpResponse> {
             return HttpResponse::Json(200, std::string(r.http.body));
           })
      .IgnoreError();
  router.Delete("/items/{id}", [](const RouteRequest&) -> absl::StatusOr<HttpResponse> {
    return HttpResponse::Empty(204);
  });

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(CallForBody(router, ReadFixture("apigw_v1.json"))).get(doc),
            simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["body"]), R"({"id":"42"})");
  EXPECT_EQ(doc["multiValueHeaders"].error(), simdjson::SUCCESS);  // the 1.0 shape

  ASSERT_EQ(parser.parse(CallForBody(router, ReadFixture("apigw_v2.json"))).get(doc),
            simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["body"]), R"({"name":"widget"})");  // base64 request body

  ASSERT_EQ(parser.parse(CallForBody(router, ReadFixture("function_url.json"))).get(doc),
            simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["body"]), R"({"prompt":"tell me a story","tokens":3})");

  ASSERT_EQ(parser.parse(CallForBody(router, ReadFixture("alb.json"))).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["statusDescription"]), "200 OK");
  EXPECT_EQ(std::string_view(doc["body"]), "[]");

  ASSERT_EQ(parser.parse(CallForBody(router, ReadFixture("alb_multi_value.json"))).get(doc),
            simdjson::SUCCESS);
  EXPECT_EQ(static_cast<int64_t>(doc["statusCode"]), 204);
  EXPECT_EQ(doc["multiValueHeaders"].error(), simdjson::SUCCESS);
}

TEST(Router, MalformedBase64BodiesAre400) {
  Router router;
  router.Post("/", [](const RouteRequest& r) -> absl::StatusOr<HttpResponse> {
    absl::StatusOr<std::string> body = r.http.DecodedBody();
    if (!body.ok()) return body.status();
    return HttpResponse::Text(200, *body);
  });
  const std::string event =
      R"({"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"POST"}},)"
      R"("body":"***","isBase64Encoded":true})";
  Answer answer = Decode(CallForBody(router, event));
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.body, R"({"message":"body: invalid base64"})");
}

TEST(Router, EventsThatAreNotHttpAreInvalidEventErrors) {
  const Router router = ItemsRouter();
  lmc::testing::Invocation invocation;
  invocation.event = ReadFixture("sqs.json");
  lmc::testing::Outcome outcome = lmc::testing::Invoke(router.AsHandler(), invocation);
  ASSERT_FALSE(outcome.result.ok());
  EXPECT_EQ(outcome.result.error().type(), "InvalidEvent");
}

TEST(Router, RejectsDuplicateAndMalformedRoutes) {
  Router router;
  auto ok = [](const RouteRequest&) -> absl::StatusOr<HttpResponse> {
    return HttpResponse::Empty(204);
  };
  EXPECT_TRUE(router.Add("GET", "/a/{id}", ok).ok());
  EXPECT_EQ(router.Add("GET", "/a/{id}", ok).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(router.Add("GET", "a", ok).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("", "/b", ok).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(router.Add("ANY", "/b", ok).ok());
}

// Runs `router` streamed on `event` inside a buffered handler (the harness provides the Context).
RecordingStream RunStreamed(const Router& router, std::string event, bool* ok) {
  RecordingStream stream;
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

TEST(Router, TheSameRoutesAnswerStreamedInvocationsThroughThePrelude) {
  Router router = ItemsRouter();
  ASSERT_TRUE(router
                  .AddStream("GET", "/count/{n}",
                             [](const RouteRequest& r, HttpResponseWriter& out) -> absl::Status {
                               HttpResponse head = HttpResponse::Text(200, "");
                               LMC_RETURN_IF_ERROR(out.Begin(head));
                               const int n = std::stoi(std::string(*r.Param("n")));
                               for (int i = 0; i < n; ++i) {
                                 LMC_RETURN_IF_ERROR(out.Write(absl::StrCat(i, ";")));
                               }
                               return absl::OkStatus();
                             })
                  .ok());
  bool ok = false;
  RecordingStream buffered_route = RunStreamed(router, V2Event("GET", "/items/9"), &ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(buffered_route.content_type, kHttpIntegrationContentType);
  const std::string all = buffered_route.All();
  const size_t nuls = all.find(std::string(8, '\0'));
  ASSERT_NE(nuls, std::string::npos);
  EXPECT_NE(all.substr(0, nuls).find(R"("statusCode":200)"), std::string::npos) << all;
  EXPECT_EQ(all.substr(nuls + 8), R"({"id":"9"})");

  RecordingStream streamed = RunStreamed(router, V2Event("GET", "/count/3"), &ok);
  EXPECT_TRUE(ok);
  ASSERT_EQ(streamed.writes.size(), 4u);  // the prelude, then one write per Write()
  EXPECT_EQ(streamed.writes[1], "0;");
  EXPECT_EQ(streamed.writes[3], "2;");

  // A streaming route also answers a buffered invocation, as one body.
  EXPECT_EQ(Decode(CallForBody(router, V2Event("GET", "/count/3"))).body, "0;1;2;");

  RecordingStream missing = RunStreamed(router, V2Event("GET", "/nope"), &ok);
  EXPECT_NE(missing.All().find(R"("statusCode":404)"), std::string::npos);
}

TEST(Router, AStreamingRouteFailingAfterItBeganEndsTheStreamWithAnError) {
  Router router;
  ASSERT_TRUE(router
                  .AddStream("GET", "/half",
                             [](const RouteRequest&, HttpResponseWriter& out) -> absl::Status {
                               LMC_RETURN_IF_ERROR(out.Begin(HttpResponse::Text(200, "")));
                               LMC_RETURN_IF_ERROR(out.Write("partial"));
                               return absl::UnavailableError("model crashed");
                             })
                  .ok());
  bool ok = true;
  RecordingStream stream = RunStreamed(router, V2Event("GET", "/half"), &ok);
  EXPECT_FALSE(ok) << "the runtime must report the error in the trailers";
  EXPECT_EQ(stream.writes.back(), "partial");
  // Buffered, the same failure becomes a clean 500.
  EXPECT_EQ(Decode(CallForBody(router, V2Event("GET", "/half"))).status, 500);
}

}  // namespace
}  // namespace lmc::http
