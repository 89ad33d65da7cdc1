// File: handlers/events/kinesis_event.h
//
// The Kinesis Data Streams event an event source mapping delivers: a batch of records
// (`Records[]`), each with its payload base64-encoded in `kinesis.data`. Views into the event; the
// payload is decoded only when asked (DecodedData()).
//
// Example:
//
//   absl::StatusOr<lmc::events::KinesisEvent> batch = lmc::events::ParseKinesisEvent(event);
//   for (const lmc::events::KinesisRecord& record : batch->records) {
//     absl::StatusOr<std::string> data = record.DecodedData();
//     ...   // on failure report record.sequence_number as the batch item failure
//   }
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lmc/event.h"

namespace lmc::events {

// KinesisRecord
struct KinesisRecord {
  // kinesis.*
  std::string_view partition_key;
  std::string_view sequence_number;  // the batchItemFailures itemIdentifier; never empty
  std::string_view data_base64;      // the payload, base64 as delivered
  std::string_view kinesis_schema_version;
  std::string_view encryption_type;
  double approximate_arrival_timestamp = 0;  // epoch seconds (with a fraction)
  // The envelope.
  std::string_view event_source;  // "aws:kinesis"
  std::string_view event_source_arn;
  std::string_view event_id;
  std::string_view event_name;
  std::string_view event_version;
  std::string_view invoke_identity_arn;
  std::string_view aws_region;

  // The payload bytes (binary-safe). InvalidArgument when data is not valid base64.
  absl::StatusOr<std::string> DecodedData() const;
};

// KinesisEvent
struct KinesisEvent {
  std::vector<KinesisRecord> records;
};

// ParseKinesisEvent()
//
// Same contract as ParseSqsEvent() (views valid until the next Event::Json() on this thread;
// InvalidArgument for another shape), for eventSource "aws:kinesis" records, each of which must
// have a sequence number.
absl::StatusOr<KinesisEvent> ParseKinesisEvent(const lmc::Event& event);

}  // namespace lmc::events
