// File: lmc/clock.h
//
// A wall-clock interface so that deadline arithmetic is deterministic in tests. Production code
// uses Clock::Real(); a test passes a FakeClock it advances by hand. Deadlines from the Runtime
// API are Unix epoch milliseconds (wall clock), hence system_clock rather than steady_clock.
//
// Example:
//
//   void Use(const lmc::Clock& clock) {
//     auto left = deadline - clock.Now();
//   }
//   Use(lmc::Clock::Real());
#pragma once

#include <chrono>

#include "absl/base/thread_annotations.h"
#include "lmc/mutex.h"

namespace lmc {

// Clock
//
// Thread-safe: Now() may be called from any thread.
class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;

  // Returns the process's real clock. The object is immutable and lives for the whole program.
  static const Clock& Real();
};

// FakeClock
//
// A Clock for tests that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint(std::chrono::milliseconds(1'700'000'000'000)))
      : now_(start) {}

  TimePoint Now() const override {
    MutexLock lock(&mu_);
    return now_;
  }
  void Advance(std::chrono::nanoseconds by) {
    MutexLock lock(&mu_);
    now_ += std::chrono::duration_cast<TimePoint::duration>(by);
  }
  void Set(TimePoint t) {
    MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable Mutex mu_;
  TimePoint now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lmc
