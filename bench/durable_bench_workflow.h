// File: bench/durable_bench_workflow.h
//
// The workflow lmc-durable-bench measures, and the invocation events it is measured on. The
// workflow is the one bench/durable_peer/durable_peer.mjs writes with the official JS SDK: for
// i in 0..steps-1 a step named `step-<i>` whose body returns i (a small result: "7"), then a
// step `final` returning the sum; input {"steps": N, "at_most_once": bool}. Step bodies count
// their runs in a StepCounter, so a benchmark can check that a replay ran no body but the last.
//
// Example:
//
//   lmc::bench::StepCounter bodies;
//   lmc::Handler handler = lmc::bench::BenchHandler(&bodies, {.service = service});
//   std::string event = lmc::bench::FreshEvent(1000, /*at_most_once=*/false);
//   std::string replay = lmc::bench::ReplayEvent(fresh_event, service->log(), 0);
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "handlers/durable/handler.h"
#include "handlers/durable/operation.h"
#include "lmc/handler.h"

namespace lmc::bench {

// Step bodies run (shared by every invocation of one handler; thread-safe).
struct StepCounter {
  std::atomic<int64_t> runs{0};
};

// The handler name the function mode of lmc-durable-bench serves.
inline constexpr char kBenchHandlerName[] = "durable-bench";
inline constexpr char kBenchArn[] =
    "arn:aws:lambda:us-east-1:123456789012:function:bench:$LATEST/durable-execution/bench/"
    "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9";

// The workflow as an lmc::Handler. `bodies` must outlive it.
lmc::Handler BenchHandler(StepCounter* bodies, durable::HandlerOptions options);

// The workflow's input as the EXECUTION operation's InputPayload.
std::string BenchInput(int64_t steps, bool at_most_once);

// The first invocation's event of an execution of `steps` steps: only the EXECUTION operation.
std::string FreshEvent(int64_t steps, bool at_most_once);

// The EXECUTION operation of those events.
durable::Operation ExecutionOperation(int64_t steps, bool at_most_once);

// ReplayEvent()
//
// A later invocation's event: the EXECUTION operation, then `operations` (a log a first
// invocation wrote, in creation order). With `event_ops` > 0 the event carries only the first
// `event_ops` operations and NextMarker "0": the rest is for GetDurableExecutionState (whose
// pages the caller serves, marker = offset into the rest).
std::string ReplayEvent(const durable::Operation& execution,
                        const std::vector<durable::Operation>& operations, size_t event_ops);

// The operations of `operations` that such an event leaves to the pages (empty when `event_ops`
// is 0 or covers them all).
std::vector<durable::Operation> PagedRest(const std::vector<durable::Operation>& operations,
                                          size_t event_ops);

}  // namespace lmc::bench
