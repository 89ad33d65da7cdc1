#include "tools/emulator/internal/latency_histogram.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace lmc::emulator::internal {
namespace {

TEST(LatencyHistogram, EmptyHistogramReportsZero) {
  const LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.PercentileMs(0.5), 0);
  EXPECT_EQ(h.PercentileMs(0.99), 0);
  EXPECT_EQ(h.MaxMs(), 0);
}

TEST(LatencyHistogram, ValuesBelow128MicrosecondsAreExact) {
  LatencyHistogram h;
  for (int us = 1; us <= 100; ++us) h.Add(absl::Microseconds(us));
  EXPECT_EQ(h.count(), 100u);
  EXPECT_DOUBLE_EQ(h.PercentileMs(0.50), 0.050);
  EXPECT_DOUBLE_EQ(h.PercentileMs(0.99), 0.099);
  EXPECT_DOUBLE_EQ(h.PercentileMs(1.0), 0.100);
  EXPECT_DOUBLE_EQ(h.MaxMs(), 0.100);
}

TEST(LatencyHistogram, LargeValuesAreWithinFourTenthsOfAPercent) {
  // One value per run, from 128 us to about 11 days, each read back through the 100th
  // percentile of a histogram holding only it and a smaller one.
  for (int64_t us = 128; us < (int64_t{1} << 40); us = us * 3 + 7) {
    LatencyHistogram h;
    h.Add(absl::Microseconds(1));
    h.Add(absl::Microseconds(us));
    const double exact_ms = static_cast<double>(us) / 1000.0;
    EXPECT_NEAR(h.PercentileMs(0.75), exact_ms, exact_ms * 0.004) << us;
    EXPECT_DOUBLE_EQ(h.MaxMs(), exact_ms) << us;
  }
}

TEST(LatencyHistogram, PercentilesFollowTheRankOfTheValues) {
  LatencyHistogram h;
  for (int i = 0; i < 90; ++i) h.Add(absl::Milliseconds(1));
  for (int i = 0; i < 10; ++i) h.Add(absl::Milliseconds(50));
  EXPECT_NEAR(h.PercentileMs(0.50), 1.0, 0.004);
  EXPECT_NEAR(h.PercentileMs(0.90), 1.0, 0.004);
  EXPECT_NEAR(h.PercentileMs(0.91), 50.0, 0.2);
  EXPECT_DOUBLE_EQ(h.MaxMs(), 50.0);
}

TEST(LatencyHistogram, NegativeAndHugeDurationsAreClamped) {
  LatencyHistogram h;
  h.Add(absl::Milliseconds(-5));
  EXPECT_EQ(h.PercentileMs(1.0), 0);
  h.Add(absl::Hours(24 * 365));
  EXPECT_EQ(h.count(), 2u);
  EXPECT_DOUBLE_EQ(h.MaxMs(), static_cast<double>((int64_t{1} << 40) - 1) / 1000.0);
}

}  // namespace
}  // namespace lmc::emulator::internal
