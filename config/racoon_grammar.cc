#include "config/racoon_grammar.h"

#include <span>

namespace ipop::config {
namespace {

using enum Support;
using enum Shape;

constexpr std::string_view kXauthReason =
    "XAuth, Mode Config, RADIUS and LDAP are not implemented; use rsasig or pre_shared_key "
    "authentication without them";

constexpr DirectiveSpec kTopDirectives[] = {
    {"path", kImplemented, kPath, Body::kSemicolon, Section::kTop, "", "path TYPE \"PATH\";"},
    {"include", kImplemented, kString, Body::kSemicolon, Section::kTop, "", "include \"FILE\";"},
    {"privsep", kUnsupported, kNone, Body::kBlock, Section::kAnything,
     "privilege separation is not implemented; ipop-espd runs as one process", "privsep { ... }"},
    {"pfkey_buffer", kIgnored, kNumber, Body::kSemicolon, Section::kTop,
     "ipop-espd opens no PF_KEY socket, so there is no buffer to size", "pfkey_buffer KBYTES;"},
    {"complex_bundle", kIgnored, kWord, Body::kSemicolon, Section::kTop,
     "it changes only AH+ESP bundle proposals, and ipop-espd proposes ESP alone",
     "complex_bundle on|off;"},
    {"gss_id_enc", kUnsupported, kWord, Body::kSemicolon, Section::kTop,
     "GSS-API authentication is not implemented", "gss_id_enc latin1|utf-16le;"},
    {"log", kImplemented, kWord, Body::kSemicolon, Section::kTop, "",
     "log error|warning|notify|info|debug|debug2;"},
    {"padding", kIgnored, kNone, Body::kBlock, Section::kPadding,
     "ipop-espd pads IKE messages by its own rules and does not read these settings",
     "padding { ... }"},
    {"listen", kImplemented, kNone, Body::kBlock, Section::kListen, "", "listen { ... }"},
    {"ldapcfg", kUnsupported, kNone, Body::kBlock, Section::kAnything, kXauthReason,
     "ldapcfg { ... }"},
    {"radiuscfg", kUnsupported, kNone, Body::kBlock, Section::kAnything, kXauthReason,
     "radiuscfg { ... }"},
    {"mode_cfg", kUnsupported, kNone, Body::kBlock, Section::kAnything, kXauthReason,
     "mode_cfg { ... }"},
    {"timer", kImplemented, kNone, Body::kBlock, Section::kTimer, "", "timer { ... }"},
    {"sainfo", kImplemented, kSainfoHeader, Body::kBlock, Section::kSainfo, "",
     "sainfo anonymous { ... } or sainfo address A/LEN any address B/LEN any { ... }"},
    {"remote", kImplemented, kRemoteHeader, Body::kBlock, Section::kRemote, "",
     "remote anonymous|ADDRESS|\"NAME\" [inherit PARENT] { ... } or remote NAME inherit PARENT;"},
};

constexpr DirectiveSpec kListenDirectives[] = {
    {"isakmp", kImplemented, kAddressPort, Body::kSemicolon, Section::kTop, "",
     "isakmp ADDRESS [PORT];"},
    {"isakmp_natt", kImplemented, kAddressPort, Body::kSemicolon, Section::kTop, "",
     "isakmp_natt ADDRESS [PORT];"},
    {"adminsock", kImplemented, kAdminsock, Body::kSemicolon, Section::kTop, "",
     "adminsock \"PATH\" [\"OWNER\" \"GROUP\" MODE]; or adminsock disabled;"},
    {"admin", kUnsupported, kPortOnly, Body::kSemicolon, Section::kTop,
     "racoonctl's TCP admin port is not implemented; use the ipop-esp control socket",
     "admin [PORT];"},
    {"strict_address", kImplemented, kNone, Body::kSemicolon, Section::kTop, "", "strict_address;"},
};

constexpr DirectiveSpec kTimerDirectives[] = {
    {"counter", kImplemented, kNumber, Body::kSemicolon, Section::kTop, "", "counter NUMBER;"},
    {"interval", kImplemented, kNumberWithUnit, Body::kSemicolon, Section::kTop, "",
     "interval NUMBER sec|min|hour;"},
    {"persend", kImplemented, kNumber, Body::kSemicolon, Section::kTop, "", "persend 1;"},
    {"phase1", kImplemented, kNumberWithUnit, Body::kSemicolon, Section::kTop, "",
     "phase1 NUMBER sec|min|hour;"},
    {"phase2", kImplemented, kNumberWithUnit, Body::kSemicolon, Section::kTop, "",
     "phase2 NUMBER sec|min|hour;"},
    {"natt_keepalive", kImplemented, kNumberWithUnit, Body::kSemicolon, Section::kTop, "",
     "natt_keepalive NUMBER sec|min|hour;"},
};

constexpr std::string_view kPaddingReason = "padding settings are not read";

constexpr DirectiveSpec kPaddingDirectives[] = {
    {"randomize", kIgnored, kWord, Body::kSemicolon, Section::kTop, kPaddingReason,
     "randomize on|off;"},
    {"randomize_length", kIgnored, kWord, Body::kSemicolon, Section::kTop, kPaddingReason,
     "randomize_length on|off;"},
    {"maximum_length", kIgnored, kNumber, Body::kSemicolon, Section::kTop, kPaddingReason,
     "maximum_length NUMBER;"},
    {"strict_check", kIgnored, kWord, Body::kSemicolon, Section::kTop, kPaddingReason,
     "strict_check on|off;"},
    {"exclusive_tail", kIgnored, kWord, Body::kSemicolon, Section::kTop, kPaddingReason,
     "exclusive_tail on|off;"},
};

constexpr DirectiveSpec kRemoteDirectives[] = {
    {"remote_address", kImplemented, kAddressPort, Body::kSemicolon, Section::kTop, "",
     "remote_address ADDRESS;"},
    {"exchange_mode", kImplemented, kWordList, Body::kSemicolon, Section::kTop, "",
     "exchange_mode main[, aggressive][, base];"},
    {"doi", kImplemented, kWord, Body::kSemicolon, Section::kTop, "", "doi ipsec_doi;"},
    {"situation", kImplemented, kWord, Body::kSemicolon, Section::kTop, "",
     "situation identity_only;"},
    {"my_identifier", kImplemented, kIdentifier, Body::kSemicolon, Section::kTop, "",
     "my_identifier asn1dn|address|fqdn|user_fqdn|keyid [VALUE];"},
    {"xauth_login", kUnsupported, kAnything, Body::kSemicolon, Section::kTop, kXauthReason,
     "xauth_login \"LOGIN\";"},
    {"peers_identifier", kImplemented, kIdentifier, Body::kSemicolon, Section::kTop, "",
     "peers_identifier asn1dn|address|fqdn|user_fqdn|keyid [VALUE];"},
    {"verify_identifier", kImplemented, kWord, Body::kSemicolon, Section::kTop, "",
     "verify_identifier on|off;"},
    {"certificate_type", kImplemented, kCertificate, Body::kSemicolon, Section::kTop, "",
     "certificate_type x509 \"CERT\" \"KEY\";"},
    {"ca_type", kImplemented, kCaCertificate, Body::kSemicolon, Section::kTop, "",
     "ca_type x509 \"CA_CERT\";"},
    {"peers_certfile", kImplemented, kAnything, Body::kSemicolon, Section::kTop, "",
     "peers_certfile x509 \"CERT\";"},
    {"verify_cert", kImplemented, kWord, Body::kSemicolon, Section::kTop, "",
     "verify_cert on|off;"},
    {"send_cert", kImplemented, kWord, Body::kSemicolon, Section::kTop, "", "send_cert on|off;"},
    {"send_cr", kImplemented, kWord, Body::kSemicolon, Section::kTop, "", "send_cr on|off;"},
    {"match_empty_cr", kIgnored, kWord, Body::kSemicolon, Section::kTop,
     "ipop-espd picks the remote section by peer address only, so a certificate request never "
     "changes the choice",
     "match_empty_cr on|off;"},
    {"dh_group", kMisplaced, kDhGroup, Body::kSemicolon, Section::kTop,
     "racoon reads dh_group only inside a proposal block; move it into proposal { ... }",
     "dh_group GROUP;"},
    {"nonce_size", kImplemented, kNumber, Body::kSemicolon, Section::kTop, "", "nonce_size BYTES;"},
    {"generate_policy", kImplemented, kWord, Body::kSemicolon, Section::kTop, "",
     "generate_policy on|off|require|unique;"},
    {"support_proxy", kOffOnly, kWord, Body::kSemicolon, Section::kTop,
     "Quick Mode IDs other than the SA endpoints (proxy IDs) are not implemented",
     "support_proxy off;"},
    {"initial_contact", kImplemented, kWord, Body::kSemicolon, Section::kTop, "",
     "initial_contact on|off;"},
    {"nat_traversal", kImplemented, kWord, Body::kSemicolon, Section::kTop, "",
     "nat_traversal on|off|force;"},
    {"proposal_check", kImplemented, kWord, Body::kSemicolon, Section::kTop, "",
     "proposal_check obey|strict|claim|exact;"},
    {"passive", kImplemented, kWord, Body::kSemicolon, Section::kTop, "", "passive on|off;"},
    {"lifetime", kImplemented, kLifetime, Body::kSemicolon, Section::kTop, "",
     "lifetime time NUMBER sec|min|hour;"},
    {"dpd", kImplemented, kWord, Body::kSemicolon, Section::kTop, "", "dpd on|off;"},
    {"dpd_delay", kImplemented, kNumber, Body::kSemicolon, Section::kTop, "",
     "dpd_delay SECONDS;"},
    {"dpd_retry", kImplemented, kNumber, Body::kSemicolon, Section::kTop, "",
     "dpd_retry SECONDS;"},
    {"dpd_maxfail", kImplemented, kNumber, Body::kSemicolon, Section::kTop, "",
     "dpd_maxfail NUMBER;"},
    {"rekey", kImplemented, kWord, Body::kSemicolon, Section::kTop, "", "rekey on|off|force;"},
    {"ph1id", kUnsupported, kNumber, Body::kSemicolon, Section::kTop,
     "linking remote and sainfo sections by number is not implemented", "ph1id NUMBER;"},
    {"ike_frag", kImplemented, kWord, Body::kSemicolon, Section::kTop, "",
     "ike_frag on|off|force;"},
    {"esp_frag", kUnsupported, kNumber, Body::kSemicolon, Section::kTop,
     "ESP pre-fragmentation is for tunnel mode behind NAT, which is not implemented",
     "esp_frag BYTES;"},
    {"script", kImplemented, kScript, Body::kSemicolon, Section::kTop, "",
     "script \"FILE\" phase1_up|phase1_down|phase1_dead;"},
    {"mode_cfg", kOffOnly, kWord, Body::kSemicolon, Section::kTop, kXauthReason, "mode_cfg off;"},
    {"weak_phase1_check", kOffOnly, kWord, Body::kSemicolon, Section::kTop,
     "unencrypted Delete messages during phase 1 are always ignored", "weak_phase1_check off;"},
    {"proposal", kImplemented, kNone, Body::kBlock, Section::kProposal, "", "proposal { ... }"},
};

constexpr DirectiveSpec kProposalDirectives[] = {
    {"encryption_algorithm", kImplemented, kAlgorithm, Body::kSemicolon, Section::kTop, "",
     "encryption_algorithm 3des|aes [128|256];"},
    {"hash_algorithm", kImplemented, kAlgorithm, Body::kSemicolon, Section::kTop, "",
     "hash_algorithm sha1|sha256|sha384|sha512;"},
    {"authentication_method", kImplemented, kAlgorithm, Body::kSemicolon, Section::kTop, "",
     "authentication_method rsasig|pre_shared_key;"},
    {"dh_group", kImplemented, kDhGroup, Body::kSemicolon, Section::kTop, "",
     "dh_group modp768|modp1024|modp1536|modp2048|modp3072|modp4096|modp6144|modp8192|ecp256|ecp384;"},
    {"lifetime", kImplemented, kLifetime, Body::kSemicolon, Section::kTop, "",
     "lifetime time NUMBER sec|min|hour;"},
    {"gss_id", kUnsupported, kString, Body::kSemicolon, Section::kTop,
     "GSS-API authentication is not implemented", "gss_id \"ID\";"},
    {"gssapi_id", kUnsupported, kString, Body::kSemicolon, Section::kTop,
     "GSS-API authentication is not implemented", "gssapi_id \"ID\";"},
};

constexpr DirectiveSpec kSainfoDirectives[] = {
    {"pfs_group", kImplemented, kDhGroup, Body::kSemicolon, Section::kTop, "",
     "pfs_group modp768|modp1024|modp1536|modp2048|modp3072|modp4096|modp6144|modp8192|ecp256|ecp384;"},
    {"lifetime", kImplemented, kLifetime, Body::kSemicolon, Section::kTop, "",
     "lifetime time NUMBER sec|min|hour; or lifetime byte NUMBER B|KB|MB|GB;"},
    {"encryption_algorithm", kImplemented, kAlgorithmList, Body::kSemicolon, Section::kTop, "",
     "encryption_algorithm ALGORITHM [KEY_BITS][, ...];"},
    {"authentication_algorithm", kImplemented, kAlgorithmList, Body::kSemicolon, Section::kTop, "",
     "authentication_algorithm hmac_sha1|hmac_sha256|hmac_sha384|hmac_sha512[, ...];"},
    {"compression_algorithm", kImplemented, kAlgorithmList, Body::kSemicolon, Section::kTop, "",
     "compression_algorithm deflate;"},
    {"remoteid", kUnsupported, kNumber, Body::kSemicolon, Section::kTop,
     "linking remote and sainfo sections by number is not implemented", "remoteid NUMBER;"},
    {"my_identifier", kUnsupported, kIdentifier, Body::kSemicolon, Section::kTop,
     "a per-sainfo phase 1 identifier is not implemented; set my_identifier in the remote "
     "section",
     "my_identifier TYPE VALUE;"},
};

constexpr DirectiveSpec kAnyDirective = {
    "", kUnsupported, kAnything, Body::kSemicolon, Section::kAnything, "", ""};

std::span<const DirectiveSpec> Directives(Section section) {
  switch (section) {
    case Section::kTop:
      return kTopDirectives;
    case Section::kListen:
      return kListenDirectives;
    case Section::kTimer:
      return kTimerDirectives;
    case Section::kPadding:
      return kPaddingDirectives;
    case Section::kRemote:
      return kRemoteDirectives;
    case Section::kProposal:
      return kProposalDirectives;
    case Section::kSainfo:
      return kSainfoDirectives;
    case Section::kAnything:
      return {};
  }
  return {};
}

}  // namespace

const DirectiveSpec* FindDirective(Section section, std::string_view name) {
  if (section == Section::kAnything) {
    return &kAnyDirective;
  }
  for (const DirectiveSpec& spec : Directives(section)) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

std::vector<std::string> DirectiveNames(Section section) {
  std::vector<std::string> names;
  for (const DirectiveSpec& spec : Directives(section)) {
    names.emplace_back(spec.name);
  }
  return names;
}

const char* SectionName(Section section) {
  switch (section) {
    case Section::kTop:
      return "the top level";
    case Section::kListen:
      return "listen";
    case Section::kTimer:
      return "timer";
    case Section::kPadding:
      return "padding";
    case Section::kRemote:
      return "remote";
    case Section::kProposal:
      return "proposal";
    case Section::kSainfo:
      return "sainfo";
    case Section::kAnything:
      return "a block";
  }
  return "?";
}

const std::vector<Section>& NamedSections() {
  static const std::vector<Section> sections = {
      Section::kTop,    Section::kListen,   Section::kTimer, Section::kPadding,
      Section::kRemote, Section::kProposal, Section::kSainfo};
  return sections;
}

}  // namespace ipop::config
