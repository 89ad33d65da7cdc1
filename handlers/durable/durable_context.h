// File: handlers/durable/durable_context.h
//
// DurableContext: what a durable workflow calls to do work that survives the process. The
// workflow is ordinary sequential C++; each durable operation checkpoints its outcome, and every
// later invocation of the execution replays the code from the top, getting logged outcomes back
// instead of doing the work again:
//
//   Step(name, fn, options)          run fn once (retried per options.retry), log its result
//   Wait(name, duration)             pause without compute; the service re-invokes when due
//   CreateCallback<T>(name)          a callback id to hand out; .Result() waits for its answer
//   WaitForCallback<T>(name, submit) create a callback, pass its id to submit(), wait for it
//   Invoke<Out>(name, function, in)  invoke another Lambda function and wait for its result
//   RunInChildContext(name, fn, o)   run fn (which may use durable operations) as one unit
//   Parallel<T>(name, branches)      run branches concurrently, with completion policies
//   Map(name, items, fn)             run fn for each item concurrently, with completion policies
//   WaitForCondition<T>(name, check) poll check() with a wait strategy until it says stop
//   logger()                         a logger that stays silent while the code replays
//
// Values cross the log as JSON (handlers/durable/json_codec.h), turned into another payload by an
// operation's `serdes` option when it has one (handlers/durable/serdes.h). Names must be stable
// across invocations (they are validated on replay); "" leaves an operation unnamed.
//
// HOW SUSPENSION WORKS (the design decision). An operation that cannot complete in this
// invocation (a wait not due, a callback unanswered, a retry scheduled) records that its
// context is suspended and unwinds the workflow's stack with an internal signal that is not a
// std::exception (so `catch (const std::exception&)` does not stop it, and a `catch (...)` that
// swallows it is noticed: every later operation of that context unwinds again, and the context
// counts as suspended when its function returns). At the top, the handler flushes checkpoints
// and answers {"Status":"PENDING"}; the next invocation replays to the same point. No thread
// ever sleeps waiting for the service.
//
// CONCURRENCY. Parallel and Map run each started branch on a worker thread of their own (at most
// 16 threads per batch, whatever max_concurrency allows in flight; branches beyond that wait for
// a free worker), and the calling thread coordinates. A branch that must suspend unwinds its own
// thread only and keeps its concurrency slot (as the official SDKs count it) while the others go
// on; when nothing can run any more and the completion policy is not met, the whole batch
// suspends, so the invocation ends PENDING after every branch that could make progress has. A
// step body that blocks blocks its branch's thread only. When a completion policy is met while
// branches still run (min_successful reached, failures beyond tolerance), those branches are
// abandoned: their results no longer count, their next durable operation unwinds them and their
// checkpoints are dropped; Parallel/Map return only after joining every worker (so branch code
// may safely refer to the caller's locals), which can mean waiting for a step body in progress.
// All branches of all executions share nothing but the process: checkpoints of one execution
// are batched and serialised by its own checkpointer (one request in flight, each token used
// once), different executions never wait for each other.
//
// A DurableContext is used by the code it was handed to, one thread at a time; pass each
// branch the context it was given, never another's (ids follow call order, so sharing one
// context between threads would make them non-deterministic). Not copyable.
//
// Example:
//
//   Receipt Checkout(lmc::durable::DurableContext& ctx, const Order& order) {
//     int64_t cents = ctx.Step("price", [&] { return PriceOf(order); });
//     ctx.Wait("cool-off", std::chrono::minutes(10));
//     lmc::durable::Json approval = ctx.WaitForCallback("approval",
//         [&](std::string_view callback_id) { EmailApprover(order, callback_id); });
//     ctx.logger().Info("approved");          // written once, not on every replay
//     return ctx.Step("charge", [&] { return Charge(order, cents); },
//                     {.retry = lmc::durable::Backoff({.max_attempts = 5})});
//   }
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "handlers/durable/batch_result.h"
#include "handlers/durable/errors.h"
#include "handlers/durable/internal/batch_json.h"
#include "handlers/durable/json_codec.h"
#include "handlers/durable/operation.h"
#include "handlers/durable/options.h"
#include "handlers/durable/retry.h"
#include "lmc/handler.h"
#include "lmc/logger.h"
#include "lmc/mutex.h"

namespace lmc::durable {

class DurableContext;
namespace internal {
class Execution;
class BatchRunner;
class InvocationRunner;
}  // namespace internal

// DurableLogger
//
// The invocation's logger, silent while its context replays operations an earlier invocation
// already ran, so each line appears once in the execution's logs. Thread-safe.
class DurableLogger {
 public:
  bool Enabled(LogLevel level) const;
  void Log(LogLevel level, std::string_view message) const;
  void Trace(std::string_view message) const { Log(LogLevel::kTrace, message); }
  void Debug(std::string_view message) const { Log(LogLevel::kDebug, message); }
  void Info(std::string_view message) const { Log(LogLevel::kInfo, message); }
  void Warn(std::string_view message) const { Log(LogLevel::kWarn, message); }
  void Error(std::string_view message) const { Log(LogLevel::kError, message); }

 private:
  friend class DurableContext;
  DurableLogger(const DurableContext& context, const Logger& logger)
      : context_(context), logger_(logger) {}

  const DurableContext& context_;
  Logger logger_;
};

// StepContext
//
// What a step body sees. Valid only during the body's call.
class StepContext {
 public:
  StepContext(const Logger& logger, int attempt, std::string_view operation_id)
      : logger_(logger), attempt_(attempt), operation_id_(operation_id) {}
  // The invocation's logger (a step body runs only when it really executes).
  const Logger& logger() const { return logger_; }
  // This attempt's number, 1 for the first.
  int attempt() const { return attempt_; }
  // The step's wire operation id (16 hex digits): a natural idempotency key.
  std::string_view operation_id() const { return operation_id_; }

 private:
  const Logger& logger_;
  int attempt_;
  std::string_view operation_id_;
};

// Callback
//
// A callback created by CreateCallback(). Cheap to copy; use it only while its context lives.
template <typename T>
class Callback {
 public:
  // The id to give whoever will answer (SendDurableExecutionCallbackSuccess/Failure).
  const std::string& id() const { return callback_id_; }
  // The answer's result (through the CallbackOptions' serdes, when set); throws CallbackError
  // when it failed or timed out; suspends the execution while no answer has come.
  T Result() const;

 private:
  friend class DurableContext;
  Callback(DurableContext& context, std::string operation_id, std::string callback_id,
           Serdes serdes)
      : context_(&context),
        operation_id_(std::move(operation_id)),
        callback_id_(std::move(callback_id)),
        serdes_(std::move(serdes)) {}

  DurableContext* context_;
  std::string operation_id_;
  std::string callback_id_;
  Serdes serdes_;
};

namespace context_internal {

// Calls a step body with the StepContext if it takes one.
template <typename F>
decltype(auto) CallWithStep(F& fn, StepContext& step) {
  if constexpr (std::is_invocable_v<F&, StepContext&>) {
    return fn(step);
  } else {
    return fn();
  }
}
template <typename F>
using BodyReturn = std::conditional_t<std::is_invocable_v<F&, StepContext&>,
                                      std::invoke_result<F&, StepContext&>, std::invoke_result<F&>>;

template <typename T>
struct Unwrapped {
  using type = T;
};
template <typename T>
struct Unwrapped<absl::StatusOr<T>> {
  using type = T;
};
template <>
struct Unwrapped<absl::Status> {
  using type = void;
};
// What Step() returns for a body returning R: R, the value of an absl::StatusOr, or void.
template <typename F>
using StepValue = typename Unwrapped<std::decay_t<typename BodyReturn<F>::type>>::type;

// A non-OK status as a Failure whose errorType names its code ("NotFound").
[[noreturn]] void ThrowStatus(const absl::Status& status);

// Runs a step body and encodes what it returned.
template <typename F>
std::string RunAndEncode(F& fn, StepContext& step) {
  using R = std::decay_t<typename BodyReturn<F>::type>;
  if constexpr (std::is_void_v<R>) {
    CallWithStep(fn, step);
    return "null";
  } else if constexpr (std::is_same_v<R, absl::Status>) {
    absl::Status status = CallWithStep(fn, step);
    if (!status.ok()) ThrowStatus(status);
    return "null";
  } else if constexpr (!std::is_same_v<R, StepValue<F>>) {
    R result = CallWithStep(fn, step);
    if (!result.ok()) ThrowStatus(result.status());
    return EncodeJson(*result);
  } else {
    return EncodeJson(CallWithStep(fn, step));
  }
}

// Runs fn(args...) and encodes its result ("null" for void).
template <typename F, typename... Args>
std::string EncodeCall(F& fn, Args&&... args) {
  if constexpr (std::is_void_v<std::invoke_result_t<F&, Args...>>) {
    fn(std::forward<Args>(args)...);
    return "null";
  } else {
    return EncodeJson(fn(std::forward<Args>(args)...));
  }
}

// A batch as the engine returns it, results still encoded (internal/batch_json.h).
using EncodedItem = internal::EncodedItem;
using EncodedBatch = internal::EncodedBatch;

// What Map and Parallel hand the batch engine: one name and one body per branch.
struct BatchSpec {
  std::string_view item_sub_type;
  std::vector<std::string> names;
  std::function<std::string(DurableContext& context, size_t index)> item_body;
  std::optional<int> max_concurrency;
  CompletionConfig completion;
  const Serdes* item_serdes = nullptr;  // each branch's result; null: the JSON text
  NestingType nesting = NestingType::kNested;
};

// What fn(context, item, index) (or fn(context, item)) returns.
template <typename F, typename In>
using MapValue = std::decay_t<
    typename std::conditional_t<std::is_invocable_v<F&, DurableContext&, const In&, size_t>,
                                std::invoke_result<F&, DurableContext&, const In&, size_t>,
                                std::invoke_result<F&, DurableContext&, const In&>>::type>;

}  // namespace context_internal

// DurableContext
//
// See the file comment. Created only by the SDK (the handler, child contexts, branches).
class DurableContext {
 public:
  DurableContext(const DurableContext&) = delete;
  DurableContext& operator=(const DurableContext&) = delete;

  // Runs `fn` (callable with a StepContext& or with nothing) at most until it succeeds once,
  // logs its result and returns it; on replay returns the logged result without running it.
  // `fn` may return a value, void, absl::Status or absl::StatusOr<T> (a non-OK status fails the
  // attempt). A failed attempt is retried per options.retry; when it gives up, throws StepError.
  template <typename F>
  context_internal::StepValue<F> Step(std::string_view name, F&& fn,
                                      const StepOptions& options = {});

  // Pauses the execution for `duration` (rounded up to whole seconds, at least 1 s).
  template <typename Rep, typename Period>
  void Wait(std::string_view name, std::chrono::duration<Rep, Period> duration) {
    RunWait(name, std::chrono::ceil<std::chrono::seconds>(duration));
  }

  template <typename T = Json>
  Callback<T> CreateCallback(std::string_view name, const CallbackOptions& options = {});

  // Creates a callback, runs `submit(callback_id)` (or `submit(callback_id, StepContext&)`) as
  // a step, and returns the callback's result; throws CallbackError.
  template <typename T = Json, typename Submitter>
  T WaitForCallback(std::string_view name, Submitter&& submit,
                    const WaitForCallbackOptions& options = {});

  // Invokes Lambda function `function_name` with `input` (chained invoke) and returns its
  // result; throws InvokeError when it failed, timed out or was stopped.
  template <typename Out = Json, typename In = Json>
  Out Invoke(std::string_view name, std::string_view function_name, const In& input,
             const InvokeOptions& options = {});

  // Runs fn(child_context) as one logged unit; on replay returns its logged result (or, for a
  // result too large to log, replays its operations to rebuild it). Throws ChildContextError
  // when fn throws.
  template <typename F>
  auto RunInChildContext(std::string_view name, F&& fn, const ChildContextOptions& options = {})
      -> std::decay_t<std::invoke_result_t<F&, DurableContext&>>;

  template <typename T>
  BatchResult<T> Parallel(std::string_view name, std::vector<Branch<T>> branches,
                          const ParallelOptions& options = {});

  // Runs fn(child_context, item, index) (or fn(child_context, item)) for every item.
  template <typename In, typename F>
  BatchResult<context_internal::MapValue<F, In>> Map(std::string_view name,
                                                     const std::vector<In>& items, F&& fn,
                                                     const MapOptions<In>& options = {});

  // Calls check(state, step_context) (or check(state)) -> new state, then options.wait_strategy(new
  // state, attempt): done returns the state, otherwise the execution waits the strategy's delay and
  // checks again. Throws WaitForConditionError when a check or the strategy throws.
  template <typename T, typename F>
  T WaitForCondition(std::string_view name, F&& check, WaitForConditionOptions<T> options);

  const DurableLogger& logger() const { return logger_; }
  // True while this context is replaying operations an earlier invocation already ran.
  bool replaying() const { return replaying_.load(std::memory_order_acquire); }

 private:
  friend class internal::BatchRunner;
  friend class internal::InvocationRunner;
  template <typename T>
  friend class Callback;

  // One operation's place in the log.
  struct Slot {
    std::string step_id;  // "3-1"
    std::string id;       // its wire Id
    std::optional<Operation> logged;
  };
  enum class Outcome { kSucceeded, kFailed, kSuspended };
  struct ChildOutcome {
    Outcome outcome = Outcome::kSuspended;
    std::string encoded;
    ErrorObject error;
  };
  using EncodedBody = std::function<std::string(StepContext&)>;
  using ChildBody = std::function<std::string(DurableContext&)>;
  using Summarizer = std::function<std::string(const std::string& encoded)>;

  DurableContext(internal::Execution& execution, const DurableContext* parent,
                 std::string step_prefix, std::optional<std::string> own_id, const Logger& logger);

  // The engine behind the templates (durable_context.cc, child_context.cc, batch_runner.cc).
  std::string RunStep(std::string_view name, const EncodedBody& body, const StepOptions& options);
  void RunWait(std::string_view name, std::chrono::seconds duration);
  std::pair<std::string, std::string> StartCallback(std::string_view name,
                                                    const CallbackOptions& options);
  std::string AwaitCallback(const std::string& operation_id, const Serdes* serdes);
  std::string RunInvoke(std::string_view name, std::string_view function_name, std::string payload,
                        const InvokeOptions& options);
  std::string RunChild(std::string_view name, std::string_view sub_type, const ChildBody& body,
                       const Summarizer* summarize = nullptr, const Serdes* serdes = nullptr);
  std::string RunWaitForCondition(
      std::string_view name, std::string initial_state,
      const std::function<std::string(const std::string&, StepContext&)>& check,
      const std::function<WaitDecision(const std::string&, int)>& decide, const Serdes* serdes);
  context_internal::EncodedBatch RunBatch(std::string_view name, std::string_view sub_type,
                                          const context_internal::BatchSpec& spec,
                                          const Serdes* serdes);
  std::string RunWaitForCallback(
      std::string_view name,
      const std::function<void(std::string_view callback_id, StepContext&)>& submit,
      const WaitForCallbackOptions& options);

  // Shared steps of every operation.
  Slot Begin(OperationType type, std::string_view sub_type, std::string_view name);
  Slot BeginAt(int position, OperationType type, std::string_view sub_type, std::string_view name);
  void CheckAlive() const;
  void Validate(const Slot& slot, OperationType type, std::string_view sub_type,
                std::string_view name) const;
  OperationUpdate NewUpdate(const Slot& slot, OperationType type, std::string_view sub_type,
                            OperationAction action, std::string_view name) const;
  void Commit(OperationUpdate update);
  void Enqueue(OperationUpdate update);
  [[noreturn]] void Suspend();
  [[noreturn]] void FailFatal(ErrorObject error, bool retry_invocation) const;
  [[noreturn]] void FailDecode(const absl::Status& status, std::string_view what) const;
  void Done();  // an operation completed: refreshes replaying()
  // The wire Id of this context's `position`-th operation. Done() looks one operation ahead and
  // the next Begin() wants the same Id, so the last one computed is kept for its taker.
  std::string IdAt(int position) const;
  void KeepId(int position, std::string id) const;
  bool IsAbandoned() const;
  ChildOutcome RunChildAt(const Slot& slot, std::string_view name, std::string_view sub_type,
                          const ChildBody& body, const Summarizer* summarize, const Serdes* serdes);
  // Custom serialisation (serdes.h): the payload to log for `json`, the JSON text of a logged
  // `payload`, and both in turn (what an operation returns). Each is the identity, without a
  // copy, when `serdes` (or its function) is empty; a throwing serdes fails the execution
  // (Durable.SerializationFailed).
  std::string Encode(const Serdes* serdes, std::string_view operation_id, std::string json,
                     std::string_view what) const;
  std::string Decode(const Serdes* serdes, std::string_view operation_id, std::string payload,
                     std::string_view what) const;
  [[noreturn]] void FailSerdes(std::string_view verb, std::string_view what,
                               std::string_view operation_id, std::string_view why) const;
  // The wire Id the next operation of this context will get.
  std::string NextOperationId() const;
  std::string FailStepAttempt(const Slot& slot, std::string_view name, ErrorObject error,
                              int attempt, const RetryStrategy& retry);

  template <typename T>
  T DecodeOrFail(std::string_view encoded, std::string_view what) const {
    absl::StatusOr<T> value = DecodeJson<T>(encoded);
    if (!value.ok()) FailDecode(value.status(), what);
    return std::move(*value);
  }
  template <typename T>
  BatchResult<T> DecodeBatch(const context_internal::EncodedBatch& batch,
                             std::string_view what) const {
    std::vector<BatchItem<T>> items;
    items.reserve(batch.items.size());
    for (const context_internal::EncodedItem& encoded : batch.items) {
      BatchItem<T> item{encoded.index, encoded.status, std::nullopt, encoded.error};
      if (encoded.status == BatchItemStatus::kSucceeded) {
        item.result = DecodeOrFail<T>(encoded.result, what);
      }
      items.push_back(std::move(item));
    }
    return BatchResult<T>(std::move(items), batch.reason);
  }

  internal::Execution* const execution_;
  const DurableContext* const parent_;
  const std::string prefix_;                 // this context's step id ("" at the top)
  const std::optional<std::string> own_id_;  // its wire Id: the ParentId of its operations
  mutable Mutex mu_;
  int counter_ ABSL_GUARDED_BY(mu_) = 0;
  mutable int kept_position_ ABSL_GUARDED_BY(mu_) = 0;  // 0: none kept
  mutable std::string kept_id_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> replaying_{false};
  std::atomic<bool> suspended_{false};
  std::atomic<bool> abandoned_{false};
  std::atomic<bool> in_step_{false};
  // A SUCCEEDED context run again to rebuild a result too large to log (ReplayChildren).
  bool rebuilding_ = false;
  DurableLogger logger_;
};

// --- Template definitions --------------------------------------------------------------------

template <typename T>
T Callback<T>::Result() const {
  const std::string raw = context_->AwaitCallback(operation_id_, &serdes_);
  return context_->DecodeOrFail<T>(raw, "callback result");
}

template <typename F>
context_internal::StepValue<F> DurableContext::Step(std::string_view name, F&& fn,
                                                    const StepOptions& options) {
  using Value = context_internal::StepValue<F>;
  const std::string encoded = RunStep(
      name, [&fn](StepContext& step) { return context_internal::RunAndEncode(fn, step); }, options);
  if constexpr (std::is_void_v<Value>) {
    return;
  } else {
    return DecodeOrFail<Value>(encoded, name);
  }
}

template <typename T>
Callback<T> DurableContext::CreateCallback(std::string_view name, const CallbackOptions& options) {
  auto [operation_id, callback_id] = StartCallback(name, options);
  return Callback<T>(*this, std::move(operation_id), std::move(callback_id), options.serdes);
}

template <typename T, typename Submitter>
T DurableContext::WaitForCallback(std::string_view name, Submitter&& submit,
                                  const WaitForCallbackOptions& options) {
  const std::string raw = RunWaitForCallback(
      name,
      [&submit](std::string_view callback_id, StepContext& step) {
        if constexpr (std::is_invocable_v<Submitter&, std::string_view, StepContext&>) {
          submit(callback_id, step);
        } else {
          submit(callback_id);
        }
      },
      options);
  return DecodeOrFail<T>(raw, name);
}

template <typename Out, typename In>
Out DurableContext::Invoke(std::string_view name, std::string_view function_name, const In& input,
                           const InvokeOptions& options) {
  const std::string raw = RunInvoke(name, function_name, EncodeJson(input), options);
  return DecodeOrFail<Out>(raw, name);
}

template <typename F>
auto DurableContext::RunInChildContext(std::string_view name, F&& fn,
                                       const ChildContextOptions& options)
    -> std::decay_t<std::invoke_result_t<F&, DurableContext&>> {
  using R = std::decay_t<std::invoke_result_t<F&, DurableContext&>>;
  const std::string encoded = RunChild(
      name, sub_type::kRunInChildContext,
      [&fn](DurableContext& child) { return context_internal::EncodeCall(fn, child); }, nullptr,
      &options.serdes);
  if constexpr (std::is_void_v<R>) {
    return;
  } else {
    return DecodeOrFail<R>(encoded, name);
  }
}

template <typename T, typename F>
T DurableContext::WaitForCondition(std::string_view name, F&& check,
                                   WaitForConditionOptions<T> options) {
  const std::string encoded = RunWaitForCondition(
      name, EncodeJson(options.initial_state),
      [&](const std::string& state, StepContext& step) {
        const T current = DecodeOrFail<T>(state, name);
        if constexpr (std::is_invocable_v<F&, const T&, StepContext&>) {
          return EncodeJson(T(check(current, step)));
        } else {
          return EncodeJson(T(check(current)));
        }
      },
      [&](const std::string& state, int attempt) {
        return options.wait_strategy(DecodeOrFail<T>(state, name), attempt);
      },
      &options.serdes);
  return DecodeOrFail<T>(encoded, name);
}

template <typename T>
BatchResult<T> DurableContext::Parallel(std::string_view name, std::vector<Branch<T>> branches,
                                        const ParallelOptions& options) {
  static_assert(!std::is_void_v<T>, "Parallel branches must return a value");
  context_internal::BatchSpec spec;
  spec.item_sub_type = sub_type::kParallelBranch;
  for (size_t i = 0; i < branches.size(); ++i) {
    spec.names.push_back(branches[i].name.value_or("parallel-branch-" + std::to_string(i)));
  }
  spec.item_body = [&branches](DurableContext& branch, size_t index) {
    return context_internal::EncodeCall(branches[index].fn, branch);
  };
  spec.max_concurrency = options.max_concurrency;
  spec.completion = options.completion;
  spec.item_serdes = &options.item_serdes;
  spec.nesting = options.nesting;
  return DecodeBatch<T>(RunBatch(name, sub_type::kParallel, spec, &options.serdes), name);
}

template <typename In, typename F>
BatchResult<context_internal::MapValue<F, In>> DurableContext::Map(std::string_view name,
                                                                   const std::vector<In>& items,
                                                                   F&& fn,
                                                                   const MapOptions<In>& options) {
  using R = context_internal::MapValue<F, In>;
  static_assert(!std::is_void_v<R>, "a Map function must return a value");
  context_internal::BatchSpec spec;
  spec.item_sub_type = sub_type::kMapIteration;
  for (size_t i = 0; i < items.size(); ++i) {
    spec.names.push_back(options.item_namer ? options.item_namer(items[i], i)
                                            : "map-item-" + std::to_string(i));
  }
  spec.item_body = [&items, &fn](DurableContext& iteration, size_t index) {
    if constexpr (std::is_invocable_v<F&, DurableContext&, const In&, size_t>) {
      return context_internal::EncodeCall(fn, iteration, items[index], index);
    } else {
      return context_internal::EncodeCall(fn, iteration, items[index]);
    }
  };
  spec.max_concurrency = options.max_concurrency;
  spec.completion = options.completion;
  spec.item_serdes = &options.item_serdes;
  spec.nesting = options.nesting;
  return DecodeBatch<R>(RunBatch(name, sub_type::kMap, spec, &options.serdes), name);
}

}  // namespace lmc::durable
