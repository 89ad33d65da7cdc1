#include "handlers/inference/wordpiece_tokenizer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lmc/strings.h"
#include "simdjson.h"

namespace lmc::inference {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// Reads tokenizer.json; every error names the file and the field.
class WordPieceTokenizer::Parser {
 public:
  Parser(std::string_view file, WordPieceTokenizer& out) : file_(file), out_(out) {}

  absl::Status Run(element root) {
    object top;
    if (root.get(top) != simdjson::SUCCESS) return Bad("", "must be a JSON object");
    object model;
    if (top["model"].get(model) != simdjson::SUCCESS) {
      return Bad("model", "is missing or not an object");
    }
    if (absl::Status s = ReadModel(model); !s.ok()) return s;
    if (absl::Status s = ReadNormalizer(top["normalizer"]); !s.ok()) return s;
    if (absl::Status s = ReadPreTokenizer(top["pre_tokenizer"]); !s.ok()) return s;
    if (absl::Status s = ReadAddedTokens(top["added_tokens"]); !s.ok()) return s;
    return ReadPostProcessor(top["post_processor"]);
  }

 private:
  absl::Status Bad(std::string_view field, std::string_view problem) const {
    return absl::InvalidArgumentError(
        field.empty() ? absl::StrCat(AsAbsl(file_), ": ", AsAbsl(problem))
                      : absl::StrCat(AsAbsl(file_), ": ", AsAbsl(field), " ", AsAbsl(problem)));
  }

  // A string field; `fallback` when absent (nullptr: required).
  absl::Status String(object parent, std::string_view key, std::string_view field,
                      const char* fallback, std::string& value) const {
    element e;
    if (parent[key].get(e) != simdjson::SUCCESS) {
      if (fallback == nullptr) return Bad(field, "is missing");
      value = fallback;
      return absl::OkStatus();
    }
    std::string_view text;
    if (e.get(text) != simdjson::SUCCESS) return Bad(field, "must be a string");
    value = std::string(text);
    return absl::OkStatus();
  }

  // A boolean field; `fallback` when absent or null.
  absl::Status Bool(object parent, std::string_view key, std::string_view field, bool fallback,
                    bool& value) const {
    element e;
    if (parent[key].get(e) != simdjson::SUCCESS || e.is_null()) {
      value = fallback;
      return absl::OkStatus();
    }
    if (e.get(value) != simdjson::SUCCESS) return Bad(field, "must be true or false");
    return absl::OkStatus();
  }

  // A token id: an integer in [0, 2^31).
  absl::Status Id(element e, std::string_view field, int32_t& id) const {
    int64_t value = 0;
    if (e.get(value) != simdjson::SUCCESS || value < 0 || value > INT32_MAX) {
      return Bad(field, "must be a token id (an integer >= 0)");
    }
    id = static_cast<int32_t>(value);
    out_.max_id_ = std::max(out_.max_id_, id);
    return absl::OkStatus();
  }

  absl::Status ReadModel(object model) {
    std::string type;
    if (absl::Status s = String(model, "type", "model.type", "WordPiece", type); !s.ok()) return s;
    if (type != "WordPiece") {
      return Bad("model.type", absl::StrCat("is \"", type, "\"; only \"WordPiece\" is supported"));
    }
    object vocab;
    if (model["vocab"].get(vocab) != simdjson::SUCCESS) {
      return Bad("model.vocab", "is missing or not an object of token ids");
    }
    for (const auto field : vocab) {
      int32_t id = 0;
      if (absl::Status s =
              Id(field.value, absl::StrCat("model.vocab[\"", AsAbsl(field.key), "\"]"), id);
          !s.ok()) {
        return s;
      }
      out_.vocab_.emplace(std::string(field.key), id);
    }
    if (out_.vocab_.empty()) return Bad("model.vocab", "is empty");
    std::string unk;
    if (absl::Status s = String(model, "unk_token", "model.unk_token", nullptr, unk); !s.ok()) {
      return s;
    }
    const auto it = out_.vocab_.find(unk);
    if (it == out_.vocab_.end()) {
      return Bad("model.unk_token", absl::StrCat("\"", unk, "\" is not in model.vocab"));
    }
    out_.unk_id_ = it->second;
    if (absl::Status s = String(model, "continuing_subword_prefix",
                                "model.continuing_subword_prefix", "##", out_.continuation_prefix_);
        !s.ok()) {
      return s;
    }
    element max_chars;
    if (model["max_input_chars_per_word"].get(max_chars) == simdjson::SUCCESS) {
      uint64_t value = 0;
      if (max_chars.get(value) != simdjson::SUCCESS) {
        return Bad("model.max_input_chars_per_word", "must be an integer >= 0");
      }
      out_.max_input_chars_per_word_ = static_cast<size_t>(value);
    }
    return absl::OkStatus();
  }

  absl::Status ReadNormalizer(simdjson::simdjson_result<element> found) {
    element normalizer;
    if (found.get(normalizer) != simdjson::SUCCESS || normalizer.is_null()) return absl::OkStatus();
    object fields;
    std::string type;
    if (normalizer.get(fields) != simdjson::SUCCESS) {
      return Bad("normalizer", "must be an object or null");
    }
    if (absl::Status s = String(fields, "type", "normalizer.type", nullptr, type); !s.ok()) {
      return s;
    }
    if (type != "BertNormalizer") {
      return Bad("normalizer.type",
                 absl::StrCat("is \"", type, "\"; only \"BertNormalizer\" (or null) is supported"));
    }
    BertNormalizerOptions& options = out_.normalizer_;
    for (const auto& [key, value] :
         {std::pair{"clean_text", &options.clean_text},
          std::pair{"handle_chinese_chars", &options.handle_chinese_chars},
          std::pair{"lowercase", &options.lowercase}}) {
      if (absl::Status s = Bool(fields, key, absl::StrCat("normalizer.", key), true, *value);
          !s.ok()) {
        return s;
      }
    }
    // null (or absent): strip accents exactly when lowercasing.
    if (absl::Status s = Bool(fields, "strip_accents", "normalizer.strip_accents",
                              options.lowercase, options.strip_accents);
        !s.ok()) {
      return s;
    }
    out_.has_normalizer_ = true;
    return absl::OkStatus();
  }

  absl::Status ReadPreTokenizer(simdjson::simdjson_result<element> found) {
    element pre;
    if (found.get(pre) != simdjson::SUCCESS || pre.is_null()) {
      out_.split_words_ = false;
      return absl::OkStatus();
    }
    object fields;
    std::string type;
    if (pre.get(fields) != simdjson::SUCCESS) {
      return Bad("pre_tokenizer", "must be an object or null");
    }
    if (absl::Status s = String(fields, "type", "pre_tokenizer.type", nullptr, type); !s.ok()) {
      return s;
    }
    if (type != "BertPreTokenizer") {
      return Bad("pre_tokenizer.type", absl::StrCat("is \"", type,
                                                    "\"; only \"BertPreTokenizer\" (or null) is "
                                                    "supported"));
    }
    return absl::OkStatus();
  }

  absl::Status ReadAddedTokens(simdjson::simdjson_result<element> found) {
    element list;
    if (found.get(list) != simdjson::SUCCESS || list.is_null()) return absl::OkStatus();
    array tokens;
    if (list.get(tokens) != simdjson::SUCCESS) return Bad("added_tokens", "must be an array");
    size_t index = 0;
    for (const element entry : tokens) {
      const std::string field = absl::StrCat("added_tokens[", index++, "]");
      object token;
      if (entry.get(token) != simdjson::SUCCESS) return Bad(field, "must be an object");
      AddedToken added;
      std::string content;
      element id;
      if (token["id"].get(id) != simdjson::SUCCESS) return Bad(field + ".id", "is missing");
      absl::Status s = Id(id, field + ".id", added.id);
      if (s.ok()) s = String(token, "content", field + ".content", nullptr, content);
      if (s.ok() && content.empty()) s = Bad(field + ".content", "is empty");
      if (s.ok()) s = Bool(token, "single_word", field + ".single_word", false, added.single_word);
      if (s.ok()) s = Bool(token, "lstrip", field + ".lstrip", false, added.lstrip);
      if (s.ok()) s = Bool(token, "rstrip", field + ".rstrip", false, added.rstrip);
      // Hugging Face's default: special tokens are matched as written, others normalized.
      bool special = false;
      if (s.ok()) s = Bool(token, "special", field + ".special", false, special);
      if (s.ok()) s = Bool(token, "normalized", field + ".normalized", !special, added.normalized);
      if (!s.ok()) return s;
      added.pattern = DecodeUtf8(content);
      out_.added_names_.emplace(content, added.id);
      out_.added_.push_back(std::move(added));
    }
    return absl::OkStatus();
  }

  // The id of a special token named by the post-processor: the vocabulary's or an added token's.
  absl::Status SpecialId(std::string_view token, std::string_view field, int32_t& id) const {
    id = out_.TokenId(token);
    if (id < 0) {
      return Bad(field, absl::StrCat("names \"", AsAbsl(token),
                                     "\", which is neither in model.vocab nor in added_tokens"));
    }
    return absl::OkStatus();
  }

  absl::Status ReadPostProcessor(simdjson::simdjson_result<element> found) {
    element post;
    if (found.get(post) != simdjson::SUCCESS || post.is_null()) {
      int32_t cls = 0;
      int32_t sep = 0;
      absl::Status s = SpecialId("[CLS]", "post_processor (absent: [CLS] text [SEP])", cls);
      if (s.ok()) s = SpecialId("[SEP]", "post_processor (absent: [CLS] text [SEP])", sep);
      out_.prefix_ = {cls};
      out_.suffix_ = {sep};
      return s;
    }
    object fields;
    std::string type;
    if (post.get(fields) != simdjson::SUCCESS) {
      return Bad("post_processor", "must be an object or null");
    }
    if (absl::Status s = String(fields, "type", "post_processor.type", nullptr, type); !s.ok()) {
      return s;
    }
    if (type == "BertProcessing") return ReadBertProcessing(fields);
    if (type == "TemplateProcessing") return ReadTemplate(fields);
    return Bad(
        "post_processor.type",
        absl::StrCat("is \"", type,
                     "\"; only \"BertProcessing\" and \"TemplateProcessing\" are supported"));
  }

  // {"sep":["[SEP]",102],"cls":["[CLS]",101]}
  absl::Status ReadBertProcessing(object fields) {
    for (const auto& [key, target] :
         {std::pair{"cls", &out_.prefix_}, std::pair{"sep", &out_.suffix_}}) {
      const std::string field = absl::StrCat("post_processor.", key);
      array pair;
      std::string_view token;
      element id;
      if (fields[key].get(pair) != simdjson::SUCCESS || pair.size() != 2 ||
          pair.at(0).get(token) != simdjson::SUCCESS || pair.at(1).get(id) != simdjson::SUCCESS) {
        return Bad(field, "must be [token, id]");
      }
      int32_t value = 0;
      if (absl::Status s = Id(id, field, value); !s.ok()) return s;
      *target = {value};
    }
    return absl::OkStatus();
  }

  // "single": [{"SpecialToken":{"id":"[CLS]","type_id":0}}, {"Sequence":{"id":"A",...}}, ...]
  // with each special token's ids in "special_tokens": {"[CLS]": {"ids":[101], ...}}.
  absl::Status ReadTemplate(object fields) {
    array single;
    if (fields["single"].get(single) != simdjson::SUCCESS) {
      return Bad("post_processor.single", "is missing or not an array");
    }
    object specials;
    const bool have_specials = fields["special_tokens"].get(specials) == simdjson::SUCCESS;
    bool seen_text = false;
    size_t index = 0;
    for (const element piece : single) {
      const std::string field = absl::StrCat("post_processor.single[", index++, "]");
      object special;
      object sequence;
      element type_id;
      if (piece["Sequence"].get(sequence) == simdjson::SUCCESS) {
        std::string id;
        if (absl::Status s = String(sequence, "id", field + ".Sequence.id", "A", id); !s.ok()) {
          return s;
        }
        if (id != "A" || seen_text) return Bad(field, "must be the one sequence, A");
        if (sequence["type_id"].get(type_id) == simdjson::SUCCESS && type_id.get_uint64() != 0U) {
          return Bad(field + ".Sequence.type_id", "must be 0 (BERT embeds token type 0)");
        }
        seen_text = true;
        continue;
      }
      if (piece["SpecialToken"].get(special) != simdjson::SUCCESS) {
        return Bad(field, "must be a SpecialToken or the Sequence");
      }
      std::string name;
      if (absl::Status s = String(special, "id", field + ".SpecialToken.id", nullptr, name);
          !s.ok()) {
        return s;
      }
      if (special["type_id"].get(type_id) == simdjson::SUCCESS && type_id.get_uint64() != 0U) {
        return Bad(field + ".SpecialToken.type_id", "must be 0 (BERT embeds token type 0)");
      }
      std::vector<int32_t>& target = seen_text ? out_.suffix_ : out_.prefix_;
      array ids;
      if (have_specials && specials[name]["ids"].get(ids) == simdjson::SUCCESS) {
        size_t i = 0;
        for (const element id : ids) {
          int32_t value = 0;
          if (absl::Status s = Id(
                  id, absl::StrCat("post_processor.special_tokens[\"", name, "\"].ids[", i++, "]"),
                  value);
              !s.ok()) {
            return s;
          }
          target.push_back(value);
        }
      } else {
        int32_t value = 0;
        if (absl::Status s = SpecialId(name, field + ".SpecialToken.id", value); !s.ok()) return s;
        target.push_back(value);
      }
    }
    if (!seen_text) return Bad("post_processor.single", "has no Sequence A");
    return absl::OkStatus();
  }

  std::string_view file_;
  WordPieceTokenizer& out_;
};

absl::StatusOr<std::unique_ptr<WordPieceTokenizer>> WordPieceTokenizer::Load(
    const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return absl::NotFoundError(absl::StrCat(path.string(), ": no such file"));
  }
  simdjson::padded_string json;
  if (simdjson::padded_string::load(path.string()).get(json) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat(path.string(), ": cannot be read"));
  }
  return Parse(json, path.string());
}

absl::StatusOr<std::unique_ptr<WordPieceTokenizer>> WordPieceTokenizer::Parse(
    std::string_view json, std::string_view file) {
  simdjson::dom::parser parser;
  element root;
  if (parser.parse(simdjson::padded_string(json)).get(root) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(file), ": is not valid JSON"));
  }
  std::unique_ptr<WordPieceTokenizer> tokenizer(new WordPieceTokenizer());
  if (absl::Status s = Parser(file, *tokenizer).Run(root); !s.ok()) return s;
  WordPieceTokenizer& t = *tokenizer;
  for (AddedToken& added : t.added_) {
    // Normalized tokens are looked for in normalized text, so in their normalized form.
    if (added.normalized && t.has_normalizer_) {
      added.pattern = NormalizeBert(added.pattern, t.normalizer_);
    }
    if (added.pattern.empty()) continue;
    (added.normalized ? t.any_normalized_added_ : t.any_raw_added_) = true;
  }
  // Longest first: the first match at a position is then the longest.
  std::stable_sort(t.added_.begin(), t.added_.end(), [](const AddedToken& a, const AddedToken& b) {
    return a.pattern.size() > b.pattern.size();
  });
  return tokenizer;
}

int32_t WordPieceTokenizer::TokenId(std::string_view token) const {
  if (const auto it = added_names_.find(AsAbsl(token)); it != added_names_.end()) return it->second;
  if (const auto it = vocab_.find(AsAbsl(token)); it != vocab_.end()) return it->second;
  return -1;
}

const WordPieceTokenizer::AddedToken* WordPieceTokenizer::FindAddedToken(std::u32string_view text,
                                                                         size_t from,
                                                                         bool normalized,
                                                                         size_t& start) const {
  for (start = from; start < text.size(); ++start) {
    for (const AddedToken& token : added_) {  // longest first
      if (token.normalized == normalized && !token.pattern.empty() &&
          text.substr(start, token.pattern.size()) == token.pattern) {
        return &token;
      }
    }
  }
  return nullptr;
}

void WordPieceTokenizer::SplitOnAddedTokens(std::u32string_view text, bool normalized,
                                            std::vector<Piece>& pieces) const {
  size_t done = 0;  // text before this is in `pieces`
  size_t from = 0;  // where the next match may start
  while (from < text.size()) {
    size_t start = 0;
    const AddedToken* match = FindAddedToken(text, from, normalized, start);
    if (match == nullptr) break;
    size_t stop = start + match->pattern.size();
    from = stop;
    if (match->single_word && ((start > 0 && IsWordCharacter(text[start - 1])) ||
                               (stop < text.size() && IsWordCharacter(text[stop])))) {
      continue;
    }
    if (match->lstrip) {
      while (start > done && IsBertWhitespace(text[start - 1])) --start;
    }
    if (match->rstrip) {
      while (stop < text.size() && IsBertWhitespace(text[stop])) ++stop;
      from = stop;
    }
    if (start > done) pieces.push_back({done, start, -1});
    pieces.push_back({start, stop, match->id});
    done = stop;
  }
  if (done < text.size()) pieces.push_back({done, text.size(), -1});
}

void WordPieceTokenizer::AppendWordPieces(std::u32string_view word, std::string& scratch,
                                          std::vector<int32_t>& ids) const {
  if (word.size() > max_input_chars_per_word_) {
    ids.push_back(unk_id_);
    return;
  }
  // The word as UTF-8, with where each character starts (and the end).
  std::string utf8;
  std::vector<size_t> starts;
  starts.reserve(word.size() + 1);
  for (const char32_t c : word) {
    starts.push_back(utf8.size());
    AppendUtf8(c, utf8);
  }
  starts.push_back(utf8.size());
  const size_t first = ids.size();
  size_t begin = 0;
  while (begin < word.size()) {
    size_t end = word.size();
    int32_t id = -1;
    for (; end > begin; --end) {
      const std::string_view piece(utf8.data() + starts[begin], starts[end] - starts[begin]);
      std::string_view key = piece;
      if (begin > 0) {
        scratch.assign(continuation_prefix_);
        scratch.append(piece);
        key = scratch;
      }
      if (const auto it = vocab_.find(AsAbsl(key)); it != vocab_.end()) {
        id = it->second;
        break;
      }
    }
    if (id < 0) {  // no piece matches here: the whole word is unknown
      ids.resize(first);
      ids.push_back(unk_id_);
      return;
    }
    ids.push_back(id);
    begin = end;
  }
}

void WordPieceTokenizer::AppendText(std::u32string_view text, size_t limit,
                                    std::vector<int32_t>& ids) const {
  std::vector<std::u32string_view> words;
  if (split_words_) {
    SplitBertWords(text, words);
  } else if (!text.empty()) {
    words.push_back(text);
  }
  std::string scratch;
  for (const std::u32string_view word : words) {
    if (ids.size() >= limit) return;
    AppendWordPieces(word, scratch, ids);
  }
}

void WordPieceTokenizer::Encode(std::string_view text, size_t max_tokens,
                                std::vector<int32_t>& ids) const {
  ids.assign(prefix_.begin(), prefix_.end());
  const size_t limit = std::max(max_tokens, special_token_count()) - suffix_.size();
  const std::u32string raw = DecodeUtf8(text);
  std::vector<Piece> pieces;
  if (any_raw_added_) {
    SplitOnAddedTokens(raw, /*normalized=*/false, pieces);
  } else {
    pieces.push_back({0, raw.size(), -1});
  }
  std::vector<Piece> normalized_pieces;
  for (const Piece& piece : pieces) {
    if (ids.size() >= limit) break;
    if (piece.id >= 0) {
      ids.push_back(piece.id);
      continue;
    }
    const std::u32string_view part =
        std::u32string_view{raw}.substr(piece.begin, piece.end - piece.begin);
    const std::u32string normal =
        has_normalizer_ ? NormalizeBert(part, normalizer_) : std::u32string(part);
    normalized_pieces.clear();
    if (any_normalized_added_) {
      SplitOnAddedTokens(normal, /*normalized=*/true, normalized_pieces);
    } else {
      normalized_pieces.push_back({0, normal.size(), -1});
    }
    for (const Piece& inner : normalized_pieces) {
      if (ids.size() >= limit) break;
      if (inner.id >= 0) {
        ids.push_back(inner.id);
      } else {
        AppendText(std::u32string_view{normal}.substr(inner.begin, inner.end - inner.begin), limit,
                   ids);
      }
    }
  }
  if (ids.size() > limit) ids.resize(limit);
  ids.insert(ids.end(), suffix_.begin(), suffix_.end());
}

}  // namespace lmc::inference
