#include "esp/xfrm/netlink_attr.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <sys/socket.h>

#include <sstream>

namespace ipop::esp::xfrm {
namespace {

// Port mask meaning "this exact port" in a kernel selector.
constexpr uint16_t kExactPortMask = 0xffff;
// The kernel reads protocol 0 in a selector as "any".
constexpr uint8_t kSelectorAnyProtocol = 0;
// Template algorithm masks with every bit set accept any algorithm.
constexpr uint32_t kAnyAlgorithm = ~uint32_t{0};

std::string FormatAddress(const xfrm_address_t& address, uint8_t prefix_length) {
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &address.a4, text, sizeof(text));
  return std::string(text) + "/" + std::to_string(prefix_length);
}

std::string FormatPort(uint16_t port_network_order, uint16_t mask) {
  if (mask == 0) {
    return "[any]";
  }
  return "[" + std::to_string(ntohs(port_network_order)) + "]";
}

}  // namespace

xfrm_selector MakeSelector(const Selector& selector) {
  xfrm_selector result{};
  result.family = AF_INET;
  result.saddr.a4 = htonl(selector.source.address.value() & selector.source.Mask());
  result.daddr.a4 = htonl(selector.destination.address.value() & selector.destination.Mask());
  result.prefixlen_s = selector.source.length;
  result.prefixlen_d = selector.destination.length;
  result.proto = selector.protocol == kAnyProtocol ? kSelectorAnyProtocol : selector.protocol;
  if (selector.source_port != kAnyPort) {
    result.sport = htons(selector.source_port);
    result.sport_mask = kExactPortMask;
  }
  if (selector.destination_port != kAnyPort) {
    result.dport = htons(selector.destination_port);
    result.dport_mask = kExactPortMask;
  }
  return result;
}

xfrm_lifetime_cfg MakeUnlimitedLifetime() {
  xfrm_lifetime_cfg lifetime{};
  lifetime.soft_byte_limit = kUnlimited;
  lifetime.hard_byte_limit = kUnlimited;
  lifetime.soft_packet_limit = kUnlimited;
  lifetime.hard_packet_limit = kUnlimited;
  return lifetime;
}

xfrm_user_tmpl MakeRequiredEspTransportTemplate() {
  xfrm_user_tmpl tmpl{};
  tmpl.id.proto = kIpProtocolEsp;
  tmpl.family = AF_INET;
  tmpl.mode = XFRM_MODE_TRANSPORT;
  tmpl.optional = 0;  // required: no SA means no traffic
  tmpl.aalgos = kAnyAlgorithm;
  tmpl.ealgos = kAnyAlgorithm;
  tmpl.calgos = kAnyAlgorithm;
  return tmpl;
}

xfrm_user_tmpl MakeRequiredEspTunnelTemplate(Ipv4Address source, Ipv4Address destination) {
  xfrm_user_tmpl tmpl = MakeRequiredEspTransportTemplate();
  tmpl.mode = XFRM_MODE_TUNNEL;
  tmpl.saddr.a4 = htonl(source.value());
  tmpl.id.daddr.a4 = htonl(destination.value());
  return tmpl;
}

uint8_t ToXfrmDirection(PolicyDirection direction) {
  switch (direction) {
    case PolicyDirection::kIn:
      return XFRM_POLICY_IN;
    case PolicyDirection::kOut:
      return XFRM_POLICY_OUT;
    case PolicyDirection::kFwd:
      return XFRM_POLICY_FWD;
  }
  return XFRM_POLICY_OUT;
}

bool SameSelector(const xfrm_selector& a, const xfrm_selector& b) {
  return a.family == b.family && a.saddr.a4 == b.saddr.a4 && a.daddr.a4 == b.daddr.a4 &&
         a.prefixlen_s == b.prefixlen_s && a.prefixlen_d == b.prefixlen_d && a.proto == b.proto &&
         a.sport == b.sport && a.sport_mask == b.sport_mask && a.dport == b.dport &&
         a.dport_mask == b.dport_mask && a.ifindex == b.ifindex && a.user == b.user;
}

std::string DescribeSelector(const xfrm_selector& selector) {
  std::ostringstream text;
  text << FormatAddress(selector.saddr, selector.prefixlen_s)
       << FormatPort(selector.sport, selector.sport_mask) << " -> "
       << FormatAddress(selector.daddr, selector.prefixlen_d)
       << FormatPort(selector.dport, selector.dport_mask) << " proto ";
  if (selector.proto == kSelectorAnyProtocol) {
    text << "any";
  } else {
    text << static_cast<int>(selector.proto);
  }
  return text.str();
}

void PutTemplate(nlmsghdr* message, const xfrm_user_tmpl& tmpl) {
  mnl_attr_put(message, XFRMA_TMPL, sizeof(tmpl), &tmpl);
}

void PutPolicyType(nlmsghdr* message, uint8_t type) {
  xfrm_userpolicy_type policy_type{};
  policy_type.type = type;
  mnl_attr_put(message, XFRMA_POLICY_TYPE, sizeof(policy_type), &policy_type);
}

}  // namespace ipop::esp::xfrm
