// File: functions/durable_workflow/durable_workflow.h
//
// The `example-durable-workflow` function (handler `durable-workflow`): a Lambda durable
// function on lmc::durable (handlers/durable). Its contract is fixed:
//
//   - input {"steps":N, "wait_seconds":W, "callback":B, "fail_step":K}, all but `steps`
//     optional (W defaults to 0, B to false, K to none);
//   - for i in 0..N-1 a step named "square-{i}" returns i*i (a JSON number); when i == K that
//     step fails with errorType "Workflow.StepFailed" and message "step {i} failed", without
//     retries, and the execution fails with that error;
//   - then, if W > 0, a wait named "pause" of W seconds;
//   - then, if B, a WaitForCallback named "approval" whose result (any JSON value) is kept;
//   - the result is {"sum": Σ i*i, "approval": <the callback's result, or null>};
//   - across all invocations of one execution each step body runs exactly once;
//   - an input that does not fit (steps missing or negative, W negative) fails the execution
//     with errorType "Durable.InvalidInput" or "Workflow.InvalidInput".
//
// Example (main.cc):
//
//   lmc::HandlerRegistry handlers;
//   handlers.Register(lmc::examples::kDurableWorkflowHandlerName,
//                     lmc::examples::DurableWorkflow());
//   return lmc::Run(handlers);
#pragma once

#include <cstdint>
#include <optional>

#include "handlers/durable/durable.h"
#include "lmc/handler.h"
#include "lmc/json_reader.h"

namespace lmc::examples {

// The name main() registers the handler under (the function's _HANDLER setting).
inline constexpr char kDurableWorkflowHandlerName[] = "durable-workflow";

struct DurableWorkflowInput {
  int64_t steps = 0;
  int64_t wait_seconds = 0;
  bool callback = false;
  std::optional<int64_t> fail_step;
};
void DescribeJson(JsonFields& fields, DurableWorkflowInput& input);

struct DurableWorkflowResult {
  int64_t sum = 0;
  durable::Json approval;  // "null" without a callback
};
void WriteJson(JsonWriter& json, const DurableWorkflowResult& result);

// The workflow itself (see the file comment). Thread-safe (no shared state).
DurableWorkflowResult RunDurableWorkflow(durable::DurableContext& context,
                                         const DurableWorkflowInput& input);

// The function's handler. `options` choose the checkpoint service (default: the Lambda API
// from the environment); tests pass a fake. Thread-safe.
Handler DurableWorkflow(durable::HandlerOptions options = {});

}  // namespace lmc::examples
