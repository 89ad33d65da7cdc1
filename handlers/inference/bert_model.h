// File: handlers/inference/bert_model.h
//
// BertModel: a sentence-embedding model (BERT family) loaded from a Hugging Face /
// sentence-transformers directory, checked file by file and laid out once for the encoders:
//
//   config.json            the encoder's shape (bert_config.h)
//   model.safetensors      Hugging Face tensor names, with or without the "bert." prefix
//                          (embeddings.{word,position,token_type}_embeddings.weight,
//                          embeddings.LayerNorm.{weight,bias}, encoder.layer.{i}.attention.
//                          self.{query,key,value}.{weight,bias}, .attention.output.dense.*,
//                          .attention.output.LayerNorm.*, .intermediate.dense.*,
//                          .output.dense.*, .output.LayerNorm.*); F32, F16 or BF16. Other
//                          tensors (the pooler, position_ids) are ignored; an encoder layer
//                          beyond num_hidden_layers is an error.
//   tokenizer.json         WordPiece (wordpiece_tokenizer.h)
//   1_Pooling/config.json  optional: mean (default) or CLS pooling
//
// Layout: the query, key and value projections are fused into one [3H, H] matrix (one GEMM per
// layer instead of three); the position and token-type-0 embeddings are summed into one table.
// Every other matrix keeps Hugging Face's [out, in] row-major layout, used in place when the
// file holds aligned F32 (the mapping is not copied) and converted once otherwise.
//
// Example:
//
//   absl::StatusOr<std::unique_ptr<lmc::inference::BertModel>> model =
//       lmc::inference::BertModel::Load("/var/task/all-MiniLM-L6-v2");
//   if (!model.ok()) return model.status();   // names the file and the field
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "handlers/inference/bert_config.h"
#include "handlers/inference/safetensors.h"
#include "handlers/inference/tensor.h"
#include "handlers/inference/wordpiece_tokenizer.h"

namespace lmc::inference {

// BertLayer
//
// One encoder layer's weights, [out, in] row-major matrices (H = hidden, I = intermediate).
struct BertLayer {
  FloatTensor qkv_weight;            // [3H, H]: query rows, then key rows, then value rows
  FloatTensor qkv_bias;              // [3H]
  FloatTensor attention_out_weight;  // [H, H]
  FloatTensor attention_out_bias;    // [H]
  FloatTensor attention_norm_gamma;  // [H]
  FloatTensor attention_norm_beta;   // [H]
  FloatTensor intermediate_weight;   // [I, H]
  FloatTensor intermediate_bias;     // [I]
  FloatTensor output_weight;         // [H, I]
  FloatTensor output_bias;           // [H]
  FloatTensor output_norm_gamma;     // [H]
  FloatTensor output_norm_beta;      // [H]
};

// BertModel
//
// Immutable after Load(): thread-safe to read. Owns the mapping its borrowed tensors point into.
class BertModel {
 public:
  // Loads the directory `dir`. NotFound when `dir`, config.json, model.safetensors or
  // tokenizer.json does not exist; InvalidArgument naming the file and the field for anything
  // malformed, missing, misshapen or inconsistent between the files (a token id beyond the word
  // embeddings, vocab_size against the embeddings, a pooling width against hidden_size).
  static absl::StatusOr<std::unique_ptr<BertModel>> Load(const std::filesystem::path& dir);

  const BertConfig& config() const { return config_; }
  BertPooling pooling() const { return pooling_; }
  const WordPieceTokenizer& tokenizer() const { return *tokenizer_; }

  // [vocab_rows, H]
  const FloatTensor& word_embeddings() const { return word_embeddings_; }
  size_t vocab_rows() const { return vocab_rows_; }
  // [max_positions, H]: position p's embedding plus token type 0's.
  const std::vector<float>& position_type_embeddings() const { return position_type_; }
  const FloatTensor& embedding_norm_gamma() const { return embedding_norm_gamma_; }
  const FloatTensor& embedding_norm_beta() const { return embedding_norm_beta_; }
  const std::vector<BertLayer>& layers() const { return layers_; }

 private:
  class Loader;
  BertModel() = default;

  BertConfig config_;
  BertPooling pooling_ = BertPooling::kMean;
  std::unique_ptr<WordPieceTokenizer> tokenizer_;
  std::unique_ptr<SafetensorsFile> file_;  // borrowed tensors point into its mapping
  FloatTensor word_embeddings_;
  size_t vocab_rows_ = 0;
  std::vector<float> position_type_;
  FloatTensor embedding_norm_gamma_;
  FloatTensor embedding_norm_beta_;
  std::vector<BertLayer> layers_;
};

}  // namespace lmc::inference
