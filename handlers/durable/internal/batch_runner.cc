#include "handlers/durable/internal/batch_runner.h"

#include <algorithm>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "handlers/durable/internal/batch_json.h"
#include "handlers/durable/internal/execution.h"
#include "handlers/durable/internal/operation_ids.h"
#include "handlers/durable/internal/signals.h"
#include "lmc/json.h"
#include "lmc/mutex.h"
#include "lmc/strings.h"

namespace lmc::durable {

using context_internal::BatchSpec;
using internal::EncodedBatch;

namespace internal {
namespace {

enum class ItemState { kNotStarted, kRunning, kSucceeded, kFailed, kSuspended };

// Whether the batch may start more branches after `failed` failures of `total`.
bool ShouldContinue(const CompletionConfig& config, size_t failed, size_t total) {
  const bool any = config.min_successful.has_value() ||
                   config.tolerated_failure_count.has_value() ||
                   config.tolerated_failure_percentage.has_value();
  if (!any) return failed == 0;
  if (config.tolerated_failure_count.has_value() &&
      static_cast<double>(failed) > *config.tolerated_failure_count) {
    return false;
  }
  if (config.tolerated_failure_percentage.has_value() && total > 0 &&
      100.0 * static_cast<double>(failed) / static_cast<double>(total) >
          *config.tolerated_failure_percentage) {
    return false;
  }
  return true;
}

bool IsComplete(const CompletionConfig& config, size_t succeeded, size_t failed, size_t total) {
  if (succeeded + failed == total) return true;
  return config.min_successful.has_value() &&
         succeeded >= static_cast<size_t>(std::max(0, *config.min_successful));
}

CompletionReason ReasonFor(const CompletionConfig& config, size_t succeeded, size_t failed,
                           size_t total) {
  if (!ShouldContinue(config, failed, total)) return CompletionReason::kFailureToleranceExceeded;
  if (succeeded + failed == total) return CompletionReason::kAllCompleted;
  if (config.min_successful.has_value() &&
      succeeded >= static_cast<size_t>(std::max(0, *config.min_successful))) {
    return CompletionReason::kMinSuccessfulReached;
  }
  return CompletionReason::kAllCompleted;
}

}  // namespace

// The state every worker and the coordinator share, under `mu`.
struct BatchRunner::Board {
  explicit Board(size_t n) : state(n, ItemState::kNotStarted), results(n), errors(n) {}

  Mutex mu;
  std::vector<ItemState> state ABSL_GUARDED_BY(mu);
  std::vector<std::string> results ABSL_GUARDED_BY(mu);
  std::vector<ErrorObject> errors ABSL_GUARDED_BY(mu);
  std::deque<size_t> ready ABSL_GUARDED_BY(mu);
  bool stop ABSL_GUARDED_BY(mu) = false;
  size_t next ABSL_GUARDED_BY(mu) = 0;
  size_t running ABSL_GUARDED_BY(mu) = 0;
  size_t suspended ABSL_GUARDED_BY(mu) = 0;
  size_t succeeded ABSL_GUARDED_BY(mu) = 0;
  size_t failed ABSL_GUARDED_BY(mu) = 0;
};

EncodedBatch BatchRunner::Snapshot(Board& board, CompletionReason reason) {
  board.mu.AssertHeld();
  EncodedBatch batch;
  batch.reason = reason;
  for (size_t i = 0; i < board.state.size(); ++i) {
    EncodedItem item;
    item.index = i;
    switch (board.state[i]) {
      case ItemState::kNotStarted:
        continue;
      case ItemState::kSucceeded:
        item.status = BatchItemStatus::kSucceeded;
        item.result = board.results[i];
        break;
      case ItemState::kFailed:
        item.status = BatchItemStatus::kFailed;
        item.error = board.errors[i];
        break;
      case ItemState::kRunning:
      case ItemState::kSuspended:
        item.status = BatchItemStatus::kStarted;
        break;
    }
    batch.items.push_back(std::move(item));
  }
  return batch;
}

DurableContext::ChildOutcome BatchRunner::RunFlat(size_t i) {
  const std::string step_id = StepId(batch_.prefix_, static_cast<int>(i + 1));
  // A branch the log holds as a CONTEXT ran nested: the code changed between invocations.
  if (batch_.execution_->Has(HashId(step_id))) {
    batch_.FailFatal(
        {"Durable.NonDeterministicExecution",
         absl::StrCat("branch ", i, " (", step_id, ") was logged as a ",
                      AsAbsl(spec_.item_sub_type), " context but the code now runs it FLAT"),
         std::nullopt,
         {}},
        /*retry_invocation=*/false);
  }
  DurableContext branch(*batch_.execution_, &batch_, step_id, batch_.own_id_,
                        batch_.execution_->logger());
  DurableContext::ChildOutcome outcome;
  try {
    outcome.encoded = spec_.item_body(branch, i);
    // A suspension the branch's code caught and swallowed still suspends it.
    outcome.outcome = branch.suspended_ ? DurableContext::Outcome::kSuspended
                                        : DurableContext::Outcome::kSucceeded;
  } catch (const SuspendSignal&) {
    outcome.outcome = DurableContext::Outcome::kSuspended;
  } catch (const FatalSignal&) {
    throw;
  } catch (...) {
    outcome.outcome = DurableContext::Outcome::kFailed;
    outcome.error = ErrorFromException(std::current_exception());
  }
  return outcome;
}

void BatchRunner::RunBranch(Board& board, size_t i) {
  DurableContext::ChildOutcome outcome;
  try {
    if (spec_.nesting == NestingType::kFlat) {
      outcome = RunFlat(i);
    } else {
      DurableContext::Slot slot = batch_.BeginAt(static_cast<int>(i + 1), OperationType::kContext,
                                                 spec_.item_sub_type, spec_.names[i]);
      outcome = batch_.RunChildAt(
          slot, spec_.names[i], spec_.item_sub_type,
          [&](DurableContext& branch) { return spec_.item_body(branch, i); }, nullptr,
          spec_.item_serdes);
    }
  } catch (const FatalSignal&) {
    outcome.outcome = DurableContext::Outcome::kSuspended;  // the execution's fatal error wins
  } catch (const SuspendSignal&) {
    outcome.outcome = DurableContext::Outcome::kSuspended;
  } catch (...) {
    // Nothing may escape a worker thread: whatever else went wrong fails this branch.
    outcome.outcome = DurableContext::Outcome::kFailed;
    outcome.error = ErrorFromException(std::current_exception());
  }
  MutexLock lock(&board.mu);
  --board.running;
  if (board.stop) return;  // the batch completed without this branch
  switch (outcome.outcome) {
    case DurableContext::Outcome::kSucceeded:
      board.state[i] = ItemState::kSucceeded;
      board.results[i] = std::move(outcome.encoded);
      ++board.succeeded;
      break;
    case DurableContext::Outcome::kFailed:
      board.state[i] = ItemState::kFailed;
      board.errors[i] = std::move(outcome.error);
      ++board.failed;
      break;
    case DurableContext::Outcome::kSuspended:
      board.state[i] = ItemState::kSuspended;
      ++board.suspended;
      break;
  }
}

void BatchRunner::Work(BatchRunner& runner, Board& board) {
  while (true) {
    size_t i = 0;
    {
      MutexLock lock(&board.mu);
      board.mu.Await(
          [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return board.stop || !board.ready.empty(); });
      if (board.ready.empty()) return;
      i = board.ready.front();
      board.ready.pop_front();
    }
    runner.RunBranch(board, i);
  }
}

std::optional<EncodedBatch> BatchRunner::Coordinate(Board& board, size_t limit) {
  const size_t n = spec_.names.size();
  std::optional<EncodedBatch> completed;
  MutexLock lock(&board.mu);
  while (!execution_fatal()) {
    if (IsComplete(spec_.completion, board.succeeded, board.failed, n) ||
        !ShouldContinue(spec_.completion, board.failed, n)) {
      completed = Snapshot(board, ReasonFor(spec_.completion, board.succeeded, board.failed, n));
      break;
    }
    while (board.running + board.suspended < limit && board.next < n) {
      board.state[board.next] = ItemState::kRunning;
      ++board.running;
      board.ready.push_back(board.next++);
    }
    if (board.running == 0) break;  // every slot held by a suspended branch
    const size_t before = board.succeeded + board.failed + board.suspended;
    board.mu.Await([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return board.succeeded + board.failed + board.suspended != before || execution_fatal();
    });
  }
  // Branches queued but not picked up never start; running ones are abandoned.
  for (size_t i : board.ready) {
    board.state[i] = ItemState::kNotStarted;
    --board.running;
  }
  board.ready.clear();
  board.stop = true;
  if (board.running > 0) batch_.abandoned_ = true;
  return completed;
}

EncodedBatch BatchRunner::Run() {
  const size_t n = spec_.names.size();
  if (n == 0) return EncodedBatch{{}, CompletionReason::kAllCompleted};
  if (batch_.rebuilding_) return Rebuild();
  const size_t limit =
      spec_.max_concurrency.has_value() ? static_cast<size_t>(*spec_.max_concurrency) : n;
  Board board(n);
  std::vector<std::thread> workers;
  const size_t threads = std::min({limit, n, kMaxThreads});
  workers.reserve(threads);
  for (size_t t = 0; t < threads; ++t) {
    workers.emplace_back(&BatchRunner::Work, std::ref(*this), std::ref(board));
  }
  std::optional<EncodedBatch> completed = Coordinate(board, limit);
  for (std::thread& t : workers) t.join();
  if (execution_fatal()) throw FatalSignal{};
  if (completed.has_value()) return std::move(*completed);
  batch_.Suspend();
}

bool BatchRunner::execution_fatal() const { return batch_.execution_->fatal().has_value(); }

EncodedBatch BatchRunner::RebuildFlat() {
  const std::optional<Operation> logged = batch_.execution_->Find(*batch_.own_id_);
  absl::StatusOr<SummaryRecord> record =
      ParseBatchSummary(logged.has_value() ? logged->result.value_or("") : "");
  if (!record.ok()) batch_.FailDecode(record.status(), "the batch's summary");
  EncodedBatch batch;
  batch.reason = record->reason;
  const size_t total = std::min(record->total, spec_.names.size());
  for (size_t i = 0; i < total; ++i) {
    EncodedItem item;
    item.index = i;
    // STARTED when the batch completed: reported so, not run again.
    if (!std::binary_search(record->started.begin(), record->started.end(), i)) {
      DurableContext::ChildOutcome outcome = RunFlat(i);
      if (outcome.outcome == DurableContext::Outcome::kSucceeded) {
        item.status = BatchItemStatus::kSucceeded;
        item.result = std::move(outcome.encoded);
      } else if (outcome.outcome == DurableContext::Outcome::kFailed) {
        item.status = BatchItemStatus::kFailed;
        item.error = std::move(outcome.error);
      }
    }
    batch.items.push_back(std::move(item));
  }
  return batch;
}

EncodedBatch BatchRunner::Rebuild() {
  if (spec_.nesting == NestingType::kFlat) return RebuildFlat();
  EncodedBatch batch;
  size_t succeeded = 0;
  size_t failed = 0;
  const size_t n = spec_.names.size();
  for (size_t i = 0; i < n; ++i) {
    DurableContext::Slot slot = batch_.BeginAt(static_cast<int>(i + 1), OperationType::kContext,
                                               spec_.item_sub_type, spec_.names[i]);
    if (!slot.logged.has_value()) continue;  // never started
    EncodedItem item;
    item.index = i;
    if (!IsTerminal(slot.logged->status)) {
      batch.items.push_back(std::move(item));  // STARTED when the batch completed
      continue;
    }
    DurableContext::ChildOutcome outcome = batch_.RunChildAt(
        slot, spec_.names[i], spec_.item_sub_type,
        [&](DurableContext& branch) { return spec_.item_body(branch, i); }, nullptr,
        spec_.item_serdes);
    if (outcome.outcome == DurableContext::Outcome::kSucceeded) {
      item.status = BatchItemStatus::kSucceeded;
      item.result = std::move(outcome.encoded);
      ++succeeded;
    } else if (outcome.outcome == DurableContext::Outcome::kFailed) {
      item.status = BatchItemStatus::kFailed;
      item.error = std::move(outcome.error);
      ++failed;
    }
    batch.items.push_back(std::move(item));
  }
  batch.reason = ReasonFor(spec_.completion, succeeded, failed, n);
  return batch;
}

}  // namespace internal

EncodedBatch DurableContext::RunBatch(std::string_view name, std::string_view sub_type,
                                      const BatchSpec& spec, const Serdes* serdes) {
  if (spec.max_concurrency.has_value() && *spec.max_concurrency <= 0) {
    throw std::invalid_argument(
        absl::StrCat("max_concurrency must be positive or unset, not ", *spec.max_concurrency));
  }
  const std::string_view summary_type = sub_type == sub_type::kMap ? "MapResult" : "ParallelResult";
  EncodedBatch built;
  bool have_built = false;
  const Summarizer summarize = [&](const std::string&) {
    return internal::BatchSummary(built, summary_type);
  };
  const std::string encoded = RunChild(
      name, sub_type,
      [&](DurableContext& batch) {
        built = internal::BatchRunner(batch, spec).Run();
        have_built = true;
        return internal::EncodeBatch(built);
      },
      &summarize, serdes);
  // With a whole-result serdes, the batch is what its payload reads back as (RunChild did that).
  if (have_built && (serdes == nullptr || serdes->empty())) return built;
  absl::StatusOr<EncodedBatch> logged = internal::DecodeBatchJson(encoded);
  if (!logged.ok()) FailDecode(logged.status(), name);
  return std::move(*logged);
}

}  // namespace lmc::durable
