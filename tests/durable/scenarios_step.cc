// Conformance scenarios of the step suite (requirements 1-1 .. 1-20). See scenarios.h.

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tests/durable/scenarios.h"

namespace lmc::durable_testing {
namespace {

using durable::Backoff;
using durable::DurableContext;
using durable::Failure;
using durable::Jitter;
using durable::Json;
using durable::NoRetry;
using durable::StepContext;
using durable::StepError;
using durable::StepSemantics;
using durable_service::ExecutionStatus;
using durable_service::HistoryEvent;

// Requirement 1-4's shapes: a nested object with an array, both ways through the codec.
struct Person {
  std::string name;
  std::vector<std::string> tags;
};
void DescribeJson(JsonFields& fields, Person& p) {
  fields.Required("name", p.name);
  fields.Optional("tags", p.tags);
}
void WriteJson(JsonWriter& w, const Person& p) {
  w.BeginObject().Key("name").String(p.name).Key("tags").BeginArray();
  for (const std::string& t : p.tags) w.String(t);
  w.EndArray().EndObject();
}
struct Profile {
  Person user;
  int64_t count = 0;
};
void DescribeJson(JsonFields& fields, Profile& p) {
  fields.Required("user", p.user);
  fields.Required("count", p.count);
}
void WriteJson(JsonWriter& w, const Profile& p) {
  w.BeginObject().Key("user");
  WriteJson(w, p.user);
  w.Key("count").Int(p.count).EndObject();
}

// An ErrorObject with both a type and a message (the requirements' `{ErrorMessage, ErrorType}`).
std::string HasTypeAndMessage(const HistoryEvent& e) {
  if (!e.details.error || !e.details.error->error_type || !e.details.error->error_message) {
    return "the error lacks ErrorType or ErrorMessage";
  }
  return "";
}

std::function<std::string(const HistoryEvent&)> DelayWithin(int attempt, int64_t lo, int64_t hi) {
  return [=](const HistoryEvent& e) -> std::string {
    if (e.details.current_attempt != attempt) {
      return absl::StrCat("attempt ", e.details.current_attempt);
    }
    const int64_t d = e.details.next_attempt_delay_seconds.value_or(-1);
    if (d < lo || d > hi) {
      return absl::StrCat("NextAttemptDelaySeconds ", d, " not in [", lo, ",", hi, "]");
    }
    return "";
  };
}

// Fails every attempt before `succeed_on`, then returns `value`.
auto FlakyBody(int succeed_on, std::string value, std::string error_type = "Flaky") {
  return [=](StepContext& step) -> std::string {
    if (step.attempt() < succeed_on) {
      throw Failure(error_type, absl::StrCat("attempt ", step.attempt()));
    }
    return value;
  };
}

void AddBasics(std::vector<Scenario>& out) {
  out.push_back({.id = "1-1",
                 .input = R"("World")",
                 .workflow =
                     [](DurableContext& ctx, const Json& in) {
                       return Encode(ctx.Step("", [&] { return "Hello, " + Str(in) + "!"; }));
                     },
                 .result = R"("Hello, World!")",
                 .history = {{2, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                             {3, "StepSucceeded", {.sub_type = "Step", .id = "$1"}},
                             {4, "InvocationCompleted"}}});
  out.push_back(
      {.id = "1-2",
       .input = R"("World")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             return Encode(ctx.Step("custom_step_name", [&] { return "Hello, " + Str(in) + "!"; }));
           },
       .result = R"("Hello, World!")",
       .history = {
           {2, "StepStarted", {.sub_type = "Step", .id = "$1", .name = "custom_step_name"}},
           {3, "StepSucceeded", {.sub_type = "Step", .id = "$1", .name = "custom_step_name"}},
           {4, "InvocationCompleted"}}});
  out.push_back({.id = "1-3",
                 .input = "null",
                 .workflow =
                     [](DurableContext& ctx, const Json&) {
                       const std::string first = ctx.Step("", [] { return std::string("first"); });
                       return Encode(ctx.Step("", [&] { return first + "_second"; }));
                     },
                 .result = R"("first_second")",
                 .history = {{2, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                             {3, "StepSucceeded", {.sub_type = "Step", .id = "$1"}},
                             {4, "StepStarted", {.sub_type = "Step", .id = "$2"}},
                             {5, "StepSucceeded", {.sub_type = "Step", .id = "$2"}},
                             {6, "InvocationCompleted"}}});
  out.push_back({.id = "1-4",
                 .input = R"({"name":"Alice","tags":["admin","active"]})",
                 .workflow =
                     [](DurableContext& ctx, const Json& in) {
                       return Encode(ctx.Step("", [&]() -> absl::StatusOr<Profile> {
                         absl::StatusOr<Person> person = durable::DecodeJson<Person>(in.text);
                         if (!person.ok()) return person.status();
                         return Profile{*person, static_cast<int64_t>(person->tags.size())};
                       }));
                     },
                 .result = R"({"user":{"name":"Alice","tags":["admin","active"]},"count":2})",
                 .history = {{2, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                             {3, "StepSucceeded", {.sub_type = "Step", .id = "$1"}},
                             {4, "InvocationCompleted"}}});
  out.push_back(
      {.id = "1-5",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             ctx.Step("", [] {});
             return Json{"null"};
           },
       .result = "null",
       .history = {
           {2, "StepStarted", {.sub_type = "Step", .id = "$1"}},
           {3, "StepSucceeded", {.sub_type = "Step", .id = "$1", .check = ResultIs("null")}},
           {4, "InvocationCompleted"}}});
  out.push_back(
      {.id = "1-6",
       .input = R"("hello world")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             // A per-step serializer: the body hands the codec JSON text it wrote itself
             // (lmc::durable::Json passes through), here upper-casing every string.
             return ctx.Step("", [&] { return Quote(absl::AsciiStrToUpper(Str(in))); });
           },
       .result = R"("HELLO WORLD")",
       .history = {{2, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                   {3,
                    "StepSucceeded",
                    {.sub_type = "Step", .id = "$1", .check = ResultIs(R"("HELLO WORLD")")}},
                   {4, "InvocationCompleted"}}});
  out.push_back({.id = "1-7",
                 .input = R"("Kj3mQz8w")",
                 .workflow =
                     [](DurableContext& ctx, const Json& in) {
                       return Encode(ctx.Step("", [&](StepContext& step) {
                         step.logger().Info("Greeting step started for: " + Str(in));
                         const std::string greeting = "Hello, " + Str(in) + "!";
                         step.logger().Info("Greeting step completed with: " + greeting);
                         return greeting;
                       }));
                     },
                 .result = R"("Hello, Kj3mQz8w!")",
                 .history = {{2, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                             {3, "StepSucceeded", {.sub_type = "Step", .id = "$1"}},
                             {4, "InvocationCompleted"}},
                 .check = LinesExactly({{"Greeting step started for: Kj3mQz8w", 1},
                                        {"Greeting step completed with: Hello, Kj3mQz8w!", 1}})});
}

void AddReplays(std::vector<Scenario>& out) {
  auto step_then_wait = [](std::string id, std::string value, int64_t seconds) {
    return Scenario{
        .id = id,
        .input = "null",
        .workflow =
            [id, value, seconds](DurableContext& ctx, const Json&) {
              const std::string v = ctx.Step("", [&] {
                MarkRun(id + " step");
                return value;
              });
              ctx.Wait("", std::chrono::seconds(seconds));
              return Encode(v);
            },
        .result = durable::EncodeJson(value),
        .history =
            {{2, "StepStarted", {.sub_type = "Step", .id = "$1"}},
             {3, "StepSucceeded", {.sub_type = "Step", .id = "$1"}},
             {4, "WaitStarted", {.sub_type = "Wait", .id = "$2", .check = DurationIs(seconds)}},
             {5, "InvocationCompleted"},
             {6, "WaitSucceeded", {.sub_type = "Wait", .id = "$2", .check = DurationIs(seconds)}},
             {7, "InvocationCompleted"}},
        .check = LinesExactly({{"body-run " + id + " step", 1}})};
  };
  out.push_back(step_then_wait("1-8", "computed", 2));
  out.push_back(step_then_wait("1-9", "cached_value", 1));
  out.push_back(
      {.id = "1-10",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             try {
               ctx.Step("",
                        [] {
                          MarkRun("1-10 step");
                          throw Failure("Permanent", "step failed");
                        },
                        {.retry = NoRetry()});
             } catch (const StepError&) {
             }
             ctx.Wait("", std::chrono::seconds(1));
             return Json{R"("caught")"};
           },
       .history = {{2, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                   {3, "StepFailed", {.sub_type = "Step", .id = "$1", .check = HasTypeAndMessage}},
                   {4, "WaitStarted", {.sub_type = "Wait", .id = "$2", .check = DurationIs(1)}},
                   {5, "InvocationCompleted"},
                   {6, "WaitSucceeded", {.sub_type = "Wait", .id = "$2", .check = DurationIs(1)}},
                   {7, "InvocationCompleted"}},
       .check = LinesExactly({{"body-run 1-10 step", 1}})});
}

void AddRetries(std::vector<Scenario>& out) {
  out.push_back(
      {.id = "1-11",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             return Encode(ctx.Step("", FlakyBody(2, "Operation succeeded"),
                                    {.retry = Backoff({.max_attempts = 3,
                                                       .initial_delay = std::chrono::seconds(1),
                                                       .jitter = Jitter::kNone})}));
           },
       .result = R"("Operation succeeded")",
       .history = {{2, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                   {3, "StepFailed", {.sub_type = "Step", .id = "$1", .check = AttemptIs(1)}},
                   {4, "InvocationCompleted"},
                   {5, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                   {6, "StepSucceeded", {.sub_type = "Step", .id = "$1", .check = AttemptIs(2)}},
                   {7, "InvocationCompleted"}}});
  Scenario exhausted{
      .id = "1-12",
      .input = "null",
      .workflow =
          [](DurableContext& ctx, const Json&) {
            return Encode(ctx.Step("", FlakyBody(99, "never"),
                                   {.retry = Backoff({.max_attempts = 4,
                                                      .initial_delay = std::chrono::seconds(1),
                                                      .backoff_rate = 1,
                                                      .jitter = Jitter::kNone})}));
          },
      .status = ExecutionStatus::kFailed};
  for (int attempt = 1; attempt <= 4; ++attempt) {
    const int base = 2 + 3 * (attempt - 1);
    exhausted.history.push_back({base, "StepStarted", {.sub_type = "Step", .id = "$1"}});
    exhausted.history.push_back(
        {base + 1,
         "StepFailed",
         {.sub_type = "Step", .id = "$1", .check = [attempt](const HistoryEvent& e) {
            return AttemptIs(attempt, attempt < 4 ? std::optional<int64_t>(1) : std::nullopt)(e) +
                   (attempt == 4 && e.details.next_attempt_delay_seconds
                        ? " a last attempt has no delay"
                        : "");
          }}});
    exhausted.history.push_back({base + 2, "InvocationCompleted"});
  }
  out.push_back(std::move(exhausted));
  out.push_back(
      {.id = "1-13",
       .input = "null",
       .workflow = [](DurableContext& ctx,
                      const Json&) { return Encode(ctx.Step("", FlakyBody(3, "third time"))); },
       .history = {
           {2, "StepStarted", {.sub_type = "Step", .id = "$1"}},
           {3, "StepFailed", {.sub_type = "Step", .id = "$1", .check = DelayWithin(1, 0, 5)}},
           {4, "InvocationCompleted"},
           {5, "StepStarted", {.sub_type = "Step", .id = "$1"}},
           {6, "StepFailed", {.sub_type = "Step", .id = "$1", .check = DelayWithin(2, 0, 10)}},
           {7, "InvocationCompleted"},
           {8, "StepStarted", {.sub_type = "Step", .id = "$1"}},
           {9, "StepSucceeded", {.sub_type = "Step", .id = "$1", .check = AttemptIs(3)}},
           {10, "InvocationCompleted"}}});
  out.push_back(
      {.id = "1-14",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             return Encode(ctx.Step("", FlakyBody(3, "ok"),
                                    {.retry = Backoff({.max_attempts = 5,
                                                       .initial_delay = std::chrono::seconds(2),
                                                       .backoff_rate = 3,
                                                       .jitter = Jitter::kNone})}));
           },
       .history = {{2, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                   {3, "StepFailed", {.sub_type = "Step", .id = "$1", .check = AttemptIs(1, 2)}},
                   {4, "InvocationCompleted"},
                   {5, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                   {6, "StepFailed", {.sub_type = "Step", .id = "$1", .check = AttemptIs(2, 6)}},
                   {7, "InvocationCompleted"},
                   {8, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                   {9, "StepSucceeded", {.sub_type = "Step", .id = "$1", .check = AttemptIs(3)}},
                   {10, "InvocationCompleted"}}});
}

void AddErrorTypes(std::vector<Scenario>& out) {
  out.push_back(
      {.id = "1-15",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             return Encode(
                 ctx.Step("", FlakyBody(2, "ok", "TransientError"),
                          {.retry = Backoff({.max_attempts = 3,
                                             .initial_delay = std::chrono::seconds(1),
                                             .jitter = Jitter::kNone,
                                             .retryable_error_types = {"TransientError"}})}));
           },
       .history = {{2, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                   {3,
                    "StepFailed",
                    {.sub_type = "Step",
                     .id = "$1",
                     .check =
                         [](const HistoryEvent& e) {
                           return ErrorTypeIs("TransientError")(e) + AttemptIs(1, 1)(e);
                         }}},
                   {4, "InvocationCompleted"},
                   {5, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                   {6, "StepSucceeded", {.sub_type = "Step", .id = "$1", .check = AttemptIs(2)}},
                   {7, "InvocationCompleted"}}});
  out.push_back(
      {.id = "1-16",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             durable::RetryStrategy no_retry_on_transient = [](const durable::ErrorObject& error,
                                                               int) {
               return error.type == "TransientError"
                          ? durable::RetryDecision::Stop()
                          : durable::RetryDecision::After(std::chrono::seconds(1));
             };
             return Encode(ctx.Step("", FlakyBody(2, "ok", "TransientError"),
                                    {.retry = no_retry_on_transient}));
           },
       .status = ExecutionStatus::kFailed,
       .history = {{2, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                   {3,
                    "StepFailed",
                    {.sub_type = "Step", .id = "$1", .check = ErrorTypeIs("TransientError")}},
                   {4, "InvocationCompleted"}}});
  out.push_back(
      {.id = "1-19",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             return Encode(ctx.Step("", FlakyBody(99, "never"), {.retry = NoRetry()}));
           },
       .status = ExecutionStatus::kFailed,
       .history = {{2, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                   {3, "StepFailed", {.sub_type = "Step", .id = "$1", .check = HasTypeAndMessage}},
                   {4, "InvocationCompleted"}}});
  out.push_back(
      {.id = "1-20",
       .input = "null",
       .workflow =
           [](DurableContext& ctx, const Json&) {
             std::string value;
             try {
               value = ctx.Step("", FlakyBody(99, "never"), {.retry = NoRetry()});
             } catch (const StepError&) {
               value = "fallback";
             }
             return Encode(ctx.Step("", [&] { return value + "_result"; }));
           },
       .result = R"("fallback_result")",
       .history = {{2, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                   {3, "StepFailed", {.sub_type = "Step", .id = "$1", .check = HasTypeAndMessage}},
                   {4, "StepStarted", {.sub_type = "Step", .id = "$2"}},
                   {5, "StepSucceeded", {.sub_type = "Step", .id = "$2"}},
                   {6, "InvocationCompleted"}}});
}

// 1-17 and 1-18: an at-most-once step whose attempt crashes the runtime (the process exits
// before the attempt's outcome is logged).
void AddInterrupted(std::vector<Scenario>& out) {
  auto exit_error = [](const HistoryEvent& e) -> std::string {
    return ErrorTypeIs("Runtime.ExitError")(e);
  };
  out.push_back(
      {.id = "1-17",
       .input = R"("Xq7Lm2Pa")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             return Encode(
                 ctx.Step("at_most_once_flaky_step",
                          [&](StepContext& step) {
                            step.logger().Info("flaky step input " + Str(in));
                            std::fflush(nullptr);
                            _exit(3);
                            return std::string("unreachable");
                          },
                          {.retry = NoRetry(), .semantics = StepSemantics::kAtMostOncePerRetry}));
           },
       .function = kCrashFunction,
       .status = ExecutionStatus::kFailed,
       .history =
           {{2, "StepStarted", {.sub_type = "Step", .id = "$1", .name = "at_most_once_flaky_step"}},
            {3, "InvocationCompleted", {.check = exit_error}},
            {4,
             "StepFailed",
             {.sub_type = "Step",
              .id = "$1",
              .name = "at_most_once_flaky_step",
              .check =
                  [](const HistoryEvent& e) { return HasTypeAndMessage(e) + AttemptIs(1)(e); }}},
            {5, "InvocationCompleted"}},
       .check = LinesExactly({{"flaky step input Xq7Lm2Pa", 1}})});
  out.push_back(
      {.id = "1-18",
       .input = R"("Rb4Tn9Vc")",
       .workflow =
           [](DurableContext& ctx, const Json& in) {
             return Encode(ctx.Step(
                 "",
                 [&](StepContext& step) {
                   step.logger().Info("flaky step input " + Str(in));
                   if (step.attempt() == 1) {
                     std::fflush(nullptr);
                     _exit(3);
                   }
                   return std::string("succeeded on second attempt");
                 },
                 {.retry = Backoff({.max_attempts = 2, .initial_delay = std::chrono::seconds(1)}),
                  .semantics = StepSemantics::kAtMostOncePerRetry}));
           },
       .function = kCrashFunction,
       .result = R"("succeeded on second attempt")",
       .history = {{2, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                   {3, "InvocationCompleted", {.check = exit_error}},
                   {4, "StepFailed", {.sub_type = "Step", .id = "$1", .check = AttemptIs(1)}},
                   {5, "InvocationCompleted"},
                   {6, "StepStarted", {.sub_type = "Step", .id = "$1"}},
                   {7,
                    "StepSucceeded",
                    {.sub_type = "Step",
                     .id = "$1",
                     .check =
                         [](const HistoryEvent& e) {
                           return ResultIs(R"("succeeded on second attempt")")(e) + AttemptIs(2)(e);
                         }}},
                   {8, "InvocationCompleted"}},
       .check = LinesExactly({{"flaky step input Rb4Tn9Vc", 2}})});
}

}  // namespace

std::vector<Scenario> StepScenarios() {
  std::vector<Scenario> out;
  AddBasics(out);
  AddReplays(out);
  AddRetries(out);
  AddErrorTypes(out);
  AddInterrupted(out);
  return out;
}

}  // namespace lmc::durable_testing
