// `include "FILE";`: racoon reads the statements of other files in place of
// the include line. A relative name is taken relative to `path include`, and
// the name may be a glob pattern whose matches are read in sorted order.
#include <glob.h>

#include <fstream>
#include <sstream>

#include "config/racoon_resolver.h"

namespace ipop::config {
namespace {

// Nesting limit for includes; racoon's lexer stops at the same depth
// (MAX_INCLUDE_DEPTH in cftoken.l), which also ends include loops.
constexpr int kMaxIncludeDepth = 10;

std::vector<std::string> GlobFiles(const std::string& pattern) {
  glob_t matches{};
  std::vector<std::string> files;
  if (glob(pattern.c_str(), GLOB_TILDE, nullptr, &matches) == 0) {
    for (size_t i = 0; i < matches.gl_pathc; ++i) {
      files.emplace_back(matches.gl_pathv[i]);
    }
  }
  globfree(&matches);
  return files;
}

}  // namespace

void RacoonResolver::ResolveInclude(const Directive& directive) {
  const Token& name = directive.arguments[0];
  std::string pattern = name.text;
  if (!pattern.starts_with("/") && !pattern.starts_with("~") && !include_dir_.empty()) {
    pattern = include_dir_ + (include_dir_.ends_with("/") ? "" : "/") + pattern;
  }
  if (include_depth_ >= kMaxIncludeDepth) {
    ThrowAt(name, "includes are nested deeper than " + std::to_string(kMaxIncludeDepth) +
                      " levels; check for a file that includes itself");
  }
  const std::vector<std::string> files = GlobFiles(pattern);
  if (files.empty()) {
    ThrowAt(name,
            "no file matches include " + Quote(pattern) + "; check the name and path include");
  }

  ++include_depth_;
  for (const std::string& file : files) {
    std::ifstream stream(file, std::ios::binary);
    if (!stream) {
      ThrowAt(name, "cannot open included file " + Quote(file) + "; check its permissions");
    }
    std::ostringstream text;
    text << stream.rdbuf();
    // RuntimeConfig copies what it needs, so the tree may go after this.
    const SyntaxTree included = ParseRacoonSyntax(text.str(), file);
    ResolveTopLevel(included.directives);
  }
  --include_depth_;
}

}  // namespace ipop::config
