#include "handlers/events/s3_event.h"

#include "gtest/gtest.h"
#include "handlers/events/event_fixture.h"

namespace lmc::events {
namespace {

TEST(S3Event, ParsesTheObjectAndDecodesItsKey) {
  OwnedEvent owned(ReadFixture("s3.json"));
  absl::StatusOr<S3Event> s3 = ParseS3Event(owned.event());
  ASSERT_TRUE(s3.ok()) << s3.status();
  ASSERT_EQ(s3->records.size(), 1u);
  const S3Record& record = s3->records[0];
  EXPECT_EQ(record.event_name, "ObjectCreated:Put");
  EXPECT_EQ(record.bucket_name, "lambda-artifacts-deafc19498e3f2df");
  EXPECT_EQ(record.bucket_arn, "arn:aws:s3:::lambda-artifacts-deafc19498e3f2df");
  EXPECT_EQ(record.object_key, "photos/my+holiday%281%29.jpg");
  EXPECT_EQ(record.object_size, 1305107);
  EXPECT_EQ(record.principal_id, "AWS:AIDAINPONIXQXHT3IKHL2");
  EXPECT_EQ(record.source_ip_address, "205.255.255.255");
  absl::StatusOr<std::string> key = record.DecodedKey();
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, "photos/my holiday(1).jpg");
}

TEST(S3Event, RejectsRecordsWithoutABucket) {
  OwnedEvent owned(R"({"Records":[{"eventSource":"aws:s3","s3":{"object":{"key":"k"}}}]})");
  absl::Status status = ParseS3Event(owned.event()).status();
  EXPECT_NE(status.message().find("s3.bucket.name"), std::string::npos) << status;
}

}  // namespace
}  // namespace lmc::events
