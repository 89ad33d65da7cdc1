// File: bench/durable_bench_e2e.h
//
// lmc-durable-bench's end-to-end measurement: the bench's workflow as a real durable function
// (this very binary in its function mode, a `bootstrap` served by lmc::Run) driven by the local
// durable-execution service (tools/durable) over HTTP, its checkpoints signed and sent by the
// SDK's LambdaClient (libcurl, SigV4) through a byte-counting TcpRelay. Per step: the function
// process's CPU (from /proc, the service's excluded), the wall time, the checkpoint calls the
// service accepted, and the bytes on the wire each way (HTTP request and response, headers
// included), each as (an execution of N steps - one of 0 steps) / N, the executions alternating.
//
// Example:
//
//   absl::StatusOr<lmc::bench::E2eCost> cost =
//       lmc::bench::MeasureE2e("/proc/self/exe", 1000, /*at_most_once=*/false, 5, 3);
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "bench/durable_bench_inprocess.h"

namespace lmc::bench {

// The environment variable that puts lmc-durable-bench in its function mode.
inline constexpr char kFunctionModeVariable[] = "LMC_DURABLE_BENCH_FUNCTION";

struct E2eCost {
  Summary cpu_us_per_step;   // the function process, over the rounds
  Summary wall_us_per_step;  // start of the execution to its end, over the rounds
  double requests_per_step = 0;
  double upstream_bytes_per_step = 0;    // function -> service
  double downstream_bytes_per_step = 0;  // service -> function
  uint64_t connections = 0;              // TCP connections the function opened in all
};

// `rounds` rounds, each of `executions` executions of `steps` steps and as many of 0 steps.
// `function` is the executable to run as the durable function (lmc-durable-bench itself).
absl::StatusOr<E2eCost> MeasureE2e(const std::string& function, int64_t steps, bool at_most_once,
                                   int rounds, int executions);

}  // namespace lmc::bench
