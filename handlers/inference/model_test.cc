#include "handlers/inference/model.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handlers/inference/cpu_backend.h"
#include "handlers/inference/safetensors_writer.h"
#include "handlers/inference/top_k.h"

namespace lmc::inference {
namespace {

using ::testing::HasSubstr;

class ModelTest : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove(path_); }

  absl::StatusOr<std::unique_ptr<Model>> LoadWritten(const ModelToWrite& model) {
    EXPECT_TRUE(WriteFile(path_, WriteSafetensors(model)).ok());
    return Model::Load(path_);
  }

  void ExpectLoadFails(const ModelToWrite& model, std::string_view needle) {
    absl::StatusOr<std::unique_ptr<Model>> loaded = LoadWritten(model);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(std::string(needle)));
  }

  const std::filesystem::path path_ = std::filesystem::temp_directory_path() /
                                      absl::StrCat("lmc-model-", ::getpid(), ".safetensors");
};

// The straightforward reference: the loaded weights (already rounded to the file's dtype), in
// double precision, one row at a time.
std::vector<double> ReferenceMlp(const Model& model, const std::vector<float>& input) {
  std::vector<double> x(input.begin(), input.end());
  for (size_t i = 0; i < model.layers().size(); ++i) {
    const DenseLayer& layer = model.layers()[i];
    std::vector<double> y(layer.out);
    for (size_t o = 0; o < layer.out; ++o) {
      double sum = layer.bias.values()[o];
      for (size_t j = 0; j < layer.in; ++j) {
        sum += double{layer.weight.values()[o * layer.in + j]} * x[j];
      }
      const bool last = i + 1 == model.layers().size();
      if (!last) {
        sum = model.activation() == Activation::kRelu
                  ? std::max(sum, 0.0)
                  : 0.5 * sum * (1 + std::erf(sum / std::sqrt(2.0)));
      }
      y[o] = sum;
    }
    x = std::move(y);
  }
  if (model.head() == Head::kSoftmax) {
    const double max = *std::max_element(x.begin(), x.end());
    double total = 0;
    for (double& v : x) total += (v = std::exp(v - max));
    for (double& v : x) v /= total;
  }
  return x;
}

std::vector<float> RandomRows(size_t rows, size_t width, uint64_t seed) {
  TestRandom random(seed);
  std::vector<float> values(rows * width);
  for (float& value : values) value = random.Next() * 2;
  return values;
}

TEST_F(ModelTest, CpuMlpMatchesTheReferenceForEveryActivationAndHead) {
  for (const char* activation : {"relu", "gelu"}) {
    for (const char* head : {"none", "softmax"}) {
      absl::StatusOr<std::unique_ptr<Model>> model = LoadWritten(
          MakeMlp({.widths = {13, 32, 17, 5}, .activation = activation, .head = head, .seed = 7}));
      ASSERT_TRUE(model.ok()) << model.status();
      EXPECT_TRUE((*model)->layers()[0].weight.borrowed());
      std::unique_ptr<Backend> cpu = CreateCpuBackend(**model);
      const size_t rows = 9;
      const std::vector<float> input = RandomRows(rows, 13, 3);
      BatchOutput out;
      ASSERT_TRUE(cpu->Run(input.data(), rows, 0, out).ok());
      ASSERT_EQ(out.width, 5U);
      ASSERT_EQ(out.values.size(), rows * 5);
      for (size_t r = 0; r < rows; ++r) {
        const std::vector<double> expected = ReferenceMlp(
            **model, std::vector<float>(input.begin() + static_cast<std::ptrdiff_t>(r * 13),
                                        input.begin() + static_cast<std::ptrdiff_t>((r + 1) * 13)));
        for (size_t j = 0; j < 5; ++j) {
          EXPECT_NEAR(out.values[r * 5 + j], expected[j], 1e-4)
              << activation << "/" << head << " row " << r << " output " << j;
        }
      }
    }
  }
}

TEST_F(ModelTest, CpuMlpSplitOverThreadsMatchesTheReference) {
  // Layers wide enough to be split by columns (64 per thread at least), and a 7-wide last layer
  // that is not.
  absl::StatusOr<std::unique_ptr<Model>> model = LoadWritten(
      MakeMlp({.widths = {24, 200, 130, 7}, .activation = "gelu", .head = "softmax", .seed = 3}));
  ASSERT_TRUE(model.ok()) << model.status();
  for (size_t threads : {1, 2, 3}) {
    std::unique_ptr<Backend> cpu = CreateCpuBackend(**model, {.threads = threads});
    for (size_t rows : {1, 5}) {
      const std::vector<float> input = RandomRows(rows, 24, 9);
      BatchOutput out;
      ASSERT_TRUE(cpu->Run(input.data(), rows, 0, out).ok());
      ASSERT_EQ(out.values.size(), rows * 7);
      for (size_t r = 0; r < rows; ++r) {
        const std::vector<double> expected = ReferenceMlp(
            **model, std::vector<float>(input.begin() + static_cast<std::ptrdiff_t>(r * 24),
                                        input.begin() + static_cast<std::ptrdiff_t>((r + 1) * 24)));
        for (size_t j = 0; j < 7; ++j) {
          EXPECT_NEAR(out.values[r * 7 + j], expected[j], 1e-4)
              << threads << " threads, row " << r << " output " << j;
        }
      }
    }
  }
}

TEST_F(ModelTest, HalfPrecisionModelsMatchTheirF32TwinWithinTheirPrecision) {
  const MlpSpec spec{.widths = {8, 16, 4}, .activation = "gelu", .head = "none", .seed = 11};
  absl::StatusOr<std::unique_ptr<Model>> f32 = LoadWritten(MakeMlp(spec));
  ASSERT_TRUE(f32.ok());
  const std::vector<float> input = RandomRows(3, 8, 5);
  BatchOutput expected;
  ASSERT_TRUE(CreateCpuBackend(**f32)->Run(input.data(), 3, 0, expected).ok());
  for (DType dtype : {DType::kF16, DType::kBF16}) {
    MlpSpec half = spec;
    half.dtype = dtype;
    absl::StatusOr<std::unique_ptr<Model>> model = LoadWritten(MakeMlp(half));
    ASSERT_TRUE(model.ok()) << model.status();
    BatchOutput out;
    ASSERT_TRUE(CreateCpuBackend(**model)->Run(input.data(), 3, 0, out).ok());
    // Weights carry 11 (F16) or 8 (BF16) significant bits; the outputs sum ~24 rounded terms.
    const double tolerance = dtype == DType::kF16 ? 5e-3 : 4e-2;
    for (size_t i = 0; i < out.values.size(); ++i) {
      EXPECT_NEAR(out.values[i], expected.values[i], tolerance) << DTypeName(dtype) << " " << i;
    }
    // And exactly the reference computation on the rounded weights.
    const std::vector<double> reference =
        ReferenceMlp(**model, std::vector<float>(input.begin(), input.begin() + 8));
    for (size_t j = 0; j < 4; ++j) EXPECT_NEAR(out.values[j], reference[j], 1e-4);
  }
}

TEST_F(ModelTest, EmbeddingSearchIsExactCosineWithTiesToTheLowerId) {
  ModelToWrite model = MakeEmbeddings({.rows = 10, .dim = 3});
  // Rows 2 and 7 point the same way as row 4 (different lengths): a three-way tie.
  std::vector<float>& table = model.tensors[0].values;
  for (int j = 0; j < 3; ++j) {
    table[2 * 3 + j] = table[4 * 3 + j] * 2;
    table[7 * 3 + j] = table[4 * 3 + j] * 0.5F;
    table[5 * 3 + j] = 0;  // a zero row scores 0
  }
  absl::StatusOr<std::unique_ptr<Model>> loaded = LoadWritten(model);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  std::vector<float> query(table.begin() + 12, table.begin() + 15);
  const double norm = std::sqrt(query[0] * query[0] + query[1] * query[1] + query[2] * query[2]);
  for (float& v : query) v = static_cast<float>(v / norm);
  BatchOutput out;
  ASSERT_TRUE(CreateCpuBackend(**loaded)->Run(query.data(), 1, 4, out).ok());
  ASSERT_EQ(out.width, 4U);
  EXPECT_EQ(out.ids[0], 2U);
  EXPECT_EQ(out.ids[1], 4U);
  EXPECT_EQ(out.ids[2], 7U);
  EXPECT_NEAR(out.values[0], 1.0, 1e-6);
  // The reference: every row's cosine, sorted.
  std::vector<std::pair<double, uint32_t>> all;
  for (uint32_t i = 0; i < 10; ++i) {
    double dot = 0;
    double n = 0;
    for (int j = 0; j < 3; ++j) {
      dot += double{table[i * 3 + j]} * query[j];
      n += double{table[i * 3 + j]} * table[i * 3 + j];
    }
    all.emplace_back(n == 0 ? 0 : dot / std::sqrt(n), i);
  }
  std::stable_sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first > b.first; });
  EXPECT_EQ(out.ids[3], all[3].second);
  EXPECT_NEAR(out.values[3], all[3].first, 1e-5);
  // K is clamped to N.
  ASSERT_TRUE(CreateCpuBackend(**loaded)->Run(query.data(), 1, 50, out).ok());
  EXPECT_EQ(out.width, 10U);
}

TEST_F(ModelTest, BlockedSearchAgreesWithTheReferenceAcrossBlocks) {
  const size_t n = 9000;  // more than one 4096-row block
  const size_t d = 16;
  absl::StatusOr<std::unique_ptr<Model>> loaded =
      LoadWritten(MakeEmbeddings({.rows = static_cast<int64_t>(n), .dim = d, .seed = 4}));
  ASSERT_TRUE(loaded.ok());
  std::vector<float> queries = RandomRows(3, d, 8);
  for (size_t q = 0; q < 3; ++q) {
    double norm = 0;
    for (size_t j = 0; j < d; ++j) norm += double{queries[q * d + j]} * queries[q * d + j];
    for (size_t j = 0; j < d; ++j) {
      queries[q * d + j] = static_cast<float>(queries[q * d + j] / std::sqrt(norm));
    }
  }
  BatchOutput out;
  ASSERT_TRUE(CreateCpuBackend(**loaded)->Run(queries.data(), 3, 20, out).ok());
  const float* table = (*loaded)->normalized_embeddings();
  for (size_t q = 0; q < 3; ++q) {
    std::vector<float> scores(n);
    for (size_t i = 0; i < n; ++i) {
      double dot = 0;
      for (size_t j = 0; j < d; ++j) dot += double{table[i * d + j]} * queries[q * d + j];
      scores[i] = static_cast<float>(dot);
    }
    std::vector<uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0U);
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return scores[a] > scores[b]; });
    for (size_t j = 0; j < 20; ++j) {
      EXPECT_NEAR(out.values[q * 20 + j], scores[order[j]], 1e-5);
    }
    EXPECT_EQ(out.ids[q * 20], order[0]);
  }
}

TEST_F(ModelTest, SearchSplitOverThreadsKeepsTiesInIdOrderAcrossTheSplit) {
  const size_t n = 9000;  // three 4096-row blocks: two threads take rows 0-4095 and 4096-8999
  const size_t d = 8;
  ModelToWrite model = MakeEmbeddings({.rows = static_cast<int64_t>(n), .dim = d, .seed = 6});
  // Rows 8500, 5 and 4096 point the same way (different lengths): a tie across both ranges.
  std::vector<float>& table = model.tensors[0].values;
  for (size_t j = 0; j < d; ++j) {
    table[5 * d + j] = table[8500 * d + j] * 3;
    table[4096 * d + j] = table[8500 * d + j] * 0.25F;
  }
  absl::StatusOr<std::unique_ptr<Model>> loaded = LoadWritten(model);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  std::vector<float> queries(table.begin() + 8500 * d, table.begin() + 8501 * d);
  const std::vector<float> others = RandomRows(2, d, 12);
  queries.insert(queries.end(), others.begin(), others.end());
  for (size_t q = 0; q < 3; ++q) {
    double norm = 0;
    for (size_t j = 0; j < d; ++j) norm += double{queries[q * d + j]} * queries[q * d + j];
    for (size_t j = 0; j < d; ++j) {
      queries[q * d + j] = static_cast<float>(queries[q * d + j] / std::sqrt(norm));
    }
  }
  BatchOutput one;
  BatchOutput two;
  ASSERT_TRUE(CreateCpuBackend(**loaded, {.threads = 1})->Run(queries.data(), 3, 6, one).ok());
  ASSERT_TRUE(CreateCpuBackend(**loaded, {.threads = 2})->Run(queries.data(), 3, 6, two).ok());
  EXPECT_EQ(two.ids[0], 5U);
  EXPECT_EQ(two.ids[1], 4096U);
  EXPECT_EQ(two.ids[2], 8500U);
  EXPECT_EQ(two.ids, one.ids);
  for (size_t i = 0; i < one.values.size(); ++i) EXPECT_NEAR(two.values[i], one.values[i], 1e-6);
}

TEST(TopK, OrdersDescendingWithTiesToTheLowerIndexAndNanLast) {
  const std::vector<float> values = {1, 3, NAN, 3, 2, 3, -1};
  std::vector<uint32_t> ids(7);
  std::vector<float> scores(7);
  TopK(values.data(), values.size(), 7, ids.data(), scores.data());
  EXPECT_EQ(ids, (std::vector<uint32_t>{1, 3, 5, 4, 0, 6, 2}));
  // The heap path (k much smaller than n) agrees.
  std::vector<float> many(100, 0.5F);
  many[40] = many[90] = 2;
  many[10] = 1;
  TopK(many.data(), many.size(), 4, ids.data(), scores.data());
  EXPECT_EQ(std::vector<uint32_t>(ids.begin(), ids.begin() + 4),
            (std::vector<uint32_t>{40, 90, 10, 0}));
  EXPECT_EQ(scores[0], 2);
}

TEST_F(ModelTest, RejectsInconsistentModels) {
  ModelToWrite no_kind = MakeMlp({.widths = {2, 2}});
  no_kind.metadata.erase("lmc.kind");
  ExpectLoadFails(no_kind, "no \"lmc.kind\"");
  ModelToWrite bad_kind = MakeMlp({.widths = {2, 2}});
  bad_kind.metadata["lmc.kind"] = "cnn";
  ExpectLoadFails(bad_kind, "unknown lmc.kind \"cnn\"");
  ExpectLoadFails(MakeMlp({.widths = {2, 2}, .activation = "tanh"}), "lmc.activation");
  ExpectLoadFails(MakeMlp({.widths = {2, 2}, .head = "sigmoid"}), "lmc.head");

  ModelToWrite no_bias = MakeMlp({.widths = {2, 3, 2}});
  no_bias.tensors.erase(no_bias.tensors.begin() + 3);  // layers.1.bias
  ExpectLoadFails(no_bias, "layer 1 has no layers.1.bias");
  ModelToWrite chain = MakeMlp({.widths = {2, 3, 2}});
  chain.tensors[2] = {"layers.1.weight", DType::kF32, {2, 4}, std::vector<float>(8)};
  ExpectLoadFails(chain, "takes 4 inputs but layer 0 produces 3");
  ModelToWrite bias_shape = MakeMlp({.widths = {2, 3}});
  bias_shape.tensors[1] = {"layers.0.bias", DType::kF32, {2}, std::vector<float>(2)};
  ExpectLoadFails(bias_shape, "layers.0.bias has shape [2]; expected [3]");
  ModelToWrite flat = MakeMlp({.widths = {2, 3}});
  flat.tensors[0] = {"layers.0.weight", DType::kF32, {6}, std::vector<float>(6)};
  ExpectLoadFails(flat, "layers.0.weight has shape [6]");
  ModelToWrite gap = MakeMlp({.widths = {2, 2}});
  gap.tensors.push_back({"layers.2.weight", DType::kF32, {2, 2}, std::vector<float>(4)});
  gap.tensors.push_back({"layers.2.bias", DType::kF32, {2}, std::vector<float>(2)});
  ExpectLoadFails(gap, "gap in the numbering");
  ModelToWrite extra = MakeMlp({.widths = {2, 2}});
  extra.tensors.push_back({"other", DType::kF32, {1}, {0}});
  ExpectLoadFails(extra, "\"other\" is not part of an mlp");
  ModelToWrite integers = MakeMlp({.widths = {2, 2}});
  integers.tensors[0].dtype = DType::kI64;
  ExpectLoadFails(integers, "layers.0.weight has dtype I64; expected F32, F16 or BF16");
  ModelToWrite empty_mlp;
  empty_mlp.metadata["lmc.kind"] = "mlp";
  empty_mlp.metadata["lmc.activation"] = "relu";
  empty_mlp.metadata["lmc.head"] = "none";
  ExpectLoadFails(empty_mlp, "needs layers.0.weight");

  ModelToWrite no_table;
  no_table.metadata["lmc.kind"] = "embedding";
  ExpectLoadFails(no_table, "needs a tensor \"embeddings\"");
  ModelToWrite table_shape = MakeEmbeddings({.rows = 2, .dim = 2});
  table_shape.tensors[0].shape = {4};
  ExpectLoadFails(table_shape, "embeddings has shape [4]");
  ModelToWrite bools = MakeEmbeddings({.rows = 2, .dim = 2});
  bools.tensors[0].dtype = DType::kBool;
  ExpectLoadFails(bools, "embeddings has dtype BOOL");
  ModelToWrite infinite = MakeEmbeddings({.rows = 2, .dim = 2});
  infinite.tensors[0].values[1] = INFINITY;
  ExpectLoadFails(infinite, "row 0 is not finite");
}

TEST_F(ModelTest, ReportsAMissingFile) {
  EXPECT_EQ(Model::Load("/nonexistent/model.safetensors").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace lmc::inference
