// File: tools/durable/local_runner.h
//
// Durable functions run locally end to end: a DurableService (service.h) plus, for each
// function, a real `bootstrap` spawned the way Lambda spawns one (tools/invoke/
// bootstrap_process.h) with what a durable function needs on top: AWS_ENDPOINT_URL_LAMBDA
// pointing at the service, and dummy AWS credentials that the service then expects on every
// request (an SDK that signs with anything else, or forgets the session token, is answered 403).
// A bootstrap that exits is replaced, and the invocations it had taken end with
// Runtime.ExitError and are retried, as Lambda does. `lmc-durable` and the integration tests
// are built on it.
//
// Example:
//
//   LocalRunner runner;
//   if (absl::Status s = runner.Start(); !s.ok()) return s;
//   absl::Status added = runner.AddFunction({.name = "durable-workflow",
//                                            .bootstrap = "build/example-durable-workflow",
//                                            .concurrency = 8});
//   absl::StatusOr<std::string> arn =
//       runner.service().StartExecution("durable-workflow", R"({"steps":3})");
//   runner.service().WaitForExecution(*arn, absl::Seconds(30));
//
// Thread-safety: every method is thread-safe. One supervisor thread per function watches its
// bootstrap; the destructor stops the bootstraps (SIGTERM as RAPID does) and then the service.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "lmc/mutex.h"
#include "tools/durable/service.h"
#include "tools/invoke/bootstrap_process.h"

namespace lmc::durable_service {

// The dummy credentials every spawned bootstrap gets (and the service insists on).
inline constexpr char kLocalAccessKeyId[] = "AKIALMCDURABLELOCAL0";
inline constexpr char kLocalSecretAccessKey[] = "lmc-durable-local-secret-key";
inline constexpr char kLocalSessionToken[] = "lmc-durable-local-session-token";

// RunnerFunction
struct RunnerFunction {
  std::string name;                     // the function's name (FunctionName of chained invokes)
  std::string bootstrap;                // the executable
  std::string handler;                  // _HANDLER; empty: `name`
  bool durable = true;                  // false: a plain function (a chained invoke's target)
  std::optional<uint64_t> concurrency;  // AWS_LAMBDA_MAX_CONCURRENCY
  std::vector<std::pair<std::string, std::string>> env;  // applied last
  std::string logs_path;  // non-empty: the bootstraps' output goes to this file
  // AWS_ENDPOINT_URL_LAMBDA; empty: the service's endpoint (tests point it elsewhere to see an
  // SDK meet an unreachable endpoint).
  std::string endpoint;
  int max_restarts = 20;  // a bootstrap that keeps dying is left dead after this many
};

class LocalRunner {
 public:
  explicit LocalRunner(ServiceOptions options = {});
  // Stops every bootstrap (SIGTERM, API shutdown, SIGKILL after `term_grace`), then the service.
  ~LocalRunner();
  LocalRunner(const LocalRunner&) = delete;
  LocalRunner& operator=(const LocalRunner&) = delete;

  absl::Status Start();
  DurableService& service() { return *service_; }

  // AddFunction()
  //
  // Adds the function to the service and spawns its bootstrap. Fails when the service refuses
  // the name or the bootstrap cannot be executed.
  absl::Status AddFunction(RunnerFunction function);

  // How many times the function's bootstrap was replaced after exiting.
  int restarts(const std::string& function) const;
  // Everything the function's bootstraps wrote so far (without a logs file), oldest first.
  std::string output(const std::string& function) const;

  void set_term_grace(absl::Duration grace) { term_grace_ = grace; }

 private:
  struct Supervised {
    RunnerFunction function;
    FunctionInfo info;
    emulator::Emulator* emulator = nullptr;
    std::unique_ptr<invoke::BootstrapProcess> process;
    std::string earlier_output;  // output of the bootstraps that exited
    int restarts = 0;
    std::thread supervisor;
  };

  absl::Status Spawn(Supervised& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Supervise(Supervised* s);

  std::unique_ptr<DurableService> service_;
  absl::Duration term_grace_ = absl::Seconds(5);
  std::atomic<bool> stopping_{false};
  mutable lmc::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Supervised>> functions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lmc::durable_service
