#include "handlers/inference/inference_config.h"

#include <cstdint>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace lmc::inference {
namespace {

absl::StatusOr<uint64_t> ParseCount(const char* name, const char* value, uint64_t minimum) {
  uint64_t parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed) || parsed < minimum) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " must be an integer >= ", minimum, ", not \"", value, "\""));
  }
  return parsed;
}

}  // namespace

absl::StatusOr<InferenceConfig> ParseInferenceConfig(
    const std::function<const char*(const char*)>& getenv, const std::filesystem::path& task_root) {
  InferenceConfig config;
  const char* model = getenv("LMC_MODEL");
  if (model == nullptr || *model == '\0') {
    return absl::InvalidArgumentError("LMC_MODEL (the model file or directory) is not set");
  }
  config.model = std::filesystem::path(model);
  if (config.model.is_relative()) config.model = task_root / config.model;

  if (const char* device = getenv("LMC_INFERENCE_DEVICE"); device != nullptr && *device != '\0') {
    const std::string_view name = device;
    if (name == "auto") {
      config.device = Device::kAuto;
    } else if (name == "cpu") {
      config.device = Device::kCpu;
    } else if (name == "cuda") {
      config.device = Device::kCuda;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("LMC_INFERENCE_DEVICE must be auto, cpu or cuda, not \"", device, "\""));
    }
  }
  if (const char* rows = getenv("LMC_BATCH_MAX_ROWS"); rows != nullptr && *rows != '\0') {
    absl::StatusOr<uint64_t> parsed = ParseCount("LMC_BATCH_MAX_ROWS", rows, 1);
    if (!parsed.ok()) return parsed.status();
    config.max_rows = static_cast<size_t>(*parsed);
  }
  if (const char* wait = getenv("LMC_BATCH_MAX_WAIT_US"); wait != nullptr && *wait != '\0') {
    absl::StatusOr<uint64_t> parsed = ParseCount("LMC_BATCH_MAX_WAIT_US", wait, 0);
    if (!parsed.ok()) return parsed.status();
    if (*parsed > 60'000'000) {
      return absl::InvalidArgumentError("LMC_BATCH_MAX_WAIT_US must be at most 60000000 (60 s)");
    }
    config.max_wait = std::chrono::microseconds(*parsed);
  }
  if (const char* every = getenv("LMC_BATCH_METRICS_MS"); every != nullptr && *every != '\0') {
    absl::StatusOr<uint64_t> parsed = ParseCount("LMC_BATCH_METRICS_MS", every, 1);
    if (!parsed.ok()) return parsed.status();
    config.metrics_interval = std::chrono::milliseconds(*parsed);
  }
  if (const char* normalize = getenv("LMC_EMBEDDING_NORMALIZE");
      normalize != nullptr && *normalize != '\0') {
    const std::string_view value = normalize;
    if (value != "true" && value != "false") {
      return absl::InvalidArgumentError(
          absl::StrCat("LMC_EMBEDDING_NORMALIZE must be true or false, not \"", normalize, "\""));
    }
    config.embedding_normalize = value == "true";
  }
  if (const char* texts = getenv("LMC_EMBEDDING_MAX_TEXTS"); texts != nullptr && *texts != '\0') {
    absl::StatusOr<uint64_t> parsed = ParseCount("LMC_EMBEDDING_MAX_TEXTS", texts, 1);
    if (!parsed.ok()) return parsed.status();
    config.embedding_max_texts = static_cast<size_t>(*parsed);
  }
  return config;
}

}  // namespace lmc::inference
