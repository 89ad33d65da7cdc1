#include "handlers/inference/bert_writer.h"

#include <cmath>
#include <string_view>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "lmc/json.h"

namespace lmc::inference {
namespace {

constexpr std::string_view kSpecialTokens[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};

// Common English words, so demo sentences tokenize into whole words.
constexpr std::string_view kWords[] = {
    "the",     "a",        "an",      "and",    "or",      "of",      "to",      "in",
    "on",      "at",       "for",     "with",   "from",    "by",      "is",      "are",
    "was",     "were",     "be",      "has",    "have",    "it",      "this",    "that",
    "i",       "you",      "he",      "she",    "we",      "they",    "my",      "your",
    "cat",     "cats",     "dog",     "dogs",   "kitten",  "puppy",   "sits",    "sat",
    "mat",     "rug",      "sleeps",  "runs",   "plays",   "park",    "garden",  "house",
    "stock",   "market",   "price",   "prices", "fell",    "rose",    "today",   "yesterday",
    "weather", "rain",     "sun",     "sunny",  "cloudy",  "cold",    "warm",    "hot",
    "lambda",  "function", "server",  "cloud",  "compute", "model",   "search",  "query",
    "music",   "song",     "guitar",  "piano",  "concert", "food",    "pizza",   "bread",
    "cheese",  "coffee",   "tea",     "water",  "car",     "train",   "city",    "road",
    "good",    "bad",      "new",     "old",    "big",     "small",   "fast",    "slow",
    "what",    "how",      "why",     "when",   "where",   "who",     "not",     "no",
    "yes",     "very",     "quickly", "slowly", "happy",   "sad",     "love",    "like",
    "learn",   "learning", "machine", "deep",   "network", "neural",  "text",    "word",
    "book",    "read",     "write",   "day",    "night",   "morning", "evening", "time"};

// Appends `tensor` filled from `random` with values uniform in +-`scale`, plus `offset`.
void AddTensor(ModelToWrite& model, std::string name, std::vector<int64_t> shape, DType dtype,
               TestRandom& random, float scale, float offset = 0.0F) {
  size_t count = 1;
  for (const int64_t dim : shape) count *= static_cast<size_t>(dim);
  std::vector<float> values(count);
  for (float& value : values) value = offset + scale * random.Next();
  model.tensors.push_back({std::move(name), dtype, std::move(shape), std::move(values)});
}

void WriteAddedToken(JsonWriter& json, int64_t id, const AddedTokenSpec& token) {
  json.BeginObject()
      .Key("id")
      .Int(id)
      .Key("content")
      .String(token.content)
      .Key("single_word")
      .Bool(token.single_word)
      .Key("lstrip")
      .Bool(token.lstrip)
      .Key("rstrip")
      .Bool(token.rstrip)
      .Key("normalized")
      .Bool(token.normalized)
      .Key("special")
      .Bool(token.special)
      .EndObject();
}

void WritePostProcessor(JsonWriter& json, const TokenizerSpec& spec, int64_t cls, int64_t sep) {
  json.Key("post_processor");
  if (spec.post_processor == "none") {
    json.Null();
  } else if (spec.post_processor == "bert") {
    json.BeginObject().Key("type").String("BertProcessing");
    json.Key("sep").BeginArray().String("[SEP]").Int(sep).EndArray();
    json.Key("cls").BeginArray().String("[CLS]").Int(cls).EndArray().EndObject();
  } else {
    const auto special = [&json](std::string_view id) {
      json.BeginObject().Key("SpecialToken").BeginObject().Key("id").String(id);
      json.Key("type_id").Int(0).EndObject().EndObject();
    };
    json.BeginObject().Key("type").String("TemplateProcessing").Key("single").BeginArray();
    special("[CLS]");
    json.BeginObject().Key("Sequence").BeginObject().Key("id").String("A").Key("type_id").Int(0);
    json.EndObject().EndObject();
    special("[SEP]");
    json.EndArray().Key("special_tokens").BeginObject();
    for (const auto& [name, id] : {std::pair{"[CLS]", cls}, std::pair{"[SEP]", sep}}) {
      json.Key(name).BeginObject().Key("id").String(name);
      json.Key("ids").BeginArray().Int(id).EndArray();
      json.Key("tokens").BeginArray().String(name).EndArray().EndObject();
    }
    json.EndObject().EndObject();
  }
}

}  // namespace

std::string TokenizerJson(const TokenizerSpec& spec) {
  const auto id_of = [&spec](std::string_view token) -> int64_t {
    for (size_t i = 0; i < spec.vocab.size(); ++i) {
      if (spec.vocab[i] == token) return static_cast<int64_t>(i);
    }
    return -1;
  };
  std::vector<AddedTokenSpec> added;
  if (spec.added) {
    added = *spec.added;
  } else {
    for (const std::string_view token : kSpecialTokens) {
      if (id_of(token) >= 0) added.push_back({.content = std::string(token)});
    }
  }
  std::string out;
  JsonWriter json(&out);
  json.BeginObject().Key("version").String("1.0").Key("truncation").Null();
  json.Key("padding").Null().Key("added_tokens").BeginArray();
  for (const AddedTokenSpec& token : added) WriteAddedToken(json, id_of(token.content), token);
  json.EndArray().Key("normalizer");
  if (spec.normalizer) {
    json.BeginObject().Key("type").String("BertNormalizer");
    json.Key("clean_text").Bool(spec.clean_text);
    json.Key("handle_chinese_chars").Bool(spec.handle_chinese_chars).Key("strip_accents");
    if (spec.strip_accents) {
      json.Bool(*spec.strip_accents);
    } else {
      json.Null();
    }
    json.Key("lowercase").Bool(spec.lowercase).EndObject();
  } else {
    json.Null();
  }
  json.Key("pre_tokenizer").BeginObject().Key("type").String("BertPreTokenizer").EndObject();
  WritePostProcessor(json, spec, id_of("[CLS]"), id_of("[SEP]"));
  json.Key("decoder").BeginObject().Key("type").String("WordPiece").Key("prefix").String("##");
  json.Key("cleanup").Bool(true).EndObject();
  json.Key("model").BeginObject().Key("type").String("WordPiece").Key("unk_token").String("[UNK]");
  json.Key("continuing_subword_prefix").String("##");
  json.Key("max_input_chars_per_word").Int(spec.max_input_chars_per_word);
  json.Key("vocab").BeginObject();
  for (size_t i = 0; i < spec.vocab.size(); ++i) {
    json.Key(spec.vocab[i]).Int(static_cast<int64_t>(i));
  }
  json.EndObject().EndObject().EndObject();
  return out;
}

std::vector<std::string> MakeVocabulary(size_t size) {
  std::vector<std::string> vocab;
  const auto add = [&vocab, size](std::string token) {
    if (vocab.size() < size) vocab.push_back(std::move(token));
  };
  for (const std::string_view token : kSpecialTokens) add(std::string(token));
  for (char c = 33; c < 127; ++c) add(std::string(1, c));
  for (char c = 33; c < 127; ++c) add(absl::StrCat("##", std::string(1, c)));
  for (const std::string_view word : kWords) add(std::string(word));
  // Word pieces: consonant + vowel, then consonant + vowel + consonant, each alone and as a
  // continuation.
  constexpr std::string_view kConsonants = "bcdfghjklmnprstvwz";
  constexpr std::string_view kVowels = "aeiou";
  for (size_t tail = 0; tail <= kConsonants.size(); ++tail) {
    for (const char vowel : kVowels) {
      for (const char consonant : kConsonants) {
        std::string piece{consonant, vowel};
        if (tail > 0) piece += kConsonants[tail - 1];
        add(piece);
        add(absl::StrCat("##", piece));
      }
    }
  }
  for (size_t n = 0; vocab.size() < size; ++n) add(absl::StrCat("tok", n));
  return vocab;
}

std::vector<std::string> BertVocabulary(const BertSpec& spec) {
  return spec.vocab.empty() ? MakeVocabulary(static_cast<size_t>(spec.vocab_size)) : spec.vocab;
}

std::string BertConfigJson(const BertSpec& spec) {
  std::string out;
  JsonWriter json(&out);
  json.BeginObject().Key("architectures").BeginArray().String("BertModel").EndArray();
  json.Key("model_type").String("bert").Key("hidden_size").Int(spec.hidden);
  json.Key("num_hidden_layers").Int(spec.layers).Key("num_attention_heads").Int(spec.heads);
  json.Key("intermediate_size").Int(spec.intermediate);
  json.Key("max_position_embeddings").Int(spec.max_positions);
  json.Key("type_vocab_size").Int(spec.type_vocab);
  json.Key("vocab_size").Int(static_cast<int64_t>(BertVocabulary(spec).size()));
  json.Key("layer_norm_eps").Double(spec.layer_norm_eps).Key("hidden_act").String("gelu");
  json.Key("hidden_dropout_prob").Double(0.1).Key("attention_probs_dropout_prob").Double(0.1);
  json.Key("position_embedding_type").String("absolute").Key("pad_token_id").Int(0);
  json.Key("torch_dtype").String(spec.dtype == DType::kF32 ? "float32" : "float16");
  json.EndObject();
  return out;
}

ModelToWrite MakeBertTensors(const BertSpec& spec) {
  ModelToWrite model;
  model.metadata["format"] = "pt";
  TestRandom random(spec.seed);
  const std::string prefix = spec.bert_prefix ? "bert." : "";
  const int64_t h = spec.hidden;
  const auto vocab = static_cast<int64_t>(BertVocabulary(spec).size());
  const auto matrix = [&](const std::string& name, int64_t out, int64_t in) {
    AddTensor(model, prefix + name + ".weight", {out, in}, spec.dtype, random,
              spec.scale * std::sqrt(3.0F / static_cast<float>(in)));
    AddTensor(model, prefix + name + ".bias", {out}, spec.dtype, random, 0.1F);
  };
  const auto layer_norm = [&](const std::string& name) {
    AddTensor(model, prefix + name + ".weight", {h}, spec.dtype, random, 0.1F, 1.0F);
    AddTensor(model, prefix + name + ".bias", {h}, spec.dtype, random, 0.1F);
  };
  AddTensor(model, prefix + "embeddings.word_embeddings.weight", {vocab, h}, spec.dtype, random,
            0.5F);
  AddTensor(model, prefix + "embeddings.position_embeddings.weight", {spec.max_positions, h},
            spec.dtype, random, 0.5F);
  AddTensor(model, prefix + "embeddings.token_type_embeddings.weight", {spec.type_vocab, h},
            spec.dtype, random, 0.5F);
  layer_norm("embeddings.LayerNorm");
  std::vector<float> positions(static_cast<size_t>(spec.max_positions));
  for (size_t i = 0; i < positions.size(); ++i) positions[i] = static_cast<float>(i);
  model.tensors.push_back({prefix + "embeddings.position_ids",
                           DType::kI64,
                           {1, spec.max_positions},
                           std::move(positions)});
  for (int64_t i = 0; i < spec.layers; ++i) {
    const std::string layer = absl::StrCat("encoder.layer.", i, ".");
    matrix(layer + "attention.self.query", h, h);
    matrix(layer + "attention.self.key", h, h);
    matrix(layer + "attention.self.value", h, h);
    matrix(layer + "attention.output.dense", h, h);
    layer_norm(layer + "attention.output.LayerNorm");
    matrix(layer + "intermediate.dense", spec.intermediate, h);
    matrix(layer + "output.dense", h, spec.intermediate);
    layer_norm(layer + "output.LayerNorm");
  }
  matrix("pooler.dense", h, h);
  return model;
}

absl::Status WriteBertDirectory(const std::filesystem::path& dir, const BertSpec& spec) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::InternalError(absl::StrCat("cannot create ", dir.string()));
  TokenizerSpec tokenizer;
  tokenizer.vocab = BertVocabulary(spec);
  absl::Status status = WriteFile(dir / "config.json", BertConfigJson(spec));
  if (status.ok()) status = WriteFile(dir / "tokenizer.json", TokenizerJson(tokenizer));
  if (status.ok()) {
    status = WriteFile(dir / "model.safetensors", WriteSafetensors(MakeBertTensors(spec)));
  }
  if (!status.ok() || spec.pooling.empty()) return status;
  std::filesystem::create_directories(dir / "1_Pooling", error);
  if (error) return absl::InternalError(absl::StrCat("cannot create ", dir.string(), "/1_Pooling"));
  std::string pooling;
  JsonWriter(&pooling)
      .BeginObject()
      .Key("word_embedding_dimension")
      .Int(spec.hidden)
      .Key("pooling_mode_cls_token")
      .Bool(spec.pooling == "cls")
      .Key("pooling_mode_mean_tokens")
      .Bool(spec.pooling == "mean")
      .Key("pooling_mode_max_tokens")
      .Bool(false)
      .Key("pooling_mode_mean_sqrt_len_tokens")
      .Bool(false)
      .EndObject();
  return WriteFile(dir / "1_Pooling" / "config.json", pooling);
}

}  // namespace lmc::inference
