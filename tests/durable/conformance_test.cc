// The conformance requirements of aws-durable-execution-conformance-tests, end to end: the
// conformance bootstrap (lmc::durable workflows, conformance_bootstrap.cc) runs at concurrency 8
// against the local durable-execution service (tools/durable/), every scenario of a suite is
// started at once, and each execution's status, result, history (event by event, as the
// requirement lists it) and side effects (step bodies run, lines logged) are checked. Scenarios
// that crash their runtime run one at a time on a bootstrap of their own.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/durable/scenarios.h"
#include "tools/durable/local_runner.h"

namespace lmc::durable_testing {
namespace {

using durable_service::ExecutionSnapshot;
using durable_service::LocalRunner;
using durable_service::RunnerFunction;
using durable_service::StartOptions;

class ConformanceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    runner = new LocalRunner();
    ASSERT_TRUE(runner->Start().ok());
    auto add = [](std::string name, uint64_t concurrency) {
      absl::Status s = runner->AddFunction(RunnerFunction{
          .name = name, .bootstrap = LMC_CONFORMANCE_BOOTSTRAP, .concurrency = concurrency});
      ASSERT_TRUE(s.ok()) << s;
    };
    add(kConformanceFunction, 8);
    add(kCrashFunction, 1);
    add(kEchoFunction, 4);
    add(kFailFunction, 2);
  }
  static void TearDownTestSuite() {
    delete runner;
    runner = nullptr;
  }

  // Starts `scenarios` together, then checks each once every one has ended.
  void RunTogether(const std::vector<const Scenario*>& scenarios) {
    std::vector<std::string> arns;
    for (const Scenario* s : scenarios) {
      absl::StatusOr<std::string> arn = runner->service().StartExecution(
          s->function, absl::StrCat(R"({"scenario":")", s->id, R"(","input":)", s->input, "}"),
          StartOptions{.callbacks = s->callbacks});
      ASSERT_TRUE(arn.ok()) << s->id << ": " << arn.status();
      arns.push_back(*arn);
    }
    for (size_t i = 0; i < scenarios.size(); ++i) {
      EXPECT_TRUE(runner->service().WaitForExecution(arns[i], kWait))
          << scenarios[i]->id << " did not end";
    }
    for (size_t i = 0; i < scenarios.size(); ++i) Check(*scenarios[i], arns[i]);
  }

  // Runs a suite: the scenarios of the shared bootstrap together, the crashing ones one by one.
  void RunSuite(std::vector<Scenario> (*suite)()) {
    std::vector<const Scenario*> together;
    std::vector<const Scenario*> alone;
    for (const Scenario& s : suite()) {
      const Scenario* registered = FindScenario(s.id);
      ASSERT_NE(registered, nullptr) << s.id;
      (registered->function == kCrashFunction ? alone : together).push_back(registered);
    }
    RunTogether(together);
    for (const Scenario* s : alone) RunTogether({s});
  }

  static void Check(const Scenario& s, const std::string& arn) {
    const std::optional<ExecutionSnapshot> snapshot = runner->service().Describe(arn);
    ASSERT_TRUE(snapshot.has_value()) << s.id;
    std::vector<std::string> problems;
    if (snapshot->status != s.status) {
      std::string p = "status " + std::string(durable_service::ToString(snapshot->status)) +
                      ", expected " + std::string(durable_service::ToString(s.status));
      if (snapshot->error) {
        p += " (" + snapshot->error->error_type.value_or("") + ": " +
             snapshot->error->error_message.value_or("") + ")";
      }
      problems.push_back(std::move(p));
    }
    if (s.result && snapshot->result != s.result) {
      problems.push_back(
          absl::StrCat("result ", snapshot->result.value_or("<none>"), ", expected ", *s.result));
    }
    for (std::string& p : MatchHistory(snapshot->history, s.history)) {
      problems.push_back(std::move(p));
    }
    if (s.check) {
      const std::string output = runner->output(s.function);
      for (std::string& p : s.check(*snapshot, output)) problems.push_back(std::move(p));
    }
    if (!s.gap.empty()) {
      std::printf("requirement %s: known gap (%s): %s\n", s.id.c_str(), s.gap.c_str(),
                  problems.empty() ? "it now matches; remove the gap" : "still differs");
      return;
    }
    EXPECT_TRUE(problems.empty()) << "requirement " << s.id << ":\n  "
                                  << absl::StrJoin(problems, "\n  ");
  }

  static LocalRunner* runner;
};

LocalRunner* ConformanceTest::runner = nullptr;

TEST_F(ConformanceTest, StepRequirements) { RunSuite(StepScenarios); }
TEST_F(ConformanceTest, WaitRequirements) { RunSuite(WaitScenarios); }
TEST_F(ConformanceTest, ChildContextRequirements) { RunSuite(ChildScenarios); }
TEST_F(ConformanceTest, CallbackRequirements) { RunSuite(CallbackScenarios); }
TEST_F(ConformanceTest, InvokeRequirements) { RunSuite(InvokeScenarios); }
TEST_F(ConformanceTest, WaitForConditionRequirements) { RunSuite(ConditionScenarios); }
TEST_F(ConformanceTest, WaitForCallbackRequirements) { RunSuite(WaitForCallbackScenarios); }
TEST_F(ConformanceTest, ParallelRequirements) { RunSuite(ParallelScenarios); }
TEST_F(ConformanceTest, MapRequirements) { RunSuite(MapScenarios); }

}  // namespace
}  // namespace lmc::durable_testing
