// File: handlers/inference/model.h
//
// Model: a validated model of one of the two kinds the inference handler serves, read from a
// safetensors file whose `__metadata__` says what it is:
//
//   "lmc.kind":"mlp"        tensors layers.{i}.weight [out, in] and layers.{i}.bias [out],
//                           i = 0..L-1, each layer's input the previous layer's output;
//                           "lmc.activation": "relu" | "gelu" (exact) after every layer but the
//                           last; "lmc.head": "none" | "softmax" on the last layer's output.
//   "lmc.kind":"embedding"  tensor embeddings [N, D]; searched by cosine similarity.
//
// Weights are float32: F32 tensors are used in place in the mapping, F16/BF16 converted once.
// Embedding rows are stored normalised to unit length (a zero row stays zero and scores 0).
//
// Example:
//
//   absl::StatusOr<std::unique_ptr<lmc::inference::Model>> model =
//       lmc::inference::Model::Load("/var/task/model.safetensors");
//   if (!model.ok()) return model.status();          // InvalidArgument / NotFound, with why
//   size_t width = (*model)->input_width();
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "handlers/inference/safetensors.h"
#include "handlers/inference/tensor.h"

namespace lmc::inference {

enum class ModelKind { kMlp, kEmbedding };
enum class Activation { kRelu, kGelu };
enum class Head { kNone, kSoftmax };

// DenseLayer
//
// y = W x + b with W [out, in] row-major.
struct DenseLayer {
  size_t in = 0;
  size_t out = 0;
  FloatTensor weight;  // out * in values
  FloatTensor bias;    // out values
};

// Model
//
// Immutable after Load(), so thread-safe to read from any number of threads. Owns the mapping
// its borrowed tensors point into.
class Model {
 public:
  // Maps, validates and loads `path` (see the file comment for the layout). NotFound when the
  // file does not exist; InvalidArgument, naming the problem, for a corrupt, truncated or
  // inconsistent file (unknown kind/activation/head, a missing or misshapen tensor, layer widths
  // that do not chain, tensors that belong to no layer).
  static absl::StatusOr<std::unique_ptr<Model>> Load(const std::filesystem::path& path);
  // The same from an already opened file (taken over).
  static absl::StatusOr<std::unique_ptr<Model>> FromFile(SafetensorsFile file);

  ModelKind kind() const { return kind_; }
  // Values per input row: the first layer's `in` (MLP) or D (embedding).
  size_t input_width() const;
  // Values per output row: the last layer's `out` (MLP) or N (embedding: one score per row).
  size_t output_width() const;

  // MLP only.
  const std::vector<DenseLayer>& layers() const { return layers_; }
  Activation activation() const { return activation_; }
  Head head() const { return head_; }

  // Embedding only: N rows of D unit-length (or zero) values, row-major.
  size_t rows() const { return rows_; }
  size_t dim() const { return dim_; }
  const float* normalized_embeddings() const { return embeddings_.data(); }

 private:
  explicit Model(SafetensorsFile file) : file_(std::move(file)) {}
  absl::Status LoadMlp();
  absl::Status LoadEmbedding();

  SafetensorsFile file_;
  ModelKind kind_ = ModelKind::kMlp;
  std::vector<DenseLayer> layers_;
  Activation activation_ = Activation::kRelu;
  Head head_ = Head::kNone;
  size_t rows_ = 0;
  size_t dim_ = 0;
  std::vector<float> embeddings_;
};

}  // namespace lmc::inference
