#include "handlers/inference/served_model.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace lmc::inference {

batching::BatcherOptions BatcherOptionsFor(const InferenceConfig& config, size_t max_callers) {
  return batching::BatcherOptions{.max_batch_size = config.max_rows,
                                  .max_wait = config.max_wait,
                                  .max_callers = std::max<size_t>(max_callers, 1),
                                  .metrics_interval = config.metrics_interval,
                                  .name = "inference batcher"};
}

absl::Status FallBackToCpu(Device device, const absl::Status& why, const Logger& logger) {
  if (device == Device::kCuda) {
    return InitError(kModelLoadFailed,
                     absl::StrCat("LMC_INFERENCE_DEVICE=cuda but ", why.message()),
                     absl::StatusCode::kUnavailable);
  }
  logger.Info(absl::StrCat("inference: using the CPU (", why.message(), ")"));
  return absl::OkStatus();
}

Error BatchFailure(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kDeadlineExceeded) {
    return Error("Inference.Timeout", std::string{status.message()});
  }
  return Error("Inference.DeviceError", std::string{status.message()});
}

}  // namespace lmc::inference
