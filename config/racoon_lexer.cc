#include "config/racoon_lexer.h"

#include <cctype>
#include <charconv>

namespace ipop::config {
namespace {

constexpr uint64_t kMaxPort = 65535;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

bool IsDelimiter(char c) {
  return IsSpace(c) || c == '{' || c == '}' || c == ';' || c == ',' || c == '"' || c == '#' ||
         c == '[' || c == ']';
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (char c : text) {
    if (!IsDigit(c)) {
      return false;
    }
  }
  return true;
}

bool IsHexNumber(std::string_view text) {
  if (text.size() < 3 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return false;
  }
  for (char c : text.substr(2)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// IPv4 ("10.0.0.1", "10.0.0.0/24") or IPv6 ("::1", "fe80::1%eth0").
bool LooksLikeAddress(std::string_view text) {
  if (text.find(':') != std::string_view::npos) {
    return true;
  }
  return IsDigit(text[0]) &&
         (text.find('.') != std::string_view::npos || text.find('/') != std::string_view::npos);
}

class Lexer {
 public:
  Lexer(std::string_view text, const std::string& file) : text_(text), file_(file) {}

  std::vector<Token> Run() {
    std::vector<Token> tokens;
    while (true) {
      SkipSpaceAndComments();
      Token token = Next();
      const bool end = token.kind == TokenKind::kEnd;
      tokens.push_back(std::move(token));
      if (end) {
        return tokens;
      }
    }
  }

 private:
  SourceLocation Here() const { return {file_, line_, column_}; }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  void Advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++pos_;
  }

  void SkipSpaceAndComments() {
    while (!AtEnd()) {
      if (IsSpace(Peek())) {
        Advance();
      } else if (Peek() == '#') {
        while (!AtEnd() && Peek() != '\n') {
          Advance();
        }
      } else if (Peek() == '/' && Peek(1) == '*') {
        SkipBlockComment();
      } else {
        return;
      }
    }
  }

  void SkipBlockComment() {
    const SourceLocation start = Here();
    Advance();
    Advance();
    while (!AtEnd()) {
      if (Peek() == '*' && Peek(1) == '/') {
        Advance();
        Advance();
        return;
      }
      Advance();
    }
    throw ConfigError(start, "comment opened with \"/*\" is never closed; add \"*/\"");
  }

  Token Finish(Token token) const {
    token.end_line = line_;
    token.end_column = column_;
    return token;
  }

  Token Single(TokenKind kind) {
    Token token{kind, std::string(1, Peek()), 0, Here()};
    Advance();
    return Finish(std::move(token));
  }

  Token Next() {
    if (AtEnd()) {
      return Finish(Token{TokenKind::kEnd, "", 0, Here()});
    }
    switch (Peek()) {
      case '{':
        return Single(TokenKind::kOpenBrace);
      case '}':
        return Single(TokenKind::kCloseBrace);
      case ';':
        return Single(TokenKind::kSemicolon);
      case ',':
        return Single(TokenKind::kComma);
      case '"':
        return QuotedString();
      case '[':
        return Port();
      case ']':
        throw ConfigError(Here(),
                          "unexpected \"]\" without a matching \"[\"; write a port as [500]");
      default:
        return Bare();
    }
  }

  Token QuotedString() {
    Token token{TokenKind::kString, "", 0, Here()};
    Advance();
    while (!AtEnd() && Peek() != '"') {
      token.text.push_back(Peek());
      Advance();
    }
    if (AtEnd()) {
      throw ConfigError(token.location, "quoted string is never closed; add the closing \"");
    }
    Advance();
    return Finish(std::move(token));
  }

  Token Port() {
    Token token{TokenKind::kPort, "", 0, Here()};
    Advance();
    std::string content;
    while (!AtEnd() && Peek() != ']' && Peek() != '\n') {
      content.push_back(Peek());
      Advance();
    }
    if (Peek() != ']') {
      throw ConfigError(token.location,
                        "port \"[" + content + "\" has no closing \"]\"; write a port as [500]");
    }
    Advance();
    if (content == "any") {
      token.text = "any";
      return Finish(std::move(token));
    }
    uint64_t port = 0;
    const char* last = content.data() + content.size();
    const auto [end, error] = std::from_chars(content.data(), last, port);
    if (!AllDigits(content) || error != std::errc() || end != last || port > kMaxPort) {
      throw ConfigError(token.location, "invalid port \"[" + content +
                                            "]\"; write a port as a number from 0 to 65535 in "
                                            "brackets, such as [500], or [any]");
    }
    token.text = content;
    token.number = port;
    return Finish(std::move(token));
  }

  Token Bare() {
    Token token{TokenKind::kWord, "", 0, Here()};
    while (!AtEnd() && !IsDelimiter(Peek()) && !(Peek() == '/' && Peek(1) == '*')) {
      token.text.push_back(Peek());
      Advance();
    }
    if (AllDigits(token.text) || IsHexNumber(token.text)) {
      ConvertNumber(token);
    } else if (LooksLikeAddress(token.text)) {
      token.kind = TokenKind::kAddress;
    }
    return Finish(std::move(token));
  }

  static void ConvertNumber(Token& token) {
    const bool hex = IsHexNumber(token.text);
    const char* first = token.text.data() + (hex ? 2 : 0);
    const char* last = token.text.data() + token.text.size();
    const auto [end, error] = std::from_chars(first, last, token.number, hex ? 16 : 10);
    if (error != std::errc() || end != last) {
      throw ConfigError(token.location,
                        "number " + Quote(token.text) + " is too large; use a value below 2^64");
    }
    token.kind = TokenKind::kNumber;
  }

  std::string_view text_;
  const std::string& file_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
};

}  // namespace

std::string DescribeToken(const Token& token) {
  switch (token.kind) {
    case TokenKind::kWord:
      return Quote(token.text);
    case TokenKind::kString:
      return "string " + Quote(token.text);
    case TokenKind::kNumber:
      return "number " + token.text;
    case TokenKind::kAddress:
      return "address " + token.text;
    case TokenKind::kPort:
      return "port [" + token.text + "]";
    case TokenKind::kOpenBrace:
      return "\"{\"";
    case TokenKind::kCloseBrace:
      return "\"}\"";
    case TokenKind::kSemicolon:
      return "\";\"";
    case TokenKind::kComma:
      return "\",\"";
    case TokenKind::kEnd:
      return "end of file";
  }
  return "token";
}

std::vector<Token> TokenizeRacoonConf(std::string_view text, const std::string& file) {
  return Lexer(text, file).Run();
}

}  // namespace ipop::config
