// File: handlers/batch/batch_runner.h
//
// The core of partial batch responses: run a per-record step over a batch (in order, or on a
// bounded number of threads), decide which records to report back as failed under the event
// source's rule, and write the answer Lambda expects,
//
//   {"batchItemFailures":[{"itemIdentifier":"<messageId or sequence number>"}]}
//
// so that only the failed records are retried (the event source mapping needs
// FunctionResponseTypes ["ReportBatchItemFailures"]). handlers/batch/event_batches.h applies it
// to SQS, Kinesis and DynamoDB Streams events; use this header directly for other sources.
//
// Example:
//
//   std::vector<size_t> failed = lmc::batch::RunBatch(
//       items.size(), lmc::batch::FailurePolicy::kEachRecord, /*max_parallelism=*/4,
//       [&](size_t i) { return Process(items[i]); });
//   std::vector<std::string_view> ids;
//   for (size_t i : failed) ids.push_back(items[i].id);
//   return lmc::Response::Json(lmc::batch::BatchItemFailuresJson(ids));
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace lmc::batch {

// FailurePolicy
//
// Which records a batch reports as failed, given the records whose step failed.
enum class FailurePolicy {
  // Standard SQS queues: every record is processed; each failed one is reported.
  kEachRecord,
  // FIFO SQS queues: records are processed in order, one at a time, and processing stops at the
  // first failure, which is reported with every later record (a later message of the group
  // must not be handled before an earlier one that failed).
  kStopAndReportRest,
  // Kinesis and DynamoDB Streams: processing stops at the first failure and only that record is
  // reported: Lambda resumes the shard from its sequence number (a checkpoint), so it retries
  // it and everything after it.
  kCheckpoint,
};

// RunBatch()
//
// Runs `process(i)` for records i in [0, count) and returns the indexes to report as failed, in
// increasing order. `process` returns true when record i succeeded; an exception it throws is a
// failure of that record. With max_parallelism <= 1, or under kStopAndReportRest, records run
// in order on the calling thread. Otherwise up to max_parallelism records run at once, on the
// calling thread plus max_parallelism - 1 threads started for the batch and joined before
// RunBatch returns, taken in index order; `process` must then be thread-safe. Under
// kCheckpoint no record after a known failure is started, and the earliest failure is reported
// (records before it all succeeded).
std::vector<size_t> RunBatch(size_t count, FailurePolicy policy, int max_parallelism,
                             const std::function<bool(size_t index)>& process);

// BatchItemFailuresJson()
//
// {"batchItemFailures":[{"itemIdentifier":id},...]} in the given order; an empty list (the
// whole batch succeeded) is {"batchItemFailures":[]}. Identifiers are JSON-escaped.
std::string BatchItemFailuresJson(const std::vector<std::string_view>& identifiers);

}  // namespace lmc::batch
