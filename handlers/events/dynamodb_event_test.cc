#include "handlers/events/dynamodb_event.h"

#include "gtest/gtest.h"
#include "handlers/events/event_fixture.h"

namespace lmc::events {
namespace {

TEST(DynamoDbEvent, ParsesInsertModifyAndRemoveWithRawImages) {
  OwnedEvent owned(ReadFixture("dynamodb.json"));
  absl::StatusOr<DynamoDbEvent> batch = ParseDynamoDbEvent(owned.event());
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->records.size(), 3u);
  EXPECT_EQ(batch->records[0].event_name, "INSERT");
  EXPECT_EQ(batch->records[0].sequence_number, "111");
  EXPECT_EQ(batch->records[0].keys_json, R"({"Id": {"N": "101"}})");
  EXPECT_EQ(batch->records[0].old_image_json, "");
  EXPECT_EQ(batch->records[0].size_bytes, 26);
  EXPECT_DOUBLE_EQ(batch->records[0].approximate_creation_date_time, 1428537600);
  EXPECT_EQ(batch->records[1].event_name, "MODIFY");
  EXPECT_EQ(batch->records[1].new_image_json,
            R"({"Message": {"S": "This item has changed"}, "Id": {"N": "101"}})");
  EXPECT_EQ(batch->records[2].event_name, "REMOVE");
  EXPECT_EQ(batch->records[2].sequence_number, "333");
  EXPECT_EQ(batch->records[2].new_image_json, "");
  EXPECT_EQ(batch->records[2].stream_view_type, "NEW_AND_OLD_IMAGES");
}

TEST(DynamoDbEvent, RejectsOtherSources) {
  OwnedEvent kinesis(ReadFixture("kinesis.json"));
  absl::Status status = ParseDynamoDbEvent(kinesis.event()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("DynamoDB"), std::string::npos) << status;
  OwnedEvent bad_size(
      R"({"Records":[{"eventSource":"aws:dynamodb","dynamodb":{"SequenceNumber":"1","SizeBytes":"9"}}]})");
  status = ParseDynamoDbEvent(bad_size.event()).status();
  EXPECT_NE(status.message().find("SizeBytes"), std::string::npos) << status;
}

}  // namespace
}  // namespace lmc::events
