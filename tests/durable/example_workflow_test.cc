// example-durable-workflow's contract (functions/durable_workflow/durable_workflow.h),
// end to end: the real executable as the bootstrap, at concurrency 8, many executions at once
// through the local service, with its one-hour waits skipped and its approvals answered.
//
// "Each step body runs exactly once across all invocations" is checked twice: in the history
// (one StepStarted and one StepSucceeded per step) and apart from it, in the checkpoint calls the
// SDK sent (the service's record of them as they arrived: each step's START and SUCCEED once,
// all in the first invocation, none refused) and in the bootstrap's output (the approval
// submitter's log line once per execution).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/durable/scenarios.h"
#include "tools/durable/local_runner.h"

namespace lmc::durable_testing {
namespace {

using durable_service::CallbackScript;
using durable_service::ExecutionSnapshot;
using durable_service::ExecutionStatus;
using durable_service::HistoryEvent;
using durable_service::LocalRunner;
using durable_service::OperationAction;
using durable_service::OperationType;
using durable_service::RunnerFunction;
using durable_service::StartOptions;

constexpr char kFunction[] = "durable-workflow";

std::vector<const HistoryEvent*> Events(const ExecutionSnapshot& s, std::string_view type,
                                        std::string_view name) {
  std::vector<const HistoryEvent*> out;
  for (const HistoryEvent& e : s.history) {
    if (e.type == type && e.name.value_or("") == name) out.push_back(&e);
  }
  return out;
}

// The step updates the SDK sent for `name`, by action: {starts, succeeds, others}, and whether
// all came in the first invocation and were applied.
struct StepTraffic {
  int starts = 0;
  int succeeds = 0;
  int others = 0;
  bool all_first_and_applied = true;
};
StepTraffic TrafficOf(const ExecutionSnapshot& s, const std::string& name) {
  StepTraffic t;
  for (const durable_service::ReceivedCheckpoint& call : s.checkpoints) {
    for (const durable_service::OperationUpdate& u : call.updates) {
      if (u.type != OperationType::kStep || u.name.value_or("") != name) continue;
      t.starts += u.action == OperationAction::kStart;
      t.succeeds += u.action == OperationAction::kSucceed;
      t.others += u.action != OperationAction::kStart && u.action != OperationAction::kSucceed;
      t.all_first_and_applied = t.all_first_and_applied && call.invocation == 1 && call.applied;
    }
  }
  return t;
}

class ExampleWorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(runner_.Start().ok());
    ASSERT_TRUE(runner_
                    .AddFunction(RunnerFunction{.name = kFunction,
                                                .bootstrap = LMC_EXAMPLE_DURABLE_WORKFLOW,
                                                .handler = kFunction,
                                                .concurrency = 8})
                    .ok());
  }
  std::string Start(const std::string& input, std::vector<CallbackScript> callbacks = {}) {
    absl::StatusOr<std::string> arn = runner_.service().StartExecution(
        kFunction, input, StartOptions{.callbacks = std::move(callbacks)});
    EXPECT_TRUE(arn.ok()) << arn.status();
    return arn.value_or("");
  }
  ExecutionSnapshot Describe(const std::string& arn) { return *runner_.service().Describe(arn); }

  LocalRunner runner_;
};

TEST_F(ExampleWorkflowTest, ManyExecutionsSumTheirSquaresWaitAnHourAndTakeTheirApproval) {
  constexpr int kExecutions = 24;
  std::vector<std::string> arns;
  for (int n = 0; n < kExecutions; ++n) {
    // The approval comes 10 minutes after the callback starts, on the execution's clock.
    arns.push_back(
        Start(absl::StrCat(R"({"steps":)", n, R"(,"wait_seconds":3600,"callback":true})"),
              {{.name = "approval",
                .result = absl::StrCat(R"({"by":"approver-)", n, R"("})"),
                .delay = absl::Minutes(10)}}));
  }
  const absl::Time real_start = absl::Now();
  ASSERT_TRUE(runner_.service().WaitForAll(kWait));
  EXPECT_LT(absl::Now() - real_start, absl::Seconds(30));  // 24 hours and 4 of waits, skipped
  const std::string output = runner_.output(kFunction);
  for (int n = 0; n < kExecutions; ++n) {
    SCOPED_TRACE(absl::StrCat("steps ", n));
    const ExecutionSnapshot s = Describe(arns[static_cast<size_t>(n)]);
    ASSERT_EQ(s.status, ExecutionStatus::kSucceeded)
        << (s.error ? s.error->error_type.value_or("") : "");
    const int64_t sum = int64_t{n - 1} * n * (2 * n - 1) / 6;
    EXPECT_EQ(s.result,
              absl::StrCat(R"({"sum":)", sum, R"(,"approval":{"by":"approver-)", n, R"("}})"));
    for (int i = 0; i < n; ++i) {
      const std::string name = absl::StrCat("square-", i);
      EXPECT_EQ(Events(s, "StepStarted", name).size(), 1u) << name;
      const std::vector<const HistoryEvent*> done = Events(s, "StepSucceeded", name);
      ASSERT_EQ(done.size(), 1u) << name;
      EXPECT_EQ(done[0]->details.result, absl::StrCat(i * i)) << name;
      const StepTraffic t = TrafficOf(s, name);
      EXPECT_EQ(t.starts, 1) << name;
      EXPECT_EQ(t.succeeds, 1) << name;
      EXPECT_EQ(t.others, 0) << name;
      EXPECT_TRUE(t.all_first_and_applied) << name;
    }
    EXPECT_TRUE(Events(s, "StepStarted", absl::StrCat("square-", n)).empty());
    const std::vector<const HistoryEvent*> waits = Events(s, "WaitStarted", "pause");
    ASSERT_EQ(waits.size(), 1u);
    EXPECT_EQ(waits[0]->details.duration_seconds, 3600);
    EXPECT_EQ(Events(s, "WaitSucceeded", "pause").size(), 1u);
    EXPECT_EQ(Events(s, "ContextSucceeded", "approval").size(), 1u);
    // The wait, then the callback's 10 minutes, on the execution's own clock.
    ASSERT_TRUE(s.end.has_value());
    EXPECT_GE(*s.end - s.start, absl::Minutes(70));
    // Suspended at the wait and at the callback: three invocations.
    EXPECT_EQ(s.invocations, 3);
    const HistoryEvent* callback = nullptr;
    for (const HistoryEvent& e : s.history) {
      if (e.type == "CallbackStarted") callback = &e;
    }
    ASSERT_NE(callback, nullptr);
    ASSERT_TRUE(callback->details.callback_id.has_value());
    EXPECT_EQ(
        CountLines(output, "waiting for approval: callback id " + *callback->details.callback_id),
        1);
  }
  EXPECT_EQ(runner_.service().stats().rejected_calls, 0u);
  EXPECT_EQ(runner_.service().stats().unsigned_calls, 0u);  // SigV4-signed by the SDK
  EXPECT_EQ(runner_.service().function_emulator(kFunction)->stats().max_in_flight, 8u);
}

TEST_F(ExampleWorkflowTest, WithoutWaitOrCallbackTheApprovalIsNullAfterOneInvocation) {
  const ExecutionSnapshot s = [&] {
    const std::string arn = Start(R"({"steps":3})");
    EXPECT_TRUE(runner_.service().WaitForExecution(arn, kWait));
    return Describe(arn);
  }();
  EXPECT_EQ(s.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(s.result, R"({"sum":5,"approval":null})");
  EXPECT_EQ(s.invocations, 1);
  EXPECT_TRUE(Events(s, "WaitStarted", "pause").empty());
  EXPECT_TRUE(Events(s, "ContextStarted", "approval").empty());
}

TEST_F(ExampleWorkflowTest, AFailingStepFailsTheExecutionWithoutRetriesOrLaterSteps) {
  const std::string arn = Start(R"({"steps":4,"wait_seconds":60,"fail_step":1})");
  ASSERT_TRUE(runner_.service().WaitForExecution(arn, kWait));
  const ExecutionSnapshot s = Describe(arn);
  EXPECT_EQ(s.status, ExecutionStatus::kFailed);
  ASSERT_TRUE(s.error.has_value());
  EXPECT_EQ(s.error->error_type, "Workflow.StepFailed");
  EXPECT_EQ(s.error->error_message, "step 1 failed");
  EXPECT_EQ(Events(s, "StepSucceeded", "square-0").size(), 1u);
  const std::vector<const HistoryEvent*> failed = Events(s, "StepFailed", "square-1");
  ASSERT_EQ(failed.size(), 1u);
  ASSERT_TRUE(failed[0]->details.error.has_value());
  EXPECT_EQ(failed[0]->details.error->error_type, "Workflow.StepFailed");
  EXPECT_EQ(TrafficOf(s, "square-1").others, 1);  // one FAIL, no RETRY
  EXPECT_TRUE(Events(s, "StepStarted", "square-2").empty());
  EXPECT_TRUE(Events(s, "WaitStarted", "pause").empty());
  EXPECT_EQ(s.invocations, 1);
}

TEST_F(ExampleWorkflowTest, AnInputThatDoesNotFitFailsTheExecutionClearly) {
  const std::vector<std::string> inputs = {R"({"steps":-1})", R"({"wait_seconds":5})",
                                           R"({"steps":2,"wait_seconds":-3})", R"("three")"};
  std::vector<std::string> arns;
  for (const std::string& input : inputs) arns.push_back(Start(input));
  ASSERT_TRUE(runner_.service().WaitForAll(kWait));
  for (size_t i = 0; i < arns.size(); ++i) {
    const ExecutionSnapshot s = Describe(arns[i]);
    EXPECT_EQ(s.status, ExecutionStatus::kFailed) << inputs[i];
    ASSERT_TRUE(s.error.has_value()) << inputs[i];
    EXPECT_THAT(s.error->error_type.value_or(""),
                ::testing::AnyOf("Durable.InvalidInput", "Workflow.InvalidInput"))
        << inputs[i];
    EXPECT_EQ(s.invocations, 1) << inputs[i];  // a clear failure, not retried invocations
  }
}

}  // namespace
}  // namespace lmc::durable_testing
