#include "handlers/durable/retry.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <utility>

#include "absl/random/distributions.h"
#include "handlers/durable/operation.h"
#include "lmc/thread_random.h"

namespace lmc::durable {
namespace {

// `delay` randomised by `jitter`, rounded to whole seconds, at least 1.
std::chrono::seconds Jittered(std::chrono::seconds delay, Jitter jitter) {
  double seconds = static_cast<double>(delay.count());
  if (jitter != Jitter::kNone) {
    const double low = jitter == Jitter::kFull ? 0.0 : seconds / 2;
    seconds = absl::Uniform(absl::IntervalClosed, ThreadRandom(), low, seconds);
  }
  return std::chrono::seconds(std::max<int64_t>(1, std::llround(seconds)));
}

}  // namespace

std::chrono::seconds BackoffDelay(const BackoffConfig& config, int attempt) {
  const double raw = static_cast<double>(config.initial_delay.count()) *
                     std::pow(config.backoff_rate, std::max(0, attempt - 1));
  const double capped = std::min(raw, static_cast<double>(config.max_delay.count()));
  return std::chrono::seconds(static_cast<int64_t>(capped));
}

RetryStrategy Backoff(BackoffConfig config) {
  return [config = std::move(config)](const ErrorObject& error, int attempt) {
    if (attempt >= config.max_attempts) return RetryDecision::Stop();
    if (!config.retryable_error_types.empty() &&
        std::find(config.retryable_error_types.begin(), config.retryable_error_types.end(),
                  error.type.value_or("")) == config.retryable_error_types.end()) {
      return RetryDecision::Stop();
    }
    return RetryDecision::After(Jittered(BackoffDelay(config, attempt), config.jitter));
  };
}

RetryStrategy DefaultRetry() {
  return Backoff({.max_attempts = 6,
                  .initial_delay = std::chrono::seconds(5),
                  .max_delay = std::chrono::seconds(60),
                  .backoff_rate = 2.0,
                  .jitter = Jitter::kFull});
}

RetryStrategy NoRetry() {
  return [](const ErrorObject&, int) { return RetryDecision::Stop(); };
}

}  // namespace lmc::durable
