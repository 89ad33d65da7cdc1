// Conformance scenarios of the invoke suite (5-1 .. 5-16: chained invokes of the echo-target
// and fail-target durable functions) and the wait-for-condition suite (6-1 .. 6-13). See
// scenarios.h.

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "tests/durable/scenarios.h"

namespace lmc::durable_testing {
namespace {

using durable::DurableContext;
using durable::Failure;
using durable::InvokeError;
using durable::Json;
using durable::WaitDecision;
using durable::WaitForConditionOptions;
using durable_service::ExecutionStatus;
using durable_service::HistoryEvent;
using std::chrono::seconds;

// ChainedInvokeStarted carries FunctionName, Input, ExecutedVersion and the target's execution.
std::function<std::string(const HistoryEvent&)> Started(
    std::optional<std::string> input = std::nullopt,
    std::optional<std::string> tenant = std::nullopt) {
  return [=](const HistoryEvent& e) -> std::string {
    const auto& d = e.details;
    if (!d.function_name || !d.executed_version || !d.durable_execution_arn) {
      return "FunctionName, ExecutedVersion or DurableExecutionArn missing";
    }
    if (input && d.input != input) return "Input is " + d.input.value_or("<none>");
    if (tenant && d.tenant_id != tenant) return "TenantId is " + d.tenant_id.value_or("<none>");
    return "";
  };
}
Fields Invoke(std::string id, std::optional<std::string> name = std::nullopt,
              std::string parent = "",
              std::function<std::string(const HistoryEvent&)> check = nullptr) {
  return {.id = std::move(id),
          .name = std::move(name),
          .parent = std::move(parent),
          .check = std::move(check)};
}

// The common shape: started, suspended, answered, then the invocation ends.
std::vector<Expected> OneInvoke(std::function<std::string(const HistoryEvent&)> started,
                                const char* answered,
                                std::function<std::string(const HistoryEvent&)> answer = nullptr,
                                std::optional<std::string> name = std::nullopt) {
  return {{2, "ChainedInvokeStarted", Invoke("$I", name, "", std::move(started))},
          {3, "InvocationCompleted"},
          {4, answered, Invoke("$I", name, "", std::move(answer))},
          {5, "InvocationCompleted"}};
}

Json Echo(DurableContext& ctx, const Json& payload, durable::InvokeOptions options = {}) {
  return ctx.Invoke<Json>("", kEchoFunction, payload, options);
}

struct NamedPayload {
  std::string name;
  std::string payload;
};
void DescribeJson(JsonFields& f, NamedPayload& p) {
  f.Optional("name", p.name);
  f.Optional("payload", p.payload);
}
struct TenantPayload {
  std::string tenant_id;
  std::string payload;
};
void DescribeJson(JsonFields& f, TenantPayload& p) {
  f.Required("tenantId", p.tenant_id);
  f.Required("payload", p.payload);
}

void AddInvokes(std::vector<Scenario>& out) {
  out.push_back({.id = "5-1",
                 .input = R"("Iv5a0001")",
                 .workflow = [](DurableContext& ctx, const Json& in) { return Echo(ctx, in); },
                 .result = R"("Iv5a0001")",
                 .history = OneInvoke(Started(R"("Iv5a0001")"), "ChainedInvokeSucceeded",
                                      ResultIs(R"("Iv5a0001")"))});
  out.push_back({.id = "5-2",
                 .input = R"({"name":"Nm5b02","payload":"Iv5b0002"})",
                 .workflow =
                     [](DurableContext& ctx, const Json& in) {
                       const NamedPayload p =
                           durable::DecodeJson<NamedPayload>(in.text).value_or(NamedPayload{});
                       return ctx.Invoke<Json>(p.name, kEchoFunction, Quote(p.payload));
                     },
                 .result = R"("Iv5b0002")",
                 .history = OneInvoke(Started(R"("Iv5b0002")"), "ChainedInvokeSucceeded",
                                      ResultIs(R"("Iv5b0002")"), "Nm5b02")});
  out.push_back({.id = "5-3",
                 .input = R"({"nested":{"key":"value","items":[1,2,3]},"source":"test"})",
                 .workflow = [](DurableContext& ctx, const Json& in) { return Echo(ctx, in); },
                 .result = R"({"nested":{"key":"value","items":[1,2,3]},"source":"test"})",
                 .history = OneInvoke(Started(), "ChainedInvokeSucceeded")});
  out.push_back(
      {.id = "5-4",
       .input = "null",
       .workflow = [](DurableContext& ctx, const Json&) { return Echo(ctx, Json{"null"}); },
       .result = "null",
       .history = OneInvoke(Started(), "ChainedInvokeSucceeded")});
  out.push_back(
      {.id = "5-5",
       .input = "null",
       .workflow = [](DurableContext& ctx,
                      const Json& in) { return ctx.Invoke<Json>("", kFailFunction, in); },
       .status = ExecutionStatus::kFailed,
       .history = OneInvoke(Started(), "ChainedInvokeFailed", ErrorTypeIs("Target.Failed"))});
  out.push_back(
      {.id = "5-6",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             try {
               return ctx.Invoke<Json>("", kFailFunction, in);
             } catch (const InvokeError&) {
               return Json{R"("fallback")"};
             }
           },
       .result = R"("fallback")",
       .history = OneInvoke(Started(), "ChainedInvokeFailed", ErrorTypeIs("Target.Failed"))});
  out.push_back({.id = "5-7",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       const Json echoed = Echo(ctx, Quote(std::string(512 * 1024, 'p')));
                       return Encode(static_cast<int64_t>(Str(echoed).size()));
                     },
                 .result = "524288",
                 .history = OneInvoke(Started(), "ChainedInvokeSucceeded")});
  out.push_back({.id = "5-8",
                 .input = R"({"tenantId":"Tn5h0008","payload":"Iv5h0008"})",
                 .workflow =
                     [](DurableContext& ctx, const Json& in) {
                       const TenantPayload p =
                           durable::DecodeJson<TenantPayload>(in.text).value_or(TenantPayload{});
                       return Echo(ctx, Quote(p.payload), {.tenant_id = p.tenant_id});
                     },
                 .result = R"("Iv5h0008")",
                 .history = OneInvoke(Started(R"("Iv5h0008")", "Tn5h0008"),
                                      "ChainedInvokeSucceeded", ResultIs(R"("Iv5h0008")"))});
}

void AddInvokeReplays(std::vector<Scenario>& out) {
  auto then_wait = [](std::string id, const char* target, const char* answered) {
    return Scenario{
        .id = id,
        .input = "null",
        .workflow =
            [target](DurableContext& ctx, const Json& in) {
              Json r{R"("caught")"};
              try {
                r = ctx.Invoke<Json>("", target, in);
              } catch (const InvokeError&) {
              }
              ctx.Wait("", seconds(1));
              return r;
            },
        .history = {{2, "ChainedInvokeStarted", Invoke("$I", std::nullopt, "", Started())},
                    {3, "InvocationCompleted"},
                    {4, answered, Invoke("$I")},
                    {5, "WaitStarted", {.id = "$W", .check = DurationIs(1)}},
                    {6, "InvocationCompleted"},
                    {7, "WaitSucceeded", {.id = "$W", .check = DurationIs(1)}},
                    {8, "InvocationCompleted"}}};
  };
  out.push_back(then_wait("5-9", kEchoFunction, "ChainedInvokeSucceeded"));
  out.push_back(then_wait("5-10", kFailFunction, "ChainedInvokeFailed"));
  out.push_back(
      {.id = "5-11",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             const int64_t n = ctx.Step("", [] { return int64_t{41}; });
             return Echo(ctx, Encode(n + 1));
           },
       .result = "42",
       .history = {{2, "StepStarted", {.id = "$S"}},
                   {3, "StepSucceeded", {.id = "$S"}},
                   {4, "ChainedInvokeStarted", Invoke("$I", std::nullopt, "", Started("42"))},
                   {5, "InvocationCompleted"},
                   {6, "ChainedInvokeSucceeded", Invoke("$I")},
                   {7, "InvocationCompleted"}}});
  out.push_back({.id = "5-12",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       const Json got = Echo(ctx, Quote("from-target"));
                       return ctx.Step("", [&] { return Quote(Str(got) + "-stepped"); });
                     },
                 .result = R"("from-target-stepped")",
                 .history = {{2, "ChainedInvokeStarted", Invoke("$I", std::nullopt, "", Started())},
                             {3, "InvocationCompleted"},
                             {4, "ChainedInvokeSucceeded", Invoke("$I")},
                             {5, "StepStarted", {.id = "$S"}},
                             {6, "StepSucceeded", {.id = "$S"}},
                             {7, "InvocationCompleted"}}});
  out.push_back(
      {.id = "5-13",
       .input = R"("Iv5m0013")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             return ctx.RunInChildContext("", [&](DurableContext& c) { return Echo(c, in); });
           },
       .result = R"("Iv5m0013")",
       .history = {{2, "ContextStarted", {.id = "$C"}},
                   {3, "ChainedInvokeStarted", Invoke("$I", std::nullopt, "$C", Started())},
                   {4, "InvocationCompleted"},
                   {5, "ChainedInvokeSucceeded", Invoke("$I", std::nullopt, "$C")},
                   {6, "ContextSucceeded", {.id = "$C"}},
                   {7, "InvocationCompleted"}}});
  out.push_back(
      {.id = "5-14",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             const Json first = Echo(ctx, Quote("one"));
             const Json second = Echo(ctx, Quote("two"));
             return Json{"[" + first.text + "," + second.text + "]"};
           },
       .result = R"(["one","two"])",
       .history = {{2, "ChainedInvokeStarted", Invoke("$I1", std::nullopt, "", Started())},
                   {3, "InvocationCompleted"},
                   {4, "ChainedInvokeSucceeded", Invoke("$I1")},
                   {5, "ChainedInvokeStarted", Invoke("$I2", std::nullopt, "", Started())},
                   {6, "InvocationCompleted"},
                   {7, "ChainedInvokeSucceeded", Invoke("$I2")},
                   {8, "InvocationCompleted"}}});
  // 5-15, 5-16: the workflow's own serializers on the way out and on the way back (Json
  // carries text the workflow wrote or reads itself).
  out.push_back(
      {.id = "5-15",
       .input = R"({"data":"hello"})",
       .workflow = [](DurableContext& ctx,
                      const Json& in) { return Echo(ctx, Json{absl::AsciiStrToUpper(in.text)}); },
       .result = R"({"DATA":"HELLO"})",
       .history = OneInvoke(Started(R"({"DATA":"HELLO"})"), "ChainedInvokeSucceeded")});
  out.push_back(
      {.id = "5-16",
       .input = R"("hello")",
       .workflow = [](DurableContext& ctx,
                      const Json& in) { return Quote(absl::AsciiStrToUpper(Echo(ctx, in).text)); },
       .result = R"("\"HELLO\"")",
       .history =
           OneInvoke(Started(R"("hello")"), "ChainedInvokeSucceeded", ResultIs(R"("hello")"))});
}

// Wait-for-condition: a counter polled until it reaches a threshold.
Fields Poll(std::string id, std::function<std::string(const HistoryEvent&)> check = nullptr,
            std::optional<std::string> name = std::nullopt) {
  return {.sub_type = "WaitForCondition",
          .id = std::move(id),
          .name = std::move(name),
          .check = std::move(check)};
}

WaitForConditionOptions<int64_t> CountTo(int64_t initial, int64_t target, int64_t delay = 1) {
  return {.initial_state = initial, .wait_strategy = [target, delay](const int64_t& state, int) {
            return state >= target ? WaitDecision::Done()
                                   : WaitDecision::CheckAgainAfter(seconds(delay));
          }};
}

// Polls that go initial+1 .. target, one invocation each: StepStarted, StepSucceeded(n), ...
std::vector<Expected> Polls(int64_t initial, int64_t target, std::string id = "$1", int first = 2,
                            std::optional<std::string> name = std::nullopt, int64_t delay = 0) {
  std::vector<Expected> out;
  int e = first;
  for (int64_t n = initial + 1; n <= target; ++n) {
    out.push_back({e++, "StepStarted", Poll(id, nullptr, name)});
    out.push_back({e++, "StepSucceeded",
                   Poll(
                       id,
                       [n, target, delay](const HistoryEvent& ev) -> std::string {
                         std::string p = ResultIs(std::to_string(n))(ev);
                         if (delay > 0 && n < target &&
                             ev.details.next_attempt_delay_seconds != delay) {
                           p += " NextAttemptDelaySeconds is not " + std::to_string(delay);
                         }
                         return p;
                       },
                       name)});
    if (n < target) out.push_back({e++, "InvocationCompleted"});
  }
  return out;
}
std::vector<Expected> Append(std::vector<Expected> a, std::vector<Expected> b) {
  for (Expected& e : b) a.push_back(std::move(e));
  return a;
}

void AddConditions(std::vector<Scenario>& out) {
  auto counter = [](std::string id, int64_t initial, int64_t target,
                    std::optional<std::string> name, int64_t delay) {
    const int last = 2 + 3 * static_cast<int>(target - initial) - 1;
    return Scenario{
        .id = id,
        .input = std::to_string(target),
        .workflow =
            [=](DurableContext& ctx, const Json&) {
              return Encode(ctx.WaitForCondition<int64_t>(
                  name.value_or(""), [](const int64_t& s) { return s + 1; },
                  CountTo(initial, target, delay)));
            },
        .result = std::to_string(target),
        .history = Append(
            Polls(initial, target, "$1", 2, name, delay),
            {{last + 1, "ExecutionSucceeded", {.check = ResultIs(std::to_string(target))}}})};
  };
  out.push_back(counter("6-1", 0, 3, std::nullopt, 1));
  out.push_back({.id = "6-2",
                 .input = "5",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       return Encode(ctx.WaitForCondition<int64_t>(
                           "", [](const int64_t& s) { return s; }, CountTo(5, 5)));
                     },
                 .result = "5",
                 .history = {{2, "StepStarted", Poll("$1")},
                             {3, "StepSucceeded", Poll("$1", ResultIs("5"))},
                             {5, "ExecutionSucceeded", {.check = ResultIs("5")}}}});
  out.push_back(counter("6-3", 0, 2, "poll-status", 1));
  out.push_back(counter("6-4", 5, 8, std::nullopt, 1));
  out.push_back(counter("6-5", 0, 3, std::nullopt, 2));
  out.push_back({.id = "6-6",
                 .input = "0",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       WaitForConditionOptions<int64_t> options{
                           .initial_state = 0, .wait_strategy = [](const int64_t&, int attempt) {
                             if (attempt >= 3) {
                               throw Failure("WaitForCondition.MaxAttemptsExceeded", "3 attempts");
                             }
                             return WaitDecision::CheckAgainAfter(seconds(1));
                           }};
                       return Encode(ctx.WaitForCondition<int64_t>(
                           "", [](const int64_t& s) { return s + 1; }, options));
                     },
                 .status = ExecutionStatus::kFailed,
                 .history = {{2, "StepStarted", Poll("$1")},
                             {3, "StepSucceeded", Poll("$1")},
                             {4, "InvocationCompleted"},
                             {5, "StepStarted", Poll("$1")},
                             {6, "StepSucceeded", Poll("$1")},
                             {7, "InvocationCompleted"},
                             {8, "StepStarted", Poll("$1")},
                             {9, "StepFailed", Poll("$1")},
                             {11, "ExecutionFailed"}}});
  auto failing_check = [](std::string id, bool caught) {
    return Scenario{.id = id,
                    .input = "null",
                    .workflow =
                        [caught](DurableContext& ctx, const Json&) {
                          try {
                            return Encode(ctx.WaitForCondition<int64_t>(
                                "",
                                [](const int64_t&) -> int64_t {
                                  throw Failure("Check.Failed", "cannot check");
                                },
                                CountTo(0, 1)));
                          } catch (const durable::OperationError&) {
                            if (!caught) throw;
                            return Json{R"("recovered")"};
                          }
                        },
                    .status = caught ? ExecutionStatus::kSucceeded : ExecutionStatus::kFailed,
                    .result = caught ? std::optional<std::string>(R"("recovered")") : std::nullopt,
                    .history = {{2, "StepStarted", Poll("$1")},
                                {3, "StepFailed", Poll("$1", ErrorTypeIs("Check.Failed"))},
                                {5, caught ? "ExecutionSucceeded" : "ExecutionFailed"}}};
  };
  out.push_back(failing_check("6-7", false));
  out.push_back(failing_check("6-8", true));
}

struct Job {
  std::string status = "PENDING";
  int64_t attempts = 0;
};
void DescribeJson(JsonFields& f, Job& j) {
  f.Required("status", j.status);
  f.Required("attempts", j.attempts);
}
void WriteJson(JsonWriter& w, const Job& j) {
  w.BeginObject().Key("status").String(j.status).Key("attempts").Int(j.attempts).EndObject();
}

void AddConditionStates(std::vector<Scenario>& out) {
  out.push_back({.id = "6-9",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       return Encode(ctx.WaitForCondition<Job>(
                           "",
                           [](const Job& j) {
                             Job next{j.status, j.attempts + 1};
                             if (next.attempts >= 2) next.status = "DONE";
                             return next;
                           },
                           {.wait_strategy = [](const Job& j, int) {
                             return j.status == "PENDING"
                                        ? WaitDecision::CheckAgainAfter(seconds(1))
                                        : WaitDecision::Done();
                           }}));
                     },
                 .result = R"({"status":"DONE","attempts":2})",
                 .history = {{2, "StepStarted", Poll("$1")},
                             {3, "StepSucceeded", Poll("$1")},
                             {4, "InvocationCompleted"},
                             {5, "StepStarted", Poll("$1")},
                             {6, "StepSucceeded", Poll("$1")},
                             {8, "ExecutionSucceeded"}}});
  out.push_back(
      {.id = "6-10",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             return ctx.WaitForCondition<Json>(
                 "", [](const Json&) { return Json{"null"}; },
                 {.wait_strategy = [](const Json&, int) { return WaitDecision::Done(); }});
           },
       .result = "null",
       .history = {{2, "StepStarted", Poll("$1")},
                   {3, "StepSucceeded", Poll("$1")},
                   {5, "ExecutionSucceeded"}}});
  // 6-11: the state's own serializer: the check reads and writes the logged text itself.
  out.push_back({.id = "6-11",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       const Json state = ctx.WaitForCondition<Json>(
                           "",
                           [](const Json& s) {
                             return Quote("enc:" + Str(s).substr(Str(s).empty() ? 0 : 4) + "x");
                           },
                           {.initial_state = Quote(""), .wait_strategy = [](const Json& s, int) {
                              return Str(s).size() >= 6 ? WaitDecision::Done()
                                                        : WaitDecision::CheckAgainAfter(seconds(1));
                            }});
                       return Quote(Str(state).substr(4));
                     },
                 .result = R"("xx")",
                 .history = {{2, "StepStarted", Poll("$1")},
                             {3, "StepSucceeded", Poll("$1", ResultIs(R"("enc:x")"))},
                             {4, "InvocationCompleted"},
                             {5, "StepStarted", Poll("$1")},
                             {6, "StepSucceeded", Poll("$1", ResultIs(R"("enc:xx")"))},
                             {8, "ExecutionSucceeded"}}});
  out.push_back(
      {.id = "6-12",
       .input = "2",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             const int64_t n = ctx.WaitForCondition<int64_t>(
                 "", [](const int64_t& s) { return s + 1; }, CountTo(0, 2));
             return Encode(ctx.Step("", [&] { return n * 10; }));
           },
       .result = "20",
       .history =
           Append(Polls(0, 2),
                  {{7, "StepStarted", {.sub_type = "Step", .id = "$2"}},
                   {8, "StepSucceeded", {.sub_type = "Step", .id = "$2", .check = ResultIs("20")}},
                   {10, "ExecutionSucceeded", {.check = ResultIs("20")}}})});
  out.push_back({.id = "6-13",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       const int64_t first = ctx.WaitForCondition<int64_t>(
                           "", [](const int64_t& s) { return s + 1; }, CountTo(0, 2));
                       return Encode(ctx.WaitForCondition<int64_t>(
                           "", [](const int64_t& s) { return s + 1; }, CountTo(first, 4)));
                     },
                 .result = "4",
                 .history = Append(Append(Polls(0, 2, "$1"), Polls(2, 4, "$2", 7)),
                                   {{13, "ExecutionSucceeded", {.check = ResultIs("4")}}})});
}

}  // namespace

std::vector<Scenario> InvokeScenarios() {
  std::vector<Scenario> out;
  AddInvokes(out);
  AddInvokeReplays(out);
  return out;
}

std::vector<Scenario> ConditionScenarios() {
  std::vector<Scenario> out;
  AddConditions(out);
  AddConditionStates(out);
  return out;
}

}  // namespace lmc::durable_testing
