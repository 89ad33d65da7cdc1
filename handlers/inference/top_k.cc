#include "handlers/inference/top_k.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace lmc::inference {
namespace {

// The total order results follow: larger value first, NaN last, then lower index first.
struct Better {
  const float* values;
  bool operator()(uint32_t a, uint32_t b) const {
    const float x = values[a];
    const float y = values[b];
    const bool x_nan = std::isnan(x);
    const bool y_nan = std::isnan(y);
    if (x_nan != y_nan) return y_nan;
    if (!x_nan && x != y) return x > y;
    return a < b;
  }
};

}  // namespace

void TopK(const float* values, size_t n, size_t k, uint32_t* ids, float* scores) {
  k = std::min(k, n);
  if (k == 0) return;
  const Better better{values};
  if (k * 8 >= n) {
    std::vector<uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0U);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      better);
    std::copy(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), ids);
  } else {
    // A heap of the best k so far with the worst of them on top: one comparison per value in
    // the common case where a value does not make the cut.
    uint32_t* heap = ids;
    size_t size = 0;
    for (uint32_t i = 0; i < n; ++i) {
      if (size < k) {
        heap[size++] = i;
        std::push_heap(heap, heap + size, better);
      } else if (better(i, heap[0])) {
        std::pop_heap(heap, heap + size, better);
        heap[size - 1] = i;
        std::push_heap(heap, heap + size, better);
      }
    }
    std::sort_heap(heap, heap + size, better);
  }
  if (scores != nullptr) {
    for (size_t i = 0; i < k; ++i) scores[i] = values[ids[i]];
  }
}

}  // namespace lmc::inference
