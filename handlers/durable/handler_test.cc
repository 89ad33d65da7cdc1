#include "handlers/durable/handler.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handlers/durable/testing/durable_fixture.h"
#include "lmc/testing/handler_harness.h"

namespace lmc::durable {
namespace {

using testing::DurableFixture;
using ::testing::HasSubstr;

using HandlerTest = DurableFixture;

struct Input {
  int64_t n = 0;
};
void DescribeJson(JsonFields& fields, Input& in) { fields.Required("n", in.n); }

TEST_F(HandlerTest, TypedInputAndResultGoThroughTheJsonCodec) {
  lmc::Handler handler = Handle([](DurableContext& ctx, const Input& in) {
    return ctx.Step("double", [&] { return in.n * 2; });
  });
  Start(R"({"n":21})");
  EXPECT_EQ(Succeeds(handler).result, "42");
}

TEST_F(HandlerTest, InputTheWorkflowCannotReadFailsTheExecution) {
  lmc::Handler handler = Handle([](DurableContext&, const Input& in) { return in.n; });
  Start(R"({"n":"twenty"})");
  InvocationOutput out = Fails(handler);
  EXPECT_EQ(out.error->type, "Durable.InvalidInput");
  EXPECT_THAT(*out.error->message, HasSubstr("field \"n\""));
}

TEST_F(HandlerTest, NonDurableEventIsAnInvocationErrorNamingTheProblem) {
  lmc::Handler handler = Handle([](DurableContext&) { return 1; });
  for (const char* event : {R"({"hello":"world"})", "not json", "[]",
                            R"({"DurableExecutionArn":"a","CheckpointToken":"t",
                                "InitialExecutionState":{"Operations":[{"Id":"x"}]}})"}) {
    lmc::testing::Invocation invocation;
    invocation.event = event;
    lmc::testing::Outcome outcome = lmc::testing::Invoke(handler, invocation);
    ASSERT_FALSE(outcome.result.ok()) << event;
    EXPECT_EQ(outcome.result.error().type(), "Durable.InvalidEvent") << event;
  }
}

TEST_F(HandlerTest, MalformedOperationLogIsAnInvocationError) {
  lmc::Handler handler = Handle([](DurableContext&) { return 1; });
  InvocationInput no_execution{"arn", "t", {}, ""};
  Operation step;
  step.id = "s";
  step.type = OperationType::kStep;
  no_execution.operations = {step};
  InvocationInput duplicate{"arn", "t", {}, ""};
  Operation execution;
  execution.id = "e";
  execution.type = OperationType::kExecution;
  duplicate.operations = {execution, step, step};
  for (const InvocationInput& input : {no_execution, duplicate}) {
    lmc::testing::Invocation invocation;
    invocation.event = InvocationInputJson(input);
    lmc::testing::Outcome outcome = lmc::testing::Invoke(handler, invocation);
    ASSERT_FALSE(outcome.result.ok());
    EXPECT_EQ(outcome.result.error().type(), "Durable.InvalidEvent");
    EXPECT_THAT(outcome.result.error().message(), HasSubstr("malformed operation log"));
  }
}

TEST_F(HandlerTest, LogIsPagedThroughNextMarkerBeforeTheWorkflowRuns) {
  std::atomic<int> runs = 0;
  lmc::Handler handler = Handle([&](DurableContext& ctx) {
    int sum = 0;
    for (int i = 0; i < 7; ++i) sum += ctx.Step("s" + std::to_string(i), [&] { return ++runs; });
    ctx.Wait("pause", std::chrono::seconds(1));
    return sum;
  });
  Start();
  Pends(handler);
  service_->SetPageSize(3);  // 9 operations: the event carries 3, two state pages the rest
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Succeeds(handler).result, "28");
  EXPECT_EQ(runs, 7);
  EXPECT_EQ(service_->state_calls(), 2);
}

TEST_F(HandlerTest, RejectedTokenFailsTheInvocationSoLambdaRetriesIt) {
  std::atomic<int> runs = 0;
  lmc::Handler handler =
      Handle([&](DurableContext& ctx) { return ctx.Step("a", [&] { return ++runs; }); });
  Start();
  service_->FailNextCalls(1, absl::AbortedError("Invalid Checkpoint Token"));
  testing::InvokeOutcome outcome = Invoke(handler);
  ASSERT_TRUE(outcome.invocation_error.has_value());
  EXPECT_EQ(outcome.invocation_error->type(), "Durable.CheckpointFailed");
  EXPECT_THAT(outcome.invocation_error->message(), HasSubstr("Invalid Checkpoint Token"));
  // The retried invocation gets a fresh token; nothing was lost (at-least-once runs again).
  EXPECT_EQ(Succeeds(handler).result, "2");
}

TEST_F(HandlerTest, UnreachableServiceIsRetriedInProcessThenFailsTheInvocation) {
  lmc::Handler handler =
      Handle([](DurableContext& ctx) { return ctx.Step("a", [] { return 1; }); });
  Start();
  service_->FailNextCalls(2, absl::UnavailableError("connection refused"));
  EXPECT_EQ(Succeeds(handler).result, "1");  // two failures, third attempt lands
  Start();
  service_->FailNextCalls(100, absl::UnavailableError("connection refused"));
  testing::InvokeOutcome outcome = Invoke(handler);
  ASSERT_TRUE(outcome.invocation_error.has_value());
  EXPECT_EQ(outcome.invocation_error->type(), "Durable.CheckpointFailed");
  EXPECT_THAT(outcome.invocation_error->message(), HasSubstr("connection refused"));
}

TEST_F(HandlerTest, ServiceRefusalFailsTheExecution) {
  lmc::Handler handler =
      Handle([](DurableContext& ctx) { return ctx.Step("a", [] { return 1; }); });
  Start();
  service_->FailNextCalls(1, absl::InvalidArgumentError("ValidationException: payload too large"));
  InvocationOutput out = Fails(handler);
  EXPECT_EQ(out.error->type, "Durable.CheckpointFailed");
  EXPECT_THAT(*out.error->message, HasSubstr("payload too large"));
}

TEST_F(HandlerTest, OversizedResultIsCheckpointedOnTheExecutionOperationFirst) {
  lmc::Handler handler = Handle([](DurableContext&) { return std::string(7 * 1024 * 1024, 'r'); });
  Start();
  InvocationOutput out = Succeeds(handler);
  EXPECT_EQ(out.result, "");
  std::vector<OperationUpdate> updates = Updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].type, OperationType::kExecution);
  EXPECT_EQ(updates[0].action, OperationAction::kSucceed);
  EXPECT_THAT(updates[0].id, ::testing::StartsWith("execution-result-"));
  EXPECT_EQ(updates[0].payload->size(), 7u * 1024 * 1024 + 2);
}

TEST_F(HandlerTest, OversizedErrorIsCheckpointedOnTheExecutionOperationFirst) {
  lmc::Handler handler = Handle([](DurableContext&) -> int {
    throw Failure("Big.Error", std::string(7 * 1024 * 1024, 'e'));
  });
  Start();
  InvocationOutput out = Fails(handler);
  EXPECT_FALSE(out.error.has_value());
  ASSERT_EQ(Updates().size(), 1u);
  EXPECT_EQ(Updates()[0].action, OperationAction::kFail);
  EXPECT_EQ(Updates()[0].error->type, "Big.Error");
}

TEST_F(HandlerTest, ManyExecutionsRunConcurrentlyThroughOneHandler) {
  lmc::Handler handler = Handle([](DurableContext& ctx, const Input& in) {
    int64_t total = 0;
    for (int i = 0; i < 5; ++i) total += ctx.Step("s" + std::to_string(i), [&] { return in.n; });
    ctx.Wait("pause", std::chrono::seconds(1));
    return total;
  });
  constexpr int kExecutions = 8;
  for (int e = 0; e < kExecutions; ++e) {
    service_->StartExecution("arn:" + std::to_string(e), R"({"n":)" + std::to_string(e) + "}");
  }
  auto run_all = [&](InvocationStatus expected) {
    std::vector<std::thread> threads;
    for (int e = 0; e < kExecutions; ++e) {
      threads.emplace_back([&, e] {
        testing::InvokeOutcome outcome = service_->Invoke(handler, "arn:" + std::to_string(e));
        ASSERT_TRUE(outcome.output.has_value());
        EXPECT_EQ(outcome.output->status, expected);
        if (expected == InvocationStatus::kSucceeded) {
          EXPECT_EQ(outcome.output->result, std::to_string(5 * e));
        }
      });
    }
    for (std::thread& t : threads) t.join();
  };
  run_all(InvocationStatus::kPending);
  clock_.Advance(std::chrono::seconds(1));
  run_all(InvocationStatus::kSucceeded);
  EXPECT_EQ(service_->overlapping_calls(), 0);
  EXPECT_EQ(service_->rejected_tokens(), 0);
}

TEST_F(HandlerTest, MissingCheckpointServiceIsAConfigurationError) {
  if (std::getenv("AWS_REGION") != nullptr) GTEST_SKIP() << "AWS_REGION is set here";
  lmc::Handler handler = Handler([](DurableContext&) { return 1; });
  lmc::testing::Invocation invocation;
  invocation.event = InvocationInputJson({"arn", "t", {}, ""});
  // No service configured and none in the environment: a clear error, not a crash.
  lmc::testing::Outcome outcome = lmc::testing::Invoke(handler, invocation);
  ASSERT_FALSE(outcome.result.ok());
  EXPECT_EQ(outcome.result.error().type(), "Durable.Configuration");
}

}  // namespace
}  // namespace lmc::durable
