#include "bench/durable_bench_service.h"

#include <time.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lmc/mutex.h"

namespace lmc::bench {

using durable::CheckpointRequest;
using durable::CheckpointResponse;
using durable::Operation;
using durable::OperationAction;
using durable::OperationStatus;
using durable::OperationType;
using durable::OperationUpdate;

double ThreadCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

BenchCheckpointService::BenchCheckpointService(Options options)
    : pages_(std::move(options.pages)), record_(options.record), now_ms_(options.now_ms) {}

absl::StatusOr<CheckpointResponse> BenchCheckpointService::Checkpoint(
    const CheckpointRequest& request) {
  MutexLock lock(&mu_);
  ++totals_.checkpoints;
  totals_.updates += request.updates.size();
  std::vector<size_t> changed;
  for (const OperationUpdate& update : request.updates) {
    // An EXECUTION update only carries an oversized result; no step workflow sends one.
    if (update.type == OperationType::kExecution) continue;
    auto [it, created] = index_.try_emplace(update.id, log_.size());
    if (created) {
      Operation op;
      op.id = update.id;
      op.parent_id = update.parent_id;
      op.name = update.name;
      op.type = update.type;
      op.sub_type = update.sub_type;
      op.start_ms = now_ms_;
      log_.push_back(std::move(op));
    }
    Operation& op = log_[it->second];
    switch (update.action) {
      case OperationAction::kStart:
        op.status = OperationStatus::kStarted;
        break;
      case OperationAction::kSucceed:
        op.status = OperationStatus::kSucceeded;
        op.result = update.payload;
        op.end_ms = now_ms_;
        break;
      case OperationAction::kFail:
        op.status = OperationStatus::kFailed;
        op.error = update.error;
        op.end_ms = now_ms_;
        break;
      case OperationAction::kRetry:
        op.status = OperationStatus::kPending;
        op.attempt += 1;
        op.error = update.error;
        break;
      case OperationAction::kCancel:
        op.status = OperationStatus::kCancelled;
        op.end_ms = now_ms_;
        break;
    }
    if (std::find(changed.begin(), changed.end(), it->second) == changed.end()) {
      changed.push_back(it->second);
    }
  }
  CheckpointResponse response;
  response.checkpoint_token = absl::StrCat("token-", ++next_token_);
  response.operations.reserve(changed.size());
  for (size_t i : changed) response.operations.push_back(log_[i]);
  if (record_) {
    requests_.push_back(request);
    responses_.push_back(response);
  }
  return response;
}

absl::StatusOr<durable::StateResponse> BenchCheckpointService::GetState(
    const durable::StateRequest& request) {
  size_t offset = 0;
  if (!absl::SimpleAtoi(request.marker, &offset) || offset > pages_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("bad marker \"", request.marker, "\""));
  }
  {
    MutexLock lock(&mu_);
    ++totals_.state_calls;
  }
  const size_t end = std::min(pages_.size(), offset + static_cast<size_t>(request.max_items));
  durable::StateResponse response;
  response.operations.assign(pages_.begin() + static_cast<std::ptrdiff_t>(offset),
                             pages_.begin() + static_cast<std::ptrdiff_t>(end));
  if (end < pages_.size()) response.next_marker = absl::StrCat(end);
  return response;
}

BenchCheckpointService::Totals BenchCheckpointService::totals() const {
  MutexLock lock(&mu_);
  return totals_;
}

std::vector<Operation> BenchCheckpointService::log() const {
  MutexLock lock(&mu_);
  return log_;
}

std::vector<CheckpointRequest> BenchCheckpointService::requests() const {
  MutexLock lock(&mu_);
  return requests_;
}

std::vector<CheckpointResponse> BenchCheckpointService::responses() const {
  MutexLock lock(&mu_);
  return responses_;
}

double BenchCheckpointService::Replay(const std::vector<CheckpointRequest>& requests, int rounds) {
  double spent = 0;
  for (int round = 0; round < rounds; ++round) {
    BenchCheckpointService service;
    const double start = ThreadCpuSeconds();
    for (const CheckpointRequest& request : requests) {
      service.Checkpoint(request).status().IgnoreError();
    }
    spent += ThreadCpuSeconds() - start;
  }
  return spent;
}

}  // namespace lmc::bench
