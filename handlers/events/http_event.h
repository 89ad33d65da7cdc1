// File: handlers/events/http_event.h
//
// HttpRequest: one view over the four HTTP event shapes Lambda receives: API Gateway REST APIs
// (payload 1.0, "proxy integration"), API Gateway HTTP APIs (payload 2.0), Function URLs (the
// 2.0 shape) and Application Load Balancer targets. Parsed in place, in one pass, from the
// lmc::Event (views, no copies); the body is decoded from base64 only on request. The router
// (handlers/http) is built on it; handlers may use it directly.
//
// Example:
//
//   absl::StatusOr<lmc::events::HttpRequest> request = lmc::events::ParseHttpRequest(event);
//   if (!request.ok()) return lmc::Error("InvalidEvent", std::string(request.status().message()));
//   if (request->method == "GET" && request->path == "/health") ...;
//   std::optional<std::string_view> type = request->Header("content-type");   // any case
//   absl::StatusOr<std::string> body = request->DecodedBody();                // base64 undone
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "handlers/events/fields.h"
#include "lmc/event.h"

namespace lmc::events {

// HttpSource
//
// Which integration sent the request; it decides the shape of the answer (handlers/http).
enum class HttpSource {
  kApiGatewayRest,  // API Gateway REST API, payload format 1.0
  kApiGatewayHttp,  // API Gateway HTTP API, payload format 2.0
  kFunctionUrl,     // Lambda Function URL (payload 2.0, domain *.lambda-url.<region>.on.aws)
  kAlb,             // Application Load Balancer target
};

// "API Gateway REST", "API Gateway HTTP", "Function URL" or "ALB".
std::string_view HttpSourceName(HttpSource source);

// HttpRequest
//
// Views valid until the next Event::Json() on this thread, never beyond the handler call. A
// value type (copying copies views). Const methods are thread-safe.
struct HttpRequest {
  HttpSource source = HttpSource::kApiGatewayHttp;
  std::string_view method;  // e.g. "GET", as sent
  // The request path. REST: `path`; HTTP API and Function URL: `rawPath`, without the
  // "/<stage>" prefix a named HTTP API stage adds; ALB: `path`. Percent-encoding as sent.
  std::string_view path;
  std::string_view raw_query;  // 2.0: rawQueryString; "" otherwise
  // Header names as sent (2.0 and ALB lower-case them); look up with Header(). 2.0 joins
  // repeated headers with commas; 1.0 and multi-value ALB keep one entry per value.
  Fields headers;
  // Query parameters, decoded by API Gateway and Function URLs; ALB passes them URL-encoded as
  // the client sent them. 2.0 joins repeated parameters with commas.
  Fields query;
  Fields path_parameters;  // what API Gateway's own routing extracted (not the router's)
  Fields stage_variables;
  // "name=value" strings: 2.0's cookies[]; for 1.0 and ALB, the Cookie headers split at "; ".
  std::vector<std::string_view> cookies;
  std::string_view body;  // as sent: base64 text when is_base64_encoded
  bool is_base64_encoded = false;
  // ALB only: the target group has multi-value headers on (the request carried
  // multiValueHeaders), so the answer must use multiValueHeaders too.
  bool alb_multi_value = false;

  // requestContext (empty when the source has no such field).
  std::string_view request_id;
  std::string_view stage;
  std::string_view route_key;  // 2.0 routeKey, e.g. "GET /items/{id}" or "$default"
  std::string_view resource;   // 1.0 resource template, e.g. "/items/{id}"
  std::string_view source_ip;
  std::string_view user_agent;
  std::string_view domain_name;
  std::string_view api_id;
  std::string_view account_id;
  std::string_view target_group_arn;  // ALB
  int64_t time_epoch_ms = 0;
  std::string_view authorizer_json;  // raw JSON of requestContext.authorizer; "" when absent

  // The first value of header `name`, ignoring ASCII case.
  std::optional<std::string_view> Header(std::string_view name) const;
  // The first value of query parameter `name` (exact).
  std::optional<std::string_view> Query(std::string_view name) const;
  // The value of the first cookie called `name`.
  std::optional<std::string_view> Cookie(std::string_view name) const;
  // The body bytes: the base64 decoding of `body` when is_base64_encoded, else a copy of it.
  // InvalidArgument when the base64 is malformed.
  absl::StatusOr<std::string> DecodedBody() const;
};

// ParseHttpRequest()
//
// Parses any of the four shapes and says which it was (HttpRequest::source): "version":"2.0"
// with requestContext.http is 2.0 (a Function URL when its domain is *.lambda-url.*);
// requestContext.elb is ALB; httpMethod otherwise is REST. InvalidArgument for anything else or
// a field of the wrong type. Uses the event's parser (see the views' lifetime above).
absl::StatusOr<HttpRequest> ParseHttpRequest(const lmc::Event& event);

// The same, also requiring one source (InvalidArgument naming both otherwise). A Function URL
// request is accepted by ParseApiGatewayV2Request() too: the shapes are the same.
absl::StatusOr<HttpRequest> ParseApiGatewayV1Request(const lmc::Event& event);
absl::StatusOr<HttpRequest> ParseApiGatewayV2Request(const lmc::Event& event);
absl::StatusOr<HttpRequest> ParseFunctionUrlRequest(const lmc::Event& event);
absl::StatusOr<HttpRequest> ParseAlbRequest(const lmc::Event& event);

}  // namespace lmc::events
