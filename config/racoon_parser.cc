// Recursive-descent parser for racoon.conf. Each section has a table of
// directives in racoon_grammar.cc. The arguments of a directive are read by
// the function for its Shape, and then ";" or a nested block must follow.
#include <algorithm>

#include "config/racoon_syntax.h"
#include "config/suggestion.h"

namespace ipop::config {
namespace {

constexpr std::string_view kIdentifierTypes[] = {"address",   "subnet", "fqdn",
                                                 "user_fqdn", "keyid",  "asn1dn"};

bool IsIdentifierType(const Token& token) {
  return token.kind == TokenKind::kWord &&
         std::ranges::find(kIdentifierTypes, token.text) != std::end(kIdentifierTypes);
}

bool EndsStatement(const Token& token) {
  return token.kind == TokenKind::kSemicolon || token.kind == TokenKind::kOpenBrace ||
         token.kind == TokenKind::kCloseBrace || token.kind == TokenKind::kEnd;
}

std::string InSection(Section section) {
  if (section == Section::kTop) {
    return "at the top level";
  }
  return std::string("in ") + SectionName(section);
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& file)
      : file_(file), tokens_(TokenizeRacoonConf(text, file)) {}

  SyntaxTree Run() {
    SyntaxTree tree;
    tree.file = file_;
    tree.directives = ParseStatements(Section::kTop);
    return tree;
  }

 private:
  struct OpenBlock {
    Section section;
    std::string name;
    SourceLocation brace;
  };

  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Take() {
    const Token& token = tokens_[pos_];
    if (token.kind != TokenKind::kEnd) {
      ++pos_;
    }
    return token;
  }
  const Token& Last() const { return tokens_[pos_ == 0 ? 0 : pos_ - 1]; }

  std::vector<Directive> ParseStatements(Section section) {
    std::vector<Directive> directives;
    while (true) {
      const Token& token = Peek();
      switch (token.kind) {
        case TokenKind::kCloseBrace:
          if (open_.empty()) {
            throw ConfigError(token.location, "unexpected \"}\" with no open block; remove it");
          }
          Take();
          return directives;
        case TokenKind::kEnd:
          if (!open_.empty()) {
            throw ConfigError(token.location, "end of file inside the \"" + open_.back().name +
                                                  "\" block opened at " +
                                                  open_.back().brace.ToString() +
                                                  "; add the missing \"}\"");
          }
          return directives;
        case TokenKind::kSemicolon:
          throw ConfigError(token.location,
                            "unexpected \";\" with no statement before it; remove it");
        case TokenKind::kWord:
          directives.push_back(ParseDirective(section));
          break;
        default:
          throw ConfigError(token.location, "expected a directive name " + InSection(section) +
                                                ", found " + DescribeToken(token));
      }
    }
  }

  Directive ParseDirective(Section section) {
    const Token& name = Take();
    const DirectiveSpec* spec = FindDirective(section, name.text);
    if (spec == nullptr) {
      ThrowUnknownDirective(section, name);
    }
    Directive directive;
    directive.spec = spec;
    directive.name = name.text;
    directive.location = name.location;
    ParseArguments(*spec, directive);

    const bool block_follows = Peek().kind == TokenKind::kOpenBrace;
    const bool wants_block =
        spec->body == Body::kBlock || (section == Section::kAnything && block_follows);
    // `remote B inherit A;` copies a parent without a block of its own.
    const bool optional_block = spec->shape == Shape::kRemoteHeader;
    if (wants_block && !(optional_block && Peek().kind == TokenKind::kSemicolon)) {
      ParseBlock(*spec, directive);
    } else {
      ExpectSemicolon(directive);
    }
    return directive;
  }

  void ParseBlock(const DirectiveSpec& spec, Directive& directive) {
    const Token& brace = Peek();
    if (brace.kind != TokenKind::kOpenBrace) {
      ThrowExpected(spec, directive, "\"{\"");
    }
    Take();
    open_.push_back({spec.child, directive.name, brace.location});
    directive.has_block = true;
    directive.children = ParseStatements(spec.child);
    open_.pop_back();
  }

  void ExpectSemicolon(const Directive& directive) {
    const Token& next = Peek();
    if (next.kind == TokenKind::kSemicolon) {
      Take();
      return;
    }
    const Token& last = Last();
    if (next.kind == TokenKind::kEnd || next.kind == TokenKind::kCloseBrace ||
        next.location.line > last.end_line) {
      throw ConfigError({file_, last.end_line, last.end_column},
                        "missing \";\" after " + DescribeToken(last) + "; end the " +
                            directive.name + " statement with \";\"");
    }
    std::string reason = "unexpected " + DescribeToken(next) + " in the " + directive.name +
                         " statement; expected \";\"";
    if (!directive.spec->usage.empty()) {
      reason += "; usage: " + std::string(directive.spec->usage);
    }
    throw ConfigError(next.location, reason);
  }

  [[noreturn]] void ThrowUnknownDirective(Section section, const Token& name) {
    // A directive of an enclosing block usually means a "}" is missing.
    for (auto it = open_.rbegin(); it != open_.rend(); ++it) {
      const Section outer = std::next(it) == open_.rend() ? Section::kTop : std::next(it)->section;
      if (FindDirective(outer, name.text) != nullptr) {
        throw ConfigError(name.location, Quote(name.text) + " is not allowed " +
                                             InSection(section) + "; is the \"}\" of the " +
                                             it->name + " block opened at " + it->brace.ToString() +
                                             " missing before it?");
      }
    }
    const std::string suggestion = DidYouMean(name.text, DirectiveNames(section));
    if (!suggestion.empty()) {
      throw ConfigError(name.location, "unknown directive " + Quote(name.text) + " " +
                                           InSection(section) + suggestion);
    }
    for (Section other : NamedSections()) {
      if (other != section && FindDirective(other, name.text) != nullptr) {
        throw ConfigError(name.location, Quote(name.text) + " is not allowed " +
                                             InSection(section) + "; it belongs " +
                                             InSection(other));
      }
    }
    throw ConfigError(name.location, "unknown directive " + Quote(name.text) + " " +
                                         InSection(section) +
                                         "; check the spelling against racoon.conf(5)");
  }

  [[noreturn]] void ThrowExpected(const DirectiveSpec& spec, const Directive& directive,
                                  const std::string& expected) {
    const Token& next = Peek();
    std::string reason;
    if (EndsStatement(next)) {
      reason = "missing " + expected + " in the " + directive.name + " statement";
    } else {
      reason = "expected " + expected + " in the " + directive.name + " statement, found " +
               DescribeToken(next);
    }
    if (!spec.usage.empty()) {
      reason += "; usage: " + std::string(spec.usage);
    }
    throw ConfigError(next.location, reason);
  }

  // Appends the next token to the arguments if it has `kind`, else throws.
  void Expect(TokenKind kind, const DirectiveSpec& spec, Directive& directive,
              const std::string& expected) {
    if (Peek().kind != kind) {
      ThrowExpected(spec, directive, expected);
    }
    directive.arguments.push_back(Take());
  }

  bool Optional(TokenKind kind, Directive& directive) {
    if (Peek().kind != kind) {
      return false;
    }
    directive.arguments.push_back(Take());
    return true;
  }

  void ParseArguments(const DirectiveSpec& spec, Directive& directive);
  void ParseAlgorithm(const DirectiveSpec& spec, Directive& directive);
  void ParseWordList(const DirectiveSpec& spec, Directive& directive);
  void ParseIdentifier(const DirectiveSpec& spec, Directive& directive);
  void ParseAdminsock(const DirectiveSpec& spec, Directive& directive);
  void ParseRemoteName(const DirectiveSpec& spec, Directive& directive);
  void ParseRemoteHeader(const DirectiveSpec& spec, Directive& directive);
  bool ParseSainfoId(const DirectiveSpec& spec, Directive& directive);
  void ParseSainfoHeader(const DirectiveSpec& spec, Directive& directive);

  const std::string& file_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  std::vector<OpenBlock> open_;
};

void Parser::ParseArguments(const DirectiveSpec& spec, Directive& directive) {
  switch (spec.shape) {
    case Shape::kNone:
      return;
    case Shape::kWord:
      return Expect(TokenKind::kWord, spec, directive, "a value");
    case Shape::kNumber:
      return Expect(TokenKind::kNumber, spec, directive, "a number");
    case Shape::kString:
      return Expect(TokenKind::kString, spec, directive, "a quoted string");
    case Shape::kNumberWithUnit:
      Expect(TokenKind::kNumber, spec, directive, "a number");
      return Expect(TokenKind::kWord, spec, directive, "a time unit (sec, min or hour)");
    case Shape::kPath:
      Expect(TokenKind::kWord, spec, directive,
             "a path type (pre_shared_key, certificate, pidfile, ...)");
      return Expect(TokenKind::kString, spec, directive, "a quoted path");
    case Shape::kLifetime:
      Expect(TokenKind::kWord, spec, directive, "\"time\" or \"byte\"");
      Expect(TokenKind::kNumber, spec, directive, "a number");
      return Expect(TokenKind::kWord, spec, directive, "a unit (sec, min, hour, or B, KB, MB, GB)");
    case Shape::kAlgorithm:
      return ParseAlgorithm(spec, directive);
    case Shape::kAlgorithmList:
      ParseAlgorithm(spec, directive);
      while (Optional(TokenKind::kComma, directive)) {
        ParseAlgorithm(spec, directive);
      }
      return;
    case Shape::kDhGroup:
      if (!Optional(TokenKind::kNumber, directive)) {
        Expect(TokenKind::kWord, spec, directive, "a Diffie-Hellman group");
      }
      return;
    case Shape::kWordList:
      return ParseWordList(spec, directive);
    case Shape::kIdentifier:
      return ParseIdentifier(spec, directive);
    case Shape::kCertificate:
      Expect(TokenKind::kWord, spec, directive, "a certificate type (x509)");
      Expect(TokenKind::kString, spec, directive, "a quoted file name");
      Optional(TokenKind::kString, directive);
      return;
    case Shape::kCaCertificate:
      Expect(TokenKind::kWord, spec, directive, "a certificate type (x509)");
      return Expect(TokenKind::kString, spec, directive, "a quoted file name");
    case Shape::kAddressPort:
      Expect(TokenKind::kAddress, spec, directive, "an IP address");
      Optional(TokenKind::kPort, directive);
      return;
    case Shape::kPortOnly:
      return Expect(TokenKind::kPort, spec, directive, "a port such as [7002]");
    case Shape::kAdminsock:
      return ParseAdminsock(spec, directive);
    case Shape::kScript:
      Expect(TokenKind::kString, spec, directive, "a quoted script name");
      return Expect(TokenKind::kWord, spec, directive, "phase1_up, phase1_down or phase1_dead");
    case Shape::kRemoteHeader:
      return ParseRemoteHeader(spec, directive);
    case Shape::kSainfoHeader:
      return ParseSainfoHeader(spec, directive);
    case Shape::kAnything:
      while (!EndsStatement(Peek())) {
        directive.arguments.push_back(Take());
      }
      return;
  }
}

// ALGORITHM [KEY_BITS]
void Parser::ParseAlgorithm(const DirectiveSpec& spec, Directive& directive) {
  Expect(TokenKind::kWord, spec, directive, "an algorithm name");
  Optional(TokenKind::kNumber, directive);
}

// racoon ignores the commas between exchange modes, so "main aggressive" is
// accepted too, but only on one line: a word on the next line is more likely
// the next directive after a missing ";".
void Parser::ParseWordList(const DirectiveSpec& spec, Directive& directive) {
  Expect(TokenKind::kWord, spec, directive, "a value");
  while (true) {
    if (Peek().kind == TokenKind::kComma) {
      Take();
      Expect(TokenKind::kWord, spec, directive, "a value after \",\"");
    } else if (Peek().kind == TokenKind::kWord && Peek().location.line == Last().end_line) {
      directive.arguments.push_back(Take());
    } else {
      return;
    }
  }
}

// IDTYPE [file|tag] [VALUE]; VALUE is a quoted string or an address.
void Parser::ParseIdentifier(const DirectiveSpec& spec, Directive& directive) {
  Expect(TokenKind::kWord, spec, directive, "an identifier type (asn1dn, address, fqdn, ...)");
  if (Peek().IsWord("file") || Peek().IsWord("tag")) {
    directive.arguments.push_back(Take());
  }
  if (!Optional(TokenKind::kString, directive)) {
    Optional(TokenKind::kAddress, directive);
  }
}

void Parser::ParseAdminsock(const DirectiveSpec& spec, Directive& directive) {
  if (Peek().IsWord("disabled")) {
    directive.arguments.push_back(Take());
    return;
  }
  Expect(TokenKind::kString, spec, directive, "a quoted socket path or \"disabled\"");
  if (Optional(TokenKind::kString, directive)) {
    Expect(TokenKind::kString, spec, directive, "a quoted group name");
    Expect(TokenKind::kNumber, spec, directive, "a file mode such as 0600");
  }
}

// anonymous [PORT] | ADDRESS [PORT] | "NAME"
void Parser::ParseRemoteName(const DirectiveSpec& spec, Directive& directive) {
  if (Peek().IsWord("anonymous") || Peek().kind == TokenKind::kAddress) {
    directive.arguments.push_back(Take());
    Optional(TokenKind::kPort, directive);
    return;
  }
  Expect(TokenKind::kString, spec, directive, "anonymous, an address or a quoted name");
}

void Parser::ParseRemoteHeader(const DirectiveSpec& spec, Directive& directive) {
  ParseRemoteName(spec, directive);
  if (Peek().IsWord("inherit")) {
    directive.arguments.push_back(Take());
    ParseRemoteName(spec, directive);
  }
}

// anonymous | clientaddr | IDTYPE "VALUE" | IDTYPE ADDRESS[/LEN] [-HIGH] [PORT] PROTOCOL.
// Returns whether the ID was "anonymous".
bool Parser::ParseSainfoId(const DirectiveSpec& spec, Directive& directive) {
  if (Peek().IsWord("anonymous") || Peek().IsWord("clientaddr")) {
    const bool anonymous = Peek().IsWord("anonymous");
    directive.arguments.push_back(Take());
    return anonymous;
  }
  if (!IsIdentifierType(Peek())) {
    ThrowExpected(spec, directive, "anonymous or an ID such as \"address 10.0.0.0/24 any\"");
  }
  directive.arguments.push_back(Take());
  if (Optional(TokenKind::kString, directive)) {
    return false;
  }
  Expect(TokenKind::kAddress, spec, directive, "an address");
  if (Peek().kind == TokenKind::kWord && Peek().text.starts_with("-")) {
    directive.arguments.push_back(Take());  // address range upper bound
  }
  Optional(TokenKind::kPort, directive);
  if (!Optional(TokenKind::kNumber, directive)) {
    Expect(TokenKind::kWord, spec, directive,
           "an upper-layer protocol (any, icmp, tcp, udp or a number)");
  }
  return false;
}

void Parser::ParseSainfoHeader(const DirectiveSpec& spec, Directive& directive) {
  const bool anonymous = ParseSainfoId(spec, directive);
  const Token& next = Peek();
  const bool second_id =
      next.IsWord("anonymous") || next.IsWord("clientaddr") || IsIdentifierType(next);
  if (!anonymous || second_id) {
    ParseSainfoId(spec, directive);
  }
  if (Peek().IsWord("from")) {
    directive.arguments.push_back(Take());
    Expect(TokenKind::kWord, spec, directive, "an identifier type");
    if (!Optional(TokenKind::kString, directive)) {
      Optional(TokenKind::kAddress, directive);
    }
  }
  if (Peek().IsWord("group")) {
    directive.arguments.push_back(Take());
    Expect(TokenKind::kString, spec, directive, "a quoted group name");
  }
}

}  // namespace

SyntaxTree ParseRacoonSyntax(std::string_view text, const std::string& file) {
  return Parser(text, file).Run();
}

}  // namespace ipop::config
