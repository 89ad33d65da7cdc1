// The conformance bootstrap: one executable serving every scenario of scenarios.h (handler
// `conformance`, and `conformance-crash` for the scenarios that crash their runtime) and the
// chained-invoke targets (`echo-target` returns its input, `fail-target` fails), each a
// durable handler on lmc::durable. conformance_test.cc runs it through the local service.
//
// The handler reads {"scenario":"<id>","input":<value>} and runs that scenario's workflow with
// the value, so one bootstrap runs many scenarios' executions at once.

#include <string>

#include "handlers/durable/durable.h"
#include "lmc/lmc.h"
#include "simdjson.h"
#include "tests/durable/scenarios.h"

namespace {

using lmc::durable::DurableContext;
using lmc::durable::Json;
using lmc::durable_testing::FindScenario;

Json RunScenario(DurableContext& ctx, const Json& envelope) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view id;
  simdjson::dom::element input;
  if (parser.parse(envelope.text).get(doc) != simdjson::SUCCESS ||
      doc["scenario"].get(id) != simdjson::SUCCESS ||
      doc["input"].get(input) != simdjson::SUCCESS) {
    throw lmc::durable::Failure("Conformance.BadEnvelope", envelope.text);
  }
  const lmc::durable_testing::Scenario* s = FindScenario(id);
  if (s == nullptr) throw lmc::durable::Failure("Conformance.UnknownScenario", std::string(id));
  return s->workflow(ctx, Json{simdjson::minify(input)});
}

// The default: the SDK's Lambda API client, finding the service through AWS_ENDPOINT_URL_LAMBDA
// and signing with the credentials the runner sets.
lmc::durable::HandlerOptions Options() { return {}; }

}  // namespace

int main() {
  lmc::HandlerRegistry registry;
  const lmc::Handler echo =
      lmc::durable::Handler([](DurableContext&, const Json& in) { return in; }, Options());
  const lmc::Handler fail = lmc::durable::Handler(
      [](DurableContext&, const Json& in) -> Json {
        throw lmc::durable::Failure("Target.Failed", "the target failed: " + in.text);
      },
      Options());
  for (absl::Status s : {registry.Register(lmc::durable_testing::kConformanceFunction,
                                           lmc::durable::Handler(RunScenario, Options())),
                         registry.Register(lmc::durable_testing::kCrashFunction,
                                           lmc::durable::Handler(RunScenario, Options())),
                         registry.Register(lmc::durable_testing::kEchoFunction, echo),
                         registry.Register(lmc::durable_testing::kFailFunction, fail)}) {
    if (!s.ok()) return 1;
  }
  return lmc::Run(registry);
}
