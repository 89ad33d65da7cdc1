#include "lmc/base/backoff.h"

#include <algorithm>

#include "lmc/thread_random.h"

namespace lmc {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, RandomFn random)
    : initial_(std::max(initial, std::chrono::milliseconds(1))),
      max_(std::max(max, initial_)),
      random_(std::move(random)) {}

Backoff::RandomFn Backoff::DefaultRandom() {
  return [] { return static_cast<uint64_t>(ThreadRandom()()); };
}

std::chrono::milliseconds Backoff::NextDelay() {
  // Double from `initial_` without overflow: stop doubling once the cap is reached.
  std::chrono::milliseconds ceiling = initial_;
  for (int i = 0; i < attempts_ && ceiling < max_; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, max_);
  ++attempts_;
  // Uniform in [max(1, c/2), c] milliseconds.
  const int64_t low = std::max<int64_t>(1, ceiling.count() / 2);
  const auto span = static_cast<uint64_t>(ceiling.count() - low) + 1;
  return std::chrono::milliseconds(low + static_cast<int64_t>(random_() % span));
}

}  // namespace lmc
