#include "handlers/batch/event_batches.h"

#include <exception>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "handlers/batch/batch_runner.h"
#include "lmc/strings.h"

namespace lmc::batch {
namespace {

// Calls `function` on one record; logs and returns false when it fails or throws.
template <typename Record, typename Function>
bool ProcessRecord(const Function& function, const Record& record, std::string_view kind,
                   std::string_view id, const Context& context) {
  absl::Status status;
  try {
    status = function(record, context);
  } catch (const std::exception& e) {
    status = absl::InternalError(absl::StrCat("exception: ", e.what()));
  } catch (...) {
    status = absl::InternalError("unknown exception");
  }
  if (status.ok()) return true;
  context.logger().Warn(
      absl::StrCat(AsAbsl(kind), " record ", AsAbsl(id), " failed: ", status.ToString()));
  return false;
}

// Runs `function` over `records` under `policy`; returns the failed records' ids.
template <typename Record, typename Function, typename IdOf>
std::vector<std::string_view> Process(const std::vector<Record>& records, FailurePolicy policy,
                                      const Function& function, IdOf id_of, std::string_view kind,
                                      const Context& context, const BatchOptions& options) {
  const std::vector<size_t> failed =
      RunBatch(records.size(), policy, options.max_parallelism, [&](size_t i) {
        return ProcessRecord(function, records[i], kind, id_of(records[i]), context);
      });
  std::vector<std::string_view> ids;
  ids.reserve(failed.size());
  for (size_t i : failed) ids.push_back(id_of(records[i]));
  return ids;
}

// A handler that parses with `parse` and answers with `process`'s failures.
template <typename Parse, typename ProcessFn, typename Function>
Handler BatchHandler(Parse parse, ProcessFn process, Function function, BatchOptions options) {
  return [parse, process, function = std::move(function), options](
             const Event& event, const Context& context) -> Result {
    auto batch = parse(event);
    if (!batch.ok()) return Error("InvalidEvent", std::string{batch.status().message()});
    return Response::Json(BatchItemFailuresJson(process(*batch, function, context, options)));
  };
}

}  // namespace

std::vector<std::string_view> ProcessSqsBatch(const events::SqsEvent& batch,
                                              const SqsRecordFunction& function,
                                              const Context& context, BatchOptions options) {
  return Process(
      batch.records,
      batch.IsFifo() ? FailurePolicy::kStopAndReportRest : FailurePolicy::kEachRecord, function,
      [](const events::SqsMessage& message) { return message.message_id; }, "SQS", context,
      options);
}

std::vector<std::string_view> ProcessKinesisBatch(const events::KinesisEvent& batch,
                                                  const KinesisRecordFunction& function,
                                                  const Context& context, BatchOptions options) {
  return Process(
      batch.records, FailurePolicy::kCheckpoint, function,
      [](const events::KinesisRecord& record) { return record.sequence_number; }, "Kinesis",
      context, options);
}

std::vector<std::string_view> ProcessDynamoDbBatch(const events::DynamoDbEvent& batch,
                                                   const DynamoDbRecordFunction& function,
                                                   const Context& context, BatchOptions options) {
  return Process(
      batch.records, FailurePolicy::kCheckpoint, function,
      [](const events::DynamoDbRecord& record) { return record.sequence_number; }, "DynamoDB",
      context, options);
}

Handler SqsBatchHandler(SqsRecordFunction function, BatchOptions options) {
  return BatchHandler(events::ParseSqsEvent, ProcessSqsBatch, std::move(function), options);
}

Handler KinesisBatchHandler(KinesisRecordFunction function, BatchOptions options) {
  return BatchHandler(events::ParseKinesisEvent, ProcessKinesisBatch, std::move(function), options);
}

Handler DynamoDbBatchHandler(DynamoDbRecordFunction function, BatchOptions options) {
  return BatchHandler(events::ParseDynamoDbEvent, ProcessDynamoDbBatch, std::move(function),
                      options);
}

}  // namespace lmc::batch
