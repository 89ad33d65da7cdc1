#include "handlers/inference/bert_cpu_encoder.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "handlers/inference/bert_kernels.h"
#include "handlers/inference/worker_pool.h"

namespace lmc::inference {
namespace {

constexpr size_t kDefaultTileRows = 512;
// Below this many tokens per thread a batch runs on fewer threads: waking a helper costs more
// than the few rows it would take (one token is about 2 MFLOP per MiniLM layer).
constexpr size_t kMinRowsPerPart = 16;
// Up to this many tokens a head's attention is computed directly (BertKernels::attend_short):
// two OpenBLAS calls per head cost more than the products themselves.
constexpr size_t kShortSequence = 32;
// A forward pass keeps 5 x hidden floats per token (the residual stream, Q/K/V, attention's
// output); larger batches run as several passes, so memory stays bounded whatever one request
// holds (LMC_EMBEDDING_MAX_TEXTS long texts).
constexpr size_t kMaxActivationBytes = size_t{64} << 20;

// c[m, n] = a[m, k] w[n, k]^T + bias[n]: a row-major activation through a Hugging Face Linear
// ([out, in] weight). The bias is written first and the product added to it (beta = 1), which
// spares OpenBLAS its pass zeroing c and us a pass adding the bias.
void Linear(const BertKernels& kernels, const float* a, size_t lda, const FloatTensor& w,
            const FloatTensor& bias, size_t m, size_t n, size_t k, float* c, size_t ldc) {
  kernels.fill_rows(c, bias.data(), m, n, ldc);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), 1.0F, a, static_cast<blasint>(lda),
              w.data(), static_cast<blasint>(k), 1.0F, c, static_cast<blasint>(ldc));
}

class CpuBertEncoder final : public BertEncoder {
 public:
  CpuBertEncoder(const BertModel& model, const BertEncoderOptions& options)
      : model_(model),
        config_(model.config()),
        normalize_(options.normalize),
        kernels_(options.kernels == nullptr ? BertKernels::Best() : *options.kernels),
        tile_rows_(options.tile_rows == 0 ? kDefaultTileRows : options.tile_rows),
        max_tokens_per_pass_(
            std::max(config_.max_positions,
                     options.max_tokens_per_pass != 0
                         ? options.max_tokens_per_pass
                         : kMaxActivationBytes / (5 * config_.hidden * sizeof(float)))),
        pool_(options.threads == 0 ? WorkerPool::AvailableCpus() : options.threads),
        scratch_(pool_.size()),
        row_begin_(pool_.size() + 1),
        unit_begin_(pool_.size() + 1) {
    // The encoder's threads each call OpenBLAS on their own share; OpenBLAS's pool must not
    // split those calls again (its threads would spin against ours).
    openblas_set_num_threads(1);
  }

  std::string_view name() const override { return "cpu"; }

  absl::Status Encode(const TokenBatch& batch, std::vector<float>& out) override {
    if (absl::Status s = ValidateTokenBatch(batch, config_.max_positions, model_.vocab_rows());
        !s.ok()) {
      return s;
    }
    out.resize(batch.size() * config_.hidden);
    if (batch.ids.size() <= max_tokens_per_pass_) {
      Forward(batch, out.data());
      return absl::OkStatus();
    }
    // Sequences are independent: a large batch runs as consecutive passes of whole sequences.
    for (size_t first = 0; first < batch.size();) {
      size_t last = first;
      size_t tokens = 0;
      while (last < batch.size() &&
             (last == first || tokens + batch.length(last) <= max_tokens_per_pass_)) {
        tokens += batch.length(last++);
      }
      pass_.Clear();
      for (size_t b = first; b < last; ++b) {
        pass_.Add(std::span<const int32_t>(batch.ids.data() + batch.offsets[b], batch.length(b)));
      }
      Forward(pass_, out.data() + first * config_.hidden);
      first = last;
    }
    return absl::OkStatus();
  }

 private:
  // Per-thread scratch, grown on the thread that uses it.
  struct Scratch {
    std::vector<float> mid;     // tile x H: after attention's LayerNorm
    std::vector<float> inner;   // tile x I: the feed-forward's intermediate
    std::vector<float> scores;  // n x n: one head's attention
  };

  // Splits the batch's rows (and its attention units, one per sequence and head, weighted by
  // their n^2 cost) evenly over the threads, and finds each token's position.
  void Plan(const TokenBatch& batch) {
    const size_t tokens = batch.ids.size();
    parts_ = std::clamp<size_t>(tokens / kMinRowsPerPart, 1, pool_.size());
    const size_t parts = parts_;
    for (size_t p = 0; p <= parts; ++p) row_begin_[p] = tokens * p / parts;
    positions_.resize(tokens);
    double total = 0;
    for (size_t b = 0; b < batch.size(); ++b) {
      const size_t n = batch.length(b);
      for (size_t i = 0; i < n; ++i) positions_[batch.offsets[b] + i] = static_cast<uint32_t>(i);
      total += static_cast<double>(n) * static_cast<double>(n);
    }
    // Attention units in order; part p takes them until its share of the cost is reached (a
    // unit goes to the part where at least half of it falls).
    total *= static_cast<double>(config_.heads);
    const size_t units = batch.size() * config_.heads;
    size_t unit = 0;
    double done = 0;
    unit_begin_[0] = 0;
    for (size_t p = 1; p < parts; ++p) {
      const double goal = total * static_cast<double>(p) / static_cast<double>(parts);
      while (unit < units) {
        const auto n = static_cast<double>(batch.length(unit / config_.heads));
        if (done + n * n / 2 > goal) break;
        done += n * n;
        ++unit;
      }
      unit_begin_[p] = unit;
    }
    unit_begin_[parts] = units;
  }

  // Embeddings + LayerNorm for this part's rows, then the first layer's Q, K, V.
  void EmbedRows(const TokenBatch& batch, size_t part) {
    const size_t h = config_.hidden;
    const size_t begin = row_begin_[part];
    const size_t end = row_begin_[part + 1];
    for (size_t row = begin; row < end; row += tile_rows_) {
      const size_t n = std::min(tile_rows_, end - row);
      kernels_.embed_tokens(
          batch.ids.data() + row, positions_.data() + row, n, model_.word_embeddings().data(),
          model_.position_type_embeddings().data(), model_.embedding_norm_gamma().data(),
          model_.embedding_norm_beta().data(), config_.layer_norm_eps, h, hidden_.data() + row * h);
      ProjectQkv(0, row, n);
    }
  }

  // qkv[rows] = hidden[rows] W_qkv^T + b_qkv for layer `layer`.
  void ProjectQkv(size_t layer, size_t row, size_t n) {
    const size_t h = config_.hidden;
    const BertLayer& weights = model_.layers()[layer];
    Linear(kernels_, hidden_.data() + row * h, h, weights.qkv_weight, weights.qkv_bias, n, 3 * h, h,
           qkv_.data() + row * 3 * h, 3 * h);
  }

  // Self-attention for this part's (sequence, head) units: each sequence attends over its own
  // tokens only (BERT's padding mask, without the padding).
  void Attend(const TokenBatch& batch, size_t part) {
    const size_t h = config_.hidden;
    const size_t d = config_.head_dim();
    const auto scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
    Scratch& scratch = scratch_[part];
    for (size_t unit = unit_begin_[part]; unit < unit_begin_[part + 1]; ++unit) {
      const size_t b = unit / config_.heads;
      const size_t head = unit % config_.heads;
      const size_t n = batch.length(b);
      const size_t first = batch.offsets[b];
      scratch.scores.resize(std::max(scratch.scores.size(), n * n));
      float* scores = scratch.scores.data();
      const float* q = qkv_.data() + first * 3 * h + head * d;
      const float* k = q + h;
      const float* v = q + 2 * h;
      float* context = context_.data() + first * h + head * d;
      if (n <= kShortSequence) {
        kernels_.attend_short(q, k, v, 3 * h, n, d, scale, context, h, scores);
        continue;
      }
      const auto ni = static_cast<blasint>(n);
      const auto di = static_cast<blasint>(d);
      const auto ld = static_cast<blasint>(3 * h);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, ni, ni, di, scale, q, ld, k, ld, 0.0F,
                  scores, ni);
      kernels_.softmax_rows(scores, n, n, n);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, di, ni, 1.0F, scores, ni, v, ld,
                  0.0F, context, static_cast<blasint>(h));
    }
  }

  // Everything after attention that is row-local, tile by tile: output projection + residual
  // -> LayerNorm, intermediate + GELU, output + residual -> LayerNorm; then the next layer's Q,
  // K, V for the same rows.
  void FinishLayer(size_t layer, size_t part) {
    const size_t h = config_.hidden;
    const size_t inner_width = config_.intermediate;
    const float eps = config_.layer_norm_eps;
    const BertLayer& w = model_.layers()[layer];
    Scratch& scratch = scratch_[part];
    scratch.mid.resize(std::max(scratch.mid.size(), tile_rows_ * h));
    scratch.inner.resize(std::max(scratch.inner.size(), tile_rows_ * inner_width));
    const size_t end = row_begin_[part + 1];
    for (size_t row = row_begin_[part]; row < end; row += tile_rows_) {
      const size_t n = std::min(tile_rows_, end - row);
      float* hidden = hidden_.data() + row * h;
      float* mid = scratch.mid.data();
      float* inner = scratch.inner.data();
      Linear(kernels_, context_.data() + row * h, h, w.attention_out_weight, w.attention_out_bias,
             n, h, h, mid, h);
      kernels_.residual_layer_norm(mid, hidden, w.attention_norm_gamma.data(),
                                   w.attention_norm_beta.data(), eps, n, h);
      Linear(kernels_, mid, h, w.intermediate_weight, w.intermediate_bias, n, inner_width, h, inner,
             inner_width);
      kernels_.gelu_in_place(inner, n * inner_width);
      Linear(kernels_, inner, inner_width, w.output_weight, w.output_bias, n, h, inner_width,
             hidden, h);
      kernels_.residual_layer_norm(hidden, mid, w.output_norm_gamma.data(),
                                   w.output_norm_beta.data(), eps, n, h);
      if (layer + 1 < config_.layers) ProjectQkv(layer + 1, row, n);
    }
  }

  // One forward pass over `batch` (at most max_tokens_per_pass_ tokens, or one sequence); its
  // embeddings go to out[0, batch.size() * hidden).
  void Forward(const TokenBatch& batch, float* out) {
    Plan(batch);
    const size_t tokens = batch.ids.size();
    hidden_.resize(tokens * config_.hidden);
    qkv_.resize(tokens * 3 * config_.hidden);
    context_.resize(tokens * config_.hidden);
    pool_.Run(parts_, [&](size_t part) { EmbedRows(batch, part); });
    for (size_t layer = 0; layer < config_.layers; ++layer) {
      pool_.Run(parts_, [&](size_t part) { Attend(batch, part); });
      pool_.Run(parts_, [&](size_t part) { FinishLayer(layer, part); });
    }
    Pool(batch, out);
  }

  // Mean or [CLS] pooling, then L2 normalisation when asked.
  void Pool(const TokenBatch& batch, float* out) {
    const size_t h = config_.hidden;
    for (size_t b = 0; b < batch.size(); ++b) {
      const float* first = hidden_.data() + size_t{batch.offsets[b]} * h;
      float* target = out + b * h;
      if (model_.pooling() == BertPooling::kCls) {
        std::copy(first, first + h, target);
      } else {
        kernels_.mean_rows(first, batch.length(b), h, target);
      }
      if (normalize_) kernels_.normalize_l2(target, h);
    }
  }

  const BertModel& model_;
  const BertConfig& config_;
  const bool normalize_;
  const BertKernels& kernels_;
  const size_t tile_rows_;
  const size_t max_tokens_per_pass_;  // at least max_positions: one sequence always fits
  WorkerPool pool_;
  // Written by Encode() on the caller's thread before each parallel region (Run() orders them
  // before the helpers' reads); each region's threads then write only their own rows and their
  // own scratch, and read what the previous region wrote.
  std::vector<Scratch> scratch_;
  size_t parts_ = 1;                // threads this batch runs on
  std::vector<size_t> row_begin_;   // parts + 1: part p owns rows [row_begin_[p], [p + 1])
  std::vector<size_t> unit_begin_;  // parts + 1: part p owns attention units likewise
  std::vector<uint32_t> positions_;
  std::vector<float> hidden_;   // tokens x H: the residual stream
  std::vector<float> qkv_;      // tokens x 3H
  std::vector<float> context_;  // tokens x H: attention's output, heads side by side
  TokenBatch pass_;             // one pass's sequences when a batch needs several
};

}  // namespace

std::unique_ptr<BertEncoder> CreateCpuBertEncoder(const BertModel& model,
                                                  const BertEncoderOptions& options) {
  return std::make_unique<CpuBertEncoder>(model, options);
}

}  // namespace lmc::inference
