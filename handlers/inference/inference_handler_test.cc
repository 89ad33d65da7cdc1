#include "handlers/inference/inference_handler.h"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handlers/inference/safetensors_writer.h"
#include "lmc/testing/handler_harness.h"
#include "lmc/testing/log_capture.h"
#include "simdjson.h"

namespace lmc::inference {
namespace {

using ::testing::HasSubstr;

std::function<const char*(const char*)> Env(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const char* name) -> const char* {
    const auto it = values.find(name);
    return it == values.end() ? nullptr : it->second.c_str();
  };
}

TEST(InferenceConfig, ResolvesTheModelAgainstTheTaskRootAndAppliesDefaults) {
  absl::StatusOr<InferenceConfig> config =
      ParseInferenceConfig(Env({{"LMC_MODEL", "models/m.safetensors"}}), "/var/task");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->model, "/var/task/models/m.safetensors");
  EXPECT_EQ(config->device, Device::kAuto);
  EXPECT_EQ(config->max_rows, 128U);
  EXPECT_EQ(config->max_wait, std::chrono::microseconds(1000));

  config = ParseInferenceConfig(Env({{"LMC_MODEL", "/opt/m"},
                                     {"LMC_INFERENCE_DEVICE", "cpu"},
                                     {"LMC_BATCH_MAX_ROWS", "1"},
                                     {"LMC_BATCH_MAX_WAIT_US", "0"}}),
                                "/var/task");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->model, "/opt/m");
  EXPECT_EQ(config->device, Device::kCpu);
  EXPECT_EQ(config->max_rows, 1U);
  EXPECT_EQ(config->max_wait, std::chrono::microseconds(0));
}

TEST(InferenceConfig, NamesTheVariableThatIsWrong) {
  const auto message = [](std::map<std::string, std::string> env) {
    return std::string(ParseInferenceConfig(Env(std::move(env)), "/t").status().message());
  };
  EXPECT_THAT(message({}), HasSubstr("LMC_MODEL"));
  EXPECT_THAT(message({{"LMC_MODEL", "m"}, {"LMC_INFERENCE_DEVICE", "tpu"}}),
              HasSubstr("LMC_INFERENCE_DEVICE must be auto, cpu or cuda"));
  EXPECT_THAT(message({{"LMC_MODEL", "m"}, {"LMC_BATCH_MAX_ROWS", "0"}}),
              HasSubstr("LMC_BATCH_MAX_ROWS must be an integer >= 1"));
  EXPECT_THAT(message({{"LMC_MODEL", "m"}, {"LMC_BATCH_MAX_WAIT_US", "soon"}}),
              HasSubstr("LMC_BATCH_MAX_WAIT_US"));
}

class InferenceHandlerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    service_.reset();
    std::filesystem::remove(path_);
  }

  void Load(const ModelToWrite& model, size_t max_callers = 1, Device device = Device::kCpu) {
    ASSERT_TRUE(WriteFile(path_, WriteSafetensors(model)).ok());
    InferenceConfig config;
    config.model = path_;
    config.device = device;
    // Batches close when every caller is queued, never on a timer: deterministic batches.
    config.max_wait = std::chrono::hours(1);
    absl::StatusOr<std::unique_ptr<InferenceService>> service =
        InferenceService::Create(config, max_callers, logger_, Clock::Real());
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
  }

  testing::Outcome Invoke(const std::string& event) {
    testing::Invocation invocation;
    invocation.event = event;
    return testing::Invoke(
        [this](const Event& e, const Context& c) { return service_->Handle(e, c); }, invocation);
  }

  void ExpectInvalid(const std::string& event, std::string_view needle) {
    const testing::Outcome outcome = Invoke(event);
    ASSERT_FALSE(outcome.result.ok()) << event;
    EXPECT_EQ(outcome.result.error().type(), "Inference.InvalidInput") << event;
    EXPECT_THAT(outcome.result.error().message(), HasSubstr(std::string(needle))) << event;
  }

  const std::filesystem::path path_ = std::filesystem::temp_directory_path() /
                                      absl::StrCat("lmc-handler-", ::getpid(), ".safetensors");
  const lmc::testing::LogCapture log_{LogLevel::kFatal};
  const Logger& logger_ = log_.logger();
  std::unique_ptr<InferenceService> service_;
};

TEST_F(InferenceHandlerTest, MlpAnswersOutputsAndTopKInRowOrder) {
  // One layer, identity weights and bias (0, 0.5, 0): outputs are the inputs plus the bias.
  ModelToWrite model;
  model.metadata = {{"lmc.kind", "mlp"}, {"lmc.activation", "relu"}, {"lmc.head", "none"}};
  model.tensors.push_back({"layers.0.weight", DType::kF32, {3, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1}});
  model.tensors.push_back({"layers.0.bias", DType::kF32, {3}, {0, 0.5F, 0}});
  Load(model);
  const testing::Outcome outcome = Invoke(R"({"inputs":[[1,2,3],[3,1.5,-1]],"top_k":2})");
  ASSERT_TRUE(outcome.result.ok()) << outcome.result.error().message();
  EXPECT_EQ(outcome.body, R"({"outputs":[[1,2.5,3],[3,2,-1]],"top_k":[[2,1],[0,1]]})");
  EXPECT_EQ(Invoke(R"({"inputs":[[1,1.5,1]],"top_k":9})").body,
            R"({"outputs":[[1,2,1]],"top_k":[[1,0,2]]})");  // ties to the lower index; K clamped
  EXPECT_EQ(Invoke(R"({"inputs":[[0,0,0]]})").body, R"({"outputs":[[0,0.5,0]]})");
}

TEST_F(InferenceHandlerTest, MlpRejectsBadInputSayingWhatIsWrong) {
  Load(MakeMlp({.widths = {3, 2}}));
  ExpectInvalid("[1,2,3]", "must be a JSON object");
  ExpectInvalid("not json", "must be a JSON object");
  ExpectInvalid("{}", "no \"inputs\"");
  ExpectInvalid(R"({"inputs":5})", "\"inputs\" must be an array of rows");
  ExpectInvalid(R"({"inputs":[]})", "at least one row");
  ExpectInvalid(R"({"inputs":[[]]})", "inputs[0] is empty");
  ExpectInvalid(R"({"inputs":[[1,2,3],[1,2]]})", "inputs[1] has 2 values; the model takes 3");
  ExpectInvalid(R"({"inputs":[[1,2,3,4]]})", "inputs[0] has 4 values; the model takes 3");
  ExpectInvalid(R"({"inputs":[[1,"2",3]]})", "inputs[0][1] is not a number");
  ExpectInvalid(R"({"inputs":[[1,null,3]]})", "inputs[0][1] is not a number");
  ExpectInvalid(R"({"inputs":[7]})", "inputs[0] is not an array of numbers");
  ExpectInvalid(R"({"inputs":[[1,2,3]],"top_k":0})", "\"top_k\" must be >= 1");
  ExpectInvalid(R"({"inputs":[[1,2,3]],"top_k":1.5})", "\"top_k\" must be an integer");
  ExpectInvalid(R"({"inputs":[[1,2,3]],"inputs":[[4,5,6]]})", "\"inputs\" appears twice");
  ExpectInvalid(R"({"inputs":[[1,2,1e39]]})", "inputs[0][2] is 1e+39, beyond a float's range");
}

TEST_F(InferenceHandlerTest, EmbeddingSearchAnswersIdsAndScores) {
  ModelToWrite model;
  model.metadata = {{"lmc.kind", "embedding"}};
  model.tensors.push_back({"embeddings", DType::kF32, {4, 2}, {1, 0, 0, 1, -1, 0, 2, 0}});
  Load(model);
  const testing::Outcome outcome = Invoke(R"({"queries":[[3,0],[0,2]],"k":3})");
  ASSERT_TRUE(outcome.result.ok()) << outcome.result.error().message();
  // Query 0 ties rows 0 and 3 (both cosine 1): the lower id first. Query 1: row 1, then rows
  // 0, 2 and 3 tie at 0.
  EXPECT_EQ(outcome.body,
            R"({"results":[{"ids":[0,3,1],"scores":[1,1,0]},{"ids":[1,0,2],"scores":[1,0,0]}]})");
  EXPECT_EQ(
      Invoke(R"({"queries":[[1,1]],"k":100})").body,
      R"({"results":[{"ids":[0,1,3,2],"scores":[0.70710677,0.70710677,0.70710677,-0.70710677]}]})");
}

TEST_F(InferenceHandlerTest, EmbeddingRejectsBadQueries) {
  Load(MakeEmbeddings({.rows = 5, .dim = 2}));
  ExpectInvalid(R"({"queries":[[1,2]]})", "no \"k\"");
  ExpectInvalid(R"({"queries":[[1,2]],"k":0})", "\"k\" must be >= 1");
  ExpectInvalid(R"({"queries":[[1,2]],"k":-3})", "\"k\" must be >= 1");
  ExpectInvalid(R"({"queries":[[0,0]],"k":1})", "queries[0] is all zeros");
  ExpectInvalid(R"({"queries":[[1]],"k":1})", "queries[0] has 1 values; the model takes 2");
  ExpectInvalid(R"({"inputs":[[1,2]],"k":1})", "no \"queries\"");
}

TEST_F(InferenceHandlerTest, ConcurrentInvocationsEachGetTheirOwnResult) {
  constexpr int kCallers = 16;
  // relu with bias 0 and identity weights: each caller's output is its own input.
  ModelToWrite model;
  model.metadata = {{"lmc.kind", "mlp"}, {"lmc.activation", "relu"}, {"lmc.head", "none"}};
  model.tensors.push_back({"layers.0.weight", DType::kF32, {2, 2}, {1, 0, 0, 1}});
  model.tensors.push_back({"layers.0.bias", DType::kF32, {2}, {0, 0}});
  Load(model, kCallers);
  std::vector<std::string> bodies(kCallers);
  std::vector<std::thread> threads;
  threads.reserve(kCallers);
  for (int c = 0; c < kCallers; ++c) {
    threads.emplace_back(
        [&, c] { bodies[c] = Invoke(absl::StrCat(R"({"inputs":[[)", c, ",", -c, "]]}")).body; });
  }
  for (std::thread& thread : threads) thread.join();
  for (int c = 0; c < kCallers; ++c) {
    EXPECT_EQ(bodies[c], absl::StrCat(R"({"outputs":[[)", c, ",", -c, "]]}"));
  }
  // All sixteen met in one batch (it closes when every caller is queued).
  EXPECT_EQ(service_->batcher_stats().batches, 1U);
}

TEST_F(InferenceHandlerTest, SearchRequestsInOneBatchEachKeepTheirOwnK) {
  ModelToWrite model;
  model.metadata = {{"lmc.kind", "embedding"}};
  model.tensors.push_back({"embeddings", DType::kF32, {3, 2}, {1, 0, 0, 1, -1, 0}});
  Load(model, /*max_callers=*/2);
  std::string one;
  std::string three;
  std::thread first([&] { one = Invoke(R"({"queries":[[1,0]],"k":1})").body; });
  std::thread second([&] { three = Invoke(R"({"queries":[[0,1],[1,0]],"k":3})").body; });
  first.join();
  second.join();
  EXPECT_EQ(one, R"({"results":[{"ids":[0],"scores":[1]}]})");
  EXPECT_EQ(three,
            R"({"results":[{"ids":[1,0,2],"scores":[1,0,0]},{"ids":[0,1,2],"scores":[1,0,-1]}]})");
  EXPECT_EQ(service_->batcher_stats().batches, 1U);  // one batch, run with k = 3
}

TEST(InferenceService, AModelThatCannotLoadIsAModelLoadFailedInitError) {
  const lmc::testing::LogCapture log(LogLevel::kFatal);
  const Logger& logger = log.logger();
  InferenceConfig config;
  config.model = "/nonexistent/model.safetensors";
  const absl::Status missing = InferenceService::Create(config, 1, logger, Clock::Real()).status();
  EXPECT_EQ(InitErrorType(missing), "Inference.ModelLoadFailed");
  EXPECT_THAT(std::string(missing.message()), HasSubstr("/nonexistent/model.safetensors"));
}

TEST(InferenceService, CudaWithoutAGpuOrPluginIsAModelLoadFailedInitError) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     absl::StrCat("lmc-cuda-", ::getpid(), ".safetensors");
  ASSERT_TRUE(WriteFile(path, WriteSafetensors(MakeMlp({.widths = {2, 2}}))).ok());
  const lmc::testing::LogCapture log(LogLevel::kFatal);
  const Logger& logger = log.logger();
  InferenceConfig config;
  config.model = path;
  config.device = Device::kCuda;
  absl::StatusOr<std::unique_ptr<InferenceService>> service =
      InferenceService::Create(config, 1, logger, Clock::Real());
  if (service.ok()) {
    std::filesystem::remove(path);
    GTEST_SKIP() << "a GPU and the CUDA plugin are present: covered by the GPU tests";
  }
  EXPECT_EQ(InitErrorType(service.status()), "Inference.ModelLoadFailed");
  EXPECT_THAT(std::string(service.status().message()), HasSubstr("LMC_INFERENCE_DEVICE=cuda"));
  // auto falls back to the CPU.
  config.device = Device::kAuto;
  service = InferenceService::Create(config, 1, logger, Clock::Real());
  std::filesystem::remove(path);
  ASSERT_TRUE(service.ok()) << service.status();
  EXPECT_EQ((*service)->backend_name(), "cpu");
}

}  // namespace
}  // namespace lmc::inference
