#include "lmc/base/backoff.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace lmc {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, GrowsExponentiallyUpToTheCap) {
  // A random source returning its maximum makes each delay equal to its ceiling.
  Backoff backoff(milliseconds(10), milliseconds(100), [] { return UINT64_MAX; });
  std::vector<int64_t> got;
  got.reserve(6);
  for (int i = 0; i < 6; ++i) got.push_back(backoff.NextDelay().count());
  // UINT64_MAX % span picks a value inside [c/2, c]; check the ceiling pattern via bounds.
  const int64_t ceilings[] = {10, 20, 40, 80, 100, 100};
  for (int i = 0; i < 6; ++i) {
    EXPECT_GE(got[i], ceilings[i] / 2) << i;
    EXPECT_LE(got[i], ceilings[i]) << i;
  }
  EXPECT_EQ(backoff.attempts(), 6);
}

TEST(Backoff, ZeroRandomGivesHalfTheCeilingAndNeverZero) {
  Backoff backoff(milliseconds(1), milliseconds(8), [] { return uint64_t{0}; });
  EXPECT_EQ(backoff.NextDelay(), milliseconds(1));  // ceiling 1: never 0
  EXPECT_EQ(backoff.NextDelay(), milliseconds(1));  // ceiling 2
  EXPECT_EQ(backoff.NextDelay(), milliseconds(2));  // ceiling 4
  EXPECT_EQ(backoff.NextDelay(), milliseconds(4));  // ceiling 8
  EXPECT_EQ(backoff.NextDelay(), milliseconds(4));  // capped
}

TEST(Backoff, ResetStartsOver) {
  Backoff backoff(milliseconds(10), milliseconds(1000), [] { return uint64_t{0}; });
  for (int i = 0; i < 5; ++i) backoff.NextDelay();
  backoff.Reset();
  EXPECT_EQ(backoff.attempts(), 0);
  EXPECT_EQ(backoff.NextDelay(), milliseconds(5));
}

TEST(Backoff, ManyAttemptsDoNotOverflow) {
  Backoff backoff(milliseconds(1), milliseconds(30000), Backoff::DefaultRandom());
  for (int i = 0; i < 10000; ++i) {
    const auto d = backoff.NextDelay();
    ASSERT_GE(d, milliseconds(1));
    ASSERT_LE(d, milliseconds(30000));
  }
}

TEST(Backoff, DefaultRandomJittersDelays) {
  Backoff a(milliseconds(1000), milliseconds(1000), Backoff::DefaultRandom());
  bool differs = false;
  const auto first = a.NextDelay();
  for (int i = 0; i < 20 && !differs; ++i) differs = a.NextDelay() != first;
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace lmc
