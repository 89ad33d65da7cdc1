// File: handlers/inference/row_model.h
//
// RowModel: the ServedModel of the two safetensors model kinds whose requests are rows of
// floats (model.h): the MLP ({"inputs":[[...]]}) and the embedding table ({"queries":[[...]],
// "k":K}). Each invocation's rows go through an lmc::batching::Batcher sized in rows; a batch
// is gathered into one matrix, run as one forward pass on the backend (CPU or CUDA) and each
// invocation gets exactly its own output rows back.
//
// Example:
//
//   absl::StatusOr<std::unique_ptr<lmc::inference::RowModel>> model =
//       lmc::inference::RowModel::Create(config, /*max_callers=*/64, logger, lmc::Clock::Real());
//   lmc::Result result = (*model)->Handle(event, context);
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "handlers/batching/batcher.h"
#include "handlers/inference/backend.h"
#include "handlers/inference/inference_config.h"
#include "handlers/inference/model.h"
#include "handlers/inference/request.h"
#include "handlers/inference/served_model.h"

namespace lmc::inference {

// RowModel
//
// See ServedModel for thread-safety. Owns the model, its backend and its batcher.
class RowModel final : public ServedModel {
 public:
  // Loads config.model and picks the backend (config.device). Errors are InitError()s (see
  // lmc/registry.h) with errorType "Inference.ModelLoadFailed". `logger` (the backend choice
  // and batch metrics) and `clock` must outlive the model.
  static absl::StatusOr<std::unique_ptr<RowModel>> Create(const InferenceConfig& config,
                                                          size_t max_callers, const Logger& logger,
                                                          const Clock& clock);

  Result Handle(const Event& event, const Context& context) override;
  std::string_view backend_name() const override { return backend_->name(); }
  std::string Describe() const override;
  std::string_view batch_unit() const override { return "rows"; }
  batching::BatcherStats batcher_stats() const override { return batcher_->stats(); }

 private:
  using RowBatcher = batching::Batcher<ParsedRequest, BatchOutput>;

  RowModel() = default;
  // The batch function: gathers the requests' rows, runs the backend once, and hands each
  // response its own rows (for embedding search, the first k of the batch's largest k).
  absl::Status RunBatch(std::span<const ParsedRequest* const> requests,
                        std::span<BatchOutput* const> responses);

  std::unique_ptr<Model> model_;
  std::unique_ptr<Backend> backend_;  // only the batcher's worker calls Run()
  // Worker-only scratch (RunBatch runs on the batcher's worker thread only).
  std::vector<float> gathered_;
  BatchOutput output_;
  std::unique_ptr<RowBatcher> batcher_;  // destroyed first (joins the worker)
};

}  // namespace lmc::inference
