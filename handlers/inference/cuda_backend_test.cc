// GPU tests: the CUDA backend against the CPU backend on the same models. Skipped (not failed)
// where the plugin, the CUDA libraries or a GPU are missing.
#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "handlers/inference/bert_cpu_encoder.h"
#include "handlers/inference/bert_writer.h"
#include "handlers/inference/cpu_backend.h"
#include "handlers/inference/cuda_loader.h"
#include "handlers/inference/safetensors_writer.h"

namespace lmc::inference {
namespace {

class CudaBackendTest : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove(path_); }

  std::unique_ptr<Model> Load(const ModelToWrite& model) {
    EXPECT_TRUE(WriteFile(path_, WriteSafetensors(model)).ok());
    absl::StatusOr<std::unique_ptr<Model>> loaded = Model::Load(path_);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return loaded.ok() ? *std::move(loaded) : nullptr;
  }

  // Runs `rows` through both backends and compares.
  void ExpectSameAsCpu(const Model& model, const std::vector<float>& rows, size_t k) {
    absl::StatusOr<std::unique_ptr<Backend>> cuda = CreateCudaBackend(model);
    if (!cuda.ok()) GTEST_SKIP() << "no CUDA: " << cuda.status();
    const size_t num_rows = rows.size() / model.input_width();
    BatchOutput expected;
    BatchOutput actual;
    ASSERT_TRUE(CreateCpuBackend(model)->Run(rows.data(), num_rows, k, expected).ok());
    // Twice: the second batch reuses the device buffers.
    for (int round = 0; round < 2; ++round) {
      const absl::Status ran = (*cuda)->Run(rows.data(), num_rows, k, actual);
      ASSERT_TRUE(ran.ok()) << ran;
      ASSERT_EQ(actual.width, expected.width);
      ASSERT_EQ(actual.values.size(), expected.values.size());
      for (size_t i = 0; i < actual.values.size(); ++i) {
        EXPECT_NEAR(actual.values[i], expected.values[i], 1e-4) << i;
      }
      EXPECT_EQ(actual.ids, expected.ids);
    }
  }

  const std::filesystem::path path_ = std::filesystem::temp_directory_path() /
                                      absl::StrCat("lmc-cuda-", ::getpid(), ".safetensors");
};

std::vector<float> Rows(size_t count, uint64_t seed) {
  TestRandom random(seed);
  std::vector<float> rows(count);
  for (float& value : rows) value = random.Next();
  return rows;
}

TEST_F(CudaBackendTest, MlpMatchesTheCpuBackend) {
  for (const char* activation : {"relu", "gelu"}) {
    for (const char* head : {"none", "softmax"}) {
      std::unique_ptr<Model> model =
          Load(MakeMlp({.widths = {32, 300, 64, 10}, .activation = activation, .head = head}));
      ASSERT_NE(model, nullptr);
      ExpectSameAsCpu(*model, Rows(size_t{37} * 32, 3), 0);
    }
  }
}

TEST_F(CudaBackendTest, EmbeddingSearchMatchesTheCpuBackend) {
  std::unique_ptr<Model> model = Load(MakeEmbeddings({.rows = 5000, .dim = 64}));
  ASSERT_NE(model, nullptr);
  std::vector<float> queries = Rows(size_t{9} * 64, 5);
  for (size_t q = 0; q < 9; ++q) {
    double norm = 0;
    for (size_t j = 0; j < 64; ++j) norm += double{queries[q * 64 + j]} * queries[q * 64 + j];
    for (size_t j = 0; j < 64; ++j) {
      queries[q * 64 + j] = static_cast<float>(queries[q * 64 + j] / std::sqrt(norm));
    }
  }
  ExpectSameAsCpu(*model, queries, 10);
  ExpectSameAsCpu(*model, queries, 300);  // above the device top-K limit: host top-K
}

// The CUDA BERT encoder (padded batches, masked strided-batched attention) against the CPU
// encoder (packed sequences) on the same model: mixed lengths, both poolings, and a second batch
// of another shape on the same device buffers.
TEST(CudaBertEncoder, MatchesTheCpuEncoder) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("lmc-cuda-bert-", ::getpid());
  for (const char* pooling : {"mean", "cls"}) {
    ASSERT_TRUE(WriteBertDirectory(dir, {.layers = 3,
                                         .hidden = 48,
                                         .heads = 4,
                                         .intermediate = 80,
                                         .max_positions = 40,
                                         .pooling = pooling})
                    .ok());
    absl::StatusOr<std::unique_ptr<BertModel>> model = BertModel::Load(dir);
    ASSERT_TRUE(model.ok()) << model.status();
    absl::StatusOr<std::unique_ptr<BertEncoder>> cuda = CreateCudaBertEncoder(**model, {});
    if (!cuda.ok()) {
      std::filesystem::remove_all(dir);
      GTEST_SKIP() << "no CUDA: " << cuda.status();
    }
    std::unique_ptr<BertEncoder> cpu = CreateCpuBertEncoder(**model, {});
    for (const std::vector<size_t>& lengths :
         {std::vector<size_t>{5, 40, 1, 17}, std::vector<size_t>{12}, std::vector<size_t>{3, 3}}) {
      TokenBatch batch;
      TestRandom random(lengths.size());
      for (const size_t length : lengths) {
        std::vector<int32_t> ids(length);
        for (int32_t& id : ids) id = static_cast<int32_t>((random.Next() + 1.0F) * 99.0F);
        batch.Add(ids);
      }
      std::vector<float> expected;
      std::vector<float> actual;
      ASSERT_TRUE(cpu->Encode(batch, expected).ok());
      const absl::Status ran = (*cuda)->Encode(batch, actual);
      ASSERT_TRUE(ran.ok()) << ran;
      ASSERT_EQ(actual.size(), expected.size());
      for (size_t i = 0; i < actual.size(); ++i) EXPECT_NEAR(actual[i], expected[i], 1e-4) << i;
    }
  }
  std::filesystem::remove_all(dir);
}

// A batch over the device pass limit runs as several passes with the same embeddings.
TEST(CudaBertEncoder, ALargeBatchRunsInSeveralPasses) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("lmc-cuda-bert-big-", ::getpid());
  ASSERT_TRUE(WriteBertDirectory(dir, {.max_positions = 512}).ok());
  absl::StatusOr<std::unique_ptr<BertModel>> model = BertModel::Load(dir);
  ASSERT_TRUE(model.ok()) << model.status();
  absl::StatusOr<std::unique_ptr<BertEncoder>> cuda = CreateCudaBertEncoder(**model, {});
  if (!cuda.ok()) {
    std::filesystem::remove_all(dir);
    GTEST_SKIP() << "no CUDA: " << cuda.status();
  }
  TokenBatch batch;  // 40 x 512 padded tokens: two passes of 32 and 8
  for (int32_t i = 0; i < 40; ++i) batch.Add(std::vector<int32_t>(i % 3 == 0 ? 512 : 77, i % 150));
  std::vector<float> expected;
  std::vector<float> actual;
  ASSERT_TRUE(CreateCpuBertEncoder(**model, {})->Encode(batch, expected).ok());
  ASSERT_TRUE((*cuda)->Encode(batch, actual).ok());
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) EXPECT_NEAR(actual[i], expected[i], 1e-4) << i;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lmc::inference
