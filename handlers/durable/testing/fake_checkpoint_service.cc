#include "handlers/durable/testing/fake_checkpoint_service.h"

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "handlers/durable/wire_json.h"
#include "lmc/mutex.h"
#include "lmc/testing/handler_harness.h"

namespace lmc::durable::testing {

FakeCheckpointService::FakeCheckpointService(const Clock& clock) : clock_(clock) {}

int64_t FakeCheckpointService::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
      .count();
}

std::string FakeCheckpointService::NewToken() { return absl::StrCat("dG9rZW4", ++next_token_); }

FakeCheckpointService::Execution* FakeCheckpointService::Find(const std::string& arn) {
  auto it = executions_.find(arn);
  return it == executions_.end() ? nullptr : &it->second;
}

Operation* FakeCheckpointService::FindOp(Execution& execution, const std::string& id) {
  for (Operation& op : execution.log) {
    if (op.id == id) return &op;
  }
  return nullptr;
}

absl::Status FakeCheckpointService::TakeFault() {
  if (faults_left_ <= 0) return absl::OkStatus();
  --faults_left_;
  return fault_;
}

void FakeCheckpointService::StartExecution(const std::string& arn,
                                           const std::string& input_payload) {
  MutexLock lock(&mu_);
  Execution& execution = executions_[arn];
  Operation op;
  op.id = absl::StrCat("execution-", executions_.size());
  op.type = OperationType::kExecution;
  op.status = OperationStatus::kStarted;
  op.start_ms = NowMs();
  op.input_payload = input_payload;
  execution.log = {op};
}

std::string FakeCheckpointService::NextEvent(const std::string& arn) {
  MutexLock lock(&mu_);
  Execution* execution = Find(arn);
  if (execution == nullptr) return "{}";
  const int64_t now = NowMs();
  for (Operation& op : execution->log) {
    if (op.type == OperationType::kWait && op.status == OperationStatus::kStarted &&
        op.scheduled_end_ms.value_or(0) <= now) {
      op.status = OperationStatus::kSucceeded;
      op.end_ms = now;
    }
    if (op.type == OperationType::kStep && op.status == OperationStatus::kPending &&
        op.next_attempt_ms.value_or(0) <= now) {
      op.status = OperationStatus::kReady;
    }
  }
  execution->token = NewToken();
  InvocationInput input{arn, execution->token, execution->log, ""};
  if (page_size_ > 0 && input.operations.size() > page_size_) {
    input.operations.resize(page_size_);
    input.next_marker = absl::StrCat(page_size_);
  }
  return InvocationInputJson(input);
}

InvokeOutcome FakeCheckpointService::Invoke(const lmc::Handler& handler, const std::string& arn) {
  lmc::testing::Invocation invocation;
  invocation.event = NextEvent(arn);
  lmc::testing::Outcome outcome = lmc::testing::Invoke(handler, invocation);
  InvokeOutcome result;
  result.logs = outcome.logs;
  if (!outcome.result.ok()) {
    result.invocation_error = outcome.result.error();
    return result;
  }
  absl::StatusOr<InvocationOutput> output = ParseInvocationOutput(outcome.body);
  if (output.ok()) {
    result.output = std::move(*output);
  } else {
    result.invocation_error = lmc::Error("Test.UnparsableAnswer", outcome.body);
  }
  return result;
}

absl::StatusOr<CheckpointResponse> FakeCheckpointService::Checkpoint(
    const CheckpointRequest& request) {
  {
    MutexLock lock(&mu_);
    Execution* execution = Find(request.durable_execution_arn);
    if (execution == nullptr) return absl::NotFoundError("no such durable execution");
    if (execution->in_flight) ++overlapping_calls_;
    execution->in_flight = true;
  }
  // Leaves room for a second call of the same execution to arrive while this one is "in
  // flight", as it would against the real service, so that overlap is observable.
  std::this_thread::yield();
  MutexLock lock(&mu_);
  Execution& execution = *Find(request.durable_execution_arn);
  execution.in_flight = false;
  if (absl::Status fault = TakeFault(); !fault.ok()) return fault;
  if (request.checkpoint_token != execution.token) {
    ++rejected_tokens_;
    return absl::AbortedError("InvalidParameterValueException: Invalid Checkpoint Token");
  }
  std::vector<Operation> changed;
  for (const OperationUpdate& update : request.updates) {
    if (absl::Status status = Apply(execution, update, changed); !status.ok()) return status;
  }
  execution.batches.push_back(request);
  CheckpointResponse response;
  response.operations = std::move(changed);
  if (!execution.ended) {
    execution.token = NewToken();
    response.checkpoint_token = execution.token;
  } else {
    execution.token.clear();
  }
  return response;
}

void FakeCheckpointService::Start(Execution& execution, const OperationUpdate& update,
                                  Operation* existing, std::vector<Operation>& changed) {
  if (existing != nullptr) {  // a step's next attempt
    existing->status = OperationStatus::kStarted;
    changed.push_back(*existing);
    return;
  }
  Operation op;
  op.id = update.id;
  op.parent_id = update.parent_id;
  op.name = update.name;
  op.type = update.type;
  op.sub_type = update.sub_type;
  op.status = OperationStatus::kStarted;
  op.start_ms = NowMs();
  if (update.type == OperationType::kWait) {
    op.scheduled_end_ms = NowMs() + update.wait_seconds.value_or(1) * 1000;
  }
  if (update.type == OperationType::kCallback) {
    op.callback_id = absl::StrCat("Y2Fs", ++next_callback_);
  }
  if (update.type == OperationType::kChainedInvoke) op.input_payload = update.payload;
  execution.log.push_back(op);
  changed.push_back(op);
}

absl::Status FakeCheckpointService::Apply(Execution& execution, const OperationUpdate& update,
                                          std::vector<Operation>& changed) {
  if (update.type == OperationType::kExecution) {
    if (update.action != OperationAction::kSucceed && update.action != OperationAction::kFail) {
      return absl::InvalidArgumentError("EXECUTION takes SUCCEED or FAIL only");
    }
    Operation& op = execution.log.front();
    op.status = update.action == OperationAction::kSucceed ? OperationStatus::kSucceeded
                                                           : OperationStatus::kFailed;
    op.result = update.payload;
    op.error = update.error;
    execution.ended = true;
    return absl::OkStatus();
  }
  Operation* op = FindOp(execution, update.id);
  if (update.action == OperationAction::kStart) {
    // Only a step whose retry came due (READY) starts again.
    if (op != nullptr &&
        !(op->type == OperationType::kStep && op->status == OperationStatus::kReady)) {
      return absl::InvalidArgumentError(absl::StrCat("operation ", update.id, " already started"));
    }
    Start(execution, update, op, changed);
    return absl::OkStatus();
  }
  if (op == nullptr) {
    // A SUCCEED/FAIL may start and finish an operation in one batch only after its START.
    return absl::InvalidArgumentError(absl::StrCat("operation ", update.id, " was never started"));
  }
  if (IsTerminal(op->status)) {
    return absl::InvalidArgumentError(absl::StrCat("operation ", update.id, " already completed"));
  }
  switch (update.action) {
    case OperationAction::kSucceed:
      op->status = OperationStatus::kSucceeded;
      op->result = update.payload;
      op->replay_children = update.replay_children.value_or(false);
      break;
    case OperationAction::kFail:
      op->status = OperationStatus::kFailed;
      op->error = update.error;
      break;
    case OperationAction::kRetry:
      op->status = OperationStatus::kPending;
      op->attempt += 1;
      op->next_attempt_ms = NowMs() + update.next_attempt_delay_seconds.value_or(1) * 1000;
      op->error = update.error;
      if (update.payload.has_value()) op->result = update.payload;
      break;
    case OperationAction::kCancel:
      op->status = OperationStatus::kCancelled;
      break;
    case OperationAction::kStart:
      break;
  }
  if (IsTerminal(op->status)) op->end_ms = NowMs();
  changed.push_back(*op);
  return absl::OkStatus();
}

absl::StatusOr<StateResponse> FakeCheckpointService::GetState(const StateRequest& request) {
  MutexLock lock(&mu_);
  ++state_calls_;
  if (absl::Status fault = TakeFault(); !fault.ok()) return fault;
  Execution* execution = Find(request.durable_execution_arn);
  if (execution == nullptr) return absl::NotFoundError("no such durable execution");
  if (request.checkpoint_token != execution->token) {
    ++rejected_tokens_;
    return absl::AbortedError("InvalidParameterValueException: Invalid Checkpoint Token");
  }
  size_t offset = 0;
  if (!absl::SimpleAtoi(request.marker, &offset) || offset > execution->log.size()) {
    return absl::InvalidArgumentError("InvalidParameterValueException: bad marker");
  }
  const size_t page = page_size_ > 0 ? page_size_ : execution->log.size();
  const size_t end = std::min(execution->log.size(), offset + page);
  StateResponse response;
  response.operations.assign(execution->log.begin() + static_cast<ptrdiff_t>(offset),
                             execution->log.begin() + static_cast<ptrdiff_t>(end));
  if (end < execution->log.size()) response.next_marker = absl::StrCat(end);
  return response;
}

absl::Status FakeCheckpointService::SucceedCallback(const std::string& callback_id,
                                                    const std::string& result) {
  MutexLock lock(&mu_);
  for (auto& [arn, execution] : executions_) {
    for (Operation& op : execution.log) {
      if (op.callback_id != callback_id) continue;
      if (IsTerminal(op.status)) return absl::FailedPreconditionError("callback already done");
      op.status = OperationStatus::kSucceeded;
      op.result = result;
      op.end_ms = NowMs();
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError("no such callback");
}

absl::Status FakeCheckpointService::FailCallback(const std::string& callback_id,
                                                 const ErrorObject& error) {
  MutexLock lock(&mu_);
  for (auto& [arn, execution] : executions_) {
    for (Operation& op : execution.log) {
      if (op.callback_id != callback_id) continue;
      if (IsTerminal(op.status)) return absl::FailedPreconditionError("callback already done");
      op.status = OperationStatus::kFailed;
      op.error = error;
      op.end_ms = NowMs();
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError("no such callback");
}

absl::Status FakeCheckpointService::TimeOutCallback(const std::string& callback_id) {
  MutexLock lock(&mu_);
  for (auto& [arn, execution] : executions_) {
    for (Operation& op : execution.log) {
      if (op.callback_id != callback_id) continue;
      op.status = OperationStatus::kTimedOut;
      op.error = ErrorObject{"Callback.Timeout", "Callback timed out", std::nullopt, {}};
      op.end_ms = NowMs();
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError("no such callback");
}

absl::Status FakeCheckpointService::FinishInvoke(const std::string& arn,
                                                 const std::string& operation_id,
                                                 OperationStatus status,
                                                 std::optional<std::string> result,
                                                 std::optional<ErrorObject> error) {
  MutexLock lock(&mu_);
  Execution* execution = Find(arn);
  Operation* op = execution == nullptr ? nullptr : FindOp(*execution, operation_id);
  if (op == nullptr) return absl::NotFoundError("no such operation");
  op->status = status;
  op->result = std::move(result);
  op->error = std::move(error);
  op->end_ms = NowMs();
  return absl::OkStatus();
}

std::vector<CheckpointRequest> FakeCheckpointService::Batches(const std::string& arn) const {
  MutexLock lock(&mu_);
  auto it = executions_.find(arn);
  return it == executions_.end() ? std::vector<CheckpointRequest>() : it->second.batches;
}

std::vector<Operation> FakeCheckpointService::Operations(const std::string& arn) const {
  MutexLock lock(&mu_);
  auto it = executions_.find(arn);
  return it == executions_.end() ? std::vector<Operation>() : it->second.log;
}

std::optional<Operation> FakeCheckpointService::FindByName(const std::string& arn,
                                                           const std::string& name) const {
  for (const Operation& op : Operations(arn)) {
    if (op.name == name) return op;
  }
  return std::nullopt;
}

int FakeCheckpointService::rejected_tokens() const {
  MutexLock lock(&mu_);
  return rejected_tokens_;
}

int FakeCheckpointService::overlapping_calls() const {
  MutexLock lock(&mu_);
  return overlapping_calls_;
}

int FakeCheckpointService::state_calls() const {
  MutexLock lock(&mu_);
  return state_calls_;
}

void FakeCheckpointService::FailNextCalls(int count, absl::Status status) {
  MutexLock lock(&mu_);
  faults_left_ = count;
  fault_ = std::move(status);
}

void FakeCheckpointService::SetPageSize(size_t page_size) {
  MutexLock lock(&mu_);
  page_size_ = page_size;
}

void FakeCheckpointService::EndExecution(const std::string& arn) {
  MutexLock lock(&mu_);
  if (Execution* execution = Find(arn)) execution->ended = true;
}

void FakeCheckpointService::AppendOperation(const std::string& arn, Operation op) {
  MutexLock lock(&mu_);
  if (Execution* execution = Find(arn)) execution->log.push_back(std::move(op));
}

}  // namespace lmc::durable::testing
