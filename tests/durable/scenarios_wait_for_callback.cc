// Conformance scenarios of the wait-for-callback suite (7-1 .. 7-15). See scenarios.h.

#include <chrono>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/durable/scenarios.h"

namespace lmc::durable_testing {
namespace {

using durable::Backoff;
using durable::DurableContext;
using durable::Failure;
using durable::Json;
using durable::OperationError;
using durable_service::CallbackScript;
using durable_service::ExecutionStatus;
using durable_service::HistoryEvent;
using std::chrono::seconds;

CallbackScript Any(std::optional<std::string> payload) {
  return {.name = "*",
          .action = CallbackScript::Action::kSucceed,
          .result = std::move(payload),
          .delay = absl::Seconds(1)};
}
CallbackScript AnyRejects() {
  return {.name = "*",
          .action = CallbackScript::Action::kFail,
          .error = {.error_type = "RejectedError", .error_message = "not approved"},
          .delay = absl::Seconds(1)};
}

Fields Ctx(std::optional<std::string> name, std::string parent = "",
           std::function<std::string(const HistoryEvent&)> check = nullptr) {
  return {.sub_type = "WaitForCallback",
          .id = "$ID",
          .name = std::move(name),
          .parent = std::move(parent),
          .check = std::move(check)};
}
Fields Cb(std::function<std::string(const HistoryEvent&)> check = nullptr) {
  return {.sub_type = "Callback", .id = "$CB", .parent = "$ID", .check = std::move(check)};
}
Fields Submitter() { return {.sub_type = "Step", .id = "$STEP", .parent = "$ID"}; }

// ContextStarted, CallbackStarted, the submitter step, then the invocation ends: events 2-6.
std::vector<Expected> Prelude(std::optional<std::string> name,
                              std::function<std::string(const HistoryEvent&)> started = nullptr) {
  return {{2, "ContextStarted", Ctx(name)},
          {3, "CallbackStarted", Cb(std::move(started))},
          {4, "StepStarted", Submitter()},
          {5, "StepSucceeded", Submitter()},
          {6, "InvocationCompleted"}};
}
std::vector<Expected> Then(std::vector<Expected> events, std::vector<Expected> more) {
  for (Expected& e : more) events.push_back(std::move(e));
  return events;
}

std::function<std::string(const HistoryEvent&)> Limits(std::optional<int64_t> timeout,
                                                       std::optional<int64_t> heartbeat) {
  return [=](const HistoryEvent& e) -> std::string {
    if (timeout && e.details.timeout_seconds != timeout) return "wrong Timeout";
    if (heartbeat && e.details.heartbeat_timeout_seconds != heartbeat) {
      return "wrong HeartbeatTimeout";
    }
    return "";
  };
}

Json WaitFor(DurableContext& ctx, std::string_view name,
             durable::WaitForCallbackOptions options = {}) {
  return ctx.WaitForCallback<Json>(
      name, [](std::string_view) {}, options);
}

void AddBasics(std::vector<Scenario>& out) {
  auto succeeding = [](std::string id, std::string input, std::optional<std::string> name,
                       std::string payload) {
    return Scenario{
        .id = id,
        .input = input,
        .workflow = [name](DurableContext& ctx,
                           const Json& in) { return WaitFor(ctx, name.value_or(Str(in))); },
        .result = payload,
        .history = Then(Prelude(name ? name : std::optional<std::string>(Str(Json{input}))),
                        {{7, "CallbackSucceeded", Cb(ResultIs(payload))},
                         {8, "ContextSucceeded",
                          Ctx(name ? name : std::optional<std::string>(Str(Json{input})))},
                         {9, "InvocationCompleted"},
                         {10, "ExecutionSucceeded"}}),
        .callbacks = {Any(payload)}};
  };
  out.push_back(succeeding("7-1", R"("Wf7aName01")", std::nullopt, R"("Pay7a000001c")"));
  out.push_back(succeeding("7-2", "null", "approval", R"("Pay7b000002d")"));
  out.push_back({.id = "7-3",
                 .input = "null",
                 .workflow = [](DurableContext& ctx, const Json&) { return WaitFor(ctx, ""); },
                 .result = R"("Pay7c000003e")",
                 .history = Then(Prelude(std::nullopt), {{7, "CallbackSucceeded", Cb()},
                                                         {8, "ContextSucceeded", Ctx(std::nullopt)},
                                                         {9, "InvocationCompleted"},
                                                         {10, "ExecutionSucceeded"}}),
                 .callbacks = {Any(R"("Pay7c000003e")")}});
  out.push_back(
      {.id = "7-4",
       .input = R"("Wf7dName04")",
       .workflow = [](DurableContext& ctx, const Json& in) { return WaitFor(ctx, Str(in)); },
       .status = ExecutionStatus::kFailed,
       .history =
           Then(Prelude("Wf7dName04"), {{7, "CallbackFailed", Cb(ErrorTypeIs("RejectedError"))},
                                        {8, "ContextFailed", Ctx("Wf7dName04")},
                                        {9, "InvocationCompleted"},
                                        {10, "ExecutionFailed"}}),
       .callbacks = {AnyRejects()}});
  out.push_back(
      {.id = "7-5",
       .input = R"("Wf7eName05")",
       .workflow = [](DurableContext& ctx,
                      const Json& in) { return WaitFor(ctx, Str(in), {.timeout = seconds(3)}); },
       .status = ExecutionStatus::kFailed,
       .history = Then(Prelude("Wf7eName05", Limits(3, std::nullopt)),
                       {{7, "CallbackTimedOut", Cb(ErrorTypeIs("Callback.Timeout"))},
                        {8, "ContextFailed", Ctx("Wf7eName05")},
                        {9, "InvocationCompleted"},
                        {10, "ExecutionFailed"}})});
  out.push_back({.id = "7-6",
                 .input = R"("Wf7fName06")",
                 .workflow =
                     [](DurableContext& ctx, const Json& in) {
                       try {
                         return WaitFor(ctx, Str(in));
                       } catch (const OperationError&) {
                         return Json{R"("recovered")"};
                       }
                     },
                 .result = R"("recovered")",
                 .history = Then(Prelude("Wf7fName06"),
                                 {{7, "CallbackFailed", Cb(ErrorTypeIs("RejectedError"))},
                                  {8, "ContextFailed", Ctx("Wf7fName06")},
                                  {9, "InvocationCompleted"},
                                  {10, "ExecutionSucceeded"}}),
                 .callbacks = {AnyRejects()}});
}

void AddVariants(std::vector<Scenario>& out) {
  out.push_back(
      {.id = "7-7",
       .input = R"("Wf7gName07")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             return ctx.WaitForCallback<Json>(
                 Str(in),
                 [](std::string_view) { throw Failure("Submitter.Failed", "cannot submit"); },
                 {.submitter_retry = Backoff({.max_attempts = 2, .initial_delay = seconds(1)})});
           },
       .status = ExecutionStatus::kFailed,
       .history = {{2, "ContextStarted", Ctx("Wf7gName07")},
                   {3, "CallbackStarted", Cb()},
                   {4, "StepStarted", Submitter()},
                   {5, "StepFailed", Submitter()},
                   {6, "InvocationCompleted"},
                   {7, "StepStarted", Submitter()},
                   {8, "StepFailed", Submitter()},
                   {9, "ContextFailed", Ctx("Wf7gName07")},
                   {10, "InvocationCompleted"},
                   {11, "ExecutionFailed"}}});
  out.push_back({.id = "7-8",
                 .input = R"("Wf7hName08")",
                 .workflow =
                     [](DurableContext& ctx, const Json& in) {
                       return ctx.RunInChildContext(
                           "wrapper", [&](DurableContext& c) { return WaitFor(c, Str(in)); });
                     },
                 .result = R"("Pay7h000008f")",
                 .history = {{2,
                              "ContextStarted",
                              {.sub_type = "RunInChildContext", .id = "$W", .name = "wrapper"}},
                             {3, "ContextStarted", Ctx("Wf7hName08", "$W")},
                             {4, "CallbackStarted", Cb()},
                             {5, "StepStarted", Submitter()},
                             {6, "StepSucceeded", Submitter()},
                             {7, "InvocationCompleted"},
                             {8, "CallbackSucceeded", Cb()},
                             {9, "ContextSucceeded", Ctx("Wf7hName08", "$W")},
                             {10,
                              "ContextSucceeded",
                              {.sub_type = "RunInChildContext", .id = "$W", .name = "wrapper"}},
                             {11, "InvocationCompleted"},
                             {12, "ExecutionSucceeded"}},
                 .callbacks = {Any(R"("Pay7h000008f")")}});
  out.push_back(
      {.id = "7-9",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             WaitFor(ctx, "first");
             return WaitFor(ctx, "second");
           },
       .result = R"("Pay7i2000009")",
       .history =
           {{2, "ContextStarted", {.sub_type = "WaitForCallback", .id = "$ID1", .name = "first"}},
            {3, "CallbackStarted", {.sub_type = "Callback", .id = "$CB1", .parent = "$ID1"}},
            {6, "InvocationCompleted"},
            {7,
             "CallbackSucceeded",
             {.sub_type = "Callback", .id = "$CB1", .check = ResultIs(R"("Pay7i1000009")")}},
            {8, "ContextSucceeded", {.sub_type = "WaitForCallback", .id = "$ID1", .name = "first"}},
            {9, "ContextStarted", {.sub_type = "WaitForCallback", .id = "$ID2", .name = "second"}},
            {10, "CallbackStarted", {.sub_type = "Callback", .id = "$CB2", .parent = "$ID2"}},
            {11, "StepStarted", {.sub_type = "Step", .id = "$S2", .parent = "$ID2"}},
            {12, "StepSucceeded", {.sub_type = "Step", .id = "$S2", .parent = "$ID2"}},
            {13, "InvocationCompleted"},
            {14,
             "CallbackSucceeded",
             {.sub_type = "Callback", .id = "$CB2", .check = ResultIs(R"("Pay7i2000009")")}},
            {15,
             "ContextSucceeded",
             {.sub_type = "WaitForCallback", .id = "$ID2", .name = "second"}},
            {16, "InvocationCompleted"},
            {17, "ExecutionSucceeded"}},
       .callbacks = {Any(R"("Pay7i1000009")"), Any(R"("Pay7i2000009")")}});
  out.push_back(
      {.id = "7-10",
       .input = R"("Wf7jName10")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             ctx.Wait("", seconds(1));
             ctx.Step("", [] { return std::string("fixed"); });
             return WaitFor(ctx, Str(in));
           },
       .result = R"("Pay7j000010g")",
       .history = {{2, "WaitStarted", {.sub_type = "Wait", .id = "$W1", .check = DurationIs(1)}},
                   {3, "InvocationCompleted"},
                   {4, "WaitSucceeded", {.sub_type = "Wait", .id = "$W1", .check = DurationIs(1)}},
                   {5, "StepStarted", {.sub_type = "Step", .id = "$S1", .parent = "-"}},
                   {6, "StepSucceeded", {.sub_type = "Step", .id = "$S1", .parent = "-"}},
                   {7, "ContextStarted", Ctx("Wf7jName10")},
                   {8, "CallbackStarted", Cb()},
                   {9, "StepStarted", Submitter()},
                   {10, "StepSucceeded", Submitter()},
                   {11, "InvocationCompleted"},
                   {12, "CallbackSucceeded", Cb()},
                   {13, "ContextSucceeded", Ctx("Wf7jName10")},
                   {14, "InvocationCompleted"},
                   {15, "ExecutionSucceeded"}},
       .callbacks = {Any(R"("Pay7j000010g")")}});
}

struct Status {
  std::string status;
};
void DescribeJson(JsonFields& fields, Status& s) { fields.Required("status", s.status); }

void AddTimeoutsAndPayloads(std::vector<Scenario>& out) {
  out.push_back(
      {.id = "7-11",
       .input = R"("Wf7kName11")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             const Status s = ctx.WaitForCallback<Status>(Str(in), [](std::string_view) {});
             return Quote(s.status);
           },
       .result = R"("approved")",
       .history = Then(Prelude("Wf7kName11"),
                       {{7, "CallbackSucceeded", Cb(ResultIs(R"({"status": "approved"})"))},
                        {8, "ContextSucceeded", Ctx("Wf7kName11")},
                        {9, "InvocationCompleted"},
                        {10, "ExecutionSucceeded"}}),
       .callbacks = {Any(R"({"status": "approved"})")}});
  out.push_back({.id = "7-12",
                 .input = R"("Wf7lName12")",
                 .workflow =
                     [](DurableContext& ctx, const Json& in) {
                       return WaitFor(ctx, Str(in), {.heartbeat_timeout = seconds(5)});
                     },
                 .status = ExecutionStatus::kFailed,
                 .history = Then(Prelude("Wf7lName12", Limits(std::nullopt, 5)),
                                 {{7, "CallbackTimedOut", Cb(ErrorTypeIs("Callback.Heartbeat"))},
                                  {8, "ContextFailed", Ctx("Wf7lName12")},
                                  {9, "InvocationCompleted"},
                                  {10, "ExecutionFailed"}})});
  out.push_back({.id = "7-13",
                 .input = R"("Wf7mName13")",
                 .workflow =
                     [](DurableContext& ctx, const Json& in) {
                       return WaitFor(ctx, Str(in), {.heartbeat_timeout = seconds(10)});
                     },
                 .result = R"("Pay7m000013h")",
                 .history = Then(Prelude("Wf7mName13", Limits(std::nullopt, 10)),
                                 {{7, "CallbackSucceeded", Cb(ResultIs(R"("Pay7m000013h")"))},
                                  {8, "ContextSucceeded", Ctx("Wf7mName13")},
                                  {9, "InvocationCompleted"},
                                  {10, "ExecutionSucceeded"}}),
                 .callbacks = {{.name = "*", .action = CallbackScript::Action::kHeartbeat},
                               Any(R"("Pay7m000013h")")}});
  out.push_back({.id = "7-14",
                 .input = R"("Wf7nName14")",
                 .workflow =
                     [](DurableContext& ctx, const Json& in) {
                       try {
                         return WaitFor(ctx, Str(in), {.timeout = seconds(3)});
                       } catch (const OperationError&) {
                         return Json{R"("timed-out-handled")"};
                       }
                     },
                 .result = R"("timed-out-handled")",
                 .history = Then(Prelude("Wf7nName14", Limits(3, std::nullopt)),
                                 {{7, "CallbackTimedOut", Cb(ErrorTypeIs("Callback.Timeout"))},
                                  {8, "ContextFailed", Ctx("Wf7nName14")},
                                  {9, "InvocationCompleted"},
                                  {10, "ExecutionSucceeded"}})});
  out.push_back(
      {.id = "7-15",
       .input = R"("Wf7oName15")",
       .workflow = [](DurableContext& ctx, const Json& in) { return WaitFor(ctx, Str(in)); },
       .result = "null",
       .history = Then(Prelude("Wf7oName15"), {{7, "CallbackSucceeded", Cb()},
                                               {8, "ContextSucceeded", Ctx("Wf7oName15")},
                                               {9, "InvocationCompleted"},
                                               {10, "ExecutionSucceeded"}}),
       .callbacks = {Any(std::nullopt)}});
}

}  // namespace

std::vector<Scenario> WaitForCallbackScenarios() {
  std::vector<Scenario> out;
  AddBasics(out);
  AddVariants(out);
  AddTimeoutsAndPayloads(out);
  return out;
}

}  // namespace lmc::durable_testing
