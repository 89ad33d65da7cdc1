// lmc-durable-bench: what lmc::durable costs, next to the official JS SDK in the same run (the
// machines are shared and noisy: compare within a run, not across runs). See bench/README.md and
// docs/PERFORMANCE.md ("Durable functions").
//
//   1. checkpoint overhead per step: a step whose body does nothing (a small result), in
//      process against an in-memory service (CPU per step, the service's share, requests,
//      updates and body bytes per step), for at-least-once and at-most-once steps; the JS SDK's
//      CPU per step on the same workflow; end to end through the local durable-execution
//      service over HTTP (the function's CPU, wall time and bytes on the wire per step);
//   2. replay (measured first, in the fresh process): an invocation whose log holds 1,000 SUCCEEDED
//   steps (written by lmc, ids as both
//      SDKs derive them) that replays them and runs one more step, event to answer, warm, next
//      to the JS SDK replaying the same log, rounds alternating; the log whole in the event, and
//      paged (the event holds its first operations, GetDurableExecutionState the rest).
//
//   build-release/bench/lmc-durable-bench [--steps 1000] [--rounds 5] [--reps 100]
//       [--warmup 20] [--peer DIR/durable_peer.mjs --node node] [--js-warmup 100] [--js-reps 50]
//       [--event-ops 101] [--e2e-executions 3] [--no-e2e] [--only steps|e2e|replay] [--smoke]
//   scripts/bench-durable      # builds it, installs the JS peer (npm ci) and runs it
//
// With LMC_DURABLE_BENCH_FUNCTION=1 in its environment it is instead the durable function of the
// end-to-end measurement (served by lmc::Run, checkpoints through the SDK's Lambda client).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/durable_bench_e2e.h"
#include "bench/durable_bench_inprocess.h"
#include "bench/durable_bench_peer.h"
#include "bench/durable_bench_workflow.h"
#include "handlers/durable/operation.h"
#include "lmc/base/temp_dir.h"
#include "lmc/lmc.h"
#include "tools/emulator/command_support.h"

namespace lmc::bench {
namespace {

struct Flags {
  int64_t steps = 1000;
  int rounds = 5;
  int warmup = 20;
  int reps = 100;
  PeerCommand peer;
  int js_warmup = 100;
  int js_reps = 50;
  int64_t event_ops = 101;
  int e2e_executions = 3;
  bool e2e = true;
  bool smoke = false;
  std::string only;  // "steps", "e2e" or "replay": that part alone
};

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return absl::StrCat(one, " ", five, " ", fifteen);
}

// "12.3 [11.9-13.0]": median [p10-p90].
std::string Spread(const Summary& s, int decimals) {
  return absl::StrFormat("%.*f [%.*f-%.*f]", decimals, s.median, decimals, s.p10, decimals, s.p90);
}

// Part 1, in process.
void PrintStepCost(const Flags& flags) {
  std::printf("\n## Checkpoint overhead per step, in process (in-memory service)\n\n");
  std::printf("%lld fresh steps (body returns i) minus 0 steps, one invocation each, %d rounds\n\n",
              static_cast<long long>(flags.steps), flags.rounds);
  std::printf(
      "| semantics | requests/step | updates/step | lmc us CPU/step | of which service |"
      " request B/step | answer B/step |\n|---|---|---|---|---|---|---|\n");
  for (const bool at_most_once : {false, true}) {
    const StepCost cost = MeasureStepCost(flags.steps, at_most_once, flags.rounds);
    std::printf("| %s | %.2f | %.2f | %s | %.2f | %.0f | %.0f |\n",
                at_most_once ? "at-most-once" : "at-least-once", cost.requests_per_step,
                cost.updates_per_step, Spread(cost.us_per_step, 2).c_str(),
                cost.service_us_per_step, cost.request_bytes_per_step,
                cost.response_bytes_per_step);
    if (!at_most_once) {
      std::printf("(bodies as the SDK's codec writes them, with %zu-byte checkpoint tokens)\n",
                  cost.token_bytes);
    }
  }
}

// The JS SDK's CPU per fresh step: (an execution of N steps - one of 0) / N, medians.
void PrintPeerStepCost(const Flags& flags, const std::string& dir) {
  std::printf(
      "\n| semantics | JS SDK us CPU/step | JS checkpoint calls/step | JS updates/step |\n"
      "|---|---|---|---|\n");
  for (const bool at_most_once : {false, true}) {
    const std::string full_file = absl::StrCat(dir, "/fresh-full.json");
    const std::string base_file = absl::StrCat(dir, "/fresh-base.json");
    std::ofstream(full_file) << FreshEvent(flags.steps, at_most_once);
    std::ofstream(base_file) << FreshEvent(0, at_most_once);
    const int reps = std::max(3, flags.js_reps / 10);
    absl::StatusOr<PeerResult> full = RunPeer(flags.peer, full_file, 0, reps, reps);
    absl::StatusOr<PeerResult> base = RunPeer(flags.peer, base_file, 0, flags.js_warmup, reps);
    if (!full.ok() || !base.ok()) {
      std::printf("JS peer failed: %s\n",
                  std::string((full.ok() ? base.status() : full.status()).message()).c_str());
      return;
    }
    const double n = static_cast<double>(flags.steps);
    std::printf("| %s | %.2f | %.2f | %.2f |\n", at_most_once ? "at-most-once" : "at-least-once",
                (Summarize(full->cpu_us).median - Summarize(base->cpu_us).median) / n,
                static_cast<double>(full->did.checkpoints - base->did.checkpoints) / n,
                static_cast<double>(full->did.updates - base->did.updates) / n);
  }
}

void PrintE2e(const Flags& flags) {
  std::printf("\n## Checkpoint overhead per step, end to end (local durable service, HTTP)\n\n");
  std::printf("%d x %lld steps minus %d x 0 steps per round, %d rounds; the function's process\n\n",
              flags.e2e_executions, static_cast<long long>(flags.steps), flags.e2e_executions,
              flags.rounds);
  std::printf(
      "| semantics | function us CPU/step | wall us/step | requests/step | bytes up/step |"
      " bytes down/step |\n|---|---|---|---|---|---|\n");
  uint64_t connections = 0;
  for (const bool at_most_once : {false, true}) {
    absl::StatusOr<E2eCost> cost =
        MeasureE2e("/proc/self/exe", flags.steps, at_most_once, flags.rounds, flags.e2e_executions);
    if (!cost.ok()) {
      std::printf("end to end failed: %s\n", std::string(cost.status().message()).c_str());
      return;
    }
    std::printf(
        "| %s | %s | %s | %.2f | %.0f | %.0f |\n", at_most_once ? "at-most-once" : "at-least-once",
        Spread(cost->cpu_us_per_step, 1).c_str(), Spread(cost->wall_us_per_step, 0).c_str(),
        cost->requests_per_step, cost->upstream_bytes_per_step, cost->downstream_bytes_per_step);
    connections = cost->connections;
  }
  std::printf("(the function opened %llu TCP connection(s) per measurement: kept alive)\n",
              static_cast<unsigned long long>(connections));
}

// The lmc side of one replay round, checked: every replayed body skipped, one step run.
absl::StatusOr<ReplaySamples> LmcReplay(const std::string& event,
                                        const std::vector<durable::Operation>& pages,
                                        const std::string& want, int warmup, int reps) {
  ReplaySamples r = MeasureReplay(event, pages, warmup, reps);
  if (r.answer != want || r.bodies_per_invocation != 1) {
    return absl::InternalError(absl::StrCat("lmc replay answered ", r.answer, " running ",
                                            r.bodies_per_invocation, " step bodies"));
  }
  return r;
}

// What the replay table compares, one log layout.
struct ReplayRow {
  std::string name;
  int64_t event_ops = 0;
  std::vector<double> lmc_cpu, lmc_wall, lmc_faults, js_cpu, js_wall, js_faults, cpu_ratio,
      wall_ratio;
  ReplaySamples lmc_last;
  std::optional<PeerResult> js_last;
};

// "9.3x [8.7-10.2]": the median of the round ratios [min-max].
std::string Ratio(std::vector<double> ratios, bool bold) {
  if (ratios.empty()) return "-";
  std::sort(ratios.begin(), ratios.end());
  const double median = Summarize(ratios).median;
  const std::string text =
      absl::StrFormat("%.1fx [%.1f-%.1f]", median, ratios.front(), ratios.back());
  return bold
             ? absl::StrCat("**", text.substr(0, text.find(' ')), "**", text.substr(text.find(' ')))
             : text;
}

void PrintReplayTable(const std::vector<ReplayRow>& rows, bool with_peer) {
  std::printf(
      "| log | lmc us CPU | lmc us wall | lmc faults | JS us CPU | JS us wall | JS faults |"
      " JS/lmc CPU | JS/lmc wall |\n|---|---|---|---|---|---|---|---|---|\n");
  for (const ReplayRow& row : rows) {
    const auto js = [&](const std::vector<double>& samples, int decimals) {
      return with_peer ? Spread(Summarize(samples), decimals) : std::string("-");
    };
    std::printf("| %s | %s | %s | %.0f | %s | %s | %s | %s | %s |\n", row.name.c_str(),
                Spread(Summarize(row.lmc_cpu), 0).c_str(),
                Spread(Summarize(row.lmc_wall), 0).c_str(), Summarize(row.lmc_faults).median,
                js(row.js_cpu, 0).c_str(), js(row.js_wall, 0).c_str(),
                with_peer ? absl::StrFormat("%.0f", Summarize(row.js_faults).median).c_str() : "-",
                Ratio(row.cpu_ratio, true).c_str(), Ratio(row.wall_ratio, false).c_str());
  }
}

int PrintReplay(const Flags& flags, const std::string& dir, bool with_peer) {
  const std::vector<durable::Operation> log = RecordLog(flags.steps, false);
  const durable::Operation execution = ExecutionOperation(flags.steps, false);
  const std::string event_file = absl::StrCat(dir, "/replay.json");
  std::ofstream(event_file) << ReplayEvent(execution, log, 0);
  const std::string want = absl::StrCat(R"({"Status":"SUCCEEDED","Result":")",
                                        flags.steps * (flags.steps - 1) / 2, R"("})");
  std::vector<ReplayRow> rows(1);
  rows[0].name = "whole log in the event";
  if (flags.event_ops > 0) {
    rows.emplace_back().name =
        absl::StrCat("paged: ", flags.event_ops, " operations in the event, the rest in pages");
    rows.back().event_ops = flags.event_ops;
  }
  for (int round = 0; round < flags.rounds; ++round) {
    for (ReplayRow& row : rows) {
      const auto k = static_cast<size_t>(row.event_ops);
      absl::StatusOr<ReplaySamples> lmc = LmcReplay(
          ReplayEvent(execution, log, k), PagedRest(log, k), want, flags.warmup, flags.reps);
      if (!lmc.ok()) {
        std::fprintf(stderr, "%s\n", std::string(lmc.status().message()).c_str());
        return 1;
      }
      row.lmc_cpu.insert(row.lmc_cpu.end(), lmc->cpu_us.begin(), lmc->cpu_us.end());
      row.lmc_wall.insert(row.lmc_wall.end(), lmc->wall_us.begin(), lmc->wall_us.end());
      row.lmc_faults.insert(row.lmc_faults.end(), lmc->faults.begin(), lmc->faults.end());
      row.lmc_last = *lmc;
      if (!with_peer) continue;
      absl::StatusOr<PeerResult> js =
          RunPeer(flags.peer, event_file, row.event_ops, flags.js_warmup, flags.js_reps);
      if (!js.ok() || js->did.bodies != 1 || js->answer != want) {
        std::fprintf(stderr, "JS peer: %s\n",
                     js.ok() ? js->answer.c_str() : std::string(js.status().message()).c_str());
        return 1;
      }
      row.js_cpu.insert(row.js_cpu.end(), js->cpu_us.begin(), js->cpu_us.end());
      row.js_wall.insert(row.js_wall.end(), js->wall_us.begin(), js->wall_us.end());
      row.js_faults.insert(row.js_faults.end(), js->faults.begin(), js->faults.end());
      row.cpu_ratio.push_back(Summarize(js->cpu_us).median / Summarize(lmc->cpu_us).median);
      row.wall_ratio.push_back(Summarize(js->wall_us).median / Summarize(lmc->wall_us).median);
      row.js_last = *std::move(js);
    }
  }
  std::printf("\n## Replay of %lld completed steps + 1 new step, event to answer (warm)\n\n",
              static_cast<long long>(flags.steps));
  std::printf(
      "%d rounds alternating lmc and JS; lmc %d warm-up + %d timed invocations per round,"
      " JS a fresh node per round with %d warm-up + %d timed. us per invocation,"
      " median [p10-p90] of all timed invocations; ratio JS/lmc of the round medians,"
      " median [min-max] over rounds; faults: minor page faults per invocation (median)\n\n",
      flags.rounds, flags.warmup, flags.reps, flags.js_warmup, flags.js_reps);
  PrintReplayTable(rows, with_peer);
  std::printf(
      "\nEach invocation (checked): answer %s; lmc ran 1 step body, sent %llu checkpoint"
      " call(s) with %llu updates, %llu GetDurableExecutionState call(s) when paged",
      want.c_str(), static_cast<unsigned long long>(rows.back().lmc_last.calls.checkpoints),
      static_cast<unsigned long long>(rows.back().lmc_last.calls.updates),
      static_cast<unsigned long long>(rows.back().lmc_last.calls.state_calls));
  if (rows.back().js_last.has_value()) {
    const PeerResult& js = *rows.back().js_last;
    std::printf(
        "; JS the same answer, 1 step body, %lld checkpoint call(s) with %lld updates, %lld"
        " page call(s); the JS SDK derived all %lld ids of the log itself (%s %s, Node.js"
        " %s)",
        static_cast<long long>(js.did.checkpoints), static_cast<long long>(js.did.updates),
        static_cast<long long>(js.did.pages), static_cast<long long>(js.ids_checked),
        js.sdk.c_str(), js.version.c_str(), js.node.c_str());
  }
  std::printf(". Event: %zu bytes.\n", ReplayEvent(execution, log, 0).size());
  return 0;
}

// A few milliseconds of the same paths, checked (ctest bench.durable-smoke): ids as PROTOCOL.md
// §7 gives them, a replay that runs one body and answers the sum, whole and paged, and what
// each step semantics sends.
int Smoke() {
  const std::vector<durable::Operation> log = RecordLog(10, false);
  if (log.size() != 10 || log[0].id != "c4ca4238a0b92382" || log[1].id != "c81e728d9d4c2f63") {
    std::fprintf(stderr, "smoke: the recorded log has unexpected ids\n");
    return 1;
  }
  const durable::Operation execution = ExecutionOperation(10, false);
  const std::string want = R"({"Status":"SUCCEEDED","Result":"45"})";
  for (const size_t event_ops : {size_t{0}, size_t{4}}) {
    absl::StatusOr<ReplaySamples> r =
        LmcReplay(ReplayEvent(execution, log, event_ops), PagedRest(log, event_ops), want, 0, 2);
    if (!r.ok() || r->calls.checkpoints != 1 || r->calls.state_calls != (event_ops > 0 ? 1 : 0)) {
      std::fprintf(stderr, "smoke: replay (%zu operations in the event) failed: %s\n", event_ops,
                   r.ok() ? "unexpected calls" : std::string(r.status().message()).c_str());
      return 1;
    }
  }
  const StepCost at_least_once = MeasureStepCost(10, false, 1);
  const StepCost at_most_once = MeasureStepCost(10, true, 1);
  if (at_least_once.requests_per_step != 1 || at_least_once.updates_per_step != 2 ||
      at_most_once.requests_per_step != 2 || at_most_once.updates_per_step != 2) {
    std::fprintf(stderr, "smoke: unexpected requests per step (%.2f, %.2f)\n",
                 at_least_once.requests_per_step, at_most_once.requests_per_step);
    return 1;
  }
  std::printf("durable bench smoke: ok\n");
  return 0;
}

int Main(int argc, char** argv) {
  Flags flags;
  emulator::ArgReader args(argc, argv);
  uint64_t number = 0;
  std::string text;
  const auto int_flag = [&](std::string_view name, auto* out) {
    if (!args.Value(name, &text)) return false;
    if (!emulator::ParseUint(text, &number)) {
      args.Fail(absl::StrCat(std::string(name), ": not a number"));
    }
    *out = static_cast<std::remove_reference_t<decltype(*out)>>(number);
    return true;
  };
  while (!args.done()) {
    if (int_flag("--steps", &flags.steps) || int_flag("--rounds", &flags.rounds) ||
        int_flag("--warmup", &flags.warmup) || int_flag("--reps", &flags.reps) ||
        int_flag("--js-warmup", &flags.js_warmup) || int_flag("--js-reps", &flags.js_reps) ||
        int_flag("--event-ops", &flags.event_ops) ||
        int_flag("--e2e-executions", &flags.e2e_executions) ||
        args.Value("--peer", &flags.peer.script) || args.Value("--node", &flags.peer.node) ||
        args.Value("--only", &flags.only)) {
      continue;
    }
    if (args.Switch("--no-e2e")) {
      flags.e2e = false;
    } else if (args.Switch("--smoke")) {
      flags.smoke = true;
    } else {
      args.Fail(absl::StrCat("unknown argument ", std::string(args.current())));
    }
  }
  if (!flags.only.empty() && flags.only != "steps" && flags.only != "e2e" &&
      flags.only != "replay") {
    args.Fail("--only takes steps, e2e or replay");
  }
  if (args.failed() || flags.steps < 1 || flags.rounds < 1 || flags.reps < 1) {
    std::fprintf(stderr,
                 "%s\nusage: lmc-durable-bench [--steps N] [--rounds R] [--warmup W] [--reps N]"
                 " [--peer durable_peer.mjs [--node node] [--js-warmup W] [--js-reps N]]"
                 " [--event-ops K] [--e2e-executions E] [--no-e2e] [--only steps|e2e|replay]"
                 " [--smoke]\n",
                 args.error().c_str());
    return 2;
  }
  if (flags.smoke) return Smoke();
  absl::StatusOr<InvocationTempDir> dir = InvocationTempDir::Create("/tmp", std::nullopt);
  if (!dir.ok()) {
    std::fprintf(stderr, "%s\n", std::string(dir.status().message()).c_str());
    return 1;
  }
  const bool with_peer = !flags.peer.script.empty();
  std::printf("# lmc-durable-bench (load average at start: %s)\n", LoadAverage().c_str());
  const auto wants = [&](std::string_view part) {
    return flags.only.empty() || flags.only == part;
  };
  // Replay first: its figures depend on the allocator's state (see docs/PERFORMANCE.md), and a
  // fresh process is the state `--only replay` measures too.
  const int status = wants("replay") ? PrintReplay(flags, dir->path().string(), with_peer) : 0;
  if (wants("steps")) PrintStepCost(flags);
  if (wants("steps") && with_peer) PrintPeerStepCost(flags, dir->path().string());
  if (wants("e2e") && flags.e2e) PrintE2e(flags);
  std::printf("\n(load average at the end: %s)\n", LoadAverage().c_str());
  return status;
}

}  // namespace
}  // namespace lmc::bench

int main(int argc, char** argv) {
  const char* function_mode = std::getenv(lmc::bench::kFunctionModeVariable);
  if (function_mode != nullptr && std::string_view(function_mode) == "1") {
    lmc::bench::StepCounter bodies;  // outlives Run(), which serves until the process ends
    return lmc::Run(lmc::bench::BenchHandler(&bodies, {}));
  }
  return lmc::bench::Main(argc, argv);
}
