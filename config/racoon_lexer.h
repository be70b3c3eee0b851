// Tokens of racoon.conf as ipsec-tools racoon reads them: words, "quoted
// strings", numbers (decimal or 0x hex), addresses (with an optional /prefix),
// ports in brackets ([500], [any]), braces, semicolons and commas. Comments
// run from "#" to the end of the line or between "/*" and "*/".
#ifndef IPOP_CONFIG_RACOON_LEXER_H_
#define IPOP_CONFIG_RACOON_LEXER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_error.h"

namespace ipop::config {

enum class TokenKind {
  kWord,     // keyword or bare value: remote, 3des, modp1024, on
  kString,   // text is the content without the quotes
  kNumber,   // `number` contains the value
  kAddress,  // 10.0.0.1, 10.0.0.0/24, ::1; checked later
  kPort,     // [500] or [any]; `number` contains the port, `text` is "any" for any
  kOpenBrace,
  kCloseBrace,
  kSemicolon,
  kComma,
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  uint64_t number = 0;
  SourceLocation location;  // first character
  // One past the last character, where a missing ";" belongs.
  int end_line = 0;
  int end_column = 0;

  bool IsWord(std::string_view word) const { return kind == TokenKind::kWord && text == word; }
};

// Describes a token for messages: word "foo", number 500, "{", end of file.
std::string DescribeToken(const Token& token);

// Splits `text` into tokens; the last one has kind kEnd. Throws ConfigError
// for an unterminated string or comment, a malformed [port] or a number that
// does not fit in 64 bits.
std::vector<Token> TokenizeRacoonConf(std::string_view text, const std::string& file);

}  // namespace ipop::config

#endif  // IPOP_CONFIG_RACOON_LEXER_H_
