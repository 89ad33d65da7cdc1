#include "handlers/inference/bert_model.h"

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lmc/strings.h"

namespace lmc::inference {
namespace {

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) absl::StrAppend(&text, i == 0 ? "" : ", ", shape[i]);
  return text + "]";
}

// The whole of a small file. NotFound when it does not exist.
absl::StatusOr<std::string> ReadText(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::NotFoundError(absl::StrCat(path.string(), ": no such file"));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return absl::InvalidArgumentError(absl::StrCat(path.string(), ": cannot be read"));
  return text.str();
}

// Concatenates tensors (same width) into one owned tensor.
FloatTensor Concatenate(std::initializer_list<const TensorInfo*> parts) {
  std::vector<float> values;
  for (const TensorInfo* part : parts) {
    const FloatTensor floats = FloatTensor::From(*part);
    values.insert(values.end(), floats.data(), floats.data() + floats.size());
  }
  return FloatTensor::Owned(std::move(values));
}

}  // namespace

// Reads the directory into a BertModel; every error names the file and the field.
class BertModel::Loader {
 public:
  Loader(std::filesystem::path dir, BertModel& model)
      : dir_(std::move(dir)), weights_name_((dir_ / "model.safetensors").string()), model_(model) {}

  absl::Status Run() {
    std::error_code error;
    if (!std::filesystem::is_directory(dir_, error)) {
      return absl::NotFoundError(absl::StrCat(dir_.string(), ": no such directory"));
    }
    absl::Status s = ReadConfig();
    if (s.ok()) s = ReadPooling();
    if (s.ok()) s = ReadTokenizer();
    if (s.ok()) s = ReadWeights();
    return s;
  }

 private:
  absl::Status ReadConfig() {
    const std::filesystem::path path = dir_ / "config.json";
    absl::StatusOr<std::string> text = ReadText(path);
    if (!text.ok()) return text.status();
    absl::StatusOr<BertConfig> config = ParseBertConfig(*text, path.string());
    if (!config.ok()) return config.status();
    model_.config_ = *config;
    return absl::OkStatus();
  }

  absl::Status ReadPooling() {
    const std::filesystem::path path = dir_ / "1_Pooling" / "config.json";
    std::error_code error;
    if (!std::filesystem::exists(path, error)) return absl::OkStatus();  // mean
    absl::StatusOr<std::string> text = ReadText(path);
    if (!text.ok()) return text.status();
    absl::StatusOr<BertPooling> pooling =
        ParsePoolingConfig(*text, path.string(), model_.config_.hidden);
    if (!pooling.ok()) return pooling.status();
    model_.pooling_ = *pooling;
    return absl::OkStatus();
  }

  absl::Status ReadTokenizer() {
    absl::StatusOr<std::unique_ptr<WordPieceTokenizer>> tokenizer =
        WordPieceTokenizer::Load(dir_ / "tokenizer.json");
    if (!tokenizer.ok()) return tokenizer.status();
    model_.tokenizer_ = *std::move(tokenizer);
    if (model_.config_.max_positions < model_.tokenizer_->special_token_count()) {
      return absl::InvalidArgumentError(
          absl::StrCat((dir_ / "config.json").string(),
                       ": max_position_embeddings is smaller than tokenizer.json's ",
                       model_.tokenizer_->special_token_count(), " special tokens"));
    }
    return absl::OkStatus();
  }

  absl::Status Bad(std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(weights_name_, ": ", AsAbsl(what)));
  }

  // The tensor `name` (after the prefix), a float of exactly `shape`.
  absl::StatusOr<const TensorInfo*> Tensor(std::string_view name,
                                           const std::vector<int64_t>& shape) {
    const std::string full = absl::StrCat(prefix_, AsAbsl(name));
    const TensorInfo* tensor = header_->Find(full);
    if (tensor == nullptr) return Bad(absl::StrCat(full, " is missing"));
    if (!IsFloatDType(tensor->dtype)) {
      return Bad(absl::StrCat(full, " has dtype ", AsAbsl(DTypeName(tensor->dtype)),
                              "; expected F32, F16 or BF16"));
    }
    if (tensor->shape != shape) {
      return Bad(absl::StrCat(full, " has shape ", ShapeString(tensor->shape),
                              "; config.json says ", ShapeString(shape)));
    }
    return tensor;
  }

  // Reads the tensor into `out`.
  absl::Status Read(std::string_view name, const std::vector<int64_t>& shape, FloatTensor& out) {
    absl::StatusOr<const TensorInfo*> tensor = Tensor(name, shape);
    if (!tensor.ok()) return tensor.status();
    out = FloatTensor::From(**tensor);
    return absl::OkStatus();
  }

  absl::Status ReadWeights() {
    absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(dir_ / "model.safetensors");
    if (!file.ok()) return file.status();
    model_.file_ = std::make_unique<SafetensorsFile>(*std::move(file));
    header_ = &model_.file_->header();
    if (header_->Find("bert.embeddings.word_embeddings.weight") != nullptr) prefix_ = "bert.";
    absl::Status s = ReadEmbeddings();
    if (!s.ok()) return s;
    for (size_t i = 0; i < model_.config_.layers; ++i) {
      model_.layers_.emplace_back();
      s = ReadLayer(i, model_.layers_.back());
      if (!s.ok()) return s;
    }
    // A layer the configuration does not have means the two files disagree.
    const std::string layers = prefix_ + "encoder.layer.";
    for (const auto& [name, tensor] : header_->tensors()) {
      if (!name.starts_with(layers)) continue;
      size_t index = 0;
      const char* digits = name.data() + layers.size();
      std::from_chars(digits, name.data() + name.size(), index);
      if (index >= model_.config_.layers) {
        return Bad(absl::StrCat("has ", name, " but config.json's num_hidden_layers is ",
                                model_.config_.layers));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ReadEmbeddings() {
    const BertConfig& config = model_.config_;
    const auto h = static_cast<int64_t>(config.hidden);
    const TensorInfo* words = header_->Find(prefix_ + "embeddings.word_embeddings.weight");
    if (words == nullptr) {
      return Bad("embeddings.word_embeddings.weight (with or without \"bert.\") is missing");
    }
    if (words->shape.size() != 2 || words->shape[0] == 0 || words->shape[1] != h) {
      return Bad(absl::StrCat(words->name, " has shape ", ShapeString(words->shape),
                              "; config.json says [vocabulary, ", h, "]"));
    }
    model_.vocab_rows_ = static_cast<size_t>(words->shape[0]);
    if (config.vocab_size && *config.vocab_size != model_.vocab_rows_) {
      return Bad(absl::StrCat(words->name, " has ", model_.vocab_rows_,
                              " rows but config.json's vocab_size is ", *config.vocab_size));
    }
    if (static_cast<size_t>(model_.tokenizer_->max_id()) >= model_.vocab_rows_) {
      return absl::InvalidArgumentError(absl::StrCat(
          (dir_ / "tokenizer.json").string(), ": token id ", model_.tokenizer_->max_id(),
          " is beyond model.safetensors ", words->name, " (", model_.vocab_rows_, " rows)"));
    }
    absl::Status s =
        Read("embeddings.word_embeddings.weight", words->shape, model_.word_embeddings_);
    FloatTensor positions;
    FloatTensor types;
    if (s.ok()) {
      s = Read("embeddings.position_embeddings.weight",
               {static_cast<int64_t>(config.max_positions), h}, positions);
    }
    if (s.ok()) {
      s = Read("embeddings.token_type_embeddings.weight",
               {static_cast<int64_t>(config.type_vocab), h}, types);
    }
    if (s.ok()) s = Read("embeddings.LayerNorm.weight", {h}, model_.embedding_norm_gamma_);
    if (s.ok()) s = Read("embeddings.LayerNorm.bias", {h}, model_.embedding_norm_beta_);
    if (!s.ok()) return s;
    model_.position_type_.resize(positions.size());
    for (size_t i = 0; i < positions.size(); ++i) {
      model_.position_type_[i] = positions.data()[i] + types.data()[i % config.hidden];
    }
    return absl::OkStatus();
  }

  absl::Status ReadLayer(size_t index, BertLayer& layer) {
    const auto h = static_cast<int64_t>(model_.config_.hidden);
    const auto inter = static_cast<int64_t>(model_.config_.intermediate);
    const std::string p = absl::StrCat("encoder.layer.", index, ".");
    const TensorInfo* qkv[6] = {};
    constexpr const char* kProjections[] = {"query", "key", "value"};
    for (int i = 0; i < 3; ++i) {
      const std::string base = absl::StrCat(p, "attention.self.", kProjections[i]);
      absl::StatusOr<const TensorInfo*> weight = Tensor(base + ".weight", {h, h});
      if (!weight.ok()) return weight.status();
      absl::StatusOr<const TensorInfo*> bias = Tensor(base + ".bias", {h});
      if (!bias.ok()) return bias.status();
      qkv[i] = *weight;
      qkv[3 + i] = *bias;
    }
    layer.qkv_weight = Concatenate({qkv[0], qkv[1], qkv[2]});
    layer.qkv_bias = Concatenate({qkv[3], qkv[4], qkv[5]});
    const std::pair<std::string, std::pair<std::vector<int64_t>, FloatTensor*>> parts[] = {
        {"attention.output.dense.weight", {{h, h}, &layer.attention_out_weight}},
        {"attention.output.dense.bias", {{h}, &layer.attention_out_bias}},
        {"attention.output.LayerNorm.weight", {{h}, &layer.attention_norm_gamma}},
        {"attention.output.LayerNorm.bias", {{h}, &layer.attention_norm_beta}},
        {"intermediate.dense.weight", {{inter, h}, &layer.intermediate_weight}},
        {"intermediate.dense.bias", {{inter}, &layer.intermediate_bias}},
        {"output.dense.weight", {{h, inter}, &layer.output_weight}},
        {"output.dense.bias", {{h}, &layer.output_bias}},
        {"output.LayerNorm.weight", {{h}, &layer.output_norm_gamma}},
        {"output.LayerNorm.bias", {{h}, &layer.output_norm_beta}},
    };
    for (const auto& [name, shape_and_target] : parts) {
      absl::Status s = Read(p + name, shape_and_target.first, *shape_and_target.second);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  const std::filesystem::path dir_;
  const std::string weights_name_;
  BertModel& model_;
  const SafetensorsHeader* header_ = nullptr;
  std::string prefix_;  // "bert." or ""
};

absl::StatusOr<std::unique_ptr<BertModel>> BertModel::Load(const std::filesystem::path& dir) {
  std::unique_ptr<BertModel> model(new BertModel());
  if (absl::Status s = Loader(dir, *model).Run(); !s.ok()) return s;
  return model;
}

}  // namespace lmc::inference
