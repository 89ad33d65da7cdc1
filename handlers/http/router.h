// File: handlers/http/router.h
//
// Router: HTTP routing for functions behind API Gateway (REST and HTTP APIs), Function URLs and
// ALB. Routes are a method and a path template ("/items/{id}", greedy "/files/{path+}"); the
// router parses the event (handlers/events/http_event.h), picks the most specific matching route,
// runs middleware, and answers in the shape the event's source expects, buffered or streamed:
//   - no route's template matches the path: 404 {"message":"Not Found"};
//   - a template matches but not the method: 405 {"message":"Method Not Allowed"} with an
//     `Allow` header listing the methods that would match;
//   - a route returns a non-OK status: InvalidArgument -> 400, NotFound -> 404, AlreadyExists ->
//     409, PermissionDenied -> 403, Unauthenticated -> 401, ResourceExhausted -> 429,
//     Unimplemented -> 501, each with {"message": the status message}; anything else -> 500
//     {"message":"Internal Server Error"} (the status is logged, not shown to the caller);
//   - the event is not an HTTP event at all: an lmc::Error "InvalidEvent" (there is no HTTP
//     caller to answer).
// Buffered routes (returning an HttpResponse) and streaming routes (writing to an
// HttpResponseWriter) both answer buffered invocations (Handle) and streamed ones
// (HandleStream, for Function URLs with response streaming).
//
// Example:
//
//   lmc::http::Router router;
//   router.Use(std::make_shared<lmc::http::CorsMiddleware>());
//   router.Get("/items/{id}", [&](const lmc::http::RouteRequest& r)
//                                 -> absl::StatusOr<lmc::http::HttpResponse> {
//     std::optional<std::string> item = store.Find(*r.Param("id"));
//     if (!item) return absl::NotFoundError("no such item");
//     return lmc::http::HttpResponse::Json(200, *item);
//   });
//   handlers.Register("api", router.AsHandler());             // buffered
//   handlers.Register("api-stream", router.AsStreamingHandler());  // Function URL streaming
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "handlers/events/http_event.h"
#include "handlers/http/http_response.h"
#include "handlers/http/path_template.h"
#include "handlers/http/response_writer.h"
#include "lmc/lmc.h"

namespace lmc::http {

// RouteRequest
//
// What a route (and middleware) sees. Valid only during the call it is passed to.
struct RouteRequest {
  const events::HttpRequest& http;
  // The route's path parameters ({id} -> "42"), as they appear in the path (percent-encoding
  // as sent). Empty for middleware called before routing.
  const events::Fields& params;
  const lmc::Context& context;

  // The value of path parameter `name`.
  std::optional<std::string_view> Param(std::string_view name) const { return params.Get(name); }
};

// A buffered route: the whole answer, or a status mapped as in the file comment.
using RouteHandler = std::function<absl::StatusOr<HttpResponse>(const RouteRequest& request)>;
// A streaming route: calls writer.Begin() once, then Write() any number of times. A non-OK
// status before Begin() is answered like a buffered route's; after Begin() it ends the stream
// with Lambda's error trailers (streamed) or turns the answer into a 500 (buffered).
using StreamRouteHandler =
    std::function<absl::Status(const RouteRequest& request, HttpResponseWriter& writer)>;

// Middleware
//
// Hooks around every request, in the order they were added (Router::Use()). Called
// concurrently from the runtime's threads: implementations must be thread-safe.
class Middleware {
 public:
  virtual ~Middleware() = default;
  // Before routing. Returning a response answers the request without routing it (CORS
  // preflight, authentication); later middleware's OnRequest() is then skipped.
  virtual std::optional<HttpResponse> OnRequest(const RouteRequest& request) const;
  // Before the status and headers are sent, buffered or streamed: may add headers or change
  // the status of `head` (its body is empty for streaming routes).
  virtual void OnResponse(const RouteRequest& request, HttpResponse& head) const;
  // After the answer was sent: the status sent, body bytes and time spent.
  virtual void OnComplete(const RouteRequest& request, int status, uint64_t body_bytes,
                          absl::Duration elapsed) const;
};

// Router
//
// Add routes and middleware first (not thread-safe), then serve: Handle(), HandleStream() and
// Serve() are const and thread-safe, as the runtime calls them from many threads. The router
// must outlive the handlers made by AsHandler()/AsStreamingHandler().
class Router {
 public:
  // Adds a route. `method` is an HTTP method ("GET", case-sensitive, as the sources send it) or
  // "ANY". InvalidArgument for a bad template (see PathTemplate::Parse()) or an empty method;
  // AlreadyExists when the same method and template are already routed.
  absl::Status Add(std::string_view method, std::string_view path_template, RouteHandler handler);
  absl::Status AddStream(std::string_view method, std::string_view path_template,
                         StreamRouteHandler handler);
  // Add() that aborts on a bad route: for route tables written in the program, where a typo is a
  // programming error found by the first test.
  Router& Get(std::string_view path_template, RouteHandler handler);
  Router& Post(std::string_view path_template, RouteHandler handler);
  Router& Put(std::string_view path_template, RouteHandler handler);
  Router& Delete(std::string_view path_template, RouteHandler handler);

  // Adds middleware (shared: it may be used by several routers).
  Router& Use(std::shared_ptr<const Middleware> middleware);

  // Serves a buffered invocation: the event's answer in its source's shape.
  lmc::Result Handle(const lmc::Event& event, const lmc::Context& context) const;
  // Serves a streamed invocation (Function URL / API Gateway response streaming).
  lmc::StreamResult HandleStream(const lmc::Event& event, const lmc::Context& context,
                                 lmc::ResponseStream& stream) const;
  // Routes a parsed request and writes its answer into `writer`. Returns the route's error
  // only when it happened after the answer had begun (nothing else can report it).
  absl::Status Serve(const events::HttpRequest& request, const lmc::Context& context,
                     HttpResponseWriter& writer) const;

  // The handlers to register with lmc::HandlerRegistry; they refer to this router.
  lmc::Handler AsHandler() const;
  lmc::StreamingHandler AsStreamingHandler() const;

 private:
  struct Route {
    std::string method;
    PathTemplate path;
    std::variant<RouteHandler, StreamRouteHandler> handler;
  };
  // What routing found: a route (and its parameters), or the methods allowed on the path.
  struct Match {
    const Route* route = nullptr;
    std::vector<std::string_view> allowed;
  };

  absl::Status AddRoute(std::string_view method, std::string_view path_template,
                        std::variant<RouteHandler, StreamRouteHandler> handler);
  Match Find(std::string_view method, std::string_view path, events::Fields& params) const;
  // Sends `response` through `writer` after the middleware's OnResponse().
  absl::Status Send(const RouteRequest& request, HttpResponse response,
                    HttpResponseWriter& writer) const;
  HttpResponse ErrorResponse(const RouteRequest& request, const absl::Status& status) const;

  std::vector<Route> routes_;  // most specific template first
  std::vector<std::shared_ptr<const Middleware>> middleware_;
};

// The HTTP status for a route's non-OK status (see the file comment).
int HttpStatusFor(absl::StatusCode code);

}  // namespace lmc::http
