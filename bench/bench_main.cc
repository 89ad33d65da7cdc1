// lmc-bench: the runtime's performance, each figure next to a reference measured in the same
// run (machines are shared and noisy: ratios mean more than bare times).
//
//   lmc-bench --bootstrap build-release/runtime/bootstrap --client
//   build-release/bench/lmc-bench-client
//
// Every scenario runs `bootstrap` against a fresh in-process emulator, then the reference:
// lmc-bench-client (the same GET /next + POST /response exchange on kept-alive sockets, no
// runtime) or, for sleep, the ideal N / handler time. Figures, per scenario:
//   inv/s       invocations per second after warm-up
//   cpu us/inv  user+system CPU of the child process per invocation (/proc; emulator excluded)
//   p50/p99     added latency: dispatch of the event -> arrival of its answer, minus the handler's
//               own time (the sleep), as the emulator measures it
//   peak RSS    VmHWM of the child
//   startup     exec -> first /next (cold start), median of several runs
//   streaming   for the stream scenarios: time to first byte (dispatch of the event -> arrival of
//               the first chunk of the answer, p50/p99) and throughput of the streamed answers
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/process_stats.h"
#include "lmc/json.h"
#include "lmc/strings.h"
#include "tools/emulator/command_support.h"
#include "tools/emulator/emulator.h"
#include "tools/emulator/subprocess.h"

namespace {

using lmc::emulator::Emulator;
using lmc::emulator::EmulatorOptions;
using lmc::emulator::EventSpec;
using lmc::emulator::Subprocess;

struct Options {
  std::string bootstrap = "build-release/runtime/bootstrap";
  std::string client = "build-release/bench/lmc-bench-client";
  std::string only;              // run only scenarios whose name contains this
  double scale = 1.0;            // multiplies invocation counts (--quick: 0.1)
  std::string json_path;         // also write the results as JSON here
  std::vector<std::string> env;  // extra environment for the bootstrap (--env K=V)
};

struct Run {
  bool ok = false;
  std::string error;
  double per_second = 0;
  double cpu_us = 0;
  double p50_ms = 0, p99_ms = 0;
  double peak_rss_mb = 0;
  double startup_ms = 0;
  double first_byte_p50_ms = 0, first_byte_p99_ms = 0;  // streamed scenarios only
  double stream_mb_per_s = 0;
};

struct Scenario {
  std::string name;
  std::string handler;
  int concurrency;
  std::string event;
  uint64_t warmup;
  uint64_t count;
  double handler_ms = 0;      // the handler's own time, subtracted from latency
  uint64_t stream_bytes = 0;  // > 0: a streamed scenario answering this many bytes each
};

std::string Payload(size_t bytes) {
  // A JSON string of the requested size, so echo returns valid JSON.
  std::string s = "\"";
  s.append(bytes > 2 ? bytes - 2 : 0, 'p');
  s += "\"";
  return s;
}

// Runs `binary` as the runtime for `scenario` and measures it.
Run Measure(const Options& options, const std::string& binary, const Scenario& scenario,
            bool extra_env) {
  Run run;
  EmulatorOptions emulator_options;
  emulator_options.keep_records = false;
  Emulator emulator(emulator_options);
  if (!emulator.Start().ok()) {
    run.error = "emulator did not start";
    return run;
  }
  const std::string event = scenario.event;
  emulator.SetGenerator(
      [&event](uint64_t) {
        EventSpec e;
        e.body = event;
        return e;
      },
      scenario.warmup + scenario.count);
  Subprocess::Options spawn;
  spawn.argv = {binary};
  spawn.env = {absl::StrCat("AWS_LAMBDA_RUNTIME_API=", emulator.address()),
               absl::StrCat("_HANDLER=", scenario.handler),
               absl::StrCat("AWS_LAMBDA_MAX_CONCURRENCY=", scenario.concurrency),
               "TMPDIR=/tmp",
               "AWS_LAMBDA_FUNCTION_NAME=bench",
               "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=2048"};
  if (extra_env) spawn.env.insert(spawn.env.end(), options.env.begin(), options.env.end());
  spawn.max_capture_bytes = 1 << 20;
  const absl::Time spawned = absl::Now();
  auto child = Subprocess::Start(spawn);
  if (!child.ok()) {
    run.error = child.status().ToString();
    return run;
  }
  const pid_t pid = (*child)->pid();
  const absl::Duration limit = absl::Minutes(5);
  if (!emulator.WaitFor([&](const auto& s) { return s.closed >= scenario.warmup; }, limit)) {
    run.error = "stalled in warm-up";
    return run;
  }
  run.startup_ms = absl::ToDoubleMilliseconds(emulator.stats().first_next_at - spawned);
  const auto before = lmc::bench::ReadProcessStats(pid);
  const absl::Time t0 = absl::Now();
  if (!emulator.WaitFor([&](const auto& s) { return s.closed >= scenario.warmup + scenario.count; },
                        limit)) {
    run.error = "stalled";
    return run;
  }
  const absl::Time t1 = absl::Now();
  const auto after = lmc::bench::ReadProcessStats(pid);
  const lmc::emulator::Stats stats = emulator.stats();
  (*child)->Signal(SIGTERM).IgnoreError();
  (*child)->WaitForExit(absl::Seconds(30));
  if (!before.ok() || !after.ok()) {
    run.error = "could not read /proc";
    return run;
  }
  const double seconds = absl::ToDoubleSeconds(t1 - t0);
  const double n = static_cast<double>(scenario.count);
  run.per_second = n / seconds;
  run.cpu_us = ((after->user_s + after->system_s) - (before->user_s + before->system_s)) * 1e6 / n;
  run.p50_ms = std::max(0.0, stats.latency_p50_ms - scenario.handler_ms);
  run.p99_ms = std::max(0.0, stats.latency_p99_ms - scenario.handler_ms);
  run.peak_rss_mb = static_cast<double>(after->peak_rss_kb) / 1024.0;
  run.ok = stats.duplicate_answers == 0 && stats.responses >= scenario.warmup + scenario.count;
  if (!run.ok) run.error = "answers missing or duplicated";
  if (scenario.stream_bytes > 0) {
    run.first_byte_p50_ms = stats.first_byte_p50_ms;
    run.first_byte_p99_ms = stats.first_byte_p99_ms;
    run.stream_mb_per_s = run.per_second * static_cast<double>(scenario.stream_bytes) / 1e6;
    const uint64_t answers = scenario.warmup + scenario.count;
    if (stats.streamed_answers < answers ||
        stats.streamed_bytes < answers * scenario.stream_bytes) {
      run.ok = false;
      run.error = "answers not streamed in full";
    }
  }
  return run;
}

// Median exec -> first /next over `runs` cold starts of `binary`.
double ColdStartMs(const std::string& binary, int runs) {
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i) {
    Emulator emulator;
    if (!emulator.Start().ok()) continue;
    Subprocess::Options spawn;
    spawn.argv = {binary};
    spawn.env = {absl::StrCat("AWS_LAMBDA_RUNTIME_API=", emulator.address()), "_HANDLER=echo",
                 "TMPDIR=/tmp"};
    const absl::Time spawned = absl::Now();
    auto child = Subprocess::Start(spawn);
    if (!child.ok()) continue;
    if (emulator.WaitForWaitingNext(1, absl::Seconds(30))) {
      samples.push_back(absl::ToDoubleMilliseconds(emulator.stats().first_next_at - spawned));
    }
    (*child)->Signal(SIGTERM).IgnoreError();
    (*child)->WaitForExit(absl::Seconds(10));
  }
  if (samples.empty()) return -1;
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

// Parses the flags into `options`; false (after a usage line on stderr) on bad usage.
bool ParseOptions(int argc, char** argv, Options& options) {
  lmc::emulator::ArgReader args(argc, argv);
  while (!args.done()) {
    if (args.Value("--bootstrap", &options.bootstrap) || args.Value("--client", &options.client) ||
        args.Value("--only", &options.only) || args.Value("--json", &options.json_path) ||
        args.Values("--env", &options.env)) {
      continue;
    }
    if (args.Switch("--quick")) {
      options.scale = 0.1;
    } else {
      args.Fail(absl::StrCat("unknown argument: ", lmc::AsAbsl(args.current())));
    }
  }
  if (!args.failed()) return true;
  std::fprintf(stderr,
               "lmc-bench: %s\n"
               "usage: lmc-bench [--bootstrap PATH] [--client PATH] [--only NAME] [--quick]\n"
               "                 [--json FILE] [--env K=V ...]\n",
               args.error().c_str());
  return false;
}

// The suite, its counts scaled by --quick.
std::vector<Scenario> Scenarios(const Options& options) {
  const auto scaled = [&](uint64_t n) {
    return std::max<uint64_t>(1, static_cast<uint64_t>(static_cast<double>(n) * options.scale));
  };
  const std::string small = R"({"order":"o-1001","items":[1,2,3],"note":"bench"})";
  const std::string stream_50mb = R"({"chunks":50,"bytes":1000000,"delay_ms":0})";
  return {
      {"echo N=1", "echo", 1, small, 500, scaled(10000)},
      {"echo N=2", "echo", 2, small, 500, scaled(20000)},
      {"echo N=8", "echo", 8, small, 1000, scaled(40000)},
      {"echo N=64", "echo", 64, small, 2000, scaled(40000)},
      {"sleep 20ms N=64", "sleep", 64, R"({"ms":20})", 128, scaled(6400), 20},
      {"sleep 20ms N=256", "sleep", 256, R"({"ms":20})", 512, scaled(25600), 20},
      // Scale: Lambda's largest N with a handler long enough that every loop holds an event.
      {"sleep 200ms N=1600", "sleep", 1600, R"({"ms":200})", 3200, scaled(32000), 200},
      {"echo 1MB N=4", "echo", 4, Payload(1 << 20), 20, scaled(400)},
      {"echo 6MB N=1", "echo", 1, Payload(6 << 20), 5, scaled(60)},
      // Response streaming: a 50 MB answer written as 50 chunks of 1 MB, at once (no delay).
      {"stream 50MB N=1", "stream", 1, stream_50mb, 2, scaled(30), 0, 50'000'000},
      {"stream 50MB N=4", "stream", 4, stream_50mb, 4, scaled(40), 0, 50'000'000},
  };
}

// One scenario's line(s) of the table.
void PrintRow(const Scenario& s, const Run& lmc, const Run& ref, double ideal) {
  const double reference = ideal > 0 ? ideal : ref.per_second;
  std::printf("%-18s %12.0f %12.0f %7.3f | %9.1f %9.1f | %8.3f %8.3f | %8.1f %8.1f%s%s\n",
              s.name.c_str(), lmc.per_second, reference,
              reference > 0 ? lmc.per_second / reference : 0, lmc.cpu_us, ref.cpu_us, lmc.p50_ms,
              lmc.p99_ms, lmc.peak_rss_mb, ref.peak_rss_mb,
              ideal > 0 ? absl::StrFormat("  (ideal; client %.0f/s)", ref.per_second).c_str() : "",
              lmc.ok && ref.ok ? "" : absl::StrCat("  ERROR: ", lmc.error, " ", ref.error).c_str());
  if (s.stream_bytes > 0) {
    std::printf(
        "%-18s first byte p50 %.3f ms (client %.3f, ratio %.2f), p99 %.3f ms (client "
        "%.3f); %.0f MB/s (client %.0f, ratio %.3f)\n",
        "", lmc.first_byte_p50_ms, ref.first_byte_p50_ms,
        ref.first_byte_p50_ms > 0 ? lmc.first_byte_p50_ms / ref.first_byte_p50_ms : 0,
        lmc.first_byte_p99_ms, ref.first_byte_p99_ms, lmc.stream_mb_per_s, ref.stream_mb_per_s,
        ref.stream_mb_per_s > 0 ? lmc.stream_mb_per_s / ref.stream_mb_per_s : 0);
  }
  std::fflush(stdout);
}

// One scenario's object of the --json output.
void WriteJsonRow(lmc::JsonWriter& w, const Scenario& s, const Run& lmc, const Run& ref,
                  double ideal) {
  w.BeginObject().Key("name").String(s.name).Key("concurrency").Int(s.concurrency);
  w.Key("event_bytes").Uint(s.event.size()).Key("invocations").Uint(s.count);
  w.Key("lmc").BeginObject().Key("per_second").Raw(absl::StrCat(lmc.per_second));
  w.Key("cpu_us").Raw(absl::StrCat(lmc.cpu_us)).Key("p50_ms").Raw(absl::StrCat(lmc.p50_ms));
  w.Key("p99_ms")
      .Raw(absl::StrCat(lmc.p99_ms))
      .Key("peak_rss_mb")
      .Raw(absl::StrCat(lmc.peak_rss_mb));
  w.EndObject().Key("client").BeginObject().Key("per_second").Raw(absl::StrCat(ref.per_second));
  w.Key("cpu_us")
      .Raw(absl::StrCat(ref.cpu_us))
      .Key("peak_rss_mb")
      .Raw(absl::StrCat(ref.peak_rss_mb));
  w.EndObject().Key("ideal_per_second").Raw(absl::StrCat(ideal));
  if (s.stream_bytes > 0) {
    w.Key("stream").BeginObject().Key("bytes").Uint(s.stream_bytes);
    w.Key("lmc_first_byte_p50_ms").Raw(absl::StrCat(lmc.first_byte_p50_ms));
    w.Key("client_first_byte_p50_ms").Raw(absl::StrCat(ref.first_byte_p50_ms));
    w.Key("lmc_mb_per_s").Raw(absl::StrCat(lmc.stream_mb_per_s));
    w.Key("client_mb_per_s").Raw(absl::StrCat(ref.stream_mb_per_s)).EndObject();
  }
  w.EndObject();
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseOptions(argc, argv, options)) return 2;
  std::string json;
  lmc::JsonWriter w(&json);
  w.BeginObject().Key("scenarios").BeginArray();
  std::printf("%-18s %12s %12s %7s | %9s %9s | %8s %8s | %8s %8s\n", "scenario", "lmc inv/s",
              "ref inv/s", "ratio", "lmc us/inv", "ref us/inv", "p50 ms", "p99 ms", "RSS MB",
              "ref RSS");
  bool all_ok = true;
  for (const Scenario& s : Scenarios(options)) {
    if (!options.only.empty() && s.name.find(options.only) == std::string::npos) continue;
    const Run lmc = Measure(options, options.bootstrap, s, true);
    const Run ref = Measure(options, options.client, s, false);
    const double ideal = s.handler_ms > 0 ? s.concurrency * 1000.0 / s.handler_ms : 0;
    all_ok = all_ok && lmc.ok && ref.ok;
    PrintRow(s, lmc, ref, ideal);
    WriteJsonRow(w, s, lmc, ref, ideal);
  }
  w.EndArray();
  if (options.only.empty() || std::string("cold start").find(options.only) != std::string::npos) {
    const int runs = options.scale < 1 ? 5 : 21;
    const double lmc_cold = ColdStartMs(options.bootstrap, runs);
    const double ref_cold = ColdStartMs(options.client, runs);
    std::printf("%-18s exec -> first /next: lmc %.2f ms, client %.2f ms (median of %d)\n",
                "cold start", lmc_cold, ref_cold, runs);
    w.Key("cold_start_ms").BeginObject().Key("lmc").Raw(absl::StrCat(lmc_cold));
    w.Key("client").Raw(absl::StrCat(ref_cold)).EndObject();
  }
  w.EndObject();
  if (!options.json_path.empty()) {
    if (FILE* f = std::fopen(options.json_path.c_str(), "w")) {
      std::fprintf(f, "%s\n", json.c_str());
      std::fclose(f);
    }
  }
  return all_ok ? 0 : 1;
}
