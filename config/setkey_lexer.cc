#include "config/setkey_lexer.h"

namespace ipop::config {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

}  // namespace

std::vector<SetkeyToken> TokenizeSetkey(std::string_view text, const std::string& file) {
  std::vector<SetkeyToken> tokens;
  size_t pos = 0;
  int line = 1;
  int column = 1;
  auto advance = [&] {
    if (text[pos] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    ++pos;
  };

  while (true) {
    while (pos < text.size() && (IsSpace(text[pos]) || text[pos] == '#')) {
      if (text[pos] == '#') {
        while (pos < text.size() && text[pos] != '\n') {
          advance();
        }
      } else {
        advance();
      }
    }
    SetkeyToken token;
    token.location = {file, line, column};
    if (pos >= text.size()) {
      token.end_line = line;
      token.end_column = column;
      tokens.push_back(std::move(token));
      return tokens;
    }
    if (text[pos] == ';') {
      token.kind = SetkeyToken::Kind::kSemicolon;
      token.text = ";";
      advance();
    } else if (text[pos] == '"') {
      token.kind = SetkeyToken::Kind::kString;
      advance();
      while (pos < text.size() && text[pos] != '"') {
        token.text.push_back(text[pos]);
        advance();
      }
      if (pos >= text.size()) {
        throw ConfigError(token.location, "quoted string is never closed; add the closing \"");
      }
      advance();
    } else {
      token.kind = SetkeyToken::Kind::kWord;
      while (pos < text.size() && !IsSpace(text[pos]) && text[pos] != ';' && text[pos] != '"' &&
             text[pos] != '#') {
        token.text.push_back(text[pos]);
        advance();
      }
    }
    token.end_line = line;
    token.end_column = column;
    tokens.push_back(std::move(token));
  }
}

}  // namespace ipop::config
