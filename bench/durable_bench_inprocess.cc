#include "bench/durable_bench_inprocess.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/durable_bench_service.h"
#include "bench/durable_bench_workflow.h"
#include "handlers/durable/handler.h"
#include "handlers/durable/wire_json.h"
#include "lmc/base/log_sink.h"
#include "lmc/base/temp_dir.h"
#include "lmc/clock.h"
#include "lmc/internal/surface_access.h"
#include "simdjson.h"

namespace lmc::bench {
namespace {

double Quantile(const std::vector<double>& sorted, double q) {
  const double position = q * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  const double frac = position - static_cast<double>(below);
  return sorted[below] + (sorted[above] - sorted[below]) * frac;
}

// Minor page faults of the calling thread so far (memory the allocator took from the kernel anew).
double ThreadMinorFaults() {
  rusage usage{};
  ::getrusage(RUSAGE_THREAD, &usage);
  return static_cast<double>(usage.ru_minflt);
}

double WallMicros(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - since)
      .count();
}

durable::HandlerOptions OptionsFor(std::shared_ptr<BenchCheckpointService> service) {
  durable::HandlerOptions options;
  options.service = std::move(service);
  return options;
}

// One fresh execution of `steps` steps in one invocation: CPU seconds of the invocation.
double FreshExecutionCpu(int64_t steps, bool at_most_once) {
  auto service = std::make_shared<BenchCheckpointService>();
  StepCounter bodies;
  const lmc::Handler handler = BenchHandler(&bodies, OptionsFor(service));
  InProcessInvoker invoker(FreshEvent(steps, at_most_once));
  const double start = ThreadCpuSeconds();
  invoker.Invoke(handler);
  return ThreadCpuSeconds() - start;
}

// What one fresh execution of `steps` steps sent, with every request and answer.
struct Sent {
  std::vector<durable::CheckpointRequest> requests;
  double request_bytes = 0;
  double response_bytes = 0;
  size_t updates = 0;
  size_t token_bytes = 0;
};

Sent Record(int64_t steps, bool at_most_once) {
  BenchCheckpointService::Options options;
  options.record = true;
  auto service = std::make_shared<BenchCheckpointService>(options);
  StepCounter bodies;
  const lmc::Handler handler = BenchHandler(&bodies, OptionsFor(service));
  InProcessInvoker(FreshEvent(steps, at_most_once)).Invoke(handler);
  Sent sent;
  sent.requests = service->requests();
  for (const durable::CheckpointRequest& request : sent.requests) {
    sent.request_bytes += static_cast<double>(durable::CheckpointRequestJson(request).size());
    sent.updates += request.updates.size();
    sent.token_bytes = request.checkpoint_token.size();
  }
  for (const durable::CheckpointResponse& response : service->responses()) {
    sent.response_bytes += static_cast<double>(durable::CheckpointResponseJson(response).size());
  }
  return sent;
}

}  // namespace

Summary Summarize(std::vector<double> samples) {
  Summary summary;
  if (samples.empty()) return summary;
  std::sort(samples.begin(), samples.end());
  summary.n = samples.size();
  summary.median = Quantile(samples, 0.5);
  summary.p10 = Quantile(samples, 0.1);
  summary.p90 = Quantile(samples, 0.9);
  summary.mean =
      std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
  return summary;
}

InProcessInvoker::InProcessInvoker(std::string_view event)
    : sink_(-1, LogFormat::kJson, LogLevel::kFatal, Clock::Real()),
      dir_("/tmp"),
      function_{"bench", "$LATEST", 2048, "us-east-1", 1} {
  buffer_.Append(event.data(), event.size());
}

std::string InProcessInvoker::Invoke(const lmc::Handler& handler) {
  const Clock& clock = Clock::Real();
  dir_.Reset(std::nullopt);
  const internal::InvocationFields fields{
      "11111111-2222-4333-8444-555555555555", "", kBenchArn, "", "", "", std::nullopt,
      clock.Now() + std::chrono::minutes(15)};
  const Context context =
      internal::SurfaceAccess::MakeContext(fields, dir_, sink_, function_, clock);
  const Event event = internal::SurfaceAccess::MakeEvent(
      buffer_.view(), buffer_.capacity() + PaddedBuffer::kPadding, "application/json", &parser_);
  const lmc::Result result = handler(event, context);
  if (!result.ok()) {
    return absl::StrCat("lmc::Error ", result.error().type(), ": ", result.error().message());
  }
  return std::string(result.response().body());
}

StepCost MeasureStepCost(int64_t steps, bool at_most_once, int rounds) {
  std::vector<double> per_step;
  for (int round = 0; round < rounds; ++round) {
    const double base = FreshExecutionCpu(0, at_most_once);
    const double full = FreshExecutionCpu(steps, at_most_once);
    per_step.push_back((full - base) * 1e6 / static_cast<double>(steps));
  }
  StepCost cost;
  cost.us_per_step = Summarize(std::move(per_step));

  const Sent base = Record(0, at_most_once);
  const Sent full = Record(steps, at_most_once);
  const double n = static_cast<double>(steps);
  cost.requests_per_step = static_cast<double>(full.requests.size() - base.requests.size()) / n;
  cost.updates_per_step = static_cast<double>(full.updates - base.updates) / n;
  cost.request_bytes_per_step = (full.request_bytes - base.request_bytes) / n;
  cost.response_bytes_per_step = (full.response_bytes - base.response_bytes) / n;
  cost.token_bytes = full.token_bytes;
  const double service_full = BenchCheckpointService::Replay(full.requests, rounds);
  const double service_base = BenchCheckpointService::Replay(base.requests, rounds);
  cost.service_us_per_step = (service_full - service_base) * 1e6 / n / rounds;
  return cost;
}

std::vector<durable::Operation> RecordLog(int64_t steps, bool at_most_once) {
  auto service = std::make_shared<BenchCheckpointService>();
  StepCounter bodies;
  const lmc::Handler handler = BenchHandler(&bodies, OptionsFor(service));
  InProcessInvoker(FreshEvent(steps, at_most_once)).Invoke(handler);
  std::vector<durable::Operation> log = service->log();
  log.resize(std::min(log.size(), static_cast<size_t>(steps)));
  return log;
}

ReplaySamples MeasureReplay(const std::string& event, const std::vector<durable::Operation>& pages,
                            int warmup, int reps) {
  ReplaySamples samples;
  InProcessInvoker invoker(event);
  for (int i = 0; i < warmup + reps; ++i) {
    BenchCheckpointService::Options options;
    options.pages = pages;
    auto service = std::make_shared<BenchCheckpointService>(std::move(options));
    StepCounter bodies;
    const lmc::Handler handler = BenchHandler(&bodies, OptionsFor(service));
    const double faults_start = ThreadMinorFaults();
    const auto wall_start = std::chrono::steady_clock::now();
    const double cpu_start = ThreadCpuSeconds();
    samples.answer = invoker.Invoke(handler);
    const double cpu = (ThreadCpuSeconds() - cpu_start) * 1e6;
    const double wall = WallMicros(wall_start);
    const double faults = ThreadMinorFaults() - faults_start;
    if (i >= warmup) {
      samples.wall_us.push_back(wall);
      samples.cpu_us.push_back(cpu);
      samples.faults.push_back(faults);
    }
    samples.bodies_per_invocation = bodies.runs.load();
    samples.calls = service->totals();
  }
  return samples;
}

}  // namespace lmc::bench
