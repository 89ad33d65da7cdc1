#include "handlers/inference/bert_config.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "lmc/strings.h"
#include "simdjson.h"

namespace lmc::inference {
namespace {

absl::Status Bad(std::string_view file, std::string_view field, std::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(AsAbsl(file), ": ", AsAbsl(field), field.empty() ? "" : " ", AsAbsl(problem)));
}

// Parses `json` into `object`, or says why not.
absl::Status ParseObject(std::string_view json, std::string_view file,
                         simdjson::dom::parser& parser, simdjson::dom::object& object) {
  simdjson::dom::element root;
  if (parser.parse(simdjson::padded_string(json)).get(root) != simdjson::SUCCESS) {
    return Bad(file, "", "is not valid JSON");
  }
  if (root.get(object) != simdjson::SUCCESS) return Bad(file, "", "must be a JSON object");
  return absl::OkStatus();
}

// A required positive integer field.
absl::Status Positive(simdjson::dom::object object, std::string_view file, std::string_view key,
                      size_t& value) {
  simdjson::dom::element element;
  if (object[key].get(element) != simdjson::SUCCESS) return Bad(file, key, "is missing");
  uint64_t number = 0;
  if (element.get(number) != simdjson::SUCCESS || number == 0 || number > (uint64_t{1} << 31)) {
    return Bad(file, key, "must be a positive integer");
  }
  value = static_cast<size_t>(number);
  return absl::OkStatus();
}

// A required string field that must equal `expected`.
absl::Status Expect(simdjson::dom::object object, std::string_view file, std::string_view key,
                    std::string_view expected, std::string_view why, bool required) {
  simdjson::dom::element element;
  if (object[key].get(element) != simdjson::SUCCESS) {
    return required ? Bad(file, key, "is missing") : absl::OkStatus();
  }
  std::string_view text;
  if (element.get(text) != simdjson::SUCCESS) return Bad(file, key, "must be a string");
  if (text != expected) {
    return Bad(
        file, key,
        absl::StrCat("is \"", AsAbsl(text), "\"; only \"", AsAbsl(expected), "\" ", AsAbsl(why)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BertConfig> ParseBertConfig(std::string_view json, std::string_view file) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (absl::Status s = ParseObject(json, file, parser, object); !s.ok()) return s;
  absl::Status s = Expect(object, file, "model_type", "bert", "is supported", true);
  if (s.ok()) {
    s = Expect(object, file, "hidden_act", "gelu", "(exact, erf) is supported", true);
  }
  if (s.ok()) {
    s = Expect(object, file, "position_embedding_type", "absolute", "is supported", false);
  }
  if (!s.ok()) return s;
  BertConfig config;
  for (const auto& [key, value] :
       {std::pair{"hidden_size", &config.hidden}, std::pair{"num_hidden_layers", &config.layers},
        std::pair{"num_attention_heads", &config.heads},
        std::pair{"intermediate_size", &config.intermediate},
        std::pair{"max_position_embeddings", &config.max_positions},
        std::pair{"type_vocab_size", &config.type_vocab}}) {
    s = Positive(object, file, key, *value);
    if (!s.ok()) return s;
  }
  if (config.hidden % config.heads != 0) {
    return Bad(file, "num_attention_heads",
               absl::StrCat(config.heads, " does not divide hidden_size ", config.hidden));
  }
  simdjson::dom::element eps;
  if (object["layer_norm_eps"].get(eps) != simdjson::SUCCESS) {
    return Bad(file, "layer_norm_eps", "is missing");
  }
  double eps_value = 0;
  if (eps.get(eps_value) != simdjson::SUCCESS || !(eps_value > 0) || eps_value > 1) {
    return Bad(file, "layer_norm_eps", "must be a number in (0, 1]");
  }
  config.layer_norm_eps = static_cast<float>(eps_value);
  simdjson::dom::element vocab;
  if (object["vocab_size"].get(vocab) == simdjson::SUCCESS) {
    size_t size = 0;
    s = Positive(object, file, "vocab_size", size);
    if (!s.ok()) return s;
    config.vocab_size = size;
  }
  return config;
}

absl::StatusOr<BertPooling> ParsePoolingConfig(std::string_view json, std::string_view file,
                                               size_t hidden) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (absl::Status s = ParseObject(json, file, parser, object); !s.ok()) return s;
  simdjson::dom::element dimension;
  if (object["word_embedding_dimension"].get(dimension) == simdjson::SUCCESS) {
    uint64_t value = 0;
    if (dimension.get(value) != simdjson::SUCCESS || value != hidden) {
      return Bad(file, "word_embedding_dimension",
                 absl::StrCat("must be config.json's hidden_size, ", hidden));
    }
  }
  bool cls = false;
  bool mean = false;
  for (const auto& [key, value, supported] :
       {std::tuple{"pooling_mode_cls_token", &cls, true},
        std::tuple{"pooling_mode_mean_tokens", &mean, true},
        std::tuple{"pooling_mode_max_tokens", static_cast<bool*>(nullptr), false},
        std::tuple{"pooling_mode_mean_sqrt_len_tokens", static_cast<bool*>(nullptr), false},
        std::tuple{"pooling_mode_weightedmean_tokens", static_cast<bool*>(nullptr), false},
        std::tuple{"pooling_mode_lasttoken", static_cast<bool*>(nullptr), false}}) {
    simdjson::dom::element element;
    if (object[key].get(element) != simdjson::SUCCESS) continue;
    bool on = false;
    if (element.get(on) != simdjson::SUCCESS) return Bad(file, key, "must be true or false");
    if (!supported && on) {
      return Bad(file, key, "is true; only mean and CLS pooling are supported");
    }
    if (value != nullptr) *value = on;
  }
  if (cls == mean) {
    return Bad(file, "pooling_mode_mean_tokens",
               "and pooling_mode_cls_token: exactly one must be true");
  }
  return cls ? BertPooling::kCls : BertPooling::kMean;
}

}  // namespace lmc::inference
