#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/control_format.h"

namespace ipop::daemon {
namespace {

esp::EspSaStatus EncapsulatedSa(bool inbound) {
  esp::EspSaStatus sa;
  sa.spi = 0x0a0b0001;
  sa.source = *Ipv4Address::Parse(inbound ? "203.0.113.5" : "192.0.2.2");
  sa.destination = *Ipv4Address::Parse(inbound ? "192.0.2.2" : "203.0.113.5");
  sa.inbound = inbound;
  sa.encapsulation =
      inbound ? esp::UdpEncapsulation{31000, 4500} : esp::UdpEncapsulation{4500, 31000};
  sa.backend = "userspace";
  return sa;
}

std::string Format(const esp::EspSaStatus& sa) {
  return FormatEspSas({sa}, sa.created + std::chrono::seconds(5));
}

TEST(FormatEspSasNatt, OutboundShowsPorts) {
  const std::string text = Format(EncapsulatedSa(false));
  EXPECT_NE(text.find("udp-encap 4500->31000"), std::string::npos) << text;
}

TEST(FormatEspSasNatt, InboundShowsPeerPortFirst) {
  const std::string text = Format(EncapsulatedSa(true));
  EXPECT_NE(text.find("udp-encap 31000->4500"), std::string::npos) << text;
}

TEST(FormatEspSasNatt, MovedPeerShowsNewPort) {
  esp::EspSaStatus sa = EncapsulatedSa(false);
  sa.udp_peer = Endpoint{sa.destination, 31007};
  const std::string text = Format(sa);
  EXPECT_NE(text.find("udp-encap 4500->31007"), std::string::npos) << text;
  EXPECT_EQ(text.find(" via "), std::string::npos) << text;
}

TEST(FormatEspSasNatt, MovedPeerShowsNewAddress) {
  esp::EspSaStatus sa = EncapsulatedSa(true);
  sa.udp_peer = Endpoint{*Ipv4Address::Parse("203.0.113.9"), 1024};
  const std::string text = Format(sa);
  EXPECT_NE(text.find("udp-encap 1024->4500 via 203.0.113.9"), std::string::npos) << text;
}

TEST(FormatEspSasNatt, PlainSaHasNoEncapsulation) {
  esp::EspSaStatus sa = EncapsulatedSa(false);
  sa.encapsulation.reset();
  const std::string text = Format(sa);
  EXPECT_EQ(text.find("udp-encap"), std::string::npos) << text;
}

}  // namespace
}  // namespace ipop::daemon
