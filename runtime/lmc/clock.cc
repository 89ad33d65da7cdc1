#include "lmc/clock.h"

namespace lmc {
namespace {

class RealClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

}  // namespace

const Clock& Clock::Real() {
  // A function-local constant: no mutable global state, constructed once, thread-safe.
  static const RealClock kRealClock;
  return kRealClock;
}

}  // namespace lmc
