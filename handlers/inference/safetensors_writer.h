// File: handlers/inference/safetensors_writer.h
//
// Writing safetensors files, and the deterministic test models (MLPs and embedding tables with
// known weights) that the tests, the demo tool (lmc-make-model) and the benchmark load.
//
// Example:
//
//   lmc::inference::MlpSpec spec{.widths = {4, 8, 3}, .activation = "gelu", .head = "softmax"};
//   std::string bytes = lmc::inference::WriteSafetensors(lmc::inference::MakeMlp(spec), ...);
//   absl::Status written = lmc::inference::WriteFile("/tmp/mlp.safetensors", bytes);
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "handlers/inference/safetensors.h"

namespace lmc::inference {

// TensorToWrite
//
// One tensor: its values as float32, stored as `dtype` (F16/BF16 rounded to nearest even;
// integer dtypes truncated toward zero).
struct TensorToWrite {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::vector<float> values;  // element_count(shape) values, row-major
};

// ModelToWrite
//
// Tensors (written in this order, contiguously) and `__metadata__` strings.
struct ModelToWrite {
  std::vector<TensorToWrite> tensors;
  std::map<std::string, std::string> metadata;
};

// The bytes of a safetensors file holding `model`. The header is padded with spaces so the data
// section starts at a multiple of 8 (F32 tensors then map aligned). Thread-safe (pure).
std::string WriteSafetensors(const ModelToWrite& model);

// Writes `bytes` to `path` (replacing it). Internal on I/O errors.
absl::Status WriteFile(const std::filesystem::path& path, std::string_view bytes);

// MlpSpec
//
// An MLP with layer widths `widths` (input, hidden..., output; at least two), weights and biases
// drawn from a fixed pseudo-random sequence seeded with `seed` (uniform in [-scale, scale]).
struct MlpSpec {
  std::vector<int64_t> widths;
  std::string activation = "relu";
  std::string head = "none";
  DType dtype = DType::kF32;
  uint64_t seed = 1;
  float scale = 0.5F;
};
ModelToWrite MakeMlp(const MlpSpec& spec);

// EmbeddingSpec
//
// `rows` embeddings of width `dim`, uniform in [-1, 1] from a sequence seeded with `seed`.
struct EmbeddingSpec {
  int64_t rows = 0;
  int64_t dim = 0;
  DType dtype = DType::kF32;
  uint64_t seed = 1;
};
ModelToWrite MakeEmbeddings(const EmbeddingSpec& spec);

// The fixed pseudo-random sequence the models use (splitmix64 mapped to [-1, 1]): tests and
// benchmarks draw inputs from it too, so runs are reproducible. Not thread-safe per object.
class TestRandom {
 public:
  explicit TestRandom(uint64_t seed) : state_(seed) {}
  // Uniform in [-1, 1].
  float Next();

 private:
  uint64_t state_;
};

}  // namespace lmc::inference
