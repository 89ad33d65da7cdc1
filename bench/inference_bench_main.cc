// lmc-inference-bench: the inference handler's throughput against the machine's limit, each
// figure next to its reference measured in the same run (the machines are shared and noisy:
// ratios mean more than bare rates).
//
//   lmc-inference-bench [--bootstrap build-release/handlers/inference/inference-bootstrap]
//                       [--echo build-release/runtime/bootstrap] [--repeat R] [--quick]
//                       [--only mlp|bert|search] [--models small,large,tiny]
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
//         and the same in CPU time, which other work on a shared machine moves far less than
//         rates: CPU per invocation batched (bootstrap + this process, i.e. the emulator) next
//         to the forward pass's CPU per row plus echo's per invocation, and their ratio.
//         Then the PyTorch peer (bench/torch_peer.py, Debian's python3-torch) on the same file
//         at batch 1, 16, 64, alternated with lmc's in-process rate at the same batch, and lmc
//         end to end at N against PyTorch's bare forward pass at batch N.
// bert    a MiniLM-sized BERT (6 layers, hidden 384, 12 heads, intermediate 1536; random
//         weights, Hugging Face layout), 128-token texts: lmc's CPU encoder in process next to
//         the PyTorch peer on the same directory at batch 1, 16, 64 (texts/s), after checking
//         that both compute the same embeddings.
// search  exact cosine search over 100 000 x 128 embeddings in process, queries/s at query
//         batches of 1, 16 and 64: the CPU backend next to FAISS IndexFlatIP (same normalised
//         data, same queries, same k) when lmc was built with FAISS.
//
// With --repeat R every measurement of a model runs R times, interleaved (batched, echo, C,
// unbatched, then again), and the tables give the median and the range.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/inference_bench.h"

int main(int argc, char** argv) {
  lmc::bench::InferenceBenchOptions options;
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
                   "[--quick] [--only mlp|bert|search] [--models small,large,tiny] [--python PATH] "
                   "[--torch SCRIPT | --no-torch]\n");
      return 2;
    }
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("lmc-inference-bench-", ::getpid());
  std::filesystem::create_directories(dir);
  // The bootstraps get this process's OPENBLAS_* settings, so both sides run the same kernels.
  std::printf("OpenBLAS kernels: %s, in this process and in the bootstraps\n",
              lmc::bench::OpenBlasCore().c_str());
  int failed = 0;
  if (options.only.empty() || options.only == "mlp") failed |= lmc::bench::BenchMlps(options, dir);
  if (options.only.empty() || options.only == "bert") failed |= lmc::bench::BenchBert(options, dir);
  if (options.only.empty() || options.only == "search") {
    failed |= lmc::bench::BenchSearch(options.seconds < 1 ? 0.25 : 1.0, dir);
  }
  std::filesystem::remove_all(dir);
  return failed;
}
