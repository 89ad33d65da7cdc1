// File: functions/token_stream/token_stream.h
//
// example-token-stream: a Function URL function that streams server-sent events, the way a model
// streams tokens. Its contract is fixed: a POST whose JSON body is {"prompt":P,"tokens":N} is
// answered with status 200, Content-Type text/event-stream, and N events "data: <token>\n\n"
// written one at a time (kTokenInterval apart), then "data: [DONE]\n\n". The tokens are the
// prompt's words in turn (a stand-in for a model). A body that is not such an object is 400
// {"message":...}; other paths and methods follow the router (404/405).
//
// The same route answers buffered invocations (the whole stream as one body), so the function
// also works behind API Gateway without response streaming.
//
// Example:
//
//   lmc::http::Router router;
//   lmc::examples::AddTokenStreamRoutes(router);
//   handlers.Register("token-stream", router.AsStreamingHandler());
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "handlers/http/router.h"

namespace lmc::examples {

// Time between two tokens.
inline constexpr std::chrono::milliseconds kTokenInterval{5};
// The most tokens one request may ask for.
inline constexpr int64_t kMaxTokens = 10000;

// TokenRequest
struct TokenRequest {
  std::string prompt;
  int64_t tokens = 0;
};

// Parses {"prompt":P,"tokens":N} (0 <= N <= kMaxTokens). InvalidArgument naming the problem.
absl::StatusOr<TokenRequest> ParseTokenRequest(std::string_view body);

// The i-th token for `prompt`: its words in turn ("..." when it has none).
std::string_view TokenAt(const std::vector<std::string_view>& words, int64_t i);

// Adds POST / and POST /{path+} to `router`.
void AddTokenStreamRoutes(http::Router& router);

}  // namespace lmc::examples
