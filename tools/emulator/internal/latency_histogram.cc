#include "tools/emulator/internal/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace lmc::emulator::internal {
namespace {

constexpr int kSubBits = 7;
constexpr uint64_t kSub = uint64_t{1} << kSubBits;
constexpr int kMaxExponent = 40;  // 2^40 us is 12.7 days
constexpr int64_t kMaxMicros = (int64_t{1} << kMaxExponent) - 1;
constexpr size_t kBuckets = kSub + (kMaxExponent - kSubBits) * kSub;

}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBuckets, 0) {}

void LatencyHistogram::Add(absl::Duration d) {
  const int64_t us = std::clamp<int64_t>(absl::ToInt64Microseconds(d), 0, kMaxMicros);
  ++buckets_[Index(static_cast<uint64_t>(us))];
  ++count_;
  max_us_ = std::max(max_us_, us);
}

double LatencyHistogram::PercentileMs(double q) const {
  if (count_ == 0) return 0;
  const uint64_t rank = std::clamp<uint64_t>(
      static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))), 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(Midpoint(i), static_cast<double>(max_us_)) / 1000.0;
  }
  return static_cast<double>(max_us_) / 1000.0;
}

size_t LatencyHistogram::Index(uint64_t micros) {
  if (micros < kSub) return static_cast<size_t>(micros);
  const int e = 63 - std::countl_zero(micros);         // kSubBits <= e < kMaxExponent
  const uint64_t mantissa = micros >> (e - kSubBits);  // in [kSub, 2 * kSub)
  return static_cast<size_t>(kSub + static_cast<uint64_t>(e - kSubBits) * kSub + (mantissa - kSub));
}

double LatencyHistogram::Midpoint(size_t index) {
  if (index < kSub) return static_cast<double>(index);
  const int e = static_cast<int>((index - kSub) / kSub) + kSubBits;
  const uint64_t mantissa = (index - kSub) % kSub + kSub;
  const double low = static_cast<double>(mantissa << (e - kSubBits));
  const double width = static_cast<double>(uint64_t{1} << (e - kSubBits));
  return low + (width - 1) / 2;
}

}  // namespace lmc::emulator::internal
