#include "handlers/inference/row_model.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "handlers/inference/cpu_backend.h"
#include "handlers/inference/cuda_loader.h"
#include "lmc/strings.h"

namespace lmc::inference {
absl::StatusOr<std::unique_ptr<RowModel>> RowModel::Create(const InferenceConfig& config,
                                                           size_t max_callers, const Logger& logger,
                                                           const Clock& clock) {
  std::unique_ptr<RowModel> served(new RowModel());
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(config.model);
  if (!model.ok()) {
    return InitError(kModelLoadFailed, AsStd(model.status().message()), model.status().code());
  }
  served->model_ = *std::move(model);

  if (config.device != Device::kCpu) {
    absl::StatusOr<std::unique_ptr<Backend>> cuda = CreateCudaBackend(*served->model_);
    if (cuda.ok()) {
      served->backend_ = *std::move(cuda);
    } else if (absl::Status cpu = FallBackToCpu(config.device, cuda.status(), logger); !cpu.ok()) {
      return cpu;
    }
  }
  if (served->backend_ == nullptr) served->backend_ = CreateCpuBackend(*served->model_);

  RowModel* self = served.get();
  served->batcher_ = std::make_unique<RowBatcher>(
      [self](std::span<const ParsedRequest* const> requests,
             std::span<BatchOutput* const> responses) {
        return self->RunBatch(requests, responses);
      },
      BatcherOptionsFor(config, max_callers), clock, &logger,
      [](const ParsedRequest& request) { return request.num_rows; });
  return served;
}

std::string RowModel::Describe() const {
  return absl::StrCat(model_->kind() == ModelKind::kMlp ? "mlp" : "embedding", ", ",
                      model_->input_width(), " -> ", model_->output_width());
}

Result RowModel::Handle(const Event& event, const Context& context) {
  absl::StatusOr<ParsedRequest> request =
      ParseRequest(event, model_->kind(), model_->input_width());
  if (!request.ok()) {
    return Error("Inference.InvalidInput", std::string{request.status().message()});
  }
  absl::StatusOr<BatchOutput> output = batcher_->Submit(*request, context.deadline());
  if (!output.ok()) return BatchFailure(output.status());
  return Response::Json(FormatResponse(model_->kind(), *request, *output));
}

absl::Status RowModel::RunBatch(std::span<const ParsedRequest* const> requests,
                                std::span<BatchOutput* const> responses) {
  const size_t width = model_->input_width();
  size_t rows = 0;
  size_t k = 0;
  for (const ParsedRequest* request : requests) {
    rows += request->num_rows;
    k = std::max(k, request->k);
  }
  const float* input = requests.front()->rows.data();
  if (requests.size() > 1) {
    gathered_.resize(rows * width);
    float* next = gathered_.data();
    for (const ParsedRequest* request : requests) {
      next = std::copy(request->rows.begin(), request->rows.end(), next);
    }
    input = gathered_.data();
  }
  if (absl::Status ran = backend_->Run(input, rows, k, output_); !ran.ok()) return ran;

  const bool search = !output_.ids.empty();
  size_t offset = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    const ParsedRequest& request = *requests[i];
    BatchOutput& out = *responses[i];
    // Embedding batches return the largest k asked for; each request keeps its own k (a
    // prefix: results are sorted).
    const size_t out_width = search ? std::min(output_.width, request.k) : output_.width;
    out.width = out_width;
    out.values.resize(request.num_rows * out_width);
    if (search) out.ids.resize(request.num_rows * out_width);
    for (size_t r = 0; r < request.num_rows; ++r) {
      const auto from = static_cast<std::ptrdiff_t>((offset + r) * output_.width);
      const auto to = static_cast<std::ptrdiff_t>(r * out_width);
      std::copy_n(output_.values.begin() + from, out_width, out.values.begin() + to);
      if (search) std::copy_n(output_.ids.begin() + from, out_width, out.ids.begin() + to);
    }
    offset += request.num_rows;
  }
  return absl::OkStatus();
}

}  // namespace lmc::inference
