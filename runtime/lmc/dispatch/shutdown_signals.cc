#include "lmc/dispatch/shutdown_signals.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "lmc/base/signal_safe_log.h"
#include "lmc/strings.h"

namespace lmc {
namespace {

// Process-wide by necessity: a signal handler receives no context pointer. These are the only
// mutable globals in lmc; they are written by Install() before the handler can run, cleared by
// the destructor, and otherwise touched only through atomics.
std::atomic<int> g_signal_write_fd{-1};
std::atomic<int> g_signals_seen{0};
std::atomic<bool> g_installed{false};
std::atomic<bool> g_text_format{false};
std::atomic<int> g_log_fd{STDOUT_FILENO};

struct sigaction g_previous_term;
struct sigaction g_previous_int;

void OnSignal(int signal_number) {
  const int saved_errno = errno;
  if (g_signals_seen.fetch_add(1) >= 1) {
    // Second signal: the operator (or Lambda) insists. Only async-signal-safe calls here.
    SignalSafeLogLine line(g_text_format.load() ? LogFormat::kText : LogFormat::kJson,
                           LogLevel::kFatal, nullptr);
    line.AppendText("second termination signal: exiting at once");
    line.EndMessage();
    line.Finish();
    line.WriteTo(g_log_fd.load());
    // exit_group directly: ends every thread now, as intended. (_exit() would do the same, but
    // sanitizer runtimes intercept it to report the threads deliberately left unjoined.)
    ::syscall(SYS_exit_group, 128 + signal_number);
  }
  const int fd = g_signal_write_fd.load();
  if (fd >= 0) {
    const char byte = static_cast<char>(signal_number);
    (void)!::write(fd, &byte, 1);
  }
  errno = saved_errno;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ShutdownSignals>> ShutdownSignals::Install(int log_fd,
                                                                          LogFormat format) {
  if (g_installed.exchange(true)) {
    return absl::FailedPreconditionError("shutdown signal handlers are already installed");
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    g_installed.store(false);
    return absl::InternalError(std::string("pipe2: ") + ErrnoMessage(errno));
  }
  // The read end blocks (Wait() sleeps on it); the write end never does (the handler must not).
  ::fcntl(fds[0], F_SETFL, 0);
  g_text_format.store(format == LogFormat::kText);
  g_log_fd.store(log_fd);
  g_signals_seen.store(0);
  g_signal_write_fd.store(fds[1]);
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = &OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGTERM, &action, &g_previous_term);
  ::sigaction(SIGINT, &action, &g_previous_int);
  return std::unique_ptr<ShutdownSignals>(new ShutdownSignals(fds[0], fds[1]));
}

ShutdownSignals::ShutdownSignals(int read_fd, int write_fd)
    : read_fd_(read_fd), write_fd_(write_fd) {}

ShutdownSignals::~ShutdownSignals() {
  ::sigaction(SIGTERM, &g_previous_term, nullptr);
  ::sigaction(SIGINT, &g_previous_int, nullptr);
  g_signal_write_fd.store(-1);
  ::close(read_fd_);
  ::close(write_fd_);
  g_installed.store(false);
}

int ShutdownSignals::Wait() {
  char byte = 0;
  for (;;) {
    const ssize_t n = ::read(read_fd_, &byte, 1);
    if (n == 1) return static_cast<unsigned char>(byte);
    if (n < 0 && errno == EINTR) continue;
    return 0;
  }
}

void ShutdownSignals::Wake() {
  const char zero = 0;
  (void)!::write(write_fd_, &zero, 1);
}

}  // namespace lmc
