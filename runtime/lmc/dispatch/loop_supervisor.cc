#include "lmc/dispatch/loop_supervisor.h"

#include <pthread.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace lmc {

LoopSupervisor::LoopSupervisor(const DispatchSettings& settings, int max_concurrency,
                               ClientFactory make_client)
    : settings_(settings),
      max_concurrency_(max_concurrency),
      make_client_(std::move(make_client)),
      watchdog_(*settings.sink, *settings.clock) {}

LoopSupervisor::~LoopSupervisor() {
  Stop();
  Wait().IgnoreError();
}

absl::Status LoopSupervisor::Start() {
  std::vector<std::unique_ptr<PollLoop>> loops;
  loops.reserve(static_cast<size_t>(max_concurrency_));
  for (int i = 0; i < max_concurrency_; ++i) {
    absl::StatusOr<std::unique_ptr<RuntimeApiClient>> client = make_client_();
    if (!client.ok()) return client.status();
    loops.push_back(std::make_unique<PollLoop>(
        i, std::move(*client), settings_, [this](const absl::Status& reason) { OnFatal(reason); },
        watchdog_.AddSlot()));
  }
  MutexLock lock(&mu_);
  loops_ = std::move(loops);
  if (stopping_) return absl::OkStatus();  // Stop() came first: start nothing.
  watchdog_.Start();
  threads_.reserve(loops_.size());
  for (size_t i = 0; i < loops_.size(); ++i) {
    PollLoop* loop = loops_[i].get();
    threads_.emplace_back([loop, i] {
      // Thread names show up in gdb, perf and /proc: "lmc-loop-12".
      const std::string name = absl::StrCat("lmc-loop-", i);
      pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
      loop->Run();
    });
  }
  return absl::OkStatus();
}

void LoopSupervisor::Stop() {
  MutexLock lock(&mu_);
  stopping_ = true;
  for (const auto& loop : loops_) loop->Stop();
  // Handlers that watch Context::cancelled() can wrap up within Lambda's shutdown window.
  watchdog_.CancelAll(CancellationReason::kShuttingDown);
}

void LoopSupervisor::OnFatal(const absl::Status& reason) {
  {
    MutexLock lock(&mu_);
    if (fatal_.ok()) fatal_ = reason;
  }
  settings_.sink->Write(
      LogLevel::kFatal, {},
      absl::StrCat(reason.ToString(), "; stopping after the invocations in flight finish"));
  Stop();
}

absl::Status LoopSupervisor::Wait() {
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
  MutexLock lock(&mu_);
  return fatal_;
}

uint64_t LoopSupervisor::invocations() const {
  MutexLock lock(&mu_);
  uint64_t total = 0;
  for (const auto& loop : loops_) total += loop->invocations();
  return total;
}

}  // namespace lmc
