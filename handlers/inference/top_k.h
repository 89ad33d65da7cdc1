// File: handlers/inference/top_k.h
//
// TopK(): the indices of the K largest values of a row, largest first, ties to the lower index,
// NaN ranked below every number. Shared by the MLP's "top_k" answer and the CPU embedding
// search so both order results the same way.
//
// Example:
//
//   std::vector<uint32_t> ids(3);
//   std::vector<float> best(3);
//   lmc::inference::TopK(scores.data(), scores.size(), 3, ids.data(), best.data());
#pragma once

#include <cstddef>
#include <cstdint>

namespace lmc::inference {

// Writes the min(k, n) best of `values[0..n)` to `ids` (and their values to `scores` when not
// null), best first. Thread-safe (pure); allocates only when k is a large share of n.
void TopK(const float* values, size_t n, size_t k, uint32_t* ids, float* scores);

}  // namespace lmc::inference
