// File: lmc/handler.h
//
// The handler contract: a function from an Event and its Context to a Result, which is either
// a Response (body + content type) or an Error (type + message), reported to Lambda through
// /response or /error. An exception escaping a handler is caught and reported as an Error whose
// type is the exception's type; it never takes the process down.
//
// CONCURRENCY: with AWS_LAMBDA_MAX_CONCURRENCY = N, the runtime calls the same handler from up
// to N threads at once. Handlers must be thread-safe: guard shared state with a mutex or keep it
// immutable after the init hook. Per-invocation state belongs in locals and the Context.
//
// Example:
//
//   lmc::Result Greet(const lmc::Event& event, const lmc::Context& context) {
//     if (event.size() == 0) return lmc::Error("InvalidEvent", "empty event");
//     return lmc::Response::Json(R"({"greeting":"hello"})");
//   }
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lmc/context.h"
#include "lmc/event.h"

namespace lmc {

// Response
//
// A successful result: the body Lambda returns to the caller and its content type. Either owns
// its body or, for zero-copy replies, borrows it (see Borrowed()).
class Response {
 public:
  // Owns `body`, sent with `content_type` (copied).
  explicit Response(std::string body, std::string content_type = "application/json")
      : body_(std::move(body)), content_type_(std::move(content_type)) {}

  // A JSON body (the caller guarantees it is valid JSON).
  static Response Json(std::string body) {
    return Response(std::move(body), std::string_view("application/json"));
  }
  // A UTF-8 text body.
  static Response Text(std::string body) {
    return Response(std::move(body), std::string_view("text/plain; charset=utf-8"));
  }
  // A body (and content type) that refer to bytes the Response does not own, sent without a
  // copy. Both must stay valid until the runtime has sent the answer: views of Event::bytes()
  // and Event::content_type() qualify (the event buffer lives until then), as does static
  // storage.
  static Response Borrowed(std::string_view body, std::string_view content_type) {
    return Response(body, content_type);
  }

  std::string_view body() const { return View(body_); }
  std::string_view content_type() const { return View(content_type_); }

 private:
  // Owned bytes, or a view of bytes kept alive elsewhere (a literal, the event buffer).
  using Bytes = std::variant<std::string, std::string_view>;

  // The content type is not copied: "application/json" is one byte too long for the
  // small-string buffer, so a copy would allocate on every invocation.
  Response(Bytes body, std::string_view content_type)
      : body_(std::move(body)), content_type_(content_type) {}

  static std::string_view View(const Bytes& bytes) {
    if (const std::string* owned = std::get_if<std::string>(&bytes)) return *owned;
    return std::get<std::string_view>(bytes);
  }

  Bytes body_;
  Bytes content_type_;
};

// Error
//
// A failed result, reported through /invocation/{id}/error as
// {"errorMessage": message, "errorType": type, "stackTrace": [...]}. Type and message are sent
// exactly as given (any bytes; JSON-escaped). The type also goes in the
// Lambda-Runtime-Function-Error-Type header when it is a safe header token (else "Unhandled").
class Error {
 public:
  Error(std::string type, std::string message, std::vector<std::string> stack_trace = {})
      : type_(std::move(type)),
        message_(std::move(message)),
        stack_trace_(std::move(stack_trace)) {}

  // Maps a non-OK status to an Error whose type names the code, e.g. "InvalidArgument".
  static Error FromStatus(const absl::Status& status);

  const std::string& type() const { return type_; }
  const std::string& message() const { return message_; }
  const std::vector<std::string>& stack_trace() const { return stack_trace_; }

  // The Lambda error document: {"errorMessage":...,"errorType":...,"stackTrace":[...]}.
  std::string ToJson() const;

 private:
  std::string type_;
  std::string message_;
  std::vector<std::string> stack_trace_;
};

// Result
//
// What a handler returns: a Response or an Error. Converts implicitly from either, from a
// non-OK absl::Status (an Error) and from absl::StatusOr<Response>.
class Result {
 public:
  Result(Response response) : value_(std::move(response)) {}  // NOLINT: implicit by design
  Result(Error error) : value_(std::move(error)) {}           // NOLINT: implicit by design
  // An OK status is a success with a JSON `null` body.
  Result(const absl::Status& status)  // NOLINT: implicit by design
      : value_(status.ok() ? std::variant<Response, Error>(Response::Json("null"))
                           : std::variant<Response, Error>(Error::FromStatus(status))) {}
  Result(absl::StatusOr<Response> response)  // NOLINT: implicit by design
      : value_(response.ok()
                   ? std::variant<Response, Error>(std::move(*response))
                   : std::variant<Response, Error>(Error::FromStatus(response.status()))) {}

  bool ok() const { return std::holds_alternative<Response>(value_); }
  // Requires ok().
  const Response& response() const { return std::get<Response>(value_); }
  // Requires !ok().
  const Error& error() const { return std::get<Error>(value_); }

 private:
  std::variant<Response, Error> value_;
};

// Handler
//
// Called once per invocation, concurrently from several threads (see the file comment).
using Handler = std::function<Result(const Event& event, const Context& context)>;

}  // namespace lmc
