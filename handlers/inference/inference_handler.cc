#include "handlers/inference/inference_handler.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "handlers/inference/row_model.h"
#include "handlers/inference/sentence_model.h"
#include "lmc/strings.h"

namespace lmc::inference {

absl::StatusOr<std::unique_ptr<InferenceService>> InferenceService::Create(
    const InferenceConfig& config, size_t max_callers, const Logger& logger, const Clock& clock) {
  // One branch per model kind: a directory is a BERT sentence-embedding model (Hugging Face
  // layout), a safetensors file with lmc.* metadata a rows model.
  std::unique_ptr<ServedModel> model;
  std::error_code error;
  if (std::filesystem::is_directory(config.model, error)) {
    absl::StatusOr<std::unique_ptr<SentenceModel>> sentences =
        SentenceModel::Create(config, max_callers, logger, clock);
    if (!sentences.ok()) return sentences.status();
    model = *std::move(sentences);
  } else {
    absl::StatusOr<std::unique_ptr<RowModel>> rows =
        RowModel::Create(config, max_callers, logger, clock);
    if (!rows.ok()) return rows.status();
    model = *std::move(rows);
  }

  logger.Info(absl::StrCat("inference: loaded ", config.model.string(), " (", model->Describe(),
                           ") on ", AsAbsl(model->backend_name()), "; batches of up to ",
                           config.max_rows, " ", AsAbsl(model->batch_unit()), ", waiting up to ",
                           config.max_wait.count(), " us, ", max_callers, " callers"));
  return std::unique_ptr<InferenceService>(new InferenceService(std::move(model)));
}

absl::Status Register(HandlerRegistry& registry) {
  // Written once by the init hook, before polling starts (the runtime's threads are created
  // after it returns, which orders the write before every read); only read afterwards.
  struct Holder {
    std::unique_ptr<Logger> logger;
    std::unique_ptr<InferenceService> service;
  };
  auto holder = std::make_shared<Holder>();
  return registry.Register(
      "inference",
      [holder](const Event& event, const Context& context) -> Result {
        return holder->service->Handle(event, context);
      },
      [holder](const InitContext& init) -> absl::Status {
        // Init runs before any polling loop starts, so no thread can be changing the environment.
        absl::StatusOr<InferenceConfig> config = ParseInferenceConfig(
            [](const char* name) { return std::getenv(name); },  // NOLINT(concurrency-mt-unsafe)
            init.task_root);
        if (!config.ok()) {
          return InitError("Inference.InvalidConfiguration", AsStd(config.status().message()),
                           absl::StatusCode::kInvalidArgument);
        }
        // The init logger lives only during the hook; batch metrics keep a copy (it binds no
        // invocation, and the log output lives as long as the process).
        holder->logger = std::make_unique<Logger>(init.logger);  // no invocation fields
        absl::StatusOr<std::unique_ptr<InferenceService>> service =
            InferenceService::Create(*config, static_cast<size_t>(init.function.max_concurrency),
                                     *holder->logger, Clock::Real());
        if (!service.ok()) return service.status();
        holder->service = *std::move(service);
        return absl::OkStatus();
      });
}

}  // namespace lmc::inference
