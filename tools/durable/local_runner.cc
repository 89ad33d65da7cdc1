#include "tools/durable/local_runner.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace lmc::durable_service {
namespace {

ServiceOptions WithLocalCredentials(ServiceOptions options) {
  if (!options.access_key_id) options.access_key_id = kLocalAccessKeyId;
  if (!options.session_token) options.session_token = kLocalSessionToken;
  return options;
}

std::string Describe(const emulator::Subprocess::ExitStatus& status) {
  return status.exited ? absl::StrCat("exit status ", status.code)
                       : absl::StrCat("signal ", status.signal);
}

}  // namespace

LocalRunner::LocalRunner(ServiceOptions options)
    : service_(std::make_unique<DurableService>(WithLocalCredentials(std::move(options)))) {}

LocalRunner::~LocalRunner() {
  stopping_.store(true);
  std::vector<Supervised*> all;
  {
    MutexLock lock(&mu_);
    for (auto& [name, s] : functions_) all.push_back(s.get());
  }
  for (Supervised* s : all) {
    s->emulator->NotifyWaiters();
    if (s->supervisor.joinable()) s->supervisor.join();
  }
  for (Supervised* s : all) {
    if (s->process != nullptr) s->process->Stop(term_grace_);
  }
  service_.reset();
}

absl::Status LocalRunner::Start() { return service_->Start(); }

absl::Status LocalRunner::Spawn(Supervised& s) {
  const RunnerFunction& f = s.function;
  invoke::BootstrapLaunch launch;
  launch.path = f.bootstrap;
  launch.runtime_api = s.info.runtime_api;
  launch.handler = f.handler.empty() ? f.name : f.handler;
  launch.concurrency = f.concurrency;
  launch.function_name = f.name;
  launch.extra_env = {
      {"AWS_ENDPOINT_URL_LAMBDA", f.endpoint.empty() ? service_->endpoint() : f.endpoint},
      {"AWS_ACCESS_KEY_ID", kLocalAccessKeyId},
      {"AWS_SECRET_ACCESS_KEY", kLocalSecretAccessKey},
      {"AWS_SESSION_TOKEN", kLocalSessionToken},
  };
  for (const auto& kv : f.env) launch.extra_env.push_back(kv);
  // A replacement writes next to the first one's file, which it must not truncate.
  if (!f.logs_path.empty()) {
    launch.logs_path = s.restarts == 0 ? f.logs_path : absl::StrCat(f.logs_path, ".", s.restarts);
  }
  absl::StatusOr<std::unique_ptr<invoke::BootstrapProcess>> process =
      invoke::BootstrapProcess::Start(launch, *s.emulator);
  if (!process.ok()) return process.status();
  s.process = *std::move(process);
  return absl::OkStatus();
}

absl::Status LocalRunner::AddFunction(RunnerFunction function) {
  absl::StatusOr<FunctionInfo> info =
      service_->AddFunction(FunctionOptions{.name = function.name, .durable = function.durable});
  if (!info.ok()) return info.status();
  MutexLock lock(&mu_);
  auto s = std::make_unique<Supervised>();
  s->info = *info;
  s->emulator = service_->function_emulator(function.name);
  s->function = std::move(function);
  if (absl::Status spawned = Spawn(*s); !spawned.ok()) return spawned;
  Supervised* raw = s.get();
  functions_[raw->function.name] = std::move(s);
  raw->supervisor = std::thread([this, raw] { Supervise(raw); });
  return absl::OkStatus();
}

void LocalRunner::Supervise(Supervised* s) {
  for (;;) {
    // Only this thread replaces `s->process` (the destructor joins it before reading it).
    invoke::BootstrapProcess* process = s->process.get();
    s->emulator->WaitFor([&](const emulator::Stats&) { return stopping_ || process->exited(); },
                         absl::InfiniteDuration());
    if (stopping_) return;
    const invoke::BootstrapEnding ending = process->Stop(absl::ZeroDuration());
    // Its output moves to earlier_output and the process out of `s` in one step, so that
    // output() never counts it twice; it is destroyed outside the lock, at the end of the turn.
    std::unique_ptr<invoke::BootstrapProcess> ended;
    {
      MutexLock lock(&mu_);
      s->earlier_output += process->output();
      ended = std::move(s->process);
    }
    // Lambda reports the runtime's exit on the invocations it had taken, then retries them on a
    // fresh execution environment.
    service_->RuntimeExited(s->function.name, Describe(ending.status));
    MutexLock lock(&mu_);
    if (s->restarts >= s->function.max_restarts) return;
    ++s->restarts;
    if (!Spawn(*s).ok()) return;
  }
}

int LocalRunner::restarts(const std::string& function) const {
  MutexLock lock(&mu_);
  auto it = functions_.find(function);
  return it == functions_.end() ? 0 : it->second->restarts;
}

std::string LocalRunner::output(const std::string& function) const {
  MutexLock lock(&mu_);
  auto it = functions_.find(function);
  if (it == functions_.end()) return "";
  const Supervised& s = *it->second;
  return s.earlier_output + (s.process != nullptr ? s.process->output() : "");
}

}  // namespace lmc::durable_service
