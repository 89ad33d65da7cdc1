// lmc-inference-bench: the inference handler's figures, each next to its reference measured in
// the same run (the machines are shared and noisy: ratios mean more than bare rates).
//
//   lmc-inference-bench --bootstrap build-release/handlers/inference/inference-bootstrap
//                       [--quick] [--only mlp|search]
//
// mlp     inference-bootstrap against a fresh emulator, single-row invocations of an MLP
//         (512 -> 2048 -> 2048 -> 16, gelu, softmax; 21 MB of F32 weights) at concurrency 1, 16
//         and 64: invocations/s with the batcher's defaults next to LMC_BATCH_MAX_ROWS=1, their
//         ratio, the mean batch and the batcher's share of the requests' time (queue wait +
//         gather/scatter, from its metrics line).
// search  exact cosine search over 100 000 x 128 embeddings in process, queries/s at query
//         batches of 1, 16 and 64: the CPU backend next to FAISS IndexFlatIP (same normalised
//         data, same queries, same k) when lmc was built with FAISS.
#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "handlers/inference/cpu_backend.h"
#include "handlers/inference/model.h"
#include "handlers/inference/safetensors_writer.h"
#include "tools/emulator/emulator.h"
#include "tools/emulator/subprocess.h"
#ifdef LMC_HAVE_FAISS
#include <faiss/IndexFlat.h>
#endif

#ifdef LMC_HAVE_FAISS
using FaissId = faiss::Index::idx_t;
#endif

namespace {

using lmc::emulator::Emulator;
using lmc::emulator::EmulatorOptions;
using lmc::emulator::EventSpec;
using lmc::emulator::Subprocess;
using lmc::inference::TestRandom;

struct Options {
  std::string bootstrap = "build-release/handlers/inference/inference-bootstrap";
  double scale = 1.0;
  std::string only;
};

struct MlpRun {
  bool ok = false;
  std::string error;
  double per_second = 0;
  double mean_batch_rows = 0;
  double batcher_share = 0;
};

// Reads `key=value` from the last batcher metrics line in `logs`.
double MetricFromLogs(const std::string& logs, std::string_view key) {
  const size_t line = logs.rfind("inference batcher:");
  if (line == std::string::npos) return NAN;
  const size_t at = logs.find(" " + std::string(key) + "=", line);
  if (at == std::string::npos) return NAN;
  const size_t begin = at + key.size() + 2;
  const size_t end = logs.find_first_of(" \"\n", begin);
  double value = NAN;
  if (!absl::SimpleAtod(logs.substr(begin, end - begin), &value)) return NAN;
  return value;
}

MlpRun MeasureMlp(const Options& options, const std::filesystem::path& model, int concurrency,
                  bool batched, uint64_t warmup, uint64_t count,
                  const std::vector<std::string>& events) {
  MlpRun run;
  EmulatorOptions emulator_options;
  emulator_options.keep_records = false;
  Emulator emulator(emulator_options);
  if (!emulator.Start().ok()) {
    run.error = "emulator did not start";
    return run;
  }
  emulator.SetGenerator(
      [&events](uint64_t index) {
        EventSpec event;
        event.body = events[index % events.size()];
        return event;
      },
      warmup + count);
  Subprocess::Options spawn;
  spawn.argv = {options.bootstrap};
  spawn.env = {absl::StrCat("AWS_LAMBDA_RUNTIME_API=", emulator.address()),
               "_HANDLER=inference",
               absl::StrCat("AWS_LAMBDA_MAX_CONCURRENCY=", concurrency),
               absl::StrCat("LMC_MODEL=", model.string()),
               "LMC_INFERENCE_DEVICE=cpu",
               "LMC_BATCH_METRICS_MS=100",
               "TMPDIR=/tmp",
               "AWS_LAMBDA_FUNCTION_NAME=bench",
               "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=2048"};
  if (!batched) spawn.env.push_back("LMC_BATCH_MAX_ROWS=1");
  spawn.max_capture_bytes = 4 << 20;
  auto child = Subprocess::Start(spawn);
  if (!child.ok()) {
    run.error = child.status().ToString();
    return run;
  }
  const absl::Duration limit = absl::Minutes(5);
  if (!emulator.WaitFor([&](const auto& s) { return s.closed >= warmup; }, limit)) {
    run.error = "stalled in warm-up: " + (*child)->stderr_text().substr(0, 300);
    return run;
  }
  const absl::Time t0 = absl::Now();
  if (!emulator.WaitFor([&](const auto& s) { return s.closed >= warmup + count; }, limit)) {
    run.error = "stalled";
    return run;
  }
  const absl::Time t1 = absl::Now();
  const lmc::emulator::Stats stats = emulator.stats();
  (*child)->Signal(SIGTERM).IgnoreError();
  (*child)->WaitForExit(absl::Seconds(30));
  if (stats.errors != 0) {
    run.error = absl::StrCat(stats.errors, " invocations failed");
    return run;
  }
  const std::string logs = (*child)->stdout_text() + (*child)->stderr_text();
  run.ok = true;
  run.per_second = static_cast<double>(count) / absl::ToDoubleSeconds(t1 - t0);
  run.mean_batch_rows = MetricFromLogs(logs, "total_mean_batch_rows");
  run.batcher_share = MetricFromLogs(logs, "total_batcher_share");
  return run;
}

int BenchMlp(const Options& options, const std::filesystem::path& dir) {
  const std::vector<int64_t> widths = {512, 2048, 2048, 16};
  const std::filesystem::path model = dir / "mlp.safetensors";
  if (!lmc::inference::WriteFile(
           model, lmc::inference::WriteSafetensors(lmc::inference::MakeMlp(
                      {.widths = widths, .activation = "gelu", .head = "softmax", .scale = 0.05F})))
           .ok()) {
    std::fprintf(stderr, "cannot write %s\n", model.c_str());
    return 1;
  }
  // 64 distinct single-row events, cycled.
  std::vector<std::string> events;
  TestRandom random(42);
  for (int e = 0; e < 64; ++e) {
    std::string body = "{\"inputs\":[[";
    for (int64_t j = 0; j < widths[0]; ++j) {
      absl::StrAppend(&body, j == 0 ? "" : ",", random.Next());
    }
    body += "]]}";
    events.push_back(std::move(body));
  }
  std::printf("mlp %s, single-row invocations, CPU (OpenBLAS)\n", "512-2048-2048-16 gelu softmax");
  std::printf("%-6s %14s %14s %8s %12s %14s\n", "conc", "batched inv/s", "rows=1 inv/s", "ratio",
              "mean batch", "batcher share");
  int failed = 0;
  for (int concurrency : {1, 16, 64}) {
    const auto count = static_cast<uint64_t>(
        options.scale * (concurrency == 1 ? 300 : 100.0 * concurrency / 4 + 600));
    const uint64_t warmup = static_cast<uint64_t>(concurrency) * 2;
    const MlpRun batched = MeasureMlp(options, model, concurrency, true, warmup, count, events);
    const MlpRun single = MeasureMlp(options, model, concurrency, false, warmup,
                                     count / (concurrency == 1 ? 1 : 3), events);
    if (!batched.ok || !single.ok) {
      std::printf("%-6d failed: %s %s\n", concurrency, batched.error.c_str(), single.error.c_str());
      failed = 1;
      continue;
    }
    std::printf("%-6d %14.0f %14.0f %7.2fx %12.1f %14.3f\n", concurrency, batched.per_second,
                single.per_second, batched.per_second / single.per_second, batched.mean_batch_rows,
                batched.batcher_share);
  }
  return failed;
}

// Queries per second of `search(queries, batch)` over all of `queries` in batches of `batch`,
// best of three passes.
template <typename Search>
double QueriesPerSecond(const std::vector<float>& queries, size_t dim, size_t batch,
                        Search search) {
  const size_t total = queries.size() / dim;
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    for (size_t q = 0; q + batch <= total; q += batch) search(queries.data() + q * dim, batch);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(total - total % batch) / seconds);
  }
  return best;
}

int BenchSearch(const Options& options, const std::filesystem::path& dir) {
  const int64_t rows = 100000;
  const size_t dim = 128;
  const size_t k = 10;
  const std::filesystem::path path = dir / "embeddings.safetensors";
  if (!lmc::inference::WriteFile(path,
                                 lmc::inference::WriteSafetensors(
                                     lmc::inference::MakeEmbeddings({.rows = rows, .dim = dim})))
           .ok()) {
    return 1;
  }
  absl::StatusOr<std::unique_ptr<lmc::inference::Model>> model = lmc::inference::Model::Load(path);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<lmc::inference::Backend> cpu = lmc::inference::CreateCpuBackend(**model);
  const auto num_queries = static_cast<size_t>(options.scale * 512);
  std::vector<float> queries(num_queries * dim);
  TestRandom random(9);
  for (size_t q = 0; q < num_queries; ++q) {
    double norm = 0;
    for (size_t j = 0; j < dim; ++j) {
      queries[q * dim + j] = random.Next();
      norm += double{queries[q * dim + j]} * queries[q * dim + j];
    }
    for (size_t j = 0; j < dim; ++j) {
      queries[q * dim + j] = static_cast<float>(queries[q * dim + j] / std::sqrt(norm));
    }
  }
#ifdef LMC_HAVE_FAISS
  faiss::IndexFlatIP index(static_cast<FaissId>(dim));
  index.add(rows, (*model)->normalized_embeddings());
  std::vector<float> distances(64 * k);
  std::vector<FaissId> labels(64 * k);
#endif
  std::printf("\nsearch: exact cosine, %lld x %zu embeddings (F32), k=%zu, in process\n",
              static_cast<long long>(rows), dim, k);
  std::printf("%-6s %14s %14s %8s\n", "batch", "lmc q/s", "faiss q/s", "ratio");
  lmc::inference::BatchOutput out;
  for (size_t batch : {size_t{1}, size_t{16}, size_t{64}}) {
    const double ours = QueriesPerSecond(
        queries, dim, batch, [&](const float* q, size_t n) { (void)cpu->Run(q, n, k, out); });
#ifdef LMC_HAVE_FAISS
    const double theirs = QueriesPerSecond(queries, dim, batch, [&](const float* q, size_t n) {
      index.search(static_cast<FaissId>(n), q, static_cast<FaissId>(k), distances.data(),
                   labels.data());
    });
    std::printf("%-6zu %14.0f %14.0f %7.2fx\n", batch, ours, theirs, ours / theirs);
#else
    std::printf("%-6zu %14.0f %14s %8s\n", batch, ours, "(no faiss)", "-");
#endif
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--bootstrap" && i + 1 < argc) {
      options.bootstrap = argv[++i];
    } else if (arg == "--quick") {
      options.scale = 0.25;
    } else if (arg == "--only" && i + 1 < argc) {
      options.only = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: lmc-inference-bench [--bootstrap PATH] [--quick] [--only mlp|search]\n");
      return 2;
    }
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("lmc-inference-bench-", ::getpid());
  std::filesystem::create_directories(dir);
  int failed = 0;
  if (options.only.empty() || options.only == "mlp") failed |= BenchMlp(options, dir);
  if (options.only.empty() || options.only == "search") failed |= BenchSearch(options, dir);
  std::filesystem::remove_all(dir);
  return failed;
}
