// lmc-inference-bench: the inference handler's throughput against the machine's limit, each
// figure next to its reference measured in the same run (the machines are shared and noisy:
// ratios mean more than bare rates).
//
//   lmc-inference-bench [--bootstrap build-release/handlers/inference/inference-bootstrap]
//                       [--echo build-release/runtime/bootstrap] [--repeat R] [--quick]
//                       [--only mlp|search] [--models small,large]
//                       [--python /usr/bin/python3] [--torch bench/torch_peer.py | --no-torch]
//
// mlp     per MLP (small: 512-1024-1024-10, 2.1 M parameters, 8.4 MB F32, cache-resident;
//         large: 1024-4096-4096-16, 21 M parameters, 84 MB), single-row invocations through the
//         emulator at N = 1, 16, 64:
//           batched  inv/s of inference-bootstrap with the batcher's defaults, and the mean
//                    batch it reached (its metrics line);
//           C        the same forward pass (the CPU backend's Run()) called in process at that
//                    batch size: rows/s, no runtime, no JSON;
//           F        the runtime's echo (`bootstrap`, handler echo) at the same N with the same
//                    event bytes: inv/s;
//           limit    1/(1/C + 1/F): both share the cores; fraction = batched / limit;
//           rows=1   LMC_BATCH_MAX_ROWS=1 inv/s (then its N = 64 / N = 16 ratio).
//         Then the PyTorch peer (bench/torch_peer.py, Debian's python3-torch) on the same file
//         at batch 1, 16, 64, alternated with lmc's in-process rate at the same batch, and lmc
//         end to end at N against PyTorch's bare forward pass at batch N.
// search  exact cosine search over 100 000 x 128 embeddings in process, queries/s at query
//         batches of 1, 16 and 64: the CPU backend next to FAISS IndexFlatIP (same normalised
//         data, same queries, same k) when lmc was built with FAISS.
//
// With --repeat R every measurement of a model runs R times, interleaved (batched, echo, C,
// unbatched, then again), and the tables give the median and the range.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "bench/inference_bench_search.h"
#include "bench/runtime_rate.h"
#include "handlers/inference/cpu_backend.h"
#include "handlers/inference/model.h"
#include "handlers/inference/safetensors_writer.h"
#include "tools/emulator/subprocess.h"

namespace {

using lmc::bench::MeasureRuntimeRate;
using lmc::bench::RuntimeRate;
using lmc::inference::TestRandom;

constexpr int kConcurrencies[] = {1, 16, 64};

struct Options {
  std::string bootstrap = "build-release/handlers/inference/inference-bootstrap";
  std::string echo = "build-release/runtime/bootstrap";
  std::string python = "/usr/bin/python3";
  std::string torch = "bench/torch_peer.py";  // empty: no PyTorch peer
  std::vector<std::string> models = {"small", "large"};
  int repeat = 1;
  double seconds = 2.0;  // per runtime measurement
  std::string only;
};

struct MlpModel {
  std::string name;
  std::vector<int64_t> widths;
  std::filesystem::path path;
};

// A sample's median, min and max.
struct Spread {
  double median = NAN;
  double min = NAN;
  double max = NAN;
};

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

// "1234" or "1234 (1200-1300)" when repeated.
std::string Show(const Spread& s, int decimals = 0) {
  if (std::isnan(s.median)) return "-";
  const auto f = [decimals](double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, v);
    return std::string(buffer);
  };
  if (std::isnan(s.min) || s.min == s.max) return f(s.median);
  return absl::StrCat(f(s.median), " (", f(s.min), "-", f(s.max), ")");
}

// Rows per second of `backend` on batches of `batch` rows drawn from `inputs`: best of three
// passes of about 0.1 s each, after a warm-up call.
double ForwardRowsPerSecond(lmc::inference::Backend& backend, const std::vector<float>& inputs,
                            size_t width, size_t batch) {
  lmc::inference::BatchOutput out;
  const size_t pool = inputs.size() / width;
  (void)backend.Run(inputs.data(), batch, 0, out);
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    size_t rows = 0;
    size_t first = 0;
    const auto start = std::chrono::steady_clock::now();
    double seconds = 0;
    int calls = 0;
    while (seconds < 0.1 || calls < 3) {
      if (first + batch > pool) first = 0;
      (void)backend.Run(inputs.data() + first * width, batch, 0, out);
      first += batch;
      rows += batch;
      ++calls;
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    best = std::max(best, static_cast<double>(rows) / seconds);
  }
  return best;
}

// PyTorch's rows/s per batch size on `model`, from bench/torch_peer.py; empty when it cannot
// run (no python3-torch: the caller says so).
std::map<size_t, double> TorchRowsPerSecond(const Options& options, const MlpModel& model,
                                            std::string* version) {
  std::map<size_t, double> rates;
  lmc::emulator::Subprocess::Options spawn;
  spawn.argv = {options.python, options.torch, "--mlp",     model.path.string(),
                "--batches",    "1,16,64",     "--seconds", options.seconds >= 2 ? "1.5" : "0.6"};
  spawn.merge_stderr = true;
  absl::StatusOr<std::unique_ptr<lmc::emulator::Subprocess>> child =
      lmc::emulator::Subprocess::Start(spawn);
  if (!child.ok() || !(*child)->WaitForExit(absl::Minutes(5))) return rates;
  for (absl::string_view line : absl::StrSplit((*child)->stdout_text(), '\n')) {
    if (absl::ConsumePrefix(&line, "torch ")) {
      *version = std::string(line);
      continue;
    }
    // "mlp batch=B rows_per_s=R threads=T"
    if (!absl::ConsumePrefix(&line, "mlp ")) continue;
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

// One N's samples over the repetitions.
struct MlpRow {
  std::vector<double> batched, mean_batch, batched_cpu_us, c, f, limit, fraction, single;
};

// 64 distinct single-row events of `width` numbers, cycled by the emulator.
std::vector<std::string> SingleRowEvents(int64_t width) {
  std::vector<std::string> events;
  TestRandom random(42);
  for (int e = 0; e < 64; ++e) {
    std::string body = "{\"inputs\":[[";
    for (int64_t j = 0; j < width; ++j) absl::StrAppend(&body, j == 0 ? "" : ",", random.Next());
    body += "]]}";
    events.push_back(std::move(body));
  }
  return events;
}

RuntimeRate RunInference(const Options& options, const MlpModel& model, int concurrency,
                         bool batched, const std::vector<std::string>& events) {
  std::vector<std::string> env = {"_HANDLER=inference",
                                  absl::StrCat("LMC_MODEL=", model.path.string()),
                                  "LMC_INFERENCE_DEVICE=cpu", "LMC_BATCH_METRICS_MS=200"};
  if (!batched) env.push_back("LMC_BATCH_MAX_ROWS=1");
  return MeasureRuntimeRate({.binary = options.bootstrap,
                             .env = std::move(env),
                             .concurrency = concurrency,
                             .events = events,
                             .warmup = static_cast<uint64_t>(concurrency) * 4 + 20,
                             .seconds = options.seconds});
}

RuntimeRate RunEcho(const Options& options, int concurrency,
                    const std::vector<std::string>& events) {
  return MeasureRuntimeRate({.binary = options.echo,
                             .env = {"_HANDLER=echo"},
                             .concurrency = concurrency,
                             .events = events,
                             .warmup = static_cast<uint64_t>(concurrency) * 4 + 20,
                             .seconds = options.seconds});
}

double MeanBatch(const RuntimeRate& run) {
  double mean = lmc::bench::LastMetric(run.logs, "inference batcher:", "total_mean_batch_size");
  if (std::isnan(mean)) {  // a bootstrap from before handlers/batching
    mean = lmc::bench::LastMetric(run.logs, "inference batcher:", "total_mean_batch_rows");
  }
  return mean;
}

int BenchMlp(const Options& options, const MlpModel& model) {
  absl::StatusOr<std::unique_ptr<lmc::inference::Model>> loaded =
      lmc::inference::Model::Load(model.path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<lmc::inference::Backend> cpu = lmc::inference::CreateCpuBackend(**loaded);
  const auto width = static_cast<size_t>(model.widths.front());
  std::vector<float> inputs(256 * width);
  TestRandom random(7);
  for (float& v : inputs) v = random.Next();
  const std::vector<std::string> events = SingleRowEvents(model.widths.front());

  std::map<int, MlpRow> rows;
  std::map<size_t, std::vector<double>> lmc_rate;
  std::map<size_t, std::vector<double>> torch_rate;
  std::string torch_version;
  int failed = 0;
  for (int rep = 0; rep < options.repeat; ++rep) {
    for (int n : kConcurrencies) {
      MlpRow& row = rows[n];
      const RuntimeRate batched = RunInference(options, model, n, true, events);
      const RuntimeRate echo = RunEcho(options, n, events);
      const RuntimeRate single = RunInference(options, model, n, false, events);
      if (!batched.ok || !echo.ok || !single.ok) {
        std::fprintf(stderr, "%s N=%d failed: %s %s %s\n", model.name.c_str(), n,
                     batched.error.c_str(), echo.error.c_str(), single.error.c_str());
        failed = 1;
        continue;
      }
      const double mean = MeanBatch(batched);
      const size_t batch = std::max<size_t>(1, static_cast<size_t>(std::lround(mean)));
      const double c = ForwardRowsPerSecond(*cpu, inputs, width, std::min<size_t>(batch, 256));
      const double limit = 1 / (1 / c + 1 / echo.per_second);
      row.batched.push_back(batched.per_second);
      row.mean_batch.push_back(mean);
      row.batched_cpu_us.push_back(batched.cpu_us_per_invocation);
      row.c.push_back(c);
      row.f.push_back(echo.per_second);
      row.limit.push_back(limit);
      row.fraction.push_back(batched.per_second / limit);
      row.single.push_back(single.per_second);
    }
    if (!options.torch.empty()) {
      // lmc in process, PyTorch, lmc again: the two share the same minutes.
      for (size_t batch : {size_t{1}, size_t{16}, size_t{64}}) {
        lmc_rate[batch].push_back(ForwardRowsPerSecond(*cpu, inputs, width, batch));
      }
      for (const auto& [batch, rate] : TorchRowsPerSecond(options, model, &torch_version)) {
        torch_rate[batch].push_back(rate);
      }
      for (size_t batch : {size_t{1}, size_t{16}, size_t{64}}) {
        lmc_rate[batch].push_back(ForwardRowsPerSecond(*cpu, inputs, width, batch));
      }
    }
  }

  std::string shape;
  for (int64_t w : model.widths) absl::StrAppend(&shape, shape.empty() ? "" : "-", w);
  std::printf("\nmlp %s (%s, gelu, softmax), single-row invocations, CPU (OpenBLAS); %d run%s\n",
              model.name.c_str(), shape.c_str(), options.repeat, options.repeat > 1 ? "s" : "");
  std::printf("%-4s %-22s %-16s %-24s %-22s %-22s %-22s %-16s\n", "N", "batched inv/s",
              "mean batch", "C rows/s @batch", "F echo inv/s", "limit inv/s", "fraction",
              "runtime us/inv");
  for (int n : kConcurrencies) {
    const MlpRow& row = rows[n];
    std::printf("%-4d %-22s %-16s %-24s %-22s %-22s %-22s %-16s\n", n,
                Show(SpreadOf(row.batched)).c_str(), Show(SpreadOf(row.mean_batch), 1).c_str(),
                Show(SpreadOf(row.c)).c_str(), Show(SpreadOf(row.f)).c_str(),
                Show(SpreadOf(row.limit)).c_str(), Show(SpreadOf(row.fraction), 3).c_str(),
                Show(SpreadOf(row.batched_cpu_us)).c_str());
  }
  std::printf("LMC_BATCH_MAX_ROWS=1 inv/s: N=1 %s, N=16 %s, N=64 %s; N=64 / N=16 = %s\n",
              Show(SpreadOf(rows[1].single)).c_str(), Show(SpreadOf(rows[16].single)).c_str(),
              Show(SpreadOf(rows[64].single)).c_str(),
              Show(SpreadOf([&] {
                     std::vector<double> ratio;
                     for (size_t i = 0;
                          i < std::min(rows[16].single.size(), rows[64].single.size()); ++i) {
                       ratio.push_back(rows[64].single[i] / rows[16].single[i]);
                     }
                     return ratio;
                   }()),
                   3)
                  .c_str());
  if (options.torch.empty()) return failed;
  if (torch_rate.empty()) {
    std::printf("PyTorch peer: did not run (%s %s): %s\n", options.python.c_str(),
                options.torch.c_str(), torch_version.c_str());
    return failed;
  }
  std::printf("vs PyTorch (%s), rows/s in process, same weights, same batch:\n",
              torch_version.c_str());
  std::printf("%-6s %-22s %-22s %-18s %-22s %-18s\n", "batch", "lmc forward", "torch forward",
              "lmc/torch", "lmc e2e at N=batch", "e2e/torch");
  for (size_t batch : {size_t{1}, size_t{16}, size_t{64}}) {
    const Spread ours = SpreadOf(lmc_rate[batch]);
    const Spread theirs = SpreadOf(torch_rate[batch]);
    const Spread e2e = SpreadOf(rows[static_cast<int>(batch)].batched);
    std::printf("%-6zu %-22s %-22s %-18s %-22s %-18s\n", batch, Show(ours).c_str(),
                Show(theirs).c_str(), Show({ours.median / theirs.median, NAN, NAN}, 2).c_str(),
                Show(e2e).c_str(), Show({e2e.median / theirs.median, NAN, NAN}, 2).c_str());
  }
  return failed;
}

int BenchMlps(const Options& options, const std::filesystem::path& dir) {
  const std::map<std::string, std::vector<int64_t>> shapes = {{"small", {512, 1024, 1024, 10}},
                                                              {"large", {1024, 4096, 4096, 16}}};
  int failed = 0;
  for (const std::string& name : options.models) {
    const auto shape = shapes.find(name);
    if (shape == shapes.end()) {
      std::fprintf(stderr, "unknown model %s (small, large)\n", name.c_str());
      return 2;
    }
    MlpModel model{name, shape->second, dir / absl::StrCat("mlp-", name, ".safetensors")};
    if (!lmc::inference::WriteFile(model.path, lmc::inference::WriteSafetensors(
                                                   lmc::inference::MakeMlp({.widths = model.widths,
                                                                            .activation = "gelu",
                                                                            .head = "softmax",
                                                                            .scale = 0.05F})))
             .ok()) {
      std::fprintf(stderr, "cannot write %s\n", model.path.c_str());
      return 1;
    }
    failed |= BenchMlp(options, model);
  }
  return failed;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--bootstrap" && has_value) {
      options.bootstrap = argv[++i];
    } else if (arg == "--echo" && has_value) {
      options.echo = argv[++i];
    } else if (arg == "--python" && has_value) {
      options.python = argv[++i];
    } else if (arg == "--torch" && has_value) {
      options.torch = argv[++i];
    } else if (arg == "--no-torch") {
      options.torch.clear();
    } else if (arg == "--models" && has_value) {
      options.models = absl::StrSplit(argv[++i], ',');
    } else if (arg == "--repeat" && has_value && absl::SimpleAtoi(argv[i + 1], &options.repeat) &&
               options.repeat >= 1) {
      ++i;
    } else if (arg == "--quick") {
      options.seconds = 0.7;
    } else if (arg == "--only" && has_value) {
      options.only = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: lmc-inference-bench [--bootstrap PATH] [--echo PATH] [--repeat R] "
                   "[--quick] [--only mlp|search] [--models small,large] [--python PATH] "
                   "[--torch SCRIPT | --no-torch]\n");
      return 2;
    }
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("lmc-inference-bench-", ::getpid());
  std::filesystem::create_directories(dir);
  int failed = 0;
  if (options.only.empty() || options.only == "mlp") failed |= BenchMlps(options, dir);
  if (options.only.empty() || options.only == "search") {
    failed |= lmc::bench::BenchSearch(options.seconds < 1 ? 0.25 : 1.0, dir);
  }
  std::filesystem::remove_all(dir);
  return failed;
}
