// Conformance scenarios of the parallel suite (8-1 .. 8-22): branches run as ParallelBranch child
// contexts under one Parallel CONTEXT, or (8-12, FLAT nesting) log their operations directly
// under it; most requirements use max-concurrency 1 so the order of events is fixed. The map
// suite is in scenarios_map.cc. See scenarios.h.

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tests/durable/scenarios.h"

namespace lmc::durable_testing {
namespace {

using durable::BatchResult;
using durable::Branch;
using durable::CompletionConfig;
using durable::DurableContext;
using durable::Failure;
using durable::Json;
using durable_service::ExecutionStatus;
using durable_service::HistoryEvent;
using std::chrono::seconds;

// The batch result's projection the requirements return.
template <typename T>
Json Projection(const BatchResult<T>& r, bool with_status = true, bool with_failures = true) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("completionReason").String(durable::ToString(r.completion_reason()));
  if (with_status) w.Key("status").String(r.has_failure() ? "FAILED" : "SUCCEEDED");
  w.Key("successCount").Int(static_cast<int64_t>(r.success_count()));
  if (with_failures) w.Key("failureCount").Int(static_cast<int64_t>(r.failure_count()));
  w.Key("totalCount").Int(static_cast<int64_t>(r.total_count())).EndObject();
  return Json{out};
}
template <typename T>
Json ResultsArray(const BatchResult<T>& r) {
  return Encode(r.Results());
}

Fields Parent(const char* sub_type) { return {.sub_type = sub_type, .id = "$P"}; }
Fields Item(const char* sub_type, int i,
            std::function<std::string(const HistoryEvent&)> check = nullptr) {
  return {
      .sub_type = sub_type, .id = absl::StrCat("$B", i), .parent = "$P", .check = std::move(check)};
}

// The events of branches run one after another, each only ContextStarted then
// ContextSucceeded (true) or ContextFailed (false), from event `first`; then the parent's
// ContextSucceeded and InvocationCompleted.
std::vector<Expected> Sequential(const char* parent, const char* item,
                                 const std::vector<bool>& outcomes,
                                 std::vector<std::optional<std::string>> payloads = {}) {
  std::vector<Expected> out = {{2, "ContextStarted", Parent(parent)}};
  int e = 3;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    out.push_back({e++, "ContextStarted", Item(item, static_cast<int>(i))});
    std::function<std::string(const HistoryEvent&)> check;
    if (i < payloads.size() && payloads[i]) check = ResultIs(*payloads[i]);
    out.push_back({e++, outcomes[i] ? "ContextSucceeded" : "ContextFailed",
                   Item(item, static_cast<int>(i), check)});
  }
  out.push_back({e++, "ContextSucceeded", Parent(parent)});
  out.push_back({e, "InvocationCompleted"});
  return out;
}

// Branches that succeed ("ok") or fail, per the pattern, returning strings.
std::vector<Branch<std::string>> Outcomes(const std::vector<bool>& pattern) {
  std::vector<Branch<std::string>> out;
  for (bool ok : pattern) {
    out.emplace_back([ok](DurableContext&) -> std::string {
      if (!ok) throw Failure("Branch.Failed", "branch failed");
      return "ok";
    });
  }
  return out;
}

Scenario Policy(std::string id, std::vector<bool> pattern, size_t ran, CompletionConfig completion,
                std::string result, bool with_status = true, bool with_failures = true) {
  std::vector<bool> run(pattern.begin(), pattern.begin() + static_cast<ptrdiff_t>(ran));
  return Scenario{.id = id,
                  .input = "null",
                  .workflow =
                      [=](DurableContext& ctx, const Json&) {
                        return Projection(ctx.Parallel<std::string>(
                                              "policy", Outcomes(pattern),
                                              {.max_concurrency = 1, .completion = completion}),
                                          with_status, with_failures);
                      },
                  .result = std::move(result),
                  .history = Sequential("Parallel", "ParallelBranch", run)};
}

void AddParallelBasics(std::vector<Scenario>& out) {
  out.push_back(
      {.id = "8-1",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             std::vector<Branch<std::string>> branches;
             for (std::string task : {"task-1", "task-2"}) {
               branches.emplace_back(
                   [task](DurableContext& b) { return b.Step("", [&] { return task; }); });
             }
             return ResultsArray(
                 ctx.Parallel<std::string>("parallel", branches, {.max_concurrency = 1}));
           },
       .result = R"(["task-1","task-2"])",
       .history = {
           {2, "ContextStarted", Parent("Parallel")},
           {3, "ContextStarted", Item("ParallelBranch", 1)},
           {4, "StepStarted", {.sub_type = "Step", .id = "$S1", .parent = "$B1"}},
           {5,
            "StepSucceeded",
            {.sub_type = "Step", .id = "$S1", .parent = "$B1", .check = ResultIs(R"("task-1")")}},
           {6, "ContextSucceeded", Item("ParallelBranch", 1, ResultIs(R"("task-1")"))},
           {7, "ContextStarted", Item("ParallelBranch", 2)},
           {8, "StepStarted", {.sub_type = "Step", .id = "$S2", .parent = "$B2"}},
           {9,
            "StepSucceeded",
            {.sub_type = "Step", .id = "$S2", .parent = "$B2", .check = ResultIs(R"("task-2")")}},
           {10, "ContextSucceeded", Item("ParallelBranch", 2, ResultIs(R"("task-2")"))},
           {11, "ContextSucceeded", Parent("Parallel")},
           {12, "InvocationCompleted"}}});
  out.push_back({.id = "8-2",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       return ResultsArray(ctx.Parallel<std::string>(
                           "",
                           {[](DurableContext&) { return std::string("alpha"); },
                            [](DurableContext&) { return std::string("beta"); }},
                           {.max_concurrency = 1}));
                     },
                 .result = R"(["alpha","beta"])",
                 .history = Sequential("Parallel", "ParallelBranch", {true, true},
                                       {R"("alpha")", R"("beta")"})});
  out.push_back({.id = "8-3",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       return ResultsArray(ctx.Parallel<std::string>(
                           "named",
                           {{"first", [](DurableContext&) { return std::string("one"); }},
                            {"second", [](DurableContext&) { return std::string("two"); }}},
                           {.max_concurrency = 1}));
                     },
                 .result = R"(["one","two"])",
                 .history = Sequential("Parallel", "ParallelBranch", {true, true},
                                       {R"("one")", R"("two")"})});
  out.push_back({.id = "8-4",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       return ResultsArray(ctx.Parallel<Json>(
                           "hetero",
                           {[](DurableContext&) { return Json{R"("hello")"}; },
                            [](DurableContext&) { return Json{"42"}; },
                            [](DurableContext&) { return Json{R"({"k":"v"})"}; }},
                           {.max_concurrency = 1}));
                     },
                 .result = R"(["hello",42,{"k":"v"}])",
                 .history = Sequential("Parallel", "ParallelBranch", {true, true, true},
                                       {R"("hello")", "42"})});
  out.push_back(
      {.id = "8-5",
       .input = "null",
       .workflow = [](DurableContext& ctx,
                      const Json&) { return ResultsArray(ctx.Parallel<std::string>("empty", {})); },
       .result = "[]",
       .history = {{2, "ContextStarted", Parent("Parallel")},
                   {3, "ContextSucceeded", Parent("Parallel")},
                   {4, "InvocationCompleted"}}});
}

void AddParallelPolicies(std::vector<Scenario>& out) {
  out.push_back(Policy(
      "8-6", {true, false, true}, 2, {.tolerated_failure_count = 0},
      R"({"completionReason":"FAILURE_TOLERANCE_EXCEEDED","status":"FAILED","successCount":1,"failureCount":1,"totalCount":2})"));
  out.push_back({.id = "8-7",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       ctx.Parallel<std::string>(
                              "throwing", Outcomes({false, true}),
                              {.max_concurrency = 1, .completion = {.tolerated_failure_count = 0}})
                           .ThrowIfError();
                       return Json{"null"};
                     },
                 .status = ExecutionStatus::kFailed,
                 .history = {{2, "ContextStarted", Parent("Parallel")},
                             {3, "ContextStarted", Item("ParallelBranch", 0)},
                             {4, "ContextFailed", Item("ParallelBranch", 0)},
                             {5, "ContextSucceeded", Parent("Parallel")},
                             {6, "InvocationCompleted"},
                             {7, "ExecutionFailed"}}});
  out.push_back(
      Policy("8-8", {true, true, true, true}, 2, {.min_successful = 2},
             R"({"completionReason":"MIN_SUCCESSFUL_REACHED","successCount":2,"totalCount":2})",
             false, false));
  out.push_back(Policy(
      "8-9", {true, false, true}, 3, {.tolerated_failure_count = 1},
      R"({"completionReason":"ALL_COMPLETED","status":"FAILED","successCount":2,"failureCount":1,"totalCount":3})"));
  out.push_back(Policy(
      "8-10", {false, false, true}, 2, {.tolerated_failure_count = 1},
      R"({"completionReason":"FAILURE_TOLERANCE_EXCEEDED","successCount":0,"failureCount":2,"totalCount":2})",
      false));
  out.push_back(Policy(
      "8-13", {false, false, true, true}, 2, {.tolerated_failure_percentage = 25},
      R"({"completionReason":"FAILURE_TOLERANCE_EXCEEDED","successCount":0,"failureCount":2,"totalCount":2})",
      false));
  out.push_back(Policy(
      "8-16", {false, false, false}, 3, {.tolerated_failure_count = 3},
      R"({"completionReason":"ALL_COMPLETED","status":"FAILED","successCount":0,"failureCount":3,"totalCount":3})"));
  out.push_back(Policy(
      "8-17", {true, false, true}, 3, {.min_successful = 3},
      R"({"completionReason":"ALL_COMPLETED","status":"FAILED","successCount":2,"failureCount":1,"totalCount":3})"));
  out.push_back(Policy(
      "8-18", {false, false, true, true}, 2, {.min_successful = 3, .tolerated_failure_count = 1},
      R"({"completionReason":"FAILURE_TOLERANCE_EXCEEDED","successCount":0,"failureCount":2,"totalCount":2})",
      false));
  out.push_back(Policy(
      "8-22", {false, true, true, true}, 4, {.tolerated_failure_percentage = 25},
      R"({"completionReason":"ALL_COMPLETED","status":"FAILED","successCount":3,"failureCount":1,"totalCount":4})"));
}

void AddParallelOthers(std::vector<Scenario>& out) {
  out.push_back({.id = "8-11",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       std::vector<Branch<std::string>> branches;
                       for (std::string r : {"r0", "r1", "r2"}) {
                         branches.emplace_back([r](DurableContext&) { return r; });
                       }
                       return ResultsArray(ctx.Parallel<std::string>("concurrent", branches,
                                                                     {.max_concurrency = 2}));
                     },
                 .result = R"(["r0","r1","r2"])",
                 .history = {{2, "ContextStarted", Parent("Parallel")}}});
  // 8-12: FLAT nesting: no ParallelBranch context; each branch's step is logged directly under
  // the Parallel context.
  out.push_back(
      {.id = "8-12",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             return ResultsArray(ctx.Parallel<std::string>(
                 "flat",
                 {[](DurableContext& b) { return b.Step("", [] { return std::string("fa"); }); },
                  [](DurableContext& b) { return b.Step("", [] { return std::string("fb"); }); }},
                 {.max_concurrency = 1, .nesting = durable::NestingType::kFlat}));
           },
       .result = R"(["fa","fb"])",
       .history = {
           {2, "ContextStarted", {.sub_type = "Parallel", .id = "$P", .parent = "-"}},
           {3, "StepStarted", {.sub_type = "Step", .id = "$S1", .parent = "$P"}},
           {4,
            "StepSucceeded",
            {.sub_type = "Step", .id = "$S1", .parent = "$P", .check = ResultIs(R"("fa")")}},
           {5, "StepStarted", {.sub_type = "Step", .id = "$S2", .parent = "$P"}},
           {6,
            "StepSucceeded",
            {.sub_type = "Step", .id = "$S2", .parent = "$P", .check = ResultIs(R"("fb")")}},
           {7, "ContextSucceeded", {.sub_type = "Parallel", .id = "$P", .parent = "-"}},
           {8, "InvocationCompleted"}}});
  out.push_back(
      {.id = "8-14",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             return ResultsArray(ctx.Parallel<std::string>(
                 "replay",
                 {[](DurableContext& b) { return b.Step("", [] { return std::string("b0"); }); },
                  [](DurableContext& b) {
                    b.Wait("", seconds(2));
                    return std::string("b1");
                  }},
                 {.max_concurrency = 1}));
           },
       .result = R"(["b0","b1"])",
       .history = {
           {2, "ContextStarted", Parent("Parallel")},
           {3, "ContextStarted", Item("ParallelBranch", 1)},
           {4, "StepStarted", {.id = "$S", .parent = "$B1"}},
           {5, "StepSucceeded", {.id = "$S", .parent = "$B1", .check = ResultIs(R"("b0")")}},
           {6, "ContextSucceeded", Item("ParallelBranch", 1, ResultIs(R"("b0")"))},
           {7, "ContextStarted", Item("ParallelBranch", 2)},
           {8, "WaitStarted", {.id = "$W", .parent = "$B2", .check = DurationIs(2)}},
           {9, "InvocationCompleted"},
           {10, "WaitSucceeded", {.id = "$W", .parent = "$B2", .check = DurationIs(2)}},
           {11, "ContextSucceeded", Item("ParallelBranch", 2, ResultIs(R"("b1")"))},
           {12, "ContextSucceeded", Parent("Parallel")},
           {13, "InvocationCompleted"},
           {14, "ExecutionSucceeded"}}});
  // 8-15: a per-branch serializer written by the workflow (Json carries its own text).
  out.push_back({.id = "8-15",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       BatchResult<Json> r = ctx.Parallel<Json>(
                           "serde",
                           {[](DurableContext&) { return Json{R"({"wrapped":"x"})"}; },
                            [](DurableContext&) { return Json{R"({"wrapped":"y"})"}; }},
                           {.max_concurrency = 1});
                       std::vector<std::string> unwrapped;
                       for (const Json& j : r.Results()) unwrapped.push_back(j.text.substr(12, 1));
                       return Encode(unwrapped);
                     },
                 .result = R"(["x","y"])",
                 .history = Sequential("Parallel", "ParallelBranch", {true, true},
                                       {R"({"wrapped":"x"})", R"({"wrapped":"y"})"})});
  out.push_back({.id = "8-19",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       return ResultsArray(ctx.Parallel<std::string>(
                           "bad-concurrency", Outcomes({true, true}), {.max_concurrency = 0}));
                     },
                 .status = ExecutionStatus::kFailed,
                 .history = {{2, "InvocationCompleted"}, {3, "ExecutionFailed"}}});
  out.push_back(
      {.id = "8-20",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             BatchResult<std::string> r = ctx.Parallel<std::string>(
                 "accessors", Outcomes({true, false, true}),
                 {.max_concurrency = 1, .completion = {.tolerated_failure_count = 1}});
             return Json{absl::StrCat(R"({"hasFailure":)", r.has_failure() ? "true" : "false",
                                      R"(,"successCount":)", r.Results().size(),
                                      R"(,"failureCount":)", r.failure_count(), R"(,"errorCount":)",
                                      r.Errors().size(), "}")};
           },
       .result = R"({"hasFailure":true,"successCount":2,"failureCount":1,"errorCount":1})",
       .history = Sequential("Parallel", "ParallelBranch", {true, false, true})});
  out.push_back(
      {.id = "8-21",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             BatchResult<std::vector<std::string>> outer = ctx.Parallel<std::vector<std::string>>(
                 "outer", {[](DurableContext& a) {
                   std::vector<Branch<std::string>> inner;
                   for (std::string v : {"i1", "i2"}) {
                     inner.emplace_back(
                         [v](DurableContext& b) { return b.Step("", [&] { return v; }); });
                   }
                   return a.Parallel<std::string>("inner", inner, {.max_concurrency = 1}).Results();
                 }},
                 {.max_concurrency = 1});
             return ResultsArray(outer);
           },
       .result = R"([["i1","i2"]])",
       .history = {
           {2, "ContextStarted", {.sub_type = "Parallel", .id = "$PO", .parent = "-"}},
           {3, "ContextStarted", {.sub_type = "ParallelBranch", .id = "$BA", .parent = "$PO"}},
           {4, "ContextStarted", {.sub_type = "Parallel", .id = "$PI", .parent = "$BA"}},
           {5, "ContextStarted", {.sub_type = "ParallelBranch", .id = "$I1", .parent = "$PI"}},
           {6, "StepStarted", {.sub_type = "Step", .id = "$S1", .parent = "$I1"}},
           {7, "StepSucceeded", {.sub_type = "Step", .id = "$S1", .parent = "$I1"}},
           {8, "ContextSucceeded", {.sub_type = "ParallelBranch", .id = "$I1", .parent = "$PI"}},
           {9, "ContextStarted", {.sub_type = "ParallelBranch", .id = "$I2", .parent = "$PI"}},
           {10, "StepStarted", {.sub_type = "Step", .id = "$S2", .parent = "$I2"}},
           {11, "StepSucceeded", {.sub_type = "Step", .id = "$S2", .parent = "$I2"}},
           {12, "ContextSucceeded", {.sub_type = "ParallelBranch", .id = "$I2", .parent = "$PI"}},
           {13, "ContextSucceeded", {.sub_type = "Parallel", .id = "$PI", .parent = "$BA"}},
           {14, "ContextSucceeded", {.sub_type = "ParallelBranch", .id = "$BA", .parent = "$PO"}},
           {15, "ContextSucceeded", {.sub_type = "Parallel", .id = "$PO", .parent = "-"}},
           {16, "InvocationCompleted"}}});
}

}  // namespace

std::vector<Scenario> ParallelScenarios() {
  std::vector<Scenario> out;
  AddParallelBasics(out);
  AddParallelPolicies(out);
  AddParallelOthers(out);
  return out;
}

}  // namespace lmc::durable_testing
