// File: handlers/events/sqs_event.h
//
// The SQS event a queue's event source mapping delivers: a batch of messages (`Records[]`), each
// a view into the event (no copies). See /work/shared/runtime-api.md §9 and AWS's "Using Lambda
// with Amazon SQS" for the shape.
//
// Example:
//
//   absl::StatusOr<lmc::events::SqsEvent> batch = lmc::events::ParseSqsEvent(event);
//   if (!batch.ok()) return lmc::Error("InvalidEvent", std::string(batch.status().message()));
//   for (const lmc::events::SqsMessage& message : batch->records) Process(message.body);
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "handlers/events/fields.h"
#include "lmc/event.h"

namespace lmc::events {

// SqsMessage
//
// One record. Views valid as long as the SqsEvent they came from (see ParseSqsEvent()).
struct SqsMessage {
  std::string_view message_id;  // the batchItemFailures itemIdentifier; never empty
  std::string_view receipt_handle;
  std::string_view body;  // the message body as sent (unescaped JSON string)
  std::string_view md5_of_body;
  std::string_view md5_of_message_attributes;
  std::string_view event_source;  // "aws:sqs"
  std::string_view event_source_arn;
  std::string_view aws_region;
  // System attributes (ApproximateReceiveCount, SentTimestamp, MessageGroupId, ...).
  Fields attributes;
  // The messageAttributes object as raw JSON ("{}" shape; "" when absent): each value is an
  // object ({"stringValue":...,"dataType":...}), so it is left for the caller to parse.
  std::string_view message_attributes_json;
};

// SqsEvent
struct SqsEvent {
  std::vector<SqsMessage> records;

  // True when the batch comes from a FIFO queue (its ARN ends in ".fifo"): then a failure must
  // stop the batch, because later messages of the group may not overtake it.
  bool IsFifo() const;
};

// True when `queue_arn` names a FIFO queue.
bool IsFifoQueueArn(std::string_view queue_arn);

// ParseSqsEvent()
//
// Parses `event` in place with its parser. The result's views point into the event bytes and the
// parser's string buffer: valid until the next Event::Json() on this thread, never beyond the
// handler call. InvalidArgument (naming the field) when the event is not an SQS event: not a
// JSON object, no `Records` array, a record whose eventSource is not "aws:sqs", a field of the
// wrong type, or a record without messageId. Thread-compatible (one event, one thread).
absl::StatusOr<SqsEvent> ParseSqsEvent(const lmc::Event& event);

}  // namespace lmc::events
