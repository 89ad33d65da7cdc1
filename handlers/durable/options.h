// File: handlers/durable/options.h
//
// The options of DurableContext's operations (handlers/durable/durable_context.h): step
// semantics and retries, callback timeouts, chained invoke tenancy, Map/Parallel concurrency and
// completion, WaitForCondition's initial state and wait strategy, and Parallel's branches. All
// plain aggregates, so a call reads like the official SDKs' config objects:
//
// Example:
//
//   ctx.Step("charge", Charge, {.retry = lmc::durable::NoRetry(),
//                               .semantics = lmc::durable::StepSemantics::kAtMostOncePerRetry});
//   ctx.Map("resize", images, Resize, {.max_concurrency = 4,
//                                      .completion = {.tolerated_failure_count = 1}});
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "handlers/durable/batch_result.h"
#include "handlers/durable/retry.h"

namespace lmc::durable {

class DurableContext;

// StepSemantics
//
// kAtLeastOncePerRetry (default): an attempt interrupted before its result was logged runs
// again. kAtMostOncePerRetry: the START is logged before the body runs, and an interrupted
// attempt counts as failed (Durable.StepInterrupted) and goes to the retry strategy.
enum class StepSemantics { kAtLeastOncePerRetry, kAtMostOncePerRetry };

struct StepOptions {
  RetryStrategy retry;  // empty: DefaultRetry()
  StepSemantics semantics = StepSemantics::kAtLeastOncePerRetry;
};

// Callback timeouts (0: none).
struct CallbackOptions {
  std::chrono::seconds timeout{0};
  std::chrono::seconds heartbeat_timeout{0};
};
struct WaitForCallbackOptions {
  std::chrono::seconds timeout{0};
  std::chrono::seconds heartbeat_timeout{0};
  RetryStrategy submitter_retry;  // for the submitter step; empty: DefaultRetry()
};

struct InvokeOptions {
  std::optional<std::string> tenant_id;
};

// Map/Parallel: at most `max_concurrency` branches in flight (unset: all), and when to stop.
struct ParallelOptions {
  std::optional<int> max_concurrency;
  CompletionConfig completion;
};
template <typename In>
struct MapOptions {
  std::optional<int> max_concurrency;
  CompletionConfig completion;
  // Names each iteration; unset: "map-item-<index>".
  std::function<std::string(const In& item, size_t index)> item_namer;
};

// Branch
//
// One branch of Parallel: a function of its own child context, optionally named (default
// "parallel-branch-<index>"). Converts implicitly from any callable.
template <typename T>
struct Branch {
  template <typename F>
  Branch(F body) : fn(std::move(body)) {}  // NOLINT(google-explicit-constructor): braced lists
  template <typename F>
  Branch(std::string branch_name, F body) : name(std::move(branch_name)), fn(std::move(body)) {}

  std::optional<std::string> name;
  std::function<T(DurableContext&)> fn;
};

// WaitForConditionOptions
//
// The state the first check starts from, and the strategy deciding after each check (given the
// new state and the attempt number, 1-based) whether to check again and when.
template <typename T>
struct WaitForConditionOptions {
  T initial_state{};
  std::function<WaitDecision(const T& state, int attempt)> wait_strategy;
};

}  // namespace lmc::durable
