#include "lmc/dispatch/deadline_watchdog.h"

#include <pthread.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lmc/base/strings.h"

namespace lmc {
namespace {

int64_t ToMillis(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

void DeadlineWatchdog::Slot::Begin(std::string_view request_id,
                                   std::optional<std::string_view> tenant_id,
                                   Clock::TimePoint deadline, Cancellation* cancellation) {
  {
    MutexLock lock(&mu_);
    active_ = true;
    overdue_reported_ = false;
    deadline_ = deadline;
    request_id_.assign(request_id);
    has_tenant_ = tenant_id.has_value();
    tenant_id_.assign(tenant_id.value_or(std::string_view()));
    cancellation_ = cancellation;
  }
  owner_->MaybeWake(deadline);
}

void DeadlineWatchdog::Slot::End() {
  MutexLock lock(&mu_);
  active_ = false;
  cancellation_ = nullptr;
}

DeadlineWatchdog::DeadlineWatchdog(const LogSink& sink, const Clock& clock)
    : sink_(sink), clock_(clock) {}

DeadlineWatchdog::~DeadlineWatchdog() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

DeadlineWatchdog::Slot* DeadlineWatchdog::AddSlot() {
  slots_.push_back(std::unique_ptr<Slot>(new Slot(this)));
  return slots_.back().get();
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
  for (const auto& slot : slots_) {
    MutexLock lock(&slot->mu_);
    if (slot->active_ && slot->cancellation_ != nullptr) slot->cancellation_->Cancel(reason);
  }
}

std::optional<Clock::TimePoint> DeadlineWatchdog::Scan() {
  const Clock::TimePoint now = clock_.Now();
  std::optional<Clock::TimePoint> earliest;
  for (const auto& slot : slots_) {
    MutexLock lock(&slot->mu_);
    if (!slot->active_) continue;
    if (now >= slot->deadline_) {
      if (slot->overdue_reported_) continue;
      slot->overdue_reported_ = true;
      overdue_.fetch_add(1, std::memory_order_relaxed);
      if (slot->cancellation_ != nullptr) {
        slot->cancellation_->Cancel(CancellationReason::kDeadlineExceeded);
      }
      const auto late =
          std::chrono::duration_cast<std::chrono::milliseconds>(now - slot->deadline_);
      const LogFields fields{
          slot->request_id_,
          slot->has_tenant_ ? std::optional<std::string_view>(slot->tenant_id_) : std::nullopt,
          {}};
      sink_.Write(LogLevel::kWarn, fields,
                  absl::StrCat("the invocation is still running ", late.count(),
                               " ms after its deadline; Lambda has already failed it. The handler "
                               "was cancelled (Context::cancelled())"));
      continue;
    }
    earliest = earliest.has_value() ? std::min(*earliest, slot->deadline_) : slot->deadline_;
  }
  return earliest;
}

void DeadlineWatchdog::Loop() {
  for (;;) {
    // Announce "no deadline pending" before scanning, so a Begin() racing with the scan either
    // is seen by it or finds a planned wake-up it must beat and pokes.
    planned_wake_ms_.store(INT64_MAX, std::memory_order_release);
    const std::optional<Clock::TimePoint> earliest = Scan();
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
