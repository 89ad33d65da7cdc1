// Execution: timers and the execution's clock (see execution.h). A timer is anything the
// service does on its own at a moment of the execution's clock: a wait ends, a retry becomes
// ready, a callback times out or misses its heartbeat, a scripted callback answer is sent, a
// failed invocation is retried. Timers fire earliest first; skipping moves the clock to the next
// one only while the execution has nothing else to do.

#include <algorithm>
#include <utility>

#include "tools/durable/execution.h"

namespace lmc::durable_service {
namespace {

ErrorObject TimeoutError(const char* type, const char* message) {
  ErrorObject e;
  e.error_type = type;
  e.error_message = message;
  return e;
}

}  // namespace

bool Execution::Quiescent() const {
  return running() && !in_flight_ && !needs_invocation_ && chained_started_.empty();
}

std::vector<Execution::Timer> Execution::Timers() const {
  std::vector<Timer> out;
  if (!running()) return out;
  for (const TimerRequest& t : log_.Timers()) {
    out.push_back(Timer{.kind = Timer::Kind::kLog, .due = t.due, .log_timer = t});
  }
  for (const auto& [op_id, st] : callbacks_) {
    if (st.timeout_due) {
      out.push_back(
          Timer{.kind = Timer::Kind::kCallbackTimeout, .due = *st.timeout_due, .op_id = op_id});
    }
    if (st.heartbeat_due) {
      out.push_back(
          Timer{.kind = Timer::Kind::kCallbackHeartbeat, .due = *st.heartbeat_due, .op_id = op_id});
    }
    if (!st.scripted.empty()) {
      out.push_back(Timer{.kind = Timer::Kind::kScripted,
                          .due = st.scripted.front().second,
                          .op_id = op_id,
                          .script = st.scripted.front().first});
    }
  }
  if (invocation_retry_due_) {
    out.push_back(Timer{.kind = Timer::Kind::kInvocationRetry, .due = *invocation_retry_due_});
  }
  // Earliest first; equal moments keep a fixed order (log, then callbacks by op id) so runs
  // are reproducible whatever the hash map's iteration order.
  std::stable_sort(out.begin(), out.end(), [](const Timer& a, const Timer& b) {
    if (a.due != b.due) return a.due < b.due;
    return a.op_id < b.op_id;
  });
  return out;
}

void Execution::Fire(const Timer& t, absl::Time now) {
  switch (t.kind) {
    case Timer::Kind::kLog:
      if (t.log_timer.kind == TimerRequest::Kind::kWaitEnd) {
        log_.EndWait(t.log_timer.op_id, now);
      } else {
        log_.MakeStepReady(t.log_timer.op_id, now);
      }
      break;
    case Timer::Kind::kCallbackTimeout:
    case Timer::Kind::kCallbackHeartbeat: {
      const bool heartbeat = t.kind == Timer::Kind::kCallbackHeartbeat;
      log_.CompleteCallback(t.op_id, OperationLog::Completion::kTimedOut, std::nullopt,
                            heartbeat ? TimeoutError("Callback.Heartbeat",
                                                     "The callback missed its heartbeat timeout.")
                                      : TimeoutError("Callback.Timeout", "The callback timed out."),
                            now);
      callbacks_.erase(t.op_id);
      break;
    }
    case Timer::Kind::kScripted: {
      CallbackState& st = callbacks_[t.op_id];
      st.scripted.erase(st.scripted.begin());
      const CallbackScript& script = config_.callbacks[t.script];
      if (script.action == CallbackScript::Action::kHeartbeat) {
        if (st.heartbeat_seconds > 0) st.heartbeat_due = now + absl::Seconds(st.heartbeat_seconds);
        return;  // keep-alive only: nothing for the handler to see
      }
      const bool succeed = script.action == CallbackScript::Action::kSucceed;
      log_.CompleteCallback(
          t.op_id,
          succeed ? OperationLog::Completion::kSucceeded : OperationLog::Completion::kFailed,
          succeed ? script.result : std::nullopt,
          succeed ? std::nullopt : std::optional<ErrorObject>(script.error), now);
      callbacks_.erase(t.op_id);
      break;
    }
    case Timer::Kind::kInvocationRetry:
      invocation_retry_due_.reset();
      break;
  }
  needs_invocation_ = true;
}

bool Execution::FireDue(absl::Time real_now, bool skip) {
  bool fired = false;
  for (;;) {
    const std::vector<Timer> timers = Timers();
    if (timers.empty()) break;
    const Timer& next = timers.front();
    absl::Time now = Now(real_now);
    if (next.due > now) {
      const bool callback_timer = next.kind == Timer::Kind::kCallbackTimeout ||
                                  next.kind == Timer::Kind::kCallbackHeartbeat;
      if (!skip || !Quiescent() || (callback_timer && !config_.skip_callback_timeouts)) break;
      skew_ += next.due - now;
      now = next.due;
    }
    Fire(next, now);
    fired = true;
  }
  return fired;
}

std::optional<absl::Time> Execution::NextDue(absl::Time real_now, bool skip) const {
  const std::vector<Timer> timers = Timers();
  if (timers.empty()) return std::nullopt;
  const Timer& next = timers.front();
  const bool callback_timer =
      next.kind == Timer::Kind::kCallbackTimeout || next.kind == Timer::Kind::kCallbackHeartbeat;
  if (skip && Quiescent() && !(callback_timer && !config_.skip_callback_timeouts)) return real_now;
  return next.due - skew_;
}

void Execution::ScriptCallback(const Operation& op, absl::Time now) {
  // A WaitForCallback's inner callback is known by its context's name.
  std::optional<std::string> name = op.name;
  if (!name && op.parent_id) {
    const Operation* parent = log_.Find(*op.parent_id);
    if (parent != nullptr && parent->sub_type == "WaitForCallback") name = parent->name;
  }
  CallbackState& st = callbacks_[op.id];
  absl::Time due = now;
  for (size_t i = 0; i < config_.callbacks.size(); ++i) {
    const CallbackScript& s = config_.callbacks[i];
    if (script_used_[i] || (s.name != "*" && s.name != name)) continue;
    script_used_[i] = true;
    due += s.delay;
    st.scripted.emplace_back(i, due);
    if (s.action != CallbackScript::Action::kHeartbeat) break;
  }
}

absl::Time Execution::ChainedStartTime(const std::string& op_id) const {
  auto it = chained_started_.find(op_id);
  return it == chained_started_.end() ? start_ : it->second;
}

void Execution::CompleteChainedInvoke(const std::string& op_id, OperationLog::Completion how,
                                      std::optional<std::string> result,
                                      std::optional<ErrorObject> error, absl::Duration elapsed,
                                      absl::Time real_now) {
  if (in_flight_) {
    chained_done_.push_back({op_id, how, std::move(result), std::move(error), elapsed});
    return;
  }
  auto it = chained_started_.find(op_id);
  if (it == chained_started_.end() || !running()) return;  // cancelled, or the execution ended
  const absl::Time target = it->second + elapsed;
  chained_started_.erase(it);
  // The target ran `elapsed` on its own clock (skipped waits included): this execution's clock
  // catches up, firing what fell due on the way, so the completion lands in its true place.
  if (target > Now(real_now)) {
    skew_ += target - Now(real_now);
    FireDue(real_now, /*skip=*/false);
  }
  log_.CompleteChainedInvoke(op_id, how, std::move(result), std::move(error), Now(real_now));
  needs_invocation_ = true;
}

}  // namespace lmc::durable_service
