// File: handlers/inference/bert_kernels.h
//
// The small CPU kernels of the BERT forward pass (and the CPU backend's MLP) between matrix
// products: bias rows (the products then accumulate onto them), exact GELU, residual +
// LayerNorm, the embeddings' gather + LayerNorm, row softmax, attention over short sequences,
// pooling and L2 normalisation.
//
// Written once on GCC/clang vector extensions (bert_kernels_impl.inc) and compiled once per
// instruction set: the build's baseline (SSE2 on x86-64, NEON on arm64) and, on x86-64, AVX2+FMA
// and AVX-512; BertKernels::Best() picks the widest this CPU runs, once. g++ -O2 alone would not
// vectorise these loops (its cost model refuses loops that need a scalar remainder), and the
// baseline x86-64 build has no FMA and 4-float vectors.
//
// exp and erf are this file's own float approximations (a range-reduced exp polynomial; erfc as
// exp(-z^2) times a Chebyshev fit of erfcx), accurate to a few units in the last place of a float
// (bert_cpu_encoder_test.cc checks every variant), because the C library's are scalar calls.
//
// Example:
//
//   lmc::inference::GeluInPlace(intermediate, rows * width);   // the best variant
//   const lmc::inference::BertKernels& k = lmc::inference::BertKernels::Best();
//   k.softmax_rows(scores, n, n, n);
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lmc::inference {

// BertKernels
//
// One instruction set's kernels. Immutable, static storage: thread-safe. The functions' contracts
// are those of the free functions below.
struct BertKernels {
  const char* name;  // "baseline", "avx2" or "avx512"
  float (*exp)(float x);
  float (*gelu)(float x);
  void (*fill_rows)(float* x, const float* bias, size_t rows, size_t width, size_t ld);
  void (*gelu_in_place)(float* x, size_t count);
  void (*residual_layer_norm)(float* x, const float* residual, const float* gamma,
                              const float* beta, float eps, size_t rows, size_t width);
  void (*embed_tokens)(const int32_t* ids, const uint32_t* positions, size_t count,
                       const float* words, const float* position_type, const float* gamma,
                       const float* beta, float eps, size_t width, float* out);
  void (*softmax_rows)(float* x, size_t rows, size_t width, size_t ld);
  void (*attend_short)(const float* q, const float* k, const float* v, size_t ld, size_t n,
                       size_t d, float scale, float* out, size_t out_ld, float* scores);
  void (*mean_rows)(const float* x, size_t rows, size_t width, float* out);
  void (*normalize_l2)(float* x, size_t width);

  // The widest variant this CPU (and its operating system) runs; decided on the first call.
  static const BertKernels& Best();
  // Every variant this CPU runs, the baseline first (tests run them all).
  static std::vector<const BertKernels*> Available();
};

// e^x for float x: 0 below -87 (where e^x leaves the normal floats), e^88 above 88.
float FastExp(float x);
// The exact GELU, x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), in float.
float FastGelu(float x);

// x[r, j] = bias[j] for `rows` rows `ld` floats apart (a matrix product then adds to it).
void FillRows(float* x, const float* bias, size_t rows, size_t width, size_t ld);

// x = GELU(x) for `count` values, in place.
void GeluInPlace(float* x, size_t count);

// x[r] = LayerNorm(x[r] + residual[r]) * gamma + beta over rows of `width`, in place, with the
// biased variance and `eps` as PyTorch's LayerNorm.
void ResidualLayerNorm(float* x, const float* residual, const float* gamma, const float* beta,
                       float eps, size_t rows, size_t width);

// The embeddings of `count` tokens: out[i] = LayerNorm(words[ids[i]] + position_type[
// positions[i]]) * gamma + beta, rows of `width`.
void EmbedTokens(const int32_t* ids, const uint32_t* positions, size_t count, const float* words,
                 const float* position_type, const float* gamma, const float* beta, float eps,
                 size_t width, float* out);

// Softmax of each of `rows` rows of `width` values, rows `ld` floats apart, in place.
void SoftmaxRows(float* x, size_t rows, size_t width, size_t ld);

// One attention head over a short sequence of `n` tokens, computed directly (for a few tokens a
// matrix-product call costs more than the products): out[i] = sum_j softmax_j(scale q_i . k_j)
// v_j, with q, k and v rows of `d` values `ld` floats apart, out rows `out_ld` apart; `scores`
// holds n floats of scratch.
void AttendShort(const float* q, const float* k, const float* v, size_t ld, size_t n, size_t d,
                 float scale, float* out, size_t out_ld, float* scores);

// out = the mean of `rows` rows of `width` (mean pooling), in float with float accumulation.
void MeanRows(const float* x, size_t rows, size_t width, float* out);

// Scales `x` to unit L2 norm (x / max(|x|, 1e-12), as torch.nn.functional.normalize).
void NormalizeL2(float* x, size_t width);

}  // namespace lmc::inference
