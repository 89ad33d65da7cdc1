#include "tests/durable/history_matcher.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace lmc::durable_testing {
namespace {

using durable_service::HistoryEvent;

// Checks one field against its expectation; records a problem in `problems`.
void CheckField(const char* what, const std::optional<std::string>& actual,
                const std::string& expected, std::map<std::string, std::string>& bound,
                std::string& problems) {
  if (expected.empty()) return;
  if (expected == "-") {
    if (actual) absl::StrAppend(&problems, " ", what, " should be absent, is ", *actual, ";");
    return;
  }
  if (!actual) {
    absl::StrAppend(&problems, " ", what, " is absent (expected ", expected, ");");
    return;
  }
  if (expected[0] == '$') {
    auto [it, inserted] = bound.emplace(expected, *actual);
    if (!inserted && it->second != *actual) {
      absl::StrAppend(&problems, " ", what, " ", *actual, " is not ", expected, " (", it->second,
                      ");");
    }
    return;
  }
  if (*actual != expected) {
    absl::StrAppend(&problems, " ", what, " is ", *actual, ", expected ", expected, ";");
  }
}

}  // namespace

std::vector<std::string> MatchHistory(const std::vector<HistoryEvent>& history,
                                      const std::vector<Expected>& expected,
                                      std::map<std::string, std::string>* bindings) {
  std::map<std::string, std::string> bound;
  std::vector<std::string> problems;
  for (const Expected& e : expected) {
    if (e.event_id < 1 || static_cast<size_t>(e.event_id) > history.size()) {
      problems.push_back(absl::StrCat("event ", e.event_id, ": missing (", e.type,
                                      "); history: ", Summary(history)));
      continue;
    }
    const HistoryEvent& actual = history[static_cast<size_t>(e.event_id) - 1];
    std::string p;
    if (actual.type != e.type) absl::StrAppend(&p, " type is ", actual.type, ";");
    CheckField("SubType", actual.sub_type, e.fields.sub_type, bound, p);
    CheckField("Id", actual.op_id, e.fields.id, bound, p);
    if (e.fields.name) CheckField("Name", actual.name, *e.fields.name, bound, p);
    CheckField("ParentId", actual.parent_id, e.fields.parent, bound, p);
    if (e.fields.check && actual.type == e.type) {
      const std::string detail = e.fields.check(actual);
      if (!detail.empty()) absl::StrAppend(&p, " ", detail, ";");
    }
    if (!p.empty()) {
      problems.push_back(absl::StrCat("event ", e.event_id, " (expected ", e.type, "):", p,
                                      " history: ", Summary(history)));
    }
  }
  if (bindings != nullptr) *bindings = std::move(bound);
  return problems;
}

std::function<std::string(const HistoryEvent&)> ResultIs(std::string payload) {
  return [payload = std::move(payload)](const HistoryEvent& e) -> std::string {
    if (e.details.result == payload) return "";
    return absl::StrCat("result is ", e.details.result.value_or("<none>"), ", expected ", payload);
  };
}

std::function<std::string(const HistoryEvent&)> ErrorTypeIs(std::string type) {
  return [type = std::move(type)](const HistoryEvent& e) -> std::string {
    const std::optional<std::string> actual =
        e.details.error ? e.details.error->error_type : std::nullopt;
    if (actual == type) return "";
    return absl::StrCat("error type is ", actual.value_or("<none>"), ", expected ", type);
  };
}

std::function<std::string(const HistoryEvent&)> AttemptIs(int attempt,
                                                          std::optional<int64_t> next_delay) {
  return [attempt, next_delay](const HistoryEvent& e) -> std::string {
    if (!e.details.has_retry_details) return "no RetryDetails";
    if (e.details.current_attempt != attempt) {
      return absl::StrCat("CurrentAttempt is ", e.details.current_attempt, ", expected ", attempt);
    }
    if (next_delay && e.details.next_attempt_delay_seconds != next_delay) {
      return absl::StrCat("NextAttemptDelaySeconds is ",
                          e.details.next_attempt_delay_seconds.value_or(-1), ", expected ",
                          *next_delay);
    }
    return "";
  };
}

std::function<std::string(const HistoryEvent&)> DurationIs(int64_t seconds) {
  return [seconds](const HistoryEvent& e) -> std::string {
    if (e.details.duration_seconds == seconds) return "";
    return absl::StrCat("Duration is ", e.details.duration_seconds.value_or(-1), ", expected ",
                        seconds);
  };
}

std::string Summary(const std::vector<HistoryEvent>& history) {
  std::vector<std::string> parts;
  for (const HistoryEvent& e : history) {
    parts.push_back(absl::StrCat(e.event_id, ":", e.type, e.name ? "(" + *e.name + ")" : ""));
  }
  return absl::StrJoin(parts, " ");
}

}  // namespace lmc::durable_testing
