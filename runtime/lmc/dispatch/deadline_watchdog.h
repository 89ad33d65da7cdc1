// File: lmc/dispatch/deadline_watchdog.h
//
// DeadlineWatchdog: one thread that notices invocations running past their deadline. For each it
// writes one WARN line naming the request and cancels the invocation's Cancellation, so the
// handler can stop (Lambda has already failed the invocation; on Managed Instances its code is
// not stopped, and a late answer is refused with 410).
//
// With an OverduePolicy it also keeps the process's capacity (issue 7 §5): an invocation still
// running `detach_grace` after its deadline is *detached*: its loop will retire once the handler
// returns, and `on_detached` lets the owner start a replacement loop at once. At most
// `max_detached` invocations are detached at a time; when that bound is reached and all
// `capacity` slots are held by overdue invocations for longer than `stuck_grace`, `on_stuck`
// is called (once): the process cannot serve and should exit so Lambda replaces it.
//
// Each poll loop owns one Slot and touches only that slot on the hot path (a lock nobody else
// takes except the watchdog during a scan). The watchdog sleeps until the earliest deadline (or
// grace) ahead; a loop wakes it only when it registers a deadline earlier than the one the
// watchdog sleeps towards, so an idle process has no periodic wake-ups at all.
//
// Example:
//
//   lmc::DeadlineWatchdog watchdog(sink, clock, policy);
//   lmc::DeadlineWatchdog::Slot* slot = watchdog.AddSlot();   // per loop
//   watchdog.Start();
//   slot->Begin(request_id, tenant, deadline, &cancellation);  // in the loop
//   ... run the handler ...
//   if (slot->End()) { /* detached: answer, then retire the loop */ }
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "lmc/base/log_sink.h"
#include "lmc/clock.h"
#include "lmc/internal/cancellation.h"
#include "lmc/mutex.h"

namespace lmc {

// OverduePolicy
//
// What happens to invocations that outlive their deadline beyond cancellation and a WARN line.
// The default detaches nothing and never declares the process stuck.
struct OverduePolicy {
  // How long past its deadline an invocation may keep its loop before it is detached.
  std::chrono::milliseconds detach_grace{1000};
  // Most detached invocations still running at once. 0: never detach.
  int max_detached = 0;
  // The number of loops that make up the process's capacity (N). 0: never declare it stuck.
  int capacity = 0;
  // How long all `capacity` slots may be held by overdue invocations that cannot be detached
  // before `on_stuck` is called.
  std::chrono::milliseconds stuck_grace{30000};
  // Called on the watchdog thread, without its locks held, with the Slot::id() of each detached
  // invocation. May call AddSlot() and RemoveSlot().
  std::function<void(uint64_t slot_id)> on_detached;
  // Called once, on the watchdog thread without its locks held, with a description of the state.
  std::function<void(const std::string& why)> on_stuck;
};

// DeadlineWatchdog
//
// Every method is thread-safe; Slot::Begin()/End() are called by the slot's loop only. The
// destructor stops the watchdog thread; slots must not be used after it.
class DeadlineWatchdog {
 public:
  // Slot
  //
  // One loop's current invocation. Begin()/End() are called by that loop only.
  class Slot {
   public:
    // Registers an invocation: `request_id` and `tenant_id` are copied (reusing capacity).
    void Begin(std::string_view request_id, std::optional<std::string_view> tenant_id,
               Clock::TimePoint deadline, internal::Cancellation* cancellation);
    // The handler returned. True when the invocation was detached meanwhile: the loop must
    // answer it and then retire instead of polling again (a replacement already polls).
    bool End();

    // Identifies the slot in OverduePolicy::on_detached; never reused within a watchdog.
    uint64_t id() const { return id_; }

   private:
    friend class DeadlineWatchdog;
    Slot(DeadlineWatchdog* owner, uint64_t id) : owner_(owner), id_(id) {}

    DeadlineWatchdog* const owner_;
    const uint64_t id_;
    Mutex mu_;
    bool active_ ABSL_GUARDED_BY(mu_) = false;
    bool overdue_reported_ ABSL_GUARDED_BY(mu_) = false;
    bool detached_ ABSL_GUARDED_BY(mu_) = false;
    Clock::TimePoint deadline_ ABSL_GUARDED_BY(mu_);
    std::string request_id_ ABSL_GUARDED_BY(mu_);
    bool has_tenant_ ABSL_GUARDED_BY(mu_) = false;
    std::string tenant_id_ ABSL_GUARDED_BY(mu_);
    internal::Cancellation* cancellation_ ABSL_GUARDED_BY(mu_) = nullptr;
  };

  // `sink` and `clock` must outlive the watchdog.
  DeadlineWatchdog(const LogSink& sink, const Clock& clock, OverduePolicy policy = {});
  ~DeadlineWatchdog();

  DeadlineWatchdog(const DeadlineWatchdog&) = delete;
  DeadlineWatchdog& operator=(const DeadlineWatchdog&) = delete;

  // Adds a slot (owned by the watchdog until RemoveSlot() or destruction).
  Slot* AddSlot();

  // Destroys `slot`, which must be inactive (its last Begin() matched by End()). A detached
  // slot's removal frees its place under OverduePolicy::max_detached.
  void RemoveSlot(Slot* slot);

  // From now on, overdue invocations are detached without regard to max_detached (shutdown:
  // nothing replaces them, and waiting for a hung handler would never end). Also rescans.
  void DetachWithoutLimit();

  // Starts the watchdog thread.
  void Start();

  // Stops and joins the watchdog thread; idempotent (the destructor calls it). No callback runs
  // after it returns.
  void StopThread();

  // Cancels every active invocation with `reason` (used at shutdown). Thread-safe.
  void CancelAll(CancellationReason reason);

  // Makes the watchdog re-scan now (tests that move a FakeClock use it). Thread-safe.
  void Poke();

  // Number of overdue invocations reported so far. Thread-safe.
  uint64_t overdue_reported() const { return overdue_.load(std::memory_order_relaxed); }

  // Detached invocations whose slot has not been removed yet. Thread-safe.
  int detached_now() const;

 private:
  // Called by a slot whose new deadline may be earlier than the planned wake-up.
  void MaybeWake(Clock::TimePoint deadline);
  void Loop();
  // What one scan found: the earliest moment something is due, the slots it detached, and
  // whether the process is stuck.
  struct ScanResult {
    std::optional<Clock::TimePoint> earliest;
    std::vector<uint64_t> detached;
    std::optional<std::string> stuck;
  };
  // Cancels and reports overdue slots, detaches those past the grace, checks for a stuck process.
  ScanResult Scan();
  void ReportOverdue(Slot& slot, Clock::TimePoint now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(slot.mu_);
  static LogFields FieldsOf(const Slot& slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(slot.mu_);

  const LogSink& sink_;
  const Clock& clock_;
  const OverduePolicy policy_;
  std::thread thread_;

  // Lock order: slots_mu_, then a Slot's mu_. Never held while calling the policy's callbacks.
  mutable Mutex slots_mu_;
  std::vector<std::unique_ptr<Slot>> slots_ ABSL_GUARDED_BY(slots_mu_);
  uint64_t next_slot_id_ ABSL_GUARDED_BY(slots_mu_) = 0;
  int detached_now_ ABSL_GUARDED_BY(slots_mu_) = 0;
  bool detach_without_limit_ ABSL_GUARDED_BY(slots_mu_) = false;
  bool stuck_reported_ ABSL_GUARDED_BY(slots_mu_) = false;

  std::atomic<uint64_t> overdue_{0};
  // Milliseconds since epoch the watchdog sleeps towards (INT64_MAX: no deadline pending).
  std::atomic<int64_t> planned_wake_ms_{INT64_MAX};

  Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool rescan_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace lmc
