#include "handlers/inference/sentence_model.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "handlers/inference/bert_cpu_encoder.h"
#include "handlers/inference/cuda_loader.h"
#include "lmc/strings.h"

namespace lmc::inference {
absl::StatusOr<std::unique_ptr<SentenceModel>> SentenceModel::Create(const InferenceConfig& config,
                                                                     size_t max_callers,
                                                                     const Logger& logger,
                                                                     const Clock& clock) {
  std::unique_ptr<SentenceModel> served(new SentenceModel());
  absl::StatusOr<std::unique_ptr<BertModel>> model = BertModel::Load(config.model);
  if (!model.ok()) {
    return InitError(kModelLoadFailed, AsStd(model.status().message()), model.status().code());
  }
  served->model_ = *std::move(model);
  served->max_texts_ = config.embedding_max_texts;
  const BertEncoderOptions options{.normalize = config.embedding_normalize};

  if (config.device != Device::kCpu) {
    absl::StatusOr<std::unique_ptr<BertEncoder>> cuda =
        CreateCudaBertEncoder(*served->model_, options);
    if (cuda.ok()) {
      served->encoder_ = *std::move(cuda);
    } else if (absl::Status cpu = FallBackToCpu(config.device, cuda.status(), logger); !cpu.ok()) {
      return cpu;
    }
  }
  if (served->encoder_ == nullptr) {
    served->encoder_ = CreateCpuBertEncoder(*served->model_, options);
  }

  SentenceModel* self = served.get();
  served->batcher_ = std::make_unique<TextBatcher>(
      [self](std::span<const TextRequest* const> requests, std::span<Embeddings* const> responses) {
        return self->RunBatch(requests, responses);
      },
      BatcherOptionsFor(config, max_callers), clock, &logger,
      [](const TextRequest& request) { return request.tokens.size(); });
  return served;
}

std::string SentenceModel::Describe() const {
  const BertConfig& c = model_->config();
  return absl::StrCat("bert, ", c.layers, " layers, hidden ", c.hidden, ", ", c.heads,
                      " heads, intermediate ", c.intermediate, ", ", c.max_positions,
                      " positions, ", model_->pooling() == BertPooling::kCls ? "CLS" : "mean",
                      " pooling");
}

Result SentenceModel::Handle(const Event& event, const Context& context) {
  absl::StatusOr<TextRequest> request =
      ParseTextRequest(event, model_->tokenizer(), model_->config().max_positions, max_texts_);
  if (!request.ok()) {
    return Error("Inference.InvalidInput", std::string{request.status().message()});
  }
  absl::StatusOr<Embeddings> embeddings = batcher_->Submit(*request, context.deadline());
  if (!embeddings.ok()) return BatchFailure(embeddings.status());
  return Response::Json(FormatEmbeddings(*request, *embeddings, model_->config().hidden));
}

absl::Status SentenceModel::RunBatch(std::span<const TextRequest* const> requests,
                                     std::span<Embeddings* const> responses) {
  const TokenBatch* batch = &requests.front()->tokens;
  if (requests.size() > 1) {
    gathered_.Clear();
    for (const TextRequest* request : requests) gathered_.Append(request->tokens);
    batch = &gathered_;
  }
  if (absl::Status ran = encoder_->Encode(*batch, output_); !ran.ok()) return ran;
  const size_t width = model_->config().hidden;
  size_t offset = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    const size_t count = requests[i]->tokens.size() * width;
    responses[i]->assign(output_.begin() + static_cast<std::ptrdiff_t>(offset),
                         output_.begin() + static_cast<std::ptrdiff_t>(offset + count));
    offset += count;
  }
  return absl::OkStatus();
}

}  // namespace lmc::inference
