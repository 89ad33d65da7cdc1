#include "handlers/inference/cuda_loader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "handlers/inference/cuda_plugin_abi.h"

namespace lmc::inference {
namespace {

struct PluginFunctions {
  LmcCudaAbiVersionFn abi_version = nullptr;
  LmcCudaDeviceCountFn device_count = nullptr;
  LmcCudaCreateFn create = nullptr;
  LmcCudaRunFn run = nullptr;
  LmcCudaDestroyFn destroy = nullptr;
  LmcCudaBertCreateFn bert_create = nullptr;
  LmcCudaBertRunFn bert_run = nullptr;
  LmcCudaBertDestroyFn bert_destroy = nullptr;
};

// dlopen()s the plugin. The handle is never closed: CUDA libraries do not support unloading,
// and the backend lives until the process exits anyway.
absl::StatusOr<PluginFunctions> LoadPlugin() {
  std::vector<std::string> candidates;
  // Loading happens in the init hook, before any polling loop could change the environment.
  const char* path = std::getenv("LMC_CUDA_PLUGIN");  // NOLINT(concurrency-mt-unsafe)
  if (path != nullptr && *path != '\0') {
    candidates.emplace_back(path);
  } else {
    std::error_code error;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
    if (!error) candidates.push_back((self.parent_path() / kCudaPluginName).string());
    candidates.emplace_back(kCudaPluginName);
  }
  std::string failures;
  void* handle = nullptr;
  for (const std::string& candidate : candidates) {
    handle = ::dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle != nullptr) break;
    const char* why = ::dlerror();  // NOLINT(concurrency-mt-unsafe): glibc keeps it per thread
    absl::StrAppend(&failures, failures.empty() ? "" : "; ", why != nullptr ? why : candidate);
  }
  if (handle == nullptr) {
    return absl::UnavailableError(absl::StrCat("the CUDA plugin cannot be loaded: ", failures));
  }
  PluginFunctions functions;
  functions.abi_version =
      reinterpret_cast<LmcCudaAbiVersionFn>(::dlsym(handle, "lmc_cuda_abi_version"));
  functions.device_count =
      reinterpret_cast<LmcCudaDeviceCountFn>(::dlsym(handle, "lmc_cuda_device_count"));
  functions.create = reinterpret_cast<LmcCudaCreateFn>(::dlsym(handle, "lmc_cuda_create"));
  functions.run = reinterpret_cast<LmcCudaRunFn>(::dlsym(handle, "lmc_cuda_run"));
  functions.destroy = reinterpret_cast<LmcCudaDestroyFn>(::dlsym(handle, "lmc_cuda_destroy"));
  if (functions.abi_version == nullptr) {
    return absl::UnavailableError("the CUDA plugin lacks lmc_cuda_abi_version");
  }
  if (functions.abi_version() != kLmcCudaAbiVersion) {
    return absl::UnavailableError(absl::StrCat("the CUDA plugin speaks ABI version ",
                                               functions.abi_version(), ", not ",
                                               static_cast<int>(kLmcCudaAbiVersion)));
  }
  functions.bert_create =
      reinterpret_cast<LmcCudaBertCreateFn>(::dlsym(handle, "lmc_cuda_bert_create"));
  functions.bert_run = reinterpret_cast<LmcCudaBertRunFn>(::dlsym(handle, "lmc_cuda_bert_run"));
  functions.bert_destroy =
      reinterpret_cast<LmcCudaBertDestroyFn>(::dlsym(handle, "lmc_cuda_bert_destroy"));
  if (functions.device_count == nullptr || functions.create == nullptr ||
      functions.run == nullptr || functions.destroy == nullptr ||
      functions.bert_create == nullptr || functions.bert_run == nullptr ||
      functions.bert_destroy == nullptr) {
    return absl::UnavailableError("the CUDA plugin lacks an lmc_cuda_* function");
  }
  return functions;
}

class CudaBackend final : public Backend {
 public:
  CudaBackend(PluginFunctions functions, void* backend, const Model& model)
      : functions_(functions), backend_(backend), model_(model) {}
  ~CudaBackend() override { functions_.destroy(backend_); }
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  std::string_view name() const override { return "cuda"; }

  absl::Status Run(const float* rows, size_t num_rows, size_t k, BatchOutput& out) override {
    const bool mlp = model_.kind() == ModelKind::kMlp;
    const size_t width =
        mlp ? model_.output_width() : std::min(std::max<size_t>(k, 1), model_.rows());
    out.values.resize(num_rows * width);
    out.ids.resize(mlp ? 0 : num_rows * width);
    std::array<char, 512> error{};
    size_t written = 0;
    if (functions_.run(backend_, rows, num_rows, width, out.values.data(),
                       mlp ? nullptr : out.ids.data(), &written, error.data(), error.size()) != 0) {
      return absl::InternalError(absl::StrCat("CUDA backend: ", error.data()));
    }
    out.width = written;
    return absl::OkStatus();
  }

 private:
  PluginFunctions functions_;
  void* backend_;
  const Model& model_;
};

// Padded tokens (sequences x the longest) per device pass: bounds the device's activations
// (attention scores alone are heads x length^2 floats per sequence).
constexpr size_t kMaxPaddedTokensPerPass = 16384;

class CudaBertEncoder final : public BertEncoder {
 public:
  CudaBertEncoder(PluginFunctions functions, void* encoder, const BertModel& model)
      : functions_(functions), encoder_(encoder), model_(model) {}
  ~CudaBertEncoder() override { functions_.bert_destroy(encoder_); }
  CudaBertEncoder(const CudaBertEncoder&) = delete;
  CudaBertEncoder& operator=(const CudaBertEncoder&) = delete;

  std::string_view name() const override { return "cuda"; }

  absl::Status Encode(const TokenBatch& batch, std::vector<float>& out) override {
    const BertConfig& config = model_.config();
    if (absl::Status s = ValidateTokenBatch(batch, config.max_positions, model_.vocab_rows());
        !s.ok()) {
      return s;
    }
    out.resize(batch.size() * config.hidden);
    // Consecutive passes of whole sequences, each at most kMaxPaddedTokensPerPass padded
    // tokens (or one sequence). The plugin reads ids at the (absolute) offsets it is given.
    for (size_t first = 0; first < batch.size();) {
      size_t last = first;
      size_t longest = 0;
      while (last < batch.size()) {
        const size_t longer = std::max(longest, batch.length(last));
        if (last > first && (last - first + 1) * longer > kMaxPaddedTokensPerPass) break;
        longest = longer;
        ++last;
      }
      std::array<char, 512> error{};
      if (functions_.bert_run(encoder_, batch.ids.data(), batch.offsets.data() + first,
                              last - first, out.data() + first * config.hidden, error.data(),
                              error.size()) != 0) {
        return absl::InternalError(absl::StrCat("CUDA encoder: ", error.data()));
      }
      first = last;
    }
    return absl::OkStatus();
  }

 private:
  PluginFunctions functions_;
  void* encoder_;
  const BertModel& model_;
};

// Checks that a GPU is visible to the loaded plugin.
absl::StatusOr<PluginFunctions> LoadPluginWithGpu() {
  absl::StatusOr<PluginFunctions> functions = LoadPlugin();
  if (!functions.ok()) return functions.status();
  if (functions->device_count() <= 0) return absl::UnavailableError("no CUDA GPU is visible");
  return functions;
}

}  // namespace

absl::StatusOr<std::unique_ptr<BertEncoder>> CreateCudaBertEncoder(
    const BertModel& model, const BertEncoderOptions& options) {
  absl::StatusOr<PluginFunctions> functions = LoadPluginWithGpu();
  if (!functions.ok()) return functions.status();
  const BertConfig& config = model.config();
  std::vector<LmcCudaBertLayer> layers;
  for (const BertLayer& layer : model.layers()) {
    layers.push_back({layer.qkv_weight.data(), layer.qkv_bias.data(),
                      layer.attention_out_weight.data(), layer.attention_out_bias.data(),
                      layer.attention_norm_gamma.data(), layer.attention_norm_beta.data(),
                      layer.intermediate_weight.data(), layer.intermediate_bias.data(),
                      layer.output_weight.data(), layer.output_bias.data(),
                      layer.output_norm_gamma.data(), layer.output_norm_beta.data()});
  }
  const LmcCudaBertModel description{
      .hidden = config.hidden,
      .layers = config.layers,
      .heads = config.heads,
      .intermediate = config.intermediate,
      .max_positions = config.max_positions,
      .vocab_rows = model.vocab_rows(),
      .layer_norm_eps = config.layer_norm_eps,
      .pooling = model.pooling() == BertPooling::kCls ? 1 : 0,
      .normalize = options.normalize ? 1 : 0,
      .word_embeddings = model.word_embeddings().data(),
      .position_type = model.position_type_embeddings().data(),
      .embedding_norm_gamma = model.embedding_norm_gamma().data(),
      .embedding_norm_beta = model.embedding_norm_beta().data(),
      .layer = layers.data(),
  };
  std::array<char, 512> error{};
  void* encoder = functions->bert_create(&description, error.data(), error.size());
  if (encoder == nullptr) {
    return absl::InternalError(absl::StrCat("CUDA encoder: ", error.data()));
  }
  return std::make_unique<CudaBertEncoder>(*functions, encoder, model);
}

absl::StatusOr<std::unique_ptr<Backend>> CreateCudaBackend(const Model& model) {
  absl::StatusOr<PluginFunctions> functions = LoadPluginWithGpu();
  if (!functions.ok()) return functions.status();
  LmcCudaModel description{};
  std::vector<size_t> in;
  std::vector<size_t> out;
  std::vector<const float*> weights;
  std::vector<const float*> biases;
  if (model.kind() == ModelKind::kMlp) {
    description.kind = 0;
    description.activation = model.activation() == Activation::kRelu ? 0 : 1;
    description.head = model.head() == Head::kNone ? 0 : 1;
    for (const DenseLayer& layer : model.layers()) {
      in.push_back(layer.in);
      out.push_back(layer.out);
      weights.push_back(layer.weight.data());
      biases.push_back(layer.bias.data());
    }
    description.num_layers = in.size();
    description.layer_in = in.data();
    description.layer_out = out.data();
    description.weights = weights.data();
    description.biases = biases.data();
  } else {
    description.kind = 1;
    description.rows = model.rows();
    description.dim = model.dim();
    description.embeddings = model.normalized_embeddings();
  }
  std::array<char, 512> error{};
  void* backend = functions->create(&description, error.data(), error.size());
  if (backend == nullptr) {
    return absl::InternalError(absl::StrCat("CUDA backend: ", error.data()));
  }
  return std::make_unique<CudaBackend>(*functions, backend, model);
}

}  // namespace lmc::inference
