// File: lmc/thread_random.h
//
// ThreadRandom(): the calling thread's own random bit generator, for retry jitter and random
// tokens (any <random> or absl::Uniform distribution takes it).
//
// Why not absl::BitGen: constructing one seeds it from Abseil's process-wide entropy pool, whose
// one-time initialisation and locks live in Debian's Abseil archives, built without
// ThreadSanitizer. Two threads constructing a BitGen at once are then reported as a data race
// (lmc::durable's HandlerTest.ManyExecutionsRunConcurrentlyThroughOneHandler, in the TSan tree).
// A per-thread engine seeded from std::random_device shares nothing between threads.
//
// Example:
//
//   const int digit = absl::Uniform(lmc::ThreadRandom(), 0, 16);
#pragma once

#include <random>

namespace lmc {

// This thread's generator, seeded from std::random_device on its first use in the thread. Only
// the calling thread may use the returned reference; it lives until the thread exits.
inline std::mt19937_64& ThreadRandom() {
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return engine;
}

}  // namespace lmc
