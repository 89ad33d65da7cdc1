#include "handlers/events/kinesis_event.h"

#include "gtest/gtest.h"
#include "handlers/events/event_fixture.h"

namespace lmc::events {
namespace {

TEST(KinesisEvent, ParsesRecordsAndDecodesDataOnRequest) {
  OwnedEvent owned(ReadFixture("kinesis.json"));
  absl::StatusOr<KinesisEvent> batch = ParseKinesisEvent(owned.event());
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->records.size(), 2u);
  const KinesisRecord& first = batch->records[0];
  EXPECT_EQ(first.sequence_number, "49590338271490256608559692538361571095921575989136588898");
  EXPECT_EQ(first.partition_key, "1");
  EXPECT_EQ(first.data_base64, "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==");
  EXPECT_DOUBLE_EQ(first.approximate_arrival_timestamp, 1545084650.987);
  EXPECT_EQ(first.event_source_arn, "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream");
  absl::StatusOr<std::string> data = first.DecodedData();
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "Hello, this is a test.");
  data = batch->records[1].DecodedData();
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, std::string("\x00\x01\x02\xff", 4));
}

TEST(KinesisEvent, InvalidBase64IsAnErrorOnlyWhenDecoded) {
  OwnedEvent owned(
      R"({"Records":[{"eventSource":"aws:kinesis","kinesis":{"sequenceNumber":"1","data":"@@"}}]})");
  absl::StatusOr<KinesisEvent> batch = ParseKinesisEvent(owned.event());
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->records[0].DecodedData().status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(KinesisEvent, RejectsOtherSourcesAndRecordsWithoutSequenceNumbers) {
  OwnedEvent sqs(ReadFixture("sqs.json"));
  EXPECT_EQ(ParseKinesisEvent(sqs.event()).status().code(), absl::StatusCode::kInvalidArgument);
  OwnedEvent missing(R"({"Records":[{"eventSource":"aws:kinesis","kinesis":{"data":""}}]})");
  absl::Status status = ParseKinesisEvent(missing.event()).status();
  EXPECT_NE(status.message().find("sequenceNumber"), std::string::npos) << status;
}

}  // namespace
}  // namespace lmc::events
