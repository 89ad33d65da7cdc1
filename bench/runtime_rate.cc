#include "bench/runtime_rate.h"

#include <signal.h>
#include <time.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/process_stats.h"
#include "tools/emulator/emulator.h"
#include "tools/emulator/subprocess.h"

namespace lmc::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr auto kPollEvery = std::chrono::milliseconds(2);
constexpr auto kStallAfter = std::chrono::seconds(60);
// Events on offer: more than any run can answer.
constexpr uint64_t kEndless = uint64_t{1} << 40;

// Polls until `emulator` has closed `closed` invocations (true), or until no invocation closed
// for kStallAfter (false).
bool AwaitClosed(emulator::Emulator& emulator, uint64_t closed) {
  uint64_t last = 0;
  SteadyClock::time_point progress = SteadyClock::now();
  while (true) {
    const uint64_t now_closed = emulator.stats().closed;
    const SteadyClock::time_point now = SteadyClock::now();
    if (now_closed >= closed) return true;
    if (now_closed != last) {
      last = now_closed;
      progress = now;
    } else if (now - progress > kStallAfter) {
      return false;
    }
    std::this_thread::sleep_for(kPollEvery);
  }
}

double OwnCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

double CpuSeconds(pid_t pid) {
  absl::StatusOr<ProcessStats> stats = ReadProcessStats(pid);
  return stats.ok() ? stats->user_s + stats->system_s : NAN;
}

}  // namespace

RuntimeRate MeasureRuntimeRate(const RuntimeRateSpec& spec) {
  RuntimeRate run;
  emulator::EmulatorOptions options;
  options.keep_records = false;
  emulator::Emulator emulator(options);
  if (absl::Status started = emulator.Start(); !started.ok()) {
    run.error = absl::StrCat("emulator: ", started.ToString());
    return run;
  }
  const std::vector<std::string>& events = spec.events;
  emulator.SetGenerator(
      [&events](uint64_t index) {
        emulator::EventSpec event;
        event.body = events[index % events.size()];
        return event;
      },
      kEndless);
  emulator::Subprocess::Options spawn;
  spawn.argv = {spec.binary};
  spawn.env = {absl::StrCat("AWS_LAMBDA_RUNTIME_API=", emulator.address()),
               absl::StrCat("AWS_LAMBDA_MAX_CONCURRENCY=", spec.concurrency), "TMPDIR=/tmp",
               "AWS_LAMBDA_FUNCTION_NAME=bench", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=2048"};
  spawn.env.insert(spawn.env.end(), spec.env.begin(), spec.env.end());
  spawn.max_capture_bytes = 4 << 20;
  absl::StatusOr<std::unique_ptr<emulator::Subprocess>> child = emulator::Subprocess::Start(spawn);
  if (!child.ok()) {
    run.error = child.status().ToString();
    return run;
  }
  const bool warmed = AwaitClosed(emulator, spec.warmup);
  const uint64_t closed0 = emulator.stats().closed;
  const SteadyClock::time_point t0 = SteadyClock::now();
  const double cpu0 = CpuSeconds((*child)->pid());
  const double own0 = OwnCpuSeconds();
  if (warmed) {
    std::this_thread::sleep_for(std::chrono::duration<double>(spec.seconds));
    AwaitClosed(emulator, closed0 + spec.min_count);
  }
  const SteadyClock::time_point t1 = SteadyClock::now();
  const emulator::Stats stats = emulator.stats();
  const double cpu1 = CpuSeconds((*child)->pid());
  const double own1 = OwnCpuSeconds();
  (*child)->Signal(SIGTERM).IgnoreError();
  (*child)->WaitForExit(absl::Seconds(30));
  run.logs = (*child)->stdout_text() + (*child)->stderr_text();
  if (!warmed) {
    run.error = absl::StrCat("stalled in warm-up: ", run.logs.substr(0, 300));
    return run;
  }
  if (stats.errors != 0) {
    run.error = absl::StrCat(stats.errors, " invocations failed: ", run.logs.substr(0, 300));
    return run;
  }
  const auto count = static_cast<double>(stats.closed - closed0);
  if (count == 0) {
    run.error = "no invocation closed while timed";
    return run;
  }
  run.ok = true;
  run.per_second = count / std::chrono::duration<double>(t1 - t0).count();
  run.cpu_us_per_invocation = (cpu1 - cpu0) * 1e6 / count;
  run.driver_cpu_us_per_invocation = (own1 - own0) * 1e6 / count;
  return run;
}

double LastMetric(const std::string& logs, const std::string& line_marker, const std::string& key) {
  const size_t line = logs.rfind(line_marker);
  if (line == std::string::npos) return NAN;
  const size_t line_end = logs.find('\n', line);
  const size_t at = logs.find(absl::StrCat(" ", key, "="), line);
  if (at == std::string::npos || at > line_end) return NAN;
  const size_t begin = at + key.size() + 2;
  const size_t end = logs.find_first_of(" \"\n", begin);
  double value = NAN;
  if (!absl::SimpleAtod(logs.substr(begin, end - begin), &value)) return NAN;
  return value;
}

}  // namespace lmc::bench
