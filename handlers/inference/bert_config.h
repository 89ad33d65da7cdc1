// File: handlers/inference/bert_config.h
//
// The two small JSON files of a BERT model directory: config.json (Hugging Face: the encoder's
// shape) and 1_Pooling/config.json (sentence-transformers: how token vectors become one sentence
// vector). Every error names the file and the field.
//
// config.json must say model_type "bert", hidden_act "gelu" (exact, erf), and give
// hidden_size, num_hidden_layers, num_attention_heads (dividing hidden_size),
// intermediate_size, max_position_embeddings, type_vocab_size (positive integers) and
// layer_norm_eps (> 0). position_embedding_type, when present, must be "absolute"; vocab_size,
// when present, is checked against the word embeddings by the model loader.
//
// 1_Pooling/config.json selects mean or CLS pooling (pooling_mode_mean_tokens /
// pooling_mode_cls_token, exactly one true); the other sentence-transformers modes (max,
// mean_sqrt_len, weightedmean, lasttoken) are refused by name. Without the file: mean.
//
// Example:
//
//   absl::StatusOr<lmc::inference::BertConfig> config =
//       lmc::inference::ParseBertConfig(json_text, "/var/task/model/config.json");
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"

namespace lmc::inference {

// BertConfig
//
// The validated shape of a BERT encoder. Plain value.
struct BertConfig {
  size_t hidden = 0;
  size_t layers = 0;
  size_t heads = 0;
  size_t intermediate = 0;
  size_t max_positions = 0;
  size_t type_vocab = 0;
  float layer_norm_eps = 1e-12F;
  std::optional<size_t> vocab_size;  // when config.json gives it

  size_t head_dim() const { return hidden / heads; }
};

enum class BertPooling { kMean, kCls };

// Parses config.json's text; `file` names it in errors (InvalidArgument). Thread-safe (pure).
absl::StatusOr<BertConfig> ParseBertConfig(std::string_view json, std::string_view file);

// Parses 1_Pooling/config.json's text for a model of width `hidden` (word_embedding_dimension,
// when present, must equal it). InvalidArgument naming `file` and the field.
absl::StatusOr<BertPooling> ParsePoolingConfig(std::string_view json, std::string_view file,
                                               size_t hidden);

}  // namespace lmc::inference
