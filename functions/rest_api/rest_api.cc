#include "functions/rest_api/rest_api.h"

#include <memory>
#include <optional>
#include <vector>

#include "handlers/http/middleware.h"
#include "lmc/json.h"
#include "simdjson.h"

namespace lmc::examples {

using http::HttpResponse;
using http::RouteRequest;

namespace {

// The members of the JSON object `body` without "id", as JSON text without the braces
// ("\"name\":\"x\",\"n\":1"), or InvalidArgument.
absl::StatusOr<std::string> ItemMembers(std::string_view body) {
  // A parser per call keeps the handler free of shared mutable state; the event's own parser
  // cannot be used: its string buffer still backs the HttpRequest's views.
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(body);
  simdjson::dom::element element;
  if (parser.parse(padded).get(element) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("the body is not valid JSON");
  }
  simdjson::dom::object object;
  if (element.get(object) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("the body must be a JSON object");
  }
  std::string members;
  for (auto [key, value] : object) {
    if (key == "id") continue;
    if (!members.empty()) members.push_back(',');
    AppendJsonString(members, key);
    members.push_back(':');
    members.append(simdjson::minify(value));
  }
  return members;
}

std::string MakeItem(std::string_view id, std::string_view members) {
  std::string item = "{\"id\":";
  AppendJsonString(item, id);
  if (!members.empty()) item.append(",").append(members);
  item.push_back('}');
  return item;
}

// The request body's members (see ItemMembers()), base64 undone.
absl::StatusOr<std::string> RequestMembers(const RouteRequest& request) {
  absl::StatusOr<std::string> body = request.http.DecodedBody();
  if (!body.ok()) return body.status();
  return ItemMembers(*body);
}

}  // namespace

absl::StatusOr<std::string> ItemWithId(std::string_view body, std::string_view id) {
  absl::StatusOr<std::string> members = ItemMembers(body);
  if (!members.ok()) return members.status();
  return MakeItem(id, *members);
}

void AddRestApiRoutes(http::Router& router, ItemStore& store) {
  router.Use(std::make_shared<http::LoggingMiddleware>());
  router.Post("/items", [&store](const RouteRequest& request) -> absl::StatusOr<HttpResponse> {
    // Validated before an id is taken, so a bad request leaves no gap in the ids.
    absl::StatusOr<std::string> members = RequestMembers(request);
    if (!members.ok()) return members.status();
    return HttpResponse::Json(
        201, store.Create([&](std::string_view id) { return MakeItem(id, *members); }));
  });
  router.Get("/items", [&store](const RouteRequest&) -> absl::StatusOr<HttpResponse> {
    std::string body = R"({"items":[)";
    bool first = true;
    for (const std::string& item : store.List()) {
      if (!first) body.push_back(',');
      first = false;
      body.append(item);
    }
    body.append("]}");
    return HttpResponse::Json(200, std::move(body));
  });
  router.Get("/items/{id}", [&store](const RouteRequest& request) -> absl::StatusOr<HttpResponse> {
    std::optional<std::string> item = store.Find(*request.Param("id"));
    if (!item.has_value()) return absl::NotFoundError("item not found");
    return HttpResponse::Json(200, *std::move(item));
  });
  router.Put("/items/{id}", [&store](const RouteRequest& request) -> absl::StatusOr<HttpResponse> {
    const std::string_view id = *request.Param("id");
    absl::StatusOr<std::string> members = RequestMembers(request);
    if (!members.ok()) return members.status();
    std::optional<std::string> replaced =
        store.Replace(id, [&](std::string_view key) { return MakeItem(key, *members); });
    if (!replaced.has_value()) return absl::NotFoundError("item not found");
    return HttpResponse::Json(200, *std::move(replaced));
  });
  router.Delete("/items/{id}",
                [&store](const RouteRequest& request) -> absl::StatusOr<HttpResponse> {
                  if (!store.Erase(*request.Param("id"))) {
                    return absl::NotFoundError("item not found");
                  }
                  return HttpResponse::Empty(204);
                });
}

}  // namespace lmc::examples
