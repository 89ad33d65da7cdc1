// lmc-startup-bench: exec -> first `GET /next` of several runtimes, measured side by side in one
// run against the same in-process Runtime API emulator, next to a floor (lmc-startup-floor, a
// bare C program that connects and asks for /next at once).
//
//   lmc-startup-bench --floor build-release/bench/lmc-startup-floor
//       --run "lmc bare=build-release/runtime/bootstrap"
//       --lambda-run "lmc packaged=/tmp/stage/bootstrap" [--runs 21] [--concurrency 1,64]
//
// (one command line; bench/startup runs it with the packaged bootstrap staged for this machine)
//
// One sample = a fresh emulator, the binary spawned (posix_spawn) with a Lambda-like environment
// (_HANDLER=echo, AWS_LAMBDA_MAX_CONCURRENCY=N, ...), then SIGTERM. Two times from just before
// the spawn: to the emulator's receipt of the first complete /next request ("first /next"), and
// to the moment Lambda would end init and hand out the first event ("init done": the first /next
// and every registered extension's first event/next, e.g. lmc's internal SIGTERM extension).
// Samples alternate: for each round, each N, every binary once, starting with a different binary
// each round, so that a slow phase of the shared machine spreads over all of them. --lambda-run
// binaries also get Lambda's LD_LIBRARY_PATH (provided.al2023's value), as a packaged bootstrap
// does on Lambda.
//
// Prints, per binary and N, the median and quartiles and the median's difference to and ratio
// over the floor's median at the same N. Timing goals are read from these side-by-side figures,
// never from absolute times (bench/README.md).
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "lmc/json.h"
#include "lmc/strings.h"
#include "tools/emulator/command_support.h"
#include "tools/emulator/emulator.h"
#include "tools/emulator/subprocess.h"

namespace {

using lmc::emulator::Emulator;
using lmc::emulator::Subprocess;

// provided.al2023's LD_LIBRARY_PATH for a function (the Lambda documentation's value).
constexpr char kLambdaLibraryPath[] =
    "LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:"
    "/var/task/lib:/opt/lib";

struct Sample {
  double first_next_ms = -1;  // negative: no /next within 30 s
  double init_done_ms = -1;
};

struct Binary {
  std::string name;
  std::string path;
  bool lambda_env = false;
  std::vector<std::vector<Sample>> samples;  // per concurrency
};

// One start of `binary` at concurrency `n`.
Sample StartOnce(const Binary& binary, int n) {
  Sample sample;
  Emulator emulator;
  if (!emulator.Start().ok()) return sample;
  Subprocess::Options spawn;
  spawn.argv = {binary.path};
  spawn.env = {absl::StrCat("AWS_LAMBDA_RUNTIME_API=", emulator.address()),
               "_HANDLER=echo",
               absl::StrCat("AWS_LAMBDA_MAX_CONCURRENCY=", n),
               "TMPDIR=/tmp",
               "LAMBDA_TASK_ROOT=/tmp",
               "AWS_LAMBDA_FUNCTION_NAME=startup",
               "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
               "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=2048",
               "AWS_REGION=us-east-1"};
  if (binary.lambda_env) spawn.env.emplace_back(kLambdaLibraryPath);
  spawn.output_path = "/dev/null";
  const absl::Time spawned = absl::Now();
  absl::StatusOr<std::unique_ptr<Subprocess>> child = Subprocess::Start(std::move(spawn));
  if (!child.ok()) return sample;
  // Registration closes at the first /next, so every extension is known by then; init ends when
  // each has also called event/next.
  if (emulator.WaitForWaitingNext(1, absl::Seconds(30)) && emulator.WaitFor(
                                                               [](const lmc::emulator::Stats& s) {
                                                                 return s.extension_next_calls >=
                                                                        s.extension_registrations;
                                                               },
                                                               absl::Seconds(30))) {
    const lmc::emulator::Stats stats = emulator.stats();
    sample.first_next_ms = absl::ToDoubleMilliseconds(stats.first_next_at - spawned);
    const absl::Time done = stats.extension_registrations > 0
                                ? std::max(stats.first_next_at, stats.last_extension_next_at)
                                : stats.first_next_at;
    sample.init_done_ms = absl::ToDoubleMilliseconds(done - spawned);
  }
  (*child)->Signal(SIGTERM).IgnoreError();
  if (!(*child)->WaitForExit(absl::Seconds(10))) (*child)->Signal(SIGKILL).IgnoreError();
  return sample;
}

// The sorted values of one metric of `samples`.
std::vector<double> Sorted(const std::vector<Sample>& samples, double Sample::*metric) {
  std::vector<double> values;
  values.reserve(samples.size());
  for (const Sample& s : samples) values.push_back(s.*metric);
  std::sort(values.begin(), values.end());
  return values;
}

// The q-quantile (0..1) of `values` by nearest rank; values must be sorted and non-empty.
double Quantile(const std::vector<double>& values, double q) {
  const auto index = static_cast<size_t>(std::lround(q * static_cast<double>(values.size() - 1)));
  return values[std::min(index, values.size() - 1)];
}

struct Options {
  std::vector<Binary> binaries;  // the floor first
  int runs = 21;
  std::vector<int> concurrency = {1, 64};
  std::string json_path;
};

// Parses NAME=PATH into a Binary; false when either side is empty.
bool ParseBinary(const std::string& spec, bool lambda_env, Binary* binary) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) return false;
  *binary = Binary{spec.substr(0, eq), spec.substr(eq + 1), lambda_env, {}};
  return true;
}

bool ParseArgs(int argc, char** argv, Options* options) {
  lmc::emulator::ArgReader args(argc, argv);
  std::string floor, runs, concurrency;
  std::vector<std::string> plain, lambda;
  while (!args.done()) {
    if (args.Value("--floor", &floor) || args.Value("--runs", &runs) ||
        args.Value("--concurrency", &concurrency) || args.Value("--json", &options->json_path) ||
        args.Values("--run", &plain) || args.Values("--lambda-run", &lambda)) {
      continue;
    }
    args.Fail(absl::StrCat("unknown argument: ", lmc::AsAbsl(args.current())));
  }
  if (args.failed()) {
    std::fprintf(stderr, "lmc-startup-bench: %s\n", args.error().c_str());
    return false;
  }
  if (floor.empty()) {
    std::fprintf(stderr, "lmc-startup-bench: --floor PATH is required\n");
    return false;
  }
  options->binaries.push_back(Binary{"floor (C)", floor, false, {}});
  for (const auto& [specs, lambda_env] : {std::pair{&plain, false}, std::pair{&lambda, true}}) {
    for (const std::string& spec : *specs) {
      Binary binary;
      if (!ParseBinary(spec, lambda_env, &binary)) {
        std::fprintf(stderr, "lmc-startup-bench: expected NAME=PATH, got \"%s\"\n", spec.c_str());
        return false;
      }
      options->binaries.push_back(std::move(binary));
    }
  }
  if (!runs.empty() && (!absl::SimpleAtoi(runs, &options->runs) || options->runs < 1)) {
    std::fprintf(stderr, "lmc-startup-bench: --runs needs a positive count\n");
    return false;
  }
  if (!concurrency.empty()) {
    options->concurrency.clear();
    for (absl::string_view part : absl::StrSplit(concurrency, ',')) {
      int n = 0;
      if (!absl::SimpleAtoi(part, &n) || n < 1) {
        std::fprintf(stderr, "lmc-startup-bench: --concurrency takes N[,N...], N >= 1\n");
        return false;
      }
      options->concurrency.push_back(n);
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseArgs(argc, argv, &options)) {
    std::fprintf(stderr,
                 "usage: lmc-startup-bench --floor PATH [--run NAME=PATH ...]\n"
                 "         [--lambda-run NAME=PATH ...] [--runs R] [--concurrency N[,N...]]\n"
                 "         [--json FILE]\n");
    return 2;
  }
  std::vector<Binary>& binaries = options.binaries;
  const size_t levels = options.concurrency.size();
  for (Binary& binary : binaries) binary.samples.resize(levels);
  int failures = 0;
  for (int round = 0; round < options.runs; ++round) {
    for (size_t level = 0; level < levels; ++level) {
      for (size_t k = 0; k < binaries.size(); ++k) {
        Binary& binary = binaries[(k + static_cast<size_t>(round)) % binaries.size()];
        const Sample sample = StartOnce(binary, options.concurrency[level]);
        if (sample.first_next_ms < 0) {
          ++failures;
          continue;
        }
        binary.samples[level].push_back(sample);
      }
    }
  }

  std::printf(
      "exec -> first GET /next and -> init done, %d alternating starts each (ms; median and\n"
      "quartiles of first /next, then its median minus and over the floor's; init done median)\n",
      options.runs);
  std::printf("%-16s %5s %8s %8s %8s %9s %8s %10s\n", "binary", "N", "median", "p25", "p75",
              "- floor", "/ floor", "init done");
  std::string json;
  lmc::JsonWriter w(&json);
  w.BeginObject().Key("runs").Int(options.runs).Key("results").BeginArray();
  for (size_t level = 0; level < levels; ++level) {
    const std::vector<double> floor = Sorted(binaries[0].samples[level], &Sample::first_next_ms);
    const double floor_median = floor.empty() ? 0 : Quantile(floor, 0.5);
    for (Binary& binary : binaries) {
      if (binary.samples[level].empty()) continue;
      const std::vector<double> s = Sorted(binary.samples[level], &Sample::first_next_ms);
      const std::vector<double> done = Sorted(binary.samples[level], &Sample::init_done_ms);
      const double median = Quantile(s, 0.5);
      std::printf("%-16s %5d %8.2f %8.2f %8.2f %+9.2f %8.2f %10.2f\n", binary.name.c_str(),
                  options.concurrency[level], median, Quantile(s, 0.25), Quantile(s, 0.75),
                  median - floor_median, floor_median > 0 ? median / floor_median : 0,
                  Quantile(done, 0.5));
      w.BeginObject().Key("binary").String(binary.name).Key("path").String(binary.path);
      w.Key("concurrency").Int(options.concurrency[level]).Key("samples").Uint(s.size());
      w.Key("median_ms").Double(median);
      w.Key("p25_ms").Double(Quantile(s, 0.25));
      w.Key("p75_ms").Double(Quantile(s, 0.75));
      w.Key("minus_floor_ms").Double(median - floor_median);
      w.Key("init_done_median_ms").Double(Quantile(done, 0.5)).EndObject();
    }
  }
  w.EndArray().Key("failed_starts").Int(failures).EndObject();
  if (failures > 0) std::printf("%d starts did not reach /next within 30 s\n", failures);
  if (!options.json_path.empty()) {
    if (FILE* f = std::fopen(options.json_path.c_str(), "w")) {
      std::fprintf(f, "%s\n", json.c_str());
      std::fclose(f);
    }
  }
  return failures == 0 ? 0 : 1;
}
