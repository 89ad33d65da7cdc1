#include "handlers/http/router.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "lmc/status_macros.h"
#include "lmc/strings.h"

namespace lmc::http {
namespace {

// Lets middleware see a streaming route's head before it is sent, and counts what was sent.
class HookedWriter final : public HttpResponseWriter {
 public:
  HookedWriter(HttpResponseWriter& inner, absl::FunctionRef<void(HttpResponse& head)> on_head)
      : inner_(inner), on_head_(on_head) {}

  absl::Status Begin(const HttpResponse& head) override {
    HttpResponse hooked = head;
    on_head_(hooked);
    LMC_RETURN_IF_ERROR(MarkBegun(hooked.status));
    return inner_.Begin(hooked);
  }
  absl::Status Write(std::string_view bytes) override {
    LMC_RETURN_IF_ERROR(CheckBegun());
    return inner_.Write(bytes);
  }
  bool streaming() const override { return inner_.streaming(); }

 private:
  HttpResponseWriter& inner_;
  absl::FunctionRef<void(HttpResponse& head)> on_head_;
};

}  // namespace

std::optional<HttpResponse> Middleware::OnRequest(const RouteRequest&) const {
  return std::nullopt;
}
void Middleware::OnResponse(const RouteRequest&, HttpResponse&) const {}
void Middleware::OnComplete(const RouteRequest&, int, uint64_t, absl::Duration) const {}

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    default:
      return 500;
  }
}

absl::Status Router::AddRoute(std::string_view method, std::string_view path_template,
                              std::variant<RouteHandler, StreamRouteHandler> handler) {
  if (method.empty()) return absl::InvalidArgumentError("a route needs a method");
  LMC_ASSIGN_OR_RETURN(PathTemplate path, PathTemplate::Parse(path_template));
  for (const Route& route : routes_) {
    if (route.method == method && route.path.text() == path.text()) {
      return absl::AlreadyExistsError(
          absl::StrCat("route ", AsAbsl(method), " ", AsAbsl(path_template), " already exists"));
    }
  }
  Route route{std::string(method), std::move(path), std::move(handler)};
  // Keep the table sorted most specific first: the first match is the best one.
  const auto at = std::find_if(routes_.begin(), routes_.end(), [&](const Route& existing) {
    return route.path.MoreSpecificThan(existing.path);
  });
  routes_.insert(at, std::move(route));
  return absl::OkStatus();
}

absl::Status Router::Add(std::string_view method, std::string_view path_template,
                         RouteHandler handler) {
  return AddRoute(method, path_template, std::move(handler));
}

absl::Status Router::AddStream(std::string_view method, std::string_view path_template,
                               StreamRouteHandler handler) {
  return AddRoute(method, path_template, std::move(handler));
}

namespace {

void AddOrDie(Router& router, std::string_view method, std::string_view path_template,
              RouteHandler handler) {
  if (absl::Status status = router.Add(method, path_template, std::move(handler)); !status.ok()) {
    std::fprintf(stderr, "lmc::http::Router: %s\n", std::string{status.message()}.c_str());
    std::abort();
  }
}

}  // namespace

Router& Router::Get(std::string_view path_template, RouteHandler handler) {
  AddOrDie(*this, "GET", path_template, std::move(handler));
  return *this;
}
Router& Router::Post(std::string_view path_template, RouteHandler handler) {
  AddOrDie(*this, "POST", path_template, std::move(handler));
  return *this;
}
Router& Router::Put(std::string_view path_template, RouteHandler handler) {
  AddOrDie(*this, "PUT", path_template, std::move(handler));
  return *this;
}
Router& Router::Delete(std::string_view path_template, RouteHandler handler) {
  AddOrDie(*this, "DELETE", path_template, std::move(handler));
  return *this;
}

Router& Router::Use(std::shared_ptr<const Middleware> middleware) {
  middleware_.push_back(std::move(middleware));
  return *this;
}

Router::Match Router::Find(std::string_view method, std::string_view path,
                           events::Fields& params) const {
  Match match;
  for (const Route& route : routes_) {
    const size_t mark = params.size();
    if (!route.path.Match(path, params)) continue;
    if (route.method == method || route.method == "ANY") {
      match.route = &route;
      return match;
    }
    params.Truncate(mark);
    if (std::find(match.allowed.begin(), match.allowed.end(), route.method) ==
        match.allowed.end()) {
      match.allowed.push_back(route.method);
    }
  }
  std::sort(match.allowed.begin(), match.allowed.end());
  return match;
}

absl::Status Router::Send(const RouteRequest& request, HttpResponse response,
                          HttpResponseWriter& writer) const {
  for (const auto& middleware : middleware_) middleware->OnResponse(request, response);
  return writer.Begin(response);
}

HttpResponse Router::ErrorResponse(const RouteRequest& request, const absl::Status& status) const {
  const int http_status = HttpStatusFor(status.code());
  if (http_status == 500) {
    request.context.logger().Error(absl::StrCat(AsAbsl(request.http.method), " ",
                                                AsAbsl(request.http.path),
                                                " failed: ", status.ToString()));
    return HttpResponse::Message(500, "Internal Server Error");
  }
  return HttpResponse::Message(http_status, AsStd(status.message()));
}

absl::Status Router::Serve(const events::HttpRequest& http, const lmc::Context& context,
                           HttpResponseWriter& writer) const {
  const absl::Time start = absl::Now();
  events::Fields params;
  const RouteRequest before{http, params, context};
  absl::Status late_error;
  bool answered = false;
  for (const auto& middleware : middleware_) {
    if (std::optional<HttpResponse> early = middleware->OnRequest(before)) {
      late_error = Send(before, std::move(*early), writer);
      answered = true;
      break;
    }
  }
  const Route* route = nullptr;
  if (!answered) {
    Match match = Find(http.method, http.path, params);
    route = match.route;
    if (route == nullptr) {
      HttpResponse response = match.allowed.empty()
                                  ? HttpResponse::Message(404, "Not Found")
                                  : HttpResponse::Message(405, "Method Not Allowed");
      if (!match.allowed.empty()) {
        std::string allow;
        for (std::string_view m : match.allowed) {
          if (!allow.empty()) allow.append(", ");
          allow.append(m);
        }
        response.SetHeader("Allow", allow);
      }
      late_error = Send(before, std::move(response), writer);
      answered = true;
    }
  }
  const RouteRequest request{http, params, context};
  if (!answered) {
    if (const auto* buffered = std::get_if<RouteHandler>(&route->handler)) {
      absl::StatusOr<HttpResponse> response = (*buffered)(request);
      late_error = Send(
          request, response.ok() ? std::move(*response) : ErrorResponse(request, response.status()),
          writer);
    } else {
      // Named: the writer keeps a FunctionRef to it.
      const auto on_head = [&](HttpResponse& head) {
        for (const auto& middleware : middleware_) middleware->OnResponse(request, head);
      };
      HookedWriter hooked(writer, on_head);
      absl::Status status = std::get<StreamRouteHandler>(route->handler)(request, hooked);
      if (!status.ok() && !hooked.begun()) {
        late_error = Send(request, ErrorResponse(request, status), writer);
      } else if (!status.ok()) {
        // The head is gone: a streamed answer ends with Lambda's error trailers; a buffered one
        // can still become a clean 500.
        if (auto* collected = dynamic_cast<BufferedResponseWriter*>(&writer)) {
          collected->response() = ErrorResponse(request, status);
        } else {
          late_error = status;
        }
      }
    }
  }
  for (const auto& middleware : middleware_) {
    middleware->OnComplete(request, writer.status(), writer.body_bytes(), absl::Now() - start);
  }
  return late_error;
}

lmc::Result Router::Handle(const lmc::Event& event, const lmc::Context& context) const {
  absl::StatusOr<events::HttpRequest> request = events::ParseHttpRequest(event);
  if (!request.ok()) return lmc::Error("InvalidEvent", std::string{request.status().message()});
  BufferedResponseWriter writer;
  if (absl::Status status = Serve(*request, context, writer); !status.ok()) {
    return lmc::Error::FromStatus(status);
  }
  return lmc::Response::Json(EncodeBufferedResponse(writer.response(), *request));
}

lmc::StreamResult Router::HandleStream(const lmc::Event& event, const lmc::Context& context,
                                       lmc::ResponseStream& stream) const {
  absl::StatusOr<events::HttpRequest> request = events::ParseHttpRequest(event);
  if (!request.ok()) return lmc::Error("InvalidEvent", std::string{request.status().message()});
  StreamedResponseWriter writer(stream);
  return Serve(*request, context, writer);
}

lmc::Handler Router::AsHandler() const {
  return [this](const lmc::Event& event, const lmc::Context& context) {
    return Handle(event, context);
  };
}

lmc::StreamingHandler Router::AsStreamingHandler() const {
  return [this](const lmc::Event& event, const lmc::Context& context, lmc::ResponseStream& stream) {
    return HandleStream(event, context, stream);
  };
}

}  // namespace lmc::http
