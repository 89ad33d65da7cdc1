// File: handlers/inference/wordpiece_tokenizer.h
//
// WordPieceTokenizer: a BERT tokenizer read from a Hugging Face `tokenizer.json`, producing the
// token ids Hugging Face's `tokenizers` produces for one text:
//
//   1. added tokens ("added_tokens", e.g. [CLS], [MASK]) are cut out of the raw text first
//      (leftmost, longest; honouring single_word, lstrip and rstrip), those marked "normalized"
//      out of the normalized text;
//   2. the rest goes through the normalizer (BertNormalizer, or none; see bert_text.h) and the
//      pre-tokenizer (BertPreTokenizer, or none);
//   3. each word becomes WordPiece tokens: longest vocabulary match first, continuation pieces
//      with the model's prefix ("##"), the whole word [UNK] when a piece cannot be matched or
//      the word is longer than max_input_chars_per_word characters;
//   4. the post-processor's special tokens wrap the text (BertProcessing, a single-sequence
//      TemplateProcessing, or, when there is none, the vocabulary's [CLS] and [SEP]), and the
//      text's tokens are truncated (the first ones kept) so that the whole fits `max_tokens`.
//
// What is read: "model" (type WordPiece, vocab, unk_token, continuing_subword_prefix,
// max_input_chars_per_word), "normalizer", "pre_tokenizer", "added_tokens", "post_processor".
// Ignored: "truncation" and "padding" (the caller truncates to the model's positions and pads
// batches itself), "decoder". Anything else a BERT tokenizer could say is refused by name.
//
// Example:
//
//   absl::StatusOr<std::unique_ptr<lmc::inference::WordPieceTokenizer>> tokenizer =
//       lmc::inference::WordPieceTokenizer::Load("/var/task/model/tokenizer.json");
//   std::vector<int32_t> ids;
//   (*tokenizer)->Encode("Hello, world!", /*max_tokens=*/512, ids);   // [CLS] hello , world !
//   [SEP]
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "handlers/inference/bert_text.h"

namespace lmc::inference {

// WordPieceTokenizer
//
// Immutable after loading: Encode() is thread-safe and may run on every invocation's thread at
// once.
class WordPieceTokenizer {
 public:
  // Reads and checks `path`. NotFound when it does not exist; InvalidArgument, naming the file
  // and the field, when it is not JSON, lacks a required field, has a field of the wrong type,
  // or asks for something this tokenizer does not do (another model type, normalizer,
  // pre-tokenizer or post-processor); an unk_token or special token missing from the vocabulary.
  static absl::StatusOr<std::unique_ptr<WordPieceTokenizer>> Load(
      const std::filesystem::path& path);
  // The same from the file's contents; `file` names it in errors.
  static absl::StatusOr<std::unique_ptr<WordPieceTokenizer>> Parse(std::string_view json,
                                                                   std::string_view file);

  // Replaces `ids` with the token ids of `text` (UTF-8; invalid bytes read as U+FFFD), special
  // tokens included, at most `max_tokens` of them (>= special_token_count()).
  void Encode(std::string_view text, size_t max_tokens, std::vector<int32_t>& ids) const;

  // How many special tokens wrap every text ([CLS] and [SEP]: 2).
  size_t special_token_count() const { return prefix_.size() + suffix_.size(); }
  // The largest id any token can have (vocabulary, added and special tokens).
  int32_t max_id() const { return max_id_; }
  // The id of `token` in the vocabulary or the added tokens, or -1.
  int32_t TokenId(std::string_view token) const;

 private:
  struct AddedToken {
    std::u32string pattern;  // content; normalized (as the text will be) when `normalized`
    int32_t id = 0;
    bool single_word = false;
    bool lstrip = false;
    bool rstrip = false;
    bool normalized = false;
  };
  // A piece of text, or an added token (id >= 0).
  struct Piece {
    size_t begin = 0;
    size_t end = 0;
    int32_t id = -1;
  };
  class Parser;

  WordPieceTokenizer() = default;
  // The leftmost, longest added token (with this `normalized`) at or after `from`, or nullptr;
  // sets `start` to where it starts.
  const AddedToken* FindAddedToken(std::u32string_view text, size_t from, bool normalized,
                                   size_t& start) const;
  // Splits `text` on the added tokens whose `normalized` equals `normalized`.
  void SplitOnAddedTokens(std::u32string_view text, bool normalized,
                          std::vector<Piece>& pieces) const;
  // Appends the WordPiece ids of one pre-tokenized word.
  void AppendWordPieces(std::u32string_view word, std::string& scratch,
                        std::vector<int32_t>& ids) const;
  // Appends the ids of a normalized piece of text (pre-tokenizer, then WordPiece).
  void AppendText(std::u32string_view text, size_t limit, std::vector<int32_t>& ids) const;

  absl::flat_hash_map<std::string, int32_t> vocab_;
  absl::flat_hash_map<std::string, int32_t> added_names_;  // added tokens' contents
  int32_t unk_id_ = 0;
  std::string continuation_prefix_ = "##";
  size_t max_input_chars_per_word_ = 100;
  bool has_normalizer_ = false;
  BertNormalizerOptions normalizer_;
  bool split_words_ = true;  // BertPreTokenizer (false: no pre-tokenizer)
  std::vector<AddedToken> added_;
  bool any_raw_added_ = false;
  bool any_normalized_added_ = false;
  std::vector<int32_t> prefix_;  // before the text ([CLS])
  std::vector<int32_t> suffix_;  // after it ([SEP])
  int32_t max_id_ = 0;
};

}  // namespace lmc::inference
