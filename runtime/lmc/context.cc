#include "lmc/context.h"

#include <system_error>
#include <thread>

#include "lmc/base/strings.h"

namespace lmc {

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
