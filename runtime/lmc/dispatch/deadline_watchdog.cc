#include "lmc/dispatch/deadline_watchdog.h"

#include <pthread.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lmc/strings.h"

namespace lmc {
namespace {

int64_t ToMillis(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

LogFields DeadlineWatchdog::FieldsOf(const Slot& slot) {
  return LogFields{
      slot.request_id_,
      slot.has_tenant_ ? std::optional<std::string_view>(slot.tenant_id_) : std::nullopt,
      {}};
}

void DeadlineWatchdog::Slot::Begin(std::string_view request_id,
                                   std::optional<std::string_view> tenant_id,
                                   Clock::TimePoint deadline,
                                   internal::Cancellation* cancellation) {
  {
    MutexLock lock(&mu_);
    active_ = true;
    overdue_reported_ = false;
    detached_ = false;
    deadline_ = deadline;
    request_id_.assign(request_id);
    has_tenant_ = tenant_id.has_value();
    tenant_id_.assign(tenant_id.value_or(std::string_view()));
    cancellation_ = cancellation;
  }
  owner_->MaybeWake(deadline);
}

bool DeadlineWatchdog::Slot::End() {
  MutexLock lock(&mu_);
  active_ = false;
  cancellation_ = nullptr;
  return detached_;
}

DeadlineWatchdog::DeadlineWatchdog(const LogSink& sink, const Clock& clock, OverduePolicy policy)
    : sink_(sink), clock_(clock), policy_(std::move(policy)) {}

DeadlineWatchdog::~DeadlineWatchdog() { StopThread(); }

void DeadlineWatchdog::StopThread() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

DeadlineWatchdog::Slot* DeadlineWatchdog::AddSlot() {
  MutexLock lock(&slots_mu_);
  slots_.push_back(std::unique_ptr<Slot>(new Slot(this, next_slot_id_++)));
  return slots_.back().get();
}

void DeadlineWatchdog::RemoveSlot(Slot* slot) {
  bool freed_detach = false;
  {
    MutexLock lock(&slots_mu_);
    const auto it =
        std::find_if(slots_.begin(), slots_.end(),
                     [slot](const std::unique_ptr<Slot>& s) { return s.get() == slot; });
    if (it == slots_.end()) return;
    {
      MutexLock slot_lock(&slot->mu_);
      freed_detach = slot->detached_;
    }
    if (freed_detach) --detached_now_;
    // Order does not matter; swap-and-pop keeps removal O(1) after the search.
    std::swap(*it, slots_.back());
    slots_.pop_back();
  }
  // A stuck slot may be detachable now.
  if (freed_detach) Poke();
}

void DeadlineWatchdog::DetachWithoutLimit() {
  {
    MutexLock lock(&slots_mu_);
    detach_without_limit_ = true;
  }
  Poke();
}

int DeadlineWatchdog::detached_now() const {
  MutexLock lock(&slots_mu_);
  return detached_now_;
}

void DeadlineWatchdog::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "lmc-watchdog");
    Loop();
  });
}

void DeadlineWatchdog::MaybeWake(Clock::TimePoint deadline) {
  // The common case (a deadline after the planned wake-up) costs one atomic load.
  if (ToMillis(deadline) >= planned_wake_ms_.load(std::memory_order_acquire)) return;
  Poke();
}

void DeadlineWatchdog::Poke() {
  MutexLock lock(&mu_);
  rescan_ = true;
}

void DeadlineWatchdog::CancelAll(CancellationReason reason) {
  MutexLock lock(&slots_mu_);
  for (const auto& slot : slots_) {
    MutexLock slot_lock(&slot->mu_);
    if (slot->active_ && slot->cancellation_ != nullptr) slot->cancellation_->Cancel(reason);
  }
}

void DeadlineWatchdog::ReportOverdue(Slot& slot, Clock::TimePoint now) {
  slot.overdue_reported_ = true;
  overdue_.fetch_add(1, std::memory_order_relaxed);
  if (slot.cancellation_ != nullptr) {
    slot.cancellation_->Cancel(CancellationReason::kDeadlineExceeded);
  }
  const auto late = std::chrono::duration_cast<std::chrono::milliseconds>(now - slot.deadline_);
  sink_.Write(LogLevel::kWarn, FieldsOf(slot),
              absl::StrCat("the invocation is still running ", late.count(),
                           " ms after its deadline; Lambda has already failed it. The handler "
                           "was cancelled (Context::cancelled())"));
}

DeadlineWatchdog::ScanResult DeadlineWatchdog::Scan() {
  const Clock::TimePoint now = clock_.Now();
  ScanResult result;
  const auto due = [&result](Clock::TimePoint t) {
    result.earliest = result.earliest.has_value() ? std::min(*result.earliest, t) : t;
  };
  int stuck = 0;
  Clock::TimePoint stuck_since;
  MutexLock lock(&slots_mu_);
  for (const auto& slot_ptr : slots_) {
    Slot& slot = *slot_ptr;
    MutexLock slot_lock(&slot.mu_);
    if (!slot.active_ || slot.detached_) continue;
    if (now < slot.deadline_) {
      due(slot.deadline_);
      continue;
    }
    if (!slot.overdue_reported_) ReportOverdue(slot, now);
    if (policy_.max_detached <= 0 && policy_.capacity <= 0 && !detach_without_limit_) continue;
    const Clock::TimePoint detach_at = slot.deadline_ + policy_.detach_grace;
    if (now < detach_at) {
      due(detach_at);
    } else if (detach_without_limit_ || detached_now_ < policy_.max_detached) {
      slot.detached_ = true;
      ++detached_now_;
      result.detached.push_back(slot.id_);
      sink_.Write(
          LogLevel::kWarn, FieldsOf(slot),
          absl::StrCat(
              "the invocation is still running ",
              std::chrono::duration_cast<std::chrono::milliseconds>(now - slot.deadline_).count(),
              " ms after its deadline: its thread leaves its poll loop's slot "
              "and a new loop polls in its place (",
              detached_now_, " detached invocations running)"));
    } else {
      // Overdue past the grace with no room to detach it: the slot is lost for now.
      stuck_since = stuck == 0 ? detach_at : std::max(stuck_since, detach_at);
      ++stuck;
    }
  }
  if (policy_.capacity > 0 && stuck >= policy_.capacity && !stuck_reported_ &&
      !detach_without_limit_) {
    const Clock::TimePoint give_up = stuck_since + policy_.stuck_grace;
    if (now >= give_up) {
      stuck_reported_ = true;
      result.stuck = absl::StrCat(
          "all ", policy_.capacity,
          " poll loops have been held by invocations past their "
          "deadline for over ",
          policy_.stuck_grace.count(), " ms, and ", detached_now_,
          " detached invocations (the most allowed) are still running: this environment "
          "cannot serve; exiting so Lambda replaces it");
    } else {
      due(give_up);
    }
  }
  return result;
}

void DeadlineWatchdog::Loop() {
  for (;;) {
    // Announce "no deadline pending" before scanning, so a Begin() racing with the scan either
    // is seen by it or finds a planned wake-up it must beat and pokes.
    planned_wake_ms_.store(INT64_MAX, std::memory_order_release);
    ScanResult scan = Scan();
    for (const uint64_t id : scan.detached) {
      if (policy_.on_detached) policy_.on_detached(id);
    }
    if (scan.stuck.has_value() && policy_.on_stuck) policy_.on_stuck(*scan.stuck);
    const std::optional<Clock::TimePoint>& earliest = scan.earliest;
    if (earliest.has_value()) {
      planned_wake_ms_.store(ToMillis(*earliest), std::memory_order_release);
    }
    MutexLock lock(&mu_);
    if (stop_) return;
    const auto wake_when = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stop_ || rescan_; };
    if (earliest.has_value()) {
      const auto wait = std::max(*earliest - clock_.Now(), Clock::TimePoint::duration(0));
      // +1 ms: wake just after the deadline, not just before it.
      mu_.AwaitWithTimeout(wake_when, std::chrono::duration_cast<std::chrono::nanoseconds>(wait) +
                                          std::chrono::milliseconds(1));
    } else {
      mu_.Await(wake_when);
    }
    if (stop_) return;
    rescan_ = false;
  }
}

}  // namespace lmc
