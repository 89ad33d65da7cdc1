// File: handlers/inference/bert_kernels.h
//
// The small CPU kernels of the BERT forward pass between its matrix products: bias rows (the
// products then accumulate onto them), exact GELU, residual + LayerNorm, the embeddings' gather +
// LayerNorm, row softmax, pooling and L2 normalisation. Written on 4-float vectors (GCC/clang
// vector extensions: SSE2 on x86-64, NEON on arm64, the baseline of every build), so they are
// vectorised whatever the optimisation level and cost model (g++ -O2 does not vectorise loops that
// need a scalar remainder).
//
// exp and erf are computed with this file's own float approximations (a range-reduced exp2
// polynomial; erfc as exp(-z^2) times a Chebyshev fit of erfcx), accurate to a few units in the
// last place of a float (see bert_kernels_test.cc), because the C library's are scalar calls.
//
// Example:
//
//   lmc::inference::GeluInPlace(intermediate, rows * width);
#pragma once

#include <cstddef>
#include <cstdint>

namespace lmc::inference {

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

// out = the mean of `rows` rows of `width` (mean pooling), in float with float accumulation.
void MeanRows(const float* x, size_t rows, size_t width, float* out);

// Scales `x` to unit L2 norm (x / max(|x|, 1e-12), as torch.nn.functional.normalize).
void NormalizeL2(float* x, size_t width);

}  // namespace lmc::inference
