#include "handlers/inference/text_request.h"

#include <string_view>

#include "absl/strings/str_cat.h"
#include "handlers/inference/request.h"
#include "lmc/json.h"

namespace lmc::inference {
namespace {

absl::Status Bad(absl::string_view message) { return absl::InvalidArgumentError(message); }

// Tokenizes every element of `texts` into `request`.
absl::Status ReadTexts(simdjson::ondemand::value value, const WordPieceTokenizer& tokenizer,
                       size_t max_tokens, size_t max_texts, TextRequest& request) {
  simdjson::ondemand::array texts;
  if (value.get_array().get(texts) != simdjson::SUCCESS) {
    return Bad("\"texts\" must be an array of strings");
  }
  std::vector<int32_t> ids;
  size_t index = 0;
  for (simdjson::simdjson_result<simdjson::ondemand::value> element : texts) {
    if (index == max_texts) {
      return Bad(absl::StrCat("\"texts\" holds more than ", max_texts,
                              " texts (LMC_EMBEDDING_MAX_TEXTS)"));
    }
    std::string_view text;
    if (element.get_string().get(text) != simdjson::SUCCESS) {
      return Bad(absl::StrCat("texts[", index, "] is not a string"));
    }
    tokenizer.Encode(text, max_tokens, ids);
    request.tokens.Add(ids);
    ++index;
  }
  if (index == 0) return Bad("\"texts\" is empty: give at least one text");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TextRequest> ParseTextRequest(const Event& event,
                                             const WordPieceTokenizer& tokenizer, size_t max_tokens,
                                             size_t max_texts) {
  TextRequest request;
  bool have_texts = false;
  const absl::Status read = ForEachEventMember(
      event, [&](std::string_view key, simdjson::ondemand::value value) -> absl::Status {
        if (key != "texts") return absl::OkStatus();
        if (have_texts) return Bad("\"texts\" appears twice");
        have_texts = true;
        return ReadTexts(value, tokenizer, max_tokens, max_texts, request);
      });
  if (!read.ok()) return read;
  if (!have_texts) return Bad("the event has no \"texts\" (an array of strings to embed)");
  return request;
}

std::string FormatEmbeddings(const TextRequest& request, const std::vector<float>& embeddings,
                             size_t width) {
  const size_t count = request.tokens.size();
  std::string body;
  body.reserve(count * width * 12 + count * 6 + 32);
  JsonWriter json(&body);
  json.BeginObject().Key("embeddings").BeginArray();
  for (size_t t = 0; t < count; ++t) {
    json.BeginArray();
    for (size_t j = 0; j < width; ++j) json.Float(embeddings[t * width + j]);
    json.EndArray();
  }
  json.EndArray().Key("tokens").BeginArray();
  for (size_t t = 0; t < count; ++t) json.Uint(request.tokens.length(t));
  json.EndArray().EndObject();
  return body;
}

}  // namespace lmc::inference
