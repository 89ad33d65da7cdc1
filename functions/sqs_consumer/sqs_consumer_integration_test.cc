// example-sqs-consumer end to end: the real executable against the Runtime API emulator at
// concurrency 8 (tests/support/bootstrap_fixture.h; CMake points LMC_TEST_BOOTSTRAP at the
// example). Every batch's answer must list exactly its failed messages under the FIFO rule.
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "handlers/batch/batch_fixtures.h"
#include "tests/support/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

using ::lmc::batch::testing::SqsBatchJson;
using ::lmc::batch::testing::SqsMessageId;

struct Batch {
  std::string event;
  std::string expected_answer;
};

// Batch `index`: 10 messages; message j fails when (index + 3 * j) % 7 == 0; odd batches come
// from a FIFO queue. The expected answer follows the contract (every failure, or the first and
// everything after it).
Batch MakeBatch(int index) {
  const bool fifo = index % 2 == 1;
  std::vector<std::string> bodies;
  std::vector<int> failing;
  for (int j = 0; j < 10; ++j) {
    const bool fail = (index + 3 * j) % 7 == 0;
    bodies.push_back(fail ? R"({"fail":true,"n":)" + std::to_string(j) + "}"
                          : R"({"fail":false,"n":)" + std::to_string(j) + "}");
    if (fail) failing.push_back(j);
  }
  std::vector<int> reported = failing;
  if (fifo && !failing.empty()) {
    reported.clear();
    for (int j = failing.front(); j < 10; ++j) reported.push_back(j);
  }
  std::string answer = R"({"batchItemFailures":[)";
  for (size_t k = 0; k < reported.size(); ++k) {
    if (k > 0) answer += ",";
    answer += R"({"itemIdentifier":")" + SqsMessageId(reported[k]) + R"("})";
  }
  answer += "]}";
  return {SqsBatchJson(bodies, fifo), answer};
}

TEST_F(BootstrapTest, SqsConsumerAnswersEveryBatchWithExactlyItsFailuresAtConcurrencyEight) {
  constexpr int kBatches = 48;
  StartEmulator();
  std::map<std::string, std::string> expected;  // request id -> answer
  for (int i = 0; i < kBatches; ++i) {
    Batch batch = MakeBatch(i);
    emulator::EventSpec event;
    event.request_id = RequestIdFor("sqs", i);
    event.body = std::move(batch.event);
    expected[event.request_id] = std::move(batch.expected_answer);
    emulator().Enqueue(std::move(event));
  }
  StartBootstrap("sqs-consumer", {"AWS_LAMBDA_MAX_CONCURRENCY=8"});
  ASSERT_TRUE(emulator().WaitForClosed(kBatches, kWait));
  const emulator::Stats stats = emulator().stats();
  EXPECT_EQ(stats.responses, uint64_t{kBatches});
  EXPECT_LE(stats.max_outstanding, 8u);
  for (const emulator::InvocationRecord& record : emulator().records()) {
    ASSERT_EQ(record.answers.size(), 1u) << record.request_id;
    EXPECT_EQ(record.answers[0].body, expected[record.request_id]) << record.request_id;
  }
  EXPECT_EQ(Terminate().code, 0);
  // Every failure was logged as a JSON line of its invocation.
  size_t warnings = 0;
  for (const LogLine& line : JsonLogLines()) {
    if (line.level == "WARN" && line.message.find("SQS record msg-") == 0) ++warnings;
  }
  EXPECT_GT(warnings, 0u);
}

TEST_F(BootstrapTest, SqsConsumerReportsAnEventOfAnotherShapeAsInvalidEvent) {
  StartEmulator();
  emulator::EventSpec event;
  event.request_id = RequestIdFor("bad", 0);
  event.body = R"({"detail-type":"Scheduled Event"})";
  emulator().Enqueue(std::move(event));
  StartBootstrap("sqs-consumer", {"AWS_LAMBDA_MAX_CONCURRENCY=8"});
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  const std::vector<emulator::InvocationRecord> records = emulator().records();
  ASSERT_EQ(records.size(), 1u);
  ASSERT_EQ(records[0].answers.size(), 1u);
  EXPECT_NE(records[0].answers[0].body.find(R"("errorType":"InvalidEvent")"), std::string::npos)
      << records[0].answers[0].body;
  EXPECT_EQ(Terminate().code, 0);
}

}  // namespace
}  // namespace lmc::integration
