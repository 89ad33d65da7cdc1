#include "handlers/inference/wordpiece_tokenizer.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handlers/inference/bert_writer.h"

namespace lmc::inference {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A small vocabulary: ids are indices.
const std::vector<std::string> kVocab = {
    "[PAD]", "[UNK]", "[CLS]",  "[SEP]", "[MASK]", "hello", "world", ",",   "!",    "?",
    "un",    "##aff", "##able", "我",    "爱",     "n",     "##l",   "##p", "cafe", "naive",
    "héllo", "Hello", "a",      "##b",   "##c",    "##d",   "##e",   "##f", "##g",  "##h",
    "##i",   "##j",   "$",      "5",     "-",      "—",     "“",     "”",   "[",    "]",
    "mask",  "b",     "<x>",    "i",     "<",      ">"};

class WordPieceTest : public ::testing::Test {
 protected:
  std::unique_ptr<WordPieceTokenizer> Make(TokenizerSpec spec) {
    if (spec.vocab.empty()) spec.vocab = kVocab;
    absl::StatusOr<std::unique_ptr<WordPieceTokenizer>> tokenizer =
        WordPieceTokenizer::Parse(TokenizerJson(spec), "tokenizer.json");
    EXPECT_TRUE(tokenizer.ok()) << tokenizer.status();
    return tokenizer.ok() ? *std::move(tokenizer) : nullptr;
  }

  // The tokens of `text` as strings, special tokens included.
  static std::vector<std::string> Tokens(const WordPieceTokenizer& tokenizer, std::string_view text,
                                         size_t max_tokens = 512) {
    std::vector<int32_t> ids;
    tokenizer.Encode(text, max_tokens, ids);
    std::vector<std::string> tokens;
    for (const int32_t id : ids) tokens.push_back(kVocab.at(static_cast<size_t>(id)));
    return tokens;
  }

  // Parses `json` and expects an InvalidArgument naming tokenizer.json and `needle`.
  static void ExpectRejected(const std::string& json, std::string_view needle) {
    absl::StatusOr<std::unique_ptr<WordPieceTokenizer>> tokenizer =
        WordPieceTokenizer::Parse(json, "dir/tokenizer.json");
    ASSERT_FALSE(tokenizer.ok()) << needle;
    EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(tokenizer.status().message()), HasSubstr("dir/tokenizer.json: "));
    EXPECT_THAT(std::string(tokenizer.status().message()), HasSubstr(std::string(needle)));
  }
};

TEST_F(WordPieceTest, WrapsTextInClsAndSepWithLongestMatchFirstPieces) {
  const auto tokenizer = Make({});
  EXPECT_THAT(Tokens(*tokenizer, "Hello, world!"),
              ElementsAre("[CLS]", "hello", ",", "world", "!", "[SEP]"));
  EXPECT_THAT(Tokens(*tokenizer, "unaffable"),
              ElementsAre("[CLS]", "un", "##aff", "##able", "[SEP]"));
  EXPECT_THAT(Tokens(*tokenizer, ""), ElementsAre("[CLS]", "[SEP]"));
  EXPECT_THAT(Tokens(*tokenizer, " \t\n "), ElementsAre("[CLS]", "[SEP]"));
  EXPECT_EQ(tokenizer->special_token_count(), 2U);
  EXPECT_EQ(tokenizer->max_id(), static_cast<int32_t>(kVocab.size()) - 1);
}

TEST_F(WordPieceTest, AccentsFollowTheNormalizer) {
  EXPECT_THAT(Tokens(*Make({}), "CAFÉ Naïve HÉLLO"),
              ElementsAre("[CLS]", "cafe", "naive", "hello", "[SEP]"));
  // Lowercase without stripping: "héllo" is its own token.
  EXPECT_THAT(Tokens(*Make({.strip_accents = false}), "HÉLLO"),
              ElementsAre("[CLS]", "héllo", "[SEP]"));
  // A cased model (lowercase false, strip_accents null: no stripping either).
  EXPECT_THAT(Tokens(*Make({.lowercase = false}), "Hello héllo"),
              ElementsAre("[CLS]", "Hello", "héllo", "[SEP]"));
  // No normalizer at all: the text as it is.
  EXPECT_THAT(Tokens(*Make({.normalizer = false}), "Hello hello"),
              ElementsAre("[CLS]", "Hello", "hello", "[SEP]"));
}

TEST_F(WordPieceTest, PunctuationIsIsolatedAsciiSymbolsIncluded) {
  EXPECT_THAT(Tokens(*Make({}), "$5—“hello”-world?"),
              ElementsAre("[CLS]", "$", "5", "—", "“", "hello", "”", "-", "world", "?", "[SEP]"));
}

TEST_F(WordPieceTest, CjkIdeographsAreWordsOfTheirOwn) {
  EXPECT_THAT(Tokens(*Make({}), "我爱NLP"),
              ElementsAre("[CLS]", "我", "爱", "n", "##l", "##p", "[SEP]"));
}

TEST_F(WordPieceTest, AWordWithAPieceOutsideTheVocabularyIsOneUnknownToken) {
  // "unaffablez": no piece covers the final "z", so the whole word is [UNK], not a prefix.
  EXPECT_THAT(Tokens(*Make({}), "hello unaffablez world"),
              ElementsAre("[CLS]", "hello", "[UNK]", "world", "[SEP]"));
  EXPECT_THAT(Tokens(*Make({}), "xyz"), ElementsAre("[CLS]", "[UNK]", "[SEP]"));
  // Unknown characters of other scripts.
  EXPECT_THAT(Tokens(*Make({}), "こんにちは hello"),
              ElementsAre("[CLS]", "[UNK]", "hello", "[SEP]"));
}

TEST_F(WordPieceTest, WordsLongerThanMaxInputCharsPerWordAreUnknown) {
  const auto tokenizer = Make({.max_input_chars_per_word = 10});
  // 10 characters: split into pieces; 11: [UNK] without trying.
  EXPECT_THAT(Tokens(*tokenizer, "abcdefghij"),
              ElementsAre("[CLS]", "a", "##b", "##c", "##d", "##e", "##f", "##g", "##h", "##i",
                          "##j", "[SEP]"));
  EXPECT_THAT(Tokens(*tokenizer, "abcdefghija"), ElementsAre("[CLS]", "[UNK]", "[SEP]"));
  // Characters, not bytes: "héllo" is 5 characters in 6 bytes.
  EXPECT_THAT(Tokens(*Make({.strip_accents = false, .max_input_chars_per_word = 5}), "héllo"),
              ElementsAre("[CLS]", "héllo", "[SEP]"));
  EXPECT_THAT(Tokens(*Make({.strip_accents = false, .max_input_chars_per_word = 4}), "héllo"),
              ElementsAre("[CLS]", "[UNK]", "[SEP]"));
}

TEST_F(WordPieceTest, TruncationKeepsTheFirstTokensAndTheSpecialTokens) {
  const auto tokenizer = Make({});
  EXPECT_THAT(Tokens(*tokenizer, "hello world hello world", 4),
              ElementsAre("[CLS]", "hello", "world", "[SEP]"));
  // Truncation cuts inside a word's pieces too, as Hugging Face does.
  EXPECT_THAT(Tokens(*tokenizer, "unaffable", 4), ElementsAre("[CLS]", "un", "##aff", "[SEP]"));
  EXPECT_THAT(Tokens(*tokenizer, "hello", 2), ElementsAre("[CLS]", "[SEP]"));
  std::string long_text;
  for (int i = 0; i < 1000; ++i) long_text += "hello ";
  std::vector<int32_t> ids;
  tokenizer->Encode(long_text, 512, ids);
  EXPECT_EQ(ids.size(), 512U);
  EXPECT_EQ(ids.front(), 2);
  EXPECT_EQ(ids.back(), 3);
}

TEST_F(WordPieceTest, SpecialTokensInTheTextAreMatchedAsWritten) {
  const auto tokenizer = Make({});
  EXPECT_THAT(Tokens(*tokenizer, "hello [MASK] world[SEP]"),
              ElementsAre("[CLS]", "hello", "[MASK]", "world", "[SEP]", "[SEP]"));
  // Special tokens are not normalized: a lowercase [mask] is ordinary text.
  EXPECT_THAT(Tokens(*tokenizer, "[mask]"), ElementsAre("[CLS]", "[", "mask", "]", "[SEP]"));
}

TEST_F(WordPieceTest, AddedTokensHonourLstripRstripSingleWordAndNormalized) {
  TokenizerSpec spec;
  spec.added = std::vector<AddedTokenSpec>{
      {.content = "[CLS]"}, {.content = "[SEP]"}, {.content = "[UNK]"}, {.content = "<x>"}};
  EXPECT_THAT(Tokens(*Make(spec), "a<x>b"), ElementsAre("[CLS]", "a", "<x>", "b", "[SEP]"));
  spec.added->back().single_word = true;
  EXPECT_THAT(Tokens(*Make(spec), "a<x>b a <x> b"),
              ElementsAre("[CLS]", "a", "<", "[UNK]", ">", "b", "a", "<x>", "b", "[SEP]"));
  // A normalized added token is looked for in the normalized (lowercased) text.
  spec.added->back() = {.content = "[MASK]", .special = false, .normalized = true};
  EXPECT_THAT(Tokens(*Make(spec), "hello [Mask] world"),
              ElementsAre("[CLS]", "hello", "[MASK]", "world", "[SEP]"));
  // lstrip/rstrip take the spaces around the token with it (the pre-tokenizer would drop them
  // anyway, so the ids only show that nothing else changes).
  spec.added->back() = {.content = "<x>", .lstrip = true, .rstrip = true};
  EXPECT_THAT(Tokens(*Make(spec), "a   <x>   b"), ElementsAre("[CLS]", "a", "<x>", "b", "[SEP]"));
}

TEST_F(WordPieceTest, EveryPostProcessorFormGivesTheSameIds) {
  std::vector<int32_t> template_ids;
  std::vector<int32_t> bert_ids;
  std::vector<int32_t> none_ids;
  Make({.post_processor = "template"})->Encode("hello world", 512, template_ids);
  Make({.post_processor = "bert"})->Encode("hello world", 512, bert_ids);
  Make({.post_processor = "none"})->Encode("hello world", 512, none_ids);
  EXPECT_THAT(template_ids, ElementsAre(2, 5, 6, 3));
  EXPECT_EQ(bert_ids, template_ids);
  EXPECT_EQ(none_ids, template_ids);
}

TEST_F(WordPieceTest, EveryProblemNamesTheFileAndTheField) {
  TokenizerSpec spec{.vocab = kVocab};
  const std::string good = TokenizerJson(spec);
  const auto replace = [&good](std::string_view from, std::string_view to) {
    const std::string changed = absl::StrReplaceAll(
        good,
        {{absl::string_view(from.data(), from.size()), absl::string_view(to.data(), to.size())}});
    EXPECT_NE(changed, good) << from;
    return changed;
  };
  ExpectRejected("{", "is not valid JSON");
  ExpectRejected("[]", "must be a JSON object");
  ExpectRejected("{}", "model is missing");
  ExpectRejected(replace(R"("type":"WordPiece","unk_token")", R"("type":"BPE","unk_token")"),
                 "model.type is \"BPE\"");
  ExpectRejected(replace(R"("vocab":{)", R"("vocab":[],"x":{)"), "model.vocab is missing");
  ExpectRejected(replace(R"("[PAD]":0)", R"("[PAD]":-1)"),
                 "model.vocab[\"[PAD]\"] must be a token id");
  ExpectRejected(replace(R"("unk_token":"[UNK]")", R"("unk_token":"<unk>")"),
                 "model.unk_token \"<unk>\" is not in model.vocab");
  ExpectRejected(replace(R"("max_input_chars_per_word":100)", R"("max_input_chars_per_word":"x")"),
                 "model.max_input_chars_per_word must be an integer");
  ExpectRejected(replace(R"("type":"BertNormalizer")", R"("type":"NFKC")"),
                 "normalizer.type is \"NFKC\"");
  ExpectRejected(replace(R"("lowercase":true)", R"("lowercase":1)"),
                 "normalizer.lowercase must be true or false");
  ExpectRejected(replace(R"("type":"BertPreTokenizer")", R"("type":"Metaspace")"),
                 "pre_tokenizer.type is \"Metaspace\"");
  ExpectRejected(replace(R"("type":"TemplateProcessing")", R"("type":"RobertaProcessing")"),
                 "post_processor.type is \"RobertaProcessing\"");
  ExpectRejected(replace(R"({"id":"A","type_id":0})", R"({"id":"A","type_id":1})"),
                 "post_processor.single[1].Sequence.type_id must be 0");
  ExpectRejected(replace(R"("ids":[2])", R"("ids":["x"])"),
                 "post_processor.special_tokens[\"[CLS]\"].ids[0] must be a token id");
  ExpectRejected(replace(R"({"id":0,"content":"[PAD]")", R"({"id":0,"content":"")"),
                 "added_tokens[0].content is empty");
  ExpectRejected(replace(R"("normalized":false,"special":true},{"id":1)",
                         R"("normalized":"no","special":true},{"id":1)"),
                 "added_tokens[0].normalized must be true or false");
  spec.post_processor = "none";
  spec.vocab = {"[UNK]", "a"};
  ExpectRejected(TokenizerJson(spec), "post_processor (absent: [CLS] text [SEP]) names \"[CLS]\"");
}

TEST_F(WordPieceTest, LoadReportsAMissingFileAsNotFound) {
  absl::StatusOr<std::unique_ptr<WordPieceTokenizer>> tokenizer =
      WordPieceTokenizer::Load("/nonexistent/tokenizer.json");
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(tokenizer.status().message()), HasSubstr("/nonexistent/tokenizer.json"));
}

}  // namespace
}  // namespace lmc::inference
