// File: handlers/durable/batch_result.h
//
// What Map and Parallel return: one BatchItem per branch that was started (in branch order),
// with its result or its error, and why the batch stopped. Item failures do not fail the batch;
// a workflow that wants them to calls ThrowIfError(). Completion policies (CompletionConfig)
// decide when a batch stops early, exactly as the official SDKs define them (PROTOCOL.md §9).
//
// Example:
//
//   lmc::durable::BatchResult<int> sizes = ctx.Map("sizes", files, MeasureFile,
//       {.max_concurrency = 4, .completion = {.tolerated_failure_count = 2}});
//   for (const auto& item : sizes.items()) {
//     if (item.status == lmc::durable::BatchItemStatus::kSucceeded) total += *item.result;
//   }
//   sizes.ThrowIfError();   // the first failure, as a ChildContextError
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "handlers/durable/errors.h"
#include "handlers/durable/operation.h"

namespace lmc::durable {

// CompletionConfig
//
// All unset: the batch stops starting branches at the first failure. tolerated_failure_count:
// stop once failures > count. tolerated_failure_percentage: stop once 100 * failures / total >
// percentage. min_successful: done as soon as that many branches succeeded.
struct CompletionConfig {
  std::optional<int> min_successful;
  std::optional<int> tolerated_failure_count;
  std::optional<double> tolerated_failure_percentage;
};

enum class BatchItemStatus { kSucceeded, kFailed, kStarted };
enum class CompletionReason { kAllCompleted, kMinSuccessfulReached, kFailureToleranceExceeded };

// "ALL_COMPLETED", "MIN_SUCCESSFUL_REACHED", "FAILURE_TOLERANCE_EXCEEDED".
std::string_view ToString(CompletionReason reason);

// BatchItem
//
// One started branch: kSucceeded with `result`, kFailed with `error`, or kStarted (still
// running, or waiting, when the batch completed without it).
template <typename T>
struct BatchItem {
  size_t index = 0;
  BatchItemStatus status = BatchItemStatus::kStarted;
  std::optional<T> result;
  std::optional<ErrorObject> error;
};

// BatchResult
//
// Immutable once returned; thread-safe to read.
template <typename T>
class BatchResult {
 public:
  BatchResult(std::vector<BatchItem<T>> items, CompletionReason reason)
      : items_(std::move(items)), reason_(reason) {}

  const std::vector<BatchItem<T>>& items() const { return items_; }
  CompletionReason completion_reason() const { return reason_; }

  // The results of the branches that succeeded, in branch order.
  std::vector<T> Results() const {
    std::vector<T> results;
    for (const BatchItem<T>& item : items_) {
      if (item.status == BatchItemStatus::kSucceeded && item.result.has_value()) {
        results.push_back(*item.result);
      }
    }
    return results;
  }
  // The errors of the branches that failed, in branch order.
  std::vector<ErrorObject> Errors() const {
    std::vector<ErrorObject> errors;
    for (const BatchItem<T>& item : items_) {
      if (item.status == BatchItemStatus::kFailed && item.error.has_value()) {
        errors.push_back(*item.error);
      }
    }
    return errors;
  }
  size_t success_count() const { return Count(BatchItemStatus::kSucceeded); }
  size_t failure_count() const { return Count(BatchItemStatus::kFailed); }
  size_t started_count() const { return Count(BatchItemStatus::kStarted); }
  size_t total_count() const { return items_.size(); }
  bool has_failure() const { return failure_count() > 0; }

  // Throws the first failed branch's error as a ChildContextError; does nothing otherwise.
  void ThrowIfError() const {
    for (const BatchItem<T>& item : items_) {
      if (item.status == BatchItemStatus::kFailed) {
        throw ChildContextError(item.error.value_or(ErrorObject{}));
      }
    }
  }

 private:
  size_t Count(BatchItemStatus status) const {
    size_t n = 0;
    for (const BatchItem<T>& item : items_) n += item.status == status ? 1 : 0;
    return n;
  }

  std::vector<BatchItem<T>> items_;
  CompletionReason reason_;
};

}  // namespace lmc::durable
