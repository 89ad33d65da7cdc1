#include "handlers/batch/event_batches.h"

#include <atomic>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handlers/batch/batch_fixtures.h"
#include "handlers/events/event_fixture.h"
#include "lmc/testing/handler_harness.h"

namespace lmc::batch {
namespace {

using ::lmc::batch::testing::DynamoDbBatchJson;
using ::lmc::batch::testing::KinesisBatchJson;
using ::lmc::batch::testing::SqsBatchJson;
using ::lmc::testing::Invocation;
using ::lmc::testing::Invoke;
using ::lmc::testing::Outcome;
using ::testing::HasSubstr;

Outcome Consume(const Handler& handler, std::string event) {
  Invocation invocation;
  invocation.event = std::move(event);
  return Invoke(handler, invocation);
}

// Fails messages whose body contains "fail"; counts the calls.
SqsRecordFunction FailingOnWord(std::atomic<int>& calls) {
  return [&calls](const events::SqsMessage& message, const Context&) {
    ++calls;
    return message.body.find("fail") != std::string_view::npos
               ? absl::InvalidArgumentError("asked to fail")
               : absl::OkStatus();
  };
}

TEST(SqsBatchHandler, ReportsExactlyTheFailedMessagesOfTheFixtureBatch) {
  std::atomic<int> calls = 0;
  const Outcome outcome =
      Consume(SqsBatchHandler(FailingOnWord(calls)), events::ReadFixture("sqs.json"));
  ASSERT_TRUE(outcome.result.ok()) << outcome.result.error().message();
  EXPECT_EQ(outcome.body,
            R"({"batchItemFailures":[{"itemIdentifier":"2e1424d4-f796-459a-8184-9c92662be6da"}]})");
  EXPECT_EQ(calls.load(), 2);
  EXPECT_THAT(outcome.logs, HasSubstr("2e1424d4-f796-459a-8184-9c92662be6da failed"));
}

TEST(SqsBatchHandler, StandardQueueProcessesEveryMessageEvenInParallel) {
  std::vector<std::string> bodies;
  bodies.reserve(20);
  for (int i = 0; i < 20; ++i) bodies.push_back(i % 3 == 0 ? "fail" : "ok");
  for (int parallelism : {1, 4}) {
    std::atomic<int> calls = 0;
    const Outcome outcome =
        Consume(SqsBatchHandler(FailingOnWord(calls), {.max_parallelism = parallelism}),
                SqsBatchJson(bodies, /*fifo=*/false));
    EXPECT_EQ(outcome.body,
              R"({"batchItemFailures":[{"itemIdentifier":"msg-0"},{"itemIdentifier":"msg-3"},)"
              R"({"itemIdentifier":"msg-6"},{"itemIdentifier":"msg-9"},)"
              R"({"itemIdentifier":"msg-12"},{"itemIdentifier":"msg-15"},)"
              R"({"itemIdentifier":"msg-18"}]})");
    EXPECT_EQ(calls.load(), 20);
  }
}

TEST(SqsBatchHandler, FifoQueueStopsAtTheFirstFailureAndReportsItAndEveryLaterMessage) {
  std::atomic<int> calls = 0;
  const Outcome outcome = Consume(SqsBatchHandler(FailingOnWord(calls), {.max_parallelism = 4}),
                                  SqsBatchJson({"ok", "ok", "fail", "ok", "fail"}, /*fifo=*/true));
  EXPECT_EQ(outcome.body,
            R"({"batchItemFailures":[{"itemIdentifier":"msg-2"},{"itemIdentifier":"msg-3"},)"
            R"({"itemIdentifier":"msg-4"}]})");
  EXPECT_EQ(calls.load(), 3);
}

TEST(SqsBatchHandler, AllSucceededIsAnEmptyFailureList) {
  std::atomic<int> calls = 0;
  const Outcome fifo =
      Consume(SqsBatchHandler(FailingOnWord(calls)), events::ReadFixture("sqs_fifo.json"));
  EXPECT_EQ(fifo.body, R"({"batchItemFailures":[]})");
}

TEST(SqsBatchHandler, AThrowingFunctionFailsOnlyThatMessage) {
  const Outcome outcome = Consume(
      SqsBatchHandler([](const events::SqsMessage& message, const Context&) -> absl::Status {
        if (message.message_id == "msg-1") throw std::runtime_error("parser exploded");
        return absl::OkStatus();
      }),
      SqsBatchJson({"a", "b", "c"}, /*fifo=*/false));
  EXPECT_EQ(outcome.body, R"({"batchItemFailures":[{"itemIdentifier":"msg-1"}]})");
  EXPECT_THAT(outcome.logs, HasSubstr("parser exploded"));
}

TEST(SqsBatchHandler, AnEventOfAnotherShapeFailsTheWholeInvocation) {
  std::atomic<int> calls = 0;
  const Outcome outcome =
      Consume(SqsBatchHandler(FailingOnWord(calls)), events::ReadFixture("kinesis.json"));
  ASSERT_FALSE(outcome.result.ok());
  EXPECT_EQ(outcome.result.error().type(), "InvalidEvent");
  EXPECT_EQ(calls.load(), 0);
}

TEST(KinesisBatchHandler, ReportsTheFirstFailedSequenceNumberOnly) {
  for (int parallelism : {1, 3}) {
    std::atomic<int> calls = 0;
    const Outcome outcome =
        Consume(KinesisBatchHandler(
                    [&calls](const events::KinesisRecord& record, const Context&) -> absl::Status {
                      ++calls;
                      absl::StatusOr<std::string> data = record.DecodedData();
                      if (!data.ok()) return data.status();
                      return *data == "bad" ? absl::DataLossError("bad payload") : absl::OkStatus();
                    },
                    {.max_parallelism = parallelism}),
                KinesisBatchJson({"a", "b", "bad", "c", "bad", "d"}));
    EXPECT_EQ(outcome.body, R"({"batchItemFailures":[{"itemIdentifier":"seq-2"}]})");
    if (parallelism == 1) {
      EXPECT_EQ(calls.load(), 3);  // nothing after the checkpoint was started
    }
  }
}

TEST(KinesisBatchHandler, FixtureBatchWithBinaryPayload) {
  const Outcome outcome =
      Consume(KinesisBatchHandler([](const events::KinesisRecord& record, const Context&) {
                return record.DecodedData().value() == std::string("\x00\x01\x02\xff", 4)
                           ? absl::InvalidArgumentError("binary")
                           : absl::OkStatus();
              }),
              events::ReadFixture("kinesis.json"));
  EXPECT_EQ(outcome.body, R"({"batchItemFailures":[{"itemIdentifier":)"
                          R"("49590338271490256608559692540925702759324208523137515618"}]})");
}

TEST(DynamoDbBatchHandler, ReportsTheFirstFailedSequenceNumberOfTheFixtureBatch) {
  std::vector<std::string> seen;
  const Outcome outcome =
      Consume(DynamoDbBatchHandler([&seen](const events::DynamoDbRecord& record, const Context&) {
                seen.emplace_back(record.event_name);
                return record.event_name == "MODIFY" ? absl::UnavailableError("table busy")
                                                     : absl::OkStatus();
              }),
              events::ReadFixture("dynamodb.json"));
  EXPECT_EQ(outcome.body, R"({"batchItemFailures":[{"itemIdentifier":"222"}]})");
  EXPECT_THAT(seen, ::testing::ElementsAre("INSERT", "MODIFY"));
}

TEST(DynamoDbBatchHandler, ParallelBatchReportsTheEarliestFailure) {
  const Outcome outcome =
      Consume(DynamoDbBatchHandler(
                  [](const events::DynamoDbRecord& record, const Context&) {
                    return record.sequence_number == "seq-11" || record.sequence_number == "seq-25"
                               ? absl::UnavailableError("busy")
                               : absl::OkStatus();
                  },
                  {.max_parallelism = 4}),
              DynamoDbBatchJson(40));
  EXPECT_EQ(outcome.body, R"({"batchItemFailures":[{"itemIdentifier":"seq-11"}]})");
}

}  // namespace
}  // namespace lmc::batch
