#include "bench/durable_bench_e2e.h"

#include <signal.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/durable_bench_workflow.h"
#include "bench/process_stats.h"
#include "bench/tcp_relay.h"
#include "lmc/status_macros.h"
#include "tools/durable/local_runner.h"
#include "tools/durable/service.h"
#include "tools/emulator/subprocess.h"
#include "tools/invoke/bootstrap_process.h"

namespace lmc::bench {
namespace {

using durable_service::DurableService;
using durable_service::ExecutionStatus;

// What the function process and the wire had used at one moment.
struct Meter {
  double cpu_s = 0;
  uint64_t upstream = 0;
  uint64_t downstream = 0;
  uint64_t checkpoints = 0;
};

// The running setup: the service, the relay in front of it, the function process.
class Setup {
 public:
  absl::Status Start(const std::string& function) {
    LMC_RETURN_IF_ERROR(service_.Start());
    const std::string endpoint = service_.endpoint();
    int port = 0;
    if (!absl::SimpleAtoi(endpoint.substr(endpoint.rfind(':') + 1), &port)) {
      return absl::InternalError(absl::StrCat("unexpected service endpoint ", endpoint));
    }
    LMC_ASSIGN_OR_RETURN(relay_, TcpRelay::Start(port));
    durable_service::FunctionOptions options;
    options.name = kBenchHandlerName;
    LMC_ASSIGN_OR_RETURN(durable_service::FunctionInfo info, service_.AddFunction(options));
    invoke::BootstrapLaunch launch;
    launch.path = function;
    launch.runtime_api = info.runtime_api;
    launch.handler = kBenchHandlerName;
    launch.concurrency = 1;
    launch.function_name = kBenchHandlerName;
    launch.extra_env = {
        {"AWS_ENDPOINT_URL_LAMBDA", absl::StrCat("http://127.0.0.1:", relay_->port())},
        {"AWS_ACCESS_KEY_ID", durable_service::kLocalAccessKeyId},
        {"AWS_SECRET_ACCESS_KEY", durable_service::kLocalSecretAccessKey},
        {"AWS_SESSION_TOKEN", durable_service::kLocalSessionToken},
        {kFunctionModeVariable, "1"},
    };
    emulator::Subprocess::Options spawn;
    spawn.argv = {function};
    spawn.env = invoke::LambdaEnvironment(launch);
    spawn.max_capture_bytes = 1 << 20;
    LMC_ASSIGN_OR_RETURN(child_, emulator::Subprocess::Start(std::move(spawn)));
    return absl::OkStatus();
  }

  ~Setup() {
    if (child_ != nullptr) {
      child_->Signal(SIGTERM).IgnoreError();
      child_->WaitForExit(absl::Seconds(10));
    }
  }

  // Runs one execution to its end; its wall time in seconds.
  absl::StatusOr<double> Run(int64_t steps, bool at_most_once) {
    const absl::Time start = absl::Now();
    LMC_ASSIGN_OR_RETURN(std::string arn, service_.StartExecution(kBenchHandlerName,
                                                                  BenchInput(steps, at_most_once)));
    if (!service_.WaitForExecution(arn, absl::Minutes(5))) {
      return absl::DeadlineExceededError(absl::StrCat(
          "execution of ", steps, " steps did not end; the function wrote: ", child_->stderr_text(),
          child_->stdout_text()));
    }
    const double wall = absl::ToDoubleSeconds(absl::Now() - start);
    std::optional<durable_service::ExecutionSnapshot> done = service_.Describe(arn);
    const std::string want = absl::StrCat(steps * (steps - 1) / 2);
    if (!done.has_value() || done->status != ExecutionStatus::kSucceeded ||
        done->result.value_or("") != want || done->invocations != 1) {
      return absl::InternalError(
          absl::StrCat("execution of ", steps, " steps did not succeed with ", want,
                       " in one invocation: ", done.has_value() ? done->result.value_or("") : ""));
    }
    return wall;
  }

  absl::StatusOr<Meter> Read() const {
    LMC_ASSIGN_OR_RETURN(ProcessStats stats, ReadProcessStats(child_->pid()));
    return Meter{stats.user_s + stats.system_s, relay_->upstream_bytes(),
                 relay_->downstream_bytes(), service_.stats().checkpoints};
  }

  uint64_t connections() const { return relay_->connections(); }

 private:
  DurableService service_;
  std::unique_ptr<TcpRelay> relay_;
  std::unique_ptr<emulator::Subprocess> child_;
};

// `executions` executions of `steps` steps: what they used, and their wall time.
absl::StatusOr<std::pair<Meter, double>> Batch(Setup& setup, int64_t steps, bool at_most_once,
                                               int executions) {
  LMC_ASSIGN_OR_RETURN(Meter before, setup.Read());
  double wall = 0;
  for (int i = 0; i < executions; ++i) {
    LMC_ASSIGN_OR_RETURN(double w, setup.Run(steps, at_most_once));
    wall += w;
  }
  LMC_ASSIGN_OR_RETURN(Meter after, setup.Read());
  return std::make_pair(
      Meter{after.cpu_s - before.cpu_s, after.upstream - before.upstream,
            after.downstream - before.downstream, after.checkpoints - before.checkpoints},
      wall);
}

}  // namespace

absl::StatusOr<E2eCost> MeasureE2e(const std::string& function, int64_t steps, bool at_most_once,
                                   int rounds, int executions) {
  Setup setup;
  LMC_RETURN_IF_ERROR(setup.Start(function));
  // Warm-up: the first execution connects, and pages in the SDK and libcurl.
  LMC_RETURN_IF_ERROR(setup.Run(10, at_most_once).status());
  std::vector<double> cpu;
  std::vector<double> wall;
  Meter bytes;
  Meter base_bytes;
  const double n = static_cast<double>(steps) * executions;
  for (int round = 0; round < rounds; ++round) {
    LMC_ASSIGN_OR_RETURN(auto base, Batch(setup, 0, at_most_once, executions));
    LMC_ASSIGN_OR_RETURN(auto full, Batch(setup, steps, at_most_once, executions));
    cpu.push_back((full.first.cpu_s - base.first.cpu_s) * 1e6 / n);
    wall.push_back((full.second - base.second) * 1e6 / n);
    bytes = full.first;
    base_bytes = base.first;
  }
  E2eCost cost;
  cost.cpu_us_per_step = Summarize(std::move(cpu));
  cost.wall_us_per_step = Summarize(std::move(wall));
  cost.requests_per_step = static_cast<double>(bytes.checkpoints - base_bytes.checkpoints) / n;
  cost.upstream_bytes_per_step = static_cast<double>(bytes.upstream - base_bytes.upstream) / n;
  cost.downstream_bytes_per_step =
      static_cast<double>(bytes.downstream - base_bytes.downstream) / n;
  cost.connections = setup.connections();
  return cost;
}

}  // namespace lmc::bench
