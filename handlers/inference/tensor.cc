#include "handlers/inference/tensor.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <utility>

namespace lmc::inference {

float HalfToFloat(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000U) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1FU;
  const uint32_t mantissa = bits & 0x3FFU;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float32.
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign != 0 ? -magnitude : magnitude;
  }
  if (exponent == 0x1F) {
    return std::bit_cast<float>(sign | 0x7F800000U | (mantissa << 13));  // Inf or NaN
  }
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

float BFloat16ToFloat(uint16_t bits) { return std::bit_cast<float>(uint32_t{bits} << 16); }

uint16_t FloatToBFloat16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  if (std::isnan(value)) return static_cast<uint16_t>((bits >> 16) | 0x40U);
  const uint32_t rounding = 0x7FFFU + ((bits >> 16) & 1U);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

uint16_t FloatToHalf(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000U);
  const float magnitude = std::fabs(value);
  if (std::isnan(value)) return static_cast<uint16_t>(sign | 0x7E00U);
  if (magnitude >= 65520.0F) return static_cast<uint16_t>(sign | 0x7C00U);  // rounds to Inf
  if (magnitude < 6.103515625e-05F) {
    // Subnormal range: a multiple of 2^-24, rounded to nearest even by nearbyint.
    return static_cast<uint16_t>(sign |
                                 static_cast<uint16_t>(std::nearbyint(magnitude * 16777216.0F)));
  }
  const uint32_t abs_bits = bits & 0x7FFFFFFFU;
  const uint32_t rounding = 0xFFFU + ((abs_bits >> 13) & 1U);
  const uint32_t rounded = abs_bits + rounding;
  return static_cast<uint16_t>(sign | (((rounded >> 23) - 112) << 10) | ((rounded >> 13) & 0x3FFU));
}

FloatTensor FloatTensor::From(const TensorInfo& tensor) {
  FloatTensor result;
  const size_t count = tensor.element_count();
  const char* bytes = tensor.bytes.data();
  if (tensor.dtype == DType::kF32) {
    static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");
    if (reinterpret_cast<uintptr_t>(bytes) % alignof(float) == 0) {
      result.view_ = std::span<const float>(reinterpret_cast<const float*>(bytes), count);
      return result;
    }
    result.owned_.resize(count);
    std::memcpy(result.owned_.data(), bytes, count * sizeof(float));
  } else {
    result.owned_.resize(count);
    for (size_t i = 0; i < count; ++i) {
      uint16_t half = 0;
      std::memcpy(&half, bytes + 2 * i, sizeof(half));
      result.owned_[i] = tensor.dtype == DType::kF16 ? HalfToFloat(half) : BFloat16ToFloat(half);
    }
  }
  result.view_ = result.owned_;
  return result;
}

FloatTensor FloatTensor::Owned(std::vector<float> values) {
  FloatTensor result;
  result.owned_ = std::move(values);
  result.view_ = result.owned_;
  return result;
}

}  // namespace lmc::inference
