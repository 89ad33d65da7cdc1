#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "bench/inference_bench.h"
#include "handlers/inference/cpu_backend.h"
#include "handlers/inference/model.h"
#include "handlers/inference/safetensors_writer.h"
#ifdef LMC_HAVE_FAISS
#include <faiss/IndexFlat.h>
#endif

namespace lmc::bench {
namespace {

#ifdef LMC_HAVE_FAISS
using FaissId = faiss::Index::idx_t;
#endif
using inference::TestRandom;

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

}  // namespace

int BenchSearch(double scale, const std::filesystem::path& dir) {
  const int64_t rows = 100000;
  const size_t dim = 128;
  const size_t k = 10;
  const std::filesystem::path path = dir / "embeddings.safetensors";
  if (!inference::WriteFile(
           path, inference::WriteSafetensors(inference::MakeEmbeddings({.rows = rows, .dim = dim})))
           .ok()) {
    return 1;
  }
  absl::StatusOr<std::unique_ptr<inference::Model>> model = inference::Model::Load(path);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<inference::Backend> cpu = inference::CreateCpuBackend(**model);
  const auto num_queries = static_cast<size_t>(scale * 512);
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
  inference::BatchOutput out;
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

}  // namespace lmc::bench
