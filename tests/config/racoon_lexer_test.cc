#include "config/racoon_lexer.h"

#include <gtest/gtest.h>

#include "config/suggestion.h"

namespace ipop::config {
namespace {

TEST(RacoonLexerTest, ClassifiesTokens) {
  const std::vector<Token> tokens = TokenizeRacoonConf(
      "isakmp 10.0.0.1 [500]; # comment\n"
      "x \"a b\" 0x1F 42, { } [any] ::1 10.0.0.0/24 /* block\ncomment */ 3des",
      "t.conf");

  const std::vector<std::pair<TokenKind, std::string>> expected = {
      {TokenKind::kWord, "isakmp"},  {TokenKind::kAddress, "10.0.0.1"},
      {TokenKind::kPort, "500"},     {TokenKind::kSemicolon, ";"},
      {TokenKind::kWord, "x"},       {TokenKind::kString, "a b"},
      {TokenKind::kNumber, "0x1F"},  {TokenKind::kNumber, "42"},
      {TokenKind::kComma, ","},      {TokenKind::kOpenBrace, "{"},
      {TokenKind::kCloseBrace, "}"}, {TokenKind::kPort, "any"},
      {TokenKind::kAddress, "::1"},  {TokenKind::kAddress, "10.0.0.0/24"},
      {TokenKind::kWord, "3des"},    {TokenKind::kEnd, ""},
  };
  ASSERT_EQ(tokens.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(tokens[i].kind, expected[i].first) << "token " << i;
    EXPECT_EQ(tokens[i].text, expected[i].second) << "token " << i;
  }
  EXPECT_EQ(tokens[2].number, 500u);
  EXPECT_EQ(tokens[6].number, 31u);
  EXPECT_EQ(tokens[7].number, 42u);
}

TEST(RacoonLexerTest, TracksLinesAndColumns) {
  const std::vector<Token> tokens = TokenizeRacoonConf("a\n\tbb  ccc\n", "t.conf");
  ASSERT_EQ(tokens.size(), 4u);
  EXPECT_EQ(tokens[1].location.ToString(), "t.conf:2:2");  // a tab is one column
  EXPECT_EQ(tokens[1].end_column, 4);
  EXPECT_EQ(tokens[2].location.ToString(), "t.conf:2:6");
  EXPECT_EQ(tokens[3].location.ToString(), "t.conf:3:1");
}

TEST(RacoonLexerTest, RejectsMalformedPorts) {
  for (const char* text : {"[65536]", "[5x]", "[]", "[500", "500]"}) {
    EXPECT_THROW(TokenizeRacoonConf(text, "t.conf"), ConfigError) << text;
  }
  EXPECT_NO_THROW(TokenizeRacoonConf("[65535] [0]", "t.conf"));
}

TEST(RacoonLexerTest, RejectsNumbersAbove64Bits) {
  EXPECT_THROW(TokenizeRacoonConf("18446744073709551616", "t.conf"), ConfigError);
  EXPECT_NO_THROW(TokenizeRacoonConf("18446744073709551615", "t.conf"));
}

TEST(SuggestionTest, FindsTyposAndPrefixes) {
  const std::vector<std::string> names = {"encryption_algorithm", "hash_algorithm", "tcp", "in"};
  EXPECT_EQ(SuggestKeyword("encryption_algo", names), "encryption_algorithm");
  EXPECT_EQ(SuggestKeyword("hash_algoritm", names), "hash_algorithm");
  EXPECT_EQ(SuggestKeyword("tpc", names), "tcp");
  EXPECT_EQ(SuggestKeyword("up", names), std::nullopt);
  EXPECT_EQ(SuggestKeyword("frobnicate", names), std::nullopt);
}

}  // namespace
}  // namespace ipop::config
