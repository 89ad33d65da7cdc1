#include "handlers/events/sns_event.h"

#include "gtest/gtest.h"
#include "handlers/events/event_fixture.h"

namespace lmc::events {
namespace {

TEST(SnsEvent, ParsesTheNotificationWithANullSubject) {
  OwnedEvent owned(ReadFixture("sns.json"));
  absl::StatusOr<SnsEvent> sns = ParseSnsEvent(owned.event());
  ASSERT_TRUE(sns.ok()) << sns.status();
  ASSERT_EQ(sns->records.size(), 1u);
  const SnsRecord& record = sns->records[0];
  EXPECT_EQ(record.message, "Hello from SNS!");
  EXPECT_EQ(record.subject, "");
  EXPECT_EQ(record.type, "Notification");
  EXPECT_EQ(record.topic_arn, "arn:aws:sns:us-east-1:123456789012:sns-lambda");
  EXPECT_EQ(record.message_id, "95df01b4-ee98-5cb9-9903-4c221d41eb5e");
  EXPECT_EQ(record.timestamp, "2019-01-02T12:45:07.000Z");
  EXPECT_NE(record.message_attributes_json.find("TestString"), std::string::npos);
}

TEST(SnsEvent, RejectsSqsEvents) {
  OwnedEvent sqs(ReadFixture("sqs.json"));
  EXPECT_EQ(ParseSnsEvent(sqs.event()).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lmc::events
