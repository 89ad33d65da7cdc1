// File: handlers/events/dynamodb_event.h
//
// The DynamoDB Streams event an event source mapping delivers: a batch of item changes
// (`Records[]`). Item images stay raw JSON in DynamoDB's attribute-value form
// ({"Id":{"N":"101"},"Name":{"S":"x"}}), as views into the event, for the caller to read.
//
// Example:
//
//   absl::StatusOr<lmc::events::DynamoDbEvent> batch = lmc::events::ParseDynamoDbEvent(event);
//   for (const lmc::events::DynamoDbRecord& record : batch->records) {
//     if (record.event_name == "INSERT") Index(record.new_image_json);
//   }
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lmc/event.h"

namespace lmc::events {

// DynamoDbRecord
struct DynamoDbRecord {
  std::string_view event_id;
  std::string_view event_name;  // "INSERT", "MODIFY" or "REMOVE"
  std::string_view event_version;
  std::string_view event_source;  // "aws:dynamodb"
  std::string_view event_source_arn;
  std::string_view aws_region;
  // dynamodb.*
  std::string_view sequence_number;   // the batchItemFailures itemIdentifier; never empty
  std::string_view stream_view_type;  // NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY
  std::string_view keys_json;         // raw JSON; "" when absent
  std::string_view new_image_json;    // raw JSON; "" when absent
  std::string_view old_image_json;    // raw JSON; "" when absent
  int64_t size_bytes = 0;
  double approximate_creation_date_time = 0;  // epoch seconds
  std::string_view user_identity_json;        // raw JSON (TTL deletions); "" when absent
};

// DynamoDbEvent
struct DynamoDbEvent {
  std::vector<DynamoDbRecord> records;
};

// ParseDynamoDbEvent()
//
// Same contract as ParseSqsEvent(), for eventSource "aws:dynamodb" records, each of which must
// have dynamodb.SequenceNumber.
absl::StatusOr<DynamoDbEvent> ParseDynamoDbEvent(const lmc::Event& event);

}  // namespace lmc::events
