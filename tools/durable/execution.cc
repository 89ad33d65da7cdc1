// Execution: one durable execution's invocations, tokens, paging and completion (see
// execution.h). Its timers (waits, retries, callback timeouts and heartbeats, scripted
// callback answers, invocation retries) and its clock are in execution_timers.cc.

#include "tools/durable/execution.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lmc/json.h"
#include "lmc/strings.h"

namespace lmc::durable_service {
namespace {

std::string RandomHex(size_t bytes) {
  std::random_device seed;
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < bytes; ++i) {
    const unsigned b = seed() & 0xffu;
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xfu]);
  }
  return out;
}

Operation ExecutionOperation(const ExecutionConfig& config, absl::Time now) {
  Operation op;
  op.id = RandomHex(16);
  op.type = OperationType::kExecution;
  op.status = OperationStatus::kStarted;
  op.start_timestamp = now;
  op.input_payload = config.input;
  return op;
}

absl::Status InvalidToken(std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("Invalid Checkpoint Token: ", AsAbsl(why)));
}

ErrorObject Error(std::string type, std::string message) {
  ErrorObject e;
  e.error_type = std::move(type);
  e.error_message = std::move(message);
  return e;
}

}  // namespace

Execution::Execution(ExecutionConfig config, absl::Time real_now)
    : config_(std::move(config)),
      log_(ExecutionOperation(config_, real_now), &history_),
      start_(real_now) {
  std::random_device seed;
  rng_.seed((uint64_t{seed()} << 32) ^ seed());
  script_used_.assign(config_.callbacks.size(), false);
  HistoryEvent& started = history_.Add("ExecutionStarted", real_now, &log_.execution());
  started.details.input = config_.input;
  started.details.execution_timeout_seconds = config_.execution_timeout_seconds;
}

const std::string& Execution::in_flight_request_id() const {
  static const std::string kNone;
  return in_flight_ ? in_flight_->request_id : kNone;
}

std::string Execution::NewToken() {
  // Standard base64 (the model's pattern): it always carries '+' and '/', so a client that
  // does not percent-encode the token in a query string is caught at once.
  std::string raw = "\xfb\xff\xbf";
  for (int i = 0; i < 3; ++i) {
    const uint64_t r = rng_();
    raw.append(reinterpret_cast<const char*>(&r), sizeof(r));
  }
  return absl::Base64Escape(raw);
}

void Execution::TakeSnapshot() {
  snapshot_.id = next_snapshot_id_++;
  snapshot_.operations.clear();
  for (const Operation* op : log_.Visible()) snapshot_.operations.push_back(*op);
}

std::string Execution::Page(const std::vector<Operation>& ops, size_t offset, size_t max_items,
                            uint64_t snapshot_id, TimeFormat format) const {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("Operations").BeginArray();
  const size_t end = std::min(ops.size(), offset + max_items);
  for (size_t i = offset; i < end; ++i) AppendOperation(w, ops[i], format);
  w.EndArray();
  if (end < ops.size()) w.Key("NextMarker").String(absl::StrCat(snapshot_id, ":", end));
  w.EndObject();
  return out;
}

std::string Execution::BeginInvocation(const std::string& request_id, absl::Time real_now) {
  ++invocations_;
  needs_invocation_ = false;
  invocation_retry_due_.reset();
  in_flight_ = Invocation{.request_id = request_id, .start = Now(real_now), .tokens = {NewToken()}};
  // The event carries the whole log, so the handler has heard of every change so far.
  delivered_seq_ = log_.seq();
  TakeSnapshot();
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("DurableExecutionArn").String(config_.arn);
  w.Key("CheckpointToken").String(in_flight_->tokens.back());
  w.Key("InitialExecutionState")
      .Raw(Page(snapshot_.operations, 0, config_.page_items, snapshot_.id,
                TimeFormat::kEpochMillis));
  w.EndObject();
  return out;
}

absl::StatusOr<std::string> Execution::Checkpoint(const CheckpointRequest& request,
                                                  absl::Time real_now, OperationLog::Hooks& hooks) {
  received_.push_back({.invocation = invocations_, .updates = request.updates});
  const bool current = running() && in_flight_ &&
                       in_flight_->tokens.back() == request.checkpoint_token &&
                       !checkpointed_outcome_;
  if (!current) {
    // A retried call whose answer was lost gets that answer again.
    if (last_call_ && request.client_token &&
        *last_call_ == std::make_pair(*request.client_token, request.checkpoint_token)) {
      return last_answer_;
    }
    if (!running()) return InvalidToken("the durable execution is no longer running");
    if (checkpointed_outcome_) {
      return InvalidToken("the execution's outcome is already checkpointed");
    }
    if (!in_flight_) return InvalidToken("no invocation of this durable execution is in progress");
    const auto& tokens = in_flight_->tokens;
    if (std::find(tokens.begin(), tokens.end(), request.checkpoint_token) != tokens.end()) {
      return InvalidToken("the token was already used");
    }
    return InvalidToken("the token is not the current token of this durable execution");
  }
  if (absl::Status s = log_.Validate(request.updates); !s.ok()) return s;
  const absl::Time now = Now(real_now);
  ApplyEffects fx = log_.Apply(request.updates, now, hooks);
  for (const OperationUpdate& u : request.updates) {
    if (u.action != OperationAction::kStart) continue;
    const Operation* op = log_.Find(u.id);
    if (u.type == OperationType::kCallback) {
      CallbackState& st = callbacks_[u.id];
      if (u.callback_timeout_seconds.value_or(0) > 0) {
        st.timeout_due = now + absl::Seconds(*u.callback_timeout_seconds);
      }
      st.heartbeat_seconds = u.callback_heartbeat_seconds.value_or(0);
      if (st.heartbeat_seconds > 0) st.heartbeat_due = now + absl::Seconds(st.heartbeat_seconds);
      ScriptCallback(*op, now);
    } else if (u.type == OperationType::kChainedInvoke && op->status == OperationStatus::kStarted) {
      chained_started_[u.id] = now;
    }
  }
  for (const std::string& id : fx.chained_cancelled) chained_started_.erase(id);
  if (fx.outcome) checkpointed_outcome_ = std::move(fx.outcome);
  received_.back().applied = true;
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  // An execution whose outcome is checkpointed takes no more updates: no token (PROTOCOL.md §4).
  if (!checkpointed_outcome_) {
    in_flight_->tokens.push_back(NewToken());
    w.Key("CheckpointToken").String(in_flight_->tokens.back());
  }
  w.Key("NewExecutionState").BeginObject().Key("Operations").BeginArray();
  for (const Operation* op : log_.ChangedSince(delivered_seq_)) {
    AppendOperation(w, *op, TimeFormat::kEpochSeconds);
  }
  w.EndArray().EndObject().EndObject();
  delivered_seq_ = log_.seq();
  if (request.client_token) {
    last_call_ = std::make_pair(*request.client_token, request.checkpoint_token);
    last_answer_ = out;
  }
  return out;
}

absl::StatusOr<std::string> Execution::GetState(const std::string& token,
                                                const std::optional<std::string>& marker,
                                                size_t max_items) {
  if (!running()) return InvalidToken("the durable execution is no longer running");
  if (!in_flight_) return InvalidToken("no invocation of this durable execution is in progress");
  const auto& tokens = in_flight_->tokens;
  if (std::find(tokens.begin(), tokens.end(), token) == tokens.end()) {
    return InvalidToken("the token does not belong to the invocation in progress");
  }
  const size_t limit = max_items == 0 ? config_.page_items : std::min<size_t>(max_items, 1000);
  size_t offset = 0;
  if (marker) {
    std::vector<absl::string_view> parts = absl::StrSplit(*marker, ':');
    uint64_t id = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &id) ||
        !absl::SimpleAtoi(parts[1], &offset) || id != snapshot_.id ||
        offset > snapshot_.operations.size()) {
      return absl::InvalidArgumentError("Invalid marker.");
    }
  } else {
    TakeSnapshot();
  }
  return Page(snapshot_.operations, offset, limit, snapshot_.id, TimeFormat::kEpochSeconds);
}

void Execution::EndInvocation(const std::string& request_id, const InvocationResult& result,
                              absl::Time real_now) {
  if (!in_flight_ || in_flight_->request_id != request_id) return;
  RecordInvocationEnd(result, real_now);
  // Chained invokes that finished during the invocation are recorded now, after it.
  std::vector<ChainedResult> done;
  done.swap(chained_done_);
  for (ChainedResult& c : done) {
    CompleteChainedInvoke(c.op_id, c.how, std::move(c.result), std::move(c.error), c.elapsed,
                          real_now);
  }
}

void Execution::RecordInvocationEnd(const InvocationResult& result, absl::Time real_now) {
  const absl::Time now = Now(real_now);
  const Invocation ended = *std::move(in_flight_);
  in_flight_.reset();
  if (!running()) return;  // stopped meanwhile: the answer no longer matters
  HistoryEvent& completed = history_.Add("InvocationCompleted", now, nullptr);
  completed.details.invocation_start = ended.start;
  completed.details.invocation_end = now;
  completed.details.request_id = ended.request_id;
  auto fail_invocation = [&](ErrorObject error) {
    // Before anything else is recorded: `completed` refers into the history.
    completed.details.error = error;
    if (checkpointed_outcome_) {
      const ExecutionOutcome o = *checkpointed_outcome_;
      return Complete(o.succeeded ? ExecutionStatus::kSucceeded : ExecutionStatus::kFailed,
                      o.result, o.error, now);
    }
    FailInvocation(std::move(error), now);
  };
  if (result.kind == InvocationResult::Kind::kError) {
    return fail_invocation(ParseLambdaError(result.body, result.error_type));
  }
  if (result.kind == InvocationResult::Kind::kCrash) {
    return fail_invocation(
        Error("Runtime.ExitError",
              result.body.empty() ? "Runtime exited without providing a reason" : result.body));
  }
  absl::StatusOr<InvocationOutput> output = ParseInvocationOutput(result.body);
  if (!output.ok()) {
    return fail_invocation(
        Error("InvalidParameterValueException",
              absl::StrCat("Invalid durable execution output: ", output.status().message())));
  }
  const std::optional<ExecutionOutcome> checkpointed = checkpointed_outcome_;
  switch (output->status) {
    case InvocationOutput::Status::kSucceeded: {
      std::optional<std::string> value = output->result;
      if ((!value || value->empty()) && checkpointed && checkpointed->succeeded) {
        value = checkpointed->result;
      }
      return Complete(ExecutionStatus::kSucceeded, std::move(value), std::nullopt, now);
    }
    case InvocationOutput::Status::kFailed: {
      std::optional<ErrorObject> error = output->error;
      if (!error && checkpointed) error = checkpointed->error;
      return Complete(ExecutionStatus::kFailed, std::nullopt, std::move(error), now);
    }
    case InvocationOutput::Status::kPending:
      if (checkpointed) {
        return Complete(
            checkpointed->succeeded ? ExecutionStatus::kSucceeded : ExecutionStatus::kFailed,
            checkpointed->result, checkpointed->error, now);
      }
      if (!log_.HasPendingWork() && !needs_invocation_) {
        return fail_invocation(Error("InvalidParameterValueException",
                                     "Cannot return PENDING status with no pending operations."));
      }
      consecutive_failures_ = 0;
      return;
  }
}

void Execution::FailInvocation(ErrorObject error, absl::Time now) {
  if (++consecutive_failures_ >= config_.max_invocation_attempts) {
    return Complete(ExecutionStatus::kFailed, std::nullopt, std::move(error), now);
  }
  invocation_retry_due_ = now + config_.invocation_retry_delay;
}

void Execution::Complete(ExecutionStatus status, std::optional<std::string> result,
                         std::optional<ErrorObject> error, absl::Time now) {
  status_ = status;
  result_ = result;
  error_ = error;
  end_ = now;
  needs_invocation_ = false;
  invocation_retry_due_.reset();
  callbacks_.clear();
  chained_started_.clear();
  const char* type = "ExecutionFailed";
  OperationStatus op_status = OperationStatus::kFailed;
  switch (status) {
    case ExecutionStatus::kSucceeded:
      type = "ExecutionSucceeded";
      op_status = OperationStatus::kSucceeded;
      break;
    case ExecutionStatus::kTimedOut:
      type = "ExecutionTimedOut";
      op_status = OperationStatus::kTimedOut;
      break;
    case ExecutionStatus::kStopped:
      type = "ExecutionStopped";
      op_status = OperationStatus::kStopped;
      break;
    case ExecutionStatus::kRunning:
    case ExecutionStatus::kFailed:
      break;
  }
  log_.CompleteExecution(op_status, now);
  HistoryEvent& e = history_.Add(type, now, &log_.execution());
  e.details.result = std::move(result);
  e.details.error = std::move(error);
}

void Execution::Stop(const ErrorObject& error, absl::Time real_now) {
  if (!running()) return;
  Complete(ExecutionStatus::kStopped, std::nullopt, error, Now(real_now));
}

absl::Status Execution::CheckCallbackOpen(const std::string& op_id) const {
  const Operation* op = log_.Find(op_id);
  if (op == nullptr || op->type != OperationType::kCallback) {
    return absl::InvalidArgumentError("Invalid callback id.");
  }
  if (op->status == OperationStatus::kTimedOut) {
    return absl::FailedPreconditionError("The callback timed out.");
  }
  if (op->status != OperationStatus::kStarted || !running()) {
    return absl::InvalidArgumentError("The callback is already completed.");
  }
  return absl::OkStatus();
}

absl::Status Execution::CompleteCallback(const std::string& op_id, OperationLog::Completion how,
                                         std::optional<std::string> result,
                                         std::optional<ErrorObject> error, absl::Time real_now) {
  if (absl::Status open = CheckCallbackOpen(op_id); !open.ok()) return open;
  log_.CompleteCallback(op_id, how, std::move(result), std::move(error), Now(real_now));
  callbacks_.erase(op_id);
  needs_invocation_ = true;
  return absl::OkStatus();
}

absl::Status Execution::Heartbeat(const std::string& op_id, absl::Time real_now) {
  if (absl::Status open = CheckCallbackOpen(op_id); !open.ok()) return open;
  CallbackState& st = callbacks_[op_id];
  if (st.heartbeat_seconds > 0) {
    st.heartbeat_due = Now(real_now) + absl::Seconds(st.heartbeat_seconds);
  }
  return absl::OkStatus();
}

ExecutionSnapshot Execution::Snapshot() const {
  ExecutionSnapshot s;
  s.arn = config_.arn;
  s.function_name = config_.function_name;
  s.status = status_;
  s.result = result_;
  s.error = error_;
  s.start = start_;
  s.end = end_;
  s.input = config_.input;
  for (const Operation* op : log_.ChangedSince(0)) s.operations.push_back(*op);
  s.history = history_.events();
  s.invocations = invocations_;
  s.checkpoints = received_;
  return s;
}

}  // namespace lmc::durable_service
