// The operation-independent core of DurableContext (slots, validation, checkpoints,
// suspension) and the leaf operations: steps, waits, callbacks, chained invokes. Child
// contexts are in child_context.cc, Map/Parallel in internal/batch_runner.cc.
#include "handlers/durable/durable_context.h"

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "handlers/durable/internal/execution.h"
#include "handlers/durable/internal/operation_ids.h"
#include "handlers/durable/internal/signals.h"
#include "lmc/handler.h"
#include "lmc/mutex.h"
#include "lmc/strings.h"

namespace lmc::durable {
namespace {

// The model's WaitSeconds and delay range.
constexpr int64_t kMaxWaitSeconds = 31'622'400;

std::optional<std::string> NameOrNone(std::string_view name) {
  if (name.empty()) return std::nullopt;
  return std::string(name);
}

std::string Quoted(const std::optional<std::string>& name) {
  return name.has_value() ? absl::StrCat("\"", *name, "\"") : "(unnamed)";
}

// Sets a flag for the scope of a step body (to catch durable operations called inside one).
class ScopedFlag {
 public:
  explicit ScopedFlag(std::atomic<bool>& flag) : flag_(flag) { flag_.store(true); }
  ~ScopedFlag() { flag_.store(false); }
  ScopedFlag(const ScopedFlag&) = delete;
  ScopedFlag& operator=(const ScopedFlag&) = delete;

 private:
  std::atomic<bool>& flag_;
};

}  // namespace

namespace context_internal {

void ThrowStatus(const absl::Status& status) {
  throw Failure(lmc::Error::FromStatus(status).type(), std::string(AsStd(status.message())));
}

}  // namespace context_internal

bool DurableLogger::Enabled(LogLevel level) const {
  return !context_.replaying() && logger_.Enabled(level);
}

void DurableLogger::Log(LogLevel level, std::string_view message) const {
  if (!context_.replaying()) logger_.Log(level, message);
}

DurableContext::DurableContext(internal::Execution& execution, const DurableContext* parent,
                               std::string step_prefix, std::optional<std::string> own_id,
                               const Logger& logger)
    : execution_(&execution),
      parent_(parent),
      prefix_(std::move(step_prefix)),
      own_id_(std::move(own_id)),
      logger_(*this, logger) {
  // Replaying while the log holds this context's next operation (PROTOCOL.md §8).
  std::string first = IdAt(1);
  replaying_ = execution.Has(first);
  KeepId(1, std::move(first));
}

void DurableContext::CheckAlive() const {
  if (execution_->fatal().has_value()) throw internal::FatalSignal{};
  if (suspended_ || IsAbandoned()) throw internal::SuspendSignal{};
  if (in_step_) {
    throw std::logic_error(
        "a durable operation was called inside a step body; steps cannot nest operations "
        "(use RunInChildContext)");
  }
}

bool DurableContext::IsAbandoned() const {
  for (const DurableContext* context = this; context != nullptr; context = context->parent_) {
    if (context->abandoned_) return true;
  }
  return false;
}

DurableContext::Slot DurableContext::Begin(OperationType type, std::string_view sub_type,
                                           std::string_view name) {
  CheckAlive();
  int position = 0;
  {
    MutexLock lock(&mu_);
    position = ++counter_;
  }
  return BeginAt(position, type, sub_type, name);
}

DurableContext::Slot DurableContext::BeginAt(int position, OperationType type,
                                             std::string_view sub_type, std::string_view name) {
  Slot slot;
  slot.step_id = internal::StepId(prefix_, position);
  slot.id = IdAt(position);
  slot.logged = execution_->Find(slot.id);
  if (slot.logged.has_value()) Validate(slot, type, sub_type, name);
  return slot;
}

void DurableContext::Validate(const Slot& slot, OperationType type, std::string_view sub_type,
                              std::string_view name) const {
  const Operation& logged = *slot.logged;
  const std::optional<std::string> wanted_name = NameOrNone(name);
  std::string mismatch;
  if (logged.type != type) {
    mismatch = absl::StrCat("type ", AsAbsl(ToString(logged.type)), " but the code now runs ",
                            AsAbsl(ToString(type)));
  } else if (logged.name != wanted_name) {
    mismatch =
        absl::StrCat("name ", Quoted(logged.name), " but the code now runs ", Quoted(wanted_name));
  } else if (logged.sub_type != sub_type) {
    mismatch =
        absl::StrCat("sub-type ", logged.sub_type, " but the code now runs ", AsAbsl(sub_type));
  }
  if (mismatch.empty()) return;
  FailFatal(
      {"Durable.NonDeterministicExecution",
       absl::StrCat("operation ", slot.step_id, " (id ", slot.id, ") was logged with ", mismatch,
                    ": the workflow's code or control flow changed between invocations"),
       std::nullopt,
       {}},
      /*retry_invocation=*/false);
}

OperationUpdate DurableContext::NewUpdate(const Slot& slot, OperationType type,
                                          std::string_view sub_type, OperationAction action,
                                          std::string_view name) const {
  OperationUpdate update;
  update.id = slot.id;
  update.parent_id = own_id_;
  update.name = NameOrNone(name);
  update.type = type;
  update.sub_type = std::string(sub_type);
  update.action = action;
  return update;
}

void DurableContext::Commit(OperationUpdate update) {
  // A branch whose batch already completed must not change the log any more.
  if (IsAbandoned()) throw internal::SuspendSignal{};
  absl::Status status = execution_->checkpointer().Commit(std::move(update));
  if (status.ok()) return;
  // Transient trouble and a rejected token: Lambda retries the invocation. Anything else: the
  // execution cannot go on.
  const bool retry = absl::IsUnavailable(status) || absl::IsResourceExhausted(status) ||
                     absl::IsAborted(status) || absl::IsDeadlineExceeded(status) ||
                     absl::IsInternal(status) || absl::IsUnknown(status);
  FailFatal({"Durable.CheckpointFailed", std::string(AsStd(status.message())), std::nullopt, {}},
            retry);
}

void DurableContext::Enqueue(OperationUpdate update) {
  if (IsAbandoned()) return;
  execution_->checkpointer().Enqueue(std::move(update));
}

void DurableContext::Suspend() {
  suspended_ = true;
  throw internal::SuspendSignal{};
}

void DurableContext::FailFatal(ErrorObject error, bool retry_invocation) const {
  execution_->Fail({std::move(error), retry_invocation});
  throw internal::FatalSignal{};
}

void DurableContext::FailDecode(const absl::Status& status, std::string_view what) const {
  FailFatal(
      {"Durable.SerializationFailed",
       absl::StrCat("cannot read the logged value of ",
                    what.empty() ? "an unnamed operation" : AsAbsl(what), ": ", status.message()),
       std::nullopt,
       {}},
      /*retry_invocation=*/false);
}

std::string DurableContext::Encode(const Serdes* serdes, std::string_view operation_id,
                                   std::string json, std::string_view what) const {
  if (serdes == nullptr || !serdes->encode) return json;
  try {
    return serdes->encode(json, SerdesContext{operation_id, execution_->arn()});
  } catch (const std::exception& e) {
    FailSerdes("serialize", what, operation_id, e.what());
  } catch (...) {
    FailSerdes("serialize", what, operation_id, "unknown exception");
  }
}

std::string DurableContext::Decode(const Serdes* serdes, std::string_view operation_id,
                                   std::string payload, std::string_view what) const {
  if (serdes == nullptr || !serdes->decode) return payload;
  try {
    return serdes->decode(payload, SerdesContext{operation_id, execution_->arn()});
  } catch (const std::exception& e) {
    FailSerdes("deserialize", what, operation_id, e.what());
  } catch (...) {
    FailSerdes("deserialize", what, operation_id, "unknown exception");
  }
}

void DurableContext::FailSerdes(std::string_view verb, std::string_view what,
                                std::string_view operation_id, std::string_view why) const {
  FailFatal(
      {"Durable.SerializationFailed",
       absl::StrCat("the serdes of ", what.empty() ? "an unnamed operation" : AsAbsl(what), " (",
                    AsAbsl(operation_id), ") failed to ", AsAbsl(verb), ": ", AsAbsl(why)),
       std::nullopt,
       {}},
      /*retry_invocation=*/false);
}

std::string DurableContext::NextOperationId() const {
  int next = 0;
  {
    MutexLock lock(&mu_);
    next = counter_ + 1;
  }
  return internal::HashId(internal::StepId(prefix_, next));
}

void DurableContext::Done() {
  if (!replaying_) return;
  int next = 0;
  {
    MutexLock lock(&mu_);
    next = counter_ + 1;
  }
  std::string id = IdAt(next);
  if (!execution_->Has(id)) replaying_ = false;
  KeepId(next, std::move(id));
}

std::string DurableContext::IdAt(int position) const {
  {
    MutexLock lock(&mu_);
    if (kept_position_ == position) {
      kept_position_ = 0;
      return std::move(kept_id_);
    }
  }
  return internal::HashId(internal::StepId(prefix_, position));
}

void DurableContext::KeepId(int position, std::string id) const {
  MutexLock lock(&mu_);
  kept_position_ = position;
  kept_id_ = std::move(id);
}

std::string DurableContext::RunStep(std::string_view name, const EncodedBody& body,
                                    const StepOptions& options) {
  Slot slot = Begin(OperationType::kStep, sub_type::kStep, name);
  const RetryStrategy retry = options.retry ? options.retry : DefaultRetry();
  const bool at_most_once = options.semantics == StepSemantics::kAtMostOncePerRetry;
  if (slot.logged.has_value()) {
    const Operation& logged = *slot.logged;
    switch (logged.status) {
      case OperationStatus::kSucceeded:
        Done();
        if (!logged.result.has_value()) return "null";
        return Decode(&options.serdes, slot.id, *logged.result, name);
      case OperationStatus::kPending:  // a retry is scheduled and not due yet
        Suspend();
      case OperationStatus::kStarted:
        if (!at_most_once) break;  // interrupted: at-least-once runs the body again
        return FailStepAttempt(slot, name,
                               {"Durable.StepInterrupted",
                                absl::StrCat("step ", Quoted(NameOrNone(name)),
                                             " was interrupted before its result was logged"),
                                std::nullopt,
                                {}},
                               logged.attempt + 1, retry);
      case OperationStatus::kReady:
        break;
      default:  // FAILED, and the other terminal states a step should never reach
        Done();
        throw StepError(logged.error.value_or(
            ErrorObject{absl::StrCat("Step.", AsAbsl(ToString(logged.status))),
                        std::nullopt,
                        std::nullopt,
                        {}}));
    }
  }
  const bool started = slot.logged.has_value() && slot.logged->status == OperationStatus::kStarted;
  if (!started) {
    OperationUpdate start =
        NewUpdate(slot, OperationType::kStep, sub_type::kStep, OperationAction::kStart, name);
    // At-most-once: the START must be logged before the body may run.
    if (at_most_once) {
      Commit(std::move(start));
    } else {
      Enqueue(std::move(start));
    }
  }
  const int attempt = (slot.logged.has_value() ? slot.logged->attempt : 0) + 1;
  StepContext step(execution_->logger(), attempt, slot.id);
  std::string encoded;
  try {
    ScopedFlag in_step(in_step_);
    encoded = body(step);
  } catch (const internal::SuspendSignal&) {
    throw;
  } catch (const internal::FatalSignal&) {
    throw;
  } catch (...) {
    return FailStepAttempt(slot, name, ErrorFromException(std::current_exception()), attempt,
                           retry);
  }
  OperationUpdate succeed =
      NewUpdate(slot, OperationType::kStep, sub_type::kStep, OperationAction::kSucceed, name);
  if (options.serdes.empty()) {
    succeed.payload = encoded;
    Commit(std::move(succeed));
    Done();
    return encoded;
  }
  // What the step returns is what a replay will: its payload read back.
  std::string payload = Encode(&options.serdes, slot.id, std::move(encoded), name);
  succeed.payload = payload;
  Commit(std::move(succeed));
  Done();
  return Decode(&options.serdes, slot.id, std::move(payload), name);
}

std::string DurableContext::FailStepAttempt(const Slot& slot, std::string_view name,
                                            ErrorObject error, int attempt,
                                            const RetryStrategy& retry) {
  const RetryDecision decision = retry(error, attempt);
  if (decision.retry) {
    OperationUpdate update =
        NewUpdate(slot, OperationType::kStep, sub_type::kStep, OperationAction::kRetry, name);
    update.error = std::move(error);
    update.next_attempt_delay_seconds =
        std::clamp<int64_t>(decision.delay.count(), 1, kMaxWaitSeconds);
    Commit(std::move(update));
    Suspend();
  }
  OperationUpdate update =
      NewUpdate(slot, OperationType::kStep, sub_type::kStep, OperationAction::kFail, name);
  update.error = error;
  Commit(std::move(update));
  Done();
  throw StepError(std::move(error));
}

void DurableContext::RunWait(std::string_view name, std::chrono::seconds duration) {
  if (duration.count() < 1 || duration.count() > kMaxWaitSeconds) {
    throw std::invalid_argument(absl::StrCat("Wait(\"", AsAbsl(name), "\"): ", duration.count(),
                                             " s is outside 1..", kMaxWaitSeconds, " s"));
  }
  Slot slot = Begin(OperationType::kWait, sub_type::kWait, name);
  if (!slot.logged.has_value()) {
    OperationUpdate start =
        NewUpdate(slot, OperationType::kWait, sub_type::kWait, OperationAction::kStart, name);
    start.wait_seconds = duration.count();
    Commit(std::move(start));
    slot.logged = execution_->Find(slot.id);
  }
  if (slot.logged.has_value() && slot.logged->status == OperationStatus::kSucceeded) {
    Done();
    return;
  }
  if (slot.logged.has_value() && IsTerminal(slot.logged->status)) {
    Done();
    throw OperationError(slot.logged->error.value_or(
        ErrorObject{absl::StrCat("Wait.", AsAbsl(ToString(slot.logged->status))),
                    std::nullopt,
                    std::nullopt,
                    {}}));
  }
  Suspend();
}

std::pair<std::string, std::string> DurableContext::StartCallback(std::string_view name,
                                                                  const CallbackOptions& options) {
  Slot slot = Begin(OperationType::kCallback, sub_type::kCallback, name);
  if (!slot.logged.has_value()) {
    OperationUpdate start = NewUpdate(slot, OperationType::kCallback, sub_type::kCallback,
                                      OperationAction::kStart, name);
    if (options.timeout.count() > 0) start.callback_timeout_seconds = options.timeout.count();
    if (options.heartbeat_timeout.count() > 0) {
      start.heartbeat_timeout_seconds = options.heartbeat_timeout.count();
    }
    Commit(std::move(start));
    slot.logged = execution_->Find(slot.id);
  }
  if (!slot.logged.has_value() || !slot.logged->callback_id.has_value()) {
    FailFatal({"Durable.CheckpointFailed",
               absl::StrCat("the service did not assign a callback id to callback ", slot.step_id),
               std::nullopt,
               {}},
              /*retry_invocation=*/true);
  }
  Done();
  return {slot.id, *slot.logged->callback_id};
}

std::string DurableContext::AwaitCallback(const std::string& operation_id, const Serdes* serdes) {
  CheckAlive();
  std::optional<Operation> op = execution_->Find(operation_id);
  if (!op.has_value()) Suspend();
  switch (op->status) {
    case OperationStatus::kSucceeded:
      if (!op->result.has_value()) return "null";
      return Decode(serdes, operation_id, std::move(*op->result), "callback result");
    case OperationStatus::kTimedOut:
      throw CallbackError(op->error.value_or(ErrorObject{
                              "Callback.Timeout", "callback timed out", std::nullopt, {}}),
                          /*timed_out=*/true);
    case OperationStatus::kFailed:
    case OperationStatus::kCancelled:
    case OperationStatus::kStopped:
      throw CallbackError(
          op->error.value_or(ErrorObject{"Callback.Failed", "callback failed", std::nullopt, {}}),
          /*timed_out=*/false);
    default:
      Suspend();
  }
}

std::string DurableContext::RunInvoke(std::string_view name, std::string_view function_name,
                                      std::string payload, const InvokeOptions& options) {
  Slot slot = Begin(OperationType::kChainedInvoke, sub_type::kChainedInvoke, name);
  if (!slot.logged.has_value()) {
    OperationUpdate start = NewUpdate(slot, OperationType::kChainedInvoke, sub_type::kChainedInvoke,
                                      OperationAction::kStart, name);
    start.payload = Encode(&options.payload_serdes, slot.id, std::move(payload), name);
    start.function_name = std::string(function_name);
    start.tenant_id = options.tenant_id;
    Commit(std::move(start));
    slot.logged = execution_->Find(slot.id);
  }
  if (!slot.logged.has_value() || !IsTerminal(slot.logged->status)) Suspend();
  Done();
  if (slot.logged->status == OperationStatus::kSucceeded) {
    if (!slot.logged->result.has_value()) return "null";
    return Decode(&options.result_serdes, slot.id, *slot.logged->result, name);
  }
  throw InvokeError(slot.logged->error.value_or(
      ErrorObject{absl::StrCat("Invoke.", AsAbsl(ToString(slot.logged->status))),
                  std::nullopt,
                  std::nullopt,
                  {}}));
}

}  // namespace lmc::durable
