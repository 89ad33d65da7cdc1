#include "handlers/inference/bert_kernels.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

namespace lmc::inference {
namespace {

constexpr size_t kLanes = 4;
using Vec = float __attribute__((vector_size(kLanes * sizeof(float))));
using IVec = int32_t __attribute__((vector_size(kLanes * sizeof(int32_t))));

inline Vec Load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void Store(float* p, Vec v) { std::memcpy(p, &v, sizeof(v)); }
// The first `count` (< kLanes) values at `p`, zeros after them.
inline Vec LoadPartial(const float* p, size_t count) {
  Vec v = {};
  std::memcpy(&v, p, count * sizeof(float));
  return v;
}
inline void StorePartial(float* p, Vec v, size_t count) {
  std::memcpy(p, &v, count * sizeof(float));
}
inline Vec Min(Vec a, Vec b) { return a < b ? a : b; }
inline Vec Max(Vec a, Vec b) { return a > b ? a : b; }
inline float Sum(Vec v) { return (v[0] + v[1]) + (v[2] + v[3]); }
inline float MaxOf(Vec v) { return std::max(std::max(v[0], v[1]), std::max(v[2], v[3])); }

// e^x: x = n ln2 + r with |r| <= ln2 / 2 (ln2 split in two so n ln2 is exact), e^r by its Taylor
// polynomial of degree 7 (truncation error below 1e-8), 2^n built in the exponent bits.
inline Vec Exp(Vec input) {
  const Vec x = Min(Max(input, Vec{} - 87.0F), Vec{} + 88.0F);
  // Round to nearest by adding and removing 1.5 * 2^23 (exact for |x log2 e| < 2^22).
  const Vec n = (x * 1.44269504088896341F + 12582912.0F) - 12582912.0F;
  Vec r = x - n * 0.693145751953125F;   // ln 2, high part (exact product)
  r = r - n * 1.42860682030941723e-6F;  // ln 2, low part
  const Vec p =
      1.0F + r * (1.0F + r * (0.5F + r * (1.66666667e-1F +
                                          r * (4.16666667e-2F +
                                               r * (8.33333333e-3F +
                                                    r * (1.38888889e-3F + r * 1.98412698e-4F))))));
  const IVec exponent = __builtin_convertvector(n, IVec) + 127;
  const Vec result = p * std::bit_cast<Vec>(exponent << 23);
  return input < -87.0F ? Vec{} : result;
}

// x Phi(x) with Phi(x) = erfc(-x / sqrt 2) / 2, and erfc(z) = e^(-z^2) erfcx(z) for z >= 0.
// erfcx on [0, 4] is a degree-9 Chebyshev fit in u = 3 / (1 + z / 2) - 2 (relative error
// 2.3e-8 in exact arithmetic); beyond z = 4, erfc(z) < 2e-8 and the fit at 4 is close enough.
inline Vec Gelu(Vec x) {
  const Vec z = (x < 0.0F ? -x : x) * 0.707106781186547524F;
  const Vec t = 1.0F / (1.0F + 0.5F * Min(z, Vec{} + 4.0F));
  const Vec u = 3.0F * t - 2.0F;
  const Vec erfcx =
      4.275835752e-01F +
      u * (4.098180234e-01F +
           u * (1.424269378e-01F +
                u * (2.250952087e-02F +
                     u * (-1.601499622e-03F +
                          u * (-8.613543469e-04F +
                               u * (9.891649097e-05F +
                                    u * (3.481518434e-05F +
                                         u * (-8.203498510e-06F + u * -7.331889265e-07F))))))));
  const Vec half_erfc = 0.5F * Exp(-z * z) * erfcx;
  return x * (x >= 0.0F ? 1.0F - half_erfc : half_erfc);
}

// Normalizes `row` (width values, already summed) into `out` with gamma and beta; `out` may be
// `row`.
void LayerNormRow(const float* row, const float* gamma, const float* beta, float eps, size_t width,
                  float* out) {
  Vec partial = {};
  size_t j = 0;
  for (; j + kLanes <= width; j += kLanes) partial += Load(row + j);
  float sum = Sum(partial);
  for (; j < width; ++j) sum += row[j];
  const float mean = sum / static_cast<float>(width);
  Vec squares = {};
  for (j = 0; j + kLanes <= width; j += kLanes) {
    const Vec d = Load(row + j) - mean;
    squares += d * d;
  }
  float variance = Sum(squares);
  for (; j < width; ++j) variance += (row[j] - mean) * (row[j] - mean);
  const float scale = 1.0F / std::sqrt(variance / static_cast<float>(width) + eps);
  for (j = 0; j + kLanes <= width; j += kLanes) {
    Store(out + j, (Load(row + j) - mean) * scale * Load(gamma + j) + Load(beta + j));
  }
  for (; j < width; ++j) out[j] = (row[j] - mean) * scale * gamma[j] + beta[j];
}

}  // namespace

float FastExp(float x) { return Exp(Vec{} + x)[0]; }

float FastGelu(float x) { return Gelu(Vec{} + x)[0]; }

void FillRows(float* x, const float* bias, size_t rows, size_t width, size_t ld) {
  for (size_t r = 0; r < rows; ++r) std::copy(bias, bias + width, x + r * ld);
}

void GeluInPlace(float* x, size_t count) {
  size_t j = 0;
  for (; j + kLanes <= count; j += kLanes) Store(x + j, Gelu(Load(x + j)));
  if (j < count) StorePartial(x + j, Gelu(LoadPartial(x + j, count - j)), count - j);
}

void ResidualLayerNorm(float* x, const float* residual, const float* gamma, const float* beta,
                       float eps, size_t rows, size_t width) {
  for (size_t r = 0; r < rows; ++r) {
    float* row = x + r * width;
    const float* residual_row = residual + r * width;
    size_t j = 0;
    for (; j + kLanes <= width; j += kLanes) Store(row + j, Load(row + j) + Load(residual_row + j));
    for (; j < width; ++j) row[j] += residual_row[j];
    LayerNormRow(row, gamma, beta, eps, width, row);
  }
}

void EmbedTokens(const int32_t* ids, const uint32_t* positions, size_t count, const float* words,
                 const float* position_type, const float* gamma, const float* beta, float eps,
                 size_t width, float* out) {
  for (size_t i = 0; i < count; ++i) {
    const float* word = words + static_cast<size_t>(ids[i]) * width;
    const float* position = position_type + size_t{positions[i]} * width;
    float* row = out + i * width;
    size_t j = 0;
    for (; j + kLanes <= width; j += kLanes) Store(row + j, Load(word + j) + Load(position + j));
    for (; j < width; ++j) row[j] = word[j] + position[j];
    LayerNormRow(row, gamma, beta, eps, width, row);
  }
}

void SoftmaxRows(float* x, size_t rows, size_t width, size_t ld) {
  for (size_t r = 0; r < rows; ++r) {
    float* row = x + r * ld;
    Vec partial_max = Vec{} - INFINITY;
    size_t j = 0;
    for (; j + kLanes <= width; j += kLanes) partial_max = Max(partial_max, Load(row + j));
    float max = MaxOf(partial_max);
    for (; j < width; ++j) max = std::max(max, row[j]);
    Vec partial_sum = {};
    for (j = 0; j + kLanes <= width; j += kLanes) {
      const Vec e = Exp(Load(row + j) - max);
      Store(row + j, e);
      partial_sum += e;
    }
    float sum = Sum(partial_sum);
    if (j < width) {
      const size_t rest = width - j;
      const Vec e = Exp(LoadPartial(row + j, rest) - max);
      StorePartial(row + j, e, rest);
      for (size_t l = 0; l < rest; ++l) sum += e[l];
    }
    const float scale = 1.0F / sum;
    for (j = 0; j + kLanes <= width; j += kLanes) Store(row + j, Load(row + j) * scale);
    for (; j < width; ++j) row[j] *= scale;
  }
}

void MeanRows(const float* x, size_t rows, size_t width, float* out) {
  std::fill(out, out + width, 0.0F);
  for (size_t r = 0; r < rows; ++r) {
    const float* row = x + r * width;
    size_t j = 0;
    for (; j + kLanes <= width; j += kLanes) Store(out + j, Load(out + j) + Load(row + j));
    for (; j < width; ++j) out[j] += row[j];
  }
  const float scale = 1.0F / static_cast<float>(std::max<size_t>(rows, 1));
  for (size_t j = 0; j < width; ++j) out[j] *= scale;
}

void NormalizeL2(float* x, size_t width) {
  float sum = 0;
  for (size_t j = 0; j < width; ++j) sum += x[j] * x[j];
  const float scale = 1.0F / std::max(std::sqrt(sum), 1e-12F);
  for (size_t j = 0; j < width; ++j) x[j] *= scale;
}

}  // namespace lmc::inference
