// Conformance scenarios of the wait suite (2-1 .. 2-5) and the child-context suite (3-1 ..
// 3-18). See scenarios.h.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "tests/durable/scenarios.h"

namespace lmc::durable_testing {
namespace {

using durable::Backoff;
using durable::ChildContextError;
using durable::DurableContext;
using durable::Failure;
using durable::Jitter;
using durable::Json;
using durable::NoRetry;
using durable::StepContext;
using durable_service::ExecutionStatus;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr char kChild[] = "RunInChildContext";

Fields Wait(std::string id, int64_t duration, std::string parent = "",
            std::optional<std::string> name = std::nullopt) {
  return {.sub_type = "Wait",
          .id = std::move(id),
          .name = std::move(name),
          .parent = std::move(parent),
          .check = DurationIs(duration)};
}
Fields Step(std::string id, std::string parent = "",
            std::function<std::string(const durable_service::HistoryEvent&)> check = nullptr) {
  return {.sub_type = "Step",
          .id = std::move(id),
          .parent = std::move(parent),
          .check = std::move(check)};
}
Fields Ctx(std::string id, std::optional<std::string> name = std::nullopt, std::string parent = "",
           std::function<std::string(const durable_service::HistoryEvent&)> check = nullptr) {
  return {.sub_type = kChild,
          .id = std::move(id),
          .name = std::move(name),
          .parent = std::move(parent),
          .check = std::move(check)};
}

struct NameValue {
  std::string name;
  std::string value;
};
void DescribeJson(JsonFields& fields, NameValue& nv) {
  fields.Required("name", nv.name);
  fields.Required("value", nv.value);
}

// True the first time it is called for `tag` by any bootstrap of this test run (the test is
// the bootstraps' parent), so a step can crash its runtime exactly once.
bool FirstTime(const std::string& tag) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string path = std::string(tmp != nullptr ? tmp : "/tmp") + "/lmc-conformance-" + tag +
                           "-" + std::to_string(getppid());
  if (std::ifstream(path).good()) {
    std::remove(path.c_str());
    return false;
  }
  std::ofstream(path) << "crashed\n";
  return true;
}

// A step returning `value`, as most child scenarios use.
Json Echo(DurableContext& ctx, const Json& value) {
  return ctx.Step("", [&] { return value; });
}

std::vector<Scenario> Waits() {
  std::vector<Scenario> out;
  auto one_wait = [](std::string id, std::optional<std::string> name, auto duration, int64_t s,
                     bool complete_history) {
    Scenario sc{
        .id = id, .input = "null", .workflow = [name, duration](DurableContext& ctx, const Json&) {
          ctx.Wait(name.value_or(""), duration);
          return Json{"null"};
        }};
    sc.history = {{2, "WaitStarted", Wait("$1", s, "", name)}, {3, "InvocationCompleted"}};
    if (complete_history) {
      sc.history.push_back({4, "WaitSucceeded", Wait("$1", s, "", name)});
      sc.history.push_back({5, "InvocationCompleted"});
    }
    return sc;
  };
  out.push_back(one_wait("2-1", std::nullopt, seconds(2), 2, true));
  out.push_back(one_wait("2-2", "custom_wait_name", seconds(2), 2, true));
  out.push_back({.id = "2-3",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       ctx.Wait("wait-1", seconds(2));
                       ctx.Wait("wait-2", seconds(2));
                       return Json{R"({"completedWaits":2})"};
                     },
                 .result = R"({"completedWaits":2})",
                 .history = {{2, "WaitStarted", Wait("$1", 2, "", "wait-1")},
                             {3, "InvocationCompleted"},
                             {4, "WaitSucceeded", Wait("$1", 2, "", "wait-1")},
                             {5, "WaitStarted", Wait("$2", 2, "", "wait-2")},
                             {6, "InvocationCompleted"},
                             {7, "WaitSucceeded", Wait("$2", 2, "", "wait-2")},
                             {8, "InvocationCompleted"}}});
  out.push_back(one_wait("2-4", std::nullopt, minutes(1), 60, false));
  out.push_back(one_wait("2-5", std::nullopt, hours(1), 3600, false));
  return out;
}

void AddChildBasics(std::vector<Scenario>& out) {
  out.push_back(
      {.id = "3-1",
       .input = R"("Hn3kPw9q")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             return ctx.RunInChildContext("", [&](DurableContext& c) { return Echo(c, in); });
           },
       .result = R"("Hn3kPw9q")",
       .history = {{2, "ContextStarted", Ctx("$C")},
                   {3, "StepStarted", Step("$S", "$C")},
                   {4, "StepSucceeded", Step("$S", "$C", ResultIs(R"("Hn3kPw9q")"))},
                   {5, "ContextSucceeded", Ctx("$C", std::nullopt, "", ResultIs(R"("Hn3kPw9q")"))},
                   {6, "InvocationCompleted"}}});
  out.push_back(
      {.id = "3-2",
       .input = R"({"name":"Tq8vLm2x","value":"Jp5sWe7r"})",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             const NameValue nv = durable::DecodeJson<NameValue>(in.text).value_or(NameValue{});
             return ctx.RunInChildContext(
                 nv.name, [&](DurableContext& c) { return Echo(c, Quote(nv.value)); });
           },
       .result = R"("Jp5sWe7r")",
       .history = {{2, "ContextStarted", Ctx("$C", "Tq8vLm2x")},
                   {3, "StepStarted", Step("$S", "$C")},
                   {4, "StepSucceeded", Step("$S", "$C", ResultIs(R"("Jp5sWe7r")"))},
                   {5, "ContextSucceeded", Ctx("$C", "Tq8vLm2x", "", ResultIs(R"("Jp5sWe7r")"))},
                   {6, "InvocationCompleted"}}});
  out.push_back(
      {.id = "3-3",
       .input = R"("Zc6yRt1u")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             return ctx.RunInChildContext("two-steps", [&](DurableContext& c) {
               const Json first = Echo(c, in);
               return Echo(c, first);
             });
           },
       .result = R"("Zc6yRt1u")",
       .history = {{2, "ContextStarted", Ctx("$C", "$N")},
                   {3, "StepStarted", Step("$S1", "$C")},
                   {4, "StepSucceeded", Step("$S1", "$C", ResultIs(R"("Zc6yRt1u")"))},
                   {5, "StepStarted", Step("$S2", "$C")},
                   {6, "StepSucceeded", Step("$S2", "$C", ResultIs(R"("Zc6yRt1u")"))},
                   {7, "ContextSucceeded", Ctx("$C", "$N", "", ResultIs(R"("Zc6yRt1u")"))},
                   {8, "InvocationCompleted"}}});
  out.push_back(
      {.id = "3-4",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             return ctx.RunInChildContext("failing-child", [&](DurableContext& c) {
               return c.Step("", []() -> Json { throw Failure("Child.StepFailed", "no"); },
                             {.retry = NoRetry()});
             });
           },
       .status = ExecutionStatus::kFailed,
       .history = {{2, "ContextStarted", Ctx("$C", "$N")},
                   {3, "StepStarted", Step("$S", "$C")},
                   {4, "StepFailed", Step("$S", "$C", ErrorTypeIs("Child.StepFailed"))},
                   {5, "ContextFailed", Ctx("$C", "$N", "", ErrorTypeIs("Child.StepFailed"))},
                   {6, "InvocationCompleted"}}});
  out.push_back({.id = "3-5",
                 .input = R"("Gm4dXs8b")",
                 .workflow =
                     [](DurableContext& ctx, const Json& in) {
                       try {
                         ctx.RunInChildContext("", [&](DurableContext& c) {
                           return c.Step("",
                                         []() -> Json { throw Failure("Child.StepFailed", "no"); },
                                         {.retry = NoRetry()});
                         });
                       } catch (const ChildContextError&) {
                       }
                       return Echo(ctx, in);
                     },
                 .result = R"("Gm4dXs8b")",
                 .history = {{2, "ContextStarted", Ctx("$C")},
                             {3, "StepStarted", Step("$S1", "$C")},
                             {4, "StepFailed", Step("$S1", "$C")},
                             {5, "ContextFailed", Ctx("$C")},
                             {6, "StepStarted", Step("$S2", "-")},
                             {7, "StepSucceeded", Step("$S2", "-", ResultIs(R"("Gm4dXs8b")"))},
                             {8, "InvocationCompleted"}}});
  out.push_back(
      {.id = "3-6",
       .input = R"("Fw2pNk7j")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             return ctx.RunInChildContext("outer", [&](DurableContext& outer) {
               Echo(outer, in);
               return outer.RunInChildContext(
                   "inner", [&](DurableContext& inner) { return Echo(inner, in); });
             });
           },
       .result = R"("Fw2pNk7j")",
       .history = {{2, "ContextStarted", Ctx("$O", "$NO", "-")},
                   {3, "StepStarted", Step("$S1", "$O")},
                   {4, "StepSucceeded", Step("$S1", "$O", ResultIs(R"("Fw2pNk7j")"))},
                   {5, "ContextStarted", Ctx("$I", "$NI", "$O")},
                   {6, "StepStarted", Step("$S2", "$I")},
                   {7, "StepSucceeded", Step("$S2", "$I", ResultIs(R"("Fw2pNk7j")"))},
                   {8, "ContextSucceeded", Ctx("$I", "$NI", "$O", ResultIs(R"("Fw2pNk7j")"))},
                   {9, "ContextSucceeded", Ctx("$O", "$NO", "-", ResultIs(R"("Fw2pNk7j")"))},
                   {10, "InvocationCompleted"}}});
}

void AddChildRetries(std::vector<Scenario>& out) {
  out.push_back(
      {.id = "3-7",
       .input = R"("Bv9hKc3m")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             return ctx.RunInChildContext("retrying", [&](DurableContext& c) {
               return c.Step("",
                             [&](StepContext& step) {
                               if (step.attempt() == 1) throw Failure("Flaky", "first attempt");
                               return in;
                             },
                             {.retry = Backoff({.max_attempts = 3,
                                                .initial_delay = seconds(1),
                                                .jitter = Jitter::kNone})});
             });
           },
       .result = R"("Bv9hKc3m")",
       .history = {
           {2, "ContextStarted", Ctx("$C", "$N")},
           {3, "StepStarted", Step("$S", "$C")},
           {4, "StepFailed", Step("$S", "$C", AttemptIs(1))},
           {5, "InvocationCompleted"},
           {6, "StepStarted", Step("$S", "$C")},
           {7, "StepSucceeded",
            Step("$S", "$C",
                 [](const auto& e) { return ResultIs(R"("Bv9hKc3m")")(e) + AttemptIs(2)(e); })},
           {8, "ContextSucceeded", Ctx("$C", "$N", "", ResultIs(R"("Bv9hKc3m")"))},
           {9, "InvocationCompleted"}}});
  out.push_back(
      {.id = "3-8",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             return ctx.RunInChildContext("exhausted", [&](DurableContext& c) {
               return c.Step("", []() -> Json { throw Failure("Flaky", "always"); },
                             {.retry = Backoff({.max_attempts = 2, .initial_delay = seconds(1)})});
             });
           },
       .status = ExecutionStatus::kFailed,
       .history = {{2, "ContextStarted", Ctx("$C", "$N")},
                   {3, "StepStarted", Step("$S", "$C")},
                   {4, "StepFailed",
                    Step("$S", "$C",
                         [](const auto& e) {
                           return AttemptIs(1)(e) +
                                  (e.details.next_attempt_delay_seconds ? "" : " no delay");
                         })},
                   {5, "InvocationCompleted"},
                   {6, "StepStarted", Step("$S", "$C")},
                   {7, "StepFailed",
                    Step("$S", "$C",
                         [](const auto& e) {
                           return AttemptIs(2)(e) +
                                  (e.details.next_attempt_delay_seconds ? " a delay" : "");
                         })},
                   {8, "ContextFailed", Ctx("$C", "$N", "", ErrorTypeIs("Flaky"))},
                   {9, "InvocationCompleted"}}});
}

void AddChildWaits(std::vector<Scenario>& out) {
  out.push_back(
      {.id = "3-9",
       .input = R"("Qe1zAs5d")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             const Json v =
                 ctx.RunInChildContext("", [&](DurableContext& c) { return Echo(c, in); });
             ctx.Wait("", seconds(1));
             return v;
           },
       .result = R"("Qe1zAs5d")",
       .history = {{2, "ContextStarted", Ctx("$C")},
                   {3, "StepStarted", Step("$S", "$C")},
                   {4, "StepSucceeded", Step("$S", "$C", ResultIs(R"("Qe1zAs5d")"))},
                   {5, "ContextSucceeded", Ctx("$C", std::nullopt, "", ResultIs(R"("Qe1zAs5d")"))},
                   {6, "WaitStarted", {.sub_type = "Wait", .id = "$W"}},
                   {7, "InvocationCompleted"},
                   {8, "WaitSucceeded", {.sub_type = "Wait", .id = "$W"}},
                   {9, "InvocationCompleted"}}});
  out.push_back(
      {.id = "3-10",
       .input = R"("Lk8xCv4n")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             return ctx.RunInChildContext("step-and-wait", [&](DurableContext& c) {
               const Json v = Echo(c, in);
               c.Wait("", seconds(1));
               return v;
             });
           },
       .result = R"("Lk8xCv4n")",
       .history = {{2, "ContextStarted", Ctx("$C", "$N")},
                   {3, "StepStarted", Step("$S", "$C")},
                   {4, "StepSucceeded", Step("$S", "$C", ResultIs(R"("Lk8xCv4n")"))},
                   {5, "WaitStarted", {.sub_type = "Wait", .id = "$W", .parent = "$C"}},
                   {6, "InvocationCompleted"},
                   {7, "WaitSucceeded", {.sub_type = "Wait", .id = "$W", .parent = "$C"}},
                   {8, "ContextSucceeded", Ctx("$C", "$N", "", ResultIs(R"("Lk8xCv4n")"))},
                   {9, "InvocationCompleted"}}});
  out.push_back(
      {.id = "3-13",
       .input = R"("Pu3wEr6t")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             ctx.RunInChildContext("only-wait", [&](DurableContext& c) {
               c.Wait("", seconds(1));
               return in;
             });
             return Echo(ctx, in);
           },
       .result = R"("Pu3wEr6t")",
       .history = {{2, "ContextStarted", Ctx("$C", "$N")},
                   {3, "WaitStarted", {.sub_type = "Wait", .id = "$W", .parent = "$C"}},
                   {4, "InvocationCompleted"},
                   {5, "WaitSucceeded", {.sub_type = "Wait", .id = "$W", .parent = "$C"}},
                   {6, "ContextSucceeded", Ctx("$C", "$N", "", ResultIs(R"("Pu3wEr6t")"))},
                   {7, "StepStarted", Step("$S", "-")},
                   {8, "StepSucceeded", Step("$S", "-", ResultIs(R"("Pu3wEr6t")"))},
                   {9, "InvocationCompleted"}}});
  out.push_back(
      {.id = "3-18",
       .input = R"("Yh7gTb2v")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             ctx.RunInChildContext("inner-work", [&](DurableContext& c) {
               const Json v = Echo(c, in);
               c.Wait("", seconds(1));
               return v;
             });
             const Json v = Echo(ctx, in);
             ctx.Wait("", seconds(1));
             return v;
           },
       .result = R"("Yh7gTb2v")",
       .history = {{2, "ContextStarted", Ctx("$C", "$N")},
                   {3, "StepStarted", Step("$S1", "$C")},
                   {4, "StepSucceeded", Step("$S1", "$C")},
                   {5, "WaitStarted", {.sub_type = "Wait", .id = "$W1", .parent = "$C"}},
                   {6, "InvocationCompleted"},
                   {7, "WaitSucceeded", {.sub_type = "Wait", .id = "$W1", .parent = "$C"}},
                   {8, "ContextSucceeded", Ctx("$C", "$N", "", ResultIs(R"("Yh7gTb2v")"))},
                   {9, "StepStarted", Step("$S2", "-")},
                   {10, "StepSucceeded", Step("$S2", "-", ResultIs(R"("Yh7gTb2v")"))},
                   {11, "WaitStarted", {.sub_type = "Wait", .id = "$W2", .parent = "-"}},
                   {12, "InvocationCompleted"},
                   {13, "WaitSucceeded", {.sub_type = "Wait", .id = "$W2", .parent = "-"}},
                   {14, "InvocationCompleted"}}});
}

void AddChildSpecials(std::vector<Scenario>& out) {
  out.push_back(
      {.id = "3-12",
       .input = R"("Dj4fGh6k")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             return ctx.RunInChildContext("", [&](DurableContext& c) {
               return c.Step("", [&] {
                 if (FirstTime("3-12")) {
                   std::fflush(nullptr);
                   _exit(3);
                 }
                 return in;
               });
             });
           },
       .function = kCrashFunction,
       .gap = "lmc::durable sends the START of an at-least-once step (and of a child "
              "context) with the next flush, not before the body runs: a runtime that "
              "crashes inside the body loses it (PROTOCOL.md section 4)",
       .result = R"("Dj4fGh6k")",
       .history = {{2, "ContextStarted", Ctx("$C")},
                   {3, "StepStarted", Step("$S", "$C")},
                   {4, "InvocationCompleted"},
                   {5, "StepSucceeded", Step("$S", "$C", ResultIs(R"("Dj4fGh6k")"))},
                   {6, "ContextSucceeded", Ctx("$C", std::nullopt, "", ResultIs(R"("Dj4fGh6k")"))},
                   {7, "InvocationCompleted"}}});
  out.push_back({.id = "3-11",
                 .input = R"("Mx2cVb8n")",
                 .workflow =
                     [](DurableContext& ctx, const Json& in) {
                       const std::string big =
                           ctx.RunInChildContext("large", [&](DurableContext& c) {
                             // lmc::durable's logger is silent while replaying (no switch to log
                             // then), so the re-execution is observed through the side channel.
                             MarkRun("3-11 large child " + Str(in));
                             const std::string piece = c.Step("", [] { return std::string("x"); });
                             return std::string(300 * 1024, piece[0]);
                           });
                       ctx.Wait("", seconds(1));
                       return Encode(static_cast<int64_t>(big.size()));
                     },
                 .result = "307200",
                 .history = {{2, "ContextStarted", Ctx("$C", "$N")},
                             {3, "StepStarted", Step("$S", "$C")},
                             {4, "StepSucceeded", Step("$S", "$C")},
                             {5, "ContextSucceeded", Ctx("$C", "$N")},
                             {6, "WaitStarted", {.sub_type = "Wait", .id = "$W"}},
                             {7, "InvocationCompleted"},
                             {8, "WaitSucceeded", {.sub_type = "Wait", .id = "$W"}},
                             {9, "InvocationCompleted"}},
                 .check = LinesExactly({{"body-run 3-11 large child Mx2cVb8n", 2}})});
  out.push_back({.id = "3-14",
                 .input = R"("hello child")",
                 .workflow =
                     [](DurableContext& ctx, const Json& in) {
                       // The child's own serializer: it returns the text it wants logged (upper
                       // case, not a JSON string) and the caller reads it back.
                       const Json raw = ctx.RunInChildContext("shouting", [&](DurableContext& c) {
                         return Json{absl::AsciiStrToUpper(Str(Echo(c, in)))};
                       });
                       return Quote(raw.text);
                     },
                 .result = R"("HELLO CHILD")",
                 .history = {{2, "ContextStarted", Ctx("$C", "$N")},
                             {3, "StepStarted", Step("$S", "$C")},
                             {4, "StepSucceeded", Step("$S", "$C", ResultIs(R"("hello child")"))},
                             {5, "ContextSucceeded", Ctx("$C", "$N", "", ResultIs("HELLO CHILD"))},
                             {6, "InvocationCompleted"}}});
  out.push_back({.id = "3-15",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       return ctx.RunInChildContext("throws", [&](DurableContext&) -> Json {
                         throw Failure("Child.Thrown", "thrown directly");
                       });
                     },
                 .status = ExecutionStatus::kFailed,
                 .history = {{2, "ContextStarted", Ctx("$C", "$N")},
                             {3, "ContextFailed", Ctx("$C", "$N", "", ErrorTypeIs("Child.Thrown"))},
                             {4, "InvocationCompleted"}}});
  out.push_back({.id = "3-16",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       return ctx.RunInChildContext("null-child",
                                                    [&](DurableContext&) { return Json{"null"}; });
                     },
                 .result = "null",
                 .history = {{2, "ContextStarted", Ctx("$C", "$N")},
                             {3, "ContextSucceeded", Ctx("$C", "$N")},
                             {4, "InvocationCompleted"}}});
  out.push_back(
      {.id = "3-17",
       .input = R"("Ws5qZa9k")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             const Json v = ctx.RunInChildContext("logging-child", [&](DurableContext& c) {
               c.logger().Info("logging child input " + Str(in));
               return in;
             });
             ctx.Wait("", seconds(1));
             return v;
           },
       .result = R"("Ws5qZa9k")",
       .history = {{2, "ContextStarted", Ctx("$C", "$N")},
                   {3, "ContextSucceeded", Ctx("$C", "$N", "", ResultIs(R"("Ws5qZa9k")"))},
                   {4, "WaitStarted", {.sub_type = "Wait", .id = "$W"}},
                   {5, "InvocationCompleted"},
                   {6, "WaitSucceeded", {.sub_type = "Wait", .id = "$W"}},
                   {7, "InvocationCompleted"}},
       .check = LinesExactly({{"logging child input Ws5qZa9k", 1}})});
}

}  // namespace

std::vector<Scenario> WaitScenarios() { return Waits(); }

std::vector<Scenario> ChildScenarios() {
  std::vector<Scenario> out;
  AddChildBasics(out);
  AddChildRetries(out);
  AddChildWaits(out);
  AddChildSpecials(out);
  return out;
}

}  // namespace lmc::durable_testing
