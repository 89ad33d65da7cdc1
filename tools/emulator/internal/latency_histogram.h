// File: tools/emulator/internal/latency_histogram.h
//
// LatencyHistogram: the emulator's record of durations (dispatch -> answer, dispatch -> first
// streamed byte) in fixed memory, so a 10^6-invocation soak costs no more than one invocation.
// Log-linear buckets of microseconds: exact below 128 us, then 128 buckets per power of two, so
// a reported percentile is within 0.4% of the exact value; the maximum is exact.
//
// Example:
//
//   LatencyHistogram h;
//   h.Add(absl::Milliseconds(3));
//   h.Add(absl::Microseconds(250));
//   double p99_ms = h.PercentileMs(0.99);   // ~3.0
//
// Not thread-safe: the emulator guards each histogram with its mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace lmc::emulator::internal {

class LatencyHistogram {
 public:
  LatencyHistogram();

  // Records `d`; negative durations count as 0, durations past 2^40 us (12.7 days) as that.
  void Add(absl::Duration d);

  // The q-quantile (0 < q <= 1) in milliseconds: the smallest recorded value with at least
  // q * count() values at or below it, within the bucket resolution. 0 when empty.
  double PercentileMs(double q) const;

  // The largest recorded value in milliseconds (exact to the microsecond); 0 when empty.
  double MaxMs() const { return static_cast<double>(max_us_) / 1000.0; }

  uint64_t count() const { return count_; }

 private:
  static size_t Index(uint64_t micros);
  static double Midpoint(size_t index);

  std::vector<uint64_t> buckets_;  // fixed size (about 35 KB)
  uint64_t count_ = 0;
  int64_t max_us_ = 0;
};

}  // namespace lmc::emulator::internal
