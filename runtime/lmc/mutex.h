// File: lmc/mutex.h
//
// lmc::Mutex and lmc::MutexLock: a mutex with absl::Mutex's shape (Lock/Unlock, Await on a
// condition, Clang thread-safety annotations so ABSL_GUARDED_BY is checked at compile time)
// built on std::mutex and std::condition_variable.
//
// Why not absl::Mutex: Debian 12's libabsl is compiled without ThreadSanitizer, so TSan cannot
// see absl::Mutex's acquire/release and reports false data races on everything it guards. The
// standard library's pthread-based primitives are intercepted by TSan, so races it reports on
// lmc code are real.
//
// Await() re-checks its condition whenever any holder unlocks (as absl::Mutex does), so code
// never needs to remember which condition variable to signal.
//
// Example:
//
//   lmc::Mutex mu;
//   bool ready ABSL_GUARDED_BY(mu) = false;
//
//   // Thread A
//   { lmc::MutexLock lock(&mu); ready = true; }
//   // Thread B
//   { lmc::MutexLock lock(&mu); mu.Await([&] { return ready; }); }
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace lmc {

// Mutex
//
// Non-recursive. Thread-safe by definition.
class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }

  // Releases the lock and wakes every Await() so it re-checks its condition. The notification
  // goes out while the lock is still held: once it is released, a waiter may see its condition
  // met (through a timeout or a spurious wake-up), return, and destroy the object that owns this
  // Mutex, so nothing may touch `cv_` after the unlock.
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    if (waiters_ > 0) cv_.notify_all();
    mu_.unlock();
  }

  // Blocks, with the lock released, until `condition()` is true; returns with the lock held.
  // `condition` is evaluated with the lock held.
  template <typename Condition>
  void Await(Condition condition) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    if (condition()) return;
    std::unique_lock<std::mutex> lock(mu_, std::adopt_lock);
    ++waiters_;
    // Waiting releases the lock, which counts as an unlock for the other waiters.
    cv_.notify_all();
    cv_.wait(lock, condition);
    --waiters_;
    lock.release();
  }

  // Like Await(), but gives up after `timeout`. Returns condition() as last evaluated.
  template <typename Condition>
  bool AwaitWithTimeout(Condition condition, std::chrono::nanoseconds timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    if (condition()) return true;
    // steady_clock::now() + a huge timeout would overflow inside wait_for(): wait untimed.
    if (timeout >= kForever) {
      Await(condition);
      return true;
    }
    std::unique_lock<std::mutex> lock(mu_, std::adopt_lock);
    ++waiters_;
    cv_.notify_all();
    const bool met = cv_.wait_for(lock, timeout, condition);
    --waiters_;
    lock.release();
    return met;
  }

  // absl::Mutex-compatible forms: an absl::Condition (evaluated with the lock held) and an
  // absl::Duration (absl::InfiniteDuration() waits without a timeout).
  bool AwaitWithTimeout(const absl::Condition& condition, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    const auto eval = [&condition] { return condition.Eval(); };
    if (timeout == absl::InfiniteDuration()) {
      Await(eval);
      return true;
    }
    return AwaitWithTimeout(eval,
                            absl::ToChronoNanoseconds(std::max(timeout, absl::ZeroDuration())));
  }

  // Tells the thread-safety analysis that the lock is held here (e.g. inside a condition that
  // Await() evaluates with the lock held). No run-time check.
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}
  void AssertReaderHeld() const ABSL_ASSERT_SHARED_LOCK() {}

 private:
  // Timeouts this long (over 100 years) mean "no timeout".
  static constexpr std::chrono::nanoseconds kForever = std::chrono::hours(24 * 365 * 100);

  std::mutex mu_;
  std::condition_variable cv_;
  int waiters_ ABSL_GUARDED_BY(this) = 0;
};

// MutexLock
//
// Holds a Mutex for its scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

}  // namespace lmc
