#include "handlers/events/sns_event.h"

#include "handlers/events/json_walk.h"
#include "lmc/status_macros.h"

namespace lmc::events {
namespace {

using internal::Value;

absl::Status ReadNotification(Value& value, SnsRecord& record) {
  return internal::ForEachField(value, "Sns", [&](std::string_view key, Value& field) {
    if (key == "Type") return internal::ReadString(field, key, record.type);
    if (key == "MessageId") return internal::ReadString(field, key, record.message_id);
    if (key == "TopicArn") return internal::ReadString(field, key, record.topic_arn);
    if (key == "Subject") return internal::ReadString(field, key, record.subject);
    if (key == "Message") return internal::ReadString(field, key, record.message);
    if (key == "Timestamp") return internal::ReadString(field, key, record.timestamp);
    if (key == "SignatureVersion") {
      return internal::ReadString(field, key, record.signature_version);
    }
    if (key == "Signature") return internal::ReadString(field, key, record.signature);
    if (key == "SigningCertUrl" || key == "SigningCertURL") {
      return internal::ReadString(field, key, record.signing_cert_url);
    }
    if (key == "UnsubscribeUrl" || key == "UnsubscribeURL") {
      return internal::ReadString(field, key, record.unsubscribe_url);
    }
    if (key == "MessageAttributes") {
      return internal::ReadRaw(field, key, record.message_attributes_json);
    }
    return absl::OkStatus();
  });
}

absl::Status ReadRecord(Value& value, SnsRecord& record) {
  return internal::ForEachField(value, "record", [&](std::string_view key, Value& field) {
    if (key == "Sns") return ReadNotification(field, record);
    if (key == "EventSource") return internal::ReadString(field, key, record.event_source);
    if (key == "EventVersion") return internal::ReadString(field, key, record.event_version);
    if (key == "EventSubscriptionArn") {
      return internal::ReadString(field, key, record.event_subscription_arn);
    }
    return absl::OkStatus();
  });
}

}  // namespace

absl::StatusOr<SnsEvent> ParseSnsEvent(const lmc::Event& event) {
  SnsEvent out;
  absl::Status status = internal::ForEachRecord(event, "SNS event", [&](Value& value) {
    SnsRecord& record = out.records.emplace_back();
    LMC_RETURN_IF_ERROR(ReadRecord(value, record));
    return internal::ExpectSource(record.event_source, "aws:sns");
  });
  if (!status.ok()) return status;
  return out;
}

}  // namespace lmc::events
