#include "handlers/events/kinesis_event.h"

#include "handlers/events/json_walk.h"
#include "lmc/status_macros.h"

namespace lmc::events {
namespace {

using internal::Value;

absl::Status ReadPayload(Value& value, KinesisRecord& record) {
  return internal::ForEachField(value, "kinesis", [&](std::string_view key, Value& field) {
    if (key == "partitionKey") return internal::ReadString(field, key, record.partition_key);
    if (key == "sequenceNumber") return internal::ReadString(field, key, record.sequence_number);
    if (key == "data") return internal::ReadString(field, key, record.data_base64);
    if (key == "kinesisSchemaVersion") {
      return internal::ReadString(field, key, record.kinesis_schema_version);
    }
    if (key == "encryptionType") return internal::ReadString(field, key, record.encryption_type);
    if (key == "approximateArrivalTimestamp") {
      return internal::ReadDouble(field, key, record.approximate_arrival_timestamp);
    }
    return absl::OkStatus();
  });
}

absl::Status ReadRecord(Value& value, KinesisRecord& record) {
  return internal::ForEachField(value, "record", [&](std::string_view key, Value& field) {
    if (key == "kinesis") return ReadPayload(field, record);
    if (key == "eventSource") return internal::ReadString(field, key, record.event_source);
    if (key == "eventSourceARN") return internal::ReadString(field, key, record.event_source_arn);
    if (key == "eventID") return internal::ReadString(field, key, record.event_id);
    if (key == "eventName") return internal::ReadString(field, key, record.event_name);
    if (key == "eventVersion") return internal::ReadString(field, key, record.event_version);
    if (key == "invokeIdentityArn") {
      return internal::ReadString(field, key, record.invoke_identity_arn);
    }
    if (key == "awsRegion") return internal::ReadString(field, key, record.aws_region);
    return absl::OkStatus();
  });
}

}  // namespace

absl::StatusOr<std::string> KinesisRecord::DecodedData() const {
  std::string out;
  LMC_RETURN_IF_ERROR(internal::DecodeBase64(data_base64, "kinesis.data", out));
  return out;
}

absl::StatusOr<KinesisEvent> ParseKinesisEvent(const lmc::Event& event) {
  KinesisEvent out;
  absl::Status status = internal::ForEachRecord(event, "Kinesis event", [&](Value& value) {
    KinesisRecord& record = out.records.emplace_back();
    LMC_RETURN_IF_ERROR(ReadRecord(value, record));
    LMC_RETURN_IF_ERROR(internal::ExpectSource(record.event_source, "aws:kinesis"));
    if (record.sequence_number.empty()) {
      return internal::FieldError("kinesis.sequenceNumber", "missing");
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

}  // namespace lmc::events
