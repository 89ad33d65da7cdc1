#include "lmc/context.h"

#include <thread>

namespace lmc {

bool Context::WaitForCancellation(std::chrono::nanoseconds timeout) const {
  if (cancellation_ != nullptr) return cancellation_->Wait(timeout);
  // Never cancelled: the wait simply runs out.
  std::this_thread::sleep_for(timeout);
  return false;
}

}  // namespace lmc
