// File: tools/invoke/bootstrap_process.h
//
// A bootstrap run the way Lambda runs one: spawned with the environment Lambda gives a custom
// runtime (nothing inherited but PATH and TMPDIR), watched until it exits, and stopped the way
// RAPID ends an execution environment (SIGTERM, then the Runtime API shuts down, then SIGKILL).
// `lmc-invoke` is built on it; so can any command that drives a bootstrap against the emulator.
//
// Example:
//
//   lmc::emulator::Emulator emulator;  // Start()ed, events queued
//   BootstrapLaunch launch;
//   launch.path = "build-release/runtime/bootstrap";
//   launch.runtime_api = emulator.address();
//   launch.handler = "echo";
//   absl::StatusOr<std::unique_ptr<BootstrapProcess>> child =
//       BootstrapProcess::Start(launch, emulator);
//   if (!child.ok()) return child.status();
//   emulator.WaitFor([&](const Stats& s) { return s.closed >= 1 || (*child)->exited(); }, ...);
//   BootstrapEnding ending = (*child)->Stop(absl::Seconds(5));   // ending.clean(), Describe()
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/emulator/emulator.h"
#include "tools/emulator/subprocess.h"

namespace lmc::invoke {

// RAPID (Lambda Managed Instances) gives a runtime up to 600 ms after SIGTERM before it shuts
// the Runtime API down.
inline constexpr absl::Duration kShutdownAfterTerm = absl::Milliseconds(600);

// BootstrapLaunch
//
// What the child is and what it is given.
struct BootstrapLaunch {
  std::string path;         // the executable
  std::string runtime_api;  // AWS_LAMBDA_RUNTIME_API, host:port
  std::string handler;      // _HANDLER
  // AWS_LAMBDA_MAX_CONCURRENCY; nullopt: not set (the runtime then runs one loop).
  std::optional<uint64_t> concurrency;
  std::string function_name = "lmc-local";   // AWS_LAMBDA_FUNCTION_NAME
  std::string function_version = "$LATEST";  // AWS_LAMBDA_FUNCTION_VERSION
  // Applied last, in order: an entry replaces the same-named variable or is appended.
  std::vector<std::pair<std::string, std::string>> extra_env;
  // Non-empty: the child's stdout and stderr go to this file (truncated first); empty: they are
  // captured together (see BootstrapProcess::output()).
  std::string logs_path;
};

// LambdaEnvironment()
//
// The child's whole environment as "KEY=VALUE" entries: AWS_LAMBDA_RUNTIME_API, _HANDLER,
// AWS_LAMBDA_FUNCTION_NAME/_VERSION/_MEMORY_SIZE (2048), AWS_REGION (us-east-1), TMPDIR and
// PATH from this process (defaults /tmp and /usr/local/bin:/usr/bin:/bin),
// AWS_LAMBDA_MAX_CONCURRENCY when set, then `extra_env`.
std::vector<std::string> LambdaEnvironment(const BootstrapLaunch& launch);

// BootstrapEnding
//
// How the child ended and what it took.
struct BootstrapEnding {
  emulator::Subprocess::ExitStatus status;
  bool exited_on_its_own = false;  // before Stop() was called
  bool term_sent = false;
  bool kill_sent = false;
  absl::Duration grace;  // what Stop() allowed between SIGTERM and SIGKILL

  // Clean: exit code 0, or killed by the SIGTERM that Stop() sent; never after SIGKILL.
  bool clean() const;
  // For a summary line, e.g. "bootstrap exited 0 after SIGTERM".
  std::string Describe() const;
};

// BootstrapProcess
//
// One spawned bootstrap. A watcher thread waits for its exit and wakes `emulator`'s waiters
// (Emulator::NotifyWaiters()), so a WaitFor() predicate can test exited(). The emulator must
// outlive this object. Thread-safe; not copyable.
class BootstrapProcess {
 public:
  // Start()
  //
  // Spawns `launch.path` with LambdaEnvironment(launch). Fails when the logs file cannot be
  // written or the program cannot be executed; the message names the path.
  static absl::StatusOr<std::unique_ptr<BootstrapProcess>> Start(const BootstrapLaunch& launch,
                                                                 emulator::Emulator& emulator);
  // Kills a child still running (SIGKILL) and joins the watcher.
  ~BootstrapProcess();
  BootstrapProcess(const BootstrapProcess&) = delete;
  BootstrapProcess& operator=(const BootstrapProcess&) = delete;

  absl::Time spawned_at() const { return spawned_at_; }
  // True once the child has exited (set before the emulator's waiters are woken).
  bool exited() const { return exited_.load(); }

  // Stop()
  //
  // Ends the child as RAPID does, unless it already exited: SIGTERM; after
  // min(kShutdownAfterTerm, grace) the emulator's BeginShutdown() (parked /next calls get 500,
  // SHUTDOWN-registered extensions their event); SIGKILL once `grace` has passed since SIGTERM.
  // Returns once the child is reaped. Call once.
  BootstrapEnding Stop(absl::Duration grace);

  // The child's captured stdout and stderr, interleaved (empty with a logs file): everything it
  // had written when this was called (Subprocess::SyncOutput()).
  std::string output() const;

 private:
  BootstrapProcess(std::unique_ptr<emulator::Subprocess> child, emulator::Emulator& emulator,
                   absl::Time spawned_at);

  std::unique_ptr<emulator::Subprocess> child_;
  emulator::Emulator& emulator_;
  const absl::Time spawned_at_;
  std::atomic<bool> exited_{false};
  std::thread exit_watch_;
};

}  // namespace lmc::invoke
