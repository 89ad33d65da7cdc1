#include "handlers/inference/bert_text.h"

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>

#include <cstdlib>
#include <new>

namespace lmc::inference {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// The length of the UTF-8 sequence `text` starts with and its code point, or 0 when it does not
// start with a valid shortest-form sequence.
size_t DecodeOne(std::string_view text, char32_t& c) {
  const auto byte = [&text](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  size_t length = 0;
  char32_t minimum = 0;
  if (lead < 0x80) {
    c = lead;
    return 1;
  }
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    c = lead & 0x1FU;
    minimum = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    c = lead & 0x0FU;
    minimum = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    c = lead & 0x07U;
    minimum = 0x10000;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0U) != 0x80) return 0;
    c = (c << 6) | (byte(i) & 0x3FU);
  }
  if (c < minimum || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  return length;
}

// No character below U+00C0 has a canonical decomposition or is a nonspacing mark.
constexpr char32_t kFirstDecomposable = 0xC0;

void StripAccents(std::u32string& text) {
  bool plain = true;
  for (const char32_t c : text) plain = plain && c < kFirstDecomposable;
  if (plain) return;
  size_t length = 0;
  uint32_t* decomposed = u32_normalize(UNINORM_NFD, reinterpret_cast<const uint32_t*>(text.data()),
                                       text.size(), nullptr, &length);
  if (decomposed == nullptr) throw std::bad_alloc();  // the only way it fails: ENOMEM
  text.clear();
  for (size_t i = 0; i < length; ++i) {
    const char32_t c = decomposed[i];
    if (!uc_is_general_category(c, UC_CATEGORY_Mn)) text.push_back(c);
  }
  std::free(decomposed);  // NOLINT(cppcoreguidelines-no-malloc): libunistring's allocation
}

void Lowercase(std::u32string& text) {
  constexpr char32_t kCapitalIWithDotAbove = 0x130;  // the one multi-character lowercase mapping
  bool special = false;
  for (char32_t& c : text) {
    if (c < 0x80) {
      if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
    } else if (c == kCapitalIWithDotAbove) {
      special = true;
    } else {
      c = uc_tolower(c);
    }
  }
  if (!special) return;
  std::u32string mapped;
  mapped.reserve(text.size() + 1);
  for (const char32_t c : text) {
    if (c == kCapitalIWithDotAbove) {
      mapped += U'i';
      mapped += char32_t{0x307};
    } else {
      mapped += c;
    }
  }
  text = std::move(mapped);
}

}  // namespace

std::u32string DecodeUtf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  while (!text.empty()) {
    char32_t c = 0;
    size_t length = DecodeOne(text, c);
    if (length == 0) {
      c = kReplacement;
      length = 1;
    }
    out.push_back(c);
    text.remove_prefix(length);
  }
  return out;
}

void AppendUtf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

bool IsBertWhitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= '\t' && c <= '\r');
  return uc_is_property_white_space(c);
}

bool IsBertControl(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  if (c < 0x80) return c < 0x20 || c == 0x7F;
  return uc_is_general_category(c, UC_CATEGORY_Cc) || uc_is_general_category(c, UC_CATEGORY_Cf) ||
         uc_is_general_category(c, UC_CATEGORY_Co);
}

bool IsBertPunctuation(char32_t c) {
  if (c < 0x80) {
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
           (c >= 123 && c <= 126);
  }
  return uc_is_general_category(c, UC_CATEGORY_P);
}

bool IsCjkIdeograph(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool IsWordCharacter(char32_t c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
  return uc_is_property_alphabetic(c) || uc_is_general_category(c, UC_CATEGORY_M) ||
         uc_is_general_category(c, UC_CATEGORY_Nd) || uc_is_general_category(c, UC_CATEGORY_Pc) ||
         uc_is_property_join_control(c);
}

std::u32string NormalizeBert(std::u32string_view text, const BertNormalizerOptions& options) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (options.clean_text) {
      if (c == 0 || c == kReplacement || IsBertControl(c)) continue;
      if (IsBertWhitespace(c)) c = U' ';
    }
    if (options.handle_chinese_chars && IsCjkIdeograph(c)) {
      out += U' ';
      out += c;
      out += U' ';
    } else {
      out += c;
    }
  }
  if (options.strip_accents) StripAccents(out);
  if (options.lowercase) Lowercase(out);
  return out;
}

void SplitBertWords(std::u32string_view text, std::vector<std::u32string_view>& words) {
  size_t start = 0;
  const auto flush = [&](size_t end) {
    if (end > start) words.push_back(text.substr(start, end - start));
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (IsBertWhitespace(c)) {
      flush(i);
      start = i + 1;
    } else if (IsBertPunctuation(c)) {
      flush(i);
      words.push_back(text.substr(i, 1));
      start = i + 1;
    }
  }
  flush(text.size());
}

}  // namespace lmc::inference
