// The resolved configuration that the daemon runs with: racoon.conf after
// parsing, validation, defaults and path resolution. Exchanges read only this,
// never the syntax tree.
#ifndef IPOP_CONFIG_RUNTIME_CONFIG_H_
#define IPOP_CONFIG_RUNTIME_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"
#include "base/log.h"
#include "crypto/algorithms.h"

namespace ipop::config {

enum class AuthMethod { kPreSharedKey, kRsaSignature };
enum class IdentifierType { kAddress, kFqdn, kUserFqdn, kKeyId, kAsn1Dn };
enum class ExchangeMode { kMain, kAggressive, kBase };
enum class NatTraversal { kOff, kOn, kForce };
// `ike_frag`: kOn fragments large phase 1 messages when the peer sent the
// fragmentation vendor ID, kForce fragments them whatever the peer sent.
enum class IkeFragmentation { kOff, kOn, kForce };
// `proposal_check`: how a responder treats the initiator's lifetimes
// (racoon.conf(5) of ipsec-tools 0.8.2). racoon's default is strict.
enum class ProposalCheck { kObey, kStrict, kClaim, kExact };
// `rekey`: whether a new ISAKMP SA is negotiated before the old one expires.
// kOn does it only while phase 2 SAs with the peer exist, kForce always.
enum class Phase1Rekey { kOff, kOn, kForce };

// `generate_policy`: whether a responder installs policies built from the
// initiator's Quick Mode IDs when none of its own match them. `require` and
// `unique` give the generated policies those setkey levels, and `on` is
// treated as `require`.
enum class GeneratePolicy { kOff, kOn, kRequire, kUnique };

// `script "FILE" phase1_up|phase1_down|phase1_dead;`: absolute paths of the
// programs to run, empty when not set.
struct ScriptHooks {
  std::string phase1_up;
  std::string phase1_down;
  std::string phase1_dead;
};

struct Phase1Proposal {
  crypto::IkeCipher cipher = crypto::IkeCipher::k3desCbc;
  size_t key_bits = 0;  // AES key length; 0 for 3DES
  crypto::HashAlgorithm hash = crypto::HashAlgorithm::kSha1;
  AuthMethod auth_method = AuthMethod::kRsaSignature;
  crypto::DhGroup dh_group = crypto::DhGroup::kModp1024;
  std::chrono::seconds lifetime{28800};  // racoon's default
};

struct Identifier {
  IdentifierType type = IdentifierType::kAddress;
  // Empty for asn1dn without a value: the subject of our certificate.
  std::string value;
};

// One `remote` section. `address` unset means `remote anonymous`, or a named
// remote without `remote_address`.
struct RemoteConfig {
  std::optional<Ipv4Address> address;
  std::string name;    // `remote "name" { ... }`; empty for the address forms
  std::string origin;  // "file:line" of the section
  std::vector<ExchangeMode> exchange_modes{ExchangeMode::kMain};
  std::vector<Phase1Proposal> proposals;
  // Absolute paths, resolved against `path certificate`.
  std::string certificate_file;
  std::string private_key_file;
  std::string ca_file;
  // The file of `peers_certfile x509 "FILE"`, empty when unset. Its
  // certificate is used in place of any the peer sends.
  std::string peers_certificate_file;
  Identifier my_identifier;
  std::optional<Identifier> peers_identifier;
  bool verify_identifier = false;
  bool verify_cert = true;
  bool send_cert = true;
  bool send_cr = true;
  bool initial_contact = true;
  NatTraversal nat_traversal = NatTraversal::kOff;
  IkeFragmentation ike_fragmentation = IkeFragmentation::kOff;  // racoon's default
  ProposalCheck proposal_check = ProposalCheck::kStrict;
  Phase1Rekey rekey = Phase1Rekey::kOn;
  bool dpd = true;         // advertise the DPD vendor ID
  size_t nonce_size = 16;  // bytes; racoon's default
  // DPD (RFC 3706) probing, with racoon's defaults: `dpd_delay` idle
  // seconds before the first R-U-THERE (0: never probe), then up to
  // `dpd_maxfail` probes `dpd_retry` seconds apart before the peer is dead.
  std::chrono::seconds dpd_delay{0};
  std::chrono::seconds dpd_retry{5};
  int dpd_maxfail = 5;
  std::chrono::seconds natt_keepalive{20};
  // racoon 0.8.2 code defaults (its man page gives 15 s and 10 s).
  std::chrono::seconds phase1_timeout{30};
  std::chrono::seconds phase2_timeout{30};
  int retry_counter = 5;                            // `timer { counter }`
  std::chrono::milliseconds retry_interval{10000};  // `timer { interval }`
  // `passive on`: respond only, never start a negotiation with this peer.
  bool passive = false;
  GeneratePolicy generate_policy = GeneratePolicy::kOff;
  ScriptHooks scripts;
  // The parent's label ("remote anonymous") for `inherit`; empty otherwise.
  std::string inherited_from;
};

struct EspTransformChoice {
  crypto::EspCipher cipher = crypto::EspCipher::k3desCbc;
  size_t key_bits = 0;  // for AES; 0 means both 128 and 256 are acceptable
  crypto::EspIntegrity integrity = crypto::EspIntegrity::kHmacSha1_96;
};

// One `sainfo` section. Unset selectors mean `anonymous`.
struct SainfoConfig {
  std::string origin;
  std::optional<Ipv4Prefix> local;
  std::optional<Ipv4Prefix> remote;
  // `from IDTYPE VALUE`: the sainfo applies only under an ISAKMP SA whose
  // peer sent this phase 1 identifier.
  std::optional<Identifier> peer_identifier;
  std::optional<crypto::DhGroup> pfs_group;
  std::vector<crypto::EspCipher> ciphers;         // encryption_algorithm list, in order
  std::vector<size_t> cipher_key_bits;            // parallel to `ciphers`; 0 if none given
  std::vector<crypto::EspIntegrity> integrities;  // authentication_algorithm list
  bool compression_deflate = false;               // accepted; proposed only if a policy requests IPComp
  // racoon proposes 28800 s when sainfo sets no lifetime: the ipsec-tools
  // 0.9.1 SAs in tests/vectors/racoon-3des-sha1-modp1024/sad-a.txt show
  // "hard: 28800(s)".
  std::chrono::seconds lifetime{28800};
  // `lifetime byte N B|KB|MB|GB`, in kilobytes as the SA payload carries it
  // (RFC 2407 §4.5); 0 means no byte limit.
  uint64_t lifetime_kilobytes = 0;
};

struct ListenConfig {
  std::vector<Endpoint> isakmp;       // default: every address, port 500
  std::vector<Endpoint> isakmp_natt;  // default: every address, port 4500
  std::string adminsock;              // racoon's admin socket; informational
  bool strict_address = false;        // `strict_address;`: every listen address must bind
};

struct RuntimeConfig {
  std::string source_file;
  std::string pre_shared_key_file;
  std::string certificate_dir;
  std::string script_dir;  // `path script`: base of relative `script` names
  std::string pidfile;
  // `path keylog "FILE";` (an ipop-espd extension): the Wireshark key log,
  // as --keylog. Empty when not set.
  std::string keylog_file;
  ListenConfig listen;
  std::vector<RemoteConfig> remotes;
  std::vector<SainfoConfig> sainfos;
  // `log LEVEL;`; unset when the file has no log statement.
  std::optional<LogLevel> log_level;
  // "file:line:column: ..." for each directive that was accepted but ignored,
  // with the reason; also logged at NOTIFY when the file is loaded.
  std::vector<std::string> notices;

  // The `remote` for a peer address: an exact match first, then anonymous.
  const RemoteConfig* FindRemote(Ipv4Address peer) const;
  // The `sainfo` for a pair of Quick Mode IDs: an exact match first, then
  // one with the matching side given and the other anonymous, then the fully
  // anonymous one. IDs compare exactly, so `address 10.0.0.0/24` does not
  // match a Quick Mode ID of 10.0.0.5/32. A sainfo with `from` applies only
  // when `peer_identity` (the peer's phase 1 identity as text: an address,
  // a name or a printed DN) equals its value, and at each of the three
  // levels it wins over one without `from`.
  const SainfoConfig* FindSainfo(const Ipv4Prefix& local, const Ipv4Prefix& remote,
                                 std::string_view peer_identity = {}) const;
};

}  // namespace ipop::config

#endif  // IPOP_CONFIG_RUNTIME_CONFIG_H_
