#include "tools/invoke/bootstrap_process.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lmc::invoke {
namespace {

std::string Inherited(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return std::string(value != nullptr ? value : fallback);
}

std::string SignalName(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev != nullptr ? absl::StrCat("SIG", abbrev) : absl::StrCat("signal ", signal);
}

}  // namespace

std::vector<std::string> LambdaEnvironment(const BootstrapLaunch& launch) {
  std::vector<std::pair<std::string, std::string>> env = {
      {"AWS_LAMBDA_RUNTIME_API", launch.runtime_api},
      {"_HANDLER", launch.handler},
      {"AWS_LAMBDA_FUNCTION_NAME", launch.function_name},
      {"AWS_LAMBDA_FUNCTION_VERSION", launch.function_version},
      {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048"},
      {"AWS_REGION", "us-east-1"},
      {"TMPDIR", Inherited("TMPDIR", "/tmp")},
      {"PATH", Inherited("PATH", "/usr/local/bin:/usr/bin:/bin")},
  };
  if (launch.concurrency) {
    env.emplace_back("AWS_LAMBDA_MAX_CONCURRENCY", std::to_string(*launch.concurrency));
  }
  for (const auto& [key, value] : launch.extra_env) {
    auto same = [&key = key](const auto& kv) { return kv.first == key; };
    if (auto it = std::find_if(env.begin(), env.end(), same); it != env.end()) {
      it->second = value;
    } else {
      env.emplace_back(key, value);
    }
  }
  std::vector<std::string> entries;
  entries.reserve(env.size());
  for (const auto& [key, value] : env) entries.push_back(absl::StrCat(key, "=", value));
  return entries;
}

bool BootstrapEnding::clean() const {
  if (kill_sent) return false;
  if (status.exited) return status.code == 0;
  return term_sent && status.signal == SIGTERM;
}

std::string BootstrapEnding::Describe() const {
  if (kill_sent) {
    return absl::StrFormat("bootstrap ignored SIGTERM, killed by SIGKILL after %.1f s",
                           absl::ToDoubleSeconds(grace));
  }
  const std::string how = status.exited ? absl::StrCat("exited ", status.code)
                                        : absl::StrCat("killed by ", SignalName(status.signal));
  return absl::StrCat("bootstrap ", how,
                      exited_on_its_own ? " before lmc-invoke stopped it" : " after SIGTERM");
}

absl::StatusOr<std::unique_ptr<BootstrapProcess>> BootstrapProcess::Start(
    const BootstrapLaunch& launch, emulator::Emulator& emulator) {
  emulator::Subprocess::Options spawn;
  spawn.argv = {launch.path};
  spawn.env = LambdaEnvironment(launch);
  spawn.merge_stderr = true;
  if (!launch.logs_path.empty()) {
    // Truncated and checked here, so a bad path is reported before the child starts.
    const int fd = open(launch.logs_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot write ", launch.logs_path, ": ", strerror(errno)));
    }
    close(fd);
    spawn.output_path = launch.logs_path;
  }
  const absl::Time spawned_at = absl::Now();
  absl::StatusOr<std::unique_ptr<emulator::Subprocess>> child =
      emulator::Subprocess::Start(std::move(spawn));
  if (!child.ok()) return child.status();
  return std::unique_ptr<BootstrapProcess>(
      new BootstrapProcess(*std::move(child), emulator, spawned_at));
}

BootstrapProcess::BootstrapProcess(std::unique_ptr<emulator::Subprocess> child,
                                   emulator::Emulator& emulator, absl::Time spawned_at)
    : child_(std::move(child)), emulator_(emulator), spawned_at_(spawned_at) {
  exit_watch_ = std::thread([this] {
    child_->WaitForExit(absl::InfiniteDuration());
    exited_.store(true);
    emulator_.NotifyWaiters();
  });
}

BootstrapProcess::~BootstrapProcess() {
  if (!exited()) (void)child_->Signal(SIGKILL);
  if (exit_watch_.joinable()) exit_watch_.join();
}

std::string BootstrapProcess::output() const {
  // Bounded: a pump that cannot keep up within a second leaves the rest for the next call.
  (void)child_->SyncOutput(absl::Seconds(1));
  return child_->stdout_text();
}

BootstrapEnding BootstrapProcess::Stop(absl::Duration grace) {
  BootstrapEnding ending;
  ending.grace = grace;
  ending.exited_on_its_own = exited();
  if (!ending.exited_on_its_own) {
    const absl::Duration before_shutdown = std::min(kShutdownAfterTerm, grace);
    ending.term_sent = child_->Signal(SIGTERM).ok();
    if (!child_->WaitForExit(before_shutdown)) {
      emulator_.BeginShutdown("spindown");
      if (!child_->WaitForExit(grace - before_shutdown)) {
        ending.kill_sent = child_->Signal(SIGKILL).ok();
        child_->WaitForExit(absl::InfiniteDuration());
      }
    }
  }
  exit_watch_.join();
  ending.status = child_->exit_status();
  return ending;
}

}  // namespace lmc::invoke
