// Recursive-descent parser for setkey(8) scripts, following the setkey
// manual of the ipsec-tools 0.9.1 fork that made the test vectors:
//   spdadd [-46n] SRC_RANGE DST_RANGE UPPERSPEC -P DIRECTION POLICY;
//   spddelete [-46n] SRC_RANGE DST_RANGE UPPERSPEC -P DIRECTION [POLICY];
//   spdflush;  flush [PROTOCOL];
//   add [-46n] SRC DST PROTOCOL SPI [EXTENSIONS] ALGORITHMS;
//   delete [-46n] SRC DST PROTOCOL SPI;
// where a range is ADDRESS[/PREFIXLEN][[PORT]] and POLICY is
// "discard", "none" or "ipsec esp/transport//require" and its variants.
#include "config/setkey_script.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/log.h"
#include "config/setkey_lexer.h"
#include "config/suggestion.h"

namespace ipop::config {
namespace {

using Kind = SetkeyToken::Kind;

constexpr uint64_t kMaxPort = 65535;
constexpr uint64_t kMaxProtocol = 255;
constexpr uint64_t kMaxSpi = 0xffffffff;

struct NamedProtocol {
  std::string_view name;
  uint8_t number;
};

// IANA protocol numbers for the names that /etc/protocols uses.
constexpr NamedProtocol kProtocols[] = {
    {"icmp", 1}, {"igmp", 2}, {"ipip", 4}, {"tcp", 6},      {"udp", 17},
    {"gre", 47}, {"esp", 50}, {"ah", 51},  {"ipcomp", 108}, {"sctp", 132},
};

bool ParseDecimal(std::string_view text, uint64_t max, uint64_t& value) {
  if (text.empty() || text.size() > 10 ||
      text.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  value = std::stoull(std::string(text));
  return value <= max;
}

SourceLocation Offset(const SourceLocation& location, size_t offset) {
  return {location.file, location.line, location.column + static_cast<int>(offset)};
}

class SetkeyParser {
 public:
  SetkeyParser(std::string_view text, const std::string& file)
      : file_(file), tokens_(TokenizeSetkey(text, file)) {}

  SetkeyScript Run() {
    while (Peek().kind != Kind::kEnd) {
      ParseStatement();
    }
    return std::move(script_);
  }

 private:
  const SetkeyToken& Peek() const { return tokens_[pos_]; }
  const SetkeyToken& Take() {
    const SetkeyToken& token = tokens_[pos_];
    if (token.kind != Kind::kEnd) {
      ++pos_;
    }
    return token;
  }
  const SetkeyToken& Last() const { return tokens_[pos_ == 0 ? 0 : pos_ - 1]; }

  [[noreturn]] void Fail(const SourceLocation& location, const std::string& reason) const {
    throw ConfigError(location, reason);
  }

  // Takes the next token, which must be a word; `expected` names it in errors.
  const SetkeyToken& TakeWord(const std::string& command, const std::string& expected) {
    const SetkeyToken& token = Peek();
    if (token.kind == Kind::kWord) {
      return Take();
    }
    if (token.EndsStatement()) {
      Fail(token.location, "missing " + expected + " in " + command);
    }
    Fail(token.location,
         "expected " + expected + " in " + command + ", found \"" + token.text + "\"");
  }

  void ExpectSemicolon(const std::string& command) {
    const SetkeyToken& next = Peek();
    if (next.kind == Kind::kSemicolon) {
      Take();
      return;
    }
    const SetkeyToken& last = Last();
    if (next.kind == Kind::kEnd || next.location.line > last.end_line) {
      Fail({file_, last.end_line, last.end_column},
           "missing \";\" after \"" + last.text + "\"; end the " + command + " command with \";\"");
    }
    Fail(next.location, "unexpected \"" + next.text + "\" in " + command + "; expected \";\"");
  }

  void ParseStatement();
  void ParseSpd(const SetkeyToken& command, SetkeyCommandType type);
  void SkipAddressFamilyFlags(const std::string& command);
  Ipv4Prefix ParseRange(const SetkeyToken& token, uint16_t& port, bool allow_prefix);
  Ipv4Address ParseAddress(const SetkeyToken& token, std::string_view text, size_t offset);
  uint8_t ParseUpperspec(const SetkeyToken& token);
  void ParsePolicy(const std::string& command, bool direction_only, esp::Policy& policy);
  void ParseRule(const SetkeyToken& token, esp::Policy& policy);
  esp::IpsecLevel ParseLevel(const std::string& level, const SourceLocation& location) const;
  void ParseManualSa(const SetkeyToken& command);
  void ParseSaExtensionsAndAlgorithms(const std::string& command);
  void ParseKey(const std::string& command, const std::string& option);

  const std::string& file_;
  std::vector<SetkeyToken> tokens_;
  size_t pos_ = 0;
  SetkeyScript script_;
};

void SetkeyParser::ParseStatement() {
  const SetkeyToken& command = Peek();
  if (command.kind != Kind::kWord) {
    Fail(command.location,
         "expected a setkey command (spdadd, spddelete, spdflush, flush), "
         "found \"" +
             command.text + "\"");
  }
  Take();
  const std::string origin = command.location.Origin();
  if (command.text == "spdadd") {
    ParseSpd(command, SetkeyCommandType::kSpdAdd);
  } else if (command.text == "spddelete") {
    ParseSpd(command, SetkeyCommandType::kSpdDelete);
  } else if (command.text == "spdflush") {
    ExpectSemicolon("spdflush");
    script_.commands.push_back({SetkeyCommandType::kSpdFlush, {}, "", origin});
  } else if (command.text == "flush") {
    SetkeyCommand flush{SetkeyCommandType::kFlush, {}, "", origin};
    if (Peek().kind == Kind::kWord) {
      const SetkeyToken& protocol = Take();
      static const std::vector<std::string> kTypes = {"esp",     "ah",     "ipcomp",
                                                      "esp-old", "ah-old", "tcp"};
      if (std::ranges::find(kTypes, protocol.text) == kTypes.end()) {
        Fail(protocol.location, "unknown SA type \"" + protocol.text + "\" after flush" +
                                    DidYouMean(protocol.text, kTypes) +
                                    "; use esp, ah, ipcomp or nothing for all");
      }
      flush.flush_protocol = protocol.text;
    }
    ExpectSemicolon("flush");
    script_.commands.push_back(flush);
  } else if (command.text == "add" || command.text == "delete") {
    ParseManualSa(command);
  } else if (command.text == "deleteall" || command.text == "get" || command.text == "dump" ||
             command.text == "spddump" || command.text == "update" || command.text == "spdupdate") {
    Fail(command.location, command.text +
                               " is not supported yet in a setkey script; use "
                               "spdadd, spddelete, spdflush or flush");
  } else {
    const std::string suggestion =
        DidYouMean(command.text, {"spdadd", "spddelete", "spdflush", "flush", "add", "delete"});
    Fail(command.location,
         "unknown setkey command \"" + command.text + "\"" +
             (suggestion.empty() ? "; use spdadd, spddelete, spdflush or flush" : suggestion));
  }
}

void SetkeyParser::SkipAddressFamilyFlags(const std::string& command) {
  while (Peek().kind == Kind::kWord && (Peek().Is("-4") || Peek().Is("-6") || Peek().Is("-n"))) {
    const SetkeyToken& flag = Take();
    if (flag.Is("-6")) {
      Fail(flag.location, command + " -6: IPv6 is not supported yet; use IPv4 addresses");
    }
  }
}

void SetkeyParser::ParseSpd(const SetkeyToken& command, SetkeyCommandType type) {
  const std::string& name = command.text;
  SetkeyCommand result{type, {}, "", command.location.Origin()};
  esp::Policy& policy = result.policy;
  policy.origin = result.origin;
  SkipAddressFamilyFlags(name);
  if (Peek().Is("tagged")) {
    Fail(Peek().location, name + " tagged (PF tags) is not supported yet; give address ranges");
  }

  const SetkeyToken& source = TakeWord(name, "a source range such as 10.0.0.0/24");
  policy.selector.source = ParseRange(source, policy.selector.source_port, true);
  const SetkeyToken& destination = TakeWord(name, "a destination range such as 10.0.0.0/24");
  policy.selector.destination = ParseRange(destination, policy.selector.destination_port, true);
  const SetkeyToken& upper = TakeWord(name,
                                      "an upper-layer protocol (any, icmp, tcp, udp or a "
                                      "number)");
  policy.selector.protocol = ParseUpperspec(upper);

  if (Peek().kind == Kind::kWord && Peek().text.find(',') != std::string::npos) {
    Fail(Peek().location,
         "ICMP type and code selectors are not supported yet; remove \"" + Peek().text + "\"");
  }
  if (!Peek().Is("-P")) {
    const SetkeyToken& next = Peek();
    if (next.EndsStatement()) {
      Fail(next.location, "missing policy in " + name +
                              "; add for example \"-P out ipsec "
                              "esp/transport//require\"");
    }
    Fail(next.location,
         "unexpected \"" + next.text + "\" in " + name + "; expected -P followed by the policy");
  }
  Take();
  ParsePolicy(name, type == SetkeyCommandType::kSpdDelete, policy);
  ExpectSemicolon(name);
  script_.commands.push_back(std::move(result));
}

// ADDRESS[/PREFIXLEN][[PORT]]; a missing port is "any".
Ipv4Prefix SetkeyParser::ParseRange(const SetkeyToken& token, uint16_t& port, bool allow_prefix) {
  std::string_view text = token.text;
  port = esp::kAnyPort;
  const size_t bracket = text.find('[');
  if (bracket != std::string_view::npos) {
    const std::string_view port_text = text.substr(bracket + 1);
    if (!port_text.ends_with(']')) {
      Fail(Offset(token.location, bracket), "port in \"" + token.text +
                                                "\" has no closing \"]\"; "
                                                "write it as 10.0.0.1[80]");
    }
    const std::string_view number = port_text.substr(0, port_text.size() - 1);
    uint64_t value = 0;
    if (number != "any" && !ParseDecimal(number, kMaxPort, value)) {
      Fail(Offset(token.location, bracket), "invalid port \"[" + std::string(number) + "]\" in \"" +
                                                token.text + "\"; use 0 to 65535 or any");
    }
    port = static_cast<uint16_t>(value);
    text = text.substr(0, bracket);
  }

  const size_t slash = text.find('/');
  Ipv4Prefix prefix{ParseAddress(token, text.substr(0, slash), 0), 32};
  if (slash != std::string_view::npos) {
    const std::string_view length = text.substr(slash + 1);
    uint64_t value = 0;
    if (!allow_prefix) {
      Fail(Offset(token.location, slash), "an SA address takes no prefix length; remove \"/" +
                                              std::string(length) + "\" from \"" + token.text +
                                              "\"");
    }
    if (!ParseDecimal(length, 32, value)) {
      Fail(Offset(token.location, slash + 1), "invalid prefix length \"" + std::string(length) +
                                                  "\" in \"" + token.text +
                                                  "\"; IPv4 prefix lengths are 0 to 32");
    }
    prefix.length = static_cast<uint8_t>(value);
  }

  // setkey hands the address to the kernel as written and the kernel masks
  // it. Warn, because "192.168.1.0/16" usually meant a /24.
  const Ipv4Address network(prefix.address.value() & prefix.Mask());
  if (network != prefix.address) {
    const std::string written(text);
    prefix.address = network;
    const std::string warning = token.location.Origin() + ": prefix " + written +
                                " has host bits set; setkey reads it as " + prefix.ToString();
    // "spdadd 192.168.1.0/16 192.168.1.0/16" would warn twice with the same
    // words; once per line is enough.
    if (std::find(script_.warnings.begin(), script_.warnings.end(), warning) == script_.warnings.end()) {
      IPOP_LOG(kWarning) << warning;
      script_.warnings.push_back(warning);
    }
  }
  return prefix;
}

Ipv4Address SetkeyParser::ParseAddress(const SetkeyToken& token, std::string_view text,
                                       size_t offset) {
  const SourceLocation location = Offset(token.location, offset);
  if (text.find(':') != std::string_view::npos) {
    Fail(location, "IPv6 address \"" + std::string(text) + "\" is not supported yet; use IPv4");
  }
  const std::optional<Ipv4Address> address = Ipv4Address::Parse(text);
  if (!address) {
    Fail(location, "invalid IPv4 address \"" + std::string(text) +
                       "\"; write four numbers from 0 to 255 such as 10.0.0.1 (host names are "
                       "not resolved)");
  }
  return *address;
}

uint8_t SetkeyParser::ParseUpperspec(const SetkeyToken& token) {
  if (token.text == "any") {
    return esp::kAnyProtocol;
  }
  uint64_t number = 0;
  if (ParseDecimal(token.text, kMaxProtocol, number)) {
    return static_cast<uint8_t>(number);
  }
  if (!token.text.empty() && token.text.find_first_not_of("0123456789") == std::string::npos) {
    Fail(token.location, "invalid protocol number " + token.text + "; use 0 to 255");
  }
  if (token.text == "icmp6" || token.text == "ipv6-icmp") {
    Fail(token.location, token.text + " is not supported yet because IPv6 is not; use icmp");
  }
  std::vector<std::string> names{"any"};
  for (const NamedProtocol& protocol : kProtocols) {
    if (protocol.name == token.text) {
      return protocol.number;
    }
    names.emplace_back(protocol.name);
  }
  const std::string suggestion = DidYouMean(token.text, names);
  Fail(token.location,
       "unknown upper-layer protocol \"" + token.text + "\"" +
           (suggestion.empty() ? "; use any, icmp, tcp, udp or a number 0-255" : suggestion));
}

// DIRECTION [discard | none | ipsec RULE]
void SetkeyParser::ParsePolicy(const std::string& command, bool direction_only,
                               esp::Policy& policy) {
  const SetkeyToken& direction = TakeWord(command, "a direction (in, out or fwd) after -P");
  if (direction.Is("in")) {
    policy.direction = esp::PolicyDirection::kIn;
  } else if (direction.Is("out")) {
    policy.direction = esp::PolicyDirection::kOut;
  } else if (direction.Is("fwd")) {
    policy.direction = esp::PolicyDirection::kFwd;
  } else {
    const std::string suggestion = DidYouMean(direction.text, {"in", "out", "fwd"});
    Fail(direction.location, "invalid direction \"" + direction.text + "\"" +
                                 (suggestion.empty() ? "; use in, out or fwd" : suggestion));
  }
  if (direction_only && Peek().EndsStatement()) {
    policy.level = esp::IpsecLevel::kDefault;
    return;
  }

  const SetkeyToken& action = TakeWord(command, "a policy (ipsec, none or discard)");
  if (action.Is("prio") || action.Is("priority")) {
    Fail(action.location,
         "policy priorities are not supported yet; remove \"" + action.text + "\" and its value");
  }
  if (action.Is("none")) {
    policy.action = esp::PolicyAction::kBypass;
    return;
  }
  if (action.Is("discard")) {
    policy.action = esp::PolicyAction::kDiscard;
    return;
  }
  if (action.Is("entrust") || action.Is("bypass")) {
    Fail(action.location, "policy " + action.text +
                              " is not supported yet; use ipsec, none or "
                              "discard");
  }
  if (!action.Is("ipsec")) {
    const std::string suggestion = DidYouMean(action.text, {"ipsec", "none", "discard"});
    Fail(action.location, "unknown policy \"" + action.text + "\"" +
                              (suggestion.empty() ? "; use ipsec, none or discard" : suggestion));
  }
  policy.action = esp::PolicyAction::kIpsec;
  ParseRule(TakeWord(command, "a rule such as esp/transport//require after ipsec"), policy);
  const SetkeyToken& next = Peek();
  if (next.kind == Kind::kWord &&
      (next.location.line == Last().end_line || next.text.find('/') != std::string::npos)) {
    Fail(next.location, "a second rule (an SA bundle) is not supported yet; keep one esp rule");
  }
}

// PROTOCOL/MODE/[SRC-DST]/[LEVEL]
void SetkeyParser::ParseRule(const SetkeyToken& token, esp::Policy& policy) {
  std::vector<std::string> parts;
  std::vector<size_t> offsets;
  size_t start = 0;
  while (true) {
    const size_t slash = token.text.find('/', start);
    parts.push_back(token.text.substr(start, slash - start));
    offsets.push_back(start);
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  if (parts.size() < 2 || parts.size() > 4) {
    Fail(token.location, "invalid rule \"" + token.text +
                             "\"; write it as "
                             "esp/transport//require");
  }
  if (parts[0] == "ah" || parts[0] == "ipcomp") {
    Fail(token.location, parts[0] + " is not supported yet; use esp");
  }
  if (parts[0] != "esp") {
    Fail(token.location,
         "unknown protocol \"" + parts[0] + "\" in rule \"" + token.text + "\"; use esp");
  }

  const SourceLocation mode_location = Offset(token.location, offsets[1]);
  const std::string endpoints = parts.size() > 2 ? parts[2] : "";
  if (parts[1] == "transport") {
    policy.mode = esp::IpsecMode::kTransport;
    if (!endpoints.empty()) {
      const std::string level = parts.size() > 3 ? parts[3] : "require";
      Fail(Offset(token.location, offsets[2]),
           "transport mode endpoints are not supported yet; write esp/transport//" + level);
    }
  } else if (parts[1] == "tunnel") {
    policy.mode = esp::IpsecMode::kTunnel;
    const size_t dash = endpoints.find('-');
    if (dash == std::string::npos) {
      Fail(Offset(token.location, parts.size() > 2 ? offsets[2] : offsets[1]),
           "tunnel mode needs endpoints; write esp/tunnel/SRC-DST/require");
    }
    policy.tunnel_source = ParseAddress(token, endpoints.substr(0, dash), offsets[2]);
    policy.tunnel_destination =
        ParseAddress(token, endpoints.substr(dash + 1), offsets[2] + dash + 1);
  } else {
    const std::string suggestion = DidYouMean(parts[1], {"transport", "tunnel"});
    Fail(mode_location, "unknown mode \"" + parts[1] + "\"" +
                            (suggestion.empty() ? "; use transport or tunnel" : suggestion));
  }

  const std::string level = parts.size() > 3 ? parts[3] : "";
  const SourceLocation level_location =
      parts.size() > 3 ? Offset(token.location, offsets[3]) : token.location;
  policy.level = ParseLevel(level, level_location);
}

// require | use | unique | default, or empty for default.
esp::IpsecLevel SetkeyParser::ParseLevel(const std::string& level,
                                         const SourceLocation& location) const {
  if (level.empty() || level == "default") {
    return esp::IpsecLevel::kDefault;
  }
  if (level == "require") {
    return esp::IpsecLevel::kRequire;
  }
  if (level == "use") {
    return esp::IpsecLevel::kUse;
  }
  if (level == "unique") {
    return esp::IpsecLevel::kUnique;
  }
  if (level.starts_with("unique:")) {
    Fail(location, "unique with a fixed reqid is not supported yet; write unique");
  }
  const std::string suggestion = DidYouMean(level, {"require", "use", "unique", "default"});
  Fail(location, "unknown level \"" + level + "\"" +
                     (suggestion.empty() ? "; use require, use, unique or default" : suggestion));
}

// Parses add and delete for their syntax, then rejects them: a manual SA
// would bypass IKE, and the kernel seam has no way to install one yet.
void SetkeyParser::ParseManualSa(const SetkeyToken& command) {
  const std::string& name = command.text;
  SkipAddressFamilyFlags(name);
  uint16_t port = 0;
  ParseRange(TakeWord(name, "a source address"), port, false);
  ParseRange(TakeWord(name, "a destination address"), port, false);
  const SetkeyToken& protocol = TakeWord(name, "an SA type (esp, ah or ipcomp)");
  static const std::vector<std::string> kTypes = {"esp",     "ah",     "ipcomp",
                                                  "esp-old", "ah-old", "tcp"};
  if (std::ranges::find(kTypes, protocol.text) == kTypes.end()) {
    Fail(protocol.location, "unknown SA type \"" + protocol.text + "\"" +
                                DidYouMean(protocol.text, kTypes) + "; use esp, ah or ipcomp");
  }
  const SetkeyToken& spi = TakeWord(name, "an SPI");
  uint64_t spi_value = 0;
  const bool hex = spi.text.starts_with("0x");
  if (hex ? (spi.text.size() < 3 || spi.text.size() > 10 ||
             spi.text.find_first_not_of("0123456789abcdefABCDEF", 2) != std::string::npos)
          : !ParseDecimal(spi.text, kMaxSpi, spi_value)) {
    Fail(spi.location, "invalid SPI \"" + spi.text + "\"; use a number up to 0xffffffff");
  }
  if (name == "add") {
    ParseSaExtensionsAndAlgorithms(name);
  }
  ExpectSemicolon(name);
  Fail(command.location, name +
                             " (a manual SA) is not supported yet: ipop-espd negotiates "
                             "every SA with IKE; remove the command");
}

void SetkeyParser::ParseSaExtensionsAndAlgorithms(const std::string& command) {
  static const std::vector<std::string> kNumberOptions = {"-r", "-u", "-lh", "-ls", "-bh", "-bs"};
  while (Peek().kind == Kind::kWord && Peek().text.starts_with("-")) {
    const SetkeyToken& option = Take();
    if (option.Is("-m")) {
      const SetkeyToken& mode = TakeWord(command, "a mode after -m");
      if (!mode.Is("transport") && !mode.Is("tunnel") && !mode.Is("any")) {
        Fail(mode.location, "invalid mode \"" + mode.text + "\"; use transport, tunnel or any");
      }
    } else if (std::ranges::find(kNumberOptions, option.text) != kNumberOptions.end()) {
      uint64_t value = 0;
      const SetkeyToken& number = TakeWord(command, "a number after " + option.text);
      if (!ParseDecimal(number.text, kMaxSpi, value)) {
        Fail(number.location, "invalid number \"" + number.text + "\" after " + option.text);
      }
    } else if (option.Is("-f")) {
      TakeWord(command, "a padding or sequence option after -f");
    } else if (option.Is("-E") || option.Is("-A")) {
      const SetkeyToken& algorithm = TakeWord(command, "an algorithm after " + option.text);
      if (!(option.Is("-E") && algorithm.Is("null"))) {
        ParseKey(command, option.text);
      }
    } else if (option.Is("-C")) {
      TakeWord(command, "a compression algorithm after -C");
      if (Peek().Is("-R")) {
        Take();
      }
    } else {
      Fail(option.location, "unknown option \"" + option.text + "\" in " + command);
    }
  }
}

// 0xHEX or "text".
void SetkeyParser::ParseKey(const std::string& command, const std::string& option) {
  const SetkeyToken& key = Peek();
  if (key.kind == Kind::kString) {
    Take();
    return;
  }
  if (key.kind == Kind::kWord && key.text.starts_with("0x") && key.text.size() > 2 &&
      key.text.find_first_not_of("0123456789abcdefABCDEF", 2) == std::string::npos) {
    Take();
    return;
  }
  Fail(key.location, "missing or invalid key after the " + option + " algorithm in " + command +
                         "; write 0x followed by hex digits or a quoted string");
}

}  // namespace

SetkeyScript ParseSetkeyText(std::string_view text, const std::string& filename) {
  return SetkeyParser(text, filename).Run();
}

SetkeyScript LoadSetkeyScript(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw ConfigError({path}, std::string("cannot open the setkey script: ") +
                                  std::strerror(errno) + "; check the --setkey path");
  }
  std::ostringstream text;
  text << file.rdbuf();
  return ParseSetkeyText(text.str(), path);
}

}  // namespace ipop::config
