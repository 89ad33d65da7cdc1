#include "handlers/http/http_response.h"

#include "absl/strings/escaping.h"
#include "lmc/http_status.h"
#include "lmc/json.h"
#include "lmc/strings.h"

namespace lmc::http {
namespace {

using events::HttpSource;

// Headers grouped by name (case-insensitively, first spelling kept), in first-seen order.
struct HeaderGroup {
  std::string_view name;
  std::vector<std::string_view> values;
};

std::vector<HeaderGroup> GroupHeaders(const HttpResponse& response) {
  std::vector<HeaderGroup> groups;
  for (const auto& [name, value] : response.headers) {
    HeaderGroup* group = nullptr;
    for (HeaderGroup& g : groups) {
      if (EqualsIgnoreCase(g.name, name)) group = &g;
    }
    if (group == nullptr) group = &groups.emplace_back(HeaderGroup{name, {}});
    group->values.push_back(value);
  }
  return groups;
}

std::string Join(const std::vector<std::string_view>& values, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.append(separator);
    out.append(values[i]);
  }
  return out;
}

void WriteSingle(JsonWriter& w, const std::vector<HeaderGroup>& groups, std::string_view separator,
                 bool multi_too) {
  w.Key("headers").BeginObject();
  for (const HeaderGroup& g : groups) {
    if (multi_too && g.values.size() > 1) continue;
    w.Key(g.name).String(Join(g.values, separator));
  }
  w.EndObject();
}

void WriteMulti(JsonWriter& w, const std::vector<HeaderGroup>& groups,
                const std::vector<std::string>& cookies, bool only_repeated) {
  w.Key("multiValueHeaders").BeginObject();
  for (const HeaderGroup& g : groups) {
    if (only_repeated && g.values.size() < 2) continue;
    w.Key(g.name).BeginArray();
    for (std::string_view v : g.values) w.String(v);
    w.EndArray();
  }
  if (!cookies.empty()) {
    w.Key("Set-Cookie").BeginArray();
    for (const std::string& c : cookies) w.String(c);
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace

HttpResponse HttpResponse::Json(int status, std::string json) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(json);
  r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

HttpResponse HttpResponse::Text(int status, std::string text) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(text);
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  return r;
}

HttpResponse HttpResponse::Binary(int status, std::string bytes, std::string_view content_type) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(bytes);
  r.binary = true;
  r.headers.emplace_back("Content-Type", std::string(content_type));
  return r;
}

HttpResponse HttpResponse::Empty(int status) {
  HttpResponse r;
  r.status = status;
  return r;
}

HttpResponse HttpResponse::Message(int status, std::string_view message) {
  std::string body;
  JsonWriter(&body).BeginObject().Key("message").String(message).EndObject();
  return Json(status, std::move(body));
}

HttpResponse& HttpResponse::AddHeader(std::string_view name, std::string_view value) {
  headers.emplace_back(std::string(name), std::string(value));
  return *this;
}

HttpResponse& HttpResponse::SetHeader(std::string_view name, std::string_view value) {
  std::erase_if(headers, [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
  return AddHeader(name, value);
}

std::optional<std::string_view> HttpResponse::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return static_cast<std::string_view>(v);
  }
  return std::nullopt;
}

std::string_view ReasonPhrase(int status) { return HttpReasonPhrase(status); }

std::string EncodeBufferedResponse(const HttpResponse& response,
                                   const events::HttpRequest& request) {
  const std::vector<HeaderGroup> groups = GroupHeaders(response);
  std::string out;
  out.reserve(response.body.size() + 128);
  JsonWriter w(&out);
  w.BeginObject().Key("statusCode").Int(response.status);
  switch (request.source) {
    case HttpSource::kApiGatewayHttp:
    case HttpSource::kFunctionUrl:
      WriteSingle(w, groups, ",", /*multi_too=*/false);
      if (!response.cookies.empty()) {
        w.Key("cookies").BeginArray();
        for (const std::string& c : response.cookies) w.String(c);
        w.EndArray();
      }
      break;
    case HttpSource::kApiGatewayRest:
      // API Gateway merges both maps; each name goes in exactly one of them.
      WriteSingle(w, groups, ",", /*multi_too=*/true);
      WriteMulti(w, groups, response.cookies, /*only_repeated=*/true);
      break;
    case HttpSource::kAlb: {
      const std::string_view reason = ReasonPhrase(response.status);
      std::string description = std::to_string(response.status);
      if (!reason.empty()) description.append(" ").append(reason);
      w.Key("statusDescription").String(description);
      if (request.alb_multi_value) {
        WriteMulti(w, groups, response.cookies, /*only_repeated=*/false);
      } else {
        // Without multi-value headers an ALB answer can carry one value per name: repeated
        // headers are joined, and only the first cookie fits.
        w.Key("headers").BeginObject();
        for (const HeaderGroup& g : groups) w.Key(g.name).String(Join(g.values, ", "));
        if (!response.cookies.empty()) w.Key("Set-Cookie").String(response.cookies.front());
        w.EndObject();
      }
      break;
    }
  }
  const bool base64 = response.binary || !IsValidUtf8(response.body);
  if (base64) {
    std::string encoded;
    absl::Base64Escape(AsAbsl(response.body), &encoded);
    w.Key("body").String(encoded);
  } else {
    w.Key("body").String(response.body);
  }
  w.Key("isBase64Encoded").Bool(base64).EndObject();
  return out;
}

HttpStreamPrelude StreamPrelude(const HttpResponse& response) {
  HttpStreamPrelude prelude;
  prelude.status_code = response.status;
  for (const HeaderGroup& g : GroupHeaders(response)) {
    if (EqualsIgnoreCase(g.name, "content-length")) continue;
    prelude.headers.emplace_back(std::string(g.name), Join(g.values, ","));
  }
  prelude.cookies = response.cookies;
  return prelude;
}

}  // namespace lmc::http
