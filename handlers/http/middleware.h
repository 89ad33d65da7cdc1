// File: handlers/http/middleware.h
//
// Ready-made middleware for lmc::http::Router (see Middleware in router.h):
//   - LoggingMiddleware: one log line per request through the invocation's logger (so it carries
//     the requestId): method, path, status, body bytes and duration.
//   - CorsMiddleware: answers CORS preflight requests (OPTIONS with
//     Access-Control-Request-Method) with 204 and the configured Access-Control-Allow-* headers,
//     and adds Access-Control-Allow-Origin to every answer to an allowed Origin.
//
// Example:
//
//   lmc::http::CorsOptions cors;
//   cors.allowed_origins = {"https://app.example.com"};
//   router.Use(std::make_shared<lmc::http::LoggingMiddleware>())
//         .Use(std::make_shared<lmc::http::CorsMiddleware>(cors));
#pragma once

#include <string>
#include <vector>

#include "handlers/http/router.h"

namespace lmc::http {

// LoggingMiddleware
//
// Stateless; thread-safe.
class LoggingMiddleware final : public Middleware {
 public:
  void OnComplete(const RouteRequest& request, int status, uint64_t body_bytes,
                  absl::Duration elapsed) const override;
};

// CorsOptions
struct CorsOptions {
  // Origins allowed to read answers; {"*"} allows any (then credentials cannot be allowed).
  std::vector<std::string> allowed_origins = {"*"};
  std::string allowed_methods = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
  std::string allowed_headers = "Content-Type, Authorization";
  int max_age_seconds = 600;
  bool allow_credentials = false;
};

// CorsMiddleware
//
// Immutable after construction; thread-safe.
class CorsMiddleware final : public Middleware {
 public:
  explicit CorsMiddleware(CorsOptions options = {}) : options_(std::move(options)) {}

  std::optional<HttpResponse> OnRequest(const RouteRequest& request) const override;
  void OnResponse(const RouteRequest& request, HttpResponse& head) const override;

 private:
  // The Access-Control-Allow-Origin value for `origin`, or nullopt when it is not allowed.
  std::optional<std::string> AllowOrigin(std::string_view origin) const;

  CorsOptions options_;
};

}  // namespace lmc::http
