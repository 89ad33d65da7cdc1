// File: handlers/inference/cuda_loader.h
//
// The CUDA backend, loaded at run time: the backend itself lives in a plugin
// (liblmc_inference_cuda.so, built from cuda_backend.cu only where the CUDA toolkit is
// installed) that links cuBLAS and the CUDA runtime. The executable never links them, so the
// same binary runs on machines without CUDA libraries; the plugin is dlopen'd only when asked.
//
// Example:
//
//   absl::StatusOr<std::unique_ptr<lmc::inference::Backend>> gpu =
//       lmc::inference::CreateCudaBackend(*model);
//   if (!gpu.ok()) use_cpu();   // no plugin, no CUDA libraries, or no GPU: the status says which
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "handlers/inference/backend.h"
#include "handlers/inference/bert_encoder.h"
#include "handlers/inference/bert_model.h"
#include "handlers/inference/model.h"

namespace lmc::inference {

// The plugin's file name, looked up next to the executable, then through the dynamic loader's
// search path. LMC_CUDA_PLUGIN (an absolute path) overrides both.
inline constexpr char kCudaPluginName[] = "liblmc_inference_cuda.so";

// Loads the plugin, checks that a GPU is visible and uploads `model`'s weights to it.
// Unavailable (with the reason) when the plugin or the CUDA libraries cannot be loaded or no
// GPU is visible; Internal when the upload fails. `model` must outlive the backend.
// Thread-safe.
absl::StatusOr<std::unique_ptr<Backend>> CreateCudaBackend(const Model& model);

// The same for a BERT sentence encoder: uploads every weight once; batches are padded to their
// longest sequence on the device, attention runs as strided-batched cuBLAS products with the
// padding masked. `model` must outlive the encoder. Thread-safe.
absl::StatusOr<std::unique_ptr<BertEncoder>> CreateCudaBertEncoder(
    const BertModel& model, const BertEncoderOptions& options);

}  // namespace lmc::inference
