// The userspace datapath with UDP-encapsulated ESP (RFC 3948) on in-memory
// NAT-T sockets: A (10.0.0.2) sits behind a NAT whose public address is
// 203.0.113.5, B (192.0.2.2) is public. The tests carry datagrams by hand
// and rewrite the addressing as the NAT would.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/byte_reader.h"
#include "esp/datapath.h"
#include "esp/datapath_worker.h"
#include "esp/udp_encapsulation.h"
#include "esp/userspace_backend.h"
#include "tests/esp/esp_test_util.h"
#include "tests/esp/memory_packet_io.h"

namespace ipop::esp {
namespace {

using test::Address;
using test::BuildIpv4Packet;
using test::kAlgorithms;
using test::MakeAnyPolicy;
using test::MakeSaConfig;

constexpr uint32_t kSpiAToB = 0x0a0b0001;
constexpr uint32_t kSpiBToA = 0x0b0a0001;
constexpr const char* kAddressA = "10.0.0.2";
constexpr const char* kAddressB = "192.0.2.2";
constexpr const char* kNatAddress = "203.0.113.5";
constexpr uint16_t kNatPort = 31000;

// Checks the TCP or UDP checksum of `packet` over its own addresses with the
// RFC 793 pseudo-header; written here apart from the code under test.
bool TransportChecksumValid(ByteView packet) {
  const Ipv4Header header = *ParseIpv4Header(packet);
  const ByteView segment =
      packet.subspan(header.header_length, header.total_length - header.header_length);
  uint32_t sum = (header.source.value() >> 16) + (header.source.value() & 0xffff) +
                 (header.destination.value() >> 16) + (header.destination.value() & 0xffff) +
                 header.protocol + static_cast<uint32_t>(segment.size());
  for (size_t i = 0; i < segment.size(); i += 2) {
    const uint32_t high = std::to_integer<uint32_t>(segment[i]) << 8;
    const uint32_t low = i + 1 < segment.size() ? std::to_integer<uint32_t>(segment[i + 1]) : 0;
    sum += high | low;
  }
  while ((sum >> 16) != 0) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return sum == 0xffff;
}

// Writes a TCP checksum over the addresses in the header, as A's stack does.
void WriteTcpChecksum(Bytes& packet) {
  const Ipv4Header header = *ParseIpv4Header(packet);
  MutableByteView field = MutableByteView(packet).subspan(header.header_length + 16, 2);
  StoreU16(field, 0);
  for (uint16_t candidate = 0;; ++candidate) {
    StoreU16(field, candidate);
    if (TransportChecksumValid(packet)) {
      return;
    }
  }
}

class NattDatapathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (UserspaceBackend* backend : {&backend_a_, &backend_b_}) {
      ASSERT_TRUE(backend->AddPolicy(MakeAnyPolicy(PolicyDirection::kOut)).has_value());
      ASSERT_TRUE(backend->AddPolicy(MakeAnyPolicy(PolicyDirection::kIn)).has_value());
    }
    backend_b_.set_endpoint_change_handler(
        [this](const SaEndpointChange& change) { changes_.push_back(change); });
    io_a_.natt_enabled = true;
    io_b_.natt_enabled = true;

    DatapathOptions options;
    options.ike_handler = [this](const Endpoint& local, const Endpoint& remote, ByteView message) {
      ike_messages_.push_back({{local, remote}, Bytes(message.begin(), message.end())});
    };
    datapath_a_ = std::make_unique<Datapath>(backend_a_, std::vector<PacketIo*>{&io_a_}, options);
    datapath_b_ = std::make_unique<Datapath>(backend_b_, std::vector<PacketIo*>{&io_b_}, options);
  }

  // Installs both directions as IKE would after NAT-D found A behind a NAT:
  // A sends to B's 4500 from its own 4500, B sends to the NAT's port.
  void InstallSas() {
    EspSaConfig a_out = MakeSaConfig(kAlgorithms[6], kSpiAToB, kAddressA, kAddressB, false);
    a_out.encapsulation = UdpEncapsulation{kNattPort, kNattPort};
    EspSaConfig b_in = MakeSaConfig(kAlgorithms[6], kSpiAToB, kNatAddress, kAddressB, true);
    b_in.encapsulation = UdpEncapsulation{kNatPort, kNattPort};
    EspSaConfig b_out = MakeSaConfig(kAlgorithms[6], kSpiBToA, kAddressB, kNatAddress, false, 2);
    b_out.encapsulation = UdpEncapsulation{kNattPort, kNatPort};
    EspSaConfig a_in = MakeSaConfig(kAlgorithms[6], kSpiBToA, kAddressB, kAddressA, true, 2);
    a_in.encapsulation = UdpEncapsulation{kNattPort, kNattPort};
    ASSERT_TRUE(backend_a_.AddSa(std::move(a_out)).has_value());
    ASSERT_TRUE(backend_b_.AddSa(std::move(b_in)).has_value());
    ASSERT_TRUE(backend_b_.AddSa(std::move(b_out)).has_value());
    ASSERT_TRUE(backend_a_.AddSa(std::move(a_in)).has_value());
  }

  // Sends `packet` through A and returns the datagram A wrote.
  test::MemoryPacketIo::Datagram SendFromA(const Bytes& packet) {
    io_a_.tun_input.push_back(packet);
    datapath_a_->worker(0).ProcessReady();
    EXPECT_EQ(io_a_.natt_output.size(), 1u);
    test::MemoryPacketIo::Datagram sent = io_a_.natt_output.back();
    io_a_.natt_output.clear();
    return sent;
  }

  // Delivers `datagram` to B as coming from the NAT's `port`.
  void DeliverToB(const Bytes& datagram, uint16_t port = kNatPort) {
    io_b_.natt_input.push_back(
        {{Endpoint{Address(kAddressB), kNattPort}, Endpoint{Address(kNatAddress), port}},
         datagram});
    datapath_b_->worker(0).ProcessReady();
  }

  Endpoint BPeerForSpi(uint32_t spi) {
    for (const EspSaStatus& status : backend_b_.ListSas()) {
      if (status.spi == spi) {
        return status.udp_peer.value_or(Endpoint{});
      }
    }
    ADD_FAILURE() << "no SA with SPI " << spi;
    return {};
  }

  Bytes PacketAToB(uint8_t protocol = kIpProtocolIcmp, size_t payload = 64) {
    return BuildIpv4Packet(kAddressA, kAddressB, protocol, payload);
  }

  UserspaceBackend backend_a_;
  UserspaceBackend backend_b_;
  test::MemoryPacketIo io_a_;
  test::MemoryPacketIo io_b_;
  std::unique_ptr<Datapath> datapath_a_;
  std::unique_ptr<Datapath> datapath_b_;
  std::vector<SaEndpointChange> changes_;
  std::vector<test::MemoryPacketIo::Datagram> ike_messages_;
};

TEST_F(NattDatapathTest, OutboundGoesInUdpFromNattPort) {
  InstallSas();
  const test::MemoryPacketIo::Datagram sent = SendFromA(PacketAToB());

  EXPECT_TRUE(io_a_.esp_output.empty());
  EXPECT_EQ(sent.addressing.local, (Endpoint{Address(kAddressA), kNattPort}));
  EXPECT_EQ(sent.addressing.remote, (Endpoint{Address(kAddressB), kNattPort}));
  ASSERT_GE(sent.datagram.size(), 8u);
  EXPECT_EQ(LoadU32(sent.datagram), kSpiAToB);
  EXPECT_EQ(LoadU32(ByteView(sent.datagram).subspan(4)), 1u);
}

TEST_F(NattDatapathTest, RoundTripThroughNat) {
  InstallSas();
  const Bytes ping = PacketAToB();
  DeliverToB(SendFromA(ping).datagram);

  ASSERT_EQ(io_b_.tun_output.size(), 1u);
  const Ipv4Header inner = *ParseIpv4Header(io_b_.tun_output[0]);
  // Transport mode keeps the outer addresses, so the source is the NAT's.
  EXPECT_EQ(inner.source, Address(kNatAddress));
  EXPECT_EQ(inner.destination, Address(kAddressB));
  EXPECT_EQ(inner.protocol, kIpProtocolIcmp);
  EXPECT_TRUE(VerifyIpv4Checksum(ByteView(io_b_.tun_output[0]).first(inner.header_length)));
  EXPECT_TRUE(std::equal(ping.begin() + 20, ping.end(), io_b_.tun_output[0].begin() + 20));

  // B replies to the NAT's mapping, and A accepts the reply.
  io_b_.tun_input.push_back(BuildIpv4Packet(kAddressB, kNatAddress, kIpProtocolIcmp, 64));
  datapath_b_->worker(0).ProcessReady();
  ASSERT_EQ(io_b_.natt_output.size(), 1u);
  EXPECT_EQ(io_b_.natt_output[0].addressing.remote, (Endpoint{Address(kNatAddress), kNatPort}));
  io_a_.natt_input.push_back(
      {{Endpoint{Address(kAddressA), kNattPort}, Endpoint{Address(kAddressB), kNattPort}},
       io_b_.natt_output[0].datagram});
  datapath_a_->worker(0).ProcessReady();
  EXPECT_EQ(io_a_.tun_output.size(), 1u);
  EXPECT_TRUE(changes_.empty());
}

TEST_F(NattDatapathTest, TcpChecksumFixedAfterNat) {
  InstallSas();
  Bytes segment = PacketAToB(kIpProtocolTcp, 40);
  WriteTcpChecksum(segment);
  DeliverToB(SendFromA(segment).datagram);

  ASSERT_EQ(io_b_.tun_output.size(), 1u);
  EXPECT_TRUE(TransportChecksumValid(io_b_.tun_output[0]));
}

TEST_F(NattDatapathTest, IkeMessageGoesToHandler) {
  DeliverToB(HexToBytes("00000000aabbccdd11223344"));

  ASSERT_EQ(ike_messages_.size(), 1u);
  EXPECT_EQ(ike_messages_[0].datagram, HexToBytes("aabbccdd11223344"));
  EXPECT_EQ(ike_messages_[0].addressing.remote, (Endpoint{Address(kNatAddress), kNatPort}));
  EXPECT_EQ(ike_messages_[0].addressing.local, (Endpoint{Address(kAddressB), kNattPort}));
  EXPECT_EQ(datapath_b_->Statistics().natt_ike_received, 1u);
  EXPECT_EQ(datapath_b_->Statistics().esp_packets_received, 0u);
}

TEST_F(NattDatapathTest, KeepaliveCountedAndDropped) {
  DeliverToB(HexToBytes("ff"));

  const DatapathStatistics statistics = datapath_b_->Statistics();
  EXPECT_EQ(statistics.natt_keepalives_received, 1u);
  EXPECT_EQ(statistics.total_drops(), 0u);
  EXPECT_TRUE(ike_messages_.empty());
  EXPECT_TRUE(io_b_.tun_output.empty());
}

TEST_F(NattDatapathTest, ShortDatagramDropped) {
  DeliverToB(HexToBytes("c0ffee01"));

  EXPECT_EQ(datapath_b_->Statistics().dropped(DropReason::kNattInvalid), 1u);
  EXPECT_TRUE(ike_messages_.empty());
}

TEST_F(NattDatapathTest, UdpEspForPlainSaDropped) {
  ASSERT_TRUE(backend_a_
                  .AddSa(MakeSaConfig(kAlgorithms[6], kSpiAToB, kAddressA, kAddressB, false))
                  .has_value());
  ASSERT_TRUE(backend_b_
                  .AddSa(MakeSaConfig(kAlgorithms[6], kSpiAToB, kNatAddress, kAddressB, true))
                  .has_value());
  io_a_.tun_input.push_back(PacketAToB());
  datapath_a_->worker(0).ProcessReady();
  ASSERT_EQ(io_a_.esp_output.size(), 1u);
  // The plain ESP packet's SPI onwards, sent in UDP instead.
  const Bytes esp(io_a_.esp_output[0].begin() + 20, io_a_.esp_output[0].end());
  DeliverToB(esp);

  EXPECT_EQ(datapath_b_->Statistics().dropped(DropReason::kEncapsulationMismatch), 1u);
  EXPECT_TRUE(io_b_.tun_output.empty());
}

TEST_F(NattDatapathTest, AuthenticatedPacketMovesPeer) {
  InstallSas();
  DeliverToB(SendFromA(PacketAToB()).datagram, kNatPort + 1);

  ASSERT_EQ(io_b_.tun_output.size(), 1u);
  const Endpoint moved{Address(kNatAddress), kNatPort + 1};
  EXPECT_EQ(BPeerForSpi(kSpiAToB), moved);
  EXPECT_EQ(BPeerForSpi(kSpiBToA), moved);
  ASSERT_EQ(changes_.size(), 1u);
  EXPECT_EQ(changes_[0].spi, kSpiAToB);
  EXPECT_EQ(changes_[0].old_peer, (Endpoint{Address(kNatAddress), kNatPort}));
  EXPECT_EQ(changes_[0].new_peer, moved);
  EXPECT_EQ(datapath_b_->Statistics().peer_endpoint_changes, 1u);

  io_b_.tun_input.push_back(BuildIpv4Packet(kAddressB, kNatAddress, kIpProtocolIcmp, 64));
  datapath_b_->worker(0).ProcessReady();
  ASSERT_EQ(io_b_.natt_output.size(), 1u);
  EXPECT_EQ(io_b_.natt_output[0].addressing.remote, moved);
}

TEST_F(NattDatapathTest, ForgedPacketDoesNotMovePeer) {
  InstallSas();
  Bytes forged = SendFromA(PacketAToB()).datagram;
  forged.back() ^= std::byte{0x01};  // breaks the ICV
  DeliverToB(forged, kNatPort + 1);

  EXPECT_TRUE(io_b_.tun_output.empty());
  EXPECT_EQ(datapath_b_->Statistics().dropped(DropReason::kIntegrity), 1u);
  EXPECT_EQ(BPeerForSpi(kSpiBToA), (Endpoint{Address(kNatAddress), kNatPort}));
  EXPECT_TRUE(changes_.empty());
}

TEST_F(NattDatapathTest, ReplayedPacketDoesNotMovePeer) {
  InstallSas();
  const Bytes datagram = SendFromA(PacketAToB()).datagram;
  DeliverToB(datagram);
  DeliverToB(datagram, kNatPort + 2);

  EXPECT_EQ(io_b_.tun_output.size(), 1u);
  EXPECT_EQ(datapath_b_->Statistics().dropped(DropReason::kReplay), 1u);
  EXPECT_EQ(BPeerForSpi(kSpiBToA), (Endpoint{Address(kNatAddress), kNatPort}));
  EXPECT_TRUE(changes_.empty());
}

TEST_F(NattDatapathTest, StatusShowsEncapsulation) {
  InstallSas();
  for (const EspSaStatus& status : backend_b_.ListSas()) {
    ASSERT_TRUE(status.encapsulation.has_value());
    ASSERT_TRUE(status.udp_peer.has_value());
    EXPECT_EQ(*status.udp_peer, (Endpoint{Address(kNatAddress), kNatPort}));
  }
}

}  // namespace
}  // namespace ipop::esp
