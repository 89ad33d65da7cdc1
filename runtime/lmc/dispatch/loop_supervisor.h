// File: lmc/dispatch/loop_supervisor.h
//
// LoopSupervisor: starts the N poll loops (N = max_concurrency: one thread and one Runtime API
// connection each), keeps N of them polling, and stops them. The loops fetch their own events:
// nothing is dispatched here. N = 1 is exactly classic Lambda: one event at a time.
//
// Capacity (issue 7 §5). On Managed Instances Lambda fails an invocation that passes its
// deadline but does not stop its code, so a hung handler would keep its loop, and N hangs would
// leave an environment that serves nothing for the rest of its life. The supervisor keeps
// (waiting /next + invocations not past their deadline) <= N, as Lambda counts it, and no less:
// once an invocation is `detach_grace` past its deadline, its thread is detached from the loop's
// slot (it retires after answering, a 410 logged at WARN) and a replacement loop polls in its
// place. At most `max_detached` detached invocations run at once; when that bound is reached and
// all N loops are held by overdue invocations for longer than `stuck_grace`, the supervisor logs
// one FATAL line and stops with kResourceExhausted, so Run() exits non-zero and Lambda replaces
// the environment.
//
// Shutdown: Stop() cancels every waiting /next at once; invocations in flight finish and are
// answered; Wait() returns when every loop holding a slot has returned, and so have the detached
// loops already delivering their answer. Detached invocations whose handler still runs are not
// waited for (Lambda has already failed them): Wait() leaves them running and abandoned() counts
// them. A loop that meets a fatal condition (the Runtime API answering /next
// with 500 again and again) stops all loops the same way, and Wait() returns that condition.
//
// Example:
//
//   lmc::LoopSupervisor supervisor(settings, {.max_concurrency = config.max_concurrency}, [&] {
//     return MakeLoopClient();  // absl::StatusOr<std::unique_ptr<lmc::LoopClient>>
//   });
//   if (absl::Status s = supervisor.Start(); !s.ok()) return 1;
//   // ... on SIGTERM, from another thread: supervisor.Stop();
//   absl::Status result = supervisor.Wait();
//   if (supervisor.abandoned() > 0) std::_Exit(code);  // hung handlers still use the settings
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lmc/dispatch/deadline_watchdog.h"
#include "lmc/dispatch/dispatch_settings.h"
#include "lmc/dispatch/loop_client.h"
#include "lmc/dispatch/poll_loop.h"
#include "lmc/mutex.h"

namespace lmc {

// Capacity
//
// How many loops poll, and what happens to invocations that outlive their deadline.
struct Capacity {
  // N: loops polling at once.
  int max_concurrency = 1;
  // How long past its deadline an invocation may keep its loop before a replacement polls.
  std::chrono::milliseconds detach_grace{1000};
  // Most detached invocations running at once; 0 detaches none.
  int max_detached = 1;
  // How long all N loops may be held by overdue invocations (with no room to detach any) before
  // the process gives up.
  std::chrono::milliseconds stuck_grace{30000};
};

// LoopSupervisor
//
// Start() and Wait() are called once each, from the owning thread. Stop() is thread-safe and
// may come at any time, even before Start(). The destructor stops and waits, and must not run
// while abandoned() > 0 (the abandoned threads still use the supervisor and the settings: end
// the process instead).
class LoopSupervisor {
 public:
  // Makes one loop's connection; production wraps RuntimeApiClient::Create() with
  // WrapRuntimeApiClient(), tests return fakes.
  using ClientFactory = std::function<absl::StatusOr<std::unique_ptr<LoopClient>>()>;

  // `settings` must outlive the supervisor. `make_client` is called once per loop: N times in
  // Start(), once more per replacement.
  LoopSupervisor(const DispatchSettings& settings, Capacity capacity, ClientFactory make_client);
  ~LoopSupervisor();

  LoopSupervisor(const LoopSupervisor&) = delete;
  LoopSupervisor& operator=(const LoopSupervisor&) = delete;

  // Creates the connections and starts the loops: the first alone, the others once it has asked
  // for its first event (Start() returns then). `before_first_next`, when set, runs on the first
  // loop's thread before that first /next, so no loop asks before it returns (the runtime awaits
  // its extension's registration there: Lambda closes registration at the first /next). Fails
  // (starting nothing) if a connection cannot be set up.
  absl::Status Start(std::function<void()> before_first_next = nullptr);

  // Stops taking events; in-flight invocations finish. Thread-safe, idempotent.
  void Stop();

  // Blocks until every loop holding a slot has returned. OK after Stop(); the fatal reason
  // otherwise (kResourceExhausted: every slot was held by overdue invocations).
  absl::Status Wait();

  // Invocations run so far, by all loops. Thread-safe.
  uint64_t invocations() const;

  // Loops started to replace detached ones so far. Thread-safe.
  uint64_t replacements() const;

  // Detached invocations Wait() left running. Thread-safe.
  int abandoned() const;

 private:
  struct Worker;

  // Creates loop `index` with its client and watchdog slot; does not start it.
  absl::StatusOr<std::unique_ptr<Worker>> MakeWorker(int index);
  // Starts a loop in place of a detached one (logged when no client can be made).
  void StartReplacementLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartThread(Worker& worker) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Watchdog callbacks.
  void OnDetached(uint64_t slot_id);
  void OnFatal(const absl::Status& reason);
  // Called by each worker's thread when its loop returned.
  void OnLoopExit(Worker& worker);
  // Takes the finished detached workers out of workers_, for joining without the lock.
  std::vector<std::unique_ptr<Worker>> TakeFinishedDetached() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const DispatchSettings& settings_;
  const Capacity capacity_;
  const ClientFactory make_client_;
  // Start()'s argument; set before any loop runs, then only read by the first loop's thread.
  std::function<void()> before_first_next_;
  // Declared before the workers: destroyed after them, so no loop outlives its slot.
  DeadlineWatchdog watchdog_;

  mutable Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The first loop has called Next() for the first time (Start() starts the others then).
  bool first_asked_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status fatal_ ABSL_GUARDED_BY(mu_);
  // Every loop not yet joined: those holding a slot and the detached ones still running.
  std::vector<std::unique_ptr<Worker>> workers_ ABSL_GUARDED_BY(mu_);
  // Loops holding a slot whose Run() has not returned.
  int attached_running_ ABSL_GUARDED_BY(mu_) = 0;
  int next_index_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t replacements_ ABSL_GUARDED_BY(mu_) = 0;
  // Invocations run by loops already joined.
  uint64_t retired_invocations_ ABSL_GUARDED_BY(mu_) = 0;
  int abandoned_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lmc
