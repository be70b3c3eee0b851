// The syntax tree of a racoon.conf file: directives with their argument
// tokens and nested blocks, before any meaning is given to them.
#ifndef IPOP_CONFIG_RACOON_SYNTAX_H_
#define IPOP_CONFIG_RACOON_SYNTAX_H_

#include <string>
#include <string_view>
#include <vector>

#include "config/racoon_grammar.h"
#include "config/racoon_lexer.h"

namespace ipop::config {

struct Directive {
  const DirectiveSpec* spec = nullptr;
  std::string name;
  SourceLocation location;  // of the name
  // Tokens between the name and ";" or "{", commas included. The parser has
  // checked them against spec->shape.
  std::vector<Token> arguments;
  bool has_block = false;
  std::vector<Directive> children;
};

struct SyntaxTree {
  std::string file;
  std::vector<Directive> directives;
};

// Parses racoon.conf text. Throws ConfigError at the first syntax error:
// a missing ";" or "}", an unknown directive (with a suggestion when one is
// close) or arguments of the wrong shape. Rejecting unimplemented directives
// is left to the resolver, so the tree covers the whole racoon grammar.
SyntaxTree ParseRacoonSyntax(std::string_view text, const std::string& file);

}  // namespace ipop::config

#endif  // IPOP_CONFIG_RACOON_SYNTAX_H_
