// AllScenarios() and the helpers scenarios share (see scenarios.h).

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "simdjson.h"
#include "tests/durable/scenarios.h"

namespace lmc::durable_testing {

const std::vector<Scenario>& AllScenarios() {
  static const std::vector<Scenario>* const kAll = [] {
    auto* v = new std::vector<Scenario>();
    for (auto suite : {StepScenarios, WaitScenarios, ChildScenarios, CallbackScenarios,
                       InvokeScenarios, ConditionScenarios, WaitForCallbackScenarios,
                       ParallelScenarios, MapScenarios, FaultScenarios}) {
      for (Scenario& s : suite()) v->push_back(std::move(s));
    }
    return v;
  }();
  return *kAll;
}

const Scenario* FindScenario(std::string_view id) {
  for (const Scenario& s : AllScenarios()) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

std::string Str(const durable::Json& json) {
  simdjson::dom::parser parser;
  std::string_view s;
  if (parser.parse(json.text).get(s) != simdjson::SUCCESS) return "";
  return std::string(s);
}

durable::Json Quote(std::string_view text) { return durable::Json{JsonQuote(text)}; }

void MarkRun(std::string_view marker) {
  // One write, so lines of concurrent invocations never interleave.
  const std::string line =
      absl::StrCat("body-run ", absl::string_view(marker.data(), marker.size()), "\n");
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

int CountLines(const std::string& output, std::string_view needle) {
  int n = 0;
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    if (std::string_view(output).substr(start, end - start).find(needle) !=
        std::string_view::npos) {
      ++n;
    }
    start = end + 1;
  }
  return n;
}

std::function<std::vector<std::string>(const durable_service::ExecutionSnapshot&,
                                       const std::string&)>
LinesExactly(std::vector<std::pair<std::string, int>> needles) {
  return [needles = std::move(needles)](const durable_service::ExecutionSnapshot&,
                                        const std::string& output) {
    std::vector<std::string> problems;
    for (const auto& [needle, count] : needles) {
      const int n = CountLines(output, needle);
      if (n != count) {
        problems.push_back(absl::StrCat("\"", needle, "\" on ", n, " lines, expected ", count));
      }
    }
    return problems;
  };
}

}  // namespace lmc::durable_testing
