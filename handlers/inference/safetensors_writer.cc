#include "handlers/inference/safetensors_writer.h"

#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "handlers/inference/tensor.h"
#include "lmc/json.h"

namespace lmc::inference {
namespace {

// Appends `value` as one little-endian element of `dtype` (integers: truncated toward zero; F64
// exact; the 8-bit float formats are not written).
void AppendElement(DType dtype, float value, std::string& data) {
  const auto append = [&data](const auto& element) {
    char bytes[sizeof(element)];
    std::memcpy(bytes, &element, sizeof(bytes));
    data.append(bytes, sizeof(bytes));
  };
  switch (dtype) {
    case DType::kF32:
      return append(value);
    case DType::kF16:
      return append(FloatToHalf(value));
    case DType::kBF16:
      return append(FloatToBFloat16(value));
    case DType::kF64:
      return append(static_cast<double>(value));
    case DType::kI64:
    case DType::kU64:
      return append(static_cast<int64_t>(value));
    case DType::kI32:
    case DType::kU32:
      return append(static_cast<int32_t>(value));
    case DType::kI16:
    case DType::kU16:
      return append(static_cast<int16_t>(value));
    case DType::kI8:
    case DType::kU8:
    case DType::kBool:
    case DType::kF8E4M3:
    case DType::kF8E5M2:
      return append(static_cast<int8_t>(value));
  }
}

}  // namespace

std::string WriteSafetensors(const ModelToWrite& model) {
  std::string data;
  std::string header;
  JsonWriter json(&header);
  json.BeginObject();
  if (!model.metadata.empty()) {
    json.Key("__metadata__").BeginObject();
    for (const auto& [key, value] : model.metadata) json.Key(key).String(value);
    json.EndObject();
  }
  for (const TensorToWrite& tensor : model.tensors) {
    const size_t begin = data.size();
    for (float value : tensor.values) AppendElement(tensor.dtype, value, data);
    json.Key(tensor.name).BeginObject().Key("dtype").String(DTypeName(tensor.dtype));
    json.Key("shape").BeginArray();
    for (int64_t dim : tensor.shape) json.Int(dim);
    json.EndArray().Key("data_offsets").BeginArray().Uint(begin).Uint(data.size()).EndArray();
    json.EndObject();
  }
  json.EndObject();
  while ((8 + header.size()) % 8 != 0) header.push_back(' ');

  std::string file;
  file.reserve(8 + header.size() + data.size());
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) {
    file.push_back(static_cast<char>(length & 0xFFU));
    length >>= 8;
  }
  file += header;
  file += data;
  return file;
}

absl::Status WriteFile(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

float TestRandom::Next() {
  state_ += 0x9E3779B97F4A7C15ULL;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  // 24 random bits -> [0, 1] -> [-1, 1], exactly representable in float32.
  return static_cast<float>(z >> 40) / static_cast<float>((1U << 24) - 1) * 2.0F - 1.0F;
}

ModelToWrite MakeMlp(const MlpSpec& spec) {
  ModelToWrite model;
  model.metadata = {
      {"lmc.kind", "mlp"}, {"lmc.activation", spec.activation}, {"lmc.head", spec.head}};
  TestRandom random(spec.seed);
  for (size_t i = 0; i + 1 < spec.widths.size(); ++i) {
    const int64_t in = spec.widths[i];
    const int64_t out = spec.widths[i + 1];
    TensorToWrite weight{absl::StrCat("layers.", i, ".weight"), spec.dtype, {out, in}, {}};
    weight.values.resize(static_cast<size_t>(out * in));
    for (float& value : weight.values) value = random.Next() * spec.scale;
    TensorToWrite bias{absl::StrCat("layers.", i, ".bias"), spec.dtype, {out}, {}};
    bias.values.resize(static_cast<size_t>(out));
    for (float& value : bias.values) value = random.Next() * spec.scale;
    model.tensors.push_back(std::move(weight));
    model.tensors.push_back(std::move(bias));
  }
  return model;
}

ModelToWrite MakeEmbeddings(const EmbeddingSpec& spec) {
  ModelToWrite model;
  model.metadata = {{"lmc.kind", "embedding"}};
  TestRandom random(spec.seed);
  TensorToWrite table{"embeddings", spec.dtype, {spec.rows, spec.dim}, {}};
  table.values.resize(static_cast<size_t>(spec.rows * spec.dim));
  for (float& value : table.values) value = random.Next();
  model.tensors.push_back(std::move(table));
  return model;
}

}  // namespace lmc::inference
