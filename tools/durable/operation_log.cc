// OperationLog: applying updates and the service's own changes (see operation_log.h). The
// validation rules are in operation_log_validate.cc.

#include "tools/durable/operation_log.h"

#include <utility>

#include "absl/container/flat_hash_set.h"

namespace lmc::durable_service {

HistoryEvent& History::Add(std::string type, absl::Time now, const Operation* op) {
  HistoryEvent& e = events_.emplace_back();
  e.type = std::move(type);
  e.event_id = static_cast<int64_t>(events_.size());
  e.timestamp = now;
  if (op != nullptr) {
    e.op_id = op->id;
    e.name = op->name;
    e.parent_id = op->parent_id;
    e.sub_type = op->sub_type;
  }
  return e;
}

OperationLog::OperationLog(Operation execution, History* history) : history_(history) {
  index_[execution.id] = 0;
  entries_.push_back(Entry{.op = std::move(execution), .touched = ++seq_});
}

OperationLog::Entry* OperationLog::FindEntry(const std::string& op_id) {
  auto it = index_.find(op_id);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

const Operation* OperationLog::Find(const std::string& op_id) const {
  auto it = index_.find(op_id);
  return it == index_.end() ? nullptr : &entries_[it->second].op;
}

OperationLog::Entry& OperationLog::Create(const OperationUpdate& u, absl::Time now) {
  if (Entry* existing = FindEntry(u.id)) return *existing;
  index_[u.id] = entries_.size();
  Entry& e = entries_.emplace_back();
  e.op.id = u.id;
  e.op.parent_id = u.parent_id;
  e.op.name = u.name;
  e.op.type = u.type;
  e.op.sub_type = u.sub_type;
  e.op.status = OperationStatus::kStarted;
  e.op.start_timestamp = now;
  return e;
}

HistoryEvent& OperationLog::Record(std::string type, absl::Time now, const Operation& op) {
  return history_->Add(std::move(type), now, &op);
}

ApplyEffects OperationLog::Apply(const std::vector<OperationUpdate>& updates, absl::Time now,
                                 Hooks& hooks) {
  ApplyEffects fx;
  for (const OperationUpdate& u : updates) {
    switch (u.type) {
      case OperationType::kStep:
        ApplyStep(u, now);
        break;
      case OperationType::kContext:
        ApplyContext(u, now);
        break;
      case OperationType::kWait:
        ApplyWait(u, now);
        break;
      case OperationType::kCallback:
        ApplyCallback(u, now, hooks, fx);
        break;
      case OperationType::kChainedInvoke:
        ApplyChainedInvoke(u, now, hooks, fx);
        break;
      case OperationType::kExecution:
        // The service completes the execution when the invocation ends (InvocationCompleted
        // comes before ExecutionSucceeded); the result is kept until then.
        fx.outcome = ExecutionOutcome{.succeeded = u.action == OperationAction::kSucceed,
                                      .result = u.payload,
                                      .error = u.error};
        break;
    }
  }
  return fx;
}

void OperationLog::ApplyStep(const OperationUpdate& u, absl::Time now) {
  Entry& e = Create(u, now);
  Operation& op = e.op;
  Touch(e);
  if (u.action == OperationAction::kStart) {
    op.status = OperationStatus::kStarted;
    Record("StepStarted", now, op);
    return;
  }
  // Every SUCCEED, FAIL and RETRY ends an attempt.
  ++op.attempt;
  op.result = u.payload;
  op.error = u.error;
  HistoryEvent* event = nullptr;
  if (u.action == OperationAction::kRetry) {
    op.status = OperationStatus::kPending;
    op.end_timestamp.reset();
    op.next_attempt_timestamp = now + absl::Seconds(*u.next_attempt_delay_seconds);
    // A retry with an error is a failed attempt; with a payload (a wait-for-condition poll), a
    // succeeded one.
    event = &Record(u.error ? "StepFailed" : "StepSucceeded", now, op);
  } else {
    const bool succeeded = u.action == OperationAction::kSucceed;
    op.status = succeeded ? OperationStatus::kSucceeded : OperationStatus::kFailed;
    op.end_timestamp = now;
    event = &Record(succeeded ? "StepSucceeded" : "StepFailed", now, op);
  }
  event->details.result = u.payload;
  event->details.error = u.error;
  event->details.has_retry_details = true;
  event->details.current_attempt = op.attempt;
  event->details.next_attempt_delay_seconds = u.next_attempt_delay_seconds;
}

void OperationLog::ApplyContext(const OperationUpdate& u, absl::Time now) {
  Entry& e = Create(u, now);
  Operation& op = e.op;
  Touch(e);
  if (u.replay_children) op.replay_children = u.replay_children;
  if (u.action == OperationAction::kStart) {
    op.status = OperationStatus::kStarted;
    Record("ContextStarted", now, op);
    return;
  }
  const bool succeeded = u.action == OperationAction::kSucceed;
  op.status = succeeded ? OperationStatus::kSucceeded : OperationStatus::kFailed;
  op.end_timestamp = now;
  op.result = u.payload;
  op.error = u.error;
  HistoryEvent& event = Record(succeeded ? "ContextSucceeded" : "ContextFailed", now, op);
  event.details.result = u.payload;
  event.details.error = u.error;
}

void OperationLog::ApplyWait(const OperationUpdate& u, absl::Time now) {
  Entry& e = Create(u, now);
  Operation& op = e.op;
  Touch(e);
  if (u.action == OperationAction::kCancel) {
    op.status = OperationStatus::kCancelled;
    op.end_timestamp = now;
    Record("WaitCancelled", now, op).details.error = u.error;
    return;
  }
  e.wait_seconds = *u.wait_seconds;
  op.scheduled_end_timestamp = now + absl::Seconds(e.wait_seconds);
  HistoryEvent& event = Record("WaitStarted", now, op);
  event.details.duration_seconds = e.wait_seconds;
  event.details.scheduled_end_timestamp = op.scheduled_end_timestamp;
}

void OperationLog::ApplyCallback(const OperationUpdate& u, absl::Time now, Hooks& hooks,
                                 ApplyEffects& fx) {
  Entry& e = Create(u, now);
  Operation& op = e.op;
  Touch(e);
  op.callback_id = hooks.NewCallbackId(op);
  fx.callbacks_started.push_back(op.id);
  HistoryEvent& event = Record("CallbackStarted", now, op);
  event.details.callback_id = op.callback_id;
  if (u.callback_timeout_seconds.value_or(0) > 0) {
    event.details.timeout_seconds = u.callback_timeout_seconds;
  }
  if (u.callback_heartbeat_seconds.value_or(0) > 0) {
    event.details.heartbeat_timeout_seconds = u.callback_heartbeat_seconds;
  }
}

void OperationLog::ApplyChainedInvoke(const OperationUpdate& u, absl::Time now, Hooks& hooks,
                                      ApplyEffects& fx) {
  Entry& e = Create(u, now);
  Touch(e);
  if (u.action == OperationAction::kCancel) {
    e.op.status = OperationStatus::kStopped;
    e.op.end_timestamp = now;
    fx.chained_cancelled.push_back(e.op.id);
    Record("ChainedInvokeStopped", now, e.op).details.error = u.error;
    return;
  }
  const ChainedStart started = hooks.StartChainedInvoke(e.op, u);
  // The hook may have grown entries_ (a child execution has its own log, not this one), but
  // re-find the entry in case the caller's hook touched this log.
  Entry& entry = *FindEntry(u.id);
  HistoryEvent& event = Record("ChainedInvokeStarted", now, entry.op);
  event.details.function_name = u.function_name;
  event.details.tenant_id = u.tenant_id;
  event.details.input = u.payload;
  event.details.executed_version = started.executed_version;
  event.details.durable_execution_arn = started.durable_execution_arn;
  if (started.error) {
    CompleteChainedInvoke(u.id, Completion::kFailed, std::nullopt, started.error, now);
  }
}

bool OperationLog::EndWait(const std::string& op_id, absl::Time now) {
  Entry* e = FindEntry(op_id);
  if (e == nullptr || e->op.type != OperationType::kWait ||
      e->op.status != OperationStatus::kStarted) {
    return false;
  }
  e->op.status = OperationStatus::kSucceeded;
  e->op.end_timestamp = now;
  Touch(*e);
  Record("WaitSucceeded", now, e->op).details.duration_seconds = e->wait_seconds;
  return true;
}

bool OperationLog::MakeStepReady(const std::string& op_id, absl::Time now) {
  Entry* e = FindEntry(op_id);
  if (e == nullptr || e->op.type != OperationType::kStep ||
      e->op.status != OperationStatus::kPending) {
    return false;
  }
  (void)now;  // READY has no timestamp of its own and records no event
  e->op.status = OperationStatus::kReady;
  Touch(*e);
  return true;
}

namespace {

OperationStatus StatusOf(OperationLog::Completion how) {
  switch (how) {
    case OperationLog::Completion::kSucceeded:
      return OperationStatus::kSucceeded;
    case OperationLog::Completion::kFailed:
      return OperationStatus::kFailed;
    case OperationLog::Completion::kTimedOut:
      return OperationStatus::kTimedOut;
    case OperationLog::Completion::kStopped:
      return OperationStatus::kStopped;
  }
  return OperationStatus::kFailed;
}

const char* Suffix(OperationLog::Completion how) {
  switch (how) {
    case OperationLog::Completion::kSucceeded:
      return "Succeeded";
    case OperationLog::Completion::kFailed:
      return "Failed";
    case OperationLog::Completion::kTimedOut:
      return "TimedOut";
    case OperationLog::Completion::kStopped:
      return "Stopped";
  }
  return "Failed";
}

}  // namespace

bool OperationLog::CompleteCallback(const std::string& op_id, Completion how,
                                    std::optional<std::string> result,
                                    std::optional<ErrorObject> error, absl::Time now) {
  // A callback is never stopped: only its execution is.
  if (how == Completion::kStopped) return false;
  return CompleteStarted(op_id, OperationType::kCallback, "Callback", how, std::move(result),
                         std::move(error), now);
}

bool OperationLog::CompleteChainedInvoke(const std::string& op_id, Completion how,
                                         std::optional<std::string> result,
                                         std::optional<ErrorObject> error, absl::Time now) {
  return CompleteStarted(op_id, OperationType::kChainedInvoke, "ChainedInvoke", how,
                         std::move(result), std::move(error), now);
}

bool OperationLog::CompleteStarted(const std::string& op_id, OperationType type,
                                   std::string_view event_prefix, Completion how,
                                   std::optional<std::string> result,
                                   std::optional<ErrorObject> error, absl::Time now) {
  Entry* e = FindEntry(op_id);
  if (e == nullptr || e->op.type != type || e->op.status != OperationStatus::kStarted) {
    return false;
  }
  e->op.status = StatusOf(how);
  e->op.end_timestamp = now;
  e->op.result = result;
  e->op.error = error;
  Touch(*e);
  HistoryEvent& event = Record(std::string(event_prefix) + Suffix(how), now, e->op);
  event.details.result = std::move(result);
  event.details.error = std::move(error);
  return true;
}

void OperationLog::CompleteExecution(OperationStatus status, absl::Time now) {
  Entry& e = entries_.front();
  e.op.status = status;
  e.op.end_timestamp = now;
  Touch(e);
}

std::vector<const Operation*> OperationLog::Visible() const {
  // Parents come before their children in the log, so one pass sees each parent's verdict first.
  absl::flat_hash_set<std::string> hidden_parents;
  std::vector<const Operation*> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) {
    const Operation& op = e.op;
    if (op.parent_id && hidden_parents.contains(*op.parent_id)) {
      hidden_parents.insert(op.id);
      continue;
    }
    if (op.type == OperationType::kContext && IsTerminal(op.status) &&
        !op.replay_children.value_or(false)) {
      hidden_parents.insert(op.id);
    }
    out.push_back(&op);
  }
  return out;
}

std::vector<const Operation*> OperationLog::ChangedSince(uint64_t seq) const {
  std::vector<const Operation*> out;
  for (const Entry& e : entries_) {
    if (e.touched > seq) out.push_back(&e.op);
  }
  return out;
}

std::vector<TimerRequest> OperationLog::Timers() const {
  std::vector<TimerRequest> out;
  for (const Entry& e : entries_) {
    if (e.op.type == OperationType::kWait && e.op.status == OperationStatus::kStarted) {
      out.push_back({TimerRequest::Kind::kWaitEnd, e.op.id, *e.op.scheduled_end_timestamp});
    } else if (e.op.type == OperationType::kStep && e.op.status == OperationStatus::kPending) {
      out.push_back({TimerRequest::Kind::kRetryReady, e.op.id, *e.op.next_attempt_timestamp});
    }
  }
  return out;
}

bool OperationLog::HasPendingWork() const {
  for (const Entry& e : entries_) {
    switch (e.op.type) {
      case OperationType::kWait:
      case OperationType::kCallback:
      case OperationType::kChainedInvoke:
        if (e.op.status == OperationStatus::kStarted) return true;
        break;
      case OperationType::kStep:
        if (e.op.status == OperationStatus::kPending || e.op.status == OperationStatus::kReady) {
          return true;
        }
        break;
      case OperationType::kExecution:
      case OperationType::kContext:
        break;
    }
  }
  return false;
}

}  // namespace lmc::durable_service
