// File: tests/durable/scenarios.h
//
// The conformance scenarios: for each requirement of aws-durable-execution-conformance-tests
// that lmc::durable can express, a workflow written with lmc::durable (run by the conformance
// bootstrap, conformance_bootstrap.cc) and what the execution must end with (status, result,
// the history events the requirement lists, scripted callback answers), checked by
// conformance_test.cc. The requirements are read as a specification (our own code, not the
// YAML): each scenario's id is the requirement's ("1-11"), and README.md's table lists which
// ids are covered and why the others are not.
//
// One bootstrap serves every scenario of a function: its handler reads
// {"scenario":"1-11","input":<the requirement's input>} and runs that scenario's workflow, so
// the test starts all of a suite's executions at once and they run concurrently.
//
// Example (scenarios_step.cc):
//
//   out.push_back({.id = "1-1", .input = R"("World")",
//                  .workflow = [](DurableContext& ctx, const Json& in) {
//                    return Encode(ctx.Step("", [&] { return Greet(in); }));
//                  },
//                  .result = R"("Hello, World!")",
//                  .history = {{2, "StepStarted", {.sub_type = "Step", .id = "$1"}}, ...}});
//
// Plain data, built once (AllScenarios()) and read-only afterwards: thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "handlers/durable/durable.h"
#include "tests/durable/history_matcher.h"
#include "tools/durable/execution.h"

namespace lmc::durable_testing {

// How long an end-to-end test waits for an execution or a command before failing it as hung: a
// bound, never a sleep; generous because sanitizer builds are slow.
inline constexpr absl::Duration kWait = absl::Seconds(60);

// The functions the conformance bootstrap serves (one bootstrap process each).
inline constexpr char kConformanceFunction[] = "conformance";
// Scenarios that crash their runtime (Runtime.ExitError) run apart, so that the crash does not
// interrupt (and add events to) the others.
inline constexpr char kCrashFunction[] = "conformance-crash";
// Chained-invoke targets: durable functions returning their input, or failing.
inline constexpr char kEchoFunction[] = "echo-target";
inline constexpr char kFailFunction[] = "fail-target";

using Workflow = std::function<durable::Json(durable::DurableContext&, const durable::Json&)>;

struct Scenario {
  std::string id;     // the requirement id, e.g. "1-11"
  std::string input;  // JSON text: the requirement's input
  Workflow workflow;
  std::string function = kConformanceFunction;
  // Non-empty: a known way lmc::durable differs from the requirement (why). The scenario still
  // runs; a mismatch is reported without failing, a match says the gap has closed.
  std::string gap;
  // Expected outcome.
  durable_service::ExecutionStatus status = durable_service::ExecutionStatus::kSucceeded;
  std::optional<std::string> result;  // the execution's Result (JSON text); nullopt: any
  std::vector<Expected> history;
  std::vector<durable_service::CallbackScript> callbacks;
  // Extra checks on the whole execution and the bootstrap's output (how many times a step body
  // ran, what was logged); returns the problems found.
  std::function<std::vector<std::string>(const durable_service::ExecutionSnapshot&,
                                         const std::string& output)>
      check;
};

// The suites, in requirement order ("step" holds 1-*, "wait" 2-*, ...).
std::vector<Scenario> StepScenarios();
std::vector<Scenario> WaitScenarios();
std::vector<Scenario> ChildScenarios();
std::vector<Scenario> CallbackScenarios();
std::vector<Scenario> InvokeScenarios();
std::vector<Scenario> ConditionScenarios();
std::vector<Scenario> WaitForCallbackScenarios();
std::vector<Scenario> ParallelScenarios();
std::vector<Scenario> MapScenarios();
// Not requirements: the workflows of the fault and scale tests (faults_test.cc).
std::vector<Scenario> FaultScenarios();
// Three steps (square-0..2, results 0, 1, 4) with a 30 s wait before the last; input: a tag
// string its bodies mark their runs with; result 5.
inline constexpr char kStepsAndWait[] = "steps-and-wait";

// Every scenario, built once.
const std::vector<Scenario>& AllScenarios();
const Scenario* FindScenario(std::string_view id);

// Helpers for workflows.
std::string Str(const durable::Json& json);  // a JSON string's value ("" otherwise)
durable::Json Quote(std::string_view text);  // text as a JSON string
template <typename T>
durable::Json Encode(const T& value) {
  return durable::Json{durable::EncodeJson(value)};
}
// Writes a line the test can count in the bootstrap's output ("body-run <marker>").
void MarkRun(std::string_view marker);
// How many lines of `output` contain `needle`.
int CountLines(const std::string& output, std::string_view needle);
// A Scenario::check: each needle appears on exactly its count of lines of the output
// (MarkRun(m)'s needle is "body-run m").
std::function<std::vector<std::string>(const durable_service::ExecutionSnapshot&,
                                       const std::string&)>
LinesExactly(std::vector<std::pair<std::string, int>> needles);

}  // namespace lmc::durable_testing
