#include "handlers/inference/served_model.h"

#include <algorithm>

namespace lmc::inference {

batching::BatcherOptions BatcherOptionsFor(const InferenceConfig& config, size_t max_callers) {
  return batching::BatcherOptions{.max_batch_size = config.max_rows,
                                  .max_wait = config.max_wait,
                                  .max_callers = std::max<size_t>(max_callers, 1),
                                  .metrics_interval = config.metrics_interval,
                                  .name = "inference batcher"};
}

Error BatchFailure(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kDeadlineExceeded) {
    return Error("Inference.Timeout", std::string{status.message()});
  }
  return Error("Inference.DeviceError", std::string{status.message()});
}

}  // namespace lmc::inference
