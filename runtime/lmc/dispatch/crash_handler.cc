#include "lmc/dispatch/crash_handler.h"

#include <execinfo.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>

#include "absl/debugging/symbolize.h"
#include "lmc/base/signal_safe_log.h"

namespace lmc {
namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
constexpr int kMaxFrames = 64;
constexpr size_t kAltStackSize = size_t{256} * 1024;
constexpr size_t kMaxRequestId = 128;

// Process-wide because a signal handler gets no context pointer; set before handlers are
// installed and only read afterwards.
std::atomic<bool> g_crash_text_format{false};
std::atomic<int> g_crash_log_fd{STDOUT_FILENO};
std::atomic<bool> g_crashing{false};

// The request id of the invocation running on this thread, for the report. Plain char storage
// (no constructor) so reading it from a signal handler is safe.
thread_local char t_request_id[kMaxRequestId + 1];

const char* SignalName(int signal_number) {
  switch (signal_number) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    case SIGABRT:
      return "SIGABRT";
    default:
      return "signal";
  }
}

void OnCrash(int signal_number, siginfo_t* info, void* /*ucontext*/) {
  if (!g_crashing.exchange(true)) {
    void* frames[kMaxFrames];
    const int depth = ::backtrace(frames, kMaxFrames);
    const LogFormat format = g_crash_text_format.load() ? LogFormat::kText : LogFormat::kJson;
    const auto address = reinterpret_cast<uintptr_t>(info != nullptr ? info->si_addr : nullptr);
    char symbol[1024];
    // Return addresses point after the call; -1 lands inside the calling function.
    const auto symbolize = [&](int i) {
      return absl::Symbolize(static_cast<char*>(frames[i]) - (i > 0 ? 1 : 0), symbol,
                             sizeof(symbol));
    };
    SignalSafeLogLine line(format, LogLevel::kFatal, t_request_id);
    line.AppendText("crash: ");
    line.AppendText(SignalName(signal_number));
    if (format == LogFormat::kText) {
      line.AppendText(" at ");
      line.AppendHex(address);
      for (int i = 0; i < depth; ++i) {
        line.AppendText(" | #");
        line.AppendUnsigned(static_cast<uint64_t>(i));
        line.AppendText(" ");
        line.AppendHex(reinterpret_cast<uintptr_t>(frames[i]));
        if (symbolize(i)) {
          line.AppendText(" ");
          line.AppendText(symbol);
        }
      }
      line.EndMessage();
    } else {
      line.EndMessage();
      line.AppendRaw(",\"signal\":\"");
      line.AppendRaw(SignalName(signal_number));
      line.AppendRaw("\",\"address\":\"");
      line.AppendHex(address);
      line.AppendRaw("\",\"stackTrace\":[");
      for (int i = 0; i < depth; ++i) {
        line.AppendRaw(i > 0 ? ",\"#" : "\"#");
        line.AppendUnsigned(static_cast<uint64_t>(i));
        line.AppendRaw(" ");
        line.AppendHex(reinterpret_cast<uintptr_t>(frames[i]));
        if (symbolize(i)) {
          line.AppendRaw(" ");
          line.AppendText(symbol);
        }
        line.AppendRaw("\"");
      }
      line.AppendRaw("]");
    }
    line.Finish();
    line.WriteTo(g_crash_log_fd.load());
  }
  // Re-raise with the default action: the process ends as the signal dictates (core dump,
  // exit status 128 + N as seen by a shell).
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

// Owns a thread's alternate signal stack.
struct AltStack {
  void* memory = nullptr;
  ~AltStack() {
    if (memory == nullptr) return;
    stack_t disable{};
    disable.ss_flags = SS_DISABLE;
    ::sigaltstack(&disable, nullptr);
    ::munmap(memory, kAltStackSize);
  }
};

}  // namespace

void InstallCrashHandler(int log_fd, LogFormat format) {
  g_crash_text_format.store(format == LogFormat::kText);
  g_crash_log_fd.store(log_fd);
  // Warm up: the first backtrace() loads libgcc_s (malloc, locks), which must not happen inside
  // the handler; InitializeSymbolizer reads the executable's path once.
  void* warm[2];
  (void)::backtrace(warm, 2);
  absl::InitializeSymbolizer("/proc/self/exe");
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_sigaction = &OnCrash;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  for (int signal_number : kSignals) ::sigaction(signal_number, &action, nullptr);
  PrepareThreadForCrashReports();
}

void PrepareThreadForCrashReports() {
  thread_local AltStack alt_stack;
  if (alt_stack.memory != nullptr) return;
  void* memory = ::mmap(nullptr, kAltStackSize, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (memory == MAP_FAILED) return;
  stack_t stack{};
  stack.ss_sp = memory;
  stack.ss_size = kAltStackSize;
  if (::sigaltstack(&stack, nullptr) != 0) {
    ::munmap(memory, kAltStackSize);
    return;
  }
  alt_stack.memory = memory;
}

ScopedCrashContext::ScopedCrashContext(std::string_view request_id) {
  const size_t n = std::min(request_id.size(), kMaxRequestId);
  std::memcpy(t_request_id, request_id.data(), n);
  t_request_id[n] = '\0';
}

ScopedCrashContext::~ScopedCrashContext() { t_request_id[0] = '\0'; }

}  // namespace lmc
