// Conformance scenarios of the callback suite (4-1 .. 4-19) and the wait-for-callback suite
// (7-1 .. 7-15). Callbacks are answered by scripted answers (CallbackScript), as the
// requirements' CallbackActions answer them, on each execution's clock. See scenarios.h.

#include <chrono>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/durable/scenarios.h"

namespace lmc::durable_testing {
namespace {

using durable::CallbackError;
using durable::DurableContext;
using durable::Json;
using durable_service::CallbackScript;
using durable_service::ExecutionStatus;
using durable_service::HistoryEvent;
using std::chrono::seconds;

CallbackScript Succeed(std::string name, std::optional<std::string> payload, int delay_s = 1) {
  return {.name = std::move(name),
          .action = CallbackScript::Action::kSucceed,
          .result = std::move(payload),
          .delay = absl::Seconds(delay_s)};
}
CallbackScript Reject(std::string name, int delay_s = 1) {
  return {.name = std::move(name),
          .action = CallbackScript::Action::kFail,
          .error = {.error_type = "RejectedError", .error_message = "not approved"},
          .delay = absl::Seconds(delay_s)};
}
CallbackScript Heartbeat(std::string name) {
  return {.name = std::move(name), .action = CallbackScript::Action::kHeartbeat};
}

Fields Cb(std::string id, std::optional<std::string> name = std::nullopt, std::string parent = "",
          std::function<std::string(const HistoryEvent&)> check = nullptr) {
  return {.sub_type = "Callback",
          .id = std::move(id),
          .name = std::move(name),
          .parent = std::move(parent),
          .check = std::move(check)};
}
Fields Wait(std::string id, int64_t duration) {
  return {.sub_type = "Wait", .id = std::move(id), .check = DurationIs(duration)};
}

std::function<std::string(const HistoryEvent&)> Timeouts(std::optional<int64_t> timeout,
                                                         std::optional<int64_t> heartbeat) {
  return [=](const HistoryEvent& e) -> std::string {
    if (!e.details.callback_id) return "no CallbackId";
    if (timeout && e.details.timeout_seconds != timeout) return "wrong Timeout";
    if (heartbeat && e.details.heartbeat_timeout_seconds != heartbeat) {
      return "wrong HeartbeatTimeout";
    }
    return "";
  };
}
std::function<std::string(const HistoryEvent&)> Rejected() {
  return [](const HistoryEvent& e) -> std::string {
    if (!e.details.error || e.details.error->error_type != "RejectedError" ||
        e.details.error->error_message != "not approved") {
      return "not the RejectedError / not approved error";
    }
    return "";
  };
}

// The history of "create a callback, await it" with one answer: started, suspended, answered.
std::vector<Expected> OneCallback(std::string name, std::string answered,
                                  std::function<std::string(const HistoryEvent&)> started_check,
                                  std::function<std::string(const HistoryEvent&)> answer_check,
                                  std::string execution_end) {
  return {{2, "CallbackStarted", Cb("$CB", name, "", std::move(started_check))},
          {3, "InvocationCompleted"},
          {4, std::move(answered), Cb("$CB", name, "", std::move(answer_check))},
          {5, "InvocationCompleted"},
          {6, std::move(execution_end)}};
}

Json AwaitOne(DurableContext& ctx, const Json& in, durable::CallbackOptions options = {}) {
  return ctx.CreateCallback<Json>(Str(in), options).Result();
}

void AddCreateCallback(std::vector<Scenario>& out) {
  out.push_back({.id = "4-1",
                 .input = R"("Cb4aName01")",
                 .workflow = [](DurableContext& ctx, const Json& in) { return AwaitOne(ctx, in); },
                 .result = R"("Pay4a000001x")",
                 .history = OneCallback("Cb4aName01", "CallbackSucceeded", Timeouts({}, {}),
                                        ResultIs(R"("Pay4a000001x")"), "ExecutionSucceeded"),
                 .callbacks = {Succeed("Cb4aName01", R"("Pay4a000001x")")}});
  out.push_back({.id = "4-2",
                 .input = R"("approval")",
                 .workflow = [](DurableContext& ctx, const Json& in) { return AwaitOne(ctx, in); },
                 .result = R"("Pay4b000002y")",
                 .history = OneCallback("approval", "CallbackSucceeded", Timeouts({}, {}),
                                        ResultIs(R"("Pay4b000002y")"), "ExecutionSucceeded"),
                 .callbacks = {Succeed("approval", R"("Pay4b000002y")")}});
  out.push_back(
      {.id = "4-3",
       .input = R"("Cb4cName03")",
       .workflow = [](DurableContext& ctx,
                      const Json& in) { return AwaitOne(ctx, in, {.timeout = seconds(5)}); },
       .status = ExecutionStatus::kFailed,
       .history = OneCallback("Cb4cName03", "CallbackTimedOut", Timeouts(5, {}),
                              ErrorTypeIs("Callback.Timeout"), "ExecutionFailed")});
  out.push_back({.id = "4-4",
                 .input = R"("Cb4dName04")",
                 .workflow =
                     [](DurableContext& ctx, const Json& in) {
                       return AwaitOne(ctx, in, {.heartbeat_timeout = seconds(5)});
                     },
                 .status = ExecutionStatus::kFailed,
                 .history = OneCallback("Cb4dName04", "CallbackTimedOut", Timeouts({}, 5),
                                        ErrorTypeIs("Callback.Heartbeat"), "ExecutionFailed")});
  out.push_back(
      {.id = "4-5",
       .input = R"("Cb4eName05")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             return AwaitOne(ctx, in, {.heartbeat_timeout = seconds(10)});
           },
       .history = OneCallback("Cb4eName05", "CallbackSucceeded", Timeouts({}, 10),
                              ResultIs(R"("Pay4e000005z")"), "ExecutionSucceeded"),
       .callbacks = {Heartbeat("Cb4eName05"), Succeed("Cb4eName05", R"("Pay4e000005z")")}});
  out.push_back({.id = "4-6",
                 .input = R"("Cb4fName06")",
                 .workflow = [](DurableContext& ctx, const Json& in) { return AwaitOne(ctx, in); },
                 .status = ExecutionStatus::kFailed,
                 .history = OneCallback("Cb4fName06", "CallbackFailed", Timeouts({}, {}),
                                        Rejected(), "ExecutionFailed"),
                 .callbacks = {Reject("Cb4fName06")},
                 .check =
                     [](const durable_service::ExecutionSnapshot& s, const std::string&) {
                       std::vector<std::string> p;
                       if (!s.error || s.error->error_message != "not approved") {
                         p.push_back(
                             "the execution's error is not the callback's (\"not approved\")");
                       }
                       return p;
                     }});
}

// 4-7 .. 4-11: a step or a wait between creating the callback and awaiting it.
void AddInterleaved(std::vector<Scenario>& out) {
  auto with_step = [](std::string id, std::string name, std::optional<int64_t> timeout) {
    Scenario s{.id = id,
               .input = durable::EncodeJson(name),
               .workflow =
                   [timeout](DurableContext& ctx, const Json& in) {
                     durable::Callback<Json> cb = ctx.CreateCallback<Json>(
                         Str(in), {.timeout = seconds(timeout.value_or(0))});
                     ctx.Step("", [] { return 1; });
                     return cb.Result();
                   },
               .status = ExecutionStatus::kFailed};
    s.history = {{2, "CallbackStarted", Cb("$CB", name, "", Timeouts(timeout, {}))},
                 {3, "StepStarted", {.sub_type = "Step", .id = "$S"}},
                 {4, "StepSucceeded", {.sub_type = "Step", .id = "$S"}},
                 {5, "InvocationCompleted"},
                 {6, timeout ? "CallbackTimedOut" : "CallbackFailed",
                  Cb("$CB", name, "", timeout ? ErrorTypeIs("Callback.Timeout") : Rejected())},
                 {7, "InvocationCompleted"},
                 {8, "ExecutionFailed"}};
    if (!timeout) s.callbacks = {Reject(name)};
    return s;
  };
  out.push_back(with_step("4-7", "Cb4gName07", std::nullopt));
  out.push_back(with_step("4-8", "Cb4hName08", 5));
  auto with_wait = [](std::string id, std::string name, std::optional<int64_t> timeout,
                      int64_t wait, std::optional<CallbackScript> answer) {
    const bool ok = answer && answer->action == CallbackScript::Action::kSucceed;
    Scenario s{.id = id,
               .input = durable::EncodeJson(name),
               .workflow =
                   [timeout, wait](DurableContext& ctx, const Json& in) {
                     durable::Callback<Json> cb = ctx.CreateCallback<Json>(
                         Str(in), {.timeout = seconds(timeout.value_or(0))});
                     ctx.Wait("", seconds(wait));
                     return cb.Result();
                   },
               .status = ok ? ExecutionStatus::kSucceeded : ExecutionStatus::kFailed};
    const char* answered = !answer ? "CallbackTimedOut"
                           : ok    ? "CallbackSucceeded"
                                   : "CallbackFailed";
    s.history = {{2, "CallbackStarted", Cb("$CB", name, "", Timeouts(timeout, {}))},
                 {3, "WaitStarted", Wait("$W", wait)},
                 {4, "InvocationCompleted"},
                 {5, answered, Cb("$CB", name)},
                 {6, "InvocationCompleted"},
                 {7, "WaitSucceeded", Wait("$W", wait)},
                 {8, "InvocationCompleted"},
                 {9, ok ? "ExecutionSucceeded" : "ExecutionFailed"}};
    if (answer) s.callbacks = {*answer};
    return s;
  };
  out.push_back(
      with_wait("4-9", "Cb4iName09", std::nullopt, 5, Succeed("Cb4iName09", R"("Pay4i000009a")")));
  out.push_back(with_wait("4-10", "Cb4jName10", std::nullopt, 5, Reject("Cb4jName10")));
  out.push_back(with_wait("4-11", "Cb4kName11", 3, 6, std::nullopt));
}

// 4-12 .. 4-14: the callback's outcome (success, caught failure, caught timeout), then a wait.
void AddThenWait(std::vector<Scenario>& out) {
  auto then_wait = [](std::string id, std::string name, std::optional<int64_t> timeout,
                      std::optional<CallbackScript> answer, const char* answered) {
    Scenario s{.id = id,
               .input = durable::EncodeJson(name),
               .workflow = [timeout](DurableContext& ctx, const Json& in) {
                 Json result{R"("caught")"};
                 try {
                   result =
                       ctx.CreateCallback<Json>(Str(in), {.timeout = seconds(timeout.value_or(0))})
                           .Result();
                 } catch (const CallbackError& e) {
                   result = Quote(e.what());
                 }
                 ctx.Wait("", seconds(2));
                 return result;
               }};
    s.history = {{2, "CallbackStarted", Cb("$CB", name, "", Timeouts(timeout, {}))},
                 {3, "InvocationCompleted"},
                 {4, answered, Cb("$CB", name)},
                 {5, "WaitStarted", Wait("$W", 2)},
                 {6, "InvocationCompleted"},
                 {7, "WaitSucceeded", Wait("$W", 2)},
                 {8, "InvocationCompleted"},
                 {9, "ExecutionSucceeded"}};
    if (answer) s.callbacks = {*answer};
    return s;
  };
  out.push_back(then_wait("4-12", "Cb4lName12", std::nullopt,
                          Succeed("Cb4lName12", R"("Pay4l000012b")"), "CallbackSucceeded"));
  out.back().result = R"("Pay4l000012b")";
  out.push_back(
      then_wait("4-13", "Cb4mName13", std::nullopt, Reject("Cb4mName13"), "CallbackFailed"));
  out.back().result = R"("not approved")";
  out.push_back(then_wait("4-14", "Cb4nName14", 3, std::nullopt, "CallbackTimedOut"));
}

// 4-15, 4-16: the callback's result read as a type of the workflow's own.
struct Incoming {
  std::string id;
  std::string message;
  std::string timestamp;
};
void DescribeJson(JsonFields& fields, Incoming& in) {
  fields.Required("id", in.id);
  fields.Required("message", in.message);
  fields.Required("timestamp", in.timestamp);
}

void AddTyped(std::vector<Scenario>& out) {
  out.push_back(
      {.id = "4-15",
       .input = R"("Cb4oName15")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             const Incoming got = ctx.CreateCallback<Incoming>(Str(in)).Result();
             absl::Time t;
             std::string err;
             absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", got.timestamp, &t, &err);
             std::string out_json;
             JsonWriter w(&out_json);
             w.BeginObject().Key("received").BeginObject().Key("id").String(got.id);
             w.Key("message").String(got.message).Key("timestamp").Int(absl::ToUnixSeconds(t));
             w.EndObject().EndObject();
             return Json{out_json};
           },
       .result = R"({"received":{"id":"Id4o0015","message":"hello","timestamp":1767225600}})",
       .history = OneCallback("Cb4oName15", "CallbackSucceeded", Timeouts({}, {}), nullptr,
                              "ExecutionSucceeded"),
       .callbacks = {Succeed(
           "Cb4oName15",
           R"({"id": "Id4o0015", "message": "hello", "timestamp": "2026-01-01T00:00:00.000Z"})")}});
  out.push_back({.id = "4-16",
                 .input = R"("Cb4pName16")",
                 .workflow =
                     [](DurableContext& ctx, const Json& in) {
                       const int64_t count = ctx.CreateCallback<int64_t>(Str(in)).Result();
                       return Json{"{\"count\":" + std::to_string(count) +
                                   ",\"doubled\":" + std::to_string(2 * count) + "}"};
                     },
                 .result = R"({"count":42,"doubled":84})",
                 .history = OneCallback("Cb4pName16", "CallbackSucceeded", Timeouts({}, {}),
                                        ResultIs("42"), "ExecutionSucceeded"),
                 .callbacks = {Succeed("Cb4pName16", "42")}});
}

// 4-17 .. 4-19: two callbacks, awaited in different orders.
void AddTwoCallbacks(std::vector<Scenario>& out) {
  out.push_back({.id = "4-17",
                 .input = R"(["Cb4qNameA7","Cb4qNameB7"])",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       const Json a = ctx.CreateCallback<Json>("Cb4qNameA7").Result();
                       const Json b = ctx.CreateCallback<Json>("Cb4qNameB7").Result();
                       return Json{"[" + a.text + "," + b.text + "]"};
                     },
                 .result = R"(["PayA4q00017","PayB4q00017"])",
                 .history = {{2, "CallbackStarted", Cb("$A", "Cb4qNameA7")},
                             {3, "InvocationCompleted"},
                             {4, "CallbackSucceeded",
                              Cb("$A", "Cb4qNameA7", "", ResultIs(R"("PayA4q00017")"))},
                             {5, "CallbackStarted", Cb("$B", "Cb4qNameB7")},
                             {6, "InvocationCompleted"},
                             {7, "CallbackSucceeded",
                              Cb("$B", "Cb4qNameB7", "", ResultIs(R"("PayB4q00017")"))},
                             {8, "InvocationCompleted"},
                             {9, "ExecutionSucceeded"}},
                 .callbacks = {Succeed("Cb4qNameA7", R"("PayA4q00017")"),
                               Succeed("Cb4qNameB7", R"("PayB4q00017")")}});
  auto both_created = [](std::string id, std::string a, std::string b, bool b_first,
                         std::vector<CallbackScript> answers) {
    Scenario s{.id = id,
               .input = "[" + durable::EncodeJson(a) + "," + durable::EncodeJson(b) + "]",
               .workflow =
                   [a, b, b_first](DurableContext& ctx, const Json&) {
                     durable::Callback<Json> ca = ctx.CreateCallback<Json>(a);
                     durable::Callback<Json> cb = ctx.CreateCallback<Json>(b);
                     Json ra;
                     Json rb;
                     if (b_first) rb = cb.Result();
                     ra = ca.Result();
                     if (!b_first) rb = cb.Result();
                     return Json{"[" + ra.text + "," + rb.text + "]"};
                   },
               .callbacks = std::move(answers)};
    s.history = {{2, "CallbackStarted", Cb("$A", a)}, {3, "CallbackStarted", Cb("$B", b)},
                 {4, "InvocationCompleted"},          {5, "CallbackSucceeded", Cb("$A", a)},
                 {6, "InvocationCompleted"},          {7, "CallbackSucceeded", Cb("$B", b)},
                 {8, "InvocationCompleted"},          {9, "ExecutionSucceeded"}};
    return s;
  };
  out.push_back(both_created("4-18", "Cb4rNameA8", "Cb4rNameB8", false,
                             {Succeed("Cb4rNameA8", R"("PayA4r00018")", 3),
                              Succeed("Cb4rNameB8", R"("PayB4r00018")", 4)}));
  out.back().result = R"(["PayA4r00018","PayB4r00018"])";
  out.push_back(both_created("4-19", "Cb4sNameA9", "Cb4sNameB9", true,
                             {Succeed("Cb4sNameB9", R"("PayB4s00019")", 4),
                              Succeed("Cb4sNameA9", R"("PayA4s00019")", 1)}));
  out.back().result = R"(["PayA4s00019","PayB4s00019"])";
}

}  // namespace

std::vector<Scenario> CallbackScenarios() {
  std::vector<Scenario> out;
  AddCreateCallback(out);
  AddInterleaved(out);
  AddThenWait(out);
  AddTyped(out);
  AddTwoCallbacks(out);
  return out;
}

}  // namespace lmc::durable_testing
