#include "lmc/dispatch/crash_handler.h"

#include <execinfo.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>

#include "absl/debugging/symbolize.h"

namespace lmc {
namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
constexpr int kMaxFrames = 64;
constexpr size_t kAltStackSize = size_t{256} * 1024;
constexpr size_t kMaxRequestId = 128;

// Process-wide because a signal handler gets no context pointer; set before handlers are
// installed and only read afterwards.
std::atomic<bool> g_text_format{false};
std::atomic<bool> g_crashing{false};

// The request id of the invocation running on this thread, for the report. Plain char storage
// (no constructor) so reading it from a signal handler is safe.
thread_local char t_request_id[kMaxRequestId + 1];

// Builds a line in a fixed buffer without allocating (a signal handler must not malloc).
class LineBuffer {
 public:
  void Append(const char* s, size_t n) {
    for (size_t i = 0; i < n && used_ < sizeof(buf_) - 2; ++i) buf_[used_++] = s[i];
  }
  void Append(const char* s) { Append(s, std::strlen(s)); }
  void AppendChar(char c) { Append(&c, 1); }
  // Appends `s` with JSON string escaping (quotes not included).
  void AppendEscaped(const char* s) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (; *s != '\0'; ++s) {
      const auto c = static_cast<unsigned char>(*s);
      if (c == '"' || c == '\\') {
        AppendChar('\\');
        AppendChar(static_cast<char>(c));
      } else if (c < 0x20 || c == 0x7f) {
        const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        Append(esc, sizeof(esc));
      } else {
        AppendChar(static_cast<char>(c));
      }
    }
  }
  void AppendUnsigned(uint64_t v, int min_digits = 1) {
    char digits[24];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n < min_digits) digits[n++] = '0';
    while (n > 0) AppendChar(digits[--n]);
  }
  void AppendHex(uintptr_t v) {
    static constexpr char kHex[] = "0123456789abcdef";
    Append("0x");
    char digits[20];
    int n = 0;
    do {
      digits[n++] = kHex[v & 0xF];
      v >>= 4;
    } while (v != 0);
    while (n > 0) AppendChar(digits[--n]);
  }
  // RFC 3339 UTC with milliseconds, computed by hand (gmtime_r and snprintf are not
  // async-signal-safe). Days-to-civil conversion after Howard Hinnant's algorithm.
  void AppendTimestamp() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    const int64_t secs = ts.tv_sec;
    int64_t days = secs / 86400;
    const int64_t rem = secs % 86400;
    days += 719468;
    const int64_t era = days / 146097;
    const int64_t doe = days - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int64_t day = doy - (153 * mp + 2) / 5 + 1;
    const int64_t month = mp < 10 ? mp + 3 : mp - 9;
    const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    AppendUnsigned(static_cast<uint64_t>(year), 4);
    AppendChar('-');
    AppendUnsigned(static_cast<uint64_t>(month), 2);
    AppendChar('-');
    AppendUnsigned(static_cast<uint64_t>(day), 2);
    AppendChar('T');
    AppendUnsigned(static_cast<uint64_t>(rem / 3600), 2);
    AppendChar(':');
    AppendUnsigned(static_cast<uint64_t>(rem % 3600 / 60), 2);
    AppendChar(':');
    AppendUnsigned(static_cast<uint64_t>(rem % 60), 2);
    AppendChar('.');
    AppendUnsigned(static_cast<uint64_t>(ts.tv_nsec / 1000000), 3);
    AppendChar('Z');
  }
  void Finish() { buf_[used_++] = '\n'; }
  const char* data() const { return buf_; }
  size_t size() const { return used_; }

 private:
  char buf_[16 * 1024];
  size_t used_ = 0;
};

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
    const bool text = g_text_format.load();
    LineBuffer line;
    char symbol[1024];
    const bool has_request = t_request_id[0] != '\0';
    if (text) {
      line.AppendTimestamp();
      line.AppendChar('\t');
      line.Append(has_request ? t_request_id : "-");
      line.Append("\tFATAL\tcrash: ");
      line.Append(SignalName(signal_number));
      line.Append(" at ");
      line.AppendHex(reinterpret_cast<uintptr_t>(info != nullptr ? info->si_addr : nullptr));
      for (int i = 0; i < depth; ++i) {
        line.Append(" | #");
        line.AppendUnsigned(static_cast<uint64_t>(i));
        line.AppendChar(' ');
        line.AppendHex(reinterpret_cast<uintptr_t>(frames[i]));
        // Return addresses point after the call; -1 lands inside the calling function.
        if (absl::Symbolize(static_cast<char*>(frames[i]) - (i > 0 ? 1 : 0), symbol,
                            sizeof(symbol))) {
          line.AppendChar(' ');
          line.Append(symbol);
        }
      }
    } else {
      line.Append("{\"timestamp\":\"");
      line.AppendTimestamp();
      line.Append("\",\"level\":\"FATAL\"");
      if (has_request) {
        line.Append(",\"requestId\":\"");
        line.AppendEscaped(t_request_id);
        line.AppendChar('"');
      }
      line.Append(",\"message\":\"crash: ");
      line.Append(SignalName(signal_number));
      line.Append("\",\"signal\":\"");
      line.Append(SignalName(signal_number));
      line.Append("\",\"address\":\"");
      line.AppendHex(reinterpret_cast<uintptr_t>(info != nullptr ? info->si_addr : nullptr));
      line.Append("\",\"stackTrace\":[");
      for (int i = 0; i < depth; ++i) {
        if (i > 0) line.AppendChar(',');
        line.Append("\"#");
        line.AppendUnsigned(static_cast<uint64_t>(i));
        line.AppendChar(' ');
        line.AppendHex(reinterpret_cast<uintptr_t>(frames[i]));
        if (absl::Symbolize(static_cast<char*>(frames[i]) - (i > 0 ? 1 : 0), symbol,
                            sizeof(symbol))) {
          line.AppendChar(' ');
          line.AppendEscaped(symbol);
        }
        line.AppendChar('"');
      }
      line.Append("]}");
    }
    line.Finish();
    const char* p = line.data();
    size_t left = line.size();
    while (left > 0) {
      const ssize_t n = ::write(STDOUT_FILENO, p, left);
      if (n <= 0) break;
      p += n;
      left -= static_cast<size_t>(n);
    }
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

void InstallCrashHandler(LogFormat format) {
  g_text_format.store(format == LogFormat::kText);
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
