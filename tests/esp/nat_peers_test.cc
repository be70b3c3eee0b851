// Two peers behind one NAT talking to a public node B through the
// userspace datapath on in-memory NAT-T sockets. Both peers have the same
// private address 10.0.0.2. The NAT maps them to ports 31000 and 31001 of
// 203.0.113.5, and both chose SPI 0x2000 for the SA B sends to them. Each
// peer has its own keys, so a packet sent with the other peer's SA fails the
// integrity check at the receiver.
//
//   peer 1  10.0.0.2 --+                         B 192.0.2.2
//                      +-- NAT 203.0.113.5 ----- SAs in 0x1001, 0x1002
//   peer 2  10.0.0.2 --+   :31000, :31001        SAs out 0x2000, 0x2000
#include <gtest/gtest.h>

#include <memory>
#include <vector>

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

constexpr const char* kPrivate = "10.0.0.2";
constexpr const char* kPublic = "192.0.2.2";
constexpr const char* kNat = "203.0.113.5";
constexpr uint32_t kSharedOutboundSpi = 0x2000;
constexpr uint16_t kTransferPort = 5001;

struct Peer {
  uint16_t nat_port = 0;
  uint32_t spi_to_public = 0;  // chosen by B
  uint8_t key_seed = 0;        // keys of peer -> B; seed + 1 for B -> peer
  UserspaceBackend backend;
  test::MemoryPacketIo io;
  std::unique_ptr<Datapath> datapath;
};

class NatPeersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    peers_[0].nat_port = 31000;
    peers_[0].spi_to_public = 0x1001;
    peers_[0].key_seed = 1;
    peers_[1].nat_port = 31001;
    peers_[1].spi_to_public = 0x1002;
    peers_[1].key_seed = 3;

    for (UserspaceBackend* backend : {&peers_[0].backend, &peers_[1].backend, &public_backend_}) {
      ASSERT_TRUE(backend->AddPolicy(MakeAnyPolicy(PolicyDirection::kOut)).has_value());
      ASSERT_TRUE(backend->AddPolicy(MakeAnyPolicy(PolicyDirection::kIn)).has_value());
    }
    public_io_.natt_enabled = true;
    public_datapath_ =
        std::make_unique<Datapath>(public_backend_, std::vector<PacketIo*>{&public_io_});
    // Peer 1 negotiates first, so peer 2's SA is the newest towards the NAT.
    for (Peer& peer : peers_) {
      peer.io.natt_enabled = true;
      peer.datapath = std::make_unique<Datapath>(peer.backend, std::vector<PacketIo*>{&peer.io});
      InstallPair(peer);
    }
  }

  // Adds the SA pair of `peer` on both sides, as Quick Mode would.
  void InstallPair(Peer& peer) {
    const uint8_t seed = peer.key_seed;
    const uint8_t reply_seed = static_cast<uint8_t>(seed + 1);
    EspSaConfig peer_out =
        MakeSaConfig(kAlgorithms[6], peer.spi_to_public, kPrivate, kPublic, false, seed);
    peer_out.encapsulation = UdpEncapsulation{kNattPort, kNattPort};
    EspSaConfig peer_in =
        MakeSaConfig(kAlgorithms[6], kSharedOutboundSpi, kPublic, kPrivate, true, reply_seed);
    peer_in.encapsulation = UdpEncapsulation{kNattPort, kNattPort};
    EspSaConfig public_in =
        MakeSaConfig(kAlgorithms[6], peer.spi_to_public, kNat, kPublic, true, seed);
    public_in.encapsulation = UdpEncapsulation{peer.nat_port, kNattPort};
    EspSaConfig public_out =
        MakeSaConfig(kAlgorithms[6], kSharedOutboundSpi, kPublic, kNat, false, reply_seed);
    public_out.encapsulation = UdpEncapsulation{kNattPort, peer.nat_port};
    ASSERT_TRUE(peer.backend.AddSa(std::move(peer_out)).has_value());
    ASSERT_TRUE(peer.backend.AddSa(std::move(peer_in)).has_value());
    ASSERT_TRUE(public_backend_.AddSa(std::move(public_in)).has_value());
    ASSERT_TRUE(public_backend_.AddSa(std::move(public_out)).has_value());
  }

  // Sends `packet` from `peer` through the NAT to B, which decapsulates it.
  void SendToPublic(Peer& peer, const Bytes& packet) {
    peer.io.tun_input.push_back(packet);
    peer.datapath->worker(0).ProcessReady();
    ASSERT_EQ(peer.io.natt_output.size(), 1u);
    const Bytes datagram = peer.io.natt_output.back().datagram;
    peer.io.natt_output.clear();
    public_io_.natt_input.push_back(
        {{Endpoint{Address(kPublic), kNattPort}, Endpoint{Address(kNat), peer.nat_port}},
         datagram});
    const size_t delivered = public_io_.tun_output.size();
    public_datapath_->worker(0).ProcessReady();
    ASSERT_EQ(public_io_.tun_output.size(), delivered + 1);
  }

  // Sends `packet` from B and returns the datagram B wrote.
  test::MemoryPacketIo::Datagram SendFromPublic(const Bytes& packet) {
    public_io_.tun_input.push_back(packet);
    public_datapath_->worker(0).ProcessReady();
    EXPECT_EQ(public_io_.natt_output.size(), 1u);
    if (public_io_.natt_output.empty()) {
      return {};
    }
    test::MemoryPacketIo::Datagram sent = public_io_.natt_output.back();
    public_io_.natt_output.clear();
    return sent;
  }

  // Hands `datagram` to `peer` as the NAT would and returns the number of
  // packets the peer wrote to its TUN device.
  size_t DeliverToPeer(Peer& peer, const Bytes& datagram) {
    peer.io.tun_output.clear();
    peer.io.natt_input.push_back(
        {{Endpoint{Address(kPrivate), kNattPort}, Endpoint{Address(kPublic), kNattPort}},
         datagram});
    peer.datapath->worker(0).ProcessReady();
    return peer.io.tun_output.size();
  }

  static Bytes Segment(const char* source, const char* destination, uint16_t source_port,
                       uint16_t destination_port) {
    return BuildIpv4Packet(source, destination, kIpProtocolTcp, 40, 0, source_port,
                           destination_port);
  }

  size_t OutboundSasTo(uint16_t port) {
    size_t count = 0;
    for (const EspSaStatus& status : public_backend_.ListSas()) {
      if (!status.inbound && status.encapsulation &&
          status.encapsulation->destination_port == port) {
        ++count;
      }
    }
    return count;
  }

  Peer peers_[2];
  UserspaceBackend public_backend_;
  test::MemoryPacketIo public_io_;
  std::unique_ptr<Datapath> public_datapath_;
};

TEST_F(NatPeersTest, BothSasWithSameSpiInstalled) {
  EXPECT_EQ(OutboundSasTo(31000), 1u);
  EXPECT_EQ(OutboundSasTo(31001), 1u);
}

TEST_F(NatPeersTest, SameSpiAndPortRejected) {
  EspSaConfig again = MakeSaConfig(kAlgorithms[6], kSharedOutboundSpi, kPublic, kNat, false, 9);
  again.encapsulation = UdpEncapsulation{kNattPort, 31000};

  EXPECT_FALSE(public_backend_.AddSa(std::move(again)).has_value());
}

TEST_F(NatPeersTest, TcpRepliesReachTheirPeer) {
  SendToPublic(peers_[0], Segment(kPrivate, kPublic, 40000, kTransferPort));
  SendToPublic(peers_[1], Segment(kPrivate, kPublic, 40001, kTransferPort));

  const auto to_first = SendFromPublic(Segment(kPublic, kNat, kTransferPort, 40000));
  const auto to_second = SendFromPublic(Segment(kPublic, kNat, kTransferPort, 40001));

  EXPECT_EQ(to_first.addressing.remote, (Endpoint{Address(kNat), 31000}));
  EXPECT_EQ(to_second.addressing.remote, (Endpoint{Address(kNat), 31001}));
  EXPECT_EQ(DeliverToPeer(peers_[0], to_first.datagram), 1u);
  EXPECT_EQ(DeliverToPeer(peers_[1], to_second.datagram), 1u);
}

TEST_F(NatPeersTest, WrongPeerCannotDecrypt) {
  // Guards the other tests: with the SPI shared, only the keys show which
  // peer an SA belongs to.
  SendToPublic(peers_[0], Segment(kPrivate, kPublic, 40000, kTransferPort));
  const auto to_first = SendFromPublic(Segment(kPublic, kNat, kTransferPort, 40000));

  EXPECT_EQ(DeliverToPeer(peers_[1], to_first.datagram), 0u);
  EXPECT_EQ(peers_[1].datapath->Statistics().dropped(DropReason::kIntegrity), 1u);
}

TEST_F(NatPeersTest, EchoRepliesReachTheirPeer) {
  SendToPublic(peers_[0], test::BuildIcmpPacket(kPrivate, kPublic, 8, 0x1111));
  SendToPublic(peers_[1], test::BuildIcmpPacket(kPrivate, kPublic, 8, 0x2222));

  const auto to_second = SendFromPublic(test::BuildIcmpPacket(kPublic, kNat, 0, 0x2222));
  const auto to_first = SendFromPublic(test::BuildIcmpPacket(kPublic, kNat, 0, 0x1111));

  EXPECT_EQ(to_first.addressing.remote, (Endpoint{Address(kNat), 31000}));
  EXPECT_EQ(to_second.addressing.remote, (Endpoint{Address(kNat), 31001}));
  EXPECT_EQ(DeliverToPeer(peers_[0], to_first.datagram), 1u);
  EXPECT_EQ(DeliverToPeer(peers_[1], to_second.datagram), 1u);
}

TEST_F(NatPeersTest, UnknownFlowUsesNewestSa) {
  const auto sent = SendFromPublic(Segment(kPublic, kNat, kTransferPort, 45000));

  EXPECT_EQ(sent.addressing.remote, (Endpoint{Address(kNat), 31001}));
}

TEST_F(NatPeersTest, FlowFollowsLatestSender) {
  // The same inner flow from the other peer (possible when both use the
  // same private address and port) moves the flow to that peer.
  SendToPublic(peers_[0], Segment(kPrivate, kPublic, 40000, kTransferPort));
  SendToPublic(peers_[1], Segment(kPrivate, kPublic, 40000, kTransferPort));

  const auto sent = SendFromPublic(Segment(kPublic, kNat, kTransferPort, 40000));
  EXPECT_EQ(sent.addressing.remote, (Endpoint{Address(kNat), 31001}));
}

TEST_F(NatPeersTest, AmbiguousDeleteRejected) {
  const auto deleted = public_backend_.DeleteSa(kSharedOutboundSpi, Address(kNat));

  ASSERT_FALSE(deleted.has_value());
  EXPECT_EQ(deleted.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(OutboundSasTo(31000), 1u);
  EXPECT_EQ(OutboundSasTo(31001), 1u);
}

TEST_F(NatPeersTest, DeleteByPortRemovesOnlyThatPeer) {
  ASSERT_TRUE(
      public_backend_.DeleteEncapsulatedSa(kSharedOutboundSpi, Address(kNat), 31000).has_value());

  EXPECT_EQ(OutboundSasTo(31000), 0u);
  EXPECT_EQ(OutboundSasTo(31001), 1u);
  const auto again = public_backend_.DeleteEncapsulatedSa(kSharedOutboundSpi, Address(kNat), 31000);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
  // With one SA left, the plain delete is no longer ambiguous.
  EXPECT_TRUE(public_backend_.DeleteSa(kSharedOutboundSpi, Address(kNat)).has_value());
  EXPECT_EQ(OutboundSasTo(31001), 0u);
}

TEST_F(NatPeersTest, DeletedPeerFlowFallsBackToNewest) {
  SendToPublic(peers_[0], Segment(kPrivate, kPublic, 40000, kTransferPort));
  ASSERT_TRUE(
      public_backend_.DeleteEncapsulatedSa(kSharedOutboundSpi, Address(kNat), 31000).has_value());

  const auto sent = SendFromPublic(Segment(kPublic, kNat, kTransferPort, 40000));
  EXPECT_EQ(sent.addressing.remote, (Endpoint{Address(kNat), 31001}));
}

}  // namespace
}  // namespace ipop::esp
