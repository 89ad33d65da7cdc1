#include "functions/token_stream/token_stream.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lmc/status_macros.h"
#include "lmc/strings.h"
#include "simdjson.h"

namespace lmc::examples {

using http::HttpResponse;
using http::HttpResponseWriter;
using http::RouteRequest;

absl::StatusOr<TokenRequest> ParseTokenRequest(std::string_view body) {
  // Its own parser: the event's parser still backs the request's views.
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(body);
  simdjson::dom::object object;
  if (parser.parse(padded).get(object) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("the body must be a JSON object");
  }
  TokenRequest request;
  std::string_view prompt;
  if (object["prompt"].get(prompt) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("\"prompt\" must be a string");
  }
  request.prompt = std::string(prompt);
  if (object["tokens"].get(request.tokens) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("\"tokens\" must be an integer");
  }
  if (request.tokens < 0 || request.tokens > kMaxTokens) {
    return absl::InvalidArgumentError(absl::StrCat("\"tokens\" must be in [0, ", kMaxTokens, "]"));
  }
  return request;
}

std::string_view TokenAt(const std::vector<std::string_view>& words, int64_t i) {
  if (words.empty()) return "...";
  return words[static_cast<size_t>(i) % words.size()];
}

namespace {

absl::Status StreamTokens(const RouteRequest& route, HttpResponseWriter& out) {
  absl::StatusOr<std::string> body = route.http.DecodedBody();
  if (!body.ok()) return body.status();
  LMC_ASSIGN_OR_RETURN(TokenRequest request, ParseTokenRequest(*body));
  std::vector<std::string_view> words;
  for (absl::string_view word : absl::StrSplit(AsAbsl(request.prompt), ' ', absl::SkipEmpty())) {
    words.push_back(AsStd(word));
  }
  HttpResponse head = HttpResponse::Empty(200);
  head.SetHeader("Content-Type", "text/event-stream");
  head.SetHeader("Cache-Control", "no-cache");
  LMC_RETURN_IF_ERROR(out.Begin(head));
  for (int64_t i = 0; i < request.tokens; ++i) {
    // The pause stands for the model's work; it ends early if the invocation is cancelled
    // (deadline or shutdown), and then the stream ends with an error.
    if (i > 0 && route.context.WaitForCancellation(kTokenInterval)) {
      return absl::CancelledError("the invocation was cancelled mid-stream");
    }
    LMC_RETURN_IF_ERROR(out.Write(absl::StrCat("data: ", AsAbsl(TokenAt(words, i)), "\n\n")));
  }
  return out.Write("data: [DONE]\n\n");
}

}  // namespace

void AddTokenStreamRoutes(http::Router& router) {
  for (std::string_view path : {"/", "/{path+}"}) {
    if (absl::Status status = router.AddStream("POST", path, StreamTokens); !status.ok()) {
      std::abort();  // the templates above are constants
    }
  }
}

}  // namespace lmc::examples
