#include "lmc/testing/log_capture.h"

#include <sys/mman.h>
#include <unistd.h>

#include "lmc/base/log_sink.h"
#include "lmc/internal/surface_access.h"

namespace lmc::testing {
namespace {

// -1 when the kernel refuses a memfd (then the sink's writes fail and are dropped, as logging
// failures always are, and Lines() is empty).
int OpenLogFile() { return ::memfd_create("lmc-test-log", MFD_CLOEXEC); }

}  // namespace

LogCapture::LogCapture(LogLevel min_level, LogFormat format, const Clock& clock)
    : fd_(OpenLogFile()),
      sink_(std::make_unique<const LogSink>(fd_, format, min_level, clock)),
      logger_(internal::SurfaceAccess::MakeLogger(*sink_)) {}

LogCapture::~LogCapture() {
  if (fd_ >= 0) ::close(fd_);
}

std::string LogCapture::Lines() const {
  std::string lines;
  if (fd_ < 0) return lines;
  char buf[65536];
  off_t offset = 0;
  ssize_t n;
  // pread: the sink's appends move the file offset; reading at explicit offsets leaves it alone.
  while ((n = ::pread(fd_, buf, sizeof(buf), offset)) > 0) {
    lines.append(buf, static_cast<size_t>(n));
    offset += n;
  }
  return lines;
}

}  // namespace lmc::testing
