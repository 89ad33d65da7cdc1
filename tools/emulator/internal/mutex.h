// File: tools/emulator/internal/mutex.h
//
// absl::Mutex made visible to ThreadSanitizer. Debian 12 ships Abseil as prebuilt shared
// libraries compiled without -fsanitize=thread, so the synchronisation inside absl::Mutex is
// invisible to TSan and every access to mutex-guarded data is reported as a race. This wrapper
// forwards to absl::Mutex and, in TSan builds only, tells TSan that unlocking publishes and
// locking observes (`__tsan_release` / `__tsan_acquire` on the mutex's address), including
// around the unlock and re-lock hidden inside AwaitWithTimeout() and around every evaluation of
// a wait condition. In other builds it compiles to plain absl::Mutex calls. Thread-safety
// annotations (ABSL_GUARDED_BY, clang -Wthread-safety) work with it exactly as with absl::Mutex.
//
// Example:
//
//   internal::Mutex mu_;
//   int count_ ABSL_GUARDED_BY(mu_) = 0;
//   ...
//   internal::MutexLock lock(&mu_);
//   auto reached = [this] { mu_.AssertReaderHeld(); return count_ >= 3; };
//   mu_.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(1));
#pragma once

#include "absl/base/config.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#ifdef ABSL_HAVE_THREAD_SANITIZER
#include <sanitizer/tsan_interface.h>
#endif

namespace lmc::emulator::internal {

// Mutex
//
// A non-reentrant exclusive lock with absl's condition waits. Thread-safe by definition; not
// copyable or movable.
class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    mu_.Lock();
    Acquired();
  }

  void Unlock() ABSL_UNLOCK_FUNCTION() {
    Releasing();
    mu_.Unlock();
  }

  // absl::Mutex::AwaitWithTimeout(): releases the lock while waiting, holds it again on
  // return. True when `cond` holds, false on timeout. `cond` is evaluated by whichever thread
  // releases the lock, so what it reads must be guarded by this mutex (or be the caller's own
  // immutable data, such as the condition object itself).
  bool AwaitWithTimeout(const absl::Condition& cond, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    Releasing();
#ifdef ABSL_HAVE_THREAD_SANITIZER
    // absl evaluates `cond` inside other threads' Unlock() and inside this wait, both outside
    // the annotated Lock()/Unlock() above; bracketing each evaluation makes its reads ordered
    // after the writers and before the waiter's return.
    struct Annotated {
      Mutex* mu;
      const absl::Condition* inner;
      bool operator()() const {
        mu->Acquired();
        const bool result = inner->Eval();
        mu->Releasing();
        return result;
      }
    };
    const Annotated annotated{this, &cond};
    const bool reached = mu_.AwaitWithTimeout(absl::Condition(&annotated), timeout);
#else
    const bool reached = mu_.AwaitWithTimeout(cond, timeout);
#endif
    Acquired();
    return reached;
  }

  void AssertReaderHeld() const ABSL_ASSERT_SHARED_LOCK() { mu_.AssertReaderHeld(); }

 private:
  void Acquired() {
#ifdef ABSL_HAVE_THREAD_SANITIZER
    __tsan_acquire(this);
#endif
  }
  void Releasing() {
#ifdef ABSL_HAVE_THREAD_SANITIZER
    __tsan_release(this);
#endif
  }

  absl::Mutex mu_;
};

// MutexLock
//
// Holds a Mutex for the lifetime of a scope (like absl::MutexLock).
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

}  // namespace lmc::emulator::internal
