#include "lmc/context.h"

#include <system_error>
#include <thread>

#include "lmc/base/temp_dir.h"
#include "lmc/clock.h"
#include "lmc/internal/cancellation.h"
#include "lmc/strings.h"

namespace lmc {

std::chrono::milliseconds Context::remaining_time() const {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(fields_.deadline - clock_.Now());
  return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

bool Context::cancelled() const { return cancellation_ != nullptr && cancellation_->cancelled(); }

CancellationReason Context::cancellation_reason() const {
  return cancellation_ != nullptr ? cancellation_->reason() : CancellationReason::kNone;
}

bool Context::WaitForCancellation(std::chrono::nanoseconds timeout) const {
  if (cancellation_ != nullptr) return cancellation_->Wait(timeout);
  // Never cancelled: the wait simply runs out.
  std::this_thread::sleep_for(timeout);
  return false;
}

const std::filesystem::path& Context::tmp_dir() const {
  absl::StatusOr<const std::filesystem::path*> path = tmp_dir_.Get();
  if (!path.ok()) {
    throw std::filesystem::filesystem_error(std::string(AsStd(path.status().message())),
                                            std::make_error_code(std::errc::io_error));
  }
  return **path;
}

}  // namespace lmc
