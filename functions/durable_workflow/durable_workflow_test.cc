#include "functions/durable_workflow/durable_workflow.h"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handlers/durable/testing/fake_checkpoint_service.h"
#include "handlers/durable/wire_json.h"
#include "lmc/clock.h"
#include "lmc/testing/handler_harness.h"

namespace lmc::examples {
namespace {

using durable::InvocationStatus;
using durable::OperationAction;
using ::testing::HasSubstr;

class DurableWorkflowTest : public ::testing::Test {
 protected:
  durable::InvocationOutput Run(InvocationStatus expected) {
    durable::testing::InvokeOutcome outcome = service_->Invoke(handler_, arn_);
    EXPECT_TRUE(outcome.output.has_value());
    if (!outcome.output.has_value()) return {};
    EXPECT_EQ(outcome.output->status, expected) << durable::InvocationOutputJson(*outcome.output);
    return *outcome.output;
  }
  // How many times each operation (by name) was started and completed.
  std::map<std::string, std::vector<OperationAction>> ActionsByName() const {
    std::map<std::string, std::vector<OperationAction>> actions;
    for (const durable::CheckpointRequest& batch : service_->Batches(arn_)) {
      for (const durable::OperationUpdate& update : batch.updates) {
        actions[update.name.value_or("")].push_back(update.action);
      }
    }
    return actions;
  }

  FakeClock clock_;
  std::shared_ptr<durable::testing::FakeCheckpointService> service_ =
      std::make_shared<durable::testing::FakeCheckpointService>(clock_);
  lmc::Handler handler_ = DurableWorkflow({.service = service_, .clock = &clock_});
  std::string arn_ =
      "arn:aws:lambda:us-east-1:123456789012:function:wf:$LATEST/durable-execution/a/1";
};

TEST_F(DurableWorkflowTest, SumsTheSquaresInOneInvocationWithoutWaitOrCallback) {
  service_->StartExecution(arn_, R"({"steps":4})");
  EXPECT_EQ(Run(InvocationStatus::kSucceeded).result, R"({"sum":14,"approval":null})");
  std::map<std::string, std::vector<OperationAction>> actions = ActionsByName();
  for (const char* name : {"square-0", "square-1", "square-2", "square-3"}) {
    EXPECT_THAT(actions[name],
                ::testing::ElementsAre(OperationAction::kStart, OperationAction::kSucceed));
  }
  EXPECT_EQ(service_->FindByName(arn_, "square-3")->result, "9");
}

TEST_F(DurableWorkflowTest, WaitsThenWaitsForTheCallbackAndKeepsItsResult) {
  service_->StartExecution(arn_, R"({"steps":3,"wait_seconds":30,"callback":true})");
  Run(InvocationStatus::kPending);  // the pause began
  clock_.Advance(std::chrono::seconds(30));
  Run(InvocationStatus::kPending);  // the approval callback was created and handed out
  std::optional<durable::Operation> callback;
  for (const durable::Operation& op : service_->Operations(arn_)) {
    if (op.callback_id.has_value()) callback = op;
  }
  ASSERT_TRUE(callback.has_value());
  ASSERT_TRUE(service_->SucceedCallback(*callback->callback_id, R"({"ok":true,"by":"ana"})").ok());
  EXPECT_EQ(Run(InvocationStatus::kSucceeded).result,
            R"({"sum":5,"approval":{"ok":true,"by":"ana"}})");
  // Three invocations, yet every step body (and the submitter) ran exactly once.
  std::map<std::string, std::vector<OperationAction>> actions = ActionsByName();
  for (const char* name : {"square-0", "square-1", "square-2"}) {
    EXPECT_THAT(actions[name],
                ::testing::ElementsAre(OperationAction::kStart, OperationAction::kSucceed));
  }
  EXPECT_THAT(actions["pause"], ::testing::ElementsAre(OperationAction::kStart));
  EXPECT_EQ(service_->FindByName(arn_, "approval")->sub_type, "WaitForCallback");
}

TEST_F(DurableWorkflowTest, FailingStepFailsTheExecutionWithoutRetryingOrGoingOn) {
  service_->StartExecution(arn_, R"({"steps":5,"fail_step":2,"wait_seconds":10})");
  durable::InvocationOutput out = Run(InvocationStatus::kFailed);
  ASSERT_TRUE(out.error.has_value());
  EXPECT_EQ(out.error->type, "Workflow.StepFailed");
  EXPECT_EQ(out.error->message, "step 2 failed");
  std::map<std::string, std::vector<OperationAction>> actions = ActionsByName();
  EXPECT_THAT(actions["square-2"],
              ::testing::ElementsAre(OperationAction::kStart, OperationAction::kFail));
  EXPECT_EQ(actions.count("square-3"), 0u);
  EXPECT_EQ(actions.count("pause"), 0u);
}

TEST_F(DurableWorkflowTest, InputThatDoesNotFitFailsTheExecution) {
  service_->StartExecution(arn_, R"({"wait_seconds":1})");
  durable::InvocationOutput missing = Run(InvocationStatus::kFailed);
  EXPECT_EQ(missing.error->type, "Durable.InvalidInput");
  EXPECT_THAT(*missing.error->message, HasSubstr("steps"));
  arn_ += "-2";
  service_->StartExecution(arn_, R"({"steps":-1})");
  EXPECT_EQ(Run(InvocationStatus::kFailed).error->type, "Workflow.InvalidInput");
}

TEST_F(DurableWorkflowTest, NonDurableEventIsRejectedAsAnInvocationError) {
  lmc::testing::Invocation invocation;
  invocation.event = R"({"steps":3})";
  lmc::testing::Outcome outcome = lmc::testing::Invoke(handler_, invocation);
  ASSERT_FALSE(outcome.result.ok());
  EXPECT_EQ(outcome.result.error().type(), "Durable.InvalidEvent");
}

}  // namespace
}  // namespace lmc::examples
