// The racoon.conf directives of ipsec-tools by section, with the argument
// shape the parser expects and whether ipop-espd implements, ignores or
// rejects each one. They were read from racoon.conf(5) and the keyword list
// (cftoken.l) of the ipsec-tools 0.9.1 fork that continues 0.8.2.
// docs/racoon-compat.md lists the same table for operators.
#ifndef IPOP_CONFIG_RACOON_GRAMMAR_H_
#define IPOP_CONFIG_RACOON_GRAMMAR_H_

#include <string>
#include <string_view>
#include <vector>

namespace ipop::config {

enum class Section {
  kTop,
  kListen,
  kTimer,
  kPadding,
  kRemote,
  kProposal,
  kSainfo,
  kAnything,  // body of a rejected block (privsep, mode_cfg, ...): any statements
};

enum class Support {
  kImplemented,
  kIgnored,      // parsed, then ignored; `reason` explains why that is safe
  kOffOnly,      // "off" is accepted (it is what ipop-espd does); "on" is rejected
  kUnsupported,  // rejected with "not supported yet: reason"
  kMisplaced,    // racoon itself rejects it here; `reason` names where it belongs
};

// Argument shape: the tokens between the directive name and ";" or "{".
enum class Shape {
  kNone,            // strict_address;
  kWord,            // on | off | notify | ipsec_doi ...
  kNumber,          // counter 5;
  kString,          // include "file";
  kNumberWithUnit,  // interval 10 sec;
  kPath,            // path certificate "/etc/racoon/certs";
  kLifetime,        // lifetime time 8 hour;
  kAlgorithm,       // encryption_algorithm aes 256;
  kAlgorithmList,   // encryption_algorithm aes 128, 3des;
  kDhGroup,         // dh_group modp1024; or dh_group 2;
  kWordList,        // exchange_mode main, aggressive;
  kIdentifier,      // my_identifier asn1dn; my_identifier fqdn "host.example";
  kCertificate,     // certificate_type x509 "cert.pem" "key.pem";
  kCaCertificate,   // ca_type x509 "rootCA.pem";
  kAddressPort,     // isakmp 10.0.0.1 [500];
  kPortOnly,        // admin [7002];
  kAdminsock,       // adminsock "/run/racoon.sock" ["owner" "group" mode]; or disabled
  kScript,          // script "up.sh" phase1_up;
  kRemoteHeader,    // remote anonymous [port] [inherit PARENT]
  kSainfoHeader,    // sainfo anonymous | ID ID [from IDTYPE VALUE] [group "name"]
  kAnything,        // any tokens up to ";" or "{"
};

enum class Body { kSemicolon, kBlock };

struct DirectiveSpec {
  std::string_view name;
  Support support;
  Shape shape;
  Body body;
  Section child;  // section of the block; only when body is kBlock
  // For kIgnored, kOffOnly, kUnsupported and kMisplaced: the reason shown
  // to the operator.
  std::string_view reason;
  std::string_view usage;  // "encryption_algorithm ALGORITHM [KEY_BITS];"
};

// The spec of `name` in `section`, or nullptr when racoon has no such
// directive there. In kAnything every name is accepted with a generic spec.
const DirectiveSpec* FindDirective(Section section, std::string_view name);

// Every directive name of `section`, for suggestions.
std::vector<std::string> DirectiveNames(Section section);

// "proposal", "remote", "top level" for messages.
const char* SectionName(Section section);

// Every section except kAnything, for "belongs in ..." messages.
const std::vector<Section>& NamedSections();

}  // namespace ipop::config

#endif  // IPOP_CONFIG_RACOON_GRAMMAR_H_
