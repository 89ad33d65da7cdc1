#include <cblas.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string_view>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "bench/inference_bench.h"
#include "tools/emulator/subprocess.h"

namespace lmc::bench {
namespace {

double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

}  // namespace

Spread SpreadOf(std::vector<double> samples) {
  samples.erase(
      std::remove_if(samples.begin(), samples.end(), [](double v) { return std::isnan(v); }),
      samples.end());
  if (samples.empty()) return {};
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  const double median = n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  return {median, samples.front(), samples.back()};
}

std::string Show(const Spread& spread, int decimals) {
  if (std::isnan(spread.median)) return "-";
  const auto f = [decimals](double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, v);
    return std::string(buffer);
  };
  if (std::isnan(spread.min) || spread.min == spread.max) return f(spread.median);
  return absl::StrCat(f(spread.median), " (", f(spread.min), "-", f(spread.max), ")");
}

Forward MeasureForward(size_t batch, const std::function<void()>& run) {
  run();
  Forward best{0, INFINITY};
  for (int pass = 0; pass < 3; ++pass) {
    size_t rows = 0;
    const auto start = std::chrono::steady_clock::now();
    const double cpu = ProcessCpuSeconds();
    double seconds = 0;
    int calls = 0;
    // At least 0.1 s and three calls, unless the calls are long (a BERT batch of 64 texts).
    while (seconds < 0.1 || (calls < 3 && seconds < 1.0)) {
      run();
      rows += batch;
      ++calls;
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    const auto n = static_cast<double>(rows);
    best.rows_per_second = std::max(best.rows_per_second, n / seconds);
    best.cpu_us_per_row = std::min(best.cpu_us_per_row, (ProcessCpuSeconds() - cpu) * 1e6 / n);
  }
  return best;
}

std::vector<std::string> OpenBlasEnvironment() {
  std::vector<std::string> out;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view variable(*entry);
    if (variable.starts_with("OPENBLAS_") || variable.starts_with("GOTO_")) {
      out.emplace_back(variable);
    }
  }
  return out;
}

std::string OpenBlasCore() { return openblas_get_corename(); }

std::map<size_t, double> RunTorchPeer(const InferenceBenchOptions& options,
                                      const std::vector<std::string>& model_args,
                                      const std::string& kind, std::string* version) {
  std::map<size_t, double> rates;
  emulator::Subprocess::Options spawn;
  spawn.argv = {options.python, options.torch};
  spawn.argv.insert(spawn.argv.end(), model_args.begin(), model_args.end());
  for (const char* arg : {"--batches", "1,16,64", "--seconds"}) spawn.argv.emplace_back(arg);
  spawn.argv.emplace_back(options.seconds >= 2 ? "1.5" : "0.6");
  spawn.merge_stderr = true;
  absl::StatusOr<std::unique_ptr<emulator::Subprocess>> child = emulator::Subprocess::Start(spawn);
  if (!child.ok()) {
    *version = child.status().ToString();
    return rates;
  }
  if (!(*child)->WaitForExit(absl::Minutes(10))) {
    *version = "did not finish in 10 minutes";
    return rates;
  }
  const std::string prefix = kind + " ";
  for (absl::string_view line : absl::StrSplit((*child)->stdout_text(), '\n')) {
    if (absl::ConsumePrefix(&line, "torch ")) {
      *version = std::string(line);
      continue;
    }
    // "<kind> batch=B rows_per_s=R threads=T"
    if (!absl::ConsumePrefix(&line, prefix)) continue;
    std::map<std::string, std::string> fields;
    for (absl::string_view field : absl::StrSplit(line, ' ')) {
      const std::pair<std::string, std::string> kv = absl::StrSplit(field, '=');
      fields[kv.first] = kv.second;
    }
    size_t batch = 0;
    double rate = 0;
    if (absl::SimpleAtoi(fields["batch"], &batch) &&
        absl::SimpleAtod(fields["rows_per_s"], &rate)) {
      rates[batch] = rate;
    }
  }
  if (rates.empty()) *version = (*child)->stdout_text().substr(0, 300);
  return rates;
}

}  // namespace lmc::bench
