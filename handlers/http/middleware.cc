#include "handlers/http/middleware.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lmc/strings.h"

namespace lmc::http {

void LoggingMiddleware::OnComplete(const RouteRequest& request, int status, uint64_t body_bytes,
                                   absl::Duration elapsed) const {
  request.context.logger().Info(absl::StrFormat(
      "%s %s -> %d (%u bytes, %.3f ms)", AsAbsl(request.http.method), AsAbsl(request.http.path),
      status, body_bytes, absl::ToDoubleMilliseconds(elapsed)));
}

std::optional<std::string> CorsMiddleware::AllowOrigin(std::string_view origin) const {
  for (const std::string& allowed : options_.allowed_origins) {
    if (allowed == "*") return std::string("*");
    if (allowed == origin) return std::string(origin);
  }
  return std::nullopt;
}

std::optional<HttpResponse> CorsMiddleware::OnRequest(const RouteRequest& request) const {
  if (request.http.method != "OPTIONS" ||
      !request.http.Header("access-control-request-method").has_value()) {
    return std::nullopt;
  }
  // A preflight is answered here whatever the routes say: it asks about CORS, not the resource.
  HttpResponse response = HttpResponse::Empty(204);
  response.SetHeader("Access-Control-Allow-Methods", options_.allowed_methods);
  response.SetHeader("Access-Control-Allow-Headers", options_.allowed_headers);
  response.SetHeader("Access-Control-Max-Age", absl::StrCat(options_.max_age_seconds));
  return response;
}

void CorsMiddleware::OnResponse(const RouteRequest& request, HttpResponse& head) const {
  const std::optional<std::string_view> origin = request.http.Header("origin");
  if (!origin.has_value()) return;
  const std::optional<std::string> allow = AllowOrigin(*origin);
  if (!allow.has_value()) return;
  head.SetHeader("Access-Control-Allow-Origin", *allow);
  if (*allow != "*") {
    head.AddHeader("Vary", "Origin");
    if (options_.allow_credentials) head.SetHeader("Access-Control-Allow-Credentials", "true");
  }
}

}  // namespace lmc::http
