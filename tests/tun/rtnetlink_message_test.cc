#include "tun/rtnetlink_message.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <map>

#include "tun/tun_device.h"

namespace ipop::tun {
namespace {

// Collects the u32 attributes of a message by type, read back with libmnl's
// own parser rather than with the builders under test.
std::map<uint16_t, uint32_t> U32Attributes(const nlmsghdr* header, size_t extra_header_size) {
  std::map<uint16_t, uint32_t> attributes;
  auto collect = [](const nlattr* attribute, void* data) -> int {
    if (mnl_attr_validate(attribute, MNL_TYPE_U32) == 0) {
      (*static_cast<std::map<uint16_t, uint32_t>*>(data))[mnl_attr_get_type(attribute)] =
          mnl_attr_get_u32(attribute);
    }
    return MNL_CB_OK;
  };
  mnl_attr_parse(header, static_cast<unsigned>(extra_header_size), collect, &attributes);
  return attributes;
}

RouteSpec DemoRoute() {
  RouteSpec route;
  // setkey accepts "192.168.1.0/16"; the route must carry 192.168.0.0.
  route.destination = Ipv4Prefix{*Ipv4Address::Parse("192.168.1.0"), 16};
  route.ifindex = 7;
  route.table = 50;
  route.preferred_source = Ipv4Address::Parse("192.168.1.100");
  return route;
}

TEST(RtnetlinkMessage, NewRouteCarriesMaskedDestination) {
  RequestBuffer buffer;
  const nlmsghdr* header = BuildNewRoute(buffer, DemoRoute());

  EXPECT_EQ(header->nlmsg_type, RTM_NEWROUTE);
  EXPECT_EQ(header->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  const auto* message = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(header));
  EXPECT_EQ(message->rtm_family, AF_INET);
  EXPECT_EQ(message->rtm_dst_len, 16);
  EXPECT_EQ(message->rtm_table, 50);
  EXPECT_EQ(message->rtm_scope, RT_SCOPE_LINK);
  EXPECT_EQ(message->rtm_type, RTN_UNICAST);

  const auto attributes = U32Attributes(header, sizeof(rtmsg));
  EXPECT_EQ(attributes.at(RTA_DST), inet_addr("192.168.0.0"));
  EXPECT_EQ(attributes.at(RTA_OIF), 7U);
  EXPECT_EQ(attributes.at(RTA_PREFSRC), inet_addr("192.168.1.100"));
  EXPECT_EQ(attributes.at(RTA_TABLE), 50U);
}

TEST(RtnetlinkMessage, RouteWithoutSourceOmitsPrefsrc) {
  RouteSpec route = DemoRoute();
  route.preferred_source.reset();
  RequestBuffer buffer;
  const nlmsghdr* header = BuildDeleteRoute(buffer, route);

  EXPECT_EQ(header->nlmsg_type, RTM_DELROUTE);
  EXPECT_EQ(header->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  const auto attributes = U32Attributes(header, sizeof(rtmsg));
  EXPECT_EQ(attributes.count(RTA_PREFSRC), 0U);
}

// Returns the RTA_METRICS attribute of a route message, or nullptr.
const nlattr* FindMetrics(const nlmsghdr* header) {
  const nlattr* metrics = nullptr;
  auto find = [](const nlattr* attribute, void* data) -> int {
    if (mnl_attr_get_type(attribute) == RTA_METRICS) {
      *static_cast<const nlattr**>(data) = attribute;
    }
    return MNL_CB_OK;
  };
  mnl_attr_parse(header, sizeof(rtmsg), find, &metrics);
  return metrics;
}

TEST(RtnetlinkMessage, RouteMtuInMetrics) {
  RouteSpec route = DemoRoute();
  route.mtu = 1415;
  RequestBuffer buffer;
  const nlmsghdr* header = BuildNewRoute(buffer, route);

  const nlattr* metrics = FindMetrics(header);
  ASSERT_NE(metrics, nullptr);
  std::map<uint16_t, uint32_t> nested;
  auto collect = [](const nlattr* attribute, void* data) -> int {
    (*static_cast<std::map<uint16_t, uint32_t>*>(data))[mnl_attr_get_type(attribute)] =
        mnl_attr_get_u32(attribute);
    return MNL_CB_OK;
  };
  mnl_attr_parse_nested(metrics, collect, &nested);
  EXPECT_EQ(nested.size(), 1U);
  EXPECT_EQ(nested.at(RTAX_MTU), 1415U);
}

TEST(RtnetlinkMessage, RouteWithoutMtuOmitsMetrics) {
  RequestBuffer buffer;
  const nlmsghdr* header = BuildNewRoute(buffer, DemoRoute());

  EXPECT_EQ(FindMetrics(header), nullptr);
}

TEST(RtnetlinkMessage, LargeTableGoesOnlyInAttribute) {
  RouteSpec route = DemoRoute();
  route.table = 1000;
  RequestBuffer buffer;
  const nlmsghdr* header = BuildNewRoute(buffer, route);

  const auto* message = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(header));
  EXPECT_EQ(message->rtm_table, RT_TABLE_UNSPEC);
  EXPECT_EQ(U32Attributes(header, sizeof(rtmsg)).at(RTA_TABLE), 1000U);
}

TEST(RtnetlinkMessage, RuleIsInvertedFwmarkLookup) {
  RequestBuffer buffer;
  const nlmsghdr* header = BuildNewRule(buffer, RuleSpec{.priority = 1000, .fwmark = 0x32, .table = 50});

  EXPECT_EQ(header->nlmsg_type, RTM_NEWRULE);
  const auto* message = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(header));
  EXPECT_EQ(message->family, AF_INET);
  EXPECT_EQ(message->action, FR_ACT_TO_TBL);
  EXPECT_EQ(message->flags, static_cast<uint32_t>(FIB_RULE_INVERT));
  EXPECT_EQ(message->table, 50);

  const auto attributes = U32Attributes(header, sizeof(fib_rule_hdr));
  EXPECT_EQ(attributes.at(FRA_PRIORITY), 1000U);
  EXPECT_EQ(attributes.at(FRA_FWMARK), 0x32U);
  EXPECT_EQ(attributes.at(FRA_FWMASK), 0xffffffffU);
  EXPECT_EQ(attributes.at(FRA_TABLE), 50U);
}

TEST(RtnetlinkMessage, DeleteRuleHasNoCreateFlags) {
  RequestBuffer buffer;
  const nlmsghdr* header = BuildDeleteRule(buffer, RuleSpec{.priority = 1000, .fwmark = 1, .table = 50});
  EXPECT_EQ(header->nlmsg_type, RTM_DELRULE);
  EXPECT_EQ(header->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
}

TEST(RtnetlinkMessage, LinkUpSetsOnlyUpFlag) {
  RequestBuffer buffer;
  const nlmsghdr* header = BuildSetLinkUp(buffer, 3);

  EXPECT_EQ(header->nlmsg_type, RTM_NEWLINK);
  const auto* link = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(header));
  EXPECT_EQ(link->ifi_index, 3);
  EXPECT_EQ(link->ifi_flags, static_cast<unsigned>(IFF_UP));
  EXPECT_EQ(link->ifi_change, static_cast<unsigned>(IFF_UP));
}

TEST(RtnetlinkMessage, LinkMtuCarriesAttribute) {
  RequestBuffer buffer;
  const nlmsghdr* header = BuildSetLinkMtu(buffer, 3, 1435);

  const auto* link = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(header));
  EXPECT_EQ(link->ifi_change, 0U);
  EXPECT_EQ(U32Attributes(header, sizeof(ifinfomsg)).at(IFLA_MTU), 1435U);
}

TEST(TunDevice, ValidNamesAccepted) {
  EXPECT_TRUE(ValidateInterfaceName("ipopesp0"));
  EXPECT_TRUE(ValidateInterfaceName("a"));
  EXPECT_TRUE(ValidateInterfaceName("fifteen-chars-x"));
}

TEST(TunDevice, InvalidNamesRejected) {
  EXPECT_FALSE(ValidateInterfaceName(""));
  EXPECT_FALSE(ValidateInterfaceName("sixteen-chars-xx"));
  EXPECT_FALSE(ValidateInterfaceName("has space"));
  EXPECT_FALSE(ValidateInterfaceName("a/b"));
  EXPECT_FALSE(ValidateInterfaceName("a:b"));
  EXPECT_FALSE(ValidateInterfaceName("tun%d"));
  EXPECT_FALSE(ValidateInterfaceName(".."));
}

}  // namespace
}  // namespace ipop::tun
