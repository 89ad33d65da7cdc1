// The inference handler serving a BERT sentence-embedding model (sentence_model.h,
// text_request.h): what an invocation sends and gets back, end to end through InferenceService.
#include "handlers/inference/sentence_model.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handlers/inference/bert_cpu_encoder.h"
#include "handlers/inference/bert_writer.h"
#include "handlers/inference/inference_handler.h"
#include "lmc/testing/handler_harness.h"
#include "lmc/testing/log_capture.h"
#include "simdjson.h"

namespace lmc::inference {
namespace {

using ::testing::HasSubstr;

// An answer's embeddings and token counts.
struct Answer {
  std::vector<std::vector<double>> embeddings;
  std::vector<uint64_t> tokens;
};

Answer ParseAnswer(const std::string& body) {
  Answer answer;
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(body);
  for (simdjson::dom::element row : root["embeddings"].get_array()) {
    answer.embeddings.emplace_back();
    for (simdjson::dom::element value : row.get_array()) {
      answer.embeddings.back().push_back(value.get_double());
    }
  }
  for (simdjson::dom::element count : root["tokens"].get_array()) {
    answer.tokens.push_back(count.get_uint64());
  }
  return answer;
}

double Norm(const std::vector<double>& v) {
  double sum = 0;
  for (const double x : v) sum += x * x;
  return std::sqrt(sum);
}

class SentenceModelTest : public ::testing::Test {
 protected:
  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Load(InferenceConfig config = {}, size_t max_callers = 1) {
    ASSERT_TRUE(WriteBertDirectory(dir_, spec_).ok());
    config.model = dir_;
    config.device = Device::kCpu;
    config.max_wait = std::chrono::hours(1);  // batches close when every caller is queued
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

  const std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / absl::StrCat("lmc-sentence-", ::getpid());
  const BertSpec spec_{.max_positions = 16};
  const lmc::testing::LogCapture log_{LogLevel::kFatal};
  const Logger& logger_ = log_.logger();
  std::unique_ptr<InferenceService> service_;
};

TEST_F(SentenceModelTest, EachTextGetsItsEmbeddingAndTokenCountInOrder) {
  Load();
  EXPECT_EQ(service_->backend_name(), "cpu");
  const testing::Outcome outcome = Invoke(R"({"texts":["the cat sat","",  "A dog!"]})");
  ASSERT_TRUE(outcome.result.ok()) << outcome.result.error().message();
  const Answer answer = ParseAnswer(outcome.body);
  ASSERT_EQ(answer.embeddings.size(), 3U);
  // [CLS] the c ##a ##t sat... : counts from the tokenizer, [CLS] and [SEP] included.
  absl::StatusOr<std::unique_ptr<BertModel>> model = BertModel::Load(dir_);
  ASSERT_TRUE(model.ok());
  std::unique_ptr<BertEncoder> encoder = CreateCpuBertEncoder(**model, {.threads = 1});
  const char* texts[] = {"the cat sat", "", "A dog!"};
  for (size_t i = 0; i < 3; ++i) {
    TokenBatch one;
    std::vector<int32_t> ids;
    (*model)->tokenizer().Encode(texts[i], 16, ids);
    one.Add(ids);
    std::vector<float> expected;
    ASSERT_TRUE(encoder->Encode(one, expected).ok());
    EXPECT_EQ(answer.tokens[i], ids.size()) << texts[i];
    ASSERT_EQ(answer.embeddings[i].size(), 32U);
    for (size_t j = 0; j < 32; ++j) EXPECT_NEAR(answer.embeddings[i][j], expected[j], 1e-6);
    EXPECT_NEAR(Norm(answer.embeddings[i]), 1.0, 1e-6);
  }
  EXPECT_EQ(answer.tokens[1], 2U);  // "" is [CLS] [SEP]
}

TEST_F(SentenceModelTest, LongTextsAreTruncatedToTheModelsPositions) {
  Load();
  std::string text;
  for (int i = 0; i < 40; ++i) text += "the ";
  const Answer answer = ParseAnswer(Invoke(absl::StrCat(R"({"texts":[")", text, R"("]})")).body);
  ASSERT_EQ(answer.tokens.size(), 1U);
  EXPECT_EQ(answer.tokens[0], 16U);
}

TEST_F(SentenceModelTest, NormalizationCanBeTurnedOff) {
  InferenceConfig config;
  config.embedding_normalize = false;
  Load(config);
  const Answer answer = ParseAnswer(Invoke(R"({"texts":["the cat"]})").body);
  ASSERT_EQ(answer.embeddings.size(), 1U);
  EXPECT_GT(std::fabs(Norm(answer.embeddings[0]) - 1.0), 0.01);
}

TEST_F(SentenceModelTest, RejectsBadEventsSayingWhatIsWrong) {
  InferenceConfig config;
  config.embedding_max_texts = 2;
  Load(config);
  ExpectInvalid("[]", "must be a JSON object");
  ExpectInvalid("{}", "no \"texts\"");
  ExpectInvalid(R"({"inputs":[[1]]})", "no \"texts\"");
  ExpectInvalid(R"({"texts":"one"})", "\"texts\" must be an array of strings");
  ExpectInvalid(R"({"texts":[]})", "\"texts\" is empty");
  ExpectInvalid(R"({"texts":["a",3]})", "texts[1] is not a string");
  ExpectInvalid(R"({"texts":["a",null]})", "texts[1] is not a string");
  ExpectInvalid(R"({"texts":["a","b","c"]})",
                "\"texts\" holds more than 2 texts (LMC_EMBEDDING_MAX_TEXTS)");
  ExpectInvalid(R"({"texts":["a"],"texts":["b"]})", "\"texts\" appears twice");
  EXPECT_TRUE(Invoke(R"({"texts":["a","b"],"other":1})").result.ok());
}

TEST_F(SentenceModelTest, ConcurrentInvocationsMeetInOneBatchAndGetTheirOwnEmbeddings) {
  constexpr int kCallers = 8;
  Load({}, kCallers);
  std::vector<std::string> bodies(kCallers);
  std::vector<std::thread> threads;
  for (int c = 0; c < kCallers; ++c) {
    threads.emplace_back([&, c] {
      bodies[c] = Invoke(absl::StrCat(R"({"texts":["the cat )", c, R"(", "dog"]})")).body;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(service_->batcher_stats().batches, 1U);
  // The same texts alone, through a service with one caller (whose batches never wait).
  service_.reset();
  Load({}, 1);
  for (int c = 0; c < kCallers; ++c) {
    const Answer together = ParseAnswer(bodies[c]);
    const Answer single =
        ParseAnswer(Invoke(absl::StrCat(R"({"texts":["the cat )", c, R"(", "dog"]})")).body);
    ASSERT_EQ(together.embeddings.size(), 2U) << bodies[c];
    EXPECT_EQ(together.tokens, single.tokens);
    for (size_t t = 0; t < 2; ++t) {
      for (size_t j = 0; j < 32; ++j) {
        EXPECT_NEAR(together.embeddings[t][j], single.embeddings[t][j], 1e-5);
      }
    }
  }
}

TEST_F(SentenceModelTest, ABrokenDirectoryIsAModelLoadFailedInitErrorNamingTheFile) {
  ASSERT_TRUE(WriteBertDirectory(dir_, spec_).ok());
  ASSERT_TRUE(WriteFile(dir_ / "config.json", R"({"model_type":"bert"})").ok());
  InferenceConfig config;
  config.model = dir_;
  const absl::Status status = InferenceService::Create(config, 1, logger_, Clock::Real()).status();
  EXPECT_EQ(InitErrorType(status), "Inference.ModelLoadFailed");
  EXPECT_THAT(std::string(status.message()), HasSubstr((dir_ / "config.json").string()));
  EXPECT_THAT(std::string(status.message()), HasSubstr("hidden_act is missing"));
}

TEST_F(SentenceModelTest, TheInitLineCountsABatchInTexts) {
  ASSERT_TRUE(WriteBertDirectory(dir_, spec_).ok());
  const lmc::testing::LogCapture log(LogLevel::kInfo);
  InferenceConfig config;
  config.model = dir_;
  config.device = Device::kCpu;
  config.max_rows = 32;
  ASSERT_TRUE(InferenceService::Create(config, 4, log.logger(), Clock::Real()).ok());
  EXPECT_THAT(log.Lines(), HasSubstr("batches of up to 32 texts,"));
}

TEST(SentenceConfig, ReadsTheEmbeddingVariables) {
  const auto parse = [](std::map<std::string, std::string> values) {
    return ParseInferenceConfig(
        [values = std::move(values)](const char* name) -> const char* {
          const auto it = values.find(name);
          return it == values.end() ? nullptr : it->second.c_str();
        },
        "/var/task");
  };
  absl::StatusOr<InferenceConfig> config = parse({{"LMC_MODEL", "model"}});
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->embedding_normalize);
  EXPECT_EQ(config->embedding_max_texts, 256U);
  config = parse(
      {{"LMC_MODEL", "m"}, {"LMC_EMBEDDING_NORMALIZE", "false"}, {"LMC_EMBEDDING_MAX_TEXTS", "3"}});
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->embedding_normalize);
  EXPECT_EQ(config->embedding_max_texts, 3U);
  EXPECT_THAT(
      std::string(
          parse({{"LMC_MODEL", "m"}, {"LMC_EMBEDDING_NORMALIZE", "no"}}).status().message()),
      HasSubstr("LMC_EMBEDDING_NORMALIZE must be true or false"));
  EXPECT_THAT(
      std::string(parse({{"LMC_MODEL", "m"}, {"LMC_EMBEDDING_MAX_TEXTS", "0"}}).status().message()),
      HasSubstr("LMC_EMBEDDING_MAX_TEXTS must be an integer >= 1"));
}

}  // namespace
}  // namespace lmc::inference
