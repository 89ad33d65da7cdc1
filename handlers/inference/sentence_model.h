// File: handlers/inference/sentence_model.h
//
// SentenceModel: the ServedModel of BERT sentence-embedding models (a Hugging Face directory,
// bert_model.h). Each invocation's texts are tokenized on its own thread (text_request.h), meet
// the other invocations' texts in an lmc::batching::Batcher sized in texts, run as one forward
// pass on the encoder (CPU, or CUDA through the plugin) and each invocation gets exactly its own
// embeddings back.
//
// Example:
//
//   absl::StatusOr<std::unique_ptr<lmc::inference::SentenceModel>> model =
//       lmc::inference::SentenceModel::Create(config, /*max_callers=*/64, logger,
//                                             lmc::Clock::Real());
//   lmc::Result result = (*model)->Handle(event, context);   // {"texts":["..."]}
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "handlers/batching/batcher.h"
#include "handlers/inference/bert_encoder.h"
#include "handlers/inference/bert_model.h"
#include "handlers/inference/inference_config.h"
#include "handlers/inference/served_model.h"
#include "handlers/inference/text_request.h"

namespace lmc::inference {

// SentenceModel
//
// See ServedModel for thread-safety. Owns the model, its encoder and its batcher.
class SentenceModel final : public ServedModel {
 public:
  // Loads the directory config.model and picks the encoder (config.device). Errors are
  // InitError()s (see lmc/registry.h) with errorType "Inference.ModelLoadFailed", naming the file
  // and the field. `logger` (the device choice and batch metrics) and `clock` must outlive it.
  static absl::StatusOr<std::unique_ptr<SentenceModel>> Create(const InferenceConfig& config,
                                                               size_t max_callers,
                                                               const Logger& logger,
                                                               const Clock& clock);

  Result Handle(const Event& event, const Context& context) override;
  std::string_view backend_name() const override { return encoder_->name(); }
  std::string Describe() const override;
  std::string_view batch_unit() const override { return "texts"; }
  batching::BatcherStats batcher_stats() const override { return batcher_->stats(); }

 private:
  // One request's embeddings, row-major.
  using Embeddings = std::vector<float>;
  using TextBatcher = batching::Batcher<TextRequest, Embeddings>;

  SentenceModel() = default;
  // The batch function: concatenates the requests' sequences, encodes them once and hands each
  // response its own rows.
  absl::Status RunBatch(std::span<const TextRequest* const> requests,
                        std::span<Embeddings* const> responses);

  std::unique_ptr<BertModel> model_;
  std::unique_ptr<BertEncoder> encoder_;  // only the batcher's worker calls Encode()
  size_t max_texts_ = 0;
  // Worker-only scratch (RunBatch runs on the batcher's worker thread only).
  TokenBatch gathered_;
  std::vector<float> output_;
  std::unique_ptr<TextBatcher> batcher_;  // destroyed first (joins the worker)
};

}  // namespace lmc::inference
