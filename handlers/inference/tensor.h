// File: handlers/inference/tensor.h
//
// Turning safetensors tensor bytes into float32 for the backends: F32 data that is suitably
// aligned is used in place (the mapping is not copied); unaligned F32, F16 and BF16 data is
// converted into an owned buffer once, at load time.
//
// Example:
//
//   lmc::inference::FloatTensor weight = lmc::inference::FloatTensor::From(*info);
//   cblas_sgemv(..., weight.data(), ...);
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "handlers/inference/safetensors.h"

namespace lmc::inference {

// IEEE 754 binary16 -> float32 (exact: every half is a float; NaN and infinities preserved).
float HalfToFloat(uint16_t bits);
// bfloat16 -> float32 (exact: the upper half of a float32).
float BFloat16ToFloat(uint16_t bits);
// float32 -> binary16, round to nearest even (for writing test models).
uint16_t FloatToHalf(float value);
// float32 -> bfloat16, round to nearest even (for writing test models).
uint16_t FloatToBFloat16(float value);

// FloatTensor
//
// A tensor's elements as float32, either borrowed from the mapping (aligned little-endian F32)
// or owned. Borrowed data is valid as long as the SafetensorsFile it came from. Move-only;
// immutable, so thread-safe to read.
class FloatTensor {
 public:
  FloatTensor() = default;
  // Reads `tensor`, which must have passed ParseSafetensors() and have a float dtype
  // (IsFloatDType(): F32, F16 or BF16; the caller checks).
  static FloatTensor From(const TensorInfo& tensor);
  // Owns `values`.
  static FloatTensor Owned(std::vector<float> values);

  FloatTensor(FloatTensor&&) = default;
  FloatTensor& operator=(FloatTensor&&) = default;
  FloatTensor(const FloatTensor&) = delete;
  FloatTensor& operator=(const FloatTensor&) = delete;

  const float* data() const { return view_.data(); }
  size_t size() const { return view_.size(); }
  std::span<const float> values() const { return view_; }
  // True when the values are the mapping's bytes (no copy was made).
  bool borrowed() const { return owned_.empty() && !view_.empty(); }

 private:
  std::vector<float> owned_;
  std::span<const float> view_;
};

}  // namespace lmc::inference
