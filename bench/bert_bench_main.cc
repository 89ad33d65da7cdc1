// lmc-bert-bench: the BERT CPU encoder's forward pass in process (no runtime, no JSON), next to
// OpenBLAS running the same matrix products (same shapes, same batch; OpenBLAS's own threads on
// every CPU) measured in the same run, so the figure that matters is their ratio.
//
//   lmc-bert-bench [--model DIR] [--batches 1,16,64] [--tokens 128] [--threads N] [--tile N]
//                  [--seconds S] [--reference no] [--kernels baseline|avx2|avx512]
//
// Without --model it writes a MiniLM-sized model with random weights (6 layers, hidden 384,
// 12 heads, intermediate 1536, 512 positions, a 30522-token vocabulary) to a temporary directory.
// Every text is `tokens` tokens long ([CLS] ... [SEP]). Per batch size: texts/s, the GFLOP/s that
// makes, OpenBLAS's GFLOP/s on the same products, and the fraction (OpenBLAS's time over the
// encoder's). "cpu fraction" is the same ratio of the process's CPU time: with --threads 1 it
// hardly moves when other processes share the cores (only their cache traffic does); with more
// threads OpenBLAS's idle threads spin and count, which flatters the encoder.
#include <cblas.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "handlers/inference/bert_cpu_encoder.h"
#include "handlers/inference/bert_writer.h"
#include "handlers/inference/worker_pool.h"

namespace {

using Clock = std::chrono::steady_clock;
using lmc::inference::BertConfig;

struct Options {
  std::string model;
  std::vector<size_t> batches = {1, 16, 64};
  size_t tokens = 128;
  size_t threads = 0;
  size_t tile = 0;
  double seconds = 3;
  bool reference = true;  // --reference no: the encoder alone (for profiling)
  std::string kernels;    // --kernels baseline|avx2|avx512 (default: the best this CPU runs)
};

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds this process has used (all threads).
double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

// Floating-point operations of one forward pass over `texts` texts of `n` tokens.
double Flops(const BertConfig& c, size_t texts, size_t n) {
  const double h = static_cast<double>(c.hidden);
  const double dense =
      2.0 * static_cast<double>(n) * (4 * h * h + 2 * h * static_cast<double>(c.intermediate));
  const double attention = 4.0 * static_cast<double>(n) * static_cast<double>(n) * h;
  return static_cast<double>(texts) * static_cast<double>(c.layers) * (dense + attention);
}

// Seconds OpenBLAS (its own threads) takes for the forward pass's matrix products.
double OpenBlasSeconds(const BertConfig& c, size_t texts, size_t n, size_t threads) {
  openblas_set_num_threads(static_cast<int>(threads));
  const size_t m = texts * n;
  const size_t h = c.hidden;
  const size_t inner = c.intermediate;
  const size_t d = c.head_dim();
  std::vector<float> x(m * std::max(3 * h, inner), 0.01F);
  std::vector<float> y(m * std::max(3 * h, inner));
  std::vector<float> w(std::max(3 * h, inner) * std::max(h, inner), 0.02F);
  std::vector<float> scores(n * n);
  const auto gemm = [](size_t rows, size_t cols, size_t depth, const float* a, size_t lda,
                       const float* b, size_t ldb, bool transpose_b, float* out, size_t ldc) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans,
                static_cast<blasint>(rows), static_cast<blasint>(cols), static_cast<blasint>(depth),
                1.0F, a, static_cast<blasint>(lda), b, static_cast<blasint>(ldb), 0.0F, out,
                static_cast<blasint>(ldc));
  };
  const Clock::time_point start = Clock::now();
  for (size_t layer = 0; layer < c.layers; ++layer) {
    gemm(m, 3 * h, h, x.data(), h, w.data(), h, true, y.data(), 3 * h);
    for (size_t s = 0; s < texts * c.heads; ++s) {
      gemm(n, n, d, y.data(), 3 * h, y.data() + h, 3 * h, true, scores.data(), n);
      gemm(n, d, n, scores.data(), n, y.data() + 2 * h, 3 * h, false, x.data(), h);
    }
    gemm(m, h, h, x.data(), h, w.data(), h, true, y.data(), h);
    gemm(m, inner, h, y.data(), h, w.data(), h, true, x.data(), inner);
    gemm(m, h, inner, x.data(), inner, w.data(), inner, true, y.data(), h);
  }
  return Since(start);
}

bool ParseList(std::string_view text, std::vector<size_t>& out) {
  out.clear();
  for (absl::string_view part : absl::StrSplit(absl::string_view(text.data(), text.size()), ',')) {
    size_t value = 0;
    if (!absl::SimpleAtoi(part, &value) || value == 0) return false;
    out.push_back(value);
  }
  return !out.empty();
}

// The model of --model, or a MiniLM-sized one with random weights written to a temporary
// directory and removed once loaded.
absl::StatusOr<std::unique_ptr<lmc::inference::BertModel>> LoadModel(const Options& options) {
  if (!options.model.empty()) return lmc::inference::BertModel::Load(options.model);
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("lmc-bert-bench-", ::getpid());
  const lmc::inference::BertSpec spec{.layers = 6,
                                      .hidden = 384,
                                      .heads = 12,
                                      .intermediate = 1536,
                                      .max_positions = 512,
                                      .vocab_size = 30522};
  if (absl::Status s = lmc::inference::WriteBertDirectory(dir, spec); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<lmc::inference::BertModel>> model =
      lmc::inference::BertModel::Load(dir);
  std::filesystem::remove_all(dir);
  return model;
}

// The kernels of --kernels (nullptr when this CPU has none of that name), else the best.
const lmc::inference::BertKernels* PickKernels(const Options& options) {
  if (options.kernels.empty()) return &lmc::inference::BertKernels::Best();
  for (const lmc::inference::BertKernels* k : lmc::inference::BertKernels::Available()) {
    if (options.kernels == k->name) return k;
  }
  return nullptr;
}

// `batch_size` texts of `tokens` ids, [CLS] first and [SEP] last.
lmc::inference::TokenBatch SyntheticBatch(size_t batch_size, size_t tokens) {
  lmc::inference::TokenBatch batch;
  std::vector<int32_t> ids(tokens);
  for (size_t b = 0; b < batch_size; ++b) {
    for (size_t i = 0; i < ids.size(); ++i) {
      ids[i] = static_cast<int32_t>(1000 + (b * 7919 + i * 104729) % 28000);
    }
    ids.front() = 2;
    ids.back() = 3;
    batch.Add(ids);
  }
  return batch;
}

// Wall and process CPU seconds per call of `run`, called at least twice and for `seconds`.
struct PerCall {
  double seconds = 0;
  double cpu = 0;
  size_t runs = 0;
};
template <typename F>
PerCall TimeCalls(double seconds, F&& run) {
  size_t runs = 0;
  const Clock::time_point start = Clock::now();
  const double start_cpu = ProcessCpuSeconds();
  while (runs < 2 || Since(start) < seconds) {
    run();
    ++runs;
  }
  return {Since(start) / static_cast<double>(runs),
          (ProcessCpuSeconds() - start_cpu) / static_cast<double>(runs), runs};
}

int Run(const Options& options) {
  absl::StatusOr<std::unique_ptr<lmc::inference::BertModel>> model = LoadModel(options);
  if (!model.ok()) {
    std::fprintf(stderr, "lmc-bert-bench: %s\n", model.status().ToString().c_str());
    return 1;
  }
  const BertConfig& config = (*model)->config();
  const size_t threads =
      options.threads == 0 ? lmc::inference::WorkerPool::AvailableCpus() : options.threads;
  const lmc::inference::BertKernels* kernels = PickKernels(options);
  if (kernels == nullptr) {
    std::fprintf(stderr, "lmc-bert-bench: this CPU has no %s kernels\n", options.kernels.c_str());
    return 2;
  }
  std::printf(
      "BERT forward in process: %zu layers, hidden %zu, %zu heads, intermediate %zu; %zu "
      "tokens per text; %zu threads; %s kernels\n",
      config.layers, config.hidden, config.heads, config.intermediate, options.tokens, threads,
      kernels->name);
  std::printf("%6s %10s %10s %16s %9s %13s\n", "batch", "texts/s", "GFLOP/s", "OpenBLAS GFLOP/s",
              "fraction", "cpu fraction");
  for (const size_t batch_size : options.batches) {
    const lmc::inference::TokenBatch batch = SyntheticBatch(batch_size, options.tokens);
    // The encoder sets OpenBLAS to one thread when created; the reference sets its own.
    std::unique_ptr<lmc::inference::BertEncoder> encoder = lmc::inference::CreateCpuBertEncoder(
        **model, {.threads = threads, .tile_rows = options.tile, .kernels = kernels});
    std::vector<float> out;
    if (absl::Status s = encoder->Encode(batch, out); !s.ok()) {
      std::fprintf(stderr, "lmc-bert-bench: %s\n", s.ToString().c_str());
      return 1;
    }
    const PerCall encode =
        TimeCalls(options.seconds, [&] { static_cast<void>(encoder->Encode(batch, out)); });
    encoder.reset();
    const double flops = Flops(config, batch_size, options.tokens);
    const double texts_per_second = static_cast<double>(batch_size) / encode.seconds;
    if (!options.reference) {
      std::printf("%6zu %10.1f %10.1f\n", batch_size, texts_per_second,
                  flops / encode.seconds / 1e9);
      continue;
    }
    static_cast<void>(OpenBlasSeconds(config, batch_size, options.tokens, threads));  // warm
    double blas_seconds = 0;
    const PerCall blas = TimeCalls(options.seconds, [&] {
      blas_seconds += OpenBlasSeconds(config, batch_size, options.tokens, threads);
    });
    // The reference's own timing of its GEMMs per call (OpenBlasSeconds), not its set-up.
    blas_seconds /= static_cast<double>(blas.runs);
    std::printf("%6zu %10.1f %10.1f %16.1f %9.3f %13.3f\n", batch_size, texts_per_second,
                flops / encode.seconds / 1e9, flops / blas_seconds / 1e9,
                blas_seconds / encode.seconds, blas.cpu / encode.cpu);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const std::string_view value = argv[i + 1];
    bool ok = true;
    if (flag == "--model") {
      options.model = std::string(value);
    } else if (flag == "--batches") {
      ok = ParseList(value, options.batches);
    } else if (flag == "--tokens") {
      ok = absl::SimpleAtoi(absl::string_view(value.data(), value.size()), &options.tokens) &&
           options.tokens >= 2;
    } else if (flag == "--threads") {
      ok = absl::SimpleAtoi(absl::string_view(value.data(), value.size()), &options.threads);
    } else if (flag == "--tile") {
      ok = absl::SimpleAtoi(absl::string_view(value.data(), value.size()), &options.tile);
    } else if (flag == "--kernels") {
      options.kernels = std::string(value);
    } else if (flag == "--reference") {
      options.reference = value != "no";
    } else if (flag == "--seconds") {
      ok = absl::SimpleAtod(absl::string_view(value.data(), value.size()), &options.seconds);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr,
                   "usage: lmc-bert-bench [--model DIR] [--batches 1,16,64] [--tokens 128] "
                   "[--threads N] [--tile N] [--seconds S] [--reference no] "
                   "[--kernels baseline|avx2|avx512]\n");
      return 2;
    }
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr, "lmc-bert-bench: flags come as --name value\n");
    return 2;
  }
  return Run(options);
}
