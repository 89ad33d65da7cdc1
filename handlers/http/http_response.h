// File: handlers/http/http_response.h
//
// HttpResponse: the answer to an HTTP event (status, headers, cookies, body), and its encoding
// in the shape each source expects:
//   - API Gateway HTTP API and Function URLs (payload 2.0): {"statusCode","headers" (repeated
//     names joined with ","),"cookies":[...],"body","isBase64Encoded"};
//   - API Gateway REST (1.0): single-valued names in "headers", repeated names and Set-Cookie in
//     "multiValueHeaders";
//   - ALB: "statusDescription" too, and "multiValueHeaders" only when the target group has
//     multi-value headers on (the request says so), else "headers";
//   - a streamed answer (Function URL / API Gateway response streaming): the prelude of
//     lmc/response_stream.h, the body written raw after it.
// Binary bodies (HttpResponse::binary, or any body that is not valid UTF-8) are base64-encoded in
// the buffered shapes, because Lambda's response is JSON text.
//
// Example:
//
//   HttpResponse response = HttpResponse::Json(201, R"({"id":"7"})");
//   response.AddHeader("Location", "/items/7");
//   response.cookies.push_back("seen=1; Path=/; HttpOnly");
//   std::string lambda_json = EncodeBufferedResponse(response, request);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "handlers/events/http_event.h"
#include "lmc/response_stream.h"

namespace lmc::http {

// HttpResponse
//
// A plain value; not thread-safe for writes.
struct HttpResponse {
  int status = 200;
  // In order; a name may repeat (a multi-value header). Set-Cookie belongs in `cookies`.
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> cookies;  // Set-Cookie values, e.g. "id=1; Secure"
  std::string body;
  // The body is bytes, not text: base64 in buffered answers. Bodies that are not valid UTF-8
  // are encoded that way whatever this says.
  bool binary = false;

  // A body with its Content-Type.
  static HttpResponse Json(int status, std::string json);
  static HttpResponse Text(int status, std::string text);
  static HttpResponse Binary(int status, std::string bytes, std::string_view content_type);
  // No body (e.g. 204).
  static HttpResponse Empty(int status);
  // {"message": message} as JSON: the error body of handlers/http and the examples.
  static HttpResponse Message(int status, std::string_view message);

  // Appends a header (repeating a name makes it multi-valued).
  HttpResponse& AddHeader(std::string_view name, std::string_view value);
  // Replaces every header called `name` (any case) with one.
  HttpResponse& SetHeader(std::string_view name, std::string_view value);
  // The first value of header `name`, ignoring case.
  std::optional<std::string_view> Header(std::string_view name) const;
};

// The standard reason phrase of `status` ("OK", "Not Found"), or "" when unknown: the one table,
// lmc::HttpReasonPhrase() (lmc/http_status.h).
std::string_view ReasonPhrase(int status);

// EncodeBufferedResponse()
//
// The Lambda response document for `response` in the shape `request.source` expects (see the
// file comment). Thread-safe (pure).
std::string EncodeBufferedResponse(const HttpResponse& response,
                                   const events::HttpRequest& request);

// StreamPrelude()
//
// The status, headers (repeated names joined with ",", Content-Length left out: the stream
// decides the length) and cookies of `response`, for lmc::BeginHttpStream().
HttpStreamPrelude StreamPrelude(const HttpResponse& response);

}  // namespace lmc::http
