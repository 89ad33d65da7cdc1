// End to end: the real inference-bootstrap against the Runtime API emulator.
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "handlers/inference/bert_cpu_encoder.h"
#include "handlers/inference/bert_writer.h"
#include "handlers/inference/safetensors_writer.h"
#include "lmc/strings.h"
#include "tests/support/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

using ::testing::HasSubstr;

class InferenceBootstrapTest : public BootstrapTest {
 protected:
  void SetUp() override {
    // The fixture runs $LMC_TEST_BOOTSTRAP: this tree's inference-bootstrap, or
    // $LMC_TEST_INFERENCE_BOOTSTRAP (packaging/prove runs the suite against a packaged one). No
    // thread is running yet, so getenv and setenv are safe.
    // NOLINTNEXTLINE(concurrency-mt-unsafe)
    const char* packaged = ::getenv("LMC_TEST_INFERENCE_BOOTSTRAP");
    // NOLINTNEXTLINE(concurrency-mt-unsafe)
    ::setenv("LMC_TEST_BOOTSTRAP", packaged != nullptr ? packaged : LMC_INFERENCE_BOOTSTRAP_PATH,
             1);
    BootstrapTest::SetUp();
    task_root_ = tmp_root() / "task";
    std::filesystem::create_directories(task_root_);
  }

  // Writes `model` as task_root/model.safetensors.
  void WriteModel(const inference::ModelToWrite& model) {
    ASSERT_TRUE(
        inference::WriteFile(task_root_ / "model.safetensors", inference::WriteSafetensors(model))
            .ok());
  }

  // `model`: relative, so taken from LAMBDA_TASK_ROOT.
  void Start(int concurrency, std::vector<std::string> env = {},
             std::string_view model = "model.safetensors") {
    env.push_back(absl::StrCat("LMC_MODEL=", AsAbsl(model)));
    env.push_back(absl::StrCat("LAMBDA_TASK_ROOT=", task_root_.string()));
    env.push_back(absl::StrCat("AWS_LAMBDA_MAX_CONCURRENCY=", concurrency));
    StartBootstrap("inference", std::move(env));
  }

  emulator::Answer AnswerFor(const std::string& request_id) {
    const auto record = emulator().record(request_id);
    EXPECT_TRUE(record.has_value()) << request_id;
    if (!record.has_value() || record->answers.empty()) return {};
    return record->answers[0];
  }

  std::string ErrorType(const emulator::Answer& answer) {
    simdjson::dom::parser parser;
    return std::string{static_cast<std::string_view>(ParseJson(parser, answer.body)["errorType"])};
  }

  std::filesystem::path task_root_;
};

// Identity weights, zero bias, relu: the output of a row of non-negative values is the row.
inference::ModelToWrite IdentityMlp() {
  inference::ModelToWrite model;
  model.metadata = {{"lmc.kind", "mlp"}, {"lmc.activation", "relu"}, {"lmc.head", "none"}};
  model.tensors.push_back({"layers.0.weight", inference::DType::kF32, {2, 2}, {1, 0, 0, 1}});
  model.tensors.push_back({"layers.0.bias", inference::DType::kF32, {2}, {0, 0}});
  return model;
}

TEST_F(InferenceBootstrapTest, EveryConcurrentInvocationGetsItsOwnRows) {
  constexpr int kEvents = 96;
  WriteModel(IdentityMlp());
  StartEmulator();
  for (int i = 0; i < kEvents; ++i) {
    emulator().Enqueue({.body = absl::StrCat(R"({"inputs":[[)", i, ",", 2 * i, "]],\"top_k\":1}"),
                        .request_id = RequestIdFor("mlp", i)});
  }
  emulator().Enqueue({.body = R"({"inputs":[[1,2,3]]})", .request_id = "bad-width"});
  Start(16, {"LMC_BATCH_MAX_WAIT_US=200000"});
  ASSERT_TRUE(emulator().WaitForClosed(kEvents + 1, kWait));
  for (int i = 0; i < kEvents; ++i) {
    const emulator::Answer answer = AnswerFor(RequestIdFor("mlp", i));
    EXPECT_EQ(answer.kind, emulator::Answer::Kind::kResponse);
    EXPECT_EQ(answer.body, absl::StrCat(R"({"outputs":[[)", i, ",", 2 * i, "]],\"top_k\":[[",
                                        i == 0 ? 0 : 1, "]]}"));
  }
  const emulator::Answer bad = AnswerFor("bad-width");
  EXPECT_EQ(bad.kind, emulator::Answer::Kind::kError);
  EXPECT_EQ(ErrorType(bad), "Inference.InvalidInput");
  EXPECT_THAT(bad.body, HasSubstr("inputs[0] has 3 values; the model takes 2"));
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(InferenceBootstrapTest, EmbeddingSearchAnswersThroughTheRuntime) {
  inference::ModelToWrite model;
  model.metadata = {{"lmc.kind", "embedding"}};
  model.tensors.push_back({"embeddings", inference::DType::kBF16, {3, 2}, {1, 0, 0, 1, 1, 1}});
  WriteModel(model);
  StartEmulator();
  emulator().Enqueue({.body = R"({"queries":[[0,5]],"k":2})", .request_id = "search"});
  emulator().Enqueue({.body = R"({"queries":[[0,0]],"k":2})", .request_id = "zero"});
  Start(2, {"LMC_INFERENCE_DEVICE=cpu"});
  ASSERT_TRUE(emulator().WaitForClosed(2, kWait));
  EXPECT_EQ(AnswerFor("search").body, R"({"results":[{"ids":[1,2],"scores":[1,0.70710677]}]})");
  EXPECT_EQ(ErrorType(AnswerFor("zero")), "Inference.InvalidInput");
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(InferenceBootstrapTest, AnInvocationPastItsDeadlineFailsWithATimeout) {
  WriteModel(IdentityMlp());
  StartEmulator();
  emulator().Enqueue({.body = R"({"inputs":[[1,2]]})",
                      .request_id = "late",
                      .timeout = std::chrono::milliseconds(-1000)});
  Start(1);
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  EXPECT_EQ(ErrorType(AnswerFor("late")), "Inference.Timeout");
  EXPECT_EQ(Terminate().code, 0);
}

// A missing, corrupt or truncated model: /runtime/init/error with Inference.ModelLoadFailed and
// a non-zero exit, never a crash.
TEST_F(InferenceBootstrapTest, ABadModelIsAModelLoadFailedInitError) {
  const std::string good = inference::WriteSafetensors(IdentityMlp());
  for (const std::string& contents :
       {std::string(), good.substr(0, good.size() - 3), std::string("not a model at all")}) {
    SCOPED_TRACE(contents.size());
    ASSERT_TRUE(inference::WriteFile(task_root_ / "model.safetensors", contents).ok());
    StartEmulator();
    Start(1);
    ASSERT_TRUE(emulator().WaitForInitError(kWait));
    const auto status = WaitForExit();
    EXPECT_TRUE(status.exited);
    EXPECT_NE(status.code, 0);
    const auto init_errors = emulator().init_errors();
    ASSERT_EQ(init_errors.size(), 1U);
    EXPECT_EQ(*init_errors[0].FindHeader("lambda-runtime-function-error-type"),
              "Inference.ModelLoadFailed");
    EXPECT_EQ(ErrorType(init_errors[0]), "Inference.ModelLoadFailed");
    EXPECT_THAT(init_errors[0].body, HasSubstr("model.safetensors"));
  }
}

TEST_F(InferenceBootstrapTest, AMissingModelIsAModelLoadFailedInitError) {
  StartEmulator();
  Start(1);
  ASSERT_TRUE(emulator().WaitForInitError(kWait));
  EXPECT_NE(WaitForExit().code, 0);
  const auto init_errors = emulator().init_errors();
  ASSERT_EQ(init_errors.size(), 1U);
  EXPECT_EQ(ErrorType(init_errors[0]), "Inference.ModelLoadFailed");
}

// A BERT directory (Hugging Face layout): concurrent invocations' texts are batched, and every
// answer holds exactly what the encoder gives for that invocation's texts alone.
TEST_F(InferenceBootstrapTest, SentenceEmbeddingsThroughTheRuntime) {
  constexpr int kEvents = 24;
  const inference::BertSpec spec{.max_positions = 16};
  ASSERT_TRUE(inference::WriteBertDirectory(task_root_ / "sentences", spec).ok());
  StartEmulator();
  const auto texts = [](int i) {
    return std::vector<std::string>{absl::StrCat("the cat ", i), "a dog! ", "héllo wörld"};
  };
  for (int i = 0; i < kEvents; ++i) {
    const std::vector<std::string> t = texts(i);
    emulator().Enqueue(
        {.body = absl::StrCat(R"({"texts":[")", t[0], R"(",")", t[1], R"(",")", t[2], R"("]})"),
         .request_id = RequestIdFor("bert", i)});
  }
  emulator().Enqueue({.body = R"({"texts":[]})", .request_id = "empty"});
  Start(8, {"LMC_INFERENCE_DEVICE=cpu", "LMC_BATCH_MAX_WAIT_US=200000"}, "sentences");
  ASSERT_TRUE(emulator().WaitForClosed(kEvents + 1, kWait));

  absl::StatusOr<std::unique_ptr<inference::BertModel>> model =
      inference::BertModel::Load(task_root_ / "sentences");
  ASSERT_TRUE(model.ok()) << model.status();
  std::unique_ptr<inference::BertEncoder> encoder =
      inference::CreateCpuBertEncoder(**model, {.threads = 1});
  for (int i = 0; i < kEvents; ++i) {
    const emulator::Answer answer = AnswerFor(RequestIdFor("bert", i));
    ASSERT_EQ(answer.kind, emulator::Answer::Kind::kResponse) << answer.body;
    simdjson::dom::parser parser;
    const simdjson::dom::element body = ParseJson(parser, answer.body);
    const std::vector<std::string> t = texts(i);
    inference::TokenBatch batch;
    std::vector<int32_t> ids;
    for (const std::string& text : t) {
      (*model)->tokenizer().Encode(text, 16, ids);
      batch.Add(ids);
    }
    std::vector<float> expected;
    ASSERT_TRUE(encoder->Encode(batch, expected).ok());
    size_t row = 0;
    for (const simdjson::dom::element embedding : body["embeddings"].get_array()) {
      size_t j = 0;
      for (const simdjson::dom::element value : embedding.get_array()) {
        EXPECT_NEAR(value.get_double().value(), expected[row * 32 + j], 1e-5) << i;
        ++j;
      }
      EXPECT_EQ(j, 32U);
      ++row;
    }
    EXPECT_EQ(row, 3U);
    size_t text = 0;
    for (const simdjson::dom::element count : body["tokens"].get_array()) {
      EXPECT_EQ(count.get_uint64().value(), batch.length(text++));
    }
  }
  EXPECT_EQ(ErrorType(AnswerFor("empty")), "Inference.InvalidInput");
  EXPECT_THAT(AnswerFor("empty").body, HasSubstr("\\\"texts\\\" is empty"));
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(InferenceBootstrapTest, ABrokenModelDirectoryIsAnInitErrorNamingTheFile) {
  ASSERT_TRUE(inference::WriteBertDirectory(task_root_ / "sentences", {}).ok());
  std::filesystem::remove(task_root_ / "sentences" / "tokenizer.json");
  StartEmulator();
  Start(1, {}, "sentences");
  ASSERT_TRUE(emulator().WaitForInitError(kWait));
  EXPECT_NE(WaitForExit().code, 0);
  const auto init_errors = emulator().init_errors();
  ASSERT_EQ(init_errors.size(), 1U);
  EXPECT_EQ(ErrorType(init_errors[0]), "Inference.ModelLoadFailed");
  EXPECT_THAT(init_errors[0].body, HasSubstr("sentences/tokenizer.json"));
}

}  // namespace
}  // namespace lmc::integration
