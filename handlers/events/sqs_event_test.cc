#include "handlers/events/sqs_event.h"

#include "gtest/gtest.h"
#include "handlers/events/event_fixture.h"

namespace lmc::events {
namespace {

TEST(SqsEvent, ParsesEveryRecordOfTheFixtureWithUnescapedBodies) {
  OwnedEvent owned(ReadFixture("sqs.json"));
  absl::StatusOr<SqsEvent> batch = ParseSqsEvent(owned.event());
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->records.size(), 2u);
  const SqsMessage& first = batch->records[0];
  EXPECT_EQ(first.message_id, "059f36b4-87a3-44ab-83d2-661975830a7d");
  EXPECT_EQ(first.body, "{\"order\":1,\"note\":\"caf\xc3\xa9 \\\"quoted\\\"\"}");
  EXPECT_EQ(first.event_source_arn, "arn:aws:sqs:us-east-2:123456789012:my-queue");
  EXPECT_EQ(first.aws_region, "us-east-2");
  EXPECT_EQ(first.md5_of_body, "e4e68fb7bd0e697a0ae8f1bb342846b3");
  EXPECT_EQ(first.attributes.Get("ApproximateReceiveCount"), "1");
  EXPECT_NE(first.message_attributes_json.find("\"stringValue\": \"acme\""), std::string::npos);
  EXPECT_EQ(batch->records[1].message_id, "2e1424d4-f796-459a-8184-9c92662be6da");
  EXPECT_EQ(batch->records[1].attributes.Get("ApproximateReceiveCount"), "3");
  EXPECT_FALSE(batch->IsFifo());
}

TEST(SqsEvent, BodiesWithoutEscapesPointIntoTheEventBytes) {
  OwnedEvent owned(ReadFixture("sqs.json"));
  absl::StatusOr<SqsEvent> batch = ParseSqsEvent(owned.event());
  ASSERT_TRUE(batch.ok());
  // The receipt handle has no escapes, yet simdjson unescapes every string into its own buffer:
  // what matters is that no std::string was made, which the view type already guarantees. The
  // raw JSON of messageAttributes, however, is a view into the event itself.
  const std::string_view bytes = owned.event().bytes();
  const std::string_view raw = batch->records[0].message_attributes_json;
  EXPECT_GE(raw.data(), bytes.data());
  EXPECT_LE(raw.data() + raw.size(), bytes.data() + bytes.size());
}

TEST(SqsEvent, FifoQueuesAreRecognisedByTheirArn) {
  OwnedEvent owned(ReadFixture("sqs_fifo.json"));
  absl::StatusOr<SqsEvent> batch = ParseSqsEvent(owned.event());
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_TRUE(batch->IsFifo());
  EXPECT_EQ(batch->records[0].attributes.Get("MessageGroupId"), "1");
  EXPECT_TRUE(IsFifoQueueArn("arn:aws:sqs:us-east-2:123456789012:q.fifo"));
  EXPECT_FALSE(IsFifoQueueArn("arn:aws:sqs:us-east-2:123456789012:fifo-q"));
}

TEST(SqsEvent, RejectsEventsOfAnotherSourceNamingTheProblem) {
  OwnedEvent kinesis(ReadFixture("kinesis.json"));
  absl::StatusOr<SqsEvent> batch = ParseSqsEvent(kinesis.event());
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(batch.status().message().find("aws:kinesis"), std::string::npos) << batch.status();
  EXPECT_NE(batch.status().message().find("Records[0]"), std::string::npos) << batch.status();

  OwnedEvent eventbridge(ReadFixture("eventbridge.json"));
  batch = ParseSqsEvent(eventbridge.event());
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().message(), "SQS event: no Records array");
}

TEST(SqsEvent, RejectsMalformedRecords) {
  for (const char* json : {
           R"({"Records":[{"eventSource":"aws:sqs","body":"x"}]})",      // no messageId
           R"({"Records":[{"eventSource":"aws:sqs","messageId":7}]})",   // wrong type
           R"({"Records":{"messageId":"a"}})",                           // not an array
           R"({"Records":[{"eventSource":"aws:sqs","messageId":"a"}])",  // truncated
           R"([1,2])",                                                   // not an object
       }) {
    OwnedEvent owned(json);
    absl::StatusOr<SqsEvent> batch = ParseSqsEvent(owned.event());
    EXPECT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument) << json;
  }
}

TEST(SqsEvent, AnEmptyBatchIsValid) {
  OwnedEvent owned(R"({"Records":[]})");
  absl::StatusOr<SqsEvent> batch = ParseSqsEvent(owned.event());
  ASSERT_TRUE(batch.ok());
  EXPECT_TRUE(batch->records.empty());
  EXPECT_FALSE(batch->IsFifo());
}

}  // namespace
}  // namespace lmc::events
