// Workflows the fault and scale tests run (faults_test.cc); not conformance requirements.

#include <chrono>
#include <string>
#include <vector>

#include "tests/durable/scenarios.h"

namespace lmc::durable_testing {

std::vector<Scenario> FaultScenarios() {
  std::vector<Scenario> out;
  // Three steps around a wait; each body marks its run with the execution's tag, so a test
  // sees every body ran exactly once (or, after a lost invocation, at least once).
  out.push_back({.id = kStepsAndWait,
                 .input = R"("tag")",
                 .workflow =
                     [](durable::DurableContext& ctx, const durable::Json& in) {
                       const std::string tag = Str(in);
                       int64_t sum = 0;
                       for (int i = 0; i < 3; ++i) {
                         if (i == 2) ctx.Wait("pause", std::chrono::seconds(30));
                         sum += ctx.Step("square-" + std::to_string(i), [&] {
                           MarkRun(tag + " square-" + std::to_string(i));
                           return int64_t{i} * i;
                         });
                       }
                       return Encode(sum);
                     },
                 .result = "5"});
  return out;
}

}  // namespace lmc::durable_testing
