// File: functions/rest_api/rest_api.h
//
// example-rest-api: an item store behind lmc::http::Router, answering API Gateway REST (1.0) and
// HTTP API (2.0), Function URL and ALB events alike. Its contract is fixed:
//   POST   /items       JSON object body -> 201, the object plus a generated "id"
//   GET    /items       -> 200 {"items":[...]} (creation order)
//   GET    /items/{id}  -> 200 the item, or 404
//   PUT    /items/{id}  JSON object body -> 200 the replaced item (keeping its id), or 404
//   DELETE /items/{id}  -> 204, or 404
// An invalid JSON body (or one that is not an object) is 400; other methods on those paths are
// 405 with Allow; other paths are 404. Error bodies are {"message": ...}.
//
// Example:
//
//   lmc::examples::ItemStore store;
//   lmc::http::Router router;
//   lmc::examples::AddRestApiRoutes(router, store);
//   handlers.Register("rest-api", router.AsHandler());
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "functions/rest_api/item_store.h"
#include "handlers/http/router.h"

namespace lmc::examples {

// Adds the routes above (and request logging) to `router`. `store` must outlive the router.
void AddRestApiRoutes(http::Router& router, ItemStore& store);

// The JSON object `body` with "id" set to `id` (first; any "id" in the body is dropped).
// InvalidArgument when `body` is not valid JSON or not an object.
absl::StatusOr<std::string> ItemWithId(std::string_view body, std::string_view id);

}  // namespace lmc::examples
