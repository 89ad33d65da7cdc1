// File: handlers/inference/bert_text.h
//
// The text side of a BERT tokenizer before WordPiece, as Hugging Face's `tokenizers` defines it:
// the BertNormalizer (clean text, space out CJK ideographs, strip accents, lowercase) and the
// BertPreTokenizer (split on whitespace, isolate punctuation). Works on UTF-32 code points; the
// Unicode tables (general categories, White_Space, canonical decomposition, lowercase mapping)
// come from GNU libunistring, linked statically (about 100 KB of tables, nothing to load at
// start-up).
//
// The character classes, exactly as the Hugging Face implementation uses them:
//   whitespace   \t \n \r and every White_Space character
//   control      general category Cc, Cf or Co, except \t \n \r (clean_text drops them, and
//                U+0000 and U+FFFD)
//   punctuation  every ASCII punctuation character (including $ + < = > ^ ` | ~, which Unicode
//                files under symbols) and every character of general category P*
//   CJK          the CJK Unified Ideographs blocks and extensions A-F, the compatibility
//                ideographs and their supplement
// Accent stripping is canonical decomposition (NFD) followed by dropping the nonspacing marks
// (Mn); lowercasing maps each character on its own, with the full mapping (U+0130 becomes
// "i" + U+0307), never by context (a final capital sigma becomes U+03C3).
//
// Table versions: Debian 12's libunistring follows Unicode 14; the Rust crates Hugging Face
// uses take general categories and decompositions from older Unicode versions (9 for the
// categories). Characters assigned since then may be classified differently (a newer
// punctuation mark split off here but not there); text in older scripts is tokenized alike.
//
// Example:
//
//   std::u32string text = lmc::inference::DecodeUtf8("Héllo, WORLD!");
//   std::u32string normal = lmc::inference::NormalizeBert(text, {});   // "hello, world!"
//   std::vector<std::u32string_view> words;
//   lmc::inference::SplitBertWords(normal, words);   // "hello" "," "world" "!"
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lmc::inference {

// BertNormalizerOptions
//
// The fields of tokenizer.json's {"type":"BertNormalizer",...}. When the file's strip_accents is
// null, it follows `lowercase` (the caller resolves that).
struct BertNormalizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool strip_accents = true;
  bool lowercase = true;
};

// Decodes UTF-8. A byte that does not start a valid, shortest-form sequence decodes as U+FFFD
// (so clean_text drops it). Thread-safe (pure).
std::u32string DecodeUtf8(std::string_view text);

// Appends the UTF-8 encoding of `c` (a Unicode scalar value) to `out`.
void AppendUtf8(char32_t c, std::string& out);

// The character classes of the file comment.
bool IsBertWhitespace(char32_t c);
bool IsBertControl(char32_t c);
bool IsBertPunctuation(char32_t c);
bool IsCjkIdeograph(char32_t c);
// Unicode \w as Hugging Face's added-token matching uses it (letters, marks, decimal digits,
// connector punctuation, join controls).
bool IsWordCharacter(char32_t c);

// The BertNormalizer's steps, in its order: clean_text, handle_chinese_chars, strip_accents,
// lowercase. Thread-safe (pure).
std::u32string NormalizeBert(std::u32string_view text, const BertNormalizerOptions& options);

// The BertPreTokenizer: appends to `words` the pieces of `text` between whitespace, with every
// punctuation character a piece of its own. The views point into `text`.
void SplitBertWords(std::u32string_view text, std::vector<std::u32string_view>& words);

}  // namespace lmc::inference
