// File: bench/inference_bench.h
//
// The parts of lmc-inference-bench (inference_bench_main.cc describes the tables): its options,
// the tables (BenchMlps, BenchBert, BenchSearch) and what they share: medians and ranges over
// repeated runs, the in-process forward pass's rate and CPU time, and the PyTorch peer
// (bench/torch_peer.py) run as a subprocess.
//
// Example:
//
//   lmc::bench::InferenceBenchOptions options;
//   int failed = lmc::bench::BenchMlps(options, scratch_dir);
#pragma once

#include <cmath>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace lmc::bench {

// The concurrencies every table measures (the N = 1, 16, 64).
inline constexpr int kConcurrencies[] = {1, 16, 64};

// InferenceBenchOptions
//
// The command line (see inference_bench_main.cc).
struct InferenceBenchOptions {
  std::string bootstrap = "build-release/handlers/inference/inference-bootstrap";
  std::string echo = "build-release/runtime/bootstrap";
  std::string python = "/usr/bin/python3";
  std::string torch = "bench/torch_peer.py";  // empty: no PyTorch peer
  std::vector<std::string> models = {"small", "large"};
  int repeat = 1;
  double seconds = 2.0;  // per runtime measurement
  std::string only;
};

// The tables. Each writes its models under `dir` and returns 0, or 1 when a measurement failed
// (2 for an unknown model name).
int BenchMlps(const InferenceBenchOptions& options, const std::filesystem::path& dir);
int BenchBert(const InferenceBenchOptions& options, const std::filesystem::path& dir);
// `scale` multiplies the number of queries (512 at 1.0).
int BenchSearch(double scale, const std::filesystem::path& dir);

// Spread
//
// A sample's median and range.
struct Spread {
  double median = NAN;
  double min = NAN;
  double max = NAN;
};
// The spread of `samples`, NaNs left out (all NaN: NaNs).
Spread SpreadOf(std::vector<double> samples);
// "1234", or "1234 (1200-1300)" when the range is known and not one value.
std::string Show(const Spread& spread, int decimals = 0);

// Forward
//
// An in-process forward pass: rows (or texts) per second, and the process's CPU time per row,
// every thread included.
struct Forward {
  double rows_per_second = 0;
  double cpu_us_per_row = 0;
};
// Calls `run` (one batch of `batch` rows) in three passes after a warm-up call, each at least
// 0.1 s and three calls (or one call past 1 s): the best rate and the least CPU per row.
Forward MeasureForward(size_t batch, const std::function<void()>& run);

// The OPENBLAS_* and GOTO_* variables of this process's environment ("NAME=value"), for the
// bootstraps it measures. OpenBLAS picks its kernels when it loads (OPENBLAS_CORETYPE overrides
// its CPU detection) and the bootstraps start with a clean environment: without these, the
// forward pass in this process (C) and in the bootstrap could run different kernels (Haswell's
// AVX2 against Cooperlake's AVX-512 on one VM), and the fraction of the limit would compare
// different code.
std::vector<std::string> OpenBlasEnvironment();
// The kernel set OpenBLAS chose in this process ("Haswell", "Cooperlake", ...).
std::string OpenBlasCore();

// Runs the PyTorch peer with `model_args` ("--mlp", path or "--bert", dir, "--tokens", n) at
// batch 1, 16 and 64: rows/s per batch size, from its lines starting with `kind` ("mlp" or
// "bert"). `version` gets its version line, or why it did not run (empty result).
std::map<size_t, double> RunTorchPeer(const InferenceBenchOptions& options,
                                      const std::vector<std::string>& model_args,
                                      const std::string& kind, std::string* version);

}  // namespace lmc::bench
