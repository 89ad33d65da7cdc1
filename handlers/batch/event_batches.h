// File: handlers/batch/event_batches.h
//
// Partial batch responses for SQS, Kinesis and DynamoDB Streams: give a per-record function,
// get a Handler that parses the batch (handlers/events), runs the function over its records
// (optionally several at once) and answers {"batchItemFailures":[...]} with exactly the records
// Lambda should retry:
//
//   SQS, standard queue   every failed message (itemIdentifier = messageId)
//   SQS, FIFO queue       (eventSourceARN ends in ".fifo") records run in order; the first
//                         failure stops the batch and it and every later message are reported
//   Kinesis, DynamoDB     the first failed record's sequence number (a checkpoint: Lambda
//                         retries the shard from there); later records are not started
//
// A record fails when the function returns a non-OK status or throws; each failure is logged
// at WARN with its identifier. An event of the wrong shape fails the whole invocation
// (errorType "InvalidEvent"), so Lambda retries the whole batch.
//
// Example:
//
//   absl::Status Charge(const lmc::events::SqsMessage& message, const lmc::Context& context) {
//     if (message.body.empty()) return absl::InvalidArgumentError("empty order");
//     ...
//     return absl::OkStatus();
//   }
//   handlers.Register("charge", lmc::batch::SqsBatchHandler(Charge, {.max_parallelism = 4}));
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "handlers/events/dynamodb_event.h"
#include "handlers/events/kinesis_event.h"
#include "handlers/events/sqs_event.h"
#include "lmc/handler.h"

namespace lmc::batch {

// BatchOptions
struct BatchOptions {
  // Records processed at once (FIFO batches always run one at a time, in order). Above 1 the
  // record function runs on threads started for the batch, concurrently with itself, and must
  // be thread-safe; it may use the Context and the record (views into the event, read-only)
  // but must not call Event::Json().
  int max_parallelism = 1;
};

// Record functions: OK when the record was handled; an error (or exception) marks it failed.
using SqsRecordFunction =
    std::function<absl::Status(const events::SqsMessage& message, const Context& context)>;
using KinesisRecordFunction =
    std::function<absl::Status(const events::KinesisRecord& record, const Context& context)>;
using DynamoDbRecordFunction =
    std::function<absl::Status(const events::DynamoDbRecord& record, const Context& context)>;

// Handlers that parse the event, process it and answer batchItemFailures (see the file
// comment). Thread-safe when the record function is; each owns its function.
Handler SqsBatchHandler(SqsRecordFunction function, BatchOptions options = {});
Handler KinesisBatchHandler(KinesisRecordFunction function, BatchOptions options = {});
Handler DynamoDbBatchHandler(DynamoDbRecordFunction function, BatchOptions options = {});

// The same processing for an event the caller parsed: returns the identifiers to report, in
// record order (views into `batch`). For handlers that answer more than batchItemFailures.
std::vector<std::string_view> ProcessSqsBatch(const events::SqsEvent& batch,
                                              const SqsRecordFunction& function,
                                              const Context& context, BatchOptions options = {});
std::vector<std::string_view> ProcessKinesisBatch(const events::KinesisEvent& batch,
                                                  const KinesisRecordFunction& function,
                                                  const Context& context,
                                                  BatchOptions options = {});
std::vector<std::string_view> ProcessDynamoDbBatch(const events::DynamoDbEvent& batch,
                                                   const DynamoDbRecordFunction& function,
                                                   const Context& context,
                                                   BatchOptions options = {});

}  // namespace lmc::batch
