// File: lmc/dispatch/poll_loop.h
//
// PollLoop: one of the N polling loops. It owns one Runtime API connection and runs, on its own
// thread, the cycle GET /next -> temp dir -> handler -> POST answer -> remove temp dir, forever.
// Because a loop takes its next event only after it has answered the previous one, N loops can
// never hold more than N events (waiting /next calls + invocations in flight <= N), and one slow
// handler never delays another invocation: each has its own loop, thread and connection.
//
// Per-loop state is reused across events (event buffer, header strings, simdjson parser), so
// the steady state allocates almost nothing per invocation.
//
// Example (what LoopSupervisor does for each loop):
//
//   lmc::PollLoop loop(0, std::move(client), settings, on_fatal);
//   std::thread thread([&] { loop.Run(); });
//   ...
//   loop.Stop();   // from any thread: a waiting /next is cancelled, a running handler finishes
//   thread.join();
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "lmc/dispatch/deadline_watchdog.h"
#include "lmc/dispatch/dispatch_settings.h"
#include "lmc/dispatch/loop_client.h"
#include "lmc/mutex.h"
#include "lmc/transport/runtime_api_client.h"

namespace lmc {

// PollLoop
//
// Run() runs on one dedicated thread. Stop(), invocations() and the destructor may be called
// from other threads (the destructor only after Run() returned).
class PollLoop {
 public:
  // Called (from the loop's thread) when the loop gives up because of a fatal condition.
  using FatalCallback = std::function<void(const absl::Status& reason)>;

  // `watchdog_slot` (may be null: no overrun reports) must outlive the loop.
  PollLoop(int index, std::unique_ptr<LoopClient> client, const DispatchSettings& settings,
           FatalCallback on_fatal, DeadlineWatchdog::Slot* watchdog_slot = nullptr);
  // The same over a Runtime API client (WrapRuntimeApiClient()).
  PollLoop(int index, std::unique_ptr<RuntimeApiClient> client, const DispatchSettings& settings,
           FatalCallback on_fatal, DeadlineWatchdog::Slot* watchdog_slot = nullptr);
  ~PollLoop();

  PollLoop(const PollLoop&) = delete;
  PollLoop& operator=(const PollLoop&) = delete;

  // Polls and runs events until Stop(), a fatal condition or retirement (see retired()). An
  // event already taken is always
  // run and answered before Run() returns. An exception escaping the loop's own code (not the
  // handler's: those become Errors) is logged, the event in hand is answered with
  // Runtime.InternalError, and the loop starts over.
  void Run();

  // Asks Run() to return: a waiting /next is cancelled at once, a backoff wait is cut short, a
  // running invocation finishes and is answered first. Thread-safe, idempotent.
  void Stop();

  // Invocations this loop has run (answered or not). Thread-safe.
  uint64_t invocations() const { return invocations_.load(std::memory_order_relaxed); }

  // True once the watchdog detached this loop's invocation (DeadlineWatchdog::Slot::End()): the
  // loop answered it and Run() returned without polling again, since a replacement polls in its
  // place. Thread-safe.
  bool retired() const { return retired_.load(std::memory_order_acquire); }

  // True while a handler runs on this loop. Thread-safe.
  bool in_handler() const { return in_handler_.load(std::memory_order_acquire); }

 private:
  struct State;

  // The loop proper: GET /next and what each kind of reply calls for. Run() restarts it after
  // an unexpected exception.
  void RunUntilStopped();
  // Runs the event in state_->next end to end: context, handler, answer, temp dir cleanup.
  void RunInvocation();
  // Answers an event that was taken but cannot be run (e.g. too large, or the loop failed).
  void AnswerUnrunnable(const Error& error);
  // Waits for `delay` unless Stop() comes first. Returns true if stopping.
  bool WaitUnlessStopped(std::chrono::milliseconds delay);
  bool stopping() const;

  const int index_;
  const std::unique_ptr<LoopClient> client_;
  const DispatchSettings& settings_;
  const FatalCallback on_fatal_;
  DeadlineWatchdog::Slot* const watchdog_slot_;
  // Buffers, parser and backoff reused for every event; touched only by Run()'s thread.
  const std::unique_ptr<State> state_;
  std::atomic<uint64_t> invocations_{0};
  std::atomic<bool> retired_{false};
  std::atomic<bool> in_handler_{false};
  // True from the moment an event with a usable request id is taken until its answer was
  // attempted: what an unexpected exception must still answer. Loop thread only.
  bool answer_pending_ = false;

  mutable Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace lmc
