#include "daemon/control_format.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "config/runtime_config.h"

namespace ipop::daemon {

namespace {

std::string CookieHex(uint64_t cookie) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016" PRIx64, cookie);
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
                    FormatAge(sa.age)});
  }
  text += FormatTable({"peer", "local", "cookies (i:r)", "role", "state", "algorithms", "age"}, rows);
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
      algorithms += " udp-encap";
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
