// The `remote` statements that decide how a peer is treated rather than how
// phase 1 is negotiated: `inherit` in the header, `passive`,
// `generate_policy` and `script`.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "config/racoon_resolver.h"
#include "config/suggestion.h"

namespace ipop::config {
namespace {

// Returns whether `state` is the remote that the header tokens starting at
// `name` select: anonymous, an address (any port) or a quoted name.
bool IsRemoteNamed(const RacoonResolver::RemoteState& state, const Token& name) {
  if (name.IsWord("anonymous")) {
    return !state.remote.address && state.remote.name.empty();
  }
  if (name.kind == TokenKind::kString) {
    return state.remote.name == name.text;
  }
  return state.remote.name.empty() && state.remote.address &&
         state.remote.address->ToString() == name.text;
}

struct ScriptEvent {
  std::string_view name;
  std::string ScriptHooks::*path;
};

constexpr ScriptEvent kScriptEvents[] = {
    {"phase1_up", &ScriptHooks::phase1_up},
    {"phase1_down", &ScriptHooks::phase1_down},
    {"phase1_dead", &ScriptHooks::phase1_dead},
};

}  // namespace

// racoon copies every setting of the parent, then applies the child's own
// statements on top. The parent's proposals are used only when the child
// has no proposal block.
void RacoonResolver::InheritRemote(const Directive& directive, size_t inherit_index,
                                   RemoteState& state) {
  const Token& parent_name = directive.arguments.at(inherit_index + 1);
  const RemoteState* parent = nullptr;
  for (const RemoteState& candidate : finished_remotes_) {
    if (IsRemoteNamed(candidate, parent_name)) {
      parent = &candidate;
    }
  }
  if (parent == nullptr) {
    const std::string shown =
        parent_name.kind == TokenKind::kString ? Quote(parent_name.text) : parent_name.text;
    ThrowAt(parent_name, "inherit names remote " + shown +
                             ", but no such remote block comes before this line; define the "
                             "parent first");
  }

  const SourceLocation location = state.location;
  const std::string label = state.label;
  const std::string origin = state.remote.origin;
  state = *parent;
  state.location = location;
  state.label = label;
  state.remote.origin = origin;
  state.remote.inherited_from = parent->label + " at " + parent->remote.origin;
  state.remote.name.clear();
  state.remote.address.reset();
  state.inherited_proposals = parent->remote.proposals;
  state.remote.proposals.clear();
}

// Returns false when `directive` is none of the statements handled here.
bool RacoonResolver::ResolveRemoteHook(const Directive& directive, RemoteState& state) {
  RemoteConfig& remote = state.remote;
  const std::vector<Token>& arguments = directive.arguments;
  if (directive.name == "passive") {
    remote.passive = ReadSwitch(directive, arguments[0]);
    return true;
  }
  if (directive.name == "generate_policy") {
    const Token& value = arguments[0];
    if (value.IsWord("require")) {
      remote.generate_policy = GeneratePolicy::kRequire;
    } else if (value.IsWord("unique")) {
      remote.generate_policy = GeneratePolicy::kUnique;
    } else if (value.IsWord("on") || value.IsWord("off")) {
      remote.generate_policy =
          ReadSwitch(directive, value) ? GeneratePolicy::kOn : GeneratePolicy::kOff;
    } else {
      const std::string suggestion = DidYouMean(value.text, {"on", "off", "require", "unique"});
      ThrowAt(value, "invalid value " + Quote(value.text) + " for generate_policy" +
                         (suggestion.empty() ? "; use on, off, require or unique" : suggestion));
    }
    return true;
  }
  if (directive.name != "script") {
    return false;
  }

  const Token& event = arguments[1];
  std::vector<std::string> names;
  for (const ScriptEvent& candidate : kScriptEvents) {
    names.emplace_back(candidate.name);
    if (event.text == candidate.name) {
      remote.scripts.*candidate.path = ResolveScriptFile(arguments[0]);
      return true;
    }
  }
  const std::string suggestion = DidYouMean(event.text, names);
  ThrowAt(event, "unknown script event " + Quote(event.text) +
                     (suggestion.empty() ? "; use phase1_up, phase1_down or phase1_dead"
                                         : suggestion));
}

// A relative name is taken relative to `path script`, as racoon does. The
// file must be an executable regular file when files are checked, because
// the daemon runs it directly, not through a shell.
std::string RacoonResolver::ResolveScriptFile(const Token& file) {
  std::string path = file.text;
  if (!path.starts_with("/")) {
    if (config_.script_dir.empty()) {
      ThrowAt(file, "script " + Quote(file.text) +
                        " is a relative name but no path script comes before it; add path "
                        "script \"DIR\"; at the top of the file or give an absolute name");
    }
    const std::string& dir = config_.script_dir;
    path = dir + (dir.ends_with("/") ? "" : "/") + file.text;
  }
  if (!options_.check_files) {
    return path;
  }
  struct stat status {};
  if (stat(path.c_str(), &status) != 0) {
    ThrowAt(file, "script " + Quote(path) + " " +
                      (errno == ENOENT ? std::string("not found") : std::strerror(errno)) +
                      "; fix the name or path script");
  }
  if (!S_ISREG(status.st_mode) || access(path.c_str(), X_OK) != 0) {
    ThrowAt(file, "script " + Quote(path) +
                      " is not an executable file; run \"chmod +x " + path + "\"");
  }
  return path;
}

}  // namespace ipop::config
