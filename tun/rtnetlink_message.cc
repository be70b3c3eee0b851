#include "tun/rtnetlink_message.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

namespace ipop::tun {

namespace {

// Table ids above 255 do not fit the 8-bit header field; the kernel then
// reads the RTA_TABLE / FRA_TABLE attribute, which is always sent.
constexpr uint8_t kMaxHeaderTable = 255;

nlmsghdr* StartMessage(RequestBuffer& buffer, uint16_t type, uint16_t flags) {
  std::memset(buffer.data(), 0, buffer.size());
  nlmsghdr* header = mnl_nlmsg_put_header(buffer.data());
  header->nlmsg_type = type;
  header->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  return header;
}

uint8_t HeaderTable(uint32_t table) {
  return table <= kMaxHeaderTable ? static_cast<uint8_t>(table) : static_cast<uint8_t>(RT_TABLE_UNSPEC);
}

uint32_t NetworkOrder(Ipv4Address address) { return htonl(address.value()); }

// --- One builder per attribute. ---

void PutMtu(nlmsghdr* header, uint32_t mtu) { mnl_attr_put_u32(header, IFLA_MTU, mtu); }

void PutRouteDestination(nlmsghdr* header, Ipv4Address address) {
  mnl_attr_put_u32(header, RTA_DST, NetworkOrder(address));
}

void PutRouteOutputInterface(nlmsghdr* header, int ifindex) {
  mnl_attr_put_u32(header, RTA_OIF, static_cast<uint32_t>(ifindex));
}

void PutRoutePreferredSource(nlmsghdr* header, Ipv4Address address) {
  mnl_attr_put_u32(header, RTA_PREFSRC, NetworkOrder(address));
}

void PutRouteTable(nlmsghdr* header, uint32_t table) { mnl_attr_put_u32(header, RTA_TABLE, table); }

void PutRouteMtu(nlmsghdr* header, uint32_t mtu) {
  nlattr* metrics = mnl_attr_nest_start(header, RTA_METRICS);
  mnl_attr_put_u32(header, RTAX_MTU, mtu);
  mnl_attr_nest_end(header, metrics);
}

void PutRuleFwmark(nlmsghdr* header, uint32_t fwmark) {
  mnl_attr_put_u32(header, FRA_FWMARK, fwmark);
  // An all-ones mask compares the whole mark, as `ip rule ... fwmark M` does.
  mnl_attr_put_u32(header, FRA_FWMASK, 0xffffffffU);
}

void PutRuleTable(nlmsghdr* header, uint32_t table) { mnl_attr_put_u32(header, FRA_TABLE, table); }

void PutRulePriority(nlmsghdr* header, uint32_t priority) {
  mnl_attr_put_u32(header, FRA_PRIORITY, priority);
}

// --- Whole requests. ---

nlmsghdr* BuildLinkChange(RequestBuffer& buffer, int ifindex, unsigned flags, unsigned change) {
  nlmsghdr* header = StartMessage(buffer, RTM_NEWLINK, 0);
  auto* link = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(header, sizeof(ifinfomsg)));
  link->ifi_family = AF_UNSPEC;
  link->ifi_index = ifindex;
  link->ifi_flags = flags;
  link->ifi_change = change;
  return header;
}

nlmsghdr* BuildRoute(RequestBuffer& buffer, uint16_t type, uint16_t flags, const RouteSpec& route) {
  nlmsghdr* header = StartMessage(buffer, type, flags);
  auto* message = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(header, sizeof(rtmsg)));
  message->rtm_family = AF_INET;
  message->rtm_dst_len = route.destination.length;
  message->rtm_table = HeaderTable(route.table);
  message->rtm_protocol = RTPROT_STATIC;
  // A route straight out of a point-to-point device has no gateway.
  message->rtm_scope = RT_SCOPE_LINK;
  message->rtm_type = RTN_UNICAST;

  // The kernel rejects a destination with host bits set, which setkey
  // accepts ("192.168.1.0/16"), so only the network part is sent.
  PutRouteDestination(header, Ipv4Address(route.destination.address.value() & route.destination.Mask()));
  PutRouteOutputInterface(header, route.ifindex);
  if (route.preferred_source) {
    PutRoutePreferredSource(header, *route.preferred_source);
  }
  PutRouteTable(header, route.table);
  if (route.mtu) {
    PutRouteMtu(header, *route.mtu);
  }
  return header;
}

nlmsghdr* BuildRule(RequestBuffer& buffer, uint16_t type, uint16_t flags, const RuleSpec& rule) {
  nlmsghdr* header = StartMessage(buffer, type, flags);
  auto* message = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(header, sizeof(fib_rule_hdr)));
  message->family = AF_INET;
  message->table = HeaderTable(rule.table);
  message->action = FR_ACT_TO_TBL;
  // "not fwmark M": the rule applies to packets whose mark differs from M.
  message->flags = FIB_RULE_INVERT;

  PutRulePriority(header, rule.priority);
  PutRuleFwmark(header, rule.fwmark);
  PutRuleTable(header, rule.table);
  return header;
}

}  // namespace

nlmsghdr* BuildSetLinkUp(RequestBuffer& buffer, int ifindex) {
  return BuildLinkChange(buffer, ifindex, IFF_UP, IFF_UP);
}

nlmsghdr* BuildSetLinkMtu(RequestBuffer& buffer, int ifindex, uint32_t mtu) {
  nlmsghdr* header = BuildLinkChange(buffer, ifindex, 0, 0);
  PutMtu(header, mtu);
  return header;
}

nlmsghdr* BuildNewRoute(RequestBuffer& buffer, const RouteSpec& route) {
  return BuildRoute(buffer, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, route);
}

nlmsghdr* BuildDeleteRoute(RequestBuffer& buffer, const RouteSpec& route) {
  return BuildRoute(buffer, RTM_DELROUTE, 0, route);
}

nlmsghdr* BuildNewRule(RequestBuffer& buffer, const RuleSpec& rule) {
  return BuildRule(buffer, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, rule);
}

nlmsghdr* BuildDeleteRule(RequestBuffer& buffer, const RuleSpec& rule) {
  return BuildRule(buffer, RTM_DELRULE, 0, rule);
}

}  // namespace ipop::tun
