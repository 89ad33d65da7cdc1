// File: handlers/events/sns_event.h
//
// The event an SNS topic subscription delivers: `Records[]`, each wrapping one notification in
// `Sns`. Views into the event.
//
// Example:
//
//   absl::StatusOr<lmc::events::SnsEvent> sns = lmc::events::ParseSnsEvent(event);
//   for (const lmc::events::SnsRecord& record : sns->records) Notify(record.subject,
//   record.message);
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lmc/event.h"

namespace lmc::events {

// SnsRecord
struct SnsRecord {
  std::string_view event_source;  // "aws:sns"
  std::string_view event_version;
  std::string_view event_subscription_arn;
  // Sns.*
  std::string_view type;  // "Notification"
  std::string_view message_id;
  std::string_view topic_arn;
  std::string_view subject;  // "" when none (SNS sends null)
  std::string_view message;
  std::string_view timestamp;  // ISO 8601
  std::string_view signature_version;
  std::string_view signature;
  std::string_view signing_cert_url;
  std::string_view unsubscribe_url;
  std::string_view message_attributes_json;  // raw JSON; "" when absent
};

// SnsEvent
struct SnsEvent {
  std::vector<SnsRecord> records;
};

// ParseSnsEvent()
//
// Same contract as ParseSqsEvent(), for EventSource "aws:sns" records (SNS capitalises the
// envelope's names: EventSource, Sns, ...).
absl::StatusOr<SnsEvent> ParseSnsEvent(const lmc::Event& event);

}  // namespace lmc::events
