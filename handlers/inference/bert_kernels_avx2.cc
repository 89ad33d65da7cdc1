// The AVX2 + FMA variant of the BERT kernels (x86-64 only; compiled with -mavx2 -mfma, run only
// where BertKernels::Available() found both).
#define LMC_KERNEL_NAMESPACE avx2
#define LMC_KERNEL_LANES 8
#define LMC_KERNEL_NAME "avx2"
#include "handlers/inference/bert_kernels_impl.inc"
