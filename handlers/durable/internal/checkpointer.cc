#include "handlers/durable/internal/checkpointer.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/random/distributions.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "lmc/mutex.h"
#include "lmc/status_macros.h"
#include "lmc/thread_random.h"

namespace lmc::durable::internal {
namespace {

bool IsTransient(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsResourceExhausted(status);
}

// 32 random hex digits: the ClientToken of one batch (kept across its retries).
std::string NewClientToken() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token(32, '0');
  for (char& c : token) c = kHex[absl::Uniform(ThreadRandom(), 0, 16)];
  return token;
}

size_t OptionalSize(const std::optional<std::string>& s) { return s.has_value() ? s->size() : 0; }

}  // namespace

size_t EstimatedBytes(const OperationUpdate& update) {
  // Field names, quotes and options: well under 256 bytes for any update.
  size_t bytes = 256 + update.id.size() + OptionalSize(update.parent_id) +
                 OptionalSize(update.name) + OptionalSize(update.payload) +
                 OptionalSize(update.function_name) + OptionalSize(update.tenant_id);
  if (update.error.has_value()) {
    bytes += OptionalSize(update.error->type) + OptionalSize(update.error->message) +
             OptionalSize(update.error->data);
    for (const std::string& line : update.error->stack_trace) bytes += line.size() + 4;
  }
  return bytes;
}

Checkpointer::Checkpointer(CheckpointService& service, std::string durable_execution_arn,
                           std::string checkpoint_token, CheckpointOptions options, ApplyFn apply)
    : service_(service),
      arn_(std::move(durable_execution_arn)),
      options_(options),
      apply_(std::move(apply)),
      token_(std::move(checkpoint_token)) {}

void Checkpointer::Enqueue(OperationUpdate update) {
  MutexLock lock(&mu_);
  const size_t bytes = EstimatedBytes(update);
  queue_.push_back(Queued{next_seq_++, bytes, std::move(update)});
}

absl::Status Checkpointer::Commit(OperationUpdate update) {
  uint64_t seq = 0;
  {
    MutexLock lock(&mu_);
    seq = next_seq_++;
    const size_t bytes = EstimatedBytes(update);
    queue_.push_back(Queued{seq, bytes, std::move(update)});
  }
  return WaitFor(seq);
}

absl::Status Checkpointer::Flush() {
  uint64_t last = 0;
  {
    MutexLock lock(&mu_);
    last = next_seq_ - 1;
  }
  return WaitFor(last);
}

bool Checkpointer::ended() const {
  MutexLock lock(&mu_);
  return ended_;
}

std::vector<OperationUpdate> Checkpointer::TakeBatch(uint64_t& last_seq) {
  std::vector<OperationUpdate> batch;
  size_t bytes = 0;
  while (!queue_.empty()) {
    Queued& next = queue_.front();
    const bool full =
        batch.size() >= options_.max_batch_updates || bytes + next.bytes > options_.max_batch_bytes;
    if (!batch.empty() && full) break;
    bytes += next.bytes;
    last_seq = next.seq;
    batch.push_back(std::move(next.update));
    queue_.pop_front();
  }
  return batch;
}

absl::Status Checkpointer::WaitFor(uint64_t seq) {
  mu_.Lock();
  while (true) {
    if (!broken_.ok() || done_seq_ >= seq) break;
    if (in_flight_) {
      mu_.Await([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return !in_flight_ || done_seq_ >= seq || !broken_.ok();
      });
      continue;
    }
    if (ended_) {
      broken_ = absl::FailedPreconditionError(
          "the durable execution has already ended: the service takes no more checkpoints");
      break;
    }
    // No request in flight: this caller sends the queue's head for everyone.
    uint64_t last = done_seq_;
    std::vector<OperationUpdate> batch = TakeBatch(last);
    const std::string token = token_;
    in_flight_ = true;
    mu_.Unlock();
    absl::StatusOr<std::optional<std::string>> next = Send(std::move(batch), token);
    mu_.Lock();
    in_flight_ = false;
    if (!next.ok()) {
      broken_ = next.status();
      break;
    }
    done_seq_ = last;
    if (next->has_value()) {
      token_ = **next;
    } else {
      ended_ = true;
    }
  }
  absl::Status result = done_seq_ >= seq ? absl::OkStatus() : broken_;
  mu_.Unlock();
  return result;
}

template <typename Call>
auto Checkpointer::WithRetries(const Call& call) -> decltype(call()) {
  std::chrono::milliseconds backoff = options_.retry_base;
  for (int attempt = 1;; ++attempt) {
    auto result = call();
    if (result.ok() || !IsTransient(result.status()) || attempt >= options_.max_attempts) {
      return result;
    }
    // Full jitter, as lmc's Runtime API client does: spreads the retries of many executions.
    const auto sleep = std::chrono::milliseconds(
        absl::Uniform<int64_t>(absl::IntervalClosed, ThreadRandom(), 0, backoff.count()));
    std::this_thread::sleep_for(sleep);
    backoff = std::min(backoff * 2, options_.retry_max);
  }
}

absl::StatusOr<std::optional<std::string>> Checkpointer::Send(std::vector<OperationUpdate> batch,
                                                              const std::string& token) {
  CheckpointRequest request;
  request.durable_execution_arn = arn_;
  request.checkpoint_token = token;
  request.updates = std::move(batch);
  request.client_token = NewClientToken();
  absl::StatusOr<CheckpointResponse> response =
      WithRetries([&] { return service_.Checkpoint(request); });
  if (!response.ok()) {
    return absl::Status(response.status().code(),
                        absl::StrCat("CheckpointDurableExecution (", request.updates.size(),
                                     " updates): ", response.status().message()));
  }
  apply_(std::move(response->operations));
  if (!response->checkpoint_token.has_value()) return std::optional<std::string>();
  if (!response->next_marker.empty()) {
    LMC_RETURN_IF_ERROR(Page(std::move(response->next_marker), *response->checkpoint_token));
  }
  return response->checkpoint_token;
}

absl::Status Checkpointer::Page(std::string marker, const std::string& token) {
  // A marker that repeats would page forever; a log has a bounded number of pages, so a loop
  // this long means a broken service.
  constexpr int kMaxPages = 100'000;
  for (int page = 0; !marker.empty(); ++page) {
    if (page >= kMaxPages) return absl::InternalError("GetDurableExecutionState: too many pages");
    StateRequest request{arn_, token, marker, 1000};
    absl::StatusOr<StateResponse> response =
        WithRetries([&] { return service_.GetState(request); });
    if (!response.ok()) {
      return absl::Status(response.status().code(),
                          absl::StrCat("GetDurableExecutionState: ", response.status().message()));
    }
    if (response->next_marker == marker) {
      return absl::InternalError("GetDurableExecutionState returned the marker it was given");
    }
    apply_(std::move(response->operations));
    marker = std::move(response->next_marker);
  }
  return absl::OkStatus();
}

absl::Status Checkpointer::LoadPages(std::string marker) {
  std::string token;
  {
    MutexLock lock(&mu_);
    token = token_;
  }
  return Page(std::move(marker), token);
}

}  // namespace lmc::durable::internal
