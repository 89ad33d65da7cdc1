#include "handlers/inference/bert_text.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lmc::inference {
namespace {

using ::testing::ElementsAre;

std::string Utf8(std::u32string_view text) {
  std::string out;
  for (const char32_t c : text) AppendUtf8(c, out);
  return out;
}

std::string Normalize(std::string_view text, BertNormalizerOptions options = {}) {
  return Utf8(NormalizeBert(DecodeUtf8(text), options));
}

std::vector<std::string> Words(std::string_view text) {
  const std::u32string decoded = DecodeUtf8(text);
  std::vector<std::u32string_view> words;
  SplitBertWords(decoded, words);
  std::vector<std::string> out;
  for (const std::u32string_view word : words) out.push_back(Utf8(word));
  return out;
}

TEST(BertText, Utf8RoundTripsAndInvalidBytesBecomeReplacementCharacters) {
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀
  EXPECT_EQ(DecodeUtf8(text), (std::u32string{U'a', 0xE9, 0x20AC, 0x1F600}));
  EXPECT_EQ(Utf8(DecodeUtf8(text)), text);
  // A stray continuation byte, an overlong '/', a surrogate, a truncated sequence.
  EXPECT_EQ(DecodeUtf8("\x80z\xC0\xAF\xED\xA0\x80\xE2\x82"),
            (std::u32string{0xFFFD, U'z', 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD}));
}

TEST(BertText, StripsAccentsByDecomposingAndDroppingNonspacingMarks) {
  EXPECT_EQ(Normalize("Héllo Wörld Ångström naïve CAFÉ"), "hello world angstrom naive cafe");
  // Precomposed and decomposed input give the same result.
  EXPECT_EQ(Normalize("e\xCC\x81"), "e");
  // Hangul syllables decompose to jamo (letters, not marks): they stay, decomposed.
  EXPECT_EQ(Normalize("\xED\x95\x9C"), "\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB");
  // Without lowercasing and with strip_accents null, accents stay.
  EXPECT_EQ(Normalize("Héllo", {.strip_accents = false, .lowercase = false}), "Héllo");
  EXPECT_EQ(Normalize("Héllo", {.strip_accents = false, .lowercase = true}), "héllo");
  EXPECT_EQ(Normalize("Héllo", {.strip_accents = true, .lowercase = false}), "Hello");
}

TEST(BertText, LowercasesEachCharacterWithTheFullMappingAndNoContext) {
  EXPECT_EQ(Normalize("ÀÉÎ ΣΑΣ ДОМ", {.strip_accents = false}), "àéî σασ дом");
  // U+0130 lowercases to two characters; stripping accents first leaves a plain i.
  EXPECT_EQ(Normalize("\xC4\xB0", {.strip_accents = false}), "i\xCC\x87");
  EXPECT_EQ(Normalize("\xC4\xB0"), "i");
}

TEST(BertText, CleanTextDropsControlsAndTurnsWhitespaceIntoSpaces) {
  // \x01 (Cc), U+200B zero width space (Cf), U+E000 private use (Co), U+FFFD and NUL go;
  // tab, newline, U+00A0 and U+3000 become spaces; \v and \f are controls first.
  constexpr char kText[] =
      "a\x01"
      "b\xE2\x80\x8B"
      "c\xEE\x80\x80"
      "d\xEF\xBF\xBD"
      "e\0f\tg\nh\xC2\xA0i\xE3\x80\x80j\vk\fl";
  EXPECT_EQ(Normalize(std::string_view(kText, sizeof(kText) - 1)), "abcdef g h i jkl");
  EXPECT_EQ(Normalize("a\x01"
                      "b",
                      {.clean_text = false}),
            "a\x01"
            "b");
}

TEST(BertText, SpacesOutCjkIdeographsButNotKanaOrHangul) {
  EXPECT_EQ(Normalize("我爱NLP"), " 我  爱 nlp");
  EXPECT_EQ(Normalize("\xF0\xA0\x80\x80"), " \xF0\xA0\x80\x80 ");  // U+20000, extension B
  EXPECT_EQ(Normalize("こんにちは"), "こんにちは");
  EXPECT_EQ(Normalize("我", {.handle_chinese_chars = false}), "我");
  EXPECT_TRUE(IsCjkIdeograph(0xF900));
  EXPECT_FALSE(IsCjkIdeograph(0x3042));  // あ
}

TEST(BertText, SplitsOnWhitespaceAndIsolatesEveryPunctuationCharacter) {
  EXPECT_THAT(Words("Hey friend!     How are you?!?"),
              ElementsAre("Hey", "friend", "!", "How", "are", "you", "?", "!", "?"));
  // ASCII symbols count as punctuation; Unicode P* too (dash, quotes, inverted question mark,
  // CJK full stop); other symbols (©, €) do not.
  EXPECT_THAT(Words("$5+3=8 a—b “q” ¿qué? 。x ©2024 €9"),
              ElementsAre("$", "5", "+", "3", "=", "8", "a", "—", "b", "“", "q", "”", "¿", "qué",
                          "?", "。", "x", "©2024", "€9"));
  EXPECT_THAT(Words("a\xE3\x80\x80"
                    "b\xC2\xA0"
                    "c"),
              ElementsAre("a", "b", "c"));
  EXPECT_THAT(Words(""), ElementsAre());
  EXPECT_THAT(Words("   "), ElementsAre());
}

TEST(BertText, ClassifiesCharactersAsHuggingFaceDoes) {
  for (const char32_t c : {U'!', U'$', U'`', U'~', U'_', char32_t{0x2014}, char32_t{0x00BF}}) {
    EXPECT_TRUE(IsBertPunctuation(c)) << static_cast<uint32_t>(c);
  }
  for (const char32_t c : {U'a', U'5', char32_t{0x00A9}, char32_t{0x20AC}, char32_t{0x4E00}}) {
    EXPECT_FALSE(IsBertPunctuation(c)) << static_cast<uint32_t>(c);
  }
  EXPECT_TRUE(IsBertWhitespace(0x2003));
  EXPECT_FALSE(IsBertWhitespace(0x200B));
  EXPECT_TRUE(IsBertControl(0x200B));
  EXPECT_FALSE(IsBertControl('\n'));
  EXPECT_TRUE(IsWordCharacter(0x00E9));
  EXPECT_TRUE(IsWordCharacter('_'));
  EXPECT_FALSE(IsWordCharacter('-'));
}

}  // namespace
}  // namespace lmc::inference
