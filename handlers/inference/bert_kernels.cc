// The baseline variant of the BERT kernels (the build's own instruction set) and the choice of
// the best variant for this CPU.
#define LMC_KERNEL_NAMESPACE baseline
#define LMC_KERNEL_LANES 4
#define LMC_KERNEL_NAME "baseline"
#include "handlers/inference/bert_kernels_impl.inc"

namespace lmc::inference {

#ifdef LMC_KERNELS_X86
namespace avx2 {
const BertKernels& Kernels();  // bert_kernels_avx2.cc
}  // namespace avx2
namespace avx512 {
const BertKernels& Kernels();  // bert_kernels_avx512.cc
}  // namespace avx512
#endif

std::vector<const BertKernels*> BertKernels::Available() {
  std::vector<const BertKernels*> kernels = {&baseline::Kernels()};
#ifdef LMC_KERNELS_X86
  // __builtin_cpu_supports also checks that the operating system saves the wider registers.
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    kernels.push_back(&avx2::Kernels());
  }
  if (__builtin_cpu_supports("avx512f")) kernels.push_back(&avx512::Kernels());
#endif
  return kernels;
}

const BertKernels& BertKernels::Best() {
  static const BertKernels& best = *Available().back();
  return best;
}

float FastExp(float x) { return BertKernels::Best().exp(x); }

float FastGelu(float x) { return BertKernels::Best().gelu(x); }

void FillRows(float* x, const float* bias, size_t rows, size_t width, size_t ld) {
  BertKernels::Best().fill_rows(x, bias, rows, width, ld);
}

void GeluInPlace(float* x, size_t count) { BertKernels::Best().gelu_in_place(x, count); }

void ResidualLayerNorm(float* x, const float* residual, const float* gamma, const float* beta,
                       float eps, size_t rows, size_t width) {
  BertKernels::Best().residual_layer_norm(x, residual, gamma, beta, eps, rows, width);
}

void EmbedTokens(const int32_t* ids, const uint32_t* positions, size_t count, const float* words,
                 const float* position_type, const float* gamma, const float* beta, float eps,
                 size_t width, float* out) {
  BertKernels::Best().embed_tokens(ids, positions, count, words, position_type, gamma, beta, eps,
                                   width, out);
}

void SoftmaxRows(float* x, size_t rows, size_t width, size_t ld) {
  BertKernels::Best().softmax_rows(x, rows, width, ld);
}

void AttendShort(const float* q, const float* k, const float* v, size_t ld, size_t n, size_t d,
                 float scale, float* out, size_t out_ld, float* scores) {
  BertKernels::Best().attend_short(q, k, v, ld, n, d, scale, out, out_ld, scores);
}

void MeanRows(const float* x, size_t rows, size_t width, float* out) {
  BertKernels::Best().mean_rows(x, rows, width, out);
}

void NormalizeL2(float* x, size_t width) { BertKernels::Best().normalize_l2(x, width); }

}  // namespace lmc::inference
