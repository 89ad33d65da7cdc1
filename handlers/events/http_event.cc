#include "handlers/events/http_event.h"

#include "absl/strings/str_cat.h"
#include "handlers/events/json_walk.h"
#include "lmc/status_macros.h"
#include "lmc/strings.h"

namespace lmc::events {
namespace {

using internal::ReadString;
using internal::Value;

// Everything the four shapes may carry, gathered in one pass; the shape is decided afterwards
// because JSON objects have no field order.
struct RawHttp {
  HttpRequest request;
  std::string_view version;
  std::string_view http_method;     // 1.0 and ALB
  std::string_view context_method;  // 2.0 requestContext.http.method
  std::string_view raw_path;
  std::string_view v1_path;
  Fields multi_headers;
  Fields multi_query;
  bool has_multi_headers = false;
  bool has_multi_query = false;
  bool has_context_http = false;
  bool has_elb = false;
};

absl::Status ReadSourceFields(Value& value, std::string_view what, RawHttp& raw) {
  return internal::ForEachField(value, what, [&](std::string_view key, Value& field) {
    if (key == "sourceIp") return ReadString(field, key, raw.request.source_ip);
    if (key == "userAgent") return ReadString(field, key, raw.request.user_agent);
    if (key == "method") return ReadString(field, key, raw.context_method);
    return absl::OkStatus();
  });
}

absl::Status ReadContext(Value& value, RawHttp& raw) {
  HttpRequest& r = raw.request;
  return internal::ForEachField(value, "requestContext", [&](std::string_view key, Value& field) {
    if (key == "requestId") return ReadString(field, key, r.request_id);
    if (key == "stage") return ReadString(field, key, r.stage);
    if (key == "domainName") return ReadString(field, key, r.domain_name);
    if (key == "apiId") return ReadString(field, key, r.api_id);
    if (key == "accountId") return ReadString(field, key, r.account_id);
    if (key == "timeEpoch" || key == "requestTimeEpoch") {
      return internal::ReadInt64(field, key, r.time_epoch_ms);
    }
    if (key == "authorizer") return internal::ReadRaw(field, key, r.authorizer_json);
    if (key == "http") {
      raw.has_context_http = true;
      return ReadSourceFields(field, key, raw);
    }
    if (key == "identity") return ReadSourceFields(field, key, raw);
    if (key == "elb") {
      raw.has_elb = true;
      return internal::ForEachField(field, key, [&](std::string_view name, Value& member) {
        if (name == "targetGroupArn") return ReadString(member, name, r.target_group_arn);
        return absl::OkStatus();
      });
    }
    return absl::OkStatus();
  });
}

absl::Status ReadTopLevel(std::string_view key, Value& field, RawHttp& raw) {
  HttpRequest& r = raw.request;
  if (key == "headers") return internal::ReadStringMap(field, key, r.headers);
  if (key == "multiValueHeaders") {
    raw.has_multi_headers = !internal::IsNull(field);
    return internal::ReadMultiMap(field, key, raw.multi_headers);
  }
  if (key == "queryStringParameters") return internal::ReadStringMap(field, key, r.query);
  if (key == "multiValueQueryStringParameters") {
    raw.has_multi_query = !internal::IsNull(field);
    return internal::ReadMultiMap(field, key, raw.multi_query);
  }
  if (key == "body") return ReadString(field, key, r.body);
  if (key == "isBase64Encoded") return internal::ReadBool(field, key, r.is_base64_encoded);
  if (key == "requestContext") return ReadContext(field, raw);
  if (key == "httpMethod") return ReadString(field, key, raw.http_method);
  if (key == "path") return ReadString(field, key, raw.v1_path);
  if (key == "rawPath") return ReadString(field, key, raw.raw_path);
  if (key == "rawQueryString") return ReadString(field, key, r.raw_query);
  if (key == "version") return ReadString(field, key, raw.version);
  if (key == "routeKey") return ReadString(field, key, r.route_key);
  if (key == "resource") return ReadString(field, key, r.resource);
  if (key == "cookies") return internal::ReadStringArray(field, key, r.cookies);
  if (key == "pathParameters") return internal::ReadStringMap(field, key, r.path_parameters);
  if (key == "stageVariables") return internal::ReadStringMap(field, key, r.stage_variables);
  return absl::OkStatus();
}

// Splits each Cookie header ("a=1; b=2") into "name=value" strings.
void SplitCookieHeaders(HttpRequest& r) {
  for (const Fields::Entry& header : r.headers) {
    if (!EqualsIgnoreCase(header.first, "cookie")) continue;
    std::string_view rest = header.second;
    while (!rest.empty()) {
      const size_t end = rest.find(';');
      std::string_view cookie = StripAsciiWhitespace(rest.substr(0, end));
      if (!cookie.empty()) r.cookies.push_back(cookie);
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
  }
}

// A named HTTP API stage prefixes rawPath with "/<stage>"; routes are written without it.
std::string_view StripStage(std::string_view path, std::string_view stage) {
  if (stage.empty() || stage == "$default" || path.size() <= stage.size() || path[0] != '/' ||
      path.substr(1, stage.size()) != stage) {
    return path;
  }
  const std::string_view rest = path.substr(1 + stage.size());
  if (rest.empty()) return "/";
  return rest[0] == '/' ? rest : path;
}

absl::StatusOr<HttpRequest> Classify(RawHttp& raw) {
  HttpRequest& r = raw.request;
  if (raw.version == "2.0" && raw.has_context_http) {
    r.source = r.domain_name.find(".lambda-url.") != std::string_view::npos
                   ? HttpSource::kFunctionUrl
                   : HttpSource::kApiGatewayHttp;
    r.method = raw.context_method;
    r.path = StripStage(raw.raw_path, r.stage);
  } else if (!raw.http_method.empty()) {
    r.source = raw.has_elb ? HttpSource::kAlb : HttpSource::kApiGatewayRest;
    r.method = raw.http_method;
    r.path = raw.v1_path;
    // 1.0 sends both maps (the single-value one keeps the last value); ALB sends exactly one.
    if (raw.has_multi_headers) r.headers = std::move(raw.multi_headers);
    if (raw.has_multi_query) r.query = std::move(raw.multi_query);
    r.alb_multi_value = raw.has_elb && raw.has_multi_headers;
    SplitCookieHeaders(r);
  } else {
    return absl::InvalidArgumentError(
        "HTTP event: neither API Gateway (httpMethod or version 2.0 with requestContext.http) "
        "nor ALB");
  }
  if (r.method.empty()) return absl::InvalidArgumentError("HTTP event: no method");
  if (r.path.empty()) return absl::InvalidArgumentError("HTTP event: no path");
  return std::move(r);
}

absl::StatusOr<HttpRequest> ParseAs(const lmc::Event& event, HttpSource want,
                                    HttpSource also_accepted) {
  LMC_ASSIGN_OR_RETURN(HttpRequest request, ParseHttpRequest(event));
  if (request.source != want && request.source != also_accepted) {
    return absl::InvalidArgumentError(absl::StrCat("HTTP event: expected ",
                                                   AsAbsl(HttpSourceName(want)), ", got ",
                                                   AsAbsl(HttpSourceName(request.source))));
  }
  return request;
}

}  // namespace

std::string_view HttpSourceName(HttpSource source) {
  switch (source) {
    case HttpSource::kApiGatewayRest:
      return "API Gateway REST";
    case HttpSource::kApiGatewayHttp:
      return "API Gateway HTTP";
    case HttpSource::kFunctionUrl:
      return "Function URL";
    case HttpSource::kAlb:
      return "ALB";
  }
  return "unknown";
}

std::optional<std::string_view> HttpRequest::Header(std::string_view name) const {
  return headers.GetIgnoreCase(name);
}

std::optional<std::string_view> HttpRequest::Query(std::string_view name) const {
  return query.Get(name);
}

std::optional<std::string_view> HttpRequest::Cookie(std::string_view name) const {
  for (std::string_view cookie : cookies) {
    if (cookie.size() > name.size() && cookie[name.size()] == '=' && cookie.starts_with(name)) {
      return cookie.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

absl::StatusOr<std::string> HttpRequest::DecodedBody() const {
  if (!is_base64_encoded) return std::string(body);
  std::string out;
  LMC_RETURN_IF_ERROR(internal::DecodeBase64(body, "body", out));
  return out;
}

absl::StatusOr<HttpRequest> ParseHttpRequest(const lmc::Event& event) {
  RawHttp raw;
  LMC_RETURN_IF_ERROR(internal::ForEachTopLevelField(
      event, "HTTP event",
      [&](std::string_view key, Value& field) { return ReadTopLevel(key, field, raw); }));
  return Classify(raw);
}

absl::StatusOr<HttpRequest> ParseApiGatewayV1Request(const lmc::Event& event) {
  return ParseAs(event, HttpSource::kApiGatewayRest, HttpSource::kApiGatewayRest);
}

absl::StatusOr<HttpRequest> ParseApiGatewayV2Request(const lmc::Event& event) {
  return ParseAs(event, HttpSource::kApiGatewayHttp, HttpSource::kFunctionUrl);
}

absl::StatusOr<HttpRequest> ParseFunctionUrlRequest(const lmc::Event& event) {
  return ParseAs(event, HttpSource::kFunctionUrl, HttpSource::kFunctionUrl);
}

absl::StatusOr<HttpRequest> ParseAlbRequest(const lmc::Event& event) {
  return ParseAs(event, HttpSource::kAlb, HttpSource::kAlb);
}

}  // namespace lmc::events
