#include "esp/esp_tunnel.h"

#include <chrono>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "base/byte_reader.h"
#include "esp/datapath.h"
#include "esp/datapath_worker.h"
#include "esp/sad.h"
#include "esp/userspace_backend.h"
#include "tests/esp/esp_test_util.h"
#include "tests/esp/memory_packet_io.h"

namespace ipop::esp {
namespace {

using test::AlgorithmCase;
using test::Address;
using test::BuildIpv4Packet;
using test::kAlgorithms;
using test::MakeSaConfig;

constexpr uint32_t kSpi = 0x1000abcd;
constexpr const char* kGatewayA = "192.0.2.1";
constexpr const char* kGatewayB = "192.0.2.2";
constexpr const char* kHostA = "10.1.0.5";
constexpr const char* kHostB = "10.2.0.7";

// Both values printed by tests/esp/tunnel_vectors.py, which builds the
// packet with Python's `cryptography` package (AES-128-GCM, RFC 4106).
constexpr const char* kVectorInner =
    "45000022123440003f0115990a0100050a0200070800af370077000174756e6e656c";
constexpr const char* kVectorPacket =
    "45000058000140004032b66fc0000201c00002021000abcd000000010001020304050607fdf2da4e5687b01b"
    "466753c29ce94a8e1564f8edbd7c6dcf987943f21be527be367e8e58114c987cd68edb746dbd5ac69d963b62";

struct SaPair {
  std::shared_ptr<SecurityAssociation> outbound;
  std::shared_ptr<SecurityAssociation> inbound;
};

SaPair MakeTunnelPair(const AlgorithmCase& algorithm) {
  EspSaConfig out_config = MakeSaConfig(algorithm, kSpi, kGatewayA, kGatewayB, false);
  EspSaConfig in_config = MakeSaConfig(algorithm, kSpi, kGatewayA, kGatewayB, true);
  out_config.mode = IpsecMode::kTunnel;
  in_config.mode = IpsecMode::kTunnel;
  const auto now = std::chrono::system_clock::now();
  auto outbound = SecurityAssociation::Create(std::move(out_config), 1, now);
  auto inbound = SecurityAssociation::Create(std::move(in_config), 1, now);
  EXPECT_TRUE(outbound.has_value());
  EXPECT_TRUE(inbound.has_value());
  return {outbound.value_or(nullptr), inbound.value_or(nullptr)};
}

Bytes Encapsulate(const Bytes& inner, SecurityAssociation& sa) {
  return test::EncapsulateOrEmpty(EncapsulateTunnel, inner, sa);
}

std::expected<Bytes, DropReason> Decapsulate(const Bytes& packet, SecurityAssociation& sa) {
  return test::DecapsulateCopy(DecapsulateTunnel, packet, sa);
}

TEST(EspTunnel, DecapsulatesPythonVector) {
  SaPair pair = MakeTunnelPair(kAlgorithms[5]);  // AES-128-GCM-16
  ASSERT_NE(pair.inbound, nullptr);

  auto inner = Decapsulate(HexToBytes(kVectorPacket), *pair.inbound);

  ASSERT_TRUE(inner.has_value()) << DropReasonName(inner.error());
  EXPECT_EQ(ToHex(*inner), kVectorInner);
  EXPECT_EQ(pair.inbound->Status().packets, 1u);
}

TEST(EspTunnel, OuterHeaderFields) {
  SaPair pair = MakeTunnelPair(kAlgorithms[5]);
  Bytes inner = HexToBytes(kVectorInner);
  // TOS 0xb8 (DSCP EF) must reach the outer header.
  inner[1] = std::byte{0xb8};
  StoreU16(MutableByteView(inner).subspan(10, 2), 0);
  StoreU16(MutableByteView(inner).subspan(10, 2), Ipv4HeaderChecksum(ByteView(inner).first(20)));

  const Bytes packet = Encapsulate(inner, *pair.outbound);

  // 20 outer + 8 ESP header + 8 IV + 34 inner + 2 trailer (no padding
  // at 4-byte alignment) + 16 ICV, as in the Python vector.
  ASSERT_EQ(packet.size(), 88u);
  EXPECT_EQ(ToHex(ByteView(packet).first(10)), "45b80058000140004032");
  EXPECT_EQ(ToHex(ByteView(packet).subspan(12, 8)), "c0000201c0000202");
  EXPECT_TRUE(VerifyIpv4Checksum(ByteView(packet).first(20)));
  EXPECT_EQ(ToHex(ByteView(packet).subspan(20, 8)), "1000abcd00000001");
  auto decapsulated = Decapsulate(packet, *pair.inbound);
  ASSERT_TRUE(decapsulated.has_value()) << DropReasonName(decapsulated.error());
  EXPECT_EQ(*decapsulated, inner);
}

TEST(EspTunnel, OuterHeaderWithoutDontFragment) {
  SaPair pair = MakeTunnelPair(kAlgorithms[1]);
  Bytes inner = BuildIpv4Packet(kHostA, kHostB, kIpProtocolUdp, 40);
  StoreU16(MutableByteView(inner).subspan(6, 2), 0);  // clear DF
  StoreU16(MutableByteView(inner).subspan(10, 2), 0);
  StoreU16(MutableByteView(inner).subspan(10, 2), Ipv4HeaderChecksum(ByteView(inner).first(20)));

  const Bytes packet = Encapsulate(inner, *pair.outbound);

  EXPECT_EQ(LoadU16(ByteView(packet).subspan(6, 2)), 0u);
  EXPECT_EQ(std::to_integer<uint8_t>(packet[8]), kTunnelOuterTtl);
}

TEST(EspTunnel, RoundTripAllAlgorithmsAndSizes) {
  const std::vector<size_t> payload_sizes = {0, 1, 2, 3, 7, 8, 13, 16, 17, 100, 1000, 1400, 1480};
  for (const AlgorithmCase& algorithm : kAlgorithms) {
    SCOPED_TRACE(algorithm.name);
    SaPair pair = MakeTunnelPair(algorithm);
    ASSERT_NE(pair.outbound, nullptr);
    crypto::EspCrypto& crypto = pair.outbound->crypto(0);
    for (size_t options : {0u, 8u}) {
      for (size_t size : payload_sizes) {
        SCOPED_TRACE("payload " + std::to_string(size) + " options " + std::to_string(options));
        const Bytes inner = BuildIpv4Packet(kHostA, kHostB, kIpProtocolTcp, size, options);

        const Bytes packet = Encapsulate(inner, *pair.outbound);

        auto outer = ParseIpv4Header(packet);
        ASSERT_TRUE(outer.has_value());
        EXPECT_EQ(outer->header_length, kIpv4MinHeaderLength);
        EXPECT_EQ(outer->source, Address(kGatewayA));
        EXPECT_EQ(outer->destination, Address(kGatewayB));
        EXPECT_EQ(outer->protocol, kIpProtocolEsp);
        EXPECT_EQ(packet.size(), kIpv4MinHeaderLength + EspLength(crypto, inner.size()));
        EXPECT_LE(packet.size() - inner.size(), kMaxEspTunnelOverhead);
        auto decapsulated = Decapsulate(packet, *pair.inbound);
        ASSERT_TRUE(decapsulated.has_value()) << DropReasonName(decapsulated.error());
        EXPECT_EQ(*decapsulated, inner);
      }
    }
  }
}

TEST(EspTunnel, FragmentCarried) {
  SaPair pair = MakeTunnelPair(kAlgorithms[0]);
  Bytes inner = BuildIpv4Packet(kHostA, kHostB, kIpProtocolUdp, 64);
  StoreU16(MutableByteView(inner).subspan(6, 2), kIpv4MoreFragments);
  StoreU16(MutableByteView(inner).subspan(10, 2), 0);
  StoreU16(MutableByteView(inner).subspan(10, 2), Ipv4HeaderChecksum(ByteView(inner).first(20)));

  auto decapsulated = Decapsulate(Encapsulate(inner, *pair.outbound), *pair.inbound);

  ASSERT_TRUE(decapsulated.has_value()) << DropReasonName(decapsulated.error());
  EXPECT_EQ(*decapsulated, inner);
}

TEST(EspTunnel, TransportPacketRejected) {
  SaPair pair = MakeTunnelPair(kAlgorithms[1]);
  Bytes out(kIpv4MaxPacketLength);
  const Bytes inner = BuildIpv4Packet(kGatewayA, kGatewayB, kIpProtocolUdp, 40);
  auto length = EncapsulateTransport(inner, *pair.outbound, 0, out);
  ASSERT_TRUE(length.has_value());
  out.resize(*length);

  auto result = Decapsulate(out, *pair.inbound);

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), DropReason::kWrongNextHeader);
}

TEST(EspTunnel, InnerLengthMismatchRejected) {
  SaPair pair = MakeTunnelPair(kAlgorithms[5]);
  // An inner header claiming 30 bytes inside a 34-byte payload.
  Bytes inner = HexToBytes(kVectorInner);
  StoreU16(MutableByteView(inner).subspan(2, 2), 30);
  Bytes out(kIpv4MaxPacketLength);
  auto sealed = SealEspPayload(inner, kIpProtocolIpv4InIp, *pair.outbound, 0,
                               MutableByteView(out).subspan(kIpv4MinHeaderLength));
  ASSERT_TRUE(sealed.has_value());
  const size_t esp_length = EspLength(pair.outbound->crypto(0), inner.size());
  Bytes packet = BuildIpv4Packet(kGatewayA, kGatewayB, kIpProtocolEsp, esp_length);
  std::copy_n(out.begin() + kIpv4MinHeaderLength, esp_length,
              packet.begin() + kIpv4MinHeaderLength);

  auto result = Decapsulate(packet, *pair.inbound);

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), DropReason::kMalformed);
}

TEST(EspTunnel, TruncatedPacketRejected) {
  SaPair pair = MakeTunnelPair(kAlgorithms[3]);
  const Bytes packet = Encapsulate(BuildIpv4Packet(kHostA, kHostB, kIpProtocolIcmp, 30),
                                   *pair.outbound);
  for (size_t length = kIpv4MinHeaderLength; length < packet.size(); ++length) {
    Bytes cut(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(length));
    StoreU16(MutableByteView(cut).subspan(2, 2), static_cast<uint16_t>(length));
    auto result = Decapsulate(cut, *pair.inbound);
    ASSERT_FALSE(result.has_value()) << "length " << length;
    EXPECT_TRUE(result.error() == DropReason::kMalformed ||
                result.error() == DropReason::kIntegrity)
        << "length " << length << ": " << DropReasonName(result.error());
  }
}

// Two gateways, A (192.0.2.1) with subnet 10.1.0.0/16 and B (192.0.2.2)
// with 10.2.0.0/16, each with tunnel policies as setkey writes them: `out`
// and `in` on A, `out` and `fwd` on B, whose hosts sit behind it.
class TunnelDatapathTest : public ::testing::Test {
 protected:
  static Policy MakeTunnelPolicy(PolicyDirection direction, const char* source,
                                 const char* destination, const char* tunnel_source,
                                 const char* tunnel_destination) {
    Policy policy;
    policy.selector.source = {Address(source), 16};
    policy.selector.destination = {Address(destination), 16};
    policy.direction = direction;
    policy.mode = IpsecMode::kTunnel;
    policy.tunnel_source = Address(tunnel_source);
    policy.tunnel_destination = Address(tunnel_destination);
    return policy;
  }

  void SetUp() override {
    out_a_ = *backend_a_.AddPolicy(
        MakeTunnelPolicy(PolicyDirection::kOut, "10.1.0.0", "10.2.0.0", kGatewayA, kGatewayB));
    ASSERT_TRUE(backend_b_
                    .AddPolicy(MakeTunnelPolicy(PolicyDirection::kOut, "10.2.0.0", "10.1.0.0",
                                                kGatewayB, kGatewayA))
                    .has_value());
    fwd_b_ = *backend_b_.AddPolicy(
        MakeTunnelPolicy(PolicyDirection::kFwd, "10.1.0.0", "10.2.0.0", kGatewayA, kGatewayB));
    backend_a_.set_acquire_handler(
        [this](const AcquireRequest& request) { acquires_.push_back(request); });
    DatapathOptions options;
    options.now = [] { return TimePoint{} + std::chrono::hours(1); };
    datapath_a_ = std::make_unique<Datapath>(backend_a_, std::vector<PacketIo*>{&io_a_}, options);
    datapath_b_ = std::make_unique<Datapath>(backend_b_, std::vector<PacketIo*>{&io_b_}, options);
  }

  void InstallSa(IpsecMode mode, uint32_t inbound_policy_id) {
    EspSaConfig out = MakeSaConfig(kAlgorithms[6], kSpi, kGatewayA, kGatewayB, false);
    EspSaConfig in = MakeSaConfig(kAlgorithms[6], kSpi, kGatewayA, kGatewayB, true);
    out.mode = mode;
    in.mode = mode;
    out.policy_id = out_a_.id;
    in.policy_id = inbound_policy_id;
    ASSERT_TRUE(backend_a_.AddSa(std::move(out)).has_value());
    ASSERT_TRUE(backend_b_.AddSa(std::move(in)).has_value());
  }

  void SendAToB(const Bytes& packet) {
    io_a_.tun_input.push_back(packet);
    datapath_a_->worker(0).ProcessReady();
    for (Bytes& esp : io_a_.esp_output) {
      io_b_.esp_input.push_back(std::move(esp));
    }
    io_a_.esp_output.clear();
    datapath_b_->worker(0).ProcessReady();
  }

  UserspaceBackend backend_a_;
  UserspaceBackend backend_b_;
  test::MemoryPacketIo io_a_;
  test::MemoryPacketIo io_b_;
  std::unique_ptr<Datapath> datapath_a_;
  std::unique_ptr<Datapath> datapath_b_;
  Policy out_a_;
  Policy fwd_b_;
  std::vector<AcquireRequest> acquires_;
};

TEST_F(TunnelDatapathTest, SubnetPacketCrossesTunnel) {
  InstallSa(IpsecMode::kTunnel, fwd_b_.id);
  const Bytes ping = BuildIpv4Packet(kHostA, kHostB, kIpProtocolIcmp, 56);

  SendAToB(ping);

  EXPECT_EQ(datapath_a_->Statistics().esp_packets_sent, 1u);
  ASSERT_EQ(io_b_.tun_output.size(), 1u);
  EXPECT_EQ(io_b_.tun_output[0], ping);
  EXPECT_TRUE(acquires_.empty());
}

TEST_F(TunnelDatapathTest, InnerPacketOutsideSelectorsDropped) {
  // A second `out` policy on A for 10.3.0.0/16 uses the same tunnel, but B
  // has no policy for it, so B must not deliver the inner packet.
  Policy wider = MakeTunnelPolicy(PolicyDirection::kOut, "10.1.0.0", "10.3.0.0", kGatewayA,
                                  kGatewayB);
  const Policy other = *backend_a_.AddPolicy(wider);
  EspSaConfig out = MakeSaConfig(kAlgorithms[6], kSpi, kGatewayA, kGatewayB, false);
  EspSaConfig in = MakeSaConfig(kAlgorithms[6], kSpi, kGatewayA, kGatewayB, true);
  out.mode = IpsecMode::kTunnel;
  in.mode = IpsecMode::kTunnel;
  out.policy_id = other.id;
  in.policy_id = fwd_b_.id;
  ASSERT_TRUE(backend_a_.AddSa(std::move(out)).has_value());
  ASSERT_TRUE(backend_b_.AddSa(std::move(in)).has_value());

  SendAToB(BuildIpv4Packet(kHostA, "10.3.0.9", kIpProtocolIcmp, 56));

  EXPECT_EQ(datapath_a_->Statistics().esp_packets_sent, 1u);
  EXPECT_TRUE(io_b_.tun_output.empty());
  EXPECT_EQ(datapath_b_->Statistics().dropped(DropReason::kInboundPolicy), 1u);
}

TEST_F(TunnelDatapathTest, TransportSaNotUsedForTunnelPolicy) {
  InstallSa(IpsecMode::kTransport, 0);

  io_a_.tun_input.push_back(BuildIpv4Packet(kHostA, kHostB, kIpProtocolIcmp, 56));
  datapath_a_->worker(0).ProcessReady();

  EXPECT_TRUE(io_a_.esp_output.empty());
  ASSERT_EQ(acquires_.size(), 1u);
  EXPECT_EQ(acquires_[0].policy_id, out_a_.id);
}

}  // namespace
}  // namespace ipop::esp
