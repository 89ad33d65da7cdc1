// File: handlers/durable/retry.h
//
// Retry strategies for steps and wait strategies for WaitForCondition, as the official SDKs
// define them (PROTOCOL.md §9). A strategy is a plain function of the failure and the attempt
// number, so any policy can be written inline; Backoff builds the usual exponential one.
//
// Retries are durable: a failed attempt is checkpointed with RETRY and a delay, the invocation
// suspends, and the service re-invokes the function when the delay is over, so a retry costs
// no compute while it waits and survives the process.
//
// Example:
//
//   using lmc::durable::RetryDecision;
//   lmc::durable::StepOptions options{.retry = lmc::durable::Backoff(
//       {.max_attempts = 5, .initial_delay = std::chrono::seconds(2)})};
//   options.retry = [](const lmc::durable::ErrorObject& error, int attempt) {
//     if (error.type == "Shop.OutOfStock" || attempt >= 3) return RetryDecision::Stop();
//     return RetryDecision::After(std::chrono::seconds(10 * attempt));
//   };
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "handlers/durable/operation.h"

namespace lmc::durable {

// RetryDecision
//
// Whether to try again, and after how long (whole seconds, at least 1: the service's unit).
struct RetryDecision {
  bool retry = false;
  std::chrono::seconds delay{1};

  static RetryDecision Stop() { return {}; }
  static RetryDecision After(std::chrono::seconds delay) { return {true, delay}; }
};

// RetryStrategy
//
// Called with the failure of the attempt that just ended and its number (1 for the first
// attempt). It runs once per failed attempt and its decision is checkpointed, so it need not be
// deterministic (jitter is fine). It must be thread-safe when one strategy serves concurrent
// branches.
using RetryStrategy = std::function<RetryDecision(const ErrorObject& error, int attempt)>;

// Jitter
//
// How a computed delay d is randomised: kFull picks uniformly in [0, d], kHalf in [d/2, d],
// kNone keeps d. (Always at least 1 second after rounding.)
enum class Jitter { kNone, kFull, kHalf };

// BackoffConfig
//
// Exponential backoff: attempt n waits min(initial_delay * backoff_rate^(n-1), max_delay),
// jittered. Gives up when `max_attempts` attempts have failed, or at once for an errorType not
// in `retryable_error_types` when that list is not empty.
struct BackoffConfig {
  int max_attempts = 3;
  std::chrono::seconds initial_delay{5};
  std::chrono::seconds max_delay{300};
  double backoff_rate = 2.0;
  Jitter jitter = Jitter::kFull;
  std::vector<std::string> retryable_error_types;  // empty: every failure is retryable
};

// The strategy for `config`. Thread-safe (the random source is per call).
RetryStrategy Backoff(BackoffConfig config);

// The official SDKs' default for steps: 6 attempts, 5 s initial, 60 s max, rate 2, full jitter.
RetryStrategy DefaultRetry();

// One attempt only.
RetryStrategy NoRetry();

// The delay Backoff() computes for `attempt` before jitter (exposed for tests and callers that
// compose their own strategy).
std::chrono::seconds BackoffDelay(const BackoffConfig& config, int attempt);

// WaitDecision
//
// WaitForCondition's choice after a check: stop (the state is final) or check again after
// `delay`.
struct WaitDecision {
  bool keep_waiting = false;
  std::chrono::seconds delay{1};

  static WaitDecision Done() { return {}; }
  static WaitDecision CheckAgainAfter(std::chrono::seconds delay) { return {true, delay}; }
};

}  // namespace lmc::durable
