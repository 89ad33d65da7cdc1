// File: lmc/dispatch/deadline_watchdog.h
//
// DeadlineWatchdog: one thread that notices invocations running past their deadline. For each it
// writes one WARN line naming the request and cancels the invocation's Cancellation, so the
// handler can stop (Lambda has already failed the invocation; on Managed Instances its code is
// not stopped, and a late answer is refused with 410).
//
// Each poll loop owns one Slot and touches only that slot on the hot path (a lock nobody else
// takes except the watchdog during a scan). The watchdog sleeps until the earliest deadline; a
// loop wakes it only when it registers a deadline earlier than the one the watchdog sleeps
// towards, so an idle process has no periodic wake-ups at all.
//
// Example:
//
//   lmc::DeadlineWatchdog watchdog(sink, clock);
//   lmc::DeadlineWatchdog::Slot* slot = watchdog.AddSlot();   // per loop, before Start()
//   watchdog.Start();
//   slot->Begin(request_id, tenant, deadline, &cancellation);  // in the loop
//   ... run the handler ...
//   slot->End();
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "lmc/base/clock.h"
#include "lmc/base/log_sink.h"
#include "lmc/base/mutex.h"
#include "lmc/internal/cancellation.h"

namespace lmc {

// DeadlineWatchdog
//
// AddSlot() before Start(); then Slot methods from their loop's thread, CancelAll() and Poke()
// from any thread. The destructor stops the watchdog thread.
class DeadlineWatchdog {
 public:
  // Slot
  //
  // One loop's current invocation. Begin()/End() are called by that loop only.
  class Slot {
   public:
    // Registers an invocation: `request_id` and `tenant_id` are copied (reusing capacity).
    void Begin(std::string_view request_id, std::optional<std::string_view> tenant_id,
               Clock::TimePoint deadline, Cancellation* cancellation);
    // The invocation ended (answered or not).
    void End();

   private:
    friend class DeadlineWatchdog;
    explicit Slot(DeadlineWatchdog* owner) : owner_(owner) {}

    DeadlineWatchdog* const owner_;
    Mutex mu_;
    bool active_ ABSL_GUARDED_BY(mu_) = false;
    bool overdue_reported_ ABSL_GUARDED_BY(mu_) = false;
    Clock::TimePoint deadline_ ABSL_GUARDED_BY(mu_);
    std::string request_id_ ABSL_GUARDED_BY(mu_);
    bool has_tenant_ ABSL_GUARDED_BY(mu_) = false;
    std::string tenant_id_ ABSL_GUARDED_BY(mu_);
    Cancellation* cancellation_ ABSL_GUARDED_BY(mu_) = nullptr;
  };

  // `sink` and `clock` must outlive the watchdog.
  DeadlineWatchdog(const LogSink& sink, const Clock& clock);
  ~DeadlineWatchdog();

  DeadlineWatchdog(const DeadlineWatchdog&) = delete;
  DeadlineWatchdog& operator=(const DeadlineWatchdog&) = delete;

  // Adds a slot (owned by the watchdog). Only before Start().
  Slot* AddSlot();

  // Starts the watchdog thread.
  void Start();

  // Cancels every active invocation with `reason` (used at shutdown). Thread-safe.
  void CancelAll(CancellationReason reason);

  // Makes the watchdog re-scan now (tests that move a FakeClock use it). Thread-safe.
  void Poke();

  // Number of overdue invocations reported so far. Thread-safe.
  uint64_t overdue_reported() const { return overdue_.load(std::memory_order_relaxed); }

 private:
  // Called by a slot whose new deadline may be earlier than the planned wake-up.
  void MaybeWake(Clock::TimePoint deadline);
  void Loop();
  // Cancels and reports overdue slots; returns the earliest pending deadline, if any.
  std::optional<Clock::TimePoint> Scan();

  const LogSink& sink_;
  const Clock& clock_;
  std::vector<std::unique_ptr<Slot>> slots_;  // Fixed after Start().
  std::thread thread_;
  std::atomic<uint64_t> overdue_{0};
  // Milliseconds since epoch the watchdog sleeps towards (INT64_MAX: no deadline pending).
  std::atomic<int64_t> planned_wake_ms_{INT64_MAX};

  Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool rescan_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace lmc
