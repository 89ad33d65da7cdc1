// File: tests/durable/history_matcher.h
//
// Checks an execution's history against the events a conformance requirement expects, the way
// the conformance suite compares them: expected events are found by EventId (events the
// expectation does not list are ignored), each listed field must match, and `$NAME`
// placeholders bind to the first value they meet and must hold that value wherever they
// appear again (so "the StepSucceeded is for the same operation as the StepStarted" is checked
// without knowing operation ids).
//
// Example:
//
//   std::vector<std::string> problems = MatchHistory(snapshot.history, {
//       {2, "StepStarted", {.sub_type = "Step", .id = "$S1"}},
//       {3, "StepSucceeded", {.sub_type = "Step", .id = "$S1"}},
//       {4, "InvocationCompleted"},
//   });
//   EXPECT_THAT(problems, IsEmpty());
//
// Pure functions; thread-safe.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tools/durable/model.h"

namespace lmc::durable_testing {

// Fields: what to check of one event. Empty strings and nullopt mean "any value"; "-" means
// "absent"; a value starting with '$' is a placeholder.
struct Fields {
  std::string sub_type;
  std::string id;
  std::optional<std::string> name;
  std::string parent;
  // Further checks on the event (details); returns a problem or "".
  std::function<std::string(const durable_service::HistoryEvent&)> check;
};

struct Expected {
  int event_id = 0;
  std::string type;
  Fields fields;
};

// MatchHistory()
//
// The problems found, each naming the event ("event 3: expected StepSucceeded, got StepFailed");
// empty when the history matches. `bindings` (optional) receives the placeholders' values.
std::vector<std::string> MatchHistory(const std::vector<durable_service::HistoryEvent>& history,
                                      const std::vector<Expected>& expected,
                                      std::map<std::string, std::string>* bindings = nullptr);

// Detail checks for Fields::check.
std::function<std::string(const durable_service::HistoryEvent&)> ResultIs(std::string payload);
std::function<std::string(const durable_service::HistoryEvent&)> ErrorTypeIs(std::string type);
std::function<std::string(const durable_service::HistoryEvent&)> AttemptIs(
    int attempt, std::optional<int64_t> next_delay_seconds = std::nullopt);
std::function<std::string(const durable_service::HistoryEvent&)> DurationIs(int64_t seconds);

// The event types in order: a readable summary for failure messages.
std::string Summary(const std::vector<durable_service::HistoryEvent>& history);

}  // namespace lmc::durable_testing
