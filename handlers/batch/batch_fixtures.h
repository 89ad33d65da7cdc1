// File: handlers/batch/batch_fixtures.h
//
// Test support: SQS, Kinesis and DynamoDB Streams batch events of any size, in the shapes the
// fixtures in handlers/events/testdata/ show, with predictable identifiers ("msg-0", "msg-1",
// ... for SQS; "seq-0", ... for the streams), for tests of batch handlers and of the
// example-sqs-consumer.
//
// Example:
//
//   std::string event = lmc::batch::testing::SqsBatchJson({R"({"fail":true})", "ok"},
//                                                          /*fifo=*/true);
#pragma once

#include <string>
#include <vector>

namespace lmc::batch::testing {

// An SQS event with one message per body (bodies as sent: any bytes), messageId "msg-<i>",
// from a FIFO queue ("...:orders.fifo", MessageGroupId "g") or a standard one ("...:orders").
std::string SqsBatchJson(const std::vector<std::string>& bodies, bool fifo);

// Identifier of record `index` in the events above: "msg-<index>" / "seq-<index>".
std::string SqsMessageId(int index);
std::string SequenceNumber(int index);

// A Kinesis event with one record per payload (base64-encoded into kinesis.data), sequence
// numbers "seq-<i>".
std::string KinesisBatchJson(const std::vector<std::string>& payloads);

// A DynamoDB Streams event of `count` INSERT records (NewImage {"Id":{"N":"<i>"}}), sequence
// numbers "seq-<i>".
std::string DynamoDbBatchJson(int count);

}  // namespace lmc::batch::testing
