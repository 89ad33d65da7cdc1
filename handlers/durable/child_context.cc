// DurableContext's composite operations built on child contexts: RunInChildContext,
// WaitForCallback (a child holding a callback and its submitter step) and WaitForCondition.
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "handlers/durable/durable_context.h"
#include "handlers/durable/internal/execution.h"
#include "handlers/durable/internal/signals.h"
#include "lmc/json.h"
#include "lmc/strings.h"

namespace lmc::durable {
namespace {

// A child context's result above this is logged as a summary (or nothing) and rebuilt on
// replay by running the child again (ReplayChildren, PROTOCOL.md §9).
constexpr size_t kCheckpointSizeLimit = size_t{256} * 1024;

}  // namespace

std::string DurableContext::RunChild(std::string_view name, std::string_view sub_type,
                                     const ChildBody& body, const Summarizer* summarize,
                                     const Serdes* serdes) {
  Slot slot = Begin(OperationType::kContext, sub_type, name);
  ChildOutcome outcome = RunChildAt(slot, name, sub_type, body, summarize, serdes);
  switch (outcome.outcome) {
    case Outcome::kSucceeded:
      Done();
      return std::move(outcome.encoded);
    case Outcome::kFailed:
      Done();
      throw ChildContextError(std::move(outcome.error));
    case Outcome::kSuspended:
      break;
  }
  Suspend();
}

DurableContext::ChildOutcome DurableContext::RunChildAt(const Slot& slot, std::string_view name,
                                                        std::string_view sub_type,
                                                        const ChildBody& body,
                                                        const Summarizer* summarize,
                                                        const Serdes* serdes) {
  const std::optional<Operation>& logged = slot.logged;
  const bool rebuild = logged.has_value() && logged->status == OperationStatus::kSucceeded &&
                       logged->replay_children;
  if (logged.has_value() && logged->status == OperationStatus::kSucceeded && !rebuild) {
    if (!logged->result.has_value()) return {Outcome::kSucceeded, "null", {}};
    return {Outcome::kSucceeded, Decode(serdes, slot.id, *logged->result, name), {}};
  }
  if (logged.has_value() && IsTerminal(logged->status) && !rebuild) {
    return {Outcome::kFailed, "",
            logged->error.value_or(
                ErrorObject{absl::StrCat("ChildContext.", AsAbsl(ToString(logged->status))),
                            std::nullopt,
                            std::nullopt,
                            {}})};
  }
  if (!logged.has_value()) {
    Enqueue(NewUpdate(slot, OperationType::kContext, sub_type, OperationAction::kStart, name));
  }
  DurableContext child(*execution_, this, slot.step_id, slot.id, logger_.logger_);
  child.rebuilding_ = rebuild;
  std::string encoded;
  try {
    encoded = body(child);
  } catch (const internal::SuspendSignal&) {
    return {Outcome::kSuspended, "", {}};
  } catch (const internal::FatalSignal&) {
    throw;
  } catch (...) {
    ErrorObject error = ErrorFromException(std::current_exception());
    if (!rebuild) {
      OperationUpdate fail =
          NewUpdate(slot, OperationType::kContext, sub_type, OperationAction::kFail, name);
      fail.error = error;
      Enqueue(std::move(fail));
    }
    return {Outcome::kFailed, "", std::move(error)};
  }
  // A suspension the child's code caught and swallowed still suspends it.
  if (child.suspended_) return {Outcome::kSuspended, "", {}};
  const bool custom = serdes != nullptr && !serdes->empty();
  // With a serdes the result is what its payload reads back as, whichever invocation computed it.
  std::string payload = custom ? Encode(serdes, slot.id, encoded, name) : std::string();
  if (custom) encoded = Decode(serdes, slot.id, payload, name);
  if (rebuild) return {Outcome::kSucceeded, std::move(encoded), {}};
  OperationUpdate succeed =
      NewUpdate(slot, OperationType::kContext, sub_type, OperationAction::kSucceed, name);
  const std::string& logged_form = custom ? payload : encoded;
  if (logged_form.size() > kCheckpointSizeLimit) {
    succeed.payload = summarize != nullptr ? (*summarize)(encoded) : std::string();
    succeed.replay_children = true;
  } else {
    succeed.payload = custom ? std::move(payload) : encoded;
  }
  Enqueue(std::move(succeed));
  return {Outcome::kSucceeded, std::move(encoded), {}};
}

std::string DurableContext::RunWaitForCallback(
    std::string_view name,
    const std::function<void(std::string_view callback_id, StepContext&)>& submit,
    const WaitForCallbackOptions& options) {
  // As the JS SDK lays it out: a WaitForCallback context holding an unnamed callback (1) and
  // an unnamed submitter step (2); the context's result is the callback's raw result as a JSON
  // string, which the serdes (if any) then reads.
  const std::string context_id = NextOperationId();
  const std::string encoded =
      RunChild(name, sub_type::kWaitForCallback, [&](DurableContext& child) {
        // (Not a structured binding: a lambda below refers to the id.)
        const std::pair<std::string, std::string> ids =
            child.StartCallback("", {options.timeout, options.heartbeat_timeout, {}});
        const std::string& operation_id = ids.first;
        const std::string& callback_id = ids.second;
        child.RunStep("",
                      [&](StepContext& step) {
                        submit(callback_id, step);
                        return std::string("null");
                      },
                      {options.submitter_retry, StepSemantics::kAtLeastOncePerRetry});
        return JsonQuote(child.AwaitCallback(operation_id, nullptr));
      });
  return Decode(&options.serdes, context_id, DecodeOrFail<std::string>(encoded, name), name);
}

std::string DurableContext::RunWaitForCondition(
    std::string_view name, std::string initial_state,
    const std::function<std::string(const std::string&, StepContext&)>& check,
    const std::function<WaitDecision(const std::string&, int)>& decide, const Serdes* serdes) {
  Slot slot = Begin(OperationType::kStep, sub_type::kWaitForCondition, name);
  const std::optional<Operation>& logged = slot.logged;
  if (logged.has_value()) {
    if (logged->status == OperationStatus::kSucceeded) {
      Done();
      if (!logged->result.has_value()) return "null";
      return Decode(serdes, slot.id, *logged->result, name);
    }
    if (logged->status == OperationStatus::kPending) Suspend();
    if (IsTerminal(logged->status)) {
      Done();
      throw WaitForConditionError(logged->error.value_or(
          ErrorObject{"WaitForCondition.Failed", std::nullopt, std::nullopt, {}}));
    }
  }
  // The state the last check left in the log (RETRY carries it), else the initial state.
  std::string state = std::move(initial_state);
  if (logged.has_value() && logged->result.has_value()) {
    state = Decode(serdes, slot.id, *logged->result, name);
  }
  if (!logged.has_value() || logged->status != OperationStatus::kStarted) {
    Enqueue(NewUpdate(slot, OperationType::kStep, sub_type::kWaitForCondition,
                      OperationAction::kStart, name));
  }
  const int attempt = (logged.has_value() ? logged->attempt : 0) + 1;
  StepContext step(execution_->logger(), attempt, slot.id);
  std::string next;
  WaitDecision decision;
  try {
    next = check(state, step);
    decision = decide(next, attempt);
  } catch (const internal::SuspendSignal&) {
    throw;
  } catch (const internal::FatalSignal&) {
    throw;
  } catch (...) {
    ErrorObject error = ErrorFromException(std::current_exception());
    OperationUpdate fail = NewUpdate(slot, OperationType::kStep, sub_type::kWaitForCondition,
                                     OperationAction::kFail, name);
    fail.error = error;
    Commit(std::move(fail));
    Done();
    throw WaitForConditionError(std::move(error));
  }
  OperationUpdate update =
      NewUpdate(slot, OperationType::kStep, sub_type::kWaitForCondition,
                decision.keep_waiting ? OperationAction::kRetry : OperationAction::kSucceed, name);
  const bool custom = serdes != nullptr && !serdes->empty();
  update.payload = custom ? Encode(serdes, slot.id, next, name) : next;
  if (decision.keep_waiting) {
    update.next_attempt_delay_seconds = std::max<int64_t>(1, decision.delay.count());
    Commit(std::move(update));
    Suspend();
  }
  std::string payload = custom ? *update.payload : std::string();
  Commit(std::move(update));
  Done();
  if (custom) return Decode(serdes, slot.id, std::move(payload), name);
  return next;
}

}  // namespace lmc::durable
