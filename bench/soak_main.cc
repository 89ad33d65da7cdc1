// lmc-soak: drives many invocations through the emulator into one bootstrap process and watches
// its resident memory, threads and open file descriptors, to catch leaks that only show over
// days of uptime. Every invocation must be answered exactly once.
//
//   lmc-soak --bootstrap build-release/runtime/bootstrap --invocations 1000000 --concurrency 64
//
// The run is split into --samples phases. After each phase the emulator holds back events until
// every loop is idle on /next, and only then samples the process, so counts of threads and
// descriptors are exact (no transient connection or temp-dir descriptors). The sample at 10% is
// the baseline
// (allocator pools, thread stacks and connection buffers are warm by then); the run fails
// (exit 1) if, at the end, RSS exceeds the baseline by more than --max-rss-growth-kb, or the
// thread or descriptor count differs from the baseline, or any invocation was not answered
// exactly once.
#include <signal.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/process_stats.h"
#include "lmc/json.h"
#include "lmc/strings.h"
#include "tools/emulator/command_support.h"
#include "tools/emulator/emulator.h"
#include "tools/emulator/subprocess.h"

namespace {

struct Options {
  std::string bootstrap = "build-release/runtime/bootstrap";
  std::string handler = "echo";
  std::string event = R"({"order":"o-1001","items":[1,2,3],"note":"soak"})";
  uint64_t invocations = 1'000'000;
  int concurrency = 64;
  int samples = 20;
  // 1 MiB over the measured part of a 50 000-invocation run catches any leak above ~22 bytes per
  // invocation, while leaving room for the allocator settling in.
  int64_t max_rss_growth_kb = 1024;
  std::string tmpdir = "/tmp";
  bool json = false;
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "lmc-soak: %s\nusage: lmc-soak [--bootstrap PATH] [--handler NAME] [--event JSON]\n"
               "  [--invocations N] [--concurrency N] [--samples N] [--max-rss-growth-kb KB] "
               "[--tmpdir DIR]\n"
               "  [--json]\n",
               why);
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  lmc::emulator::ArgReader args(argc, argv);
  const auto number = [&](std::string_view flag, uint64_t* out) {
    std::string v;
    if (!args.Value(flag, &v)) return false;
    if (!lmc::emulator::ParseUint(v, out)) {
      args.Fail(absl::StrCat(lmc::AsAbsl(flag), " wants a number"));
    }
    return true;
  };
  while (!args.done()) {
    uint64_t n = 0;
    if (args.Value("--bootstrap", &o.bootstrap) || args.Value("--handler", &o.handler) ||
        args.Value("--event", &o.event) || args.Value("--tmpdir", &o.tmpdir) ||
        number("--invocations", &o.invocations)) {
      continue;
    }
    if (number("--concurrency", &n)) {
      o.concurrency = static_cast<int>(std::min<uint64_t>(n, 1 << 20));
    } else if (number("--samples", &n)) {
      o.samples = static_cast<int>(std::clamp<uint64_t>(n, 2, 1 << 20));
    } else if (number("--max-rss-growth-kb", &n)) {
      o.max_rss_growth_kb = static_cast<int64_t>(std::min<uint64_t>(n, INT64_MAX));
    } else if (args.Switch("--json")) {
      o.json = true;
    } else {
      args.Fail(absl::StrCat("unknown flag ", lmc::AsAbsl(args.current())));
    }
  }
  if (args.failed()) Usage(args.error().c_str());
  if (o.invocations == 0 || o.concurrency < 1) {
    Usage("invocations and concurrency must be positive");
  }
  return o;
}

struct Sample {
  uint64_t closed = 0;
  double seconds = 0;
  lmc::bench::ProcessStats stats;
};

// What went wrong: an incomplete run, answers not exactly one per invocation, an unclean exit,
// or growth of RSS, threads or descriptors between the baseline sample and the last.
std::vector<std::string> Problems(const Options& options, bool completed,
                                  const lmc::emulator::Stats& final_stats, bool exited_cleanly,
                                  const std::vector<Sample>& samples) {
  std::vector<std::string> problems;
  if (!completed) problems.push_back("the run did not complete");
  if (final_stats.responses + final_stats.errors != options.invocations ||
      final_stats.duplicate_answers != 0 || final_stats.closed != options.invocations) {
    problems.push_back(absl::StrCat("answers: ", final_stats.responses, " responses + ",
                                    final_stats.errors, " errors, ", final_stats.duplicate_answers,
                                    " duplicates for ", options.invocations, " invocations"));
  }
  if (!exited_cleanly) problems.push_back("bootstrap did not exit 0 after SIGTERM");
  if (samples.size() < 2) return problems;
  const Sample& base = samples[samples.size() / 10];
  const Sample& last = samples.back();
  if (last.stats.rss_kb - base.stats.rss_kb > options.max_rss_growth_kb) {
    problems.push_back(
        absl::StrCat("RSS grew from ", base.stats.rss_kb, " KiB to ", last.stats.rss_kb, " KiB"));
  }
  if (last.stats.threads != base.stats.threads) {
    problems.push_back(
        absl::StrCat("threads went from ", base.stats.threads, " to ", last.stats.threads));
  }
  if (last.stats.fds != base.stats.fds) {
    problems.push_back(absl::StrCat("open fds went from ", base.stats.fds, " to ", last.stats.fds));
  }
  return problems;
}

// The summary: one JSON object with --json, else a line and one line per problem.
void Report(const Options& options, double seconds, const std::vector<Sample>& samples,
            const std::vector<std::string>& problems) {
  if (options.json) {
    std::string out;
    lmc::JsonWriter w(&out);
    w.BeginObject().Key("handler").String(options.handler);
    w.Key("invocations").Uint(options.invocations);
    w.Key("concurrency").Int(options.concurrency).Key("seconds").Raw(absl::StrCat(seconds));
    w.Key("samples").BeginArray();
    for (const Sample& s : samples) {
      w.BeginObject().Key("closed").Uint(s.closed).Key("rss_kb").Int(s.stats.rss_kb);
      w.Key("threads").Int(s.stats.threads).Key("fds").Int(s.stats.fds).EndObject();
    }
    w.EndArray().Key("problems").BeginArray();
    for (const std::string& p : problems) w.String(p);
    w.EndArray().Key("ok").Bool(problems.empty()).EndObject();
    std::printf("%s\n", out.c_str());
    return;
  }
  std::printf("lmc-soak: %llu invocations of %s at concurrency %d in %.1f s (%.0f/s): %s\n",
              static_cast<unsigned long long>(options.invocations), options.handler.c_str(),
              options.concurrency, seconds, static_cast<double>(options.invocations) / seconds,
              problems.empty() ? "no growth, every invocation answered once" : "FAILED");
  for (const std::string& p : problems) std::printf("  - %s\n", p.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = Parse(argc, argv);
  lmc::emulator::EmulatorOptions emulator_options;
  emulator_options.keep_records = false;  // Bounded memory for 10^6 invocations.
  lmc::emulator::Emulator emulator(emulator_options);
  if (!emulator.Start().ok()) return 1;
  const auto make_event = [&options](uint64_t) {
    lmc::emulator::EventSpec event;
    event.body = options.event;
    return event;
  };

  lmc::emulator::Subprocess::Options spawn;
  spawn.argv = {options.bootstrap};
  spawn.env = {absl::StrCat("AWS_LAMBDA_RUNTIME_API=", emulator.address()),
               absl::StrCat("_HANDLER=", options.handler),
               absl::StrCat("AWS_LAMBDA_MAX_CONCURRENCY=", options.concurrency),
               "AWS_LAMBDA_LOG_LEVEL=WARN", absl::StrCat("TMPDIR=", options.tmpdir)};
  spawn.capture_output = true;
  spawn.max_capture_bytes = 1 << 20;
  auto child = lmc::emulator::Subprocess::Start(spawn);
  if (!child.ok()) {
    std::fprintf(stderr, "lmc-soak: %s\n", child.status().ToString().c_str());
    return 1;
  }
  const absl::Time start = absl::Now();
  std::vector<Sample> samples;
  bool ok = true;
  uint64_t fed = 0;
  for (int k = 1; k <= options.samples; ++k) {
    const uint64_t target =
        options.invocations * static_cast<uint64_t>(k) / static_cast<uint64_t>(options.samples);
    emulator.SetGenerator(make_event, target - fed);
    fed = target;
    // Phase done and every loop idle on /next: the process is quiescent.
    const size_t loops = static_cast<size_t>(options.concurrency);
    if (!emulator.WaitFor(
            [&](const lmc::emulator::Stats& s) {
              return s.closed >= target && s.waiting_next >= loops;
            },
            absl::Minutes(30))) {
      std::fprintf(stderr, "lmc-soak: stalled at %llu closed invocations\n",
                   static_cast<unsigned long long>(emulator.stats().closed));
      ok = false;
      break;
    }
    auto stats = lmc::bench::ReadProcessStats((*child)->pid());
    if (!stats.ok()) {
      std::fprintf(stderr, "lmc-soak: bootstrap exited early:\n%s\n",
                   (*child)->stdout_text().c_str());
      ok = false;
      break;
    }
    samples.push_back({target, absl::ToDoubleSeconds(absl::Now() - start), *stats});
    if (!options.json) {
      std::printf("%10llu invocations %8.1f s  rss %6lld KiB  threads %4d  fds %4d  cpu %.2f s\n",
                  static_cast<unsigned long long>(target), samples.back().seconds,
                  static_cast<long long>(stats->rss_kb), stats->threads, stats->fds,
                  stats->user_s + stats->system_s);
      std::fflush(stdout);
    }
  }
  (*child)->Signal(SIGTERM).IgnoreError();
  const bool exited = (*child)->WaitForExit(absl::Seconds(30));
  const auto exit_status = (*child)->exit_status();
  const lmc::emulator::Stats final_stats = emulator.stats();

  const std::vector<std::string> problems = Problems(
      options, ok, final_stats, exited && exit_status.exited && exit_status.code == 0, samples);
  Report(options, absl::ToDoubleSeconds(absl::Now() - start), samples, problems);
  return problems.empty() ? 0 : 1;
}
