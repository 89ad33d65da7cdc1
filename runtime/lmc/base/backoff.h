// File: lmc/base/backoff.h
//
// Backoff: capped, jittered exponential delays between retries of a failing Runtime API call.
// The n-th delay (n from 0) is drawn uniformly from [c/2, c] where c = min(max, initial * 2^n):
// never zero, so a retry loop can never spin, and jittered, so N poll loops that fail together
// do not retry in lockstep. The random source is injected so tests are deterministic.
//
// Example:
//
//   lmc::Backoff backoff(std::chrono::milliseconds(10), std::chrono::seconds(1),
//                        lmc::Backoff::DefaultRandom());
//   while (!TryOnce()) WaitFor(backoff.NextDelay());
//   backoff.Reset();
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace lmc {

// Backoff
//
// Not thread-safe: each poll loop owns its own.
class Backoff {
 public:
  // Returns a uniformly distributed 64-bit value on each call.
  using RandomFn = std::function<uint64_t()>;

  // `initial` and `max` must be positive and initial <= max.
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, RandomFn random);

  // A RandomFn drawing from the calling thread's own generator (lmc/thread_random.h), so one
  // Backoff may be used from any thread, one at a time.
  static RandomFn DefaultRandom();

  // Returns the delay before the next attempt and counts the attempt.
  std::chrono::milliseconds NextDelay();

  // Starts over from `initial` (call after a success).
  void Reset() { attempts_ = 0; }

  // Attempts counted since construction or the last Reset().
  int attempts() const { return attempts_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  RandomFn random_;
  int attempts_ = 0;
};

}  // namespace lmc
