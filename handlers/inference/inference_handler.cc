#include "handlers/inference/inference_handler.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "handlers/inference/cpu_backend.h"
#include "handlers/inference/cuda_loader.h"
#include "handlers/inference/request.h"
#include "lmc/strings.h"

namespace lmc::inference {
namespace {

constexpr char kModelLoadFailed[] = "Inference.ModelLoadFailed";

absl::StatusOr<uint64_t> ParseCount(const char* name, const char* value, uint64_t minimum) {
  uint64_t parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed) || parsed < minimum) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " must be an integer >= ", minimum, ", not \"", value, "\""));
  }
  return parsed;
}

}  // namespace

absl::StatusOr<InferenceConfig> ParseInferenceConfig(
    const std::function<const char*(const char*)>& getenv, const std::filesystem::path& task_root) {
  InferenceConfig config;
  const char* model = getenv("LMC_MODEL");
  if (model == nullptr || *model == '\0') {
    return absl::InvalidArgumentError("LMC_MODEL (the model file) is not set");
  }
  config.model = std::filesystem::path(model);
  if (config.model.is_relative()) config.model = task_root / config.model;

  if (const char* device = getenv("LMC_INFERENCE_DEVICE"); device != nullptr && *device != '\0') {
    const std::string_view name = device;
    if (name == "auto") {
      config.device = Device::kAuto;
    } else if (name == "cpu") {
      config.device = Device::kCpu;
    } else if (name == "cuda") {
      config.device = Device::kCuda;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("LMC_INFERENCE_DEVICE must be auto, cpu or cuda, not \"", device, "\""));
    }
  }
  if (const char* rows = getenv("LMC_BATCH_MAX_ROWS"); rows != nullptr && *rows != '\0') {
    absl::StatusOr<uint64_t> parsed = ParseCount("LMC_BATCH_MAX_ROWS", rows, 1);
    if (!parsed.ok()) return parsed.status();
    config.max_rows = static_cast<size_t>(*parsed);
  }
  if (const char* wait = getenv("LMC_BATCH_MAX_WAIT_US"); wait != nullptr && *wait != '\0') {
    absl::StatusOr<uint64_t> parsed = ParseCount("LMC_BATCH_MAX_WAIT_US", wait, 0);
    if (!parsed.ok()) return parsed.status();
    if (*parsed > 60'000'000) {
      return absl::InvalidArgumentError("LMC_BATCH_MAX_WAIT_US must be at most 60000000 (60 s)");
    }
    config.max_wait = std::chrono::microseconds(*parsed);
  }
  if (const char* every = getenv("LMC_BATCH_METRICS_MS"); every != nullptr && *every != '\0') {
    absl::StatusOr<uint64_t> parsed = ParseCount("LMC_BATCH_METRICS_MS", every, 1);
    if (!parsed.ok()) return parsed.status();
    config.metrics_interval = std::chrono::milliseconds(*parsed);
  }
  return config;
}

absl::StatusOr<std::unique_ptr<InferenceService>> InferenceService::Create(
    const InferenceConfig& config, size_t max_callers, const Logger& logger, const Clock& clock) {
  std::unique_ptr<InferenceService> service(new InferenceService());
  absl::StatusOr<std::unique_ptr<Model>> model = Model::Load(config.model);
  if (!model.ok()) {
    return InitError(kModelLoadFailed, AsStd(model.status().message()), model.status().code());
  }
  service->model_ = *std::move(model);

  if (config.device != Device::kCpu) {
    absl::StatusOr<std::unique_ptr<Backend>> cuda = CreateCudaBackend(*service->model_);
    if (cuda.ok()) {
      service->backend_ = *std::move(cuda);
    } else if (config.device == Device::kCuda) {
      return InitError(kModelLoadFailed,
                       absl::StrCat("LMC_INFERENCE_DEVICE=cuda but ", cuda.status().message()),
                       absl::StatusCode::kUnavailable);
    } else {
      logger.Info(absl::StrCat("inference: using the CPU (", cuda.status().message(), ")"));
    }
  }
  if (service->backend_ == nullptr) service->backend_ = CreateCpuBackend(*service->model_);

  const Model& loaded = *service->model_;
  Backend* backend = service->backend_.get();
  service->batcher_ = std::make_unique<Batcher>(
      loaded.input_width(),
      [backend](const float* rows, size_t num_rows, size_t k, BatchOutput& out) {
        return backend->Run(rows, num_rows, k, out);
      },
      BatcherOptions{.max_rows = config.max_rows,
                     .max_wait = config.max_wait,
                     .max_callers = std::max<size_t>(max_callers, 1),
                     .metrics_interval = config.metrics_interval},
      clock, &logger);
  logger.Info(absl::StrCat("inference: loaded ", config.model.string(), " (",
                           loaded.kind() == ModelKind::kMlp ? "mlp" : "embedding", ", ",
                           loaded.input_width(), " -> ", loaded.output_width(), ") on ",
                           AsAbsl(backend->name()), "; batches of up to ", config.max_rows,
                           " rows, waiting up to ", config.max_wait.count(), " us, ", max_callers,
                           " callers"));
  return service;
}

Result InferenceService::Handle(const Event& event, const Context& context) {
  absl::StatusOr<ParsedRequest> request =
      ParseRequest(event, model_->kind(), model_->input_width());
  if (!request.ok()) {
    return Error("Inference.InvalidInput", std::string{request.status().message()});
  }
  absl::StatusOr<Batcher::Result> result =
      batcher_->Submit(request->rows, request->k, context.deadline());
  if (!result.ok()) {
    if (result.status().code() == absl::StatusCode::kDeadlineExceeded) {
      return Error("Inference.Timeout", std::string{result.status().message()});
    }
    return Error("Inference.DeviceError", std::string{result.status().message()});
  }
  return Response::Json(FormatResponse(model_->kind(), *request, result->output));
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
