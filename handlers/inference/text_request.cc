#include "handlers/inference/text_request.h"

#include <charconv>
#include <cmath>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace lmc::inference {
namespace {

absl::Status Bad(absl::string_view message) { return absl::InvalidArgumentError(message); }

void AppendFloat(std::string& out, float value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buffer[32];
  const std::to_chars_result written = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, written.ptr);
}

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
  simdjson::ondemand::document document;
  simdjson::ondemand::object object;
  if (event.Json().get(document) != simdjson::SUCCESS ||
      document.get_object().get(object) != simdjson::SUCCESS) {
    return Bad("the event must be a JSON object");
  }
  TextRequest request;
  bool have_texts = false;
  for (simdjson::simdjson_result<simdjson::ondemand::field> field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return Bad("the event must be a JSON object");
    }
    simdjson::ondemand::value value;
    if (field.value().get(value) != simdjson::SUCCESS) return Bad("the event is not valid JSON");
    if (key != "texts") continue;
    if (have_texts) return Bad("\"texts\" appears twice");
    if (absl::Status status = ReadTexts(value, tokenizer, max_tokens, max_texts, request);
        !status.ok()) {
      return status;
    }
    have_texts = true;
  }
  if (!have_texts) return Bad("the event has no \"texts\" (an array of strings to embed)");
  return request;
}

std::string FormatEmbeddings(const TextRequest& request, const std::vector<float>& embeddings,
                             size_t width) {
  const size_t count = request.tokens.size();
  std::string body;
  body.reserve(count * width * 12 + count * 6 + 32);
  body += "{\"embeddings\":[";
  for (size_t t = 0; t < count; ++t) {
    body += t == 0 ? "[" : ",[";
    for (size_t j = 0; j < width; ++j) {
      if (j > 0) body += ',';
      AppendFloat(body, embeddings[t * width + j]);
    }
    body += ']';
  }
  body += "],\"tokens\":[";
  for (size_t t = 0; t < count; ++t) {
    if (t > 0) body += ',';
    absl::StrAppend(&body, request.tokens.length(t));
  }
  body += "]}";
  return body;
}

}  // namespace lmc::inference
