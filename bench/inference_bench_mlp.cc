// lmc-inference-bench's MLP tables (see inference_bench_main.cc): throughput through the
// runtime as a fraction of the machine's limit, the unbatched mode, and the PyTorch peer.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/inference_bench.h"
#include "bench/runtime_rate.h"
#include "handlers/inference/cpu_backend.h"
#include "handlers/inference/model.h"
#include "handlers/inference/safetensors_writer.h"

namespace lmc::bench {
namespace {

using inference::TestRandom;

struct MlpModel {
  std::string name;
  std::vector<int64_t> widths;
  std::filesystem::path path;
};

// The CPU backend's forward pass on batches of `batch` rows drawn in turn from `inputs`.
Forward ForwardOf(inference::Backend& backend, const std::vector<float>& inputs, size_t width,
                  size_t batch) {
  inference::BatchOutput out;
  const size_t pool = inputs.size() / width;
  size_t first = 0;
  return MeasureForward(batch, [&] {
    if (first + batch > pool) first = 0;
    (void)backend.Run(inputs.data() + first * width, batch, 0, out);
    first += batch;
  });
}

// One N's samples over the repetitions.
struct MlpRow {
  std::vector<double> batched, mean_batch, c, f, limit, fraction, single;
  // CPU per invocation (bootstrap + emulator) batched; the forward's per row plus echo's; ratio.
  std::vector<double> batched_cpu, ideal_cpu, cpu_fraction;
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

RuntimeRate RunInference(const InferenceBenchOptions& options, const MlpModel& model,
                         int concurrency, bool batched, const std::vector<std::string>& events) {
  std::vector<std::string> env = {"_HANDLER=inference",
                                  absl::StrCat("LMC_MODEL=", model.path.string()),
                                  "LMC_INFERENCE_DEVICE=cpu", "LMC_BATCH_METRICS_MS=200"};
  if (!batched) env.push_back("LMC_BATCH_MAX_ROWS=1");
  for (std::string& variable : OpenBlasEnvironment()) env.push_back(std::move(variable));
  return MeasureRuntimeRate({.binary = options.bootstrap,
                             .env = std::move(env),
                             .concurrency = concurrency,
                             .events = events,
                             .warmup = static_cast<uint64_t>(concurrency) * 4 + 20,
                             .seconds = options.seconds});
}

RuntimeRate RunEcho(const InferenceBenchOptions& options, int concurrency,
                    const std::vector<std::string>& events) {
  return MeasureRuntimeRate({.binary = options.echo,
                             .env = {"_HANDLER=echo"},
                             .concurrency = concurrency,
                             .events = events,
                             .warmup = static_cast<uint64_t>(concurrency) * 4 + 20,
                             .seconds = options.seconds});
}

double MeanBatch(const RuntimeRate& run) {
  double mean = LastMetric(run.logs, "inference batcher:", "total_mean_batch_size");
  if (std::isnan(mean)) {  // a bootstrap from before handlers/batching
    mean = LastMetric(run.logs, "inference batcher:", "total_mean_batch_rows");
  }
  return mean;
}

// The forward pass's inputs: 256 random rows of the model's width, cycled.
struct MlpInputs {
  inference::Backend* cpu = nullptr;
  std::vector<float> rows;
  size_t width = 0;
};

// N = `n` batched, echo and unbatched, one sample each into `row`, against the forward pass in
// process at the batch reached.
bool MeasureMlpRow(const InferenceBenchOptions& options, const MlpModel& model, int n,
                   const std::vector<std::string>& events, const MlpInputs& in, MlpRow& row) {
  const RuntimeRate batched = RunInference(options, model, n, true, events);
  const RuntimeRate echo = RunEcho(options, n, events);
  const RuntimeRate single = RunInference(options, model, n, false, events);
  if (!batched.ok || !echo.ok || !single.ok) {
    std::fprintf(stderr, "%s N=%d failed: %s %s %s\n", model.name.c_str(), n, batched.error.c_str(),
                 echo.error.c_str(), single.error.c_str());
    return false;
  }
  const double mean = MeanBatch(batched);
  const size_t batch = std::max<size_t>(1, static_cast<size_t>(std::lround(mean)));
  const Forward forward = ForwardOf(*in.cpu, in.rows, in.width, std::min<size_t>(batch, 256));
  const double c = forward.rows_per_second;
  const double limit = 1 / (1 / c + 1 / echo.per_second);
  const double batched_cpu = batched.cpu_us_per_invocation + batched.driver_cpu_us_per_invocation;
  const double ideal_cpu =
      forward.cpu_us_per_row + echo.cpu_us_per_invocation + echo.driver_cpu_us_per_invocation;
  row.batched.push_back(batched.per_second);
  row.mean_batch.push_back(mean);
  row.batched_cpu.push_back(batched_cpu);
  row.ideal_cpu.push_back(ideal_cpu);
  row.cpu_fraction.push_back(ideal_cpu / batched_cpu);
  row.c.push_back(c);
  row.f.push_back(echo.per_second);
  row.limit.push_back(limit);
  row.fraction.push_back(batched.per_second / limit);
  row.single.push_back(single.per_second);
  return true;
}

// Rows/s in process per batch size, lmc's and the PyTorch peer's, over the repetitions.
struct PeerSamples {
  std::map<size_t, std::vector<double>> lmc, torch;
  std::string torch_version;
};

// lmc in process, PyTorch, lmc again: the two share the same minutes.
void MeasureAgainstTorch(const InferenceBenchOptions& options, const MlpModel& model,
                         const MlpInputs& in, PeerSamples& peer) {
  const auto measure_lmc = [&] {
    for (size_t batch : {size_t{1}, size_t{16}, size_t{64}}) {
      peer.lmc[batch].push_back(ForwardOf(*in.cpu, in.rows, in.width, batch).rows_per_second);
    }
  };
  measure_lmc();
  for (const auto& [batch, rate] :
       RunTorchPeer(options, {"--mlp", model.path.string()}, "mlp", &peer.torch_version)) {
    peer.torch[batch].push_back(rate);
  }
  measure_lmc();
}

// N=64 / N=16 of the unbatched rate, per repetition.
std::vector<double> UnbatchedRatios(std::map<int, MlpRow>& rows) {
  std::vector<double> ratio;
  for (size_t i = 0; i < std::min(rows[16].single.size(), rows[64].single.size()); ++i) {
    ratio.push_back(rows[64].single[i] / rows[16].single[i]);
  }
  return ratio;
}

void PrintMlpTables(const InferenceBenchOptions& options, const MlpModel& model,
                    std::map<int, MlpRow>& rows) {
  std::string shape;
  for (int64_t w : model.widths) absl::StrAppend(&shape, shape.empty() ? "" : "-", w);
  std::printf("\nmlp %s (%s, gelu, softmax), single-row invocations, CPU (OpenBLAS); %d run%s\n",
              model.name.c_str(), shape.c_str(), options.repeat, options.repeat > 1 ? "s" : "");
  std::printf("%-4s %-20s %-16s %-20s %-20s %-20s %-20s\n", "N", "batched inv/s", "mean batch",
              "C rows/s @batch", "F echo inv/s", "limit inv/s", "fraction");
  for (int n : kConcurrencies) {
    const MlpRow& row = rows[n];
    std::printf("%-4d %-20s %-16s %-20s %-20s %-20s %-20s\n", n,
                Show(SpreadOf(row.batched)).c_str(), Show(SpreadOf(row.mean_batch), 1).c_str(),
                Show(SpreadOf(row.c)).c_str(), Show(SpreadOf(row.f)).c_str(),
                Show(SpreadOf(row.limit)).c_str(), Show(SpreadOf(row.fraction), 3).c_str());
  }
  std::printf("CPU per invocation, bootstrap + emulator (us; robust on a busy machine):\n");
  std::printf("%-4s %-20s %-28s %-20s\n", "N", "batched", "C per row + F echo", "CPU fraction");
  for (int n : kConcurrencies) {
    const MlpRow& row = rows[n];
    std::printf("%-4d %-20s %-28s %-20s\n", n, Show(SpreadOf(row.batched_cpu)).c_str(),
                Show(SpreadOf(row.ideal_cpu)).c_str(), Show(SpreadOf(row.cpu_fraction), 3).c_str());
  }
  std::printf("LMC_BATCH_MAX_ROWS=1 inv/s: N=1 %s, N=16 %s, N=64 %s; N=64 / N=16 = %s\n",
              Show(SpreadOf(rows[1].single)).c_str(), Show(SpreadOf(rows[16].single)).c_str(),
              Show(SpreadOf(rows[64].single)).c_str(),
              Show(SpreadOf(UnbatchedRatios(rows)), 3).c_str());
}

void PrintTorchTable(const InferenceBenchOptions& options, const PeerSamples& peer,
                     std::map<int, MlpRow>& rows) {
  if (peer.torch.empty()) {
    std::printf("PyTorch peer: did not run (%s %s): %s\n", options.python.c_str(),
                options.torch.c_str(), peer.torch_version.c_str());
    return;
  }
  std::printf("vs PyTorch (%s), rows/s in process, same weights, same batch:\n",
              peer.torch_version.c_str());
  std::printf("%-6s %-22s %-22s %-18s %-22s %-18s\n", "batch", "lmc forward", "torch forward",
              "lmc/torch", "lmc e2e at N=batch", "e2e/torch");
  for (size_t batch : {size_t{1}, size_t{16}, size_t{64}}) {
    const Spread ours = SpreadOf(peer.lmc.at(batch));
    const Spread theirs =
        SpreadOf(peer.torch.count(batch) ? peer.torch.at(batch) : std::vector<double>{});
    const Spread e2e = SpreadOf(rows[static_cast<int>(batch)].batched);
    std::printf("%-6zu %-22s %-22s %-18s %-22s %-18s\n", batch, Show(ours).c_str(),
                Show(theirs).c_str(), Show({ours.median / theirs.median, NAN, NAN}, 2).c_str(),
                Show(e2e).c_str(), Show({e2e.median / theirs.median, NAN, NAN}, 2).c_str());
  }
}

int BenchMlp(const InferenceBenchOptions& options, const MlpModel& model) {
  absl::StatusOr<std::unique_ptr<inference::Model>> loaded = inference::Model::Load(model.path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<inference::Backend> cpu = inference::CreateCpuBackend(**loaded);
  MlpInputs in{cpu.get(), {}, static_cast<size_t>(model.widths.front())};
  in.rows.resize(256 * in.width);
  TestRandom random(7);
  for (float& v : in.rows) v = random.Next();
  const std::vector<std::string> events = SingleRowEvents(model.widths.front());

  std::map<int, MlpRow> rows;
  PeerSamples peer;
  int failed = 0;
  for (int rep = 0; rep < options.repeat; ++rep) {
    for (int n : kConcurrencies) {
      if (!MeasureMlpRow(options, model, n, events, in, rows[n])) failed = 1;
    }
    if (!options.torch.empty()) MeasureAgainstTorch(options, model, in, peer);
  }
  PrintMlpTables(options, model, rows);
  if (!options.torch.empty()) PrintTorchTable(options, peer, rows);
  return failed;
}

}  // namespace

int BenchMlps(const InferenceBenchOptions& options, const std::filesystem::path& dir) {
  // "tiny" (one 512 -> 10 layer: a forward pass of a few microseconds) is a diagnostic, not a
  // workload: it measures what the inference path costs beyond echo's with the same event.
  const std::map<std::string, std::vector<int64_t>> shapes = {
      {"small", {512, 1024, 1024, 10}}, {"large", {1024, 4096, 4096, 16}}, {"tiny", {512, 10}}};
  int failed = 0;
  for (const std::string& name : options.models) {
    const auto shape = shapes.find(name);
    if (shape == shapes.end()) {
      std::fprintf(stderr, "unknown model %s (small, large, tiny)\n", name.c_str());
      return 2;
    }
    MlpModel model{name, shape->second, dir / absl::StrCat("mlp-", name, ".safetensors")};
    if (!inference::WriteFile(
             model.path, inference::WriteSafetensors(inference::MakeMlp({.widths = model.widths,
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

}  // namespace lmc::bench
