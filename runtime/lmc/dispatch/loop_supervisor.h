// File: lmc/dispatch/loop_supervisor.h
//
// LoopSupervisor: starts the N poll loops (N = max_concurrency: one thread and one Runtime API
// connection each) and stops them. At most N events are ever held, and N = 1 is exactly classic
// Lambda: one event at a time. The loops fetch their own events: nothing is dispatched here.
//
// Shutdown: Stop() cancels every waiting /next at once; invocations in flight finish and are
// answered; Wait() returns when every loop has returned. A loop that meets a fatal condition
// (the Runtime API answering /next with 500 again and again) stops all loops the same way, and
// Wait() returns that condition.
//
// Example:
//
//   lmc::LoopSupervisor supervisor(settings, config.max_concurrency, [&] {
//     return lmc::RuntimeApiClient::Create(config.runtime_api, sink);
//   });
//   if (absl::Status s = supervisor.Start(); !s.ok()) return 1;
//   // ... on SIGTERM, from another thread: supervisor.Stop();
//   absl::Status result = supervisor.Wait();
#pragma once

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lmc/base/mutex.h"
#include "lmc/dispatch/deadline_watchdog.h"
#include "lmc/dispatch/poll_loop.h"
#include "lmc/transport/runtime_api_client.h"

namespace lmc {

// LoopSupervisor
//
// Start() and Wait() are called once each, from the owning thread. Stop() is thread-safe and
// may come at any time, even before Start(). The destructor stops and joins.
class LoopSupervisor {
 public:
  using ClientFactory = std::function<absl::StatusOr<std::unique_ptr<RuntimeApiClient>>()>;

  // `settings` must outlive the supervisor. `make_client` is called `max_concurrency` times in
  // Start().
  LoopSupervisor(const DispatchSettings& settings, int max_concurrency, ClientFactory make_client);
  ~LoopSupervisor();

  LoopSupervisor(const LoopSupervisor&) = delete;
  LoopSupervisor& operator=(const LoopSupervisor&) = delete;

  // Creates the connections and starts the loops. Fails (starting nothing) if a connection
  // cannot be set up.
  absl::Status Start();

  // Stops taking events; in-flight invocations finish. Thread-safe, idempotent.
  void Stop();

  // Blocks until every loop has returned. OK after Stop(); the fatal reason otherwise.
  absl::Status Wait();

  // Invocations run so far, by all loops. Thread-safe.
  uint64_t invocations() const;

 private:
  void OnFatal(const absl::Status& reason);

  const DispatchSettings& settings_;
  const int max_concurrency_;
  const ClientFactory make_client_;
  // Declared before loops_: destroyed after them, so no loop outlives its slot.
  DeadlineWatchdog watchdog_;

  mutable Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status fatal_ ABSL_GUARDED_BY(mu_);
  // Created in Start() and never resized after, so loops stay valid for Stop() and stats.
  std::vector<std::unique_ptr<PollLoop>> loops_ ABSL_GUARDED_BY(mu_);
  // Owned by the thread that called Start(); joined in Wait().
  std::vector<std::thread> threads_;
};

}  // namespace lmc
