// The `remote` and `proposal` sections of racoon.conf.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "config/racoon_algorithms.h"
#include "crypto/distinguished_name.h"
#include "config/racoon_resolver.h"
#include "config/suggestion.h"

namespace ipop::config {
namespace {

constexpr uint16_t kIsakmpPort = 500;  // UDP port IANA assigns to ISAKMP

struct IdentifierName {
  std::string_view name;
  IdentifierType type;
};

constexpr IdentifierName kIdentifierTypes[] = {{"address", IdentifierType::kAddress},
                                               {"fqdn", IdentifierType::kFqdn},
                                               {"user_fqdn", IdentifierType::kUserFqdn},
                                               {"keyid", IdentifierType::kKeyId},
                                               {"asn1dn", IdentifierType::kAsn1Dn}};

// The number of a dpd_delay, dpd_retry or dpd_maxfail directive. The upper
// bound keeps the value inside an int and a std::chrono::seconds tick count.
uint64_t ReadDpdNumber(const Directive& directive, uint64_t minimum, const std::string& range) {
  constexpr uint64_t kMaximum = 0x7fffffff;
  const Token& number = directive.arguments[0];
  if (number.number < minimum || number.number > kMaximum) {
    ThrowAt(number, "invalid " + directive.name + " " + number.text + "; use " + range);
  }
  return number.number;
}

// Rejects an asn1dn value that does not parse, and a wildcard in our own
// name, which we would have to send.
void CheckDistinguishedName(const Directive& directive, const Token& value) {
  auto pattern = crypto::DistinguishedNamePattern::Parse(value.text);
  if (!pattern) {
    ThrowAt(value, "invalid " + directive.name + " asn1dn: " + pattern.error().detail);
  }
  if (directive.name != "my_identifier") {
    return;
  }
  if (auto der = pattern->ToDer(); !der) {
    ThrowAt(value, "invalid my_identifier asn1dn: " + der.error().detail);
  }
}

// IDTYPE [file|tag] [VALUE], as the parser left it in `arguments`.
Identifier ReadIdentifier(const Directive& directive) {
  const std::vector<Token>& arguments = directive.arguments;
  const Token& type = arguments[0];
  size_t next = 1;
  const Token* qualifier = nullptr;
  if (next < arguments.size() && arguments[next].kind == TokenKind::kWord) {
    qualifier = &arguments[next++];
  }
  const Token* value = next < arguments.size() ? &arguments[next] : nullptr;

  Identifier identifier;
  bool known = false;
  std::vector<std::string> names;
  for (const IdentifierName& candidate : kIdentifierTypes) {
    names.emplace_back(candidate.name);
    if (candidate.name == type.text) {
      identifier.type = candidate.type;
      known = true;
    }
  }
  if (type.text == "subnet") {
    ThrowAt(type, directive.name +
                      " subnet is not supported yet; use address, fqdn, user_fqdn, "
                      "keyid tag or asn1dn");
  }
  if (!known) {
    const std::string suggestion = DidYouMean(type.text, names);
    ThrowAt(type, "unknown identifier type " + Quote(type.text) +
                      (suggestion.empty() ? "; use asn1dn, address, fqdn, user_fqdn or keyid"
                                          : suggestion));
  }
  if (qualifier != nullptr && identifier.type != IdentifierType::kKeyId) {
    ThrowAt(*qualifier, "the " + qualifier->text + " qualifier applies to keyid only; remove it");
  }
  const bool keyid_from_file = qualifier == nullptr || qualifier->text == "file";
  if (identifier.type == IdentifierType::kKeyId && keyid_from_file) {
    ThrowAt(type, "keyid read from a file is not supported yet; write keyid tag \"ID\"");
  }
  if (value == nullptr) {
    if (identifier.type != IdentifierType::kAddress && identifier.type != IdentifierType::kAsn1Dn) {
      ThrowAt(type, directive.name + " " + type.text + " needs a value; write " + directive.name +
                        " " + type.text + " \"VALUE\";");
    }
    return identifier;
  }
  if (identifier.type == IdentifierType::kAddress) {
    identifier.value = ReadIpv4Address(*value).ToString();
  } else {
    identifier.value = value->text;
  }
  if (identifier.type == IdentifierType::kAsn1Dn) {
    CheckDistinguishedName(directive, *value);
  }
  return identifier;
}

std::string DescribeRemote(const Directive& directive) {
  std::string label = "remote";
  for (const Token& token : directive.arguments) {
    label += " " + (token.kind == TokenKind::kString ? Quote(token.text) : token.text);
    if (token.kind == TokenKind::kPort) {
      label.back() = ']';
      label.insert(label.size() - token.text.size() - 1, "[");
    }
  }
  return label;
}

}  // namespace

void RacoonResolver::ResolveRemote(const Directive& directive) {
  RemoteState state;
  state.location = directive.location;
  state.remote.origin = directive.location.Origin();
  state.label = DescribeRemote(directive);
  ResolveRemoteHeader(directive, state);
  for (const Directive& child : directive.children) {
    if (Admit(child)) {
      ResolveRemoteStatement(child, state);
    }
  }
  CheckRemote(state);

  for (const RemoteConfig& other : config_.remotes) {
    if (other.address == state.remote.address && other.name == state.remote.name) {
      throw ConfigError(directive.location, "duplicate " + state.label + "; the first is at " +
                                                other.origin + "; merge the two blocks");
    }
  }
  config_.remotes.push_back(state.remote);
  // The proposal tokens may belong to an included file's tree, which is
  // freed before a later remote inherits from this one.
  state.proposals.clear();
  finished_remotes_.push_back(std::move(state));
}

void RacoonResolver::ResolveRemoteHeader(const Directive& directive, RemoteState& state) {
  const std::vector<Token>& arguments = directive.arguments;
  for (size_t index = 0; index < arguments.size(); ++index) {
    if (arguments[index].IsWord("inherit")) {
      InheritRemote(directive, index, state);
    }
  }
  const Token& name = arguments[0];
  if (name.kind == TokenKind::kString) {
    state.remote.name = name.text;
  } else if (name.kind == TokenKind::kAddress) {
    state.remote.address = ReadIpv4Address(name);
  }
  if (arguments.size() > 1 && arguments[1].kind == TokenKind::kPort && arguments[1].text != "any" &&
      arguments[1].number != kIsakmpPort) {
    ThrowAt(arguments[1],
            "remote port " + arguments[1].text + " is not supported yet; peers must use port 500");
  }
}

void RacoonResolver::ResolveRemoteStatement(const Directive& directive, RemoteState& state) {
  if (ResolveRemoteHook(directive, state)) {
    return;
  }
  RemoteConfig& remote = state.remote;
  const std::vector<Token>& arguments = directive.arguments;
  const std::string& name = directive.name;
  if (name == "proposal") {
    ResolveProposal(directive, state);
  } else if (name == "remote_address") {
    if (remote.name.empty()) {
      ThrowAt(arguments[0],
              "remote_address is only for a named remote (remote \"NAME\" { ... }); "
              "this block already names its peer in the header");
    }
    remote.address = ReadIpv4Address(arguments[0]);
  } else if (name == "exchange_mode") {
    ResolveExchangeModes(directive, state);
  } else if (name == "doi") {
    if (!arguments[0].IsWord("ipsec_doi")) {
      ThrowAt(arguments[0], "invalid doi " + Quote(arguments[0].text) + "; use ipsec_doi");
    }
  } else if (name == "situation") {
    if (!arguments[0].IsWord("identity_only")) {
      ThrowAt(arguments[0],
              "situation " + Quote(arguments[0].text) + " is not supported yet; use identity_only");
    }
  } else if (name == "my_identifier") {
    remote.my_identifier = ReadIdentifier(directive);
  } else if (name == "peers_identifier") {
    if (remote.peers_identifier) {
      throw ConfigError(directive.location,
                        "a second peers_identifier is not supported yet; "
                        "keep one per remote block");
    }
    remote.peers_identifier = ReadIdentifier(directive);
  } else if (name == "verify_identifier") {
    remote.verify_identifier = ReadSwitch(directive, arguments[0]);
  } else if (name == "certificate_type" || name == "ca_type") {
    ResolveCertificate(directive, state);
  } else if (name == "peers_certfile") {
    ResolvePeersCertfile(directive, state);
  } else if (name == "verify_cert") {
    remote.verify_cert = ReadSwitch(directive, arguments[0]);
  } else if (name == "send_cert") {
    remote.send_cert = ReadSwitch(directive, arguments[0]);
  } else if (name == "send_cr") {
    remote.send_cr = ReadSwitch(directive, arguments[0]);
  } else if (name == "initial_contact") {
    remote.initial_contact = ReadSwitch(directive, arguments[0]);
  } else if (name == "dpd") {
    remote.dpd = ReadSwitch(directive, arguments[0]);
  } else if (name == "dpd_delay") {
    remote.dpd_delay = std::chrono::seconds(ReadDpdNumber(directive, 0, "0 (off) or more seconds"));
  } else if (name == "dpd_retry") {
    remote.dpd_retry = std::chrono::seconds(ReadDpdNumber(directive, 1, "1 second or more"));
  } else if (name == "dpd_maxfail") {
    remote.dpd_maxfail = static_cast<int>(ReadDpdNumber(directive, 1, "1 or more"));
  } else if (name == "nonce_size") {
    // RFC 2409 §5 requires nonces of 8 to 256 bytes.
    if (arguments[0].number < 8 || arguments[0].number > 256) {
      ThrowAt(arguments[0], "invalid nonce_size " + arguments[0].text + "; use 8 to 256 bytes");
    }
    remote.nonce_size = arguments[0].number;
  } else if (name == "nat_traversal") {
    if (arguments[0].IsWord("force")) {
      remote.nat_traversal = NatTraversal::kForce;
    } else {
      remote.nat_traversal =
          ReadSwitch(directive, arguments[0]) ? NatTraversal::kOn : NatTraversal::kOff;
    }
  } else if (name == "ike_frag") {
    if (arguments[0].IsWord("force")) {
      remote.ike_fragmentation = IkeFragmentation::kForce;
    } else {
      remote.ike_fragmentation =
          ReadSwitch(directive, arguments[0]) ? IkeFragmentation::kOn : IkeFragmentation::kOff;
    }
  } else if (name == "lifetime") {
    state.lifetime = ReadLifetime(directive);
  } else if (name == "proposal_check") {
    remote.proposal_check = ReadProposalCheck(arguments[0]);
  } else if (name == "rekey") {
    if (arguments[0].IsWord("force")) {
      remote.rekey = Phase1Rekey::kForce;
    } else {
      remote.rekey = ReadSwitch(directive, arguments[0]) ? Phase1Rekey::kOn : Phase1Rekey::kOff;
    }
  }
}

ProposalCheck RacoonResolver::ReadProposalCheck(const Token& value) {
  static constexpr std::pair<std::string_view, ProposalCheck> kLevels[] = {
      {"obey", ProposalCheck::kObey},
      {"strict", ProposalCheck::kStrict},
      {"claim", ProposalCheck::kClaim},
      {"exact", ProposalCheck::kExact}};
  for (const auto& [level_name, level] : kLevels) {
    if (value.text == level_name) {
      return level;
    }
  }
  const std::string suggestion = DidYouMean(value.text, {"obey", "strict", "claim", "exact"});
  ThrowAt(value, "unknown proposal_check level " + Quote(value.text) +
                     (suggestion.empty() ? "; use obey, strict, claim or exact" : suggestion));
}

void RacoonResolver::ResolveExchangeModes(const Directive& directive, RemoteState& state) {
  static constexpr std::pair<std::string_view, ExchangeMode> kModes[] = {
      {"main", ExchangeMode::kMain},
      {"aggressive", ExchangeMode::kAggressive},
      {"base", ExchangeMode::kBase}};
  state.remote.exchange_modes.clear();
  for (const Token& token : directive.arguments) {
    bool known = false;
    for (const auto& [mode_name, mode] : kModes) {
      if (token.text == mode_name) {
        state.remote.exchange_modes.push_back(mode);
        known = true;
      }
    }
    if (!known) {
      const std::string suggestion = DidYouMean(token.text, {"main", "aggressive", "base"});
      ThrowAt(token, "unknown exchange mode " + Quote(token.text) +
                         (suggestion.empty() ? "; use main, aggressive or base" : suggestion));
    }
  }
  state.has_exchange_mode = true;
}

std::chrono::seconds RacoonResolver::ReadLifetime(const Directive& directive) {
  const std::vector<Token>& arguments = directive.arguments;
  if (arguments[0].IsWord("byte")) {
    ThrowAt(arguments[0],
            "lifetime byte in phase 1 is rejected as deprecated, as racoon does; use "
            "lifetime time NUMBER sec|min|hour (sainfo accepts lifetime byte)");
  }
  if (!arguments[0].IsWord("time")) {
    ThrowAt(arguments[0], "invalid lifetime type " + Quote(arguments[0].text) +
                              "; write lifetime time NUMBER sec|min|hour");
  }
  const std::chrono::seconds lifetime = ReadDuration(arguments[1], arguments[2]);
  if (lifetime.count() == 0) {
    ThrowAt(arguments[1], "lifetime must be at least 1 second");
  }
  return lifetime;
}

void RacoonResolver::ResolveCertificate(const Directive& directive, RemoteState& state) {
  const std::vector<Token>& arguments = directive.arguments;
  const Token& type = arguments[0];
  if (type.IsWord("plain_rsa")) {
    ThrowAt(type, "plain_rsa keys are not supported yet; use x509 certificates");
  }
  if (!type.IsWord("x509")) {
    const std::string suggestion = DidYouMean(type.text, {"x509", "plain_rsa"});
    ThrowAt(type, "unknown certificate type " + Quote(type.text) +
                      (suggestion.empty() ? "; use x509" : suggestion));
  }
  if (directive.name == "ca_type") {
    if (state.has_ca) {
      throw ConfigError(directive.location, "ca_type is already set in this remote; keep one");
    }
    state.remote.ca_file = ResolveCertificateFile(arguments[1], "CA certificate file");
    state.has_ca = true;
    return;
  }
  if (state.has_certificate) {
    throw ConfigError(directive.location,
                      "certificate_type is already set in this remote; "
                      "keep one");
  }
  if (arguments.size() < 3) {
    ThrowAt(arguments[1],
            "certificate_type x509 needs the certificate and the private key; "
            "write certificate_type x509 \"cert.pem\" \"key.pem\";");
  }
  state.remote.certificate_file = ResolveCertificateFile(arguments[1], "certificate file");
  state.remote.private_key_file = ResolveCertificateFile(arguments[2], "private key file");
  state.has_certificate = true;
}

// peers_certfile x509 "FILE" | plain_rsa "FILE" | dnssec
void RacoonResolver::ResolvePeersCertfile(const Directive& directive, RemoteState& state) {
  const std::vector<Token>& arguments = directive.arguments;
  if (arguments.empty()) {
    throw ConfigError(directive.location, "peers_certfile needs a type and a file; write peers_certfile x509 \"CERT\";");
  }
  const Token& type = arguments[0];
  if (type.IsWord("dnssec")) {
    ThrowAt(type, "peers_certfile dnssec (the peer's certificate from DNS) is not implemented; use peers_certfile "
                  "x509 \"CERT\" or let the peer send its certificate");
  }
  if (type.IsWord("plain_rsa")) {
    ThrowAt(type, "peers_certfile plain_rsa (a bare RSA public key) is not implemented; use peers_certfile x509 "
                  "\"CERT\" with the peer's certificate");
  }
  if (!type.IsWord("x509")) {
    const std::string suggestion = DidYouMean(type.text, {"x509", "plain_rsa", "dnssec"});
    ThrowAt(type, "unknown peers_certfile type " + Quote(type.text) +
                      (suggestion.empty() ? "; use x509" : suggestion));
  }
  if (arguments.size() != 2 || arguments[1].kind != TokenKind::kString) {
    ThrowAt(arguments.size() > 1 ? arguments[1] : type,
            "peers_certfile x509 needs one quoted file name; write peers_certfile x509 \"CERT\";");
  }
  if (!state.remote.peers_certificate_file.empty()) {
    throw ConfigError(directive.location, "peers_certfile is already set in this remote; keep one");
  }
  state.remote.peers_certificate_file = ResolveCertificateFile(arguments[1], "peers_certfile");
}

std::string RacoonResolver::ResolveCertificateFile(const Token& file,
                                                   const std::string& file_kind) {
  std::string path = file.text;
  std::string origin;
  if (!path.starts_with("/")) {
    if (!certificate_path_location_) {
      ThrowAt(file, file_kind + " " + Quote(file.text) +
                        " is a relative name but no path certificate comes before it; add path "
                        "certificate \"DIR\"; at the top of the file or give an absolute name");
    }
    const std::string& dir = config_.certificate_dir;
    path = dir + (dir.ends_with("/") ? "" : "/") + file.text;
    origin = " (" + Quote(file.text) + " resolved against path certificate " + Quote(dir) + " at " +
             certificate_path_location_->ToString() + ")";
  }
  if (!options_.check_files) {
    return path;
  }
  struct stat status {};
  if (stat(path.c_str(), &status) != 0) {
    ThrowAt(file, file_kind + " " + Quote(path) + " " +
                      (errno == ENOENT ? std::string("not found") : std::strerror(errno)) + origin +
                      "; fix the file name or the path certificate directory");
  }
  if (!S_ISREG(status.st_mode)) {
    ThrowAt(file, file_kind + " " + Quote(path) + " is not a regular file" + origin +
                      "; name the PEM file itself");
  }
  if (access(path.c_str(), R_OK) != 0) {
    ThrowAt(file, file_kind + " " + Quote(path) + " cannot be read: " + std::strerror(errno) +
                      origin + "; let the user running ipop-espd read it");
  }
  return path;
}

void RacoonResolver::ResolveProposal(const Directive& directive, RemoteState& state) {
  ProposalState proposal;
  proposal.location = directive.location;
  for (const Directive& child : directive.children) {
    if (!Admit(child)) {
      continue;
    }
    const Token& value = child.arguments[0];
    if (child.name == "encryption_algorithm") {
      const IkeCipherChoice choice = ReadIkeCipher(value, OptionalNumberAt(child.arguments, 1));
      proposal.proposal.cipher = choice.cipher;
      proposal.proposal.key_bits = choice.key_bits;
      proposal.cipher = &value;
    } else if (child.name == "hash_algorithm") {
      proposal.proposal.hash = ReadIkeHash(value, OptionalNumberAt(child.arguments, 1));
      proposal.hash = &value;
    } else if (child.name == "authentication_method") {
      proposal.proposal.auth_method = ReadAuthMethod(value, OptionalNumberAt(child.arguments, 1));
      proposal.auth_method = &value;
    } else if (child.name == "dh_group") {
      proposal.proposal.dh_group = ReadDhGroup(value);
      proposal.dh_group = &value;
    } else if (child.name == "lifetime") {
      proposal.lifetime = ReadLifetime(child);
    }
  }
  state.proposals.push_back(proposal);
}

void RacoonResolver::CheckRemote(RemoteState& state) {
  RemoteConfig& remote = state.remote;
  if (!state.has_exchange_mode) {
    throw ConfigError(state.location, state.label +
                                          " has no exchange_mode; add "
                                          "\"exchange_mode main;\" to the block");
  }
  if (state.proposals.empty() && !state.inherited_proposals.empty()) {
    remote.proposals = state.inherited_proposals;
  } else if (state.proposals.empty()) {
    throw ConfigError(state.location, state.label +
                                          " has no proposal block; add proposal { "
                                          "encryption_algorithm 3des; hash_algorithm sha1; "
                                          "authentication_method rsasig; dh_group modp1024; }");
  }
  for (const ProposalState& proposal : state.proposals) {
    const std::pair<const Token*, std::string_view> required[] = {
        {proposal.cipher, "encryption_algorithm aes 256;"},
        {proposal.hash, "hash_algorithm sha256;"},
        {proposal.auth_method, "authentication_method rsasig;"},
        {proposal.dh_group, "dh_group modp2048;"}};
    for (const auto& [token, example] : required) {
      if (token == nullptr) {
        const std::string directive(example.substr(0, example.find(' ')));
        throw ConfigError(proposal.location, "proposal is missing " + directive +
                                                 "; add for example \"" + std::string(example) +
                                                 "\"");
      }
    }
    CheckAuthentication(state, proposal);
    Phase1Proposal resolved = proposal.proposal;
    if (proposal.lifetime) {
      resolved.lifetime = *proposal.lifetime;
    } else if (state.lifetime) {
      resolved.lifetime = *state.lifetime;
    }
    remote.proposals.push_back(resolved);
  }

  // The first Aggressive Mode message already carries KE (RFC 2409 §5), so
  // every proposal must use the same group. racoon checks this too.
  const bool aggressive = std::ranges::find(remote.exchange_modes, ExchangeMode::kAggressive) !=
                          remote.exchange_modes.end();
  for (const ProposalState& proposal : state.proposals) {
    if (aggressive && proposal.proposal.dh_group != state.proposals.front().proposal.dh_group) {
      ThrowAt(*proposal.dh_group,
              "with exchange_mode aggressive every proposal needs the same "
              "dh_group; use " +
                  state.proposals.front().dh_group->text);
    }
  }

  if (remote.verify_identifier && !remote.peers_identifier) {
    throw ConfigError(state.location, state.label +
                                          " has verify_identifier on but no peers_identifier to compare the "
                                          "peer's ID with; add peers_identifier TYPE \"VALUE\"; or set "
                                          "verify_identifier off");
  }
  if (remote.my_identifier.type == IdentifierType::kAsn1Dn && remote.my_identifier.value.empty() &&
      !state.has_certificate) {
    throw ConfigError(state.location,
                      "my_identifier asn1dn takes the subject of our "
                      "certificate, but " +
                          state.label +
                          " has no "
                          "certificate_type; add one or give the DN as a value");
  }
}

void RacoonResolver::CheckAuthentication(const RemoteState& state, const ProposalState& proposal) {
  const Token& method = *proposal.auth_method;
  if (proposal.proposal.auth_method == AuthMethod::kPreSharedKey) {
    if (!psk_user_) {
      psk_user_ = method.location;
    }
    return;
  }
  if (!state.has_certificate) {
    ThrowAt(method,
            "authentication_method rsasig needs certificate_type x509 \"CERT\" \"KEY\"; "
            "in " +
                state.label);
  }
  if (state.remote.verify_cert && !state.has_ca && state.remote.peers_certificate_file.empty()) {
    ThrowAt(method,
            "authentication_method rsasig with verify_cert on needs ca_type x509 "
            "\"CA_CERT\" (or the peer's certificate in peers_certfile); in " +
                state.label + ", or verify_cert off");
  }
}

}  // namespace ipop::config
