// Conformance scenarios of the map suite (9-1 .. 9-20): each item runs in a MapIteration child
// context under one Map CONTEXT, or (9-12, FLAT nesting) logs its operations directly under it;
// most requirements use max-concurrency 1 so the order of events is fixed. See scenarios.h.

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/durable/scenarios.h"

namespace lmc::durable_testing {
namespace {

using durable::BatchItem;
using durable::BatchItemStatus;
using durable::BatchResult;
using durable::CompletionConfig;
using durable::DurableContext;
using durable::Failure;
using durable::Json;
using durable::MapOptions;
using durable::SerdesContext;
using durable_service::ExecutionStatus;
using durable_service::HistoryEvent;
using std::chrono::seconds;

Fields Parent(std::optional<std::string> name = std::nullopt) {
  return {.sub_type = "Map", .id = "$M", .name = std::move(name)};
}
Fields Iter(size_t i, std::function<std::string(const HistoryEvent&)> check = nullptr,
            std::optional<std::string> name = std::nullopt) {
  return {.sub_type = "MapIteration",
          .id = absl::StrCat("$I", i),
          .name = std::move(name),
          .parent = "$M",
          .check = std::move(check)};
}

// Iterations one after another (ContextStarted, then ContextSucceeded or ContextFailed), then
// the Map's ContextSucceeded and, unless `then_wait`, InvocationCompleted.
std::vector<Expected> Iterations(const std::vector<bool>& outcomes,
                                 const std::vector<std::string>& payloads = {}) {
  std::vector<Expected> out = {{2, "ContextStarted", Parent()}};
  int e = 3;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    out.push_back({e++, "ContextStarted", Iter(i)});
    out.push_back({e++, outcomes[i] ? "ContextSucceeded" : "ContextFailed",
                   Iter(i, i < payloads.size() ? ResultIs(payloads[i]) : nullptr)});
  }
  out.push_back({e++, "ContextSucceeded", Parent()});
  out.push_back({e, "InvocationCompleted"});
  return out;
}

template <typename T>
Json Projection(const BatchResult<T>& r, bool with_status, bool with_failures) {
  std::string out =
      R"({"completionReason":")" + std::string(durable::ToString(r.completion_reason())) + "\"";
  if (with_status) {
    absl::StrAppend(&out, R"(,"status":")", r.has_failure() ? "FAILED" : "SUCCEEDED", "\"");
  }
  absl::StrAppend(&out, R"(,"successCount":)", r.success_count());
  if (with_failures) absl::StrAppend(&out, R"(,"failureCount":)", r.failure_count());
  absl::StrAppend(&out, R"(,"totalCount":)", r.total_count(), "}");
  return Json{out};
}

// Items that succeed ("ok") or fail per the pattern.
Scenario Policy(std::string id, std::vector<bool> pattern, size_t ran, CompletionConfig completion,
                std::string result, bool with_status = true, bool with_failures = true) {
  std::vector<bool> run(pattern.begin(), pattern.begin() + static_cast<ptrdiff_t>(ran));
  return Scenario{.id = id,
                  .input = "null",
                  .workflow =
                      [=](DurableContext& ctx, const Json&) {
                        return Projection(
                            ctx.Map(
                                "policy", pattern,
                                [](DurableContext&, const bool& ok) -> std::string {
                                  if (!ok) throw Failure("Item.Failed", "item failed");
                                  return "ok";
                                },
                                MapOptions<bool>{.max_concurrency = 1, .completion = completion}),
                            with_status, with_failures);
                      },
                  .result = std::move(result),
                  .history = Iterations(run)};
}

void AddMapBasics(std::vector<Scenario>& out) {
  out.push_back({.id = "9-1",
                 .input = R"(["World","Kiro"])",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       const std::vector<std::string> items = {"World", "Kiro"};
                       return Encode(ctx.Map(
                                            "map", items,
                                            [](DurableContext& it, const std::string& item) {
                                              return it.Step(
                                                  "", [&] { return "Hello, " + item + "!"; });
                                            },
                                            MapOptions<std::string>{.max_concurrency = 1})
                                         .Results());
                     },
                 .result = R"(["Hello, World!","Hello, Kiro!"])",
                 .history = {{2, "ContextStarted", Parent()},
                             {3, "ContextStarted", Iter(0)},
                             {4, "StepStarted", {.sub_type = "Step", .id = "$S0", .parent = "$I0"}},
                             {5,
                              "StepSucceeded",
                              {.sub_type = "Step",
                               .id = "$S0",
                               .parent = "$I0",
                               .check = ResultIs(R"("Hello, World!")")}},
                             {6, "ContextSucceeded", Iter(0, ResultIs(R"("Hello, World!")"))},
                             {7, "ContextStarted", Iter(1)},
                             {8, "StepStarted", {.sub_type = "Step", .id = "$S1", .parent = "$I1"}},
                             {9,
                              "StepSucceeded",
                              {.sub_type = "Step",
                               .id = "$S1",
                               .parent = "$I1",
                               .check = ResultIs(R"("Hello, Kiro!")")}},
                             {10, "ContextSucceeded", Iter(1, ResultIs(R"("Hello, Kiro!")"))},
                             {11, "ContextSucceeded", Parent()},
                             {12, "InvocationCompleted"}}});
  out.push_back({.id = "9-2",
                 .input = "[1,2]",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       const std::vector<int64_t> items = {1, 2};
                       return Encode(ctx.Map(
                                            "", items,
                                            [](DurableContext&, const int64_t& n) { return 2 * n; },
                                            MapOptions<int64_t>{.max_concurrency = 1})
                                         .Results());
                     },
                 .result = "[2,4]",
                 .history = Iterations({true, true}, {"2", "4"})});
  out.push_back({.id = "9-3",
                 .input = "[10,20,30]",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       const std::vector<int64_t> items = {10, 20, 30};
                       return Encode(ctx.Map(
                                            "indexed", items,
                                            [](DurableContext&, const int64_t& n, size_t i) {
                                              return n + static_cast<int64_t>(i);
                                            },
                                            MapOptions<int64_t>{.max_concurrency = 1})
                                         .Results());
                     },
                 .result = "[10,21,32]",
                 .history = Iterations({true, true, true}, {"10", "21", "32"})});
  out.push_back({.id = "9-4",
                 .input = "[]",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       const std::vector<int64_t> none;
                       return Encode(ctx.Map("empty", none,
                                             [](DurableContext&, const int64_t& n) { return n; })
                                         .Results());
                     },
                 .result = "[]",
                 .history = {{2, "ContextStarted", Parent()},
                             {3, "ContextSucceeded", Parent()},
                             {4, "InvocationCompleted"}}});
}

void AddMapPolicies(std::vector<Scenario>& out) {
  out.push_back(Policy(
      "9-5", {true, false, true}, 2, {.tolerated_failure_count = 0},
      R"({"completionReason":"FAILURE_TOLERANCE_EXCEEDED","status":"FAILED","successCount":1,"failureCount":1,"totalCount":2})"));
  out.push_back({.id = "9-6",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       const std::vector<bool> items = {false, true};
                       ctx.Map(
                              "throwing", items,
                              [](DurableContext&, const bool& ok) -> std::string {
                                if (!ok) throw Failure("Item.Failed", "item failed");
                                return "ok";
                              },
                              MapOptions<bool>{.max_concurrency = 1,
                                               .completion = {.tolerated_failure_count = 0}})
                           .ThrowIfError();
                       return Json{"null"};
                     },
                 .status = ExecutionStatus::kFailed,
                 .history = {{2, "ContextStarted", Parent()},
                             {3, "ContextStarted", Iter(0)},
                             {4, "ContextFailed", Iter(0)},
                             {5, "ContextSucceeded", Parent()},
                             {6, "InvocationCompleted"},
                             {7, "ExecutionFailed"}}});
  out.push_back(
      Policy("9-7", {true, true, true, true}, 2, {.min_successful = 2},
             R"({"completionReason":"MIN_SUCCESSFUL_REACHED","successCount":2,"totalCount":2})",
             false, false));
  out.push_back(Policy(
      "9-8", {true, false, true}, 3, {.tolerated_failure_count = 1},
      R"({"completionReason":"ALL_COMPLETED","status":"FAILED","successCount":2,"failureCount":1,"totalCount":3})"));
  out.push_back(Policy(
      "9-9", {false, false, true}, 2, {.tolerated_failure_count = 1},
      R"({"completionReason":"FAILURE_TOLERANCE_EXCEEDED","successCount":0,"failureCount":2,"totalCount":2})",
      false));
  out.push_back(Policy(
      "9-10", {false, false, true, true}, 2, {.tolerated_failure_percentage = 25},
      R"({"completionReason":"FAILURE_TOLERANCE_EXCEEDED","successCount":0,"failureCount":2,"totalCount":2})",
      false));
}

void AddMapOthers(std::vector<Scenario>& out) {
  out.push_back({.id = "9-11",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       const std::vector<std::string> items = {"r0", "r1", "r2"};
                       return Encode(ctx.Map(
                                            "concurrent", items,
                                            [](DurableContext&, const std::string& s) { return s; },
                                            MapOptions<std::string>{.max_concurrency = 2})
                                         .Results());
                     },
                 .result = R"(["r0","r1","r2"])",
                 .history = {{2, "ContextStarted", Parent()}}});
  // 9-12: FLAT nesting: no MapIteration context; each item's step is logged directly under the
  // Map context.
  out.push_back(
      {.id = "9-12",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             const std::vector<std::string> items = {"fa", "fb"};
             return Encode(ctx.Map(
                                  "flat", items,
                                  [](DurableContext& it, const std::string& item) {
                                    return it.Step("", [&] { return item; });
                                  },
                                  MapOptions<std::string>{.max_concurrency = 1,
                                                          .nesting = durable::NestingType::kFlat})
                               .Results());
           },
       .result = R"(["fa","fb"])",
       .history = {
           {2, "ContextStarted", {.sub_type = "Map", .id = "$M", .parent = "-"}},
           {3, "StepStarted", {.sub_type = "Step", .id = "$S0", .parent = "$M"}},
           {4,
            "StepSucceeded",
            {.sub_type = "Step", .id = "$S0", .parent = "$M", .check = ResultIs(R"("fa")")}},
           {5, "StepStarted", {.sub_type = "Step", .id = "$S1", .parent = "$M"}},
           {6,
            "StepSucceeded",
            {.sub_type = "Step", .id = "$S1", .parent = "$M", .check = ResultIs(R"("fb")")}},
           {7, "ContextSucceeded", {.sub_type = "Map", .id = "$M", .parent = "-"}},
           {8, "InvocationCompleted"}}});
  out.push_back({.id = "9-13",
                 .input = "[1,2]",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       const std::vector<int64_t> items = {1, 2};
                       return Encode(
                           ctx.Map(
                                  "named-items", items,
                                  [](DurableContext&, const int64_t& n) { return 10 * n; },
                                  MapOptions<int64_t>{.max_concurrency = 1,
                                                      .item_namer =
                                                          [](const int64_t& n, size_t) {
                                                            return "item-" + std::to_string(n);
                                                          }})
                               .Results());
                     },
                 .result = "[10,20]",
                 .history = {{2, "ContextStarted", Parent("named-items")},
                             {3, "ContextStarted", Iter(0, nullptr, "item-1")},
                             {4, "ContextSucceeded", Iter(0, ResultIs("10"), "item-1")},
                             {5, "ContextStarted", Iter(1, nullptr, "item-2")},
                             {6, "ContextSucceeded", Iter(1, ResultIs("20"), "item-2")},
                             {7, "ContextSucceeded", Parent("named-items")},
                             {8, "InvocationCompleted"}}});
  // 9-14: a per-item serializer written by the workflow: the logged text is "wrapped:X".
  out.push_back({.id = "9-14",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       const std::vector<std::string> items = {"x", "y"};
                       BatchResult<Json> r = ctx.Map(
                           "serdes", items,
                           [](DurableContext&, const std::string& s) {
                             return Json{"wrapped:" + absl::AsciiStrToUpper(s)};
                           },
                           MapOptions<std::string>{.max_concurrency = 1});
                       std::vector<std::string> values;
                       for (const Json& j : r.Results()) values.push_back(j.text.substr(8));
                       return Encode(values);
                     },
                 .result = R"(["X","Y"])",
                 .history = Iterations({true, true}, {"wrapped:X", "wrapped:Y"})});
  out.push_back(
      {.id = "9-15",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             const std::vector<std::string> items = {"r0", "r1"};
             return Encode(ctx.Map(
                                  "suspend", items,
                                  [](DurableContext& it, const std::string& s, size_t i) {
                                    if (i == 1) it.Wait("", seconds(1));
                                    return it.Step("", [&] { return s; });
                                  },
                                  MapOptions<std::string>{.max_concurrency = 1})
                               .Results());
           },
       .result = R"(["r0","r1"])",
       .history = {
           {2, "ContextStarted", Parent()},
           {3, "ContextStarted", Iter(0)},
           {4, "StepStarted", {.id = "$S0", .parent = "$I0"}},
           {5, "StepSucceeded", {.id = "$S0", .parent = "$I0", .check = ResultIs(R"("r0")")}},
           {6, "ContextSucceeded", Iter(0, ResultIs(R"("r0")"))},
           {7, "ContextStarted", Iter(1)},
           {8, "WaitStarted", {.id = "$W", .parent = "$I1", .check = DurationIs(1)}},
           {9, "InvocationCompleted"},
           {10, "WaitSucceeded", {.id = "$W", .parent = "$I1", .check = DurationIs(1)}},
           {11, "StepStarted", {.id = "$S1", .parent = "$I1"}},
           {12, "StepSucceeded", {.id = "$S1", .parent = "$I1", .check = ResultIs(R"("r1")")}},
           {13, "ContextSucceeded", Iter(1, ResultIs(R"("r1")"))},
           {14, "ContextSucceeded", Parent()},
           {15, "InvocationCompleted"}}});
  out.push_back({.id = "9-16",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       const std::vector<int64_t> items = {0, 1, 2, 3};
                       BatchResult<std::string> r = ctx.Map(
                           "large", items,
                           [](DurableContext&, const int64_t& i) {
                             return std::string(100 * 1024, static_cast<char>('a' + i));
                           },
                           MapOptions<int64_t>{.max_concurrency = 1});
                       return Json{absl::StrCat(R"({"successCount":)", r.success_count(),
                                                R"(,"totalCount":)", r.total_count(), "}")};
                     },
                 .result = R"({"successCount":4,"totalCount":4})",
                 .history = Iterations({true, true, true, true})});
  auto then_wait = [](std::string id, std::vector<bool> pattern, std::string result,
                      CompletionConfig completion) {
    Scenario s{.id = id,
               .input = "null",
               .workflow =
                   [=](DurableContext& ctx, const Json&) {
                     BatchResult<std::string> r = ctx.Map(
                         "then-wait", pattern,
                         [](DurableContext&, const bool& ok) -> std::string {
                           if (!ok) throw Failure("Item.Failed", "item failed");
                           return "ok";
                         },
                         MapOptions<bool>{.max_concurrency = 1, .completion = completion});
                     ctx.Wait("", seconds(1));
                     return Projection(r, true, true);
                   },
               .result = std::move(result),
               .history = Iterations(pattern)};
    const int end = s.history.back().event_id;
    s.history.pop_back();
    s.history.push_back({end, "WaitStarted", {.id = "$W", .check = DurationIs(1)}});
    s.history.push_back({end + 1, "InvocationCompleted"});
    s.history.push_back({end + 2, "WaitSucceeded", {.id = "$W", .check = DurationIs(1)}});
    s.history.push_back({end + 3, "InvocationCompleted"});
    return s;
  };
  Scenario upper = then_wait("9-17", {true, true}, R"(["A","B"])", {});
  upper.workflow = [](DurableContext& ctx, const Json&) {
    const std::vector<std::string> items = {"a", "b"};
    BatchResult<std::string> r = ctx.Map(
        "then-wait", items,
        [](DurableContext&, const std::string& s) { return absl::AsciiStrToUpper(s); },
        MapOptions<std::string>{.max_concurrency = 1});
    ctx.Wait("", seconds(1));
    return Encode(r.Results());
  };
  upper.history[2].fields.check = ResultIs(R"("A")");
  out.push_back(std::move(upper));
  out.push_back(then_wait(
      "9-18", {true, false},
      R"({"completionReason":"ALL_COMPLETED","status":"FAILED","successCount":1,"failureCount":1,"totalCount":2})",
      {.tolerated_failure_count = 1}));
}

// The operation-level serdes of 9-19 and 9-20: the whole batch of strings as "OPSERDE:" and its
// results joined by commas (not JSON), read back into a batch whose items all succeeded.
durable::Serdes JoinedResults() {
  return durable::TypedBatchSerdes<std::string>(
      [](const BatchResult<std::string>& batch, const SerdesContext&) {
        return "OPSERDE:" + absl::StrJoin(batch.Results(), ",");
      },
      [](std::string_view payload, const SerdesContext&) {
        constexpr std::string_view kPrefix = "OPSERDE:";
        if (payload.substr(0, kPrefix.size()) != kPrefix) {
          throw std::invalid_argument("not an OPSERDE payload");
        }
        std::vector<BatchItem<std::string>> items;
        for (absl::string_view value :
             absl::StrSplit(absl::string_view(payload.data() + kPrefix.size(),
                                              payload.size() - kPrefix.size()),
                            ',')) {
          items.push_back({items.size(), BatchItemStatus::kSucceeded, std::string(value), {}});
        }
        return BatchResult<std::string>(std::move(items), durable::CompletionReason::kAllCompleted);
      });
}

// Map over {"x","y"} uppercasing each item (default per-item payloads), the whole result logged
// through JoinedResults(); `then_wait`: a 1 s wait after the map, so the result is read back from
// the log by a replay. Each item body prints "body-run <id> item".
Scenario JoinedResultsMap(std::string id, bool then_wait) {
  Scenario s{.id = id,
             .input = "null",
             .workflow =
                 [=](DurableContext& ctx, const Json&) {
                   const std::vector<std::string> items = {"x", "y"};
                   BatchResult<std::string> r = ctx.Map(
                       then_wait ? "op-serde-replay" : "op-serde", items,
                       [&](DurableContext&, const std::string& item) {
                         MarkRun(id + " item");
                         return absl::AsciiStrToUpper(item);
                       },
                       MapOptions<std::string>{.max_concurrency = 1, .serdes = JoinedResults()});
                   if (then_wait) ctx.Wait("", seconds(1));
                   return Encode(r.Results());
                 },
             .result = R"(["X","Y"])",
             .history = Iterations({true, true}),
             // Items run once: a replay reads the whole result back through the serdes.
             .check = LinesExactly({{"body-run " + id + " item", 2}})};
  const int end = s.history.back().event_id;
  s.history[s.history.size() - 2].fields.check = ResultIs("OPSERDE:X,Y");
  if (then_wait) {
    s.history.pop_back();
    s.history.push_back({end, "WaitStarted", {.id = "$W", .parent = "-", .check = DurationIs(1)}});
    s.history.push_back({end + 1, "InvocationCompleted"});
    s.history.push_back(
        {end + 2, "WaitSucceeded", {.id = "$W", .parent = "-", .check = DurationIs(1)}});
    s.history.push_back({end + 3, "InvocationCompleted"});
  }
  return s;
}

void AddMapSerdes(std::vector<Scenario>& out) {
  out.push_back(JoinedResultsMap("9-19", false));
  out.push_back(JoinedResultsMap("9-20", true));
}

}  // namespace

std::vector<Scenario> MapScenarios() {
  std::vector<Scenario> out;
  AddMapBasics(out);
  AddMapPolicies(out);
  AddMapOthers(out);
  AddMapSerdes(out);
  return out;
}

}  // namespace lmc::durable_testing
