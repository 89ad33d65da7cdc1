#include "tools/emulator/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace lmc::emulator {
namespace {

// How long the waiter lets the pump drain the pipes after the child was reaped. Normally EOF
// comes at once; only a grandchild that inherited the pipes keeps them open longer.
constexpr absl::Duration kDrainBound = absl::Seconds(2);

std::string_view EnvKey(std::string_view entry) { return entry.substr(0, entry.find('=')); }

// Owns the descriptors and spawn objects of a Start() call until they are handed over.
struct SpawnResources {
  int pipes[2][2] = {{-1, -1}, {-1, -1}};
  int output_fd = -1;
  int stop_fd = -1;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  bool actions_init = false;
  bool attr_init = false;

  ~SpawnResources() {
    for (auto& p : pipes) {
      for (int fd : p) {
        if (fd >= 0) close(fd);
      }
    }
    if (output_fd >= 0) close(output_fd);
    if (stop_fd >= 0) close(stop_fd);
    if (actions_init) posix_spawn_file_actions_destroy(&actions);
    if (attr_init) posix_spawnattr_destroy(&attr);
  }
};

// The child's environment: this process's (when inherit_env) without the names `options.env`
// sets, then `options.env`.
std::vector<std::string> ChildEnvironment(const Subprocess::Options& options) {
  std::vector<std::string> env;
  if (options.inherit_env) {
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view key = EnvKey(*e);
      const bool overridden = std::any_of(options.env.begin(), options.env.end(),
                                          [&](const std::string& o) { return EnvKey(o) == key; });
      if (!overridden) env.emplace_back(*e);
    }
  }
  env.insert(env.end(), options.env.begin(), options.env.end());
  return env;
}

// The child's stdin (a file or /dev/null) and its stdout and stderr (a file, pipes to capture, or
// ours), as file actions in `res`.
absl::Status SetUpStreams(const Subprocess::Options& options, bool capture, SpawnResources& res) {
  const std::string stdin_path = options.stdin_path.empty() ? "/dev/null" : options.stdin_path;
  if (access(stdin_path.c_str(), R_OK) != 0) {
    return absl::ErrnoToStatus(errno, "cannot read " + stdin_path);
  }
  posix_spawn_file_actions_addopen(&res.actions, 0, stdin_path.c_str(), O_RDONLY, 0);
  if (!options.output_path.empty()) {
    res.output_fd =
        open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (res.output_fd < 0) return absl::ErrnoToStatus(errno, "open " + options.output_path);
    posix_spawn_file_actions_adddup2(&res.actions, res.output_fd, 1);
    posix_spawn_file_actions_adddup2(&res.actions, res.output_fd, 2);
  } else if (capture) {
    for (int stream = 0; stream < 2; ++stream) {
      // O_CLOEXEC: a child spawned concurrently by another thread must not inherit our pipes.
      if (pipe2(res.pipes[stream], O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe2");
      const int source = options.merge_stderr ? res.pipes[0][1] : res.pipes[stream][1];
      posix_spawn_file_actions_adddup2(&res.actions, source, stream + 1);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(Options options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("Subprocess: empty argv");

  std::vector<std::string> env = ChildEnvironment(options);
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<char*> argv;
  for (std::string& a : options.argv) argv.push_back(a.data());
  argv.push_back(nullptr);

  SpawnResources res;
  if (posix_spawn_file_actions_init(&res.actions) != 0) {
    return absl::InternalError("posix_spawn_file_actions_init");
  }
  res.actions_init = true;
  if (posix_spawnattr_init(&res.attr) != 0) return absl::InternalError("posix_spawnattr_init");
  res.attr_init = true;

  // A child must not inherit a blocked SIGTERM (callers block signals for sigwait threads) or an
  // ignored SIGPIPE; both would change how a bootstrap under test reacts.
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&res.attr, &empty);
  posix_spawnattr_setsigdefault(&res.attr, &all);
  posix_spawnattr_setflags(&res.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  const bool capture = options.output_path.empty() && options.capture_output;
  if (absl::Status streams = SetUpStreams(options, capture, res); !streams.ok()) return streams;
  res.stop_fd = eventfd(0, EFD_CLOEXEC);
  if (res.stop_fd < 0) return absl::ErrnoToStatus(errno, "eventfd");

  pid_t pid = -1;
  const bool search_path = options.argv[0].find('/') == std::string::npos;
  // glibc's posix_spawn reports exec failures (ENOENT, EACCES, ENOEXEC) as its return value and
  // reaps the failed child itself.
  const int rc =
      search_path ? posix_spawnp(&pid, argv[0], &res.actions, &res.attr, argv.data(), envp.data())
                  : posix_spawn(&pid, argv[0], &res.actions, &res.attr, argv.data(), envp.data());
  if (rc != 0) return absl::ErrnoToStatus(rc, absl::StrCat("cannot execute ", options.argv[0]));

  std::unique_ptr<Subprocess> p(new Subprocess());
  p->pid_ = pid;
  p->max_capture_bytes_ = options.max_capture_bytes;
  p->stop_fd_ = std::exchange(res.stop_fd, -1);
  if (capture) {
    close(std::exchange(res.pipes[0][1], -1));  // the child holds the write ends now
    close(std::exchange(res.pipes[1][1], -1));
    p->out_fd_ = std::exchange(res.pipes[0][0], -1);
    p->err_fd_ = std::exchange(res.pipes[1][0], -1);
    lmc::MutexLock lock(&p->mu_);
    p->out_.eof = false;
    p->err_.eof = false;
  }
  Subprocess* raw = p.get();
  if (capture) p->pump_ = std::thread([raw] { raw->PumpLoop(); });
  p->waiter_ = std::thread([raw] { raw->WaitLoop(); });
  return p;
}

Subprocess::~Subprocess() {
  {
    lmc::MutexLock lock(&mu_);
    if (!reaped_) kill(pid_, SIGKILL);
  }
  if (waiter_.joinable()) waiter_.join();
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof(one));
  if (pump_.joinable()) pump_.join();
  for (int fd : {out_fd_, err_fd_, stop_fd_}) {
    if (fd >= 0) close(fd);
  }
}

void Subprocess::WaitLoop() {
  // Wait without reaping (WNOWAIT), then reap under the lock: Signal() holds the same lock, so
  // it can never send a signal to a pid that has been reaped and possibly reused.
  siginfo_t info{};
  while (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  lmc::MutexLock lock(&mu_);
  int wstatus = 0;
  while (waitpid(pid_, &wstatus, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  if (WIFEXITED(wstatus)) {
    status_ = ExitStatus{true, WEXITSTATUS(wstatus), 0};
  } else if (WIFSIGNALED(wstatus)) {
    status_ = ExitStatus{false, -1, WTERMSIG(wstatus)};
  }
  auto drained = [this]() {
    mu_.AssertReaderHeld();
    return out_.eof && err_.eof;
  };
  mu_.AwaitWithTimeout(absl::Condition(&drained), kDrainBound);
  done_ = true;
}

void Subprocess::PumpLoop() {
  pollfd fds[3] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  int open_pipes = 2;
  std::string chunk(64 * 1024, '\0');
  while (open_pipes > 0) {
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].revents != 0) break;
    for (int stream = 0; stream < 2; ++stream) {
      if (fds[stream].fd < 0 || fds[stream].revents == 0) continue;
      // Read under the lock (poll said the pipe is readable, so read() does not block): what is
      // still in the pipe and what is captured then add up, which SyncOutput() relies on.
      lmc::MutexLock lock(&mu_);
      const ssize_t n = read(fds[stream].fd, chunk.data(), chunk.size());
      if (n < 0 && errno == EINTR) continue;
      Capture& capture = stream == 0 ? out_ : err_;
      if (n <= 0) {
        capture.eof = true;
        fds[stream].fd = -1;  // poll ignores negative descriptors
        --open_pipes;
        continue;
      }
      const size_t room = max_capture_bytes_ - std::min(max_capture_bytes_, capture.text.size());
      const size_t keep = std::min(room, static_cast<size_t>(n));
      capture.text.append(chunk.data(), keep);
      capture.dropped += static_cast<uint64_t>(n) - keep;
      capture.read += static_cast<uint64_t>(n);
    }
  }
  lmc::MutexLock lock(&mu_);
  out_.eof = true;
  err_.eof = true;
}

bool Subprocess::SyncOutput(absl::Duration timeout) const {
  lmc::MutexLock lock(&mu_);
  // Bytes still in a pipe (FIONREAD), on top of what the pump has read so far.
  auto target = [](int fd, const Capture& capture) -> uint64_t {
    int pending = 0;
    if (fd < 0 || capture.eof || ioctl(fd, FIONREAD, &pending) != 0) pending = 0;
    return capture.read + static_cast<uint64_t>(pending);
  };
  const uint64_t out_target = target(out_fd_, out_);
  const uint64_t err_target = target(err_fd_, err_);
  auto caught_up = [&]() {
    mu_.AssertReaderHeld();
    return (out_.eof || out_.read >= out_target) && (err_.eof || err_.read >= err_target);
  };
  return mu_.AwaitWithTimeout(absl::Condition(&caught_up), timeout);
}

absl::Status Subprocess::Signal(int signal) {
  lmc::MutexLock lock(&mu_);
  if (reaped_) return absl::FailedPreconditionError("the child has already exited");
  if (kill(pid_, signal) != 0) return absl::ErrnoToStatus(errno, "kill");
  return absl::OkStatus();
}

bool Subprocess::WaitForExit(absl::Duration timeout) {
  lmc::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&done_), timeout);
}

Subprocess::ExitStatus Subprocess::exit_status() const {
  lmc::MutexLock lock(&mu_);
  return status_;
}

std::string Subprocess::stdout_text() const {
  lmc::MutexLock lock(&mu_);
  return out_.text;
}

std::string Subprocess::stderr_text() const {
  lmc::MutexLock lock(&mu_);
  return err_.text;
}

uint64_t Subprocess::stdout_dropped_bytes() const {
  lmc::MutexLock lock(&mu_);
  return out_.dropped;
}

uint64_t Subprocess::stderr_dropped_bytes() const {
  lmc::MutexLock lock(&mu_);
  return err_.dropped;
}

bool Subprocess::WaitForOutput(std::string_view needle, absl::Duration timeout) {
  // Remembers how far each stream was searched, so a waiter on a chatty child costs O(output)
  // in total rather than a full rescan after every append.
  struct Search {
    const Subprocess* self;
    std::string_view needle;
    mutable size_t scanned[2] = {0, 0};
    mutable bool found = false;
    bool operator()() const {
      self->mu_.AssertReaderHeld();
      const std::string* texts[2] = {&self->out_.text, &self->err_.text};
      for (int i = 0; i < 2 && !found; ++i) {
        const size_t from = scanned[i] > needle.size() ? scanned[i] - needle.size() : 0;
        found = texts[i]->find(needle, from) != std::string::npos;
        scanned[i] = texts[i]->size();
      }
      return found || self->done_;
    }
  };
  Search search{this, needle};
  lmc::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&search), timeout);
  return search.found;
}

}  // namespace lmc::emulator
