// Builders for the rtnetlink requests the daemon sends: link up and MTU,
// routes into a table of its own, and the policy rule that sends unmarked
// traffic to that table. Each attribute has its own small builder so that a
// request reads as the list of attributes it carries. The builders only fill
// a buffer; RtnetlinkSocket sends it.
#ifndef IPOP_TUN_RTNETLINK_MESSAGE_H_
#define IPOP_TUN_RTNETLINK_MESSAGE_H_

#include <linux/netlink.h>

#include <array>
#include <cstdint>
#include <optional>

#include "base/ip_address.h"

namespace ipop::tun {

// Large enough for every request built here (each is under 100 bytes).
inline constexpr size_t kRequestBufferSize = 512;
using RequestBuffer = std::array<char, kRequestBufferSize>;

// A route "DESTINATION dev IFINDEX table TABLE [src PREFERRED_SOURCE]".
struct RouteSpec {
  Ipv4Prefix destination;
  int ifindex = 0;
  uint32_t table = 0;
  std::optional<Ipv4Address> preferred_source;
  // Path MTU of the route (RTAX_MTU), below the device MTU where the
  // traffic needs more room, such as the outer header of tunnel mode.
  std::optional<uint32_t> mtu;

  auto operator<=>(const RouteSpec&) const = default;
};

// The rule "priority PRIORITY not fwmark FWMARK lookup TABLE": every packet
// without the daemon's mark consults TABLE, so the daemon's own marked
// sockets skip the routes into the TUN device.
struct RuleSpec {
  uint32_t priority = 0;
  uint32_t fwmark = 0;
  uint32_t table = 0;

  auto operator<=>(const RuleSpec&) const = default;
};

// Each builder starts a fresh message in `buffer` and returns its header;
// nlmsg_len is the length to send. The caller sets nlmsg_seq.
nlmsghdr* BuildSetLinkUp(RequestBuffer& buffer, int ifindex);
nlmsghdr* BuildSetLinkMtu(RequestBuffer& buffer, int ifindex, uint32_t mtu);
nlmsghdr* BuildNewRoute(RequestBuffer& buffer, const RouteSpec& route);
nlmsghdr* BuildDeleteRoute(RequestBuffer& buffer, const RouteSpec& route);
nlmsghdr* BuildNewRule(RequestBuffer& buffer, const RuleSpec& rule);
nlmsghdr* BuildDeleteRule(RequestBuffer& buffer, const RuleSpec& rule);

}  // namespace ipop::tun

#endif  // IPOP_TUN_RTNETLINK_MESSAGE_H_
