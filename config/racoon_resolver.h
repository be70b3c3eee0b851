// Turns a racoon.conf syntax tree into a RuntimeConfig: rejects unimplemented
// directives, maps names to values, resolves file names against
// `path certificate`, fills racoon's defaults and checks that the result is
// usable. Internal to config/; callers use racoon_conf.h.
#ifndef IPOP_CONFIG_RACOON_RESOLVER_H_
#define IPOP_CONFIG_RACOON_RESOLVER_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/racoon_conf.h"
#include "config/racoon_syntax.h"

namespace ipop::config {

class RacoonResolver {
 public:
  RacoonResolver(const SyntaxTree& tree, const LoadOptions& options);

  RuntimeConfig Run();

  // Public only so that helpers in the resolver's .cc files can name them.
  struct ProposalState {
    Phase1Proposal proposal;
    SourceLocation location;
    std::optional<std::chrono::seconds> lifetime;
    const Token* cipher = nullptr;
    const Token* hash = nullptr;
    const Token* auth_method = nullptr;
    const Token* dh_group = nullptr;
  };

  struct RemoteState {
    RemoteConfig remote;
    SourceLocation location;
    std::string label;  // "remote anonymous", for messages
    std::vector<ProposalState> proposals;
    std::optional<std::chrono::seconds> lifetime;
    bool has_exchange_mode = false;
    bool has_certificate = false;
    bool has_ca = false;
    // The parent's resolved proposals with `inherit`, used when this block
    // has no proposal of its own.
    std::vector<Phase1Proposal> inherited_proposals;
  };

 private:

  // Returns false for a directive that is accepted and ignored; throws for
  // one that is rejected.
  bool Admit(const Directive& directive);
  void ResolveTop(const Directive& directive);
  void ResolvePath(const Directive& directive);
  void ResolveListen(const Directive& directive);
  void ResolveTimer(const Directive& directive);
  void ResolveLog(const Directive& directive);
  // racoon_include.cc
  void ResolveInclude(const Directive& directive);
  void ResolveTopLevel(const std::vector<Directive>& directives);
  void ApplyTimers();

  // racoon_remote_resolver.cc
  void ResolveRemote(const Directive& directive);
  void ResolveRemoteHeader(const Directive& directive, RemoteState& state);
  // racoon_remote_hooks.cc: `inherit`, passive, generate_policy, script.
  void InheritRemote(const Directive& directive, size_t inherit_index, RemoteState& state);
  bool ResolveRemoteHook(const Directive& directive, RemoteState& state);
  std::string ResolveScriptFile(const Token& file);
  void ResolveRemoteStatement(const Directive& directive, RemoteState& state);
  void ResolveExchangeModes(const Directive& directive, RemoteState& state);
  std::chrono::seconds ReadLifetime(const Directive& directive);
  ProposalCheck ReadProposalCheck(const Token& value);
  void ResolveCertificate(const Directive& directive, RemoteState& state);
  void ResolvePeersCertfile(const Directive& directive, RemoteState& state);
  void ResolveProposal(const Directive& directive, RemoteState& state);
  void CheckRemote(RemoteState& state);
  void CheckAuthentication(const RemoteState& state, const ProposalState& proposal);
  // Returns `file` made absolute against `path certificate`; checks the file
  // when options ask for it.
  std::string ResolveCertificateFile(const Token& file, const std::string& file_kind);

  // racoon_sainfo_resolver.cc
  void ResolveSainfo(const Directive& directive);
  std::optional<Ipv4Prefix> ResolveSainfoId(const std::vector<Token>& arguments, size_t& index);
  void ResolveSainfoStatement(const Directive& directive, SainfoConfig& sainfo);
  // `lifetime byte NUMBER B|KB|MB|GB`, returned in kilobytes.
  uint64_t ReadByteLifetime(const Directive& directive);

  void FinishPreSharedKey();

  const SyntaxTree& tree_;
  LoadOptions options_;
  RuntimeConfig config_;

  // Every remote resolved so far, without its proposal tokens, as parents
  // for `inherit`.
  std::vector<RemoteState> finished_remotes_;
  std::optional<SourceLocation> certificate_path_location_;
  std::string include_dir_;  // `path include`
  int include_depth_ = 0;
  std::optional<SourceLocation> psk_path_location_;
  // The first authentication_method pre_shared_key, which needs psk.txt.
  std::optional<SourceLocation> psk_user_;

  // `timer { }` values, applied to every remote at the end.
  std::optional<int> retry_counter_;
  std::optional<std::chrono::seconds> retry_interval_;
  std::optional<std::chrono::seconds> phase1_timeout_;
  std::optional<std::chrono::seconds> phase2_timeout_;
  std::optional<std::chrono::seconds> natt_keepalive_;
};

// Helpers shared by the resolver files.
[[noreturn]] void ThrowAt(const Token& token, const std::string& reason);
bool ReadSwitch(const Directive& directive, const Token& value);
std::chrono::seconds ReadDuration(const Token& number, const Token& unit);
Ipv4Address ReadIpv4Address(const Token& token);
// The argument after `index` if it is a number (an optional key length).
const Token* OptionalNumberAt(const std::vector<Token>& arguments, size_t index);

}  // namespace ipop::config

#endif  // IPOP_CONFIG_RACOON_RESOLVER_H_
