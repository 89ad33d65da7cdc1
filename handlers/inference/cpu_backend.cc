#include "handlers/inference/cpu_backend.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "handlers/inference/bert_kernels.h"
#include "handlers/inference/top_k.h"
#include "handlers/inference/worker_pool.h"

namespace lmc::inference {
namespace {

// Embedding rows scored per matrix product: the score block (queries x kBlockRows floats) stays
// in cache while its top-K is taken, instead of one queries x N matrix per batch.
constexpr size_t kBlockRows = 4096;
// Fewer MLP outputs than this per thread and a layer is not split.
constexpr size_t kMinColumnsPerThread = 64;

void Softmax(float* row, size_t width) {
  float max = -std::numeric_limits<float>::infinity();
  for (size_t j = 0; j < width; ++j) max = std::max(max, row[j]);
  double sum = 0;
  for (size_t j = 0; j < width; ++j) {
    row[j] = std::exp(row[j] - max);
    sum += row[j];
  }
  const auto scale = static_cast<float>(1.0 / sum);
  for (size_t j = 0; j < width; ++j) row[j] *= scale;
}

#if defined(__SANITIZE_THREAD__)
constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kThreadSanitizer = true;
#else
constexpr bool kThreadSanitizer = false;
#endif
#else
constexpr bool kThreadSanitizer = false;
#endif

size_t ThreadsFor(const CpuBackendOptions& options) {
  // OpenBLAS's buffers pass between threads through synchronisation TSan cannot see (Debian's
  // library is not instrumented), so TSan builds compute on the calling thread only.
  if (kThreadSanitizer) return 1;
  return options.threads == 0 ? WorkerPool::AvailableCpus() : options.threads;
}

// One thread's scratch for the search: scores and running best.
struct Scratch {
  std::vector<float> scores;
  std::vector<float> merged;
  std::vector<uint32_t> merged_ids;
  std::vector<uint32_t> picked;
  std::vector<float> best;
  std::vector<uint32_t> best_ids;
};

class CpuBackend final : public Backend {
 public:
  CpuBackend(const Model& model, const CpuBackendOptions& options)
      : model_(model), pool_(ThreadsFor(options)), scratch_(pool_.size()) {
    // Every thread's products run on that thread (see the header); this is process-wide.
    openblas_set_num_threads(1);
  }

  std::string_view name() const override { return "cpu"; }

  absl::Status Run(const float* rows, size_t num_rows, size_t k, BatchOutput& out) override {
    if (model_.kind() == ModelKind::kMlp) {
      RunMlp(rows, num_rows, out);
    } else {
      RunSearch(rows, num_rows, k, out);
    }
    return absl::OkStatus();
  }

 private:
  // Layer by layer, each layer's outputs (its weight rows) split over the threads: every thread
  // computes its columns for all of the batch's rows. OpenBLAS packs the weights it multiplies
  // on every call, so splitting the weights packs them once per batch, where splitting the rows
  // would pack all of them on every thread (profiled: packing then cost as much as the product).
  void RunMlp(const float* rows, size_t num_rows, BatchOutput& out) {
    const std::vector<DenseLayer>& layers = model_.layers();
    out.width = layers.back().out;
    out.ids.clear();
    out.values.resize(num_rows * out.width);
    const float* input = rows;
    for (size_t i = 0; i < layers.size(); ++i) {
      const DenseLayer& layer = layers[i];
      const bool last = i + 1 == layers.size();
      float* output = out.values.data();
      if (!last) {
        std::vector<float>& buffer = i % 2 == 0 ? activations_a_ : activations_b_;
        buffer.resize(num_rows * layer.out);
        output = buffer.data();
      }
      const size_t parts = std::clamp<size_t>(layer.out / kMinColumnsPerThread, 1, pool_.size());
      if (parts == 1) {
        LayerColumns(layer, last, input, num_rows, 0, layer.out, output);
      } else {
        pool_.Run([&](size_t part) {
          if (part >= parts) return;
          // Column ranges in whole cache lines (16 floats).
          const size_t lines = (layer.out + 15) / 16;
          const size_t begin = std::min(layer.out, lines * part / parts * 16);
          const size_t end = std::min(layer.out, lines * (part + 1) / parts * 16);
          LayerColumns(layer, last, input, num_rows, begin, end, output);
        });
      }
      if (last && model_.head() == Head::kSoftmax) {
        for (size_t r = 0; r < num_rows; ++r) Softmax(output + r * layer.out, layer.out);
      }
      input = output;
    }
  }

  // Columns [begin, end) of `layer` for `num_rows` rows of `input`, with the bias and (unless
  // `last`) the activation, into `output` (num_rows x layer.out).
  void LayerColumns(const DenseLayer& layer, bool last, const float* input, size_t num_rows,
                    size_t begin, size_t end, float* output) const {
    if (begin >= end) return;
    const size_t width = end - begin;
    float* columns = output + begin;
    // columns = bias + input[B, in] * weight[begin..end, in]^T: the bias is written first and
    // the product added to it (beta = 1), saving a pass over the output.
    FillRows(columns, layer.bias.data() + begin, num_rows, width, layer.out);
    const auto ld = static_cast<blasint>(layer.out);
    const auto kk = static_cast<blasint>(layer.in);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(num_rows),
                static_cast<blasint>(width), kk, 1.0F, input, kk,
                layer.weight.data() + begin * layer.in, kk, 1.0F, columns, ld);
    if (last) return;
    for (size_t r = 0; r < num_rows; ++r) {
      float* row = columns + r * layer.out;
      if (model_.activation() == Activation::kRelu) {
        for (size_t j = 0; j < width; ++j) row[j] = std::max(row[j], 0.0F);
      } else {
        GeluInPlace(row, width);
      }
    }
  }

  // The embedding rows split into one contiguous range per thread (whole blocks), each keeping
  // every query's best k of its range; then per query the best k of the ranges' results.
  void RunSearch(const float* queries, size_t num_rows, size_t k, BatchOutput& out) {
    const size_t n = model_.rows();
    k = std::min(std::max<size_t>(k, 1), n);
    out.width = k;
    out.values.resize(num_rows * k);
    out.ids.resize(num_rows * k);
    const size_t blocks = (n + kBlockRows - 1) / kBlockRows;
    size_t parts = std::min(pool_.size(), blocks);
    const auto range = [&](size_t part) {
      return std::pair<size_t, size_t>{std::min(n, blocks * part / parts * kBlockRows),
                                       std::min(n, blocks * (part + 1) / parts * kBlockRows)};
    };
    // Every range must hold k rows (the last block may be short).
    bool ranges_hold_k = true;
    for (size_t part = 0; part < parts; ++part) {
      ranges_hold_k = ranges_hold_k && range(part).second - range(part).first >= k;
    }
    if (!ranges_hold_k) parts = 1;
    if (parts == 1) {
      SearchRange(queries, num_rows, 0, n, k, out.values.data(), out.ids.data(), scratch_[0]);
      return;
    }
    pool_.Run([&](size_t part) {
      if (part >= parts) return;
      Scratch& scratch = scratch_[part];
      scratch.best.resize(num_rows * k);
      scratch.best_ids.resize(num_rows * k);
      const auto [first, last] = range(part);
      SearchRange(queries, num_rows, first, last, k, scratch.best.data(), scratch.best_ids.data(),
                  scratch);
    });
    // Ranges in id order, each range's best sorted (score, then id): TopK's ties to the lower
    // position are then ties to the lower id.
    Scratch& merge = scratch_[0];
    merge.merged.resize(parts * k);
    merge.merged_ids.resize(parts * k);
    merge.picked.resize(k);
    for (size_t q = 0; q < num_rows; ++q) {
      for (size_t p = 0; p < parts; ++p) {
        const Scratch& part = scratch_[p];
        std::copy_n(part.best.data() + q * k, k, merge.merged.data() + p * k);
        std::copy_n(part.best_ids.data() + q * k, k, merge.merged_ids.data() + p * k);
      }
      float* best = out.values.data() + q * k;
      TopK(merge.merged.data(), parts * k, k, merge.picked.data(), best);
      for (size_t i = 0; i < k; ++i) out.ids[q * k + i] = merge.merged_ids[merge.picked[i]];
    }
  }

  // Every query's best k (scores and ids, best first) among embedding rows [first, last), in
  // blocks of kBlockRows: each block's scores are merged with the running best (which come
  // first, so ties keep the lower id). Requires last - first >= k.
  void SearchRange(const float* queries, size_t num_rows, size_t first, size_t last, size_t k,
                   float* best_values, uint32_t* best_ids, Scratch& scratch) const {
    const size_t block = std::min(kBlockRows, last - first);
    scratch.scores.resize(num_rows * block);
    scratch.merged.resize(k + block);
    scratch.merged_ids.resize(k + block);
    scratch.picked.resize(k);
    for (size_t begin = first; begin < last; begin += block) {
      const size_t count = std::min(block, last - begin);
      Scores(queries, num_rows, begin, count, scratch.scores.data());
      for (size_t q = 0; q < num_rows; ++q) {
        float* best = best_values + q * k;
        uint32_t* ids = best_ids + q * k;
        const size_t have = begin == first ? 0 : k;
        std::copy(best, best + have, scratch.merged.begin());
        std::copy(ids, ids + have, scratch.merged_ids.begin());
        std::copy(scratch.scores.data() + q * count, scratch.scores.data() + (q + 1) * count,
                  scratch.merged.begin() + static_cast<std::ptrdiff_t>(have));
        for (size_t j = 0; j < count; ++j) {
          scratch.merged_ids[have + j] = static_cast<uint32_t>(begin + j);
        }
        TopK(scratch.merged.data(), have + count, k, scratch.picked.data(), best);
        for (size_t i = 0; i < k; ++i) ids[i] = scratch.merged_ids[scratch.picked[i]];
      }
    }
  }

  // scores[q, j] = queries[q] . embeddings[first + j] for j < count.
  void Scores(const float* queries, size_t num_rows, size_t first, size_t count,
              float* scores) const {
    const auto d = static_cast<blasint>(model_.dim());
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(num_rows),
                static_cast<blasint>(count), d, 1.0F, queries, d,
                model_.normalized_embeddings() + first * model_.dim(), d, 0.0F, scores,
                static_cast<blasint>(count));
  }

  const Model& model_;
  WorkerPool pool_;
  std::vector<float> activations_a_;  // the MLP's hidden layers, alternately
  std::vector<float> activations_b_;
  std::vector<Scratch> scratch_;  // one per pool thread; scratch_[p] only touched by part p
};

}  // namespace

std::unique_ptr<Backend> CreateCpuBackend(const Model& model, const CpuBackendOptions& options) {
  return std::make_unique<CpuBackend>(model, options);
}

}  // namespace lmc::inference
