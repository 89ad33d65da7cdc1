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
                                     const ChildBody& body, const Summarizer* summarize) {
  Slot slot = Begin(OperationType::kContext, sub_type, name);
  ChildOutcome outcome = RunChildAt(slot, name, sub_type, body, summarize);
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
                                                        const Summarizer* summarize) {
  const std::optional<Operation>& logged = slot.logged;
  const bool rebuild = logged.has_value() && logged->status == OperationStatus::kSucceeded &&
                       logged->replay_children;
  if (logged.has_value() && logged->status == OperationStatus::kSucceeded && !rebuild) {
    return {Outcome::kSucceeded, logged->result.value_or("null"), {}};
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
  if (rebuild) return {Outcome::kSucceeded, std::move(encoded), {}};
  OperationUpdate succeed =
      NewUpdate(slot, OperationType::kContext, sub_type, OperationAction::kSucceed, name);
  if (encoded.size() > kCheckpointSizeLimit) {
    succeed.payload = summarize != nullptr ? (*summarize)(encoded) : std::string();
    succeed.replay_children = true;
  } else {
    succeed.payload = encoded;
  }
  Enqueue(std::move(succeed));
  return {Outcome::kSucceeded, std::move(encoded), {}};
}

std::string DurableContext::RunWaitForCallback(
    std::string_view name,
    const std::function<void(std::string_view callback_id, StepContext&)>& submit,
    const WaitForCallbackOptions& options) {
  // As the JS SDK lays it out: a WaitForCallback context holding an unnamed callback (1) and
  // an unnamed submitter step (2); the context's result is the callback's result as a JSON
  // string.
  const std::string encoded =
      RunChild(name, sub_type::kWaitForCallback, [&](DurableContext& child) {
        // (Not a structured binding: a lambda below refers to the id.)
        const std::pair<std::string, std::string> ids =
            child.StartCallback("", {options.timeout, options.heartbeat_timeout});
        const std::string& operation_id = ids.first;
        const std::string& callback_id = ids.second;
        child.RunStep("",
                      [&](StepContext& step) {
                        submit(callback_id, step);
                        return std::string("null");
                      },
                      {options.submitter_retry, StepSemantics::kAtLeastOncePerRetry});
        return JsonQuote(child.AwaitCallback(operation_id));
      });
  return DecodeOrFail<std::string>(encoded, name);
}

std::string DurableContext::RunWaitForCondition(
    std::string_view name, std::string initial_state,
    const std::function<std::string(const std::string&, StepContext&)>& check,
    const std::function<WaitDecision(const std::string&, int)>& decide) {
  Slot slot = Begin(OperationType::kStep, sub_type::kWaitForCondition, name);
  const std::optional<Operation>& logged = slot.logged;
  if (logged.has_value()) {
    if (logged->status == OperationStatus::kSucceeded) {
      Done();
      return logged->result.value_or("null");
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
  if (logged.has_value() && logged->result.has_value()) state = *logged->result;
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
  update.payload = next;
  if (decision.keep_waiting) {
    update.next_attempt_delay_seconds = std::max<int64_t>(1, decision.delay.count());
    Commit(std::move(update));
    Suspend();
  }
  Commit(std::move(update));
  Done();
  return next;
}

}  // namespace lmc::durable
