// File: handlers/inference/bert_writer.h
//
// Writing BERT models in the Hugging Face / sentence-transformers directory layout, with random
// weights from a seeded sequence: config.json, model.safetensors (Hugging Face tensor names,
// with or without the "bert." prefix), tokenizer.json (a WordPiece vocabulary of your choosing or
// a generated one) and 1_Pooling/config.json. The tests, lmc-make-model (--kind bert), the
// benchmarks and the demo load what this writes.
//
// Example:
//
//   lmc::inference::BertSpec spec{.layers = 2, .hidden = 32, .heads = 4, .intermediate = 64};
//   absl::Status written = lmc::inference::WriteBertDirectory("/tmp/bert", spec);
//   // LMC_MODEL=/tmp/bert serves it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "handlers/inference/safetensors.h"
#include "handlers/inference/safetensors_writer.h"

namespace lmc::inference {

// AddedTokenSpec
//
// One entry of tokenizer.json's "added_tokens"; its id is the content's index in the vocabulary.
struct AddedTokenSpec {
  std::string content;
  bool special = true;
  bool normalized = false;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
};

// TokenizerSpec
//
// A WordPiece tokenizer.json. `vocab[i]` has id i. `post_processor`: "template"
// (TemplateProcessing [CLS] $A [SEP]), "bert" (BertProcessing) or "none" (null). `added`
// defaults to the five BERT special tokens ([PAD] [UNK] [CLS] [SEP] [MASK]).
struct TokenizerSpec {
  std::vector<std::string> vocab;
  bool clean_text = true;
  bool handle_chinese_chars = true;
  std::optional<bool> strip_accents;  // null in the file when unset
  bool lowercase = true;
  bool normalizer = true;  // false: "normalizer": null
  int64_t max_input_chars_per_word = 100;
  std::string post_processor = "template";
  std::optional<std::vector<AddedTokenSpec>> added;
};

// The tokenizer.json text for `spec`. Thread-safe (pure).
std::string TokenizerJson(const TokenizerSpec& spec);

// A deterministic vocabulary of `size` tokens (at least 5 + the printable ASCII characters
// and their "##" forms): [PAD] [UNK] [CLS] [SEP] [MASK], then single characters, common English
// words, and generated word pieces with and without "##".
std::vector<std::string> MakeVocabulary(size_t size);

// BertSpec
//
// A BERT encoder with random weights drawn from TestRandom(seed): matrices uniform in
// +-scale * sqrt(3 / fan_in) (unit-variance outputs for unit-variance inputs), biases and
// LayerNorm offsets in +-0.1, LayerNorm scales in 1 +- 0.1, embeddings in +-0.5. Like a Hugging
// Face checkpoint, the file also holds an I64 embeddings.position_ids buffer and the pooler's
// dense layer, which the encoder does not use. `vocab` empty: MakeVocabulary(vocab_size).
// `pooling`: "mean", "cls", or "" (no 1_Pooling directory: mean).
struct BertSpec {
  int64_t layers = 2;
  int64_t hidden = 32;
  int64_t heads = 4;
  int64_t intermediate = 64;
  int64_t max_positions = 64;
  int64_t type_vocab = 2;
  int64_t vocab_size = 200;
  double layer_norm_eps = 1e-12;
  DType dtype = DType::kF32;
  bool bert_prefix = true;  // tensor names start with "bert."
  std::string pooling = "mean";
  std::vector<std::string> vocab;
  uint64_t seed = 1;
  float scale = 1.0F;
};

// The config.json text for `spec`.
std::string BertConfigJson(const BertSpec& spec);
// The tensors of model.safetensors for `spec`, Hugging Face names (with "bert." when asked).
ModelToWrite MakeBertTensors(const BertSpec& spec);
// The vocabulary `spec` uses (its own or the generated one).
std::vector<std::string> BertVocabulary(const BertSpec& spec);

// Writes the directory (created if needed; files replaced). Internal on I/O errors.
absl::Status WriteBertDirectory(const std::filesystem::path& dir, const BertSpec& spec);

}  // namespace lmc::inference
