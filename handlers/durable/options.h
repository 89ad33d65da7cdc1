// File: handlers/durable/options.h
//
// The options of DurableContext's operations (handlers/durable/durable_context.h): step
// semantics and retries, callback timeouts, chained invoke tenancy, Map/Parallel concurrency and
// completion, WaitForCondition's initial state and wait strategy, Parallel's branches, and each
// operation's custom serialisation (handlers/durable/serdes.h; empty: the JSON text is the
// payload). All plain aggregates, so a call reads like the official SDKs' config objects:
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
#include "handlers/durable/serdes.h"

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
  Serdes serdes;  // the step's result
};

// Callback timeouts (0: none), and how the answer's payload becomes JSON (serdes.decode; encode
// is not used: whoever completes the callback writes the payload).
struct CallbackOptions {
  std::chrono::seconds timeout{0};
  std::chrono::seconds heartbeat_timeout{0};
  Serdes serdes;
};
struct WaitForCallbackOptions {
  std::chrono::seconds timeout{0};
  std::chrono::seconds heartbeat_timeout{0};
  RetryStrategy submitter_retry;  // for the submitter step; empty: DefaultRetry()
  Serdes serdes;                  // the callback's result (decode)
};

struct InvokeOptions {
  std::optional<std::string> tenant_id;
  Serdes payload_serdes;  // the input sent to the function (encode)
  Serdes result_serdes;   // its result (decode)
};

struct ChildContextOptions {
  Serdes serdes;  // the child context's result
};

// NestingType
//
// How Map/Parallel branches are logged. kNested (default): each branch is a CONTEXT operation
// (MapIteration / ParallelBranch) holding its operations and logging its result. kFlat: each
// branch runs in a virtual context: no CONTEXT is logged for it, its operations are logged
// directly under the batch's CONTEXT (their ids still derive from the branch's position, so
// replay stays deterministic), and its result is not logged: a replay runs the branch's code
// again over its logged operations. Fewer operations per batch; item_serdes then has nothing to
// apply to. (The Python SDK's NestingType; the JS SDK has only nested branches.)
enum class NestingType { kNested, kFlat };

// Map/Parallel: at most `max_concurrency` branches in flight (unset: all), when to stop, how
// the whole batch result (serdes) and each branch's result (item_serdes) are logged, and how
// branches nest.
struct ParallelOptions {
  std::optional<int> max_concurrency;
  CompletionConfig completion;
  Serdes serdes;
  Serdes item_serdes;
  NestingType nesting = NestingType::kNested;
};
template <typename In>
struct MapOptions {
  std::optional<int> max_concurrency;
  CompletionConfig completion;
  // Names each iteration; unset: "map-item-<index>".
  std::function<std::string(const In& item, size_t index)> item_namer;
  Serdes serdes;
  Serdes item_serdes;
  NestingType nesting = NestingType::kNested;
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
// The state the first check starts from, the strategy deciding after each check (given the
// new state and the attempt number, 1-based) whether to check again and when, and how the state
// is logged between checks.
template <typename T>
struct WaitForConditionOptions {
  T initial_state{};
  std::function<WaitDecision(const T& state, int attempt)> wait_strategy;
  Serdes serdes;
};

}  // namespace lmc::durable
