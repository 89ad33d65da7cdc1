#include "handlers/events/eventbridge_event.h"

#include "gtest/gtest.h"
#include "handlers/events/event_fixture.h"

namespace lmc::events {
namespace {

TEST(EventBridgeEvent, ParsesTheEnvelopeAndKeepsDetailRaw) {
  OwnedEvent owned(ReadFixture("eventbridge.json"));
  absl::StatusOr<EventBridgeEvent> e = ParseEventBridgeEvent(owned.event());
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->detail_type, "EC2 Instance State-change Notification");
  EXPECT_EQ(e->source, "aws.ec2");
  EXPECT_EQ(e->account, "111122223333");
  EXPECT_EQ(e->region, "us-west-1");
  ASSERT_EQ(e->resources.size(), 1u);
  EXPECT_EQ(e->detail_json, R"({"instance-id": "i-1234567890abcdef0", "state": "terminated"})");
  EXPECT_FALSE(e->IsScheduled());
  EXPECT_EQ(ParseScheduledEvent(owned.event()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EventBridgeEvent, ScheduledEventsAreRecognised) {
  OwnedEvent owned(ReadFixture("scheduled.json"));
  absl::StatusOr<EventBridgeEvent> tick = ParseScheduledEvent(owned.event());
  ASSERT_TRUE(tick.ok()) << tick.status();
  EXPECT_TRUE(tick->IsScheduled());
  EXPECT_EQ(tick->time, "2019-03-01T01:23:45Z");
  EXPECT_EQ(tick->detail_json, "{}");
  ASSERT_EQ(tick->resources.size(), 1u);
  EXPECT_EQ(tick->resources[0], "arn:aws:events:us-east-2:123456789012:rule/my-schedule");
}

TEST(EventBridgeEvent, RejectsRecordBatches) {
  OwnedEvent sqs(ReadFixture("sqs.json"));
  absl::Status status = ParseEventBridgeEvent(sqs.event()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("EventBridge event: no"), std::string::npos) << status;
}

}  // namespace
}  // namespace lmc::events
