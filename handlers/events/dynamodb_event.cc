#include "handlers/events/dynamodb_event.h"

#include "handlers/events/json_walk.h"
#include "lmc/status_macros.h"

namespace lmc::events {
namespace {

using internal::Value;

absl::Status ReadChange(Value& value, DynamoDbRecord& record) {
  return internal::ForEachField(value, "dynamodb", [&](std::string_view key, Value& field) {
    if (key == "SequenceNumber") return internal::ReadString(field, key, record.sequence_number);
    if (key == "StreamViewType") return internal::ReadString(field, key, record.stream_view_type);
    if (key == "Keys") return internal::ReadRaw(field, key, record.keys_json);
    if (key == "NewImage") return internal::ReadRaw(field, key, record.new_image_json);
    if (key == "OldImage") return internal::ReadRaw(field, key, record.old_image_json);
    if (key == "SizeBytes") return internal::ReadInt64(field, key, record.size_bytes);
    if (key == "ApproximateCreationDateTime") {
      return internal::ReadDouble(field, key, record.approximate_creation_date_time);
    }
    return absl::OkStatus();
  });
}

absl::Status ReadRecord(Value& value, DynamoDbRecord& record) {
  return internal::ForEachField(value, "record", [&](std::string_view key, Value& field) {
    if (key == "dynamodb") return ReadChange(field, record);
    if (key == "eventID") return internal::ReadString(field, key, record.event_id);
    if (key == "eventName") return internal::ReadString(field, key, record.event_name);
    if (key == "eventVersion") return internal::ReadString(field, key, record.event_version);
    if (key == "eventSource") return internal::ReadString(field, key, record.event_source);
    if (key == "eventSourceARN") return internal::ReadString(field, key, record.event_source_arn);
    if (key == "awsRegion") return internal::ReadString(field, key, record.aws_region);
    if (key == "userIdentity") return internal::ReadRaw(field, key, record.user_identity_json);
    return absl::OkStatus();
  });
}

}  // namespace

absl::StatusOr<DynamoDbEvent> ParseDynamoDbEvent(const lmc::Event& event) {
  DynamoDbEvent out;
  absl::Status status = internal::ForEachRecord(event, "DynamoDB Streams event", [&](Value& value) {
    DynamoDbRecord& record = out.records.emplace_back();
    LMC_RETURN_IF_ERROR(ReadRecord(value, record));
    LMC_RETURN_IF_ERROR(internal::ExpectSource(record.event_source, "aws:dynamodb"));
    if (record.sequence_number.empty()) {
      return internal::FieldError("dynamodb.SequenceNumber", "missing");
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

}  // namespace lmc::events
