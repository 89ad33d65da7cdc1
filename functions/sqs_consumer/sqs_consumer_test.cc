#include "functions/sqs_consumer/sqs_consumer.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "handlers/batch/batch_fixtures.h"
#include "lmc/testing/handler_harness.h"

namespace lmc::examples {
namespace {

using ::lmc::batch::testing::SqsBatchJson;
using ::lmc::testing::Invocation;
using ::lmc::testing::Invoke;
using ::lmc::testing::Outcome;

Outcome Consume(std::string event) {
  Invocation invocation;
  invocation.event = std::move(event);
  return Invoke(SqsConsumer(), invocation);
}

const std::vector<std::string> kBodies = {
    R"({"fail":true})",             // 0 fails
    R"({"fail":false})",            // 1
    R"({"fail":"true"})",           // 2: not the boolean
    "not json at all",              // 3
    R"([{"fail":true}])",           // 4: an array, not an object
    R"({"nested":{"fail":true}})",  // 5: not at the top level
    R"({"id":7, "fail" : true})",   // 6 fails
    "",                             // 7
    R"({"fail":1})",                // 8: a number, not the boolean
};

TEST(SqsConsumer, StandardQueueReportsExactlyTheMessagesThatAskToFail) {
  const Outcome outcome = Consume(SqsBatchJson(kBodies, /*fifo=*/false));
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.body,
            R"({"batchItemFailures":[{"itemIdentifier":"msg-0"},{"itemIdentifier":"msg-6"}]})");
}

TEST(SqsConsumer, FifoQueueReportsTheFirstFailureAndEveryLaterMessage) {
  const Outcome outcome =
      Consume(SqsBatchJson({R"({"a":1})", "x", R"({"fail":true})", "y", "z"}, /*fifo=*/true));
  EXPECT_EQ(outcome.body,
            R"({"batchItemFailures":[{"itemIdentifier":"msg-2"},{"itemIdentifier":"msg-3"},)"
            R"({"itemIdentifier":"msg-4"}]})");
}

TEST(SqsConsumer, BatchWithoutFailuresAnswersAnEmptyList) {
  EXPECT_EQ(Consume(SqsBatchJson({"a", R"({"fail":false})"}, /*fifo=*/true)).body,
            R"({"batchItemFailures":[]})");
  EXPECT_EQ(Consume(SqsBatchJson({}, /*fifo=*/false)).body, R"({"batchItemFailures":[]})");
}

TEST(SqsConsumer, AnEventThatIsNotAnSqsBatchIsAnInvalidEvent) {
  const Outcome outcome = Consume(R"({"Records":[{"eventSource":"aws:kinesis"}]})");
  ASSERT_FALSE(outcome.result.ok());
  EXPECT_EQ(outcome.result.error().type(), "InvalidEvent");
}

}  // namespace
}  // namespace lmc::examples
