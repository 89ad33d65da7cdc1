// File: bench/runtime_rate.h
//
// MeasureRuntimeRate(): how many invocations per second a bootstrap answers through the local
// Runtime API emulator (in this process) at concurrency N, cycling through given event bodies,
// with the CPU per invocation of the bootstrap process and of this process (the emulator's
// thread and the poller), and the bootstrap's log output. The driver polls the
// emulator's counters every 2 ms instead of waiting on them, so the bench's own thread does not
// wake for every invocation it measures.
//
// Example:
//
//   lmc::bench::RuntimeRate echo = lmc::bench::MeasureRuntimeRate(
//       {.binary = "build-release/runtime/bootstrap", .env = {"_HANDLER=echo"},
//        .concurrency = 64, .events = {body}, .warmup = 128, .seconds = 2});
//   if (echo.ok) std::printf("%.0f inv/s\n", echo.per_second);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lmc::bench {

// RuntimeRateSpec
//
// `env` adds to (and overrides) AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_MAX_CONCURRENCY, TMPDIR and
// the function name/memory variables the driver sets. `events` are handed out in turn, without
// end; the rate is the invocations closed during `seconds` (extended until `min_count` have
// closed) after the first `warmup`.
struct RuntimeRateSpec {
  std::string binary;
  std::vector<std::string> env;
  int concurrency = 1;
  std::vector<std::string> events;
  uint64_t warmup = 0;     // invocations answered before the clock starts
  double seconds = 1;      // how long the rate is measured, at least
  uint64_t min_count = 0;  // and at least this many invocations (slow models: whole batches)
};

// RuntimeRate
struct RuntimeRate {
  bool ok = false;
  std::string error;                        // why not ok
  double per_second = 0;                    // invocations closed while timed / the time
  double cpu_us_per_invocation = 0;         // bootstrap process user + system, over the timed part
  double driver_cpu_us_per_invocation = 0;  // this process (the emulator), over the same part
  std::string logs;                         // the bootstrap's stdout + stderr
};

// Runs `spec` once. Failures (the process did not start, stalled for a minute, or answered
// with errors) come back with ok = false.
RuntimeRate MeasureRuntimeRate(const RuntimeRateSpec& spec);

// The value of ` key=` in the last line of `logs` that contains `line_marker`; NAN when absent.
double LastMetric(const std::string& logs, const std::string& line_marker, const std::string& key);

}  // namespace lmc::bench
