#include "daemon/control_format.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>

#include "config/runtime_config.h"

namespace ipop::daemon {

namespace {

std::string CookieHex(uint64_t cookie) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016" PRIx64, cookie);
  return text;
}

// "udp-encap 4500->31000": the UDP ports of the SA's packets, with the
// peer's port as the datapath last saw it. "via ADDRESS" follows when the
// peer's UDP address is no longer the SA's peer address.
std::string FormatEncapsulation(const esp::EspSaStatus& sa) {
  uint16_t source_port = sa.encapsulation->source_port;
  uint16_t destination_port = sa.encapsulation->destination_port;
  const Ipv4Address peer = sa.inbound ? sa.source : sa.destination;
  std::string text;
  if (sa.udp_peer) {
    (sa.inbound ? source_port : destination_port) = sa.udp_peer->port;
  }
  text = "udp-encap " + std::to_string(source_port) + "->" + std::to_string(destination_port);
  if (sa.udp_peer && sa.udp_peer->address != peer) {
    text += " via " + sa.udp_peer->address.ToString();
  }
  return text;
}

std::string SpiText(uint32_t spi) {
  char text[32];
  // racoon's form: decimal, then hexadecimal in parentheses.
  std::snprintf(text, sizeof(text), "%" PRIu32 "(0x%08" PRIx32 ")", spi, spi);
  return text;
}

const char* AuthMethodName(config::AuthMethod method) {
  switch (method) {
    case config::AuthMethod::kPreSharedKey:
      return "pre_shared_key";
    case config::AuthMethod::kRsaSignature:
      return "rsasig";
  }
  return "unknown";
}

std::string PortText(uint16_t port) { return port == esp::kAnyPort ? "any" : std::to_string(port); }

std::string ProtocolText(uint8_t protocol) {
  switch (protocol) {
    case esp::kAnyProtocol:
      return "any";
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    default:
      return std::to_string(protocol);
  }
}

const char* LevelName(esp::IpsecLevel level) {
  switch (level) {
    case esp::IpsecLevel::kRequire:
      return "require";
    case esp::IpsecLevel::kUse:
      return "use";
    case esp::IpsecLevel::kUnique:
      return "unique";
    case esp::IpsecLevel::kDefault:
      return "default";
  }
  return "?";
}

// setkey's algorithm names (ipsec-tools 0.8 setkey -D).
const char* SetkeyCipherName(crypto::EspCipher cipher) {
  switch (cipher) {
    case crypto::EspCipher::kNull:
      return "null";
    case crypto::EspCipher::k3desCbc:
      return "3des-cbc";
    case crypto::EspCipher::kAesCbc:
      return "aes-cbc";
    case crypto::EspCipher::kAesGcm16:
      return "aes-gcm-16";
  }
  return "?";
}

const char* SetkeyIntegrityName(crypto::EspIntegrity integrity) {
  switch (integrity) {
    case crypto::EspIntegrity::kNone:
      return "none";
    case crypto::EspIntegrity::kHmacSha1_96:
      return "hmac-sha1";
    case crypto::EspIntegrity::kHmacSha256_128:
    case crypto::EspIntegrity::kHmacSha256_96:
      return "hmac-sha256";
    case crypto::EspIntegrity::kHmacSha384_192:
      return "hmac-sha384";
    case crypto::EspIntegrity::kHmacSha512_256:
      return "hmac-sha512";
  }
  return "?";
}

const char* SetkeyActionName(esp::PolicyAction action) {
  switch (action) {
    case esp::PolicyAction::kIpsec:
      return "ipsec";
    case esp::PolicyAction::kBypass:
      return "none";
    case esp::PolicyAction::kDiscard:
      return "discard";
  }
  return "?";
}

// "Dec  4 19:52:51 2026", local time, as setkey prints it.
std::string SetkeyTime(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[32];
  std::strftime(text, sizeof(text), "%b %e %H:%M:%S %Y", &local);
  return text;
}

}  // namespace

std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  for (size_t column = 0; column < header.size(); ++column) {
    widths[column] = header[column].size();
    for (const auto& row : rows) {
      if (column < row.size()) {
        widths[column] = std::max(widths[column], row[column].size());
      }
    }
  }

  auto format_row = [&widths](const std::vector<std::string>& cells) {
    std::string line = "  ";
    for (size_t column = 0; column < cells.size() && column < widths.size(); ++column) {
      line += cells[column];
      if (column + 1 < cells.size()) {
        line.append(widths[column] - cells[column].size() + 2, ' ');
      }
    }
    line += '\n';
    return line;
  };

  std::string text = format_row(header);
  for (const auto& row : rows) {
    text += format_row(row);
  }
  return text;
}

std::string FormatAge(std::chrono::seconds age) {
  const int64_t total = std::max<int64_t>(0, age.count());
  char text[32];
  if (total < 60) {
    std::snprintf(text, sizeof(text), "%" PRId64 "s", total);
  } else if (total < 3600) {
    std::snprintf(text, sizeof(text), "%" PRId64 "m%02" PRId64 "s", total / 60, total % 60);
  } else if (total < 86400) {
    std::snprintf(text, sizeof(text), "%" PRId64 "h%02" PRId64 "m", total / 3600, total % 3600 / 60);
  } else {
    std::snprintf(text, sizeof(text), "%" PRId64 "d%02" PRId64 "h", total / 86400, total % 86400 / 3600);
  }
  return text;
}

std::string FormatIkeCipher(crypto::IkeCipher cipher, size_t key_bits) {
  std::string name = crypto::IkeCipherName(cipher);
  if (cipher == crypto::IkeCipher::kAesCbc && key_bits != 0) {
    name += "-" + std::to_string(key_bits);
  }
  return name;
}

std::string FormatEspCipher(crypto::EspCipher cipher, size_t key_bits) {
  std::string name = crypto::EspCipherName(cipher);
  const bool is_aes = cipher == crypto::EspCipher::kAesCbc || cipher == crypto::EspCipher::kAesGcm16;
  if (is_aes && key_bits != 0) {
    name += "-" + std::to_string(key_bits);
  }
  return name;
}

std::string FormatPolicyRule(const esp::Policy& policy) {
  const esp::Selector& selector = policy.selector;
  std::string text = selector.source.ToString() + "[" + PortText(selector.source_port) + "] " +
                     selector.destination.ToString() + "[" + PortText(selector.destination_port) +
                     "] " + ProtocolText(selector.protocol) + " -P " +
                     esp::PolicyDirectionName(policy.direction) + " ";
  switch (policy.action) {
    case esp::PolicyAction::kBypass:
      return text + "none";
    case esp::PolicyAction::kDiscard:
      return text + "discard";
    case esp::PolicyAction::kIpsec:
      break;
  }
  text += "ipsec esp/";
  if (policy.mode == esp::IpsecMode::kTunnel) {
    text += "tunnel/" + policy.tunnel_source.ToString() + "-" + policy.tunnel_destination.ToString();
  } else {
    text += "transport/";
  }
  text += "/";
  text += LevelName(policy.level);
  return text;
}

namespace {

// Returns the side that NAT detection found behind a NAT, in racoon's words for the
// sides ("ME", "PEER"); "-" when neither is or NAT-T was not negotiated.
std::string BehindNatText(const ike::IsakmpSaStatus& sa) {
  if (sa.nat_detected_local && sa.nat_detected_peer) {
    return "me+peer";
  }
  if (sa.nat_detected_local) {
    return "me";
  }
  return sa.nat_detected_peer ? "peer" : "-";
}

}  // namespace

std::string FormatIsakmpSas(const std::vector<ike::IsakmpSaStatus>& sas) {
  std::string text = "ISAKMP SAs: " + std::to_string(sas.size()) + "\n";
  if (sas.empty()) {
    return text;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& sa : sas) {
    const std::string algorithms = FormatIkeCipher(sa.cipher, sa.key_bits) + " " +
                                   crypto::HashName(sa.hash) + " " + crypto::DhGroupName(sa.dh_group) +
                                   " " + AuthMethodName(sa.auth_method);
    rows.push_back({sa.remote.ToString(), sa.local.ToString(),
                    CookieHex(sa.cookie_i) + ":" + CookieHex(sa.cookie_r),
                    sa.initiator ? "initiator" : "responder", sa.state, algorithms,
                    BehindNatText(sa), FormatAge(sa.age)});
  }
  text += FormatTable({"peer", "local", "cookies (i:r)", "role", "state", "algorithms", "behind NAT", "age"},
                      rows);
  return text;
}

std::string FormatEspSas(const std::vector<esp::EspSaStatus>& sas,
                         std::chrono::system_clock::time_point now) {
  std::string text = "ESP SAs: " + std::to_string(sas.size()) + "\n";
  if (sas.empty()) {
    return text;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& sa : sas) {
    const Ipv4Address peer = sa.inbound ? sa.source : sa.destination;
    std::string algorithms = FormatEspCipher(sa.cipher, sa.aes_key_bits);
    if (sa.cipher != crypto::EspCipher::kAesGcm16) {
      algorithms += std::string(" ") + crypto::EspIntegrityName(sa.integrity);
    }
    if (sa.encapsulation) {
      algorithms += " " + FormatEncapsulation(sa);
    }
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - sa.created);
    rows.push_back({peer.ToString(), SpiText(sa.spi), sa.inbound ? "in" : "out",
                    sa.mode == esp::IpsecMode::kTunnel ? "tunnel" : "transport", algorithms,
                    FormatAge(age), std::to_string(sa.bytes), std::to_string(sa.packets),
                    sa.backend});
  }
  text += FormatTable(
      {"peer", "spi", "dir", "mode", "algorithms", "age", "bytes", "packets", "backend"}, rows);
  return text;
}

std::string FormatPolicies(const std::vector<esp::Policy>& policies) {
  std::string text = "Policies: " + std::to_string(policies.size()) + "\n";
  if (policies.empty()) {
    return text;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& policy : policies) {
    rows.push_back({std::to_string(policy.id), FormatPolicyRule(policy), policy.origin});
  }
  text += FormatTable({"id", "policy", "origin"}, rows);
  return text;
}

std::string FormatPolicies(const std::vector<esp::Policy>& policies, std::string_view carrier) {
  std::string text = "Policies: " + std::to_string(policies.size()) + "\n";
  if (policies.empty()) {
    return text;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& policy : policies) {
    rows.push_back(
        {std::to_string(policy.id), FormatPolicyRule(policy), policy.origin, std::string(carrier)});
  }
  text += FormatTable({"id", "policy", "origin", "backend"}, rows);
  return text;
}

std::string FormatSetkeySas(const std::vector<esp::EspSaStatus>& sas,
                            std::chrono::system_clock::time_point now) {
  std::string text;
  for (const auto& sa : sas) {
    std::string source = sa.source.ToString();
    std::string destination = sa.destination.ToString();
    if (sa.encapsulation) {
      source += "[" + std::to_string(sa.encapsulation->source_port) + "]";
      destination += "[" + std::to_string(sa.encapsulation->destination_port) + "]";
    }
    text += source + " " + destination + " \n";
    text += std::string("\tesp mode=") +
            (sa.mode == esp::IpsecMode::kTunnel ? "tunnel" : "transport") +
            " spi=" + SpiText(sa.spi) + "\n";
    text += std::string("\tE: ") + SetkeyCipherName(sa.cipher) + "\n";
    if (sa.cipher != crypto::EspCipher::kAesGcm16 && sa.integrity != crypto::EspIntegrity::kNone) {
      text += std::string("\tA: ") + SetkeyIntegrityName(sa.integrity) + "\n";
    }
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - sa.created);
    text += "\tcreated: " + SetkeyTime(sa.created) + "\tcurrent: " + SetkeyTime(now) + "\n";
    text += "\tdiff: " + std::to_string(age.count()) + "(s)\n";
    text += "\tcurrent: " + std::to_string(sa.bytes) + "(bytes)\n";
    text += "\tallocated: " + std::to_string(sa.packets) + "\n";
  }
  return text;
}

std::string FormatSetkeyPolicies(const std::vector<esp::Policy>& policies) {
  std::string text;
  for (const auto& policy : policies) {
    const esp::Selector& selector = policy.selector;
    text += selector.source.ToString() + "[" + PortText(selector.source_port) + "] " +
            selector.destination.ToString() + "[" + PortText(selector.destination_port) + "] " +
            std::to_string(selector.protocol) + "\n";
    text += std::string("\t") + esp::PolicyDirectionName(policy.direction) + " prio def " +
            SetkeyActionName(policy.action) + "\n";
    if (policy.action == esp::PolicyAction::kIpsec) {
      text += "\tesp/";
      if (policy.mode == esp::IpsecMode::kTunnel) {
        text += "tunnel/" + policy.tunnel_source.ToString() + "-" +
                policy.tunnel_destination.ToString();
      } else {
        text += "transport/";
      }
      text += std::string("/") + LevelName(policy.level) + "\n";
    }
    text += "\tlifetime: 0(s) validtime: 0(s)\n";
  }
  return text;
}

std::string ControlOkReply(std::string_view body) {
  std::string reply(kControlOk);
  reply += '\n';
  reply += body;
  return reply;
}

std::string ControlErrorReply(std::string_view reason) {
  std::string reply(kControlError);
  reply += ' ';
  reply += reason;
  reply += '\n';
  return reply;
}

}  // namespace ipop::daemon
