#include "handlers/events/s3_event.h"

#include "handlers/events/json_walk.h"
#include "handlers/events/url_decode.h"
#include "lmc/status_macros.h"

namespace lmc::events {
namespace {

using internal::Value;

absl::Status ReadS3(Value& value, S3Record& record) {
  return internal::ForEachField(value, "s3", [&](std::string_view key, Value& field) {
    if (key == "configurationId") return internal::ReadString(field, key, record.configuration_id);
    if (key == "bucket") {
      return internal::ForEachField(field, key, [&](std::string_view name, Value& member) {
        if (name == "name") return internal::ReadString(member, name, record.bucket_name);
        if (name == "arn") return internal::ReadString(member, name, record.bucket_arn);
        return absl::OkStatus();
      });
    }
    if (key == "object") {
      return internal::ForEachField(field, key, [&](std::string_view name, Value& member) {
        if (name == "key") return internal::ReadString(member, name, record.object_key);
        if (name == "size") return internal::ReadInt64(member, name, record.object_size);
        if (name == "eTag") return internal::ReadString(member, name, record.object_etag);
        if (name == "versionId") {
          return internal::ReadString(member, name, record.object_version_id);
        }
        if (name == "sequencer") {
          return internal::ReadString(member, name, record.object_sequencer);
        }
        return absl::OkStatus();
      });
    }
    return absl::OkStatus();
  });
}

// Reads the one string member `name` of the object `value` into `out`.
absl::Status ReadMember(Value& value, std::string_view what, std::string_view name,
                        std::string_view& out) {
  return internal::ForEachField(value, what, [&](std::string_view key, Value& member) {
    if (key == name) return internal::ReadString(member, key, out);
    return absl::OkStatus();
  });
}

absl::Status ReadRecord(Value& value, S3Record& record) {
  return internal::ForEachField(value, "record", [&](std::string_view key, Value& field) {
    if (key == "s3") return ReadS3(field, record);
    if (key == "eventVersion") return internal::ReadString(field, key, record.event_version);
    if (key == "eventSource") return internal::ReadString(field, key, record.event_source);
    if (key == "awsRegion") return internal::ReadString(field, key, record.aws_region);
    if (key == "eventTime") return internal::ReadString(field, key, record.event_time);
    if (key == "eventName") return internal::ReadString(field, key, record.event_name);
    if (key == "userIdentity") return ReadMember(field, key, "principalId", record.principal_id);
    if (key == "requestParameters") {
      return ReadMember(field, key, "sourceIPAddress", record.source_ip_address);
    }
    return absl::OkStatus();
  });
}

}  // namespace

absl::StatusOr<std::string> S3Record::DecodedKey() const {
  return UrlDecode(object_key, /*plus_is_space=*/true);
}

absl::StatusOr<S3Event> ParseS3Event(const lmc::Event& event) {
  S3Event out;
  absl::Status status = internal::ForEachRecord(event, "S3 event", [&](Value& value) {
    S3Record& record = out.records.emplace_back();
    LMC_RETURN_IF_ERROR(ReadRecord(value, record));
    LMC_RETURN_IF_ERROR(internal::ExpectSource(record.event_source, "aws:s3"));
    if (record.bucket_name.empty()) return internal::FieldError("s3.bucket.name", "missing");
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

}  // namespace lmc::events
