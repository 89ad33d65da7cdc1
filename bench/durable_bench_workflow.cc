#include "bench/durable_bench_workflow.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "handlers/durable/durable.h"
#include "handlers/durable/wire_json.h"
#include "lmc/json.h"
#include "lmc/json_reader.h"

namespace lmc::bench {
namespace {

struct Input {
  int64_t steps = 0;
  bool at_most_once = false;
};

void DescribeJson(JsonFields& fields, Input& input) {
  fields.Optional("steps", input.steps);
  fields.Optional("at_most_once", input.at_most_once);
}

}  // namespace

lmc::Handler BenchHandler(StepCounter* bodies, durable::HandlerOptions options) {
  return durable::Handler(
      [bodies](durable::DurableContext& ctx, const Input& input) {
        durable::StepOptions step_options;
        step_options.semantics = input.at_most_once ? durable::StepSemantics::kAtMostOncePerRetry
                                                    : durable::StepSemantics::kAtLeastOncePerRetry;
        int64_t sum = 0;
        for (int64_t i = 0; i < input.steps; ++i) {
          sum += ctx.Step(
              absl::StrCat("step-", i),
              [&] {
                bodies->runs.fetch_add(1, std::memory_order_relaxed);
                return i;
              },
              step_options);
        }
        return ctx.Step(
            "final",
            [&] {
              bodies->runs.fetch_add(1, std::memory_order_relaxed);
              return sum;
            },
            step_options);
      },
      std::move(options));
}

std::string BenchInput(int64_t steps, bool at_most_once) {
  std::string out;
  JsonWriter json(&out);
  json.BeginObject().Key("steps").Int(steps).Key("at_most_once").Bool(at_most_once).EndObject();
  return out;
}

durable::Operation ExecutionOperation(int64_t steps, bool at_most_once) {
  durable::Operation op;
  op.id = "execution";
  op.type = durable::OperationType::kExecution;
  op.status = durable::OperationStatus::kStarted;
  op.start_ms = 1'765'000'000'000;
  op.input_payload = BenchInput(steps, at_most_once);
  return op;
}

std::string FreshEvent(int64_t steps, bool at_most_once) {
  return durable::InvocationInputJson(
      {kBenchArn, "token-0", {ExecutionOperation(steps, at_most_once)}, ""});
}

std::string ReplayEvent(const durable::Operation& execution,
                        const std::vector<durable::Operation>& operations, size_t event_ops) {
  durable::InvocationInput input{kBenchArn, "token-0", {execution}, ""};
  input.operations.insert(input.operations.end(), operations.begin(), operations.end());
  if (event_ops > 0 && event_ops < input.operations.size()) {
    input.operations.resize(event_ops);
    input.next_marker = "0";
  }
  return durable::InvocationInputJson(input);
}

std::vector<durable::Operation> PagedRest(const std::vector<durable::Operation>& operations,
                                          size_t event_ops) {
  // The event holds the EXECUTION operation and the first event_ops - 1 of `operations`.
  if (event_ops == 0 || event_ops >= operations.size() + 1) return {};
  return {operations.begin() + static_cast<std::ptrdiff_t>(event_ops - 1), operations.end()};
}

}  // namespace lmc::bench
