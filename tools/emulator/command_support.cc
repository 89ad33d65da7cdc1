#include "tools/emulator/command_support.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace lmc::emulator {

ArgReader::ArgReader(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) args_.emplace_back(argv[i]);
}

std::string_view ArgReader::current() const {
  return index_ < args_.size() ? args_[index_] : std::string_view();
}

bool ArgReader::Value(std::string_view name, std::string* value) {
  const std::string_view arg = current();
  if (arg == name) {
    if (index_ + 1 >= args_.size()) {
      Fail(absl::StrCat(std::string(name), " needs a value"));
      return true;
    }
    value->assign(args_[index_ + 1]);
    index_ += 2;
    return true;
  }
  if (arg.size() > name.size() && arg.substr(0, name.size()) == name && arg[name.size()] == '=') {
    value->assign(arg.substr(name.size() + 1));
    ++index_;
    return true;
  }
  return false;
}

bool ArgReader::Values(std::string_view name, std::vector<std::string>* values) {
  std::string first;
  if (!Value(name, &first)) return false;
  if (failed()) return true;
  values->push_back(std::move(first));
  while (index_ < args_.size() && args_[index_].substr(0, 2) != "--") {
    values->emplace_back(args_[index_++]);
  }
  return true;
}

bool ArgReader::Switch(std::string_view name) {
  if (current() != name) return false;
  ++index_;
  return true;
}

void ArgReader::Fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
}

bool HelpRequested(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") return true;
  }
  return false;
}

int BadUsage(const char* name, const std::string& error, const char* usage) {
  std::fprintf(stderr, "%s: %s\n\n%s", name, error.c_str(), usage);
  return 2;
}

bool ParseUint(std::string_view text, uint64_t* out) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return !text.empty() && ec == std::errc() && ptr == end;
}

bool ParseDouble(std::string_view text, double* out) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return !text.empty() && ec == std::errc() && ptr == end;
}

bool EventFlags::Read(ArgReader& args) {
  std::string v;
  uint64_t n = 0;
  if (args.Values("--events", &event_paths)) return true;
  if (args.Value("--event", &v)) {
    event = v;
  } else if (args.Value("--count", &v)) {
    if (!ParseUint(v, &n) || n == 0) args.Fail("--count wants a positive number, got " + v);
    count = n;
  } else if (args.Switch("--stdin")) {
    read_stdin = true;
  } else if (args.Value("--tenant", &v)) {
    tenant = v;
  } else if (args.Value("--timeout-ms", &v)) {
    if (!ParseUint(v, &timeout_ms)) args.Fail("--timeout-ms wants a number, got " + v);
  } else {
    return false;
  }
  return true;
}

EventSpec EventFlags::Base() const {
  EventSpec base;
  base.tenant_id = tenant;
  base.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_ms));
  return base;
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  absl::StatusOr<std::string> bytes = ReadAll(fd);
  close(fd);
  if (!bytes.ok()) {
    return absl::DataLossError(
        absl::StrCat("error reading ", path, ": ", bytes.status().message()));
  }
  return bytes;
}

absl::StatusOr<std::string> ReadAll(int fd) {
  std::string bytes;
  char buffer[64 * 1024];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      bytes.append(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      return bytes;
    } else if (errno != EINTR) {
      return absl::DataLossError(absl::StrCat("read: ", std::strerror(errno)));
    }
  }
}

absl::StatusOr<std::vector<std::string>> LoadEventFiles(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<std::string> events;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> files;
      for (const fs::directory_entry& entry : fs::directory_iterator(path, ec)) {
        if (entry.is_regular_file() && entry.path().extension() == ".json") {
          files.push_back(entry.path().string());
        }
      }
      if (ec) return absl::NotFoundError(absl::StrCat("cannot list ", path, ": ", ec.message()));
      if (files.empty()) return absl::NotFoundError(absl::StrCat("no *.json file in ", path));
      std::sort(files.begin(), files.end());
      for (const std::string& file : files) {
        absl::StatusOr<std::string> bytes = ReadFileToString(file);
        if (!bytes.ok()) return bytes.status();
        events.push_back(*std::move(bytes));
      }
    } else {
      absl::StatusOr<std::string> bytes = ReadFileToString(path);
      if (!bytes.ok()) return bytes.status();
      events.push_back(*std::move(bytes));
    }
  }
  return events;
}

std::vector<std::string> SplitEventLines(std::string_view text) {
  std::vector<std::string> events;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) events.emplace_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return events;
}

std::string OneLine(std::string_view bytes, size_t max_chars) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (chars == max_chars) {
      out.append("...");
      break;
    }
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\n') {
      out.append("\\n");
    } else if (c == '\r') {
      out.append("\\r");
    } else if (c == '\t') {
      out.append("\\t");
    } else if (c < 0x20 || c == 0x7f) {
      out.append("\\x");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(static_cast<char>(c));
    }
    ++chars;
  }
  return out;
}

void NotifyTarget::Set(Emulator* emulator) {
  lmc::MutexLock lock(&mu_);
  emulator_ = emulator;
}

void NotifyTarget::Notify() {
  lmc::MutexLock lock(&mu_);
  if (emulator_ != nullptr) emulator_->NotifyWaiters();
}

Interruption::Interruption()
    : watcher_([this](int) {
        interrupted_.store(true);
        target_.Notify();
      }) {}

Interruption::Watch::Watch(Interruption& interruption, Emulator& emulator)
    : interruption_(interruption) {
  interruption_.target_.Set(&emulator);
}

Interruption::Watch::~Watch() { interruption_.target_.Set(nullptr); }

SignalWatcher::SignalWatcher(std::function<void(int)> on_signal)
    : on_signal_(std::move(on_signal)) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal_fd_ = signalfd(-1, &set, SFD_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_CLOEXEC);
  if (signal_fd_ < 0 || stop_fd_ < 0) {
    status_ = absl::ErrnoToStatus(errno, "signalfd/eventfd");
    return;
  }
  thread_ = std::thread([this] { Loop(); });
}

SignalWatcher::~SignalWatcher() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof(one));
    thread_.join();
  }
  for (int fd : {signal_fd_, stop_fd_}) {
    if (fd >= 0) close(fd);
  }
}

void SignalWatcher::Loop() {
  pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    signalfd_siginfo info{};
    if (read(signal_fd_, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
      on_signal_(static_cast<int>(info.ssi_signo));
    }
  }
}

}  // namespace lmc::emulator
