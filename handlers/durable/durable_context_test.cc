#include "handlers/durable/durable_context.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handlers/durable/internal/operation_ids.h"
#include "handlers/durable/testing/durable_fixture.h"

namespace lmc::durable {
namespace {

using testing::DurableFixture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using ReplayTest = DurableFixture;

TEST_F(ReplayTest, CompletedStepReturnsTheLoggedResultWithoutRunningItsBody) {
  std::atomic<int> runs = 0;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    std::string greeting = ctx.Step("greet", [&] {
      ++runs;
      return std::string("hello");
    });
    ctx.Wait("pause", std::chrono::seconds(5));
    return greeting + "!";
  });
  Start();
  Pends(handler);
  clock_.Advance(std::chrono::seconds(5));
  EXPECT_EQ(Succeeds(handler).result, "\"hello!\"");
  EXPECT_EQ(runs, 1);
}

TEST_F(ReplayTest, FailedStepRethrowsTheLoggedErrorWithoutRunningItsBody) {
  std::atomic<int> runs = 0;
  std::vector<std::string> caught;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    try {
      ctx.Step("charge",
               [&]() -> int {
                 ++runs;
                 throw Failure("Shop.Declined", "card declined", "{\"code\":51}");
               },
               {.retry = NoRetry()});
    } catch (const StepError& e) {
      caught.push_back(*e.error().type + "/" + e.what() + "/" + e.error().data.value_or(""));
    }
    ctx.Wait("pause", std::chrono::seconds(1));
    return 0;
  });
  Start();
  Pends(handler);
  clock_.Advance(std::chrono::seconds(1));
  Succeeds(handler);
  EXPECT_EQ(runs, 1);
  EXPECT_THAT(caught, ElementsAre("Shop.Declined/card declined/{\"code\":51}",
                                  "Shop.Declined/card declined/{\"code\":51}"));
}

TEST_F(ReplayTest, FailedAttemptIsRetriedDurablyAndTheNextAttemptSucceeds) {
  std::atomic<int> attempts = 0;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    return ctx.Step("flaky",
                    [&](StepContext& step) {
                      ++attempts;
                      if (step.attempt() < 3) throw std::runtime_error("try again");
                      return step.attempt();
                    },
                    {.retry = Backoff({.max_attempts = 5,
                                       .initial_delay = std::chrono::seconds(2),
                                       .jitter = Jitter::kNone})});
  });
  Start();
  Pends(handler);  // attempt 1 failed: RETRY in 2 s
  Pends(handler);  // not due yet: PENDING suspends again without running the body
  EXPECT_EQ(attempts, 1);
  clock_.Advance(std::chrono::seconds(2));
  Pends(handler);  // attempt 2 failed: RETRY in 4 s
  clock_.Advance(std::chrono::seconds(4));
  EXPECT_EQ(Succeeds(handler).result, "3");
  EXPECT_EQ(attempts, 3);
  std::vector<OperationUpdate> updates = Updates();
  ASSERT_GE(updates.size(), 2u);
  EXPECT_EQ(updates[1].action, OperationAction::kRetry);
  EXPECT_EQ(updates[1].next_attempt_delay_seconds, 2);
  EXPECT_EQ(updates[1].error->type, "std::runtime_error");
  EXPECT_EQ(updates[1].error->message, "try again");
}

TEST_F(ReplayTest, ExhaustedRetriesFailTheExecutionWithTheStepsErrorType) {
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) -> int {
    return ctx.Step("always",
                    [&]() -> int { throw Failure("Workflow.StepFailed", "step 0 failed"); },
                    {.retry = Backoff({.max_attempts = 2, .jitter = Jitter::kNone})});
  });
  Start();
  Pends(handler);
  clock_.Advance(std::chrono::seconds(5));
  InvocationOutput out = Fails(handler);
  ASSERT_TRUE(out.error.has_value());
  EXPECT_EQ(out.error->type, "Workflow.StepFailed");
  EXPECT_EQ(out.error->message, "step 0 failed");
  EXPECT_EQ(Updates().back().action, OperationAction::kFail);
}

// The log an invocation leaves when it dies inside step "b"'s body: "a" succeeded, "b" STARTED.
void StageInterruptedStep(testing::FakeCheckpointService& service, const std::string& arn) {
  Operation a;
  a.id = internal::HashId("1");
  a.name = "a";
  a.type = OperationType::kStep;
  a.sub_type = "Step";
  a.status = OperationStatus::kSucceeded;
  a.result = "1";
  service.AppendOperation(arn, a);
  Operation b = a;
  b.id = internal::HashId("2");
  b.name = "b";
  b.status = OperationStatus::kStarted;
  b.result.reset();
  service.AppendOperation(arn, b);
}

TEST_F(ReplayTest, StartedThenInterruptedStepRunsAgainUnderAtLeastOnce) {
  std::atomic<int> a_runs = 0;
  std::atomic<int> b_runs = 0;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    const int a = ctx.Step("a", [&] { return ++a_runs; });
    return a + ctx.Step("b", [&] { return ++b_runs * 10; });
  });
  Start();
  StageInterruptedStep(*service_, arn_);
  EXPECT_EQ(Succeeds(handler).result, "11");
  EXPECT_EQ(a_runs, 0);
  EXPECT_EQ(b_runs, 1);
  // No second START for the step already STARTED: only its SUCCEED went out.
  std::vector<OperationUpdate> updates = Updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].action, OperationAction::kSucceed);
  EXPECT_EQ(updates[0].id, internal::HashId("2"));
}

TEST_F(ReplayTest, StartedThenInterruptedStepCountsAsAFailedAttemptUnderAtMostOnce) {
  std::atomic<int> b_runs = 0;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    ctx.Step("a", [] { return 1; });
    return ctx.Step("b", [&] { return ++b_runs; },
                    {.retry = Backoff({.max_attempts = 3, .jitter = Jitter::kNone}),
                     .semantics = StepSemantics::kAtMostOncePerRetry});
  });
  Start();
  StageInterruptedStep(*service_, arn_);
  Pends(handler);  // the interrupted attempt is retried, not re-run in place
  EXPECT_EQ(b_runs, 0);
  std::vector<OperationUpdate> updates = Updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].action, OperationAction::kRetry);
  EXPECT_EQ(updates[0].error->type, "Durable.StepInterrupted");
  clock_.Advance(std::chrono::seconds(5));
  EXPECT_EQ(Succeeds(handler).result, "1");
  // At-most-once: the START of the new attempt was committed before its body ran.
  updates = Updates();
  ASSERT_EQ(updates.size(), 3u);
  EXPECT_EQ(updates[1].action, OperationAction::kStart);
  EXPECT_EQ(updates[2].action, OperationAction::kSucceed);
  EXPECT_LT(service_->Batches(arn_).size(), 4u);
}

TEST_F(ReplayTest, InterruptedAtMostOnceStepWithoutRetriesFailsWithStepInterrupted) {
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    ctx.Step("a", [] { return 1; });
    return ctx.Step("b", [] { return 2; },
                    {.retry = NoRetry(), .semantics = StepSemantics::kAtMostOncePerRetry});
  });
  Start();
  StageInterruptedStep(*service_, arn_);
  EXPECT_EQ(Fails(handler).error->type, "Durable.StepInterrupted");
}

TEST_F(ReplayTest, OperationIdsAndParentIdsMatchTheJavaScriptSdk) {
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    ctx.Step("one", [] { return 1; });
    ctx.RunInChildContext("child", [](DurableContext& child) {
      child.Step("inner", [] { return 2; });
      child.RunInChildContext("grandchild",
                              [](DurableContext& g) { return g.Step("", [] { return 3; }); });
      return 0;
    });
    return ctx.Step("three", [] { return 4; });
  });
  Start();
  Succeeds(handler);
  std::vector<std::pair<std::string, std::string>> ids;
  for (const Operation& op : service_->Operations(arn_)) {
    if (op.type != OperationType::kExecution) ids.emplace_back(op.id, op.parent_id.value_or("-"));
  }
  EXPECT_THAT(
      ids,
      ElementsAre(
          std::pair<std::string, std::string>{"c4ca4238a0b92382", "-"},
          std::pair<std::string, std::string>{"c81e728d9d4c2f63", "-"},
          std::pair<std::string, std::string>{"8fbdbf5573b18fae", "c81e728d9d4c2f63"},
          std::pair<std::string, std::string>{internal::HashId("2-2"), "c81e728d9d4c2f63"},
          std::pair<std::string, std::string>{internal::HashId("2-2-1"), internal::HashId("2-2")},
          std::pair<std::string, std::string>{"eccbc87e4b5ce2fe", "-"}));
}

TEST_F(ReplayTest, ChangedOperationNameFailsTheExecutionAsNonDeterministic) {
  std::atomic<bool> renamed = false;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    ctx.Step(renamed ? "charge-v2" : "charge", [] { return 1; });
    ctx.Wait("pause", std::chrono::seconds(1));
    return 0;
  });
  Start();
  Pends(handler);
  renamed = true;
  clock_.Advance(std::chrono::seconds(1));
  InvocationOutput out = Fails(handler);
  EXPECT_EQ(out.error->type, "Durable.NonDeterministicExecution");
  EXPECT_THAT(*out.error->message,
              HasSubstr("name \"charge\" but the code now runs \"charge-v2\""));
}

TEST_F(ReplayTest, ChangedOperationTypeFailsTheExecutionEvenWhenTheCodeCatchesEverything) {
  std::atomic<bool> changed = false;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    try {
      if (changed) {
        ctx.Wait("x", std::chrono::seconds(1));
      } else {
        ctx.Step("x", [] { return 1; });
      }
    } catch (...) {
      // A workflow that swallows everything still cannot run on after non-determinism.
    }
    ctx.Wait("pause", std::chrono::seconds(1));
    return 0;
  });
  Start();
  Pends(handler);
  changed = true;
  EXPECT_THAT(*Fails(handler).error->message, HasSubstr("type STEP but the code now runs WAIT"));
}

TEST_F(ReplayTest, ReplayAwareLoggerWritesEachLineOnce) {
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    ctx.logger().Info("before-step");
    ctx.Step("a", [] { return 1; });
    ctx.logger().Info("between");
    ctx.Wait("pause", std::chrono::seconds(1));
    ctx.logger().Info("after-wait");
    return 0;
  });
  Start();
  testing::InvokeOutcome first = Invoke(handler);
  clock_.Advance(std::chrono::seconds(1));
  testing::InvokeOutcome second = Invoke(handler);
  EXPECT_THAT(first.logs, HasSubstr("before-step"));
  EXPECT_THAT(first.logs, HasSubstr("between"));
  EXPECT_THAT(first.logs, ::testing::Not(HasSubstr("after-wait")));
  EXPECT_THAT(second.logs, ::testing::Not(HasSubstr("before-step")));
  EXPECT_THAT(second.logs, ::testing::Not(HasSubstr("between")));
  EXPECT_THAT(second.logs, HasSubstr("after-wait"));
}

TEST_F(ReplayTest, SuspensionSwallowedByTheWorkflowStillSuspends) {
  std::atomic<int> after = 0;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    try {
      ctx.Wait("pause", std::chrono::seconds(10));
    } catch (...) {
    }
    // Ops after a swallowed suspension unwind again; the return value is discarded.
    try {
      ctx.Step("later", [&] { return ++after; });
    } catch (...) {
    }
    return 7;
  });
  Start();
  Pends(handler);
  EXPECT_EQ(after, 0);
}

TEST_F(ReplayTest, StepBodiesMayReturnStatusOrAndNonOkFailsTheAttempt) {
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) -> int {
    const int ok = ctx.Step("ok", []() -> absl::StatusOr<int> { return 5; });
    ctx.Step("void-status", []() { return absl::OkStatus(); });
    return ok + ctx.Step("missing",
                         []() -> absl::StatusOr<int> { return absl::NotFoundError("no such row"); },
                         {.retry = NoRetry()});
  });
  Start();
  InvocationOutput out = Fails(handler);
  EXPECT_EQ(out.error->type, "NotFound");
  EXPECT_EQ(out.error->message, "no such row");
}

TEST_F(ReplayTest, DurableOperationsInsideAStepBodyAreRejected) {
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    return ctx.Step("outer", [&] { return ctx.Step("inner", [] { return 1; }); },
                    {.retry = NoRetry()});
  });
  Start();
  EXPECT_EQ(Fails(handler).error->type, "std::logic_error");
}

using WaitTest = DurableFixture;

TEST_F(WaitTest, WaitLogsItsDurationAndSuspendsUntilDue) {
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    ctx.Wait("pause", std::chrono::milliseconds(2500));  // rounds up to 3 s
    return 1;
  });
  Start();
  Pends(handler);
  ASSERT_EQ(Updates().size(), 1u);
  EXPECT_EQ(Updates()[0].wait_seconds, 3);
  EXPECT_EQ(Updates()[0].type, OperationType::kWait);
  clock_.Advance(std::chrono::seconds(2));
  Pends(handler);
  EXPECT_EQ(Updates().size(), 1u);  // a wait already STARTED is not started again
  clock_.Advance(std::chrono::seconds(1));
  Succeeds(handler);
}

TEST_F(WaitTest, ZeroLengthWaitIsAnErrorOfTheWorkflow) {
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    ctx.Wait("now", std::chrono::seconds(0));
    return 1;
  });
  Start();
  EXPECT_EQ(Fails(handler).error->type, "std::invalid_argument");
}

using CallbackTest = DurableFixture;

TEST_F(CallbackTest, CreatedCallbackIdIsHandedOutAndItsResultArrivesLater) {
  std::vector<std::string> ids;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    Callback<int> callback =
        ctx.CreateCallback<int>("approval", {.timeout = std::chrono::seconds(300)});
    ids.push_back(callback.id());
    return callback.Result() * 2;
  });
  Start();
  Pends(handler);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(Updates()[0].callback_timeout_seconds, 300);
  Pends(handler);  // still unanswered
  ASSERT_TRUE(service_->SucceedCallback(ids[0], "21").ok());
  EXPECT_EQ(Succeeds(handler).result, "42");
  EXPECT_THAT(ids, ElementsAre(ids[0], ids[0], ids[0]));
  EXPECT_EQ(Updates().size(), 1u);
}

TEST_F(CallbackTest, FailedAndTimedOutCallbacksThrowCallbackError) {
  std::vector<std::string> ids;
  std::vector<std::string> outcomes;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    outcomes.clear();  // each invocation replays the first callback's failure again
    for (const char* name : {"first", "second"}) {
      Callback<Json> callback = ctx.CreateCallback(name);
      if (std::find(ids.begin(), ids.end(), callback.id()) == ids.end()) {
        ids.push_back(callback.id());
      }
      try {
        callback.Result();
      } catch (const CallbackError& e) {
        outcomes.push_back(*e.error().type + (e.timed_out() ? " timed out" : " failed"));
      }
    }
    return 0;
  });
  Start();
  Pends(handler);
  ASSERT_TRUE(service_->FailCallback(ids[0], {"Partner.Refused", "no", std::nullopt, {}}).ok());
  Pends(handler);
  ASSERT_EQ(ids.size(), 2u);
  ASSERT_TRUE(service_->TimeOutCallback(ids[1]).ok());
  Succeeds(handler);
  EXPECT_THAT(outcomes, ElementsAre("Partner.Refused failed", "Callback.Timeout timed out"));
}

TEST_F(CallbackTest, WaitForCallbackRunsTheSubmitterOnceAndReturnsTheTypedResult) {
  std::atomic<int> submits = 0;
  std::string submitted_id;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    return ctx.WaitForCallback<std::vector<int>>("approval", [&](std::string_view id) {
      ++submits;
      submitted_id = std::string(id);
    });
  });
  Start();
  Pends(handler);
  Pends(handler);
  EXPECT_EQ(submits, 1);
  ASSERT_TRUE(service_->SucceedCallback(submitted_id, "[1,2,3]").ok());
  EXPECT_EQ(Succeeds(handler).result, "[1,2,3]");
  EXPECT_EQ(submits, 1);
  std::optional<Operation> context = service_->FindByName(arn_, "approval");
  ASSERT_TRUE(context.has_value());
  EXPECT_EQ(context->sub_type, "WaitForCallback");
  EXPECT_EQ(context->result, "\"[1,2,3]\"");
}

using InvokeTest = DurableFixture;

TEST_F(InvokeTest, ChainedInvokeSendsThePayloadAndWaitsForTheResult) {
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    return ctx.Invoke<int>("price", "pricing-fn", std::vector<int>{1, 2}, {.tenant_id = "t-1"});
  });
  Start();
  Pends(handler);
  std::vector<OperationUpdate> updates = Updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].payload, "[1,2]");
  EXPECT_EQ(updates[0].function_name, "pricing-fn");
  EXPECT_EQ(updates[0].tenant_id, "t-1");
  ASSERT_TRUE(
      service_->FinishInvoke(arn_, updates[0].id, OperationStatus::kSucceeded, "99", std::nullopt)
          .ok());
  EXPECT_EQ(Succeeds(handler).result, "99");
}

TEST_F(InvokeTest, TimedOutChainedInvokeThrowsInvokeError) {
  lmc::Handler handler = Handle(
      [&](DurableContext& ctx, const Json&) { return ctx.Invoke<int>("price", "pricing-fn", 1); });
  Start();
  Pends(handler);
  ASSERT_TRUE(service_
                  ->FinishInvoke(arn_, Updates()[0].id, OperationStatus::kTimedOut, std::nullopt,
                                 ErrorObject{"Invoke.Timeout", "slow", std::nullopt, {}})
                  .ok());
  EXPECT_EQ(Fails(handler).error->type, "Invoke.Timeout");
}

using ChildTest = DurableFixture;

TEST_F(ChildTest, CompletedChildReturnsItsLoggedResultWithoutRunning) {
  std::atomic<int> runs = 0;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    const int total = ctx.RunInChildContext("sum", [&](DurableContext& child) {
      ++runs;
      return child.Step("a", [] { return 2; }) + child.Step("b", [] { return 3; });
    });
    ctx.Wait("pause", std::chrono::seconds(1));
    return total;
  });
  Start();
  Pends(handler);
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Succeeds(handler).result, "5");
  EXPECT_EQ(runs, 1);
}

TEST_F(ChildTest, ChildFailureIsLoggedAndThrownAsChildContextError) {
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    try {
      ctx.RunInChildContext(
          "bad", [](DurableContext&) -> int { throw Failure("Child.Broke", "child failed"); });
    } catch (const ChildContextError& e) {
      return *e.error().type;
    }
    return std::string("none");
  });
  Start();
  EXPECT_EQ(Succeeds(handler).result, "\"Child.Broke\"");
  std::optional<Operation> child = service_->FindByName(arn_, "bad");
  ASSERT_TRUE(child.has_value());
  EXPECT_EQ(child->status, OperationStatus::kFailed);
}

TEST_F(ChildTest, OversizedChildResultIsRebuiltByReplayingTheChild) {
  std::atomic<int> body_runs = 0;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    const std::string big = ctx.RunInChildContext("big", [&](DurableContext& child) {
      ++body_runs;
      return child.Step("chunk", [] { return std::string(300 * 1024, 'x'); });
    });
    ctx.Wait("pause", std::chrono::seconds(1));
    return big.size();
  });
  Start();
  Pends(handler);
  std::optional<Operation> child = service_->FindByName(arn_, "big");
  ASSERT_TRUE(child.has_value());
  EXPECT_TRUE(child->replay_children);
  EXPECT_EQ(child->result, "");
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Succeeds(handler).result, "307200");
  EXPECT_EQ(body_runs, 2);  // the child ran again, its step replayed from the log
}

using ConditionTest = DurableFixture;

TEST_F(ConditionTest, WaitForConditionPollsUntilTheStrategyStops) {
  std::atomic<int> checks = 0;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    return ctx.WaitForCondition<int>(
        "poll",
        [&](const int& state) {
          ++checks;
          return state + 1;
        },
        {.initial_state = 0, .wait_strategy = [](const int& state, int) {
           return state >= 3 ? WaitDecision::Done()
                             : WaitDecision::CheckAgainAfter(std::chrono::seconds(5));
         }});
  });
  Start();
  Pends(handler);
  clock_.Advance(std::chrono::seconds(5));
  Pends(handler);
  clock_.Advance(std::chrono::seconds(5));
  EXPECT_EQ(Succeeds(handler).result, "3");
  EXPECT_EQ(checks, 3);
}

}  // namespace
}  // namespace lmc::durable
