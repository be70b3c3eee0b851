// Builders for the XFRM netlink structures and attributes, one per kind, so
// that each field the kernel reads is set in one place. The layouts are the
// kernel's uapi structs from <linux/xfrm.h>, in host byte order except where
// the kernel wants network order (addresses, ports, SPIs).
#ifndef IPOP_ESP_XFRM_NETLINK_ATTR_H_
#define IPOP_ESP_XFRM_NETLINK_ATTR_H_

#include <linux/netlink.h>
#include <linux/xfrm.h>

#include <cstdint>
#include <string>

#include "esp/policy.h"

namespace ipop::esp::xfrm {

// XFRM_INF from <linux/xfrm.h> is a macro of type unsigned long long, so it
// gets a typed name here: a byte or packet limit that never expires.
inline constexpr uint64_t kUnlimited = ~uint64_t{0};

// IP protocol number of ESP (RFC 4303 §2, IANA protocol numbers).
inline constexpr uint8_t kIpProtocolEsp = 50;

// Maps a setkey selector to the kernel's form: addresses and ports in network
// order, a port mask of 0xffff for a fixed port, and protocol 0 for "any".
xfrm_selector MakeSelector(const Selector& selector);

// A policy lifetime that never expires: no time limits, unlimited bytes and
// packets.
xfrm_lifetime_cfg MakeUnlimitedLifetime();

// A template that requires an ESP transport-mode SA between any addresses
// with any algorithm (the "esp/transport//require" of setkey).
xfrm_user_tmpl MakeRequiredEspTransportTemplate();
// A template that requires an ESP tunnel-mode SA from `source` to
// `destination` (the "esp/tunnel/SOURCE-DESTINATION/require" of setkey).
xfrm_user_tmpl MakeRequiredEspTunnelTemplate(Ipv4Address source, Ipv4Address destination);

// Maps a setkey direction to XFRM_POLICY_IN, XFRM_POLICY_OUT or
// XFRM_POLICY_FWD.
uint8_t ToXfrmDirection(PolicyDirection direction);

// Compares the fields of two selectors, ignoring padding.
bool SameSelector(const xfrm_selector& a, const xfrm_selector& b);

// Renders "192.168.0.0/16[any] -> 10.0.0.1/32[500] proto 17" for messages.
std::string DescribeSelector(const xfrm_selector& selector);

// Appends XFRMA_TMPL holding one template. The kernel reads the attribute as
// an array, one entry per SA of a bundle, and ESP transport needs one.
void PutTemplate(nlmsghdr* message, const xfrm_user_tmpl& tmpl);

// Appends XFRMA_POLICY_TYPE (XFRM_POLICY_TYPE_MAIN or _SUB).
void PutPolicyType(nlmsghdr* message, uint8_t type);

}  // namespace ipop::esp::xfrm

#endif  // IPOP_ESP_XFRM_NETLINK_ATTR_H_
