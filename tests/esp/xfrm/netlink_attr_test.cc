#include "esp/xfrm/netlink_attr.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstring>

namespace ipop::esp::xfrm {
namespace {

Ipv4Prefix Prefix(const char* address, uint8_t length) {
  return Ipv4Prefix{*Ipv4Address::Parse(address), length};
}

// The address as the kernel stores it: network byte order, as inet_pton
// writes it.
uint32_t NetworkOrder(const char* address) {
  in_addr parsed{};
  EXPECT_EQ(inet_pton(AF_INET, address, &parsed), 1);
  return parsed.s_addr;
}

TEST(NetlinkAttr, SelectorMasksHostBits) {
  Selector selector;
  selector.source = Prefix("192.168.1.0", 16);  // setkey accepts this form
  selector.destination = Prefix("10.1.2.3", 32);

  const xfrm_selector result = MakeSelector(selector);

  EXPECT_EQ(result.family, AF_INET);
  EXPECT_EQ(result.saddr.a4, NetworkOrder("192.168.0.0"));
  EXPECT_EQ(result.daddr.a4, NetworkOrder("10.1.2.3"));
  EXPECT_EQ(result.prefixlen_s, 16);
  EXPECT_EQ(result.prefixlen_d, 32);
}

TEST(NetlinkAttr, SelectorAnyProtocolAndPorts) {
  Selector selector;
  selector.source = Prefix("0.0.0.0", 0);
  selector.destination = Prefix("0.0.0.0", 0);

  const xfrm_selector result = MakeSelector(selector);

  EXPECT_EQ(result.proto, 0);  // the kernel's "any"
  EXPECT_EQ(result.sport, 0);
  EXPECT_EQ(result.sport_mask, 0);
  EXPECT_EQ(result.dport, 0);
  EXPECT_EQ(result.dport_mask, 0);
  EXPECT_EQ(result.saddr.a4, 0u);
  EXPECT_EQ(result.prefixlen_s, 0);
}

TEST(NetlinkAttr, SelectorFixedPortsInNetworkOrder) {
  Selector selector;
  selector.source = Prefix("10.0.0.1", 32);
  selector.destination = Prefix("10.0.0.2", 32);
  selector.protocol = 17;
  selector.source_port = 500;
  selector.destination_port = 4500;

  const xfrm_selector result = MakeSelector(selector);

  // 500 is 0x01f4 and 4500 is 0x1194; the first byte in memory is the high one.
  const auto* sport = reinterpret_cast<const uint8_t*>(&result.sport);
  const auto* dport = reinterpret_cast<const uint8_t*>(&result.dport);
  EXPECT_EQ(sport[0], 0x01);
  EXPECT_EQ(sport[1], 0xf4);
  EXPECT_EQ(dport[0], 0x11);
  EXPECT_EQ(dport[1], 0x94);
  EXPECT_EQ(result.sport_mask, 0xffff);
  EXPECT_EQ(result.dport_mask, 0xffff);
  EXPECT_EQ(result.proto, 17);
}

TEST(NetlinkAttr, RequiredEspTemplateFields) {
  const xfrm_user_tmpl tmpl = MakeRequiredEspTransportTemplate();

  EXPECT_EQ(tmpl.id.proto, IPPROTO_ESP);
  EXPECT_EQ(tmpl.id.spi, 0u);
  EXPECT_EQ(tmpl.id.daddr.a4, 0u);
  EXPECT_EQ(tmpl.saddr.a4, 0u);
  EXPECT_EQ(tmpl.family, AF_INET);
  EXPECT_EQ(tmpl.mode, XFRM_MODE_TRANSPORT);
  EXPECT_EQ(tmpl.optional, 0);  // "require", not "use"
  EXPECT_EQ(tmpl.reqid, 0u);
  EXPECT_EQ(tmpl.aalgos, 0xffffffffu);
  EXPECT_EQ(tmpl.ealgos, 0xffffffffu);
  EXPECT_EQ(tmpl.calgos, 0xffffffffu);
}

TEST(NetlinkAttr, UnlimitedLifetime) {
  const xfrm_lifetime_cfg lifetime = MakeUnlimitedLifetime();

  EXPECT_EQ(lifetime.soft_byte_limit, XFRM_INF);
  EXPECT_EQ(lifetime.hard_byte_limit, XFRM_INF);
  EXPECT_EQ(lifetime.soft_packet_limit, XFRM_INF);
  EXPECT_EQ(lifetime.hard_packet_limit, XFRM_INF);
  EXPECT_EQ(lifetime.soft_add_expires_seconds, 0u);
  EXPECT_EQ(lifetime.hard_add_expires_seconds, 0u);
  EXPECT_EQ(lifetime.soft_use_expires_seconds, 0u);
  EXPECT_EQ(lifetime.hard_use_expires_seconds, 0u);
}

TEST(NetlinkAttr, DirectionMapping) {
  EXPECT_EQ(ToXfrmDirection(PolicyDirection::kIn), XFRM_POLICY_IN);
  EXPECT_EQ(ToXfrmDirection(PolicyDirection::kOut), XFRM_POLICY_OUT);
  EXPECT_EQ(ToXfrmDirection(PolicyDirection::kFwd), XFRM_POLICY_FWD);
}

TEST(NetlinkAttr, SameSelectorComparesEachField) {
  Selector selector;
  selector.source = Prefix("10.0.0.0", 24);
  selector.destination = Prefix("10.0.1.0", 24);
  selector.protocol = 6;
  selector.destination_port = 22;
  const xfrm_selector base = MakeSelector(selector);

  xfrm_selector copy = base;
  EXPECT_TRUE(SameSelector(base, copy));

  copy = base;
  copy.saddr.a4 ^= 1;
  EXPECT_FALSE(SameSelector(base, copy));
  copy = base;
  copy.daddr.a4 ^= 1;
  EXPECT_FALSE(SameSelector(base, copy));
  copy = base;
  copy.prefixlen_s = 23;
  EXPECT_FALSE(SameSelector(base, copy));
  copy = base;
  copy.prefixlen_d = 23;
  EXPECT_FALSE(SameSelector(base, copy));
  copy = base;
  copy.proto = 17;
  EXPECT_FALSE(SameSelector(base, copy));
  copy = base;
  copy.dport = htons(23);
  EXPECT_FALSE(SameSelector(base, copy));
  copy = base;
  copy.sport_mask = 0xffff;
  EXPECT_FALSE(SameSelector(base, copy));
  copy = base;
  copy.ifindex = 3;
  EXPECT_FALSE(SameSelector(base, copy));
}

TEST(NetlinkAttr, DescribeSelectorText) {
  Selector selector;
  selector.source = Prefix("192.168.1.0", 16);
  selector.destination = Prefix("10.0.0.1", 32);
  selector.protocol = 17;
  selector.destination_port = 500;

  EXPECT_EQ(DescribeSelector(MakeSelector(selector)),
            "192.168.0.0/16[any] -> 10.0.0.1/32[500] proto 17");

  selector.protocol = kAnyProtocol;
  selector.destination_port = kAnyPort;
  EXPECT_EQ(DescribeSelector(MakeSelector(selector)),
            "192.168.0.0/16[any] -> 10.0.0.1/32[any] proto any");
}

}  // namespace
}  // namespace ipop::esp::xfrm
