// An example handler plugin (lmc/plugin.h) that brings its own model and gets lmc's dynamic
// batching (handlers/batching/batcher.h): concurrent invocations meet in one batch and the model
// runs once per batch. Served with _HANDLER=libbatching_plugin.so:score.
//
//   score   {"features":[a,b,c,d]} -> {"score":a+10b+100c+1000d,"batch_requests":n}
//
// `batch_requests` is how many invocations shared the model call. A batch closes when every
// concurrent invocation (AWS_LAMBDA_MAX_CONCURRENCY) is queued, at 64 requests, or after
// SCORER_MAX_WAIT_US (default 2000) microseconds. A wrong event -> errorType
// "Scorer.InvalidInput"; a deadline that passes while queued -> "Scorer.Timeout".
//
// The model here is a linear scorer in plain C++ so that the example builds anywhere; a real
// plugin calls TensorRT, ONNX Runtime or libtorch in RunBatch, once per batch.
#include <array>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "handlers/batching/batcher.h"
#include "lmc/json.h"
#include "lmc/json_reader.h"
#include "lmc/plugin.h"

namespace {

constexpr size_t kFeatures = 4;

struct Features {
  std::vector<double> features;
};
void DescribeJson(lmc::JsonFields& fields, Features& in) {
  fields.Required("features", in.features);
}

struct Score {
  float value = 0;
  size_t batch_requests = 0;
};

// The model: one matrix-vector product per batch over the requests' features packed row by
// row. RunBatch runs on the batcher's worker thread only, so its scratch needs no lock.
class LinearScorer {
 public:
  absl::Status RunBatch(std::span<const Features* const> requests,
                        std::span<Score* const> responses) {
    packed_.resize(requests.size() * kFeatures);
    for (size_t i = 0; i < requests.size(); ++i) {
      for (size_t j = 0; j < kFeatures; ++j) {
        packed_[i * kFeatures + j] = static_cast<float>(requests[i]->features[j]);
      }
    }
    for (size_t i = 0; i < requests.size(); ++i) {
      float sum = 0;
      for (size_t j = 0; j < kFeatures; ++j) sum += packed_[i * kFeatures + j] * kWeights[j];
      responses[i]->value = sum;
      responses[i]->batch_requests = requests.size();
    }
    return absl::OkStatus();
  }

 private:
  static constexpr std::array<float, kFeatures> kWeights = {1, 10, 100, 1000};
  std::vector<float> packed_;
};

// Built once by the init hook, before any invocation; only read afterwards.
struct Scorer {
  LinearScorer model;
  std::unique_ptr<lmc::batching::Batcher<Features, Score>> batcher;  // destroyed first
};

absl::Status Init(Scorer& scorer, const lmc::InitContext& init) {
  int64_t max_wait_us = 2000;
  // Init runs before any polling loop starts, so no thread can be changing the environment.
  const char* wait = std::getenv("SCORER_MAX_WAIT_US");  // NOLINT(concurrency-mt-unsafe)
  if (wait != nullptr && (!absl::SimpleAtoi(wait, &max_wait_us) || max_wait_us < 0)) {
    return lmc::InitError("Scorer.InvalidConfiguration",
                          absl::StrCat("SCORER_MAX_WAIT_US must be an integer >= 0, not ", wait));
  }
  LinearScorer* model = &scorer.model;
  scorer.batcher = std::make_unique<lmc::batching::Batcher<Features, Score>>(
      [model](std::span<const Features* const> requests, std::span<Score* const> responses) {
        return model->RunBatch(requests, responses);
      },
      lmc::batching::BatcherOptions{
          .max_batch_size = 64,
          .max_wait = std::chrono::microseconds(max_wait_us),
          .max_callers = static_cast<size_t>(std::max(init.function.max_concurrency, 1)),
          .name = "scorer batcher"});
  return absl::OkStatus();
}

lmc::Result HandleScore(const Scorer& scorer, const lmc::Event& event,
                        const lmc::Context& context) {
  absl::StatusOr<Features> in = lmc::ReadJson<Features>(event);
  if (!in.ok()) return lmc::Error("Scorer.InvalidInput", std::string{in.status().message()});
  if (in->features.size() != kFeatures) {
    return lmc::Error("Scorer.InvalidInput", absl::StrCat("\"features\" must hold ", kFeatures,
                                                          " numbers, not ", in->features.size()));
  }
  absl::StatusOr<Score> score = scorer.batcher->Submit(*in, context.deadline());
  if (!score.ok()) {
    const bool late = score.status().code() == absl::StatusCode::kDeadlineExceeded;
    return lmc::Error(late ? "Scorer.Timeout" : "Scorer.Unavailable",
                      std::string{score.status().message()});
  }
  std::string out;
  lmc::JsonWriter(&out)
      .BeginObject()
      .Key("score")
      .Double(score->value)
      .Key("batch_requests")
      .Uint(score->batch_requests)
      .EndObject();
  return lmc::Response::Json(std::move(out));
}

absl::Status RegisterHandlers(lmc::HandlerRegistry& handlers) {
  auto scorer = std::make_shared<Scorer>();
  return handlers.Register(
      "score",
      [scorer](const lmc::Event& event, const lmc::Context& context) {
        return HandleScore(*scorer, event, context);
      },
      [scorer](const lmc::InitContext& init) { return Init(*scorer, init); });
}

}  // namespace

LMC_PLUGIN(RegisterHandlers);
