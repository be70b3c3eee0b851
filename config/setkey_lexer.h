// Tokens of a setkey(8) script: blank-separated words, ";" and "quoted
// strings"; "#" starts a comment that runs to the end of the line.
#ifndef IPOP_CONFIG_SETKEY_LEXER_H_
#define IPOP_CONFIG_SETKEY_LEXER_H_

#include <string>
#include <string_view>
#include <vector>

#include "config/config_error.h"

namespace ipop::config {

struct SetkeyToken {
  enum class Kind { kWord, kString, kSemicolon, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;  // for kString, without the quotes
  SourceLocation location;
  int end_line = 0;  // one past the last character
  int end_column = 0;

  bool Is(std::string_view word) const { return kind == Kind::kWord && text == word; }
  bool EndsStatement() const { return kind == Kind::kSemicolon || kind == Kind::kEnd; }
};

// Splits `text` into tokens; the last one has kind kEnd. Throws ConfigError
// for an unterminated quoted string.
std::vector<SetkeyToken> TokenizeSetkey(std::string_view text, const std::string& file);

}  // namespace ipop::config

#endif  // IPOP_CONFIG_SETKEY_LEXER_H_
