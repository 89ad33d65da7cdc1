// File: handlers/durable/internal/batch_json.h
//
// A Map/Parallel batch as the engine handles it (results still JSON text) and its JSON form, the
// one the official SDKs log as the batch CONTEXT's payload (PROTOCOL.md §9):
// {"all":[{"index":0,"status":"SUCCEEDED","result":<json>},{"index":1,"status":"FAILED",
// "error":{...}},{"index":2,"status":"STARTED"}],"completionReason":"ALL_COMPLETED"}, and the
// summary logged instead of a batch too large to log.
//
// Example:
//
//   EncodedBatch batch{{{0, BatchItemStatus::kSucceeded, "42", std::nullopt}},
//                      CompletionReason::kAllCompleted};
//   absl::StatusOr<EncodedBatch> back = DecodeBatchJson(EncodeBatch(batch));
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "handlers/durable/batch_result.h"
#include "handlers/durable/operation.h"

namespace lmc::durable::internal {

// One started branch, its result still JSON text.
struct EncodedItem {
  size_t index = 0;
  BatchItemStatus status = BatchItemStatus::kStarted;
  std::string result;  // kSucceeded: the result's JSON text
  std::optional<ErrorObject> error;
};
struct EncodedBatch {
  std::vector<EncodedItem> items;
  CompletionReason reason = CompletionReason::kAllCompleted;
};

// The batch's JSON and back (InvalidArgument naming what is missing). Thread-safe (pure).
std::string EncodeBatch(const EncodedBatch& batch);
absl::StatusOr<EncodedBatch> DecodeBatchJson(std::string_view json);
// The summary logged instead when the batch is too large (`type`: "MapResult"/"ParallelResult"):
// {"type","totalCount","successCount","failureCount","startedCount","completionReason","status",
// "startedIndexes"}. totalCount counts the branches ever started (always the first totalCount:
// branches start in index order); startedIndexes are those still STARTED when the batch
// completed (the Python SDK's completion record, which FLAT batches need to rebuild).
std::string BatchSummary(const EncodedBatch& batch, std::string_view type);

// What a summary records about the completion (InvalidArgument when it is not a summary).
struct SummaryRecord {
  size_t total = 0;
  std::vector<size_t> started;  // ascending
  CompletionReason reason = CompletionReason::kAllCompleted;
};
absl::StatusOr<SummaryRecord> ParseBatchSummary(std::string_view json);

}  // namespace lmc::durable::internal
