#include "tools/durable/operation_log.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lmc::durable_service {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kLogT0 = absl::FromUnixSeconds(1767225600);

// Hooks that hand out predictable callback ids and know one durable function.
class FakeHooks : public OperationLog::Hooks {
 public:
  std::string NewCallbackId(const Operation& callback) override { return "cb-" + callback.id; }
  ChainedStart StartChainedInvoke(const Operation&, const OperationUpdate& u) override {
    ChainedStart s;
    if (u.function_name == "known") {
      s.durable_execution_arn = "arn:child";
    } else {
      s.error = ErrorObject{.error_type = "ResourceNotFoundException"};
    }
    return s;
  }
};

OperationUpdate Update(std::string id, OperationType type, OperationAction action) {
  OperationUpdate u;
  u.id = std::move(id);
  u.type = type;
  u.action = action;
  return u;
}

class OperationLogTest : public ::testing::Test {
 protected:
  OperationLogTest() : log_(ExecutionOp(), &history_) {}

  static Operation ExecutionOp() {
    Operation op;
    op.id = "exec";
    op.type = OperationType::kExecution;
    op.start_timestamp = kLogT0;
    return op;
  }

  // Validates and applies; fails the test when validation fails.
  ApplyEffects Checkpoint(const std::vector<OperationUpdate>& updates, absl::Time now = kLogT0) {
    absl::Status s = log_.Validate(updates);
    EXPECT_TRUE(s.ok()) << s;
    return log_.Apply(updates, now, hooks_);
  }

  std::vector<std::string> EventTypes() const {
    std::vector<std::string> out;
    for (const HistoryEvent& e : history_.events()) out.push_back(e.type);
    return out;
  }

  History history_;
  OperationLog log_;
  FakeHooks hooks_;
};

TEST_F(OperationLogTest, StepStartAndSucceedInOneBatchRecordBothEventsAndCountOneAttempt) {
  OperationUpdate start = Update("s1", OperationType::kStep, OperationAction::kStart);
  start.name = "square-0";
  start.sub_type = "Step";
  OperationUpdate done = Update("s1", OperationType::kStep, OperationAction::kSucceed);
  done.payload = "0";
  Checkpoint({start, done});
  const Operation* op = log_.Find("s1");
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op->status, OperationStatus::kSucceeded);
  EXPECT_EQ(op->attempt, 1);
  EXPECT_EQ(op->result, "0");
  EXPECT_THAT(EventTypes(), ElementsAre("StepStarted", "StepSucceeded"));
  const HistoryEvent& succeeded = history_.events()[1];
  EXPECT_EQ(succeeded.name, "square-0");
  EXPECT_EQ(succeeded.sub_type, "Step");
  EXPECT_EQ(succeeded.event_id, 2);
  EXPECT_TRUE(succeeded.details.has_retry_details);
  EXPECT_EQ(succeeded.details.current_attempt, 1);
}

TEST_F(OperationLogTest, RetryWithErrorIsAFailedAttemptAndMakesTheStepPendingUntilItsTimer) {
  OperationUpdate retry = Update("s1", OperationType::kStep, OperationAction::kRetry);
  retry.error = ErrorObject{.error_type = "Boom"};
  retry.next_attempt_delay_seconds = 7;
  Checkpoint({Update("s1", OperationType::kStep, OperationAction::kStart), retry});
  const Operation* op = log_.Find("s1");
  EXPECT_EQ(op->status, OperationStatus::kPending);
  EXPECT_EQ(op->attempt, 1);
  EXPECT_EQ(op->next_attempt_timestamp, kLogT0 + absl::Seconds(7));
  const HistoryEvent& failed = history_.events().back();
  EXPECT_EQ(failed.type, "StepFailed");
  EXPECT_EQ(failed.details.next_attempt_delay_seconds, 7);
  ASSERT_EQ(log_.Timers().size(), 1u);
  EXPECT_EQ(log_.Timers()[0].kind, TimerRequest::Kind::kRetryReady);
  // A START before the timer fired is refused; READY may start again, without a new event.
  EXPECT_THAT(
      log_.Validate({Update("s1", OperationType::kStep, OperationAction::kStart)}).message(),
      HasSubstr("Invalid current STEP state to start."));
  EXPECT_TRUE(log_.MakeStepReady("s1", kLogT0 + absl::Seconds(7)));
  EXPECT_EQ(log_.Find("s1")->status, OperationStatus::kReady);
  EXPECT_EQ(history_.events().size(), 2u);
  Checkpoint({Update("s1", OperationType::kStep, OperationAction::kStart)});
  EXPECT_EQ(log_.Find("s1")->status, OperationStatus::kStarted);
  EXPECT_EQ(log_.Find("s1")->attempt, 1);
}

TEST_F(OperationLogTest, RetryWithPayloadIsASucceededPollOfWaitForCondition) {
  OperationUpdate retry = Update("w1", OperationType::kStep, OperationAction::kRetry);
  retry.sub_type = "WaitForCondition";
  retry.payload = "1";
  retry.next_attempt_delay_seconds = 2;
  OperationUpdate start = Update("w1", OperationType::kStep, OperationAction::kStart);
  start.sub_type = "WaitForCondition";
  Checkpoint({start, retry});
  const HistoryEvent& e = history_.events().back();
  EXPECT_EQ(e.type, "StepSucceeded");
  EXPECT_EQ(e.details.result, "1");
  EXPECT_EQ(e.details.next_attempt_delay_seconds, 2);
}

TEST_F(OperationLogTest, RetryWithoutStepOptionsOrWithBothPayloadAndErrorIsRejected) {
  OperationUpdate retry = Update("s1", OperationType::kStep, OperationAction::kRetry);
  EXPECT_THAT(log_.Validate({retry}).message(), HasSubstr("NextAttemptDelaySeconds"));
  retry.next_attempt_delay_seconds = 1;
  retry.payload = "1";
  retry.error = ErrorObject{};
  EXPECT_THAT(log_.Validate({retry}).message(), HasSubstr("both error and payload"));
}

TEST_F(OperationLogTest, WaitEndsOnlyThroughTheServiceAndRecordsItsDuration) {
  OperationUpdate wait = Update("w1", OperationType::kWait, OperationAction::kStart);
  wait.wait_seconds = 3600;
  Checkpoint({wait});
  EXPECT_EQ(log_.Find("w1")->scheduled_end_timestamp, kLogT0 + absl::Hours(1));
  ASSERT_EQ(log_.Timers().size(), 1u);
  EXPECT_TRUE(log_.EndWait("w1", kLogT0 + absl::Hours(1)));
  EXPECT_FALSE(log_.EndWait("w1", kLogT0 + absl::Hours(1)));  // already ended
  EXPECT_THAT(EventTypes(), ElementsAre("WaitStarted", "WaitSucceeded"));
  EXPECT_EQ(history_.events()[0].details.duration_seconds, 3600);
  EXPECT_EQ(history_.events()[1].details.duration_seconds, 3600);
  EXPECT_TRUE(log_.Timers().empty());
}

TEST_F(OperationLogTest, WaitNeedsWaitSecondsWithinTheModelsRange) {
  OperationUpdate wait = Update("w1", OperationType::kWait, OperationAction::kStart);
  EXPECT_THAT(log_.Validate({wait}).message(), HasSubstr("WaitSeconds"));
  wait.wait_seconds = 0;
  EXPECT_FALSE(log_.Validate({wait}).ok());
  wait.wait_seconds = 31622401;
  EXPECT_FALSE(log_.Validate({wait}).ok());
}

TEST_F(OperationLogTest, ADuplicateIdInOneBatchIsRejectedExceptStartThenCompletion) {
  OperationUpdate wait = Update("w1", OperationType::kWait, OperationAction::kStart);
  wait.wait_seconds = 1;
  absl::Status s = log_.Validate({wait, wait});
  EXPECT_THAT(s.message(), HasSubstr("Updates[1]: Cannot checkpoint multiple operations"));
  OperationUpdate start = Update("c1", OperationType::kContext, OperationAction::kStart);
  EXPECT_TRUE(
      log_.Validate({start, Update("c1", OperationType::kContext, OperationAction::kSucceed)})
          .ok());
}

TEST_F(OperationLogTest, AParentMustBeAContextLoggedOrStartedEarlierInTheBatch) {
  OperationUpdate child = Update("s1", OperationType::kStep, OperationAction::kStart);
  child.parent_id = "c1";
  EXPECT_THAT(log_.Validate({child}).message(), HasSubstr("Invalid parent operation id."));
  EXPECT_TRUE(
      log_.Validate({Update("c1", OperationType::kContext, OperationAction::kStart), child}).ok());
  child.parent_id = "w1";
  OperationUpdate wait = Update("w1", OperationType::kWait, OperationAction::kStart);
  wait.wait_seconds = 1;
  EXPECT_FALSE(log_.Validate({wait, child}).ok());
}

TEST_F(OperationLogTest, MetadataThatDiffersFromTheLoggedOperationIsRejected) {
  OperationUpdate start = Update("s1", OperationType::kStep, OperationAction::kStart);
  start.name = "a";
  Checkpoint({start});
  OperationUpdate done = Update("s1", OperationType::kStep, OperationAction::kSucceed);
  done.name = "b";
  EXPECT_THAT(log_.Validate({done}).message(), HasSubstr("Inconsistent operation name."));
  done.name.reset();
  done.type = OperationType::kContext;
  EXPECT_THAT(log_.Validate({done}).message(), HasSubstr("Inconsistent operation type."));
}

TEST_F(OperationLogTest, ActionsTheTypeDoesNotHaveAndPayloadsOnFailAreRejected) {
  EXPECT_FALSE(
      log_.Validate({Update("c", OperationType::kCallback, OperationAction::kSucceed)}).ok());
  EXPECT_FALSE(log_.Validate({Update("w", OperationType::kWait, OperationAction::kRetry)}).ok());
  OperationUpdate fail = Update("s", OperationType::kStep, OperationAction::kFail);
  fail.payload = "1";
  EXPECT_THAT(log_.Validate({fail}).message(), HasSubstr("Cannot provide a Payload for FAIL"));
}

TEST_F(OperationLogTest, IdsAndNamesOutsideTheModelsPatternsAreRejected) {
  EXPECT_FALSE(log_.Validate({Update("a/b", OperationType::kStep, OperationAction::kStart)}).ok());
  EXPECT_FALSE(
      log_.Validate({Update(std::string(65, 'a'), OperationType::kStep, OperationAction::kStart)})
          .ok());
  OperationUpdate named = Update("ok", OperationType::kStep, OperationAction::kStart);
  named.name = "tab\there";
  EXPECT_FALSE(log_.Validate({named}).ok());
}

TEST_F(OperationLogTest, AnExecutionUpdateMustBeTheOnlyOneAndTheLast) {
  OperationUpdate exec = Update("exec", OperationType::kExecution, OperationAction::kSucceed);
  exec.payload = "\"big\"";
  OperationUpdate step = Update("s1", OperationType::kStep, OperationAction::kStart);
  EXPECT_THAT(log_.Validate({exec, step}).message(), HasSubstr("must be the last update"));
  EXPECT_THAT(log_.Validate({exec, exec}).message(), HasSubstr("multiple EXECUTION"));
  ApplyEffects fx = Checkpoint({step, exec});
  ASSERT_TRUE(fx.outcome.has_value());
  EXPECT_TRUE(fx.outcome->succeeded);
  EXPECT_EQ(fx.outcome->result, "\"big\"");
}

TEST_F(OperationLogTest, CallbacksGetTheServicesIdAndTheirTimeoutsInTheStartedEvent) {
  OperationUpdate cb = Update("cb1", OperationType::kCallback, OperationAction::kStart);
  cb.callback_timeout_seconds = 5;
  cb.callback_heartbeat_seconds = 0;
  ApplyEffects fx = Checkpoint({cb});
  EXPECT_THAT(fx.callbacks_started, ElementsAre("cb1"));
  EXPECT_EQ(log_.Find("cb1")->callback_id, "cb-cb1");
  const HistoryEvent& started = history_.events().back();
  EXPECT_EQ(started.details.callback_id, "cb-cb1");
  EXPECT_EQ(started.details.timeout_seconds, 5);
  EXPECT_FALSE(started.details.heartbeat_timeout_seconds.has_value());
  EXPECT_TRUE(log_.CompleteCallback("cb1", OperationLog::Completion::kTimedOut, std::nullopt,
                                    ErrorObject{.error_type = "Callback.Timeout"}, kLogT0));
  EXPECT_EQ(history_.events().back().type, "CallbackTimedOut");
  EXPECT_FALSE(log_.CompleteCallback("cb1", OperationLog::Completion::kSucceeded, "1", std::nullopt,
                                     kLogT0));
}

TEST_F(OperationLogTest, AChainedInvokeOfAnUnknownFunctionFailsRightAfterItStarts) {
  OperationUpdate known = Update("i1", OperationType::kChainedInvoke, OperationAction::kStart);
  known.function_name = "known";
  known.payload = "\"x\"";
  OperationUpdate unknown = Update("i2", OperationType::kChainedInvoke, OperationAction::kStart);
  unknown.function_name = "nope";
  Checkpoint({known, unknown});
  EXPECT_THAT(EventTypes(),
              ElementsAre("ChainedInvokeStarted", "ChainedInvokeStarted", "ChainedInvokeFailed"));
  EXPECT_EQ(history_.events()[0].details.durable_execution_arn, "arn:child");
  EXPECT_EQ(history_.events()[0].details.input, "\"x\"");
  EXPECT_EQ(log_.Find("i1")->status, OperationStatus::kStarted);
  EXPECT_EQ(log_.Find("i2")->status, OperationStatus::kFailed);
  OperationUpdate no_function =
      Update("i3", OperationType::kChainedInvoke, OperationAction::kStart);
  EXPECT_THAT(log_.Validate({no_function}).message(), HasSubstr("FunctionName"));
}

TEST_F(OperationLogTest, ChildrenOfACompletedContextAreHiddenUnlessItReplaysChildren) {
  OperationUpdate inner = Update("s1", OperationType::kStep, OperationAction::kSucceed);
  inner.parent_id = "c1";
  OperationUpdate grandchild = Update("c2", OperationType::kContext, OperationAction::kStart);
  grandchild.parent_id = "c1";
  OperationUpdate deep = Update("s2", OperationType::kStep, OperationAction::kSucceed);
  deep.parent_id = "c2";
  Checkpoint(
      {Update("c1", OperationType::kContext, OperationAction::kStart), inner, grandchild, deep});
  EXPECT_EQ(log_.Visible().size(), 5u);  // exec, c1, s1, c2, s2: c1 is still running
  Checkpoint({Update("c1", OperationType::kContext, OperationAction::kSucceed)});
  std::vector<std::string> ids;
  for (const Operation* op : log_.Visible()) ids.push_back(op->id);
  EXPECT_THAT(ids, ElementsAre("exec", "c1"));
  // With ReplayChildren the descendants stay visible.
  OperationUpdate replay = Update("c3", OperationType::kContext, OperationAction::kSucceed);
  replay.replay_children = true;
  OperationUpdate kept = Update("s3", OperationType::kStep, OperationAction::kSucceed);
  kept.parent_id = "c3";
  Checkpoint({Update("c3", OperationType::kContext, OperationAction::kStart), kept, replay});
  EXPECT_EQ(log_.Visible().size(), 4u);  // exec, c1, c3, s3
}

TEST_F(OperationLogTest, ChangedSinceListsOnlyOperationsTouchedAfterThatChange) {
  OperationUpdate wait = Update("w1", OperationType::kWait, OperationAction::kStart);
  wait.wait_seconds = 1;
  Checkpoint({wait, Update("s1", OperationType::kStep, OperationAction::kStart)});
  const uint64_t seen = log_.seq();
  EXPECT_TRUE(log_.ChangedSince(seen).empty());
  log_.EndWait("w1", kLogT0 + absl::Seconds(1));
  std::vector<const Operation*> delta = log_.ChangedSince(seen);
  ASSERT_EQ(delta.size(), 1u);
  EXPECT_EQ(delta[0]->id, "w1");
  EXPECT_EQ(delta[0]->status, OperationStatus::kSucceeded);
}

TEST_F(OperationLogTest, PendingWorkIsWhatCanStillWakeASuspendedExecution) {
  EXPECT_FALSE(log_.HasPendingWork());
  OperationUpdate cb = Update("cb", OperationType::kCallback, OperationAction::kStart);
  Checkpoint({cb});
  EXPECT_TRUE(log_.HasPendingWork());
  log_.CompleteCallback("cb", OperationLog::Completion::kSucceeded, "1", std::nullopt, kLogT0);
  EXPECT_FALSE(log_.HasPendingWork());
}

}  // namespace
}  // namespace lmc::durable_service
