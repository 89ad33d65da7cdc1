#include "handlers/inference/cpu_backend.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "handlers/inference/top_k.h"

namespace lmc::inference {
namespace {

// Embedding rows scored per matrix product: the score block (queries x kBlockRows floats) stays
// in cache while its top-K is taken, instead of one queries x N matrix per batch.
constexpr size_t kBlockRows = 4096;

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

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const Model& model) : model_(model) {
    // OpenBLAS's worker threads synchronise through code TSan cannot see (Debian's library is
    // not instrumented), so TSan builds compute on the calling thread only.
    if (kThreadSanitizer) openblas_set_num_threads(1);
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
  void RunMlp(const float* rows, size_t num_rows, BatchOutput& out) {
    const std::vector<DenseLayer>& layers = model_.layers();
    const float* input = rows;
    for (size_t i = 0; i < layers.size(); ++i) {
      const DenseLayer& layer = layers[i];
      const bool last = i + 1 == layers.size();
      std::vector<float>& output = last ? out.values : (i % 2 == 0 ? scratch_a_ : scratch_b_);
      output.resize(num_rows * layer.out);
      // output[B, out] = input[B, in] * weight[out, in]^T, then + bias.
      const auto m = static_cast<blasint>(num_rows);
      const auto n = static_cast<blasint>(layer.out);
      const auto kk = static_cast<blasint>(layer.in);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, kk, 1.0F, input, kk,
                  layer.weight.data(), kk, 0.0F, output.data(), n);
      const float* bias = layer.bias.data();
      for (size_t r = 0; r < num_rows; ++r) {
        float* row = output.data() + r * layer.out;
        for (size_t j = 0; j < layer.out; ++j) row[j] += bias[j];
        if (!last) {
          if (model_.activation() == Activation::kRelu) {
            for (size_t j = 0; j < layer.out; ++j) row[j] = std::max(row[j], 0.0F);
          } else {
            for (size_t j = 0; j < layer.out; ++j) row[j] = Gelu(row[j]);
          }
        } else if (model_.head() == Head::kSoftmax) {
          Softmax(row, layer.out);
        }
      }
      input = output.data();
    }
    out.width = layers.back().out;
    out.ids.clear();
  }

  void RunSearch(const float* queries, size_t num_rows, size_t k, BatchOutput& out) {
    const size_t n = model_.rows();
    k = std::min(std::max<size_t>(k, 1), n);
    out.width = k;
    out.values.resize(num_rows * k);
    out.ids.resize(num_rows * k);
    if (n <= kBlockRows) {
      scores_.resize(num_rows * n);
      Scores(queries, num_rows, 0, n, scores_.data());
      for (size_t q = 0; q < num_rows; ++q) {
        TopK(scores_.data() + q * n, n, k, out.ids.data() + q * k, out.values.data() + q * k);
      }
      return;
    }
    // Blocked: keep each query's best k so far next to the new block's scores and take the
    // top-k of their union (the running best come first, so ties keep the lower id).
    const size_t block = kBlockRows;
    scores_.resize(num_rows * block);
    merged_.resize(k + block);
    merged_ids_.resize(k + block);
    picked_.resize(k);
    for (size_t begin = 0; begin < n; begin += block) {
      const size_t count = std::min(block, n - begin);
      Scores(queries, num_rows, begin, count, scores_.data());
      for (size_t q = 0; q < num_rows; ++q) {
        float* best = out.values.data() + q * k;
        uint32_t* best_ids = out.ids.data() + q * k;
        const size_t have = begin == 0 ? 0 : k;
        std::copy(best, best + have, merged_.begin());
        std::copy(best_ids, best_ids + have, merged_ids_.begin());
        std::copy(scores_.data() + q * count, scores_.data() + (q + 1) * count,
                  merged_.begin() + static_cast<std::ptrdiff_t>(have));
        for (size_t j = 0; j < count; ++j) {
          merged_ids_[have + j] = static_cast<uint32_t>(begin + j);
        }
        // TopK orders equal scores by position, and positions follow ids here (running best,
        // all from earlier blocks, then this block in id order) except within the running best,
        // which is itself ordered by (score, id).
        TopK(merged_.data(), have + count, k, picked_.data(), best);
        for (size_t i = 0; i < k; ++i) best_ids[i] = merged_ids_[picked_[i]];
      }
    }
  }

  // scores[q, j] = queries[q] . embeddings[first + j] for j < count.
  void Scores(const float* queries, size_t num_rows, size_t first, size_t count, float* scores) {
    const auto d = static_cast<blasint>(model_.dim());
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(num_rows),
                static_cast<blasint>(count), d, 1.0F, queries, d,
                model_.normalized_embeddings() + first * model_.dim(), d, 0.0F, scores,
                static_cast<blasint>(count));
  }

  const Model& model_;
  std::vector<float> scratch_a_;
  std::vector<float> scratch_b_;
  std::vector<float> scores_;
  std::vector<float> merged_;
  std::vector<uint32_t> merged_ids_;
  std::vector<uint32_t> picked_;
};

}  // namespace

float Gelu(float x) { return static_cast<float>(0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)))); }

std::unique_ptr<Backend> CreateCpuBackend(const Model& model) {
  return std::make_unique<CpuBackend>(model);
}

}  // namespace lmc::inference
