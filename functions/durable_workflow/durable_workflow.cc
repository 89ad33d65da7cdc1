#include "functions/durable_workflow/durable_workflow.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "handlers/durable/durable.h"
#include "lmc/json.h"
#include "lmc/json_reader.h"

namespace lmc::examples {

void DescribeJson(JsonFields& fields, DurableWorkflowInput& input) {
  fields.Required("steps", input.steps);
  fields.Optional("wait_seconds", input.wait_seconds);
  fields.Optional("callback", input.callback);
  fields.Optional("fail_step", input.fail_step);
}

void WriteJson(JsonWriter& json, const DurableWorkflowResult& result) {
  json.BeginObject().Key("sum").Int(result.sum).Key("approval").Raw(result.approval.text);
  json.EndObject();
}

DurableWorkflowResult RunDurableWorkflow(durable::DurableContext& context,
                                         const DurableWorkflowInput& input) {
  if (input.steps < 0 || input.wait_seconds < 0) {
    throw durable::Failure("Workflow.InvalidInput", "steps and wait_seconds must be >= 0");
  }
  DurableWorkflowResult result;
  for (int64_t i = 0; i < input.steps; ++i) {
    result.sum += context.Step("square-" + std::to_string(i),
                               [&]() -> int64_t {
                                 if (input.fail_step == i) {
                                   throw durable::Failure("Workflow.StepFailed",
                                                          "step " + std::to_string(i) + " failed");
                                 }
                                 return i * i;
                               },
                               {.retry = durable::NoRetry()});
  }
  if (input.wait_seconds > 0) context.Wait("pause", std::chrono::seconds(input.wait_seconds));
  if (input.callback) {
    result.approval = context.WaitForCallback(
        "approval", [](std::string_view callback_id, durable::StepContext& step) {
          step.logger().Info("waiting for approval: callback id " + std::string(callback_id));
        });
  }
  return result;
}

Handler DurableWorkflow(durable::HandlerOptions options) {
  return durable::Handler(&RunDurableWorkflow, std::move(options));
}

}  // namespace lmc::examples
