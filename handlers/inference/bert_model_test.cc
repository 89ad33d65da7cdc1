#include "handlers/inference/bert_model.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handlers/inference/bert_writer.h"

namespace lmc::inference {
namespace {

using ::testing::HasSubstr;

class BertModelTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(WriteBertDirectory(dir_, spec_).ok()); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string File(std::string_view name) const { return (dir_ / name).string(); }

  // Replaces `from` by `to` in the directory's file `name` (which must contain it).
  void Edit(std::string_view name, std::string_view from, std::string_view to) {
    std::ifstream in(dir_ / name);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string edited = absl::StrReplaceAll(
        text,
        {{absl::string_view(from.data(), from.size()), absl::string_view(to.data(), to.size())}});
    ASSERT_NE(edited, text) << name << " has no " << from;
    ASSERT_TRUE(WriteFile(dir_ / name, edited).ok());
  }

  void WriteTensors(const ModelToWrite& tensors) {
    ASSERT_TRUE(WriteFile(dir_ / "model.safetensors", WriteSafetensors(tensors)).ok());
  }

  // Loading fails with `code`, naming the file `file` (in the directory) and `needle`.
  void ExpectFails(std::string_view file, std::string_view needle,
                   absl::StatusCode code = absl::StatusCode::kInvalidArgument) {
    absl::StatusOr<std::unique_ptr<BertModel>> model = BertModel::Load(dir_);
    ASSERT_FALSE(model.ok()) << needle;
    EXPECT_EQ(model.status().code(), code) << model.status();
    EXPECT_THAT(std::string(model.status().message()), HasSubstr(File(file)));
    EXPECT_THAT(std::string(model.status().message()), HasSubstr(std::string(needle)));
  }

  const std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / absl::StrCat("lmc-bert-model-", ::getpid());
  const BertSpec spec_{
      .layers = 2, .hidden = 16, .heads = 2, .intermediate = 24, .max_positions = 12};
};

TEST_F(BertModelTest, LoadsTheDirectoryAndLaysTheWeightsOut) {
  absl::StatusOr<std::unique_ptr<BertModel>> model = BertModel::Load(dir_);
  ASSERT_TRUE(model.ok()) << model.status();
  const BertModel& m = **model;
  EXPECT_EQ(m.config().hidden, 16U);
  EXPECT_EQ(m.config().layers, 2U);
  EXPECT_EQ(m.config().heads, 2U);
  EXPECT_EQ(m.config().head_dim(), 8U);
  EXPECT_EQ(m.config().intermediate, 24U);
  EXPECT_EQ(m.config().max_positions, 12U);
  EXPECT_FLOAT_EQ(m.config().layer_norm_eps, 1e-12F);
  EXPECT_EQ(m.pooling(), BertPooling::kMean);
  EXPECT_EQ(m.vocab_rows(), 200U);
  ASSERT_EQ(m.layers().size(), 2U);
  EXPECT_EQ(m.layers()[0].qkv_weight.size(), 3U * 16 * 16);
  EXPECT_EQ(m.position_type_embeddings().size(), 12U * 16);
  // The fused projection holds query, key and value rows in that order, and the position table
  // includes token type 0.
  const ModelToWrite tensors = MakeBertTensors(spec_);
  const auto find = [&tensors](std::string_view name) -> const std::vector<float>& {
    for (const TensorToWrite& tensor : tensors.tensors) {
      if (tensor.name == name) return tensor.values;
    }
    ADD_FAILURE() << name;
    return tensors.tensors.front().values;
  };
  EXPECT_EQ(m.layers()[1].qkv_weight.values()[16 * 16 + 5],
            find("bert.encoder.layer.1.attention.self.key.weight")[5]);
  EXPECT_EQ(m.layers()[1].qkv_bias.values()[2 * 16 + 3],
            find("bert.encoder.layer.1.attention.self.value.bias")[3]);
  EXPECT_EQ(m.position_type_embeddings()[3 * 16 + 1],
            find("bert.embeddings.position_embeddings.weight")[3 * 16 + 1] +
                find("bert.embeddings.token_type_embeddings.weight")[1]);
  // F32 weights are used in place.
  EXPECT_TRUE(m.layers()[0].intermediate_weight.borrowed());
  // The tokenizer came along.
  std::vector<int32_t> ids;
  m.tokenizer().Encode("the a", 12, ids);
  EXPECT_EQ(ids.size(), 4U);
}

TEST_F(BertModelTest, MissingFilesAreNotFoundAndNamed) {
  EXPECT_EQ(BertModel::Load(dir_ / "nope").status().code(), absl::StatusCode::kNotFound);
  for (const char* name : {"config.json", "tokenizer.json", "model.safetensors"}) {
    SetUp();
    std::filesystem::remove(dir_ / name);
    ExpectFails(name, "", absl::StatusCode::kNotFound);
  }
}

TEST_F(BertModelTest, ConfigProblemsNameTheField) {
  const std::pair<std::pair<std::string, std::string>, std::string> cases[] = {
      {{R"("model_type":"bert")", R"("model_type":"roberta")"}, "model_type is \"roberta\""},
      {{R"("hidden_act":"gelu")", R"("hidden_act":"gelu_new")"}, "hidden_act is \"gelu_new\""},
      {{R"("hidden_size":16)", R"("hidden_sizes":16)"}, "hidden_size is missing"},
      {{R"("num_attention_heads":2)", R"("num_attention_heads":3)"},
       "num_attention_heads 3 does not divide hidden_size 16"},
      {{R"("num_hidden_layers":2)", R"("num_hidden_layers":-2)"},
       "num_hidden_layers must be a positive integer"},
      {{R"("layer_norm_eps":1e-12)", R"("layer_norm_eps":0)"}, "layer_norm_eps must be a number"},
      {{R"("position_embedding_type":"absolute")", R"("position_embedding_type":"relative_key")"},
       "position_embedding_type is \"relative_key\""},
      {{R"("vocab_size":200)", R"("vocab_size":300)"},
       "has 200 rows but config.json's vocab_size is 300"},
      {{R"("max_position_embeddings":12)", R"("max_position_embeddings":1)"},
       "max_position_embeddings is smaller than tokenizer.json's 2 special tokens"},
      {{"{", "["}, "is not valid JSON"},
  };
  for (const auto& [edit, needle] : cases) {
    SetUp();
    Edit("config.json", edit.first, edit.second);
    // vocab_size is checked against the weights, so that error names model.safetensors.
    ExpectFails(
        needle.find("vocab_size is 300") != std::string::npos ? "model.safetensors" : "config.json",
        needle);
  }
}

TEST_F(BertModelTest, TensorProblemsNameTheTensor) {
  ModelToWrite tensors = MakeBertTensors(spec_);
  std::erase_if(tensors.tensors, [](const TensorToWrite& t) {
    return t.name == "bert.encoder.layer.1.output.LayerNorm.bias";
  });
  WriteTensors(tensors);
  ExpectFails("model.safetensors", "bert.encoder.layer.1.output.LayerNorm.bias is missing");

  tensors = MakeBertTensors(spec_);
  for (TensorToWrite& t : tensors.tensors) {
    if (t.name == "bert.encoder.layer.0.intermediate.dense.weight") t.shape = {16, 24};
  }
  WriteTensors(tensors);
  ExpectFails("model.safetensors",
              "bert.encoder.layer.0.intermediate.dense.weight has shape [16, 24]; config.json "
              "says [24, 16]");

  tensors = MakeBertTensors(spec_);
  for (TensorToWrite& t : tensors.tensors) {
    if (t.name == "bert.encoder.layer.0.attention.self.query.bias") t.dtype = DType::kI32;
  }
  WriteTensors(tensors);
  ExpectFails("model.safetensors",
              "bert.encoder.layer.0.attention.self.query.bias has dtype I32; expected F32");

  tensors = MakeBertTensors(spec_);
  tensors.tensors.push_back(
      {"bert.encoder.layer.2.output.dense.bias", DType::kF32, {16}, std::vector<float>(16)});
  WriteTensors(tensors);
  ExpectFails("model.safetensors",
              "has bert.encoder.layer.2.output.dense.bias but config.json's num_hidden_layers "
              "is 2");

  tensors = MakeBertTensors(spec_);
  tensors.tensors.erase(tensors.tensors.begin());  // the word embeddings
  WriteTensors(tensors);
  ExpectFails("model.safetensors",
              "embeddings.word_embeddings.weight (with or without \"bert.\") is missing");

  ASSERT_TRUE(WriteFile(dir_ / "model.safetensors", "not a safetensors file").ok());
  ExpectFails("model.safetensors", "invalid safetensors file");
}

TEST_F(BertModelTest, ATokenBeyondTheEmbeddingsIsAnError) {
  Edit("tokenizer.json", R"("to":199)", R"("to":500)");
  ExpectFails("tokenizer.json",
              "token id 500 is beyond model.safetensors bert.embeddings.word_embeddings.weight "
              "(200 rows)");
}

TEST_F(BertModelTest, PoolingConfigSelectsClsOrMeanAndRefusesTheRest) {
  Edit("1_Pooling/config.json", R"("pooling_mode_cls_token":false,"pooling_mode_mean_tokens":true)",
       R"("pooling_mode_cls_token":true,"pooling_mode_mean_tokens":false)");
  absl::StatusOr<std::unique_ptr<BertModel>> model = BertModel::Load(dir_);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->pooling(), BertPooling::kCls);
  model = nullptr;

  Edit("1_Pooling/config.json", R"("pooling_mode_max_tokens":false)",
       R"("pooling_mode_max_tokens":true)");
  ExpectFails("1_Pooling/config.json",
              "pooling_mode_max_tokens is true; only mean and CLS pooling are supported");
  SetUp();
  Edit("1_Pooling/config.json", R"("pooling_mode_mean_tokens":true)",
       R"("pooling_mode_mean_tokens":false)");
  ExpectFails("1_Pooling/config.json", "exactly one must be true");
  SetUp();
  Edit("1_Pooling/config.json", R"("word_embedding_dimension":16)",
       R"("word_embedding_dimension":384)");
  ExpectFails("1_Pooling/config.json",
              "word_embedding_dimension must be config.json's hidden_size");
  // Without the file: mean.
  SetUp();
  std::filesystem::remove_all(dir_ / "1_Pooling");
  model = BertModel::Load(dir_);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->pooling(), BertPooling::kMean);
}

}  // namespace
}  // namespace lmc::inference
