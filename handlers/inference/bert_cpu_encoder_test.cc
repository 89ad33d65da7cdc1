#include "handlers/inference/bert_cpu_encoder.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handlers/inference/bert_kernels.h"
#include "handlers/inference/bert_writer.h"
#include "handlers/inference/tensor.h"

namespace lmc::inference {
namespace {

using ::testing::HasSubstr;
using Vector = std::vector<double>;
using Matrix = std::vector<Vector>;

// ---------------------------------------------------------------------------------------------
// The reference: BERT's forward pass for one sequence, written for clarity, in double precision,
// straight from the tensors as written (by Hugging Face name), sharing no code with the encoder.

class Reference {
 public:
  Reference(const BertSpec& spec, const ModelToWrite& tensors) : spec_(spec) {
    for (const TensorToWrite& tensor : tensors.tensors) {
      Vector values;
      for (const float value : tensor.values) values.push_back(Stored(tensor.dtype, value));
      std::string name = tensor.name;
      if (name.starts_with("bert.")) name = name.substr(5);
      weights_[name] = values;
    }
  }

  Vector Embed(const std::vector<int32_t>& ids, bool mean, bool normalize) const {
    const auto h = static_cast<size_t>(spec_.hidden);
    Matrix x(ids.size(), Vector(h));
    for (size_t i = 0; i < ids.size(); ++i) {
      for (size_t j = 0; j < h; ++j) {
        x[i][j] = W("embeddings.word_embeddings.weight")[static_cast<size_t>(ids[i]) * h + j] +
                  W("embeddings.position_embeddings.weight")[i * h + j] +
                  W("embeddings.token_type_embeddings.weight")[j];
      }
      x[i] = LayerNorm(x[i], "embeddings.LayerNorm");
    }
    for (int64_t layer = 0; layer < spec_.layers; ++layer) {
      x = Layer(x, absl::StrCat("encoder.layer.", layer, "."));
    }
    Vector pooled(h, 0.0);
    for (size_t i = 0; i < (mean ? x.size() : 1); ++i) {
      for (size_t j = 0; j < h; ++j) {
        pooled[j] += x[i][j] / (mean ? static_cast<double>(x.size()) : 1.0);
      }
    }
    if (normalize) {
      double norm = 0;
      for (const double v : pooled) norm += v * v;
      for (double& v : pooled) v /= std::sqrt(norm);
    }
    return pooled;
  }

 private:
  // The value a reader gets back from the file.
  static double Stored(DType dtype, float value) {
    if (dtype == DType::kF16) return HalfToFloat(FloatToHalf(value));
    if (dtype == DType::kBF16) return BFloat16ToFloat(FloatToBFloat16(value));
    return value;
  }

  const Vector& W(const std::string& name) const { return weights_.at(name); }

  // y = W x + b for a Hugging Face Linear named `name` ([out, in] weight).
  Vector Linear(const Vector& x, const std::string& name) const {
    const Vector& weight = W(name + ".weight");
    const Vector& bias = W(name + ".bias");
    Vector y(bias.size());
    for (size_t o = 0; o < y.size(); ++o) {
      double sum = bias[o];
      for (size_t i = 0; i < x.size(); ++i) sum += weight[o * x.size() + i] * x[i];
      y[o] = sum;
    }
    return y;
  }

  Vector LayerNorm(const Vector& x, const std::string& name) const {
    double mean = 0;
    for (const double v : x) mean += v / static_cast<double>(x.size());
    double variance = 0;
    for (const double v : x) variance += (v - mean) * (v - mean) / static_cast<double>(x.size());
    Vector y(x.size());
    for (size_t j = 0; j < x.size(); ++j) {
      y[j] = (x[j] - mean) / std::sqrt(variance + spec_.layer_norm_eps) * W(name + ".weight")[j] +
             W(name + ".bias")[j];
    }
    return y;
  }

  Matrix Layer(const Matrix& x, const std::string& p) const {
    const size_t n = x.size();
    const auto h = static_cast<size_t>(spec_.hidden);
    const size_t d = h / static_cast<size_t>(spec_.heads);
    Matrix q(n);
    Matrix k(n);
    Matrix v(n);
    for (size_t i = 0; i < n; ++i) {
      q[i] = Linear(x[i], p + "attention.self.query");
      k[i] = Linear(x[i], p + "attention.self.key");
      v[i] = Linear(x[i], p + "attention.self.value");
    }
    Matrix context(n, Vector(h, 0.0));
    for (size_t head = 0; head < static_cast<size_t>(spec_.heads); ++head) {
      for (size_t i = 0; i < n; ++i) {
        Vector weights(n);
        double max = -INFINITY;
        for (size_t j = 0; j < n; ++j) {
          double dot = 0;
          for (size_t e = 0; e < d; ++e) dot += q[i][head * d + e] * k[j][head * d + e];
          weights[j] = dot / std::sqrt(static_cast<double>(d));
          max = std::max(max, weights[j]);
        }
        double sum = 0;
        for (double& w : weights) sum += (w = std::exp(w - max));
        for (size_t j = 0; j < n; ++j) {
          for (size_t e = 0; e < d; ++e) {
            context[i][head * d + e] += weights[j] / sum * v[j][head * d + e];
          }
        }
      }
    }
    Matrix out(n);
    for (size_t i = 0; i < n; ++i) {
      Vector attention = Linear(context[i], p + "attention.output.dense");
      for (size_t j = 0; j < h; ++j) attention[j] += x[i][j];
      const Vector mid = LayerNorm(attention, p + "attention.output.LayerNorm");
      Vector inner = Linear(mid, p + "intermediate.dense");
      for (double& value : inner) value = 0.5 * value * (1.0 + std::erf(value / std::sqrt(2.0)));
      Vector output = Linear(inner, p + "output.dense");
      for (size_t j = 0; j < h; ++j) output[j] += mid[j];
      out[i] = LayerNorm(output, p + "output.LayerNorm");
    }
    return out;
  }

  BertSpec spec_;
  std::map<std::string, Vector> weights_;
};

// ---------------------------------------------------------------------------------------------

class BertCpuEncoderTest : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<BertModel> Write(const BertSpec& spec) {
    EXPECT_TRUE(WriteBertDirectory(dir_, spec).ok());
    absl::StatusOr<std::unique_ptr<BertModel>> model = BertModel::Load(dir_);
    EXPECT_TRUE(model.ok()) << model.status();
    return model.ok() ? *std::move(model) : nullptr;
  }

  // Random sequences of the given lengths, starting with [CLS] and ending with [SEP] like real
  // ones (any ids would do).
  static TokenBatch Sequences(const std::vector<size_t>& lengths, size_t vocab, uint64_t seed) {
    TestRandom random(seed);
    TokenBatch batch;
    for (const size_t length : lengths) {
      std::vector<int32_t> ids(length);
      for (int32_t& id : ids) {
        id = static_cast<int32_t>(static_cast<double>(random.Next() + 1.0F) / 2.0 *
                                  static_cast<double>(vocab - 1));
      }
      ids.front() = 2;
      if (length > 1) ids.back() = 3;
      batch.Add(ids);
    }
    return batch;
  }

  // Encodes `batch` and compares every embedding with the reference within `tolerance`.
  static void ExpectMatchesReference(const BertSpec& spec, const BertModel& model,
                                     const BertEncoderOptions& options, const TokenBatch& batch,
                                     double tolerance = 1e-4) {
    const Reference reference(spec, MakeBertTensors(spec));
    std::unique_ptr<BertEncoder> encoder = CreateCpuBertEncoder(model, options);
    std::vector<float> out;
    const absl::Status ran = encoder->Encode(batch, out);
    ASSERT_TRUE(ran.ok()) << ran;
    const auto h = static_cast<size_t>(spec.hidden);
    ASSERT_EQ(out.size(), batch.size() * h);
    for (size_t b = 0; b < batch.size(); ++b) {
      const std::vector<int32_t> ids(batch.ids.begin() + batch.offsets[b],
                                     batch.ids.begin() + batch.offsets[b + 1]);
      const Vector expected = reference.Embed(ids, spec.pooling != "cls", options.normalize);
      double worst = 0;
      for (size_t j = 0; j < h; ++j) {
        worst = std::max(worst, std::fabs(out[b * h + j] - expected[j]));
      }
      EXPECT_LE(worst, tolerance) << "sequence " << b << " of length " << ids.size();
    }
  }

  const std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / absl::StrCat("lmc-bert-encoder-", ::getpid());
};

TEST_F(BertCpuEncoderTest, MatchesTheReferenceForABatchOfMixedLengths) {
  // Sequences of up to 32 tokens take the direct attention kernel, longer ones OpenBLAS.
  const BertSpec spec{.max_positions = 48};
  std::unique_ptr<BertModel> model = Write(spec);
  ASSERT_NE(model, nullptr);
  const TokenBatch batch = Sequences({5, 1, 48, 2, 13, 32, 33, 3}, 200, 11);
  ExpectMatchesReference(spec, *model, {}, batch);
  // More threads than sequences, a tile smaller than a sequence, an odd number of threads.
  ExpectMatchesReference(spec, *model, {.threads = 3, .tile_rows = 5}, batch);
  ExpectMatchesReference(spec, *model, {.threads = 1, .tile_rows = 1}, batch);
  ExpectMatchesReference(spec, *model, {.threads = 16}, Sequences({9}, 200, 12));
}

TEST_F(BertCpuEncoderTest, WidthsThatAreNotMultiplesOfTheVectorWidthMatchToo) {
  // hidden 30 (3 heads of 10), intermediate 50: every kernel's remainder path.
  const BertSpec spec{
      .layers = 3, .hidden = 30, .heads = 3, .intermediate = 50, .max_positions = 9};
  std::unique_ptr<BertModel> model = Write(spec);
  ASSERT_NE(model, nullptr);
  ExpectMatchesReference(spec, *model, {.threads = 2}, Sequences({9, 4, 1, 7}, 200, 3));
}

TEST_F(BertCpuEncoderTest, ClsPoolingAndUnnormalizedOutputMatch) {
  const BertSpec spec{.pooling = "cls"};
  std::unique_ptr<BertModel> model = Write(spec);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->pooling(), BertPooling::kCls);
  ExpectMatchesReference(spec, *model, {.normalize = false}, Sequences({6, 11}, 200, 4));
  ExpectMatchesReference(spec, *model, {.normalize = true}, Sequences({6, 11}, 200, 4));
}

TEST_F(BertCpuEncoderTest, HalfPrecisionFilesMatchTheReferenceOnTheirRoundedWeights) {
  for (const DType dtype : {DType::kF16, DType::kBF16}) {
    const BertSpec spec{.dtype = dtype};
    std::unique_ptr<BertModel> model = Write(spec);
    ASSERT_NE(model, nullptr);
    ExpectMatchesReference(spec, *model, {.threads = 2}, Sequences({8, 3, 12}, 200, 5));
  }
}

TEST_F(BertCpuEncoderTest, NamesWithoutTheBertPrefixGiveTheSameEmbeddings) {
  const TokenBatch batch = Sequences({8, 3}, 200, 6);
  std::vector<float> with_prefix;
  std::vector<float> without_prefix;
  std::unique_ptr<BertModel> model = Write({.bert_prefix = true});
  ASSERT_NE(model, nullptr);
  ASSERT_TRUE(CreateCpuBertEncoder(*model, {})->Encode(batch, with_prefix).ok());
  model.reset();  // its mapping would see the file being rewritten
  model = Write({.bert_prefix = false});
  ASSERT_NE(model, nullptr);
  ASSERT_TRUE(CreateCpuBertEncoder(*model, {})->Encode(batch, without_prefix).ok());
  EXPECT_EQ(with_prefix, without_prefix);
}

TEST_F(BertCpuEncoderTest, ABatchIsIndependentOfWhatRanBefore) {
  const BertSpec spec;
  std::unique_ptr<BertModel> model = Write(spec);
  ASSERT_NE(model, nullptr);
  std::unique_ptr<BertEncoder> encoder = CreateCpuBertEncoder(*model, {.threads = 2});
  const TokenBatch small = Sequences({4, 9}, 200, 7);
  std::vector<float> first;
  std::vector<float> again;
  std::vector<float> large;
  ASSERT_TRUE(encoder->Encode(small, first).ok());
  ASSERT_TRUE(encoder->Encode(Sequences({30, 30, 17, 64}, 200, 8), large).ok());
  ASSERT_TRUE(encoder->Encode(small, again).ok());
  EXPECT_EQ(first, again);
  // A sequence's embedding does not depend on its batch.
  std::vector<float> alone;
  TokenBatch one;
  one.Add(std::vector<int32_t>(small.ids.begin() + 4, small.ids.end()));
  ASSERT_TRUE(encoder->Encode(one, alone).ok());
  for (size_t j = 0; j < alone.size(); ++j) EXPECT_NEAR(alone[j], first[alone.size() + j], 1e-6);
}

TEST_F(BertCpuEncoderTest, ABatchLargerThanOnePassRunsAsSeveralWithTheSameResult) {
  const BertSpec spec{.max_positions = 24};
  std::unique_ptr<BertModel> model = Write(spec);
  ASSERT_NE(model, nullptr);
  const TokenBatch batch = Sequences({5, 24, 1, 13, 24, 7, 2, 19}, 200, 13);
  std::vector<float> whole;
  std::vector<float> passes;
  ASSERT_TRUE(CreateCpuBertEncoder(*model, {.threads = 2})->Encode(batch, whole).ok());
  // At most 30 tokens per pass (never less than one 24-token sequence): six passes.
  ASSERT_TRUE(CreateCpuBertEncoder(*model, {.threads = 2, .max_tokens_per_pass = 30})
                  ->Encode(batch, passes)
                  .ok());
  ASSERT_EQ(passes.size(), whole.size());
  for (size_t i = 0; i < whole.size(); ++i) EXPECT_NEAR(passes[i], whole[i], 1e-6) << i;
  ExpectMatchesReference(spec, *model, {.max_tokens_per_pass = 1}, batch);
}

TEST_F(BertCpuEncoderTest, RejectsBatchesTheModelCannotRun) {
  std::unique_ptr<BertModel> model = Write({.max_positions = 8});
  ASSERT_NE(model, nullptr);
  std::unique_ptr<BertEncoder> encoder = CreateCpuBertEncoder(*model, {});
  std::vector<float> out;
  EXPECT_THAT(std::string(encoder->Encode(TokenBatch{}, out).message()), HasSubstr("empty batch"));
  EXPECT_THAT(std::string(encoder->Encode(Sequences({3, 9}, 200, 1), out).message()),
              HasSubstr("sequence 1 has 9 tokens; the model takes 1 to 8"));
  TokenBatch bad = Sequences({3}, 200, 1);
  bad.ids[1] = 200;
  EXPECT_THAT(std::string(encoder->Encode(bad, out).message()),
              HasSubstr("token id 200 is outside the vocabulary (200 rows)"));
  TokenBatch empty;
  empty.Add({});
  EXPECT_THAT(std::string(encoder->Encode(empty, out).message()), HasSubstr("sequence 0 has 0"));
}

TEST(BertKernels, EveryVariantsExpAndGeluAreAccurateToAFewUlps) {
  for (const BertKernels* kernels : BertKernels::Available()) {
    SCOPED_TRACE(kernels->name);
    double worst_exp = 0;
    for (double x = -87; x <= 88; x += 0.0137) {
      const auto xf = static_cast<float>(x);
      worst_exp = std::max(worst_exp, std::fabs(kernels->exp(xf) / std::exp(double{xf}) - 1.0));
    }
    EXPECT_LT(worst_exp, 4e-7);
    double worst_gelu = 0;
    for (double x = -12; x <= 12; x += 0.00731) {
      const auto xf = static_cast<float>(x);
      const double exact = 0.5 * xf * (1.0 + std::erf(xf / std::sqrt(2.0)));
      worst_gelu = std::max(worst_gelu,
                            std::fabs(kernels->gelu(xf) - exact) / std::max(1.0, std::fabs(exact)));
    }
    EXPECT_LT(worst_gelu, 4e-7);
    EXPECT_EQ(kernels->gelu(0.0F), 0.0F);
    EXPECT_EQ(kernels->exp(-200.0F), 0.0F);
  }
  EXPECT_STREQ(BertKernels::Available().front()->name, "baseline");
  EXPECT_EQ(&BertKernels::Best(), BertKernels::Available().back());
}

TEST_F(BertCpuEncoderTest, EveryKernelVariantMatchesTheReference) {
  const BertSpec spec{.hidden = 44, .heads = 4, .intermediate = 70, .max_positions = 40};
  std::unique_ptr<BertModel> model = Write(spec);
  ASSERT_NE(model, nullptr);
  for (const BertKernels* kernels : BertKernels::Available()) {
    SCOPED_TRACE(kernels->name);
    ExpectMatchesReference(spec, *model, {.threads = 2, .kernels = kernels},
                           Sequences({7, 24, 1, 19, 40}, 200, 9));
  }
}

}  // namespace
}  // namespace lmc::inference
