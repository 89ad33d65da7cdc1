#include "handlers/inference/model.h"

#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lmc/strings.h"

namespace lmc::inference {
namespace {

absl::Status Invalid(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("invalid model: ", AsAbsl(what)));
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) absl::StrAppend(&text, i == 0 ? "" : ", ", shape[i]);
  return text + "]";
}

// Weights are computed on as float32: F32, F16 or BF16 only.
absl::Status CheckFloat(const TensorInfo& tensor) {
  if (IsFloatDType(tensor.dtype)) return absl::OkStatus();
  return Invalid(absl::StrCat(tensor.name, " has dtype ", AsAbsl(DTypeName(tensor.dtype)),
                              "; expected F32, F16 or BF16"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Model>> Model::Load(const std::filesystem::path& path) {
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  if (!file.ok()) return file.status();
  return FromFile(*std::move(file));
}

absl::StatusOr<std::unique_ptr<Model>> Model::FromFile(SafetensorsFile file) {
  std::unique_ptr<Model> model(new Model(std::move(file)));
  const std::optional<std::string_view> kind = model->file_.header().Metadata("lmc.kind");
  if (!kind) return Invalid("__metadata__ has no \"lmc.kind\" (\"mlp\" or \"embedding\")");
  if (*kind == "mlp") {
    model->kind_ = ModelKind::kMlp;
    if (absl::Status status = model->LoadMlp(); !status.ok()) return status;
  } else if (*kind == "embedding") {
    model->kind_ = ModelKind::kEmbedding;
    if (absl::Status status = model->LoadEmbedding(); !status.ok()) return status;
  } else {
    return Invalid(absl::StrCat("unknown lmc.kind \"", AsAbsl(*kind),
                                "\" (expected \"mlp\" or \"embedding\")"));
  }
  return model;
}

absl::Status Model::LoadMlp() {
  const SafetensorsHeader& header = file_.header();
  const std::string_view activation = header.Metadata("lmc.activation").value_or("");
  if (activation == "relu") {
    activation_ = Activation::kRelu;
  } else if (activation == "gelu") {
    activation_ = Activation::kGelu;
  } else {
    return Invalid(absl::StrCat("lmc.activation is \"", AsAbsl(activation),
                                "\" (expected \"relu\" or \"gelu\")"));
  }
  const std::string_view head = header.Metadata("lmc.head").value_or("");
  if (head == "none") {
    head_ = Head::kNone;
  } else if (head == "softmax") {
    head_ = Head::kSoftmax;
  } else {
    return Invalid(
        absl::StrCat("lmc.head is \"", AsAbsl(head), "\" (expected \"none\" or \"softmax\")"));
  }
  for (size_t i = 0;; ++i) {
    const std::string weight_name = absl::StrCat("layers.", i, ".weight");
    const std::string bias_name = absl::StrCat("layers.", i, ".bias");
    const TensorInfo* weight = header.Find(weight_name);
    const TensorInfo* bias = header.Find(bias_name);
    if (weight == nullptr && bias == nullptr) break;
    if (weight == nullptr || bias == nullptr) {
      return Invalid(
          absl::StrCat("layer ", i, " has no ", weight == nullptr ? weight_name : bias_name));
    }
    if (weight->shape.size() != 2 || weight->shape[0] == 0 || weight->shape[1] == 0) {
      return Invalid(absl::StrCat(weight_name, " has shape ", ShapeString(weight->shape),
                                  "; expected [out, in] with out, in > 0"));
    }
    DenseLayer layer;
    layer.out = static_cast<size_t>(weight->shape[0]);
    layer.in = static_cast<size_t>(weight->shape[1]);
    if (bias->shape.size() != 1 || static_cast<size_t>(bias->shape[0]) != layer.out) {
      return Invalid(absl::StrCat(bias_name, " has shape ", ShapeString(bias->shape),
                                  "; expected [", layer.out, "]"));
    }
    if (!layers_.empty() && layers_.back().out != layer.in) {
      return Invalid(absl::StrCat(weight_name, " takes ", layer.in, " inputs but layer ", i - 1,
                                  " produces ", layers_.back().out));
    }
    for (const TensorInfo* tensor : {weight, bias}) {
      if (absl::Status status = CheckFloat(*tensor); !status.ok()) return status;
    }
    layer.weight = FloatTensor::From(*weight);
    layer.bias = FloatTensor::From(*bias);
    layers_.push_back(std::move(layer));
  }
  if (layers_.empty()) return Invalid("an mlp needs layers.0.weight and layers.0.bias");
  if (header.tensors().size() != 2 * layers_.size()) {
    for (const auto& [name, tensor] : header.tensors()) {
      if (!name.starts_with("layers.")) {
        return Invalid(absl::StrCat("tensor \"", name, "\" is not part of an mlp"));
      }
    }
    return Invalid(absl::StrCat("the mlp's ", layers_.size(),
                                " layers leave other layers.* tensors (a gap in the numbering?)"));
  }
  return absl::OkStatus();
}

absl::Status Model::LoadEmbedding() {
  const SafetensorsHeader& header = file_.header();
  const TensorInfo* table = header.Find("embeddings");
  if (table == nullptr) return Invalid("an embedding model needs a tensor \"embeddings\"");
  if (table->shape.size() != 2 || table->shape[0] == 0 || table->shape[1] == 0) {
    return Invalid(absl::StrCat("embeddings has shape ", ShapeString(table->shape),
                                "; expected [N, D] with N, D > 0"));
  }
  if (header.tensors().size() != 1) {
    return Invalid("an embedding model holds exactly one tensor, \"embeddings\"");
  }
  if (absl::Status status = CheckFloat(*table); !status.ok()) return status;
  rows_ = static_cast<size_t>(table->shape[0]);
  dim_ = static_cast<size_t>(table->shape[1]);
  const FloatTensor values = FloatTensor::From(*table);
  // Normalising once here turns every query into one matrix product (cosine = dot product of
  // unit vectors). The copy is the price; the raw table is not kept.
  embeddings_.assign(values.data(), values.data() + values.size());
  for (size_t row = 0; row < rows_; ++row) {
    float* values_row = embeddings_.data() + row * dim_;
    double norm = 0;
    for (size_t j = 0; j < dim_; ++j) norm += double{values_row[j]} * values_row[j];
    if (!std::isfinite(norm)) {
      return Invalid(absl::StrCat("embedding row ", row, " is not finite"));
    }
    if (norm == 0) continue;
    const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
    for (size_t j = 0; j < dim_; ++j) values_row[j] *= scale;
  }
  return absl::OkStatus();
}

size_t Model::input_width() const { return kind_ == ModelKind::kMlp ? layers_.front().in : dim_; }

size_t Model::output_width() const { return kind_ == ModelKind::kMlp ? layers_.back().out : rows_; }

}  // namespace lmc::inference
