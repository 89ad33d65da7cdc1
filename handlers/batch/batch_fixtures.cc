#include "handlers/batch/batch_fixtures.h"

#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "lmc/json.h"

namespace lmc::batch::testing {

std::string SqsMessageId(int index) { return absl::StrCat("msg-", index); }
std::string SequenceNumber(int index) { return absl::StrCat("seq-", index); }

std::string SqsBatchJson(const std::vector<std::string>& bodies, bool fifo) {
  const std::string arn = fifo ? "arn:aws:sqs:us-east-2:123456789012:orders.fifo"
                               : "arn:aws:sqs:us-east-2:123456789012:orders";
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("Records").BeginArray();
  for (size_t i = 0; i < bodies.size(); ++i) {
    w.BeginObject();
    w.Key("messageId").String(SqsMessageId(static_cast<int>(i)));
    w.Key("receiptHandle").String(absl::StrCat("AQEB-receipt-", i));
    w.Key("body").String(bodies[i]);
    w.Key("attributes").BeginObject();
    w.Key("ApproximateReceiveCount").String("1");
    w.Key("SentTimestamp").String("1545082649183");
    if (fifo) {
      w.Key("SequenceNumber").String(absl::StrCat(uint64_t{18849496460467696} + i));
      w.Key("MessageGroupId").String("g");
      w.Key("MessageDeduplicationId").String(absl::StrCat("dedup-", i));
    }
    w.EndObject();
    w.Key("messageAttributes").BeginObject().EndObject();
    w.Key("md5OfBody").String("e4e68fb7bd0e697a0ae8f1bb342846b3");
    w.Key("eventSource").String("aws:sqs");
    w.Key("eventSourceARN").String(arn);
    w.Key("awsRegion").String("us-east-2");
    w.EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

std::string KinesisBatchJson(const std::vector<std::string>& payloads) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("Records").BeginArray();
  for (size_t i = 0; i < payloads.size(); ++i) {
    const std::string sequence = SequenceNumber(static_cast<int>(i));
    w.BeginObject();
    w.Key("kinesis").BeginObject();
    w.Key("kinesisSchemaVersion").String("1.0");
    w.Key("partitionKey").String("1");
    w.Key("sequenceNumber").String(sequence);
    w.Key("data").String(absl::Base64Escape(payloads[i]));
    w.Key("approximateArrivalTimestamp").Raw("1545084650.987");
    w.EndObject();
    w.Key("eventSource").String("aws:kinesis");
    w.Key("eventVersion").String("1.0");
    w.Key("eventID").String(absl::StrCat("shardId-000000000006:", sequence));
    w.Key("eventName").String("aws:kinesis:record");
    w.Key("invokeIdentityArn").String("arn:aws:iam::123456789012:role/lambda-role");
    w.Key("awsRegion").String("us-east-2");
    w.Key("eventSourceARN").String("arn:aws:kinesis:us-east-2:123456789012:stream/orders");
    w.EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

std::string DynamoDbBatchJson(int count) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("Records").BeginArray();
  for (int i = 0; i < count; ++i) {
    w.BeginObject();
    w.Key("eventID").String(absl::StrCat("event-", i));
    w.Key("eventName").String("INSERT");
    w.Key("eventVersion").String("1.1");
    w.Key("eventSource").String("aws:dynamodb");
    w.Key("awsRegion").String("us-east-2");
    w.Key("dynamodb").BeginObject();
    w.Key("Keys").Raw(absl::StrCat(R"({"Id":{"N":")", i, R"("}})"));
    w.Key("NewImage").Raw(absl::StrCat(R"({"Id":{"N":")", i, R"("}})"));
    w.Key("SequenceNumber").String(SequenceNumber(i));
    w.Key("SizeBytes").Int(26);
    w.Key("StreamViewType").String("NEW_AND_OLD_IMAGES");
    w.EndObject();
    w.Key("eventSourceARN")
        .String(
            "arn:aws:dynamodb:us-east-2:123456789012:table/orders/stream/2026-01-01T00:00:00.000");
    w.EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

}  // namespace lmc::batch::testing
