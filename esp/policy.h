// Security policy entries (the SPD), as setkey's spdadd describes them.
#ifndef IPOP_ESP_POLICY_H_
#define IPOP_ESP_POLICY_H_

#include <cstdint>
#include <string>

#include "base/ip_address.h"

namespace ipop::esp {

enum class PolicyDirection { kIn, kOut, kFwd };
enum class PolicyAction { kIpsec, kBypass /* setkey "none" */, kDiscard };
enum class IpsecMode { kTransport, kTunnel };
// setkey levels: "require" needs an SA; "use" sends in clear while none exists.
enum class IpsecLevel { kRequire, kUse, kUnique, kDefault };

inline constexpr uint8_t kAnyProtocol = 255;  // setkey "any" (IPSEC_ULPROTO_ANY)
inline constexpr uint16_t kAnyPort = 0;       // setkey "[any]"

struct Selector {
  Ipv4Prefix source;
  Ipv4Prefix destination;
  uint8_t protocol = kAnyProtocol;
  uint16_t source_port = kAnyPort;
  uint16_t destination_port = kAnyPort;

  bool Matches(Ipv4Address src, Ipv4Address dst, uint8_t proto, uint16_t sport,
               uint16_t dport) const;
  bool operator==(const Selector&) const = default;
};

struct Policy {
  uint32_t id = 0;  // assigned by the SPD when added
  Selector selector;
  PolicyDirection direction = PolicyDirection::kOut;
  PolicyAction action = PolicyAction::kIpsec;
  IpsecMode mode = IpsecMode::kTransport;
  IpsecLevel level = IpsecLevel::kRequire;
  // Tunnel endpoints from "esp/tunnel/A-B/require"; unused in transport mode.
  Ipv4Address tunnel_source;
  Ipv4Address tunnel_destination;
  // "file:line" of the spdadd that made it, for logs and `ipop-esp spd`.
  std::string origin;
};

const char* PolicyDirectionName(PolicyDirection direction);  // "in", "out", "fwd"

}  // namespace ipop::esp

#endif  // IPOP_ESP_POLICY_H_
