// The AVX-512 variant of the BERT kernels (x86-64 only; compiled with -mavx512f -mfma, run only
// where BertKernels::Available() found AVX-512F).
#define LMC_KERNEL_NAMESPACE avx512
#define LMC_KERNEL_LANES 16
#define LMC_KERNEL_NAME "avx512"
#include "handlers/inference/bert_kernels_impl.inc"
