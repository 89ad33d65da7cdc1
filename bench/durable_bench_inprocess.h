// File: bench/durable_bench_inprocess.h
//
// lmc-durable-bench's in-process measurements: a durable handler invoked the way the runtime's
// poll loop invokes it (an Event over the event's bytes in a padded buffer, a real Context, the
// answer's body), against the in-memory BenchCheckpointService, so that nothing but the SDK and
// a minimal service is timed.
//
//   MeasureStepCost()  what checkpointing adds to a step whose body does nothing: CPU per step
//                      of an execution of N fresh steps minus one of 0 steps, the service's own
//                      share, and what goes over the wire per step (requests, updates, bytes of
//                      the request and answer bodies as the SDK's codec writes them);
//   RecordLog()        the log such an execution leaves (ids as the SDK derives them);
//   MeasureReplay()    an invocation that replays a log and then runs one more step, timed from
//                      event to answer (wall and thread CPU per invocation).
//
// Example:
//
//   lmc::bench::StepCost cost = lmc::bench::MeasureStepCost(1000, false, 7);
//   std::vector<lmc::durable::Operation> log = lmc::bench::RecordLog(1000, false);
//   lmc::bench::ReplaySamples r = lmc::bench::MeasureReplay(event, {}, 20, 200);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/durable_bench_service.h"
#include "handlers/durable/operation.h"
#include "lmc/base/log_sink.h"
#include "lmc/base/padded_buffer.h"
#include "lmc/base/temp_dir.h"
#include "lmc/context.h"
#include "lmc/handler.h"
#include "simdjson.h"

namespace lmc::bench {

// Summary: of a set of samples (n = 0: all zero).
struct Summary {
  size_t n = 0;
  double median = 0;
  double p10 = 0;
  double p90 = 0;
  double mean = 0;
};
Summary Summarize(std::vector<double> samples);

// InProcessInvoker
//
// Invokes handlers on one event, as the runtime would (the event copied once into a padded
// buffer, as the runtime receives it; a Context with a discarding log sink). Not thread-safe.
class InProcessInvoker {
 public:
  explicit InProcessInvoker(std::string_view event);

  // Runs `handler` once; the answer's body, or "lmc::Error <type>: <message>".
  std::string Invoke(const lmc::Handler& handler);

 private:
  PaddedBuffer buffer_;
  LogSink sink_;
  LazyTempDir dir_;
  FunctionInfo function_;
  simdjson::ondemand::parser parser_;
};

// StepCost: checkpoint overhead per step of one step semantics.
struct StepCost {
  Summary us_per_step;                 // CPU per step, SDK + service, over the rounds
  double service_us_per_step = 0;      // the in-memory service's share of it
  double requests_per_step = 0;        // CheckpointDurableExecution calls
  double updates_per_step = 0;         // updates in them
  double request_bytes_per_step = 0;   // request bodies (CheckpointRequestJson)
  double response_bytes_per_step = 0;  // answer bodies (CheckpointResponseJson)
  size_t token_bytes = 0;              // the CheckpointToken length in those bodies
};

// Per round: an execution of `steps` steps (+ the final one) and one of 0 steps, fresh, each in
// one invocation; CPU per step is their difference over `steps`.
StepCost MeasureStepCost(int64_t steps, bool at_most_once, int rounds);

// The operations an execution of `steps` steps logs, without its `final` step: `steps`
// SUCCEEDED steps named step-<i>, ids as the SDK derived them, in creation order.
std::vector<durable::Operation> RecordLog(int64_t steps, bool at_most_once);

// ReplaySamples: timed invocations of one event.
struct ReplaySamples {
  std::vector<double> wall_us;
  std::vector<double> cpu_us;
  std::vector<double> faults;            // minor page faults of the invoking thread
  std::string answer;                    // the last invocation's answer body
  int64_t bodies_per_invocation = 0;     // step bodies run by the last invocation
  BenchCheckpointService::Totals calls;  // what the last invocation sent
};

// `warmup` untimed then `reps` timed invocations of a fresh handler on `event`, each against a
// fresh service that serves `pages` (the log beyond the event, see ReplayEvent()).
ReplaySamples MeasureReplay(const std::string& event, const std::vector<durable::Operation>& pages,
                            int warmup, int reps);

}  // namespace lmc::bench
