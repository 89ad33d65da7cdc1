#include "handlers/events/sqs_event.h"

#include "handlers/events/json_walk.h"
#include "lmc/status_macros.h"

namespace lmc::events {
namespace {

using internal::Value;

absl::Status ReadMessage(Value& value, SqsMessage& message) {
  return internal::ForEachField(value, "record", [&](std::string_view key, Value& field) {
    if (key == "messageId") return internal::ReadString(field, key, message.message_id);
    if (key == "receiptHandle") return internal::ReadString(field, key, message.receipt_handle);
    if (key == "body") return internal::ReadString(field, key, message.body);
    if (key == "md5OfBody") return internal::ReadString(field, key, message.md5_of_body);
    if (key == "md5OfMessageAttributes") {
      return internal::ReadString(field, key, message.md5_of_message_attributes);
    }
    if (key == "eventSource") return internal::ReadString(field, key, message.event_source);
    if (key == "eventSourceARN") {
      return internal::ReadString(field, key, message.event_source_arn);
    }
    if (key == "awsRegion") return internal::ReadString(field, key, message.aws_region);
    if (key == "attributes") return internal::ReadStringMap(field, key, message.attributes);
    if (key == "messageAttributes") {
      return internal::ReadRaw(field, key, message.message_attributes_json);
    }
    return absl::OkStatus();
  });
}

}  // namespace

bool IsFifoQueueArn(std::string_view queue_arn) { return queue_arn.ends_with(".fifo"); }

bool SqsEvent::IsFifo() const {
  return !records.empty() && IsFifoQueueArn(records.front().event_source_arn);
}

absl::StatusOr<SqsEvent> ParseSqsEvent(const lmc::Event& event) {
  SqsEvent out;
  absl::Status status = internal::ForEachRecord(event, "SQS event", [&](Value& record) {
    SqsMessage& message = out.records.emplace_back();
    LMC_RETURN_IF_ERROR(ReadMessage(record, message));
    LMC_RETURN_IF_ERROR(internal::ExpectSource(message.event_source, "aws:sqs"));
    if (message.message_id.empty()) return internal::FieldError("messageId", "missing");
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

}  // namespace lmc::events
