#include "ike/nat_detection.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace ipop::ike {
namespace {

Cookie ToCookie(const char* hex) {
  const Bytes bytes = HexToBytes(hex);
  Cookie cookie{};
  std::copy(bytes.begin(), bytes.end(), cookie.begin());
  return cookie;
}

// Cookies and addresses of the racoon capture. racoon sent these hashes in
// Main Mode message 3 (racoon-a.log); they were also computed independently:
//   python3 -c 'import hashlib,socket,struct; print(hashlib.sha1(
//     bytes.fromhex("006d2aece15feaaaa0faf56f5877efde")
//     + socket.inet_aton("10.77.0.2") + struct.pack(">H", 500)).hexdigest())'
const Cookie kInitiatorCookie = ToCookie("006d2aece15feaaa");
const Cookie kResponderCookie = ToCookie("a0faf56f5877efde");
const Endpoint kNodeA{*Ipv4Address::Parse("10.77.0.1"), 500};
const Endpoint kNodeB{*Ipv4Address::Parse("10.77.0.2"), 500};
constexpr char kHashOfNodeA[] = "de3e5f13af79588ed7c4ade8617ad4c582056652";
constexpr char kHashOfNodeB[] = "85dd9324dd55574f3bfd8b8211a1a59184d8c76e";

TEST(NatDetectionTest, Sha1HashMatchesRacoon) {
  EXPECT_EQ(ToHex(ComputeNatDHash(crypto::HashAlgorithm::kSha1, kInitiatorCookie, kResponderCookie, kNodeB)),
            kHashOfNodeB);
  EXPECT_EQ(ToHex(ComputeNatDHash(crypto::HashAlgorithm::kSha1, kInitiatorCookie, kResponderCookie, kNodeA)),
            kHashOfNodeA);
}

TEST(NatDetectionTest, Sha256HashOnPort4500) {
  // Computed as above with hashlib.sha256 and port 4500.
  const Endpoint node_b_natt{kNodeB.address, 4500};
  EXPECT_EQ(
      ToHex(ComputeNatDHash(crypto::HashAlgorithm::kSha256, kInitiatorCookie, kResponderCookie, node_b_natt)),
      "4956c77a930d63f0c30f19d72d5dc7d3af3e7214bebf9a342c29cae361b40c4d");
}

TEST(NatDetectionTest, NoNatInRacoonExchange) {
  // Node B received message 3: destination B, source A; hashes [B, A].
  const std::vector<Bytes> received = {HexToBytes(kHashOfNodeB), HexToBytes(kHashOfNodeA)};
  const auto result =
      DetectNat(crypto::HashAlgorithm::kSha1, kInitiatorCookie, kResponderCookie, kNodeB, kNodeA, received);
  EXPECT_FALSE(result.local_behind_nat);
  EXPECT_FALSE(result.peer_behind_nat);
  EXPECT_FALSE(result.any_nat());
}

TEST(NatDetectionTest, DetectsTranslatedPeer) {
  // The peer hashed 10.77.0.1:500, but its datagram arrives from a NAT
  // mapping 203.0.113.7:31000.
  const Endpoint mapped{*Ipv4Address::Parse("203.0.113.7"), 31000};
  const std::vector<Bytes> received = {HexToBytes(kHashOfNodeB), HexToBytes(kHashOfNodeA)};
  const auto result =
      DetectNat(crypto::HashAlgorithm::kSha1, kInitiatorCookie, kResponderCookie, kNodeB, mapped, received);
  EXPECT_FALSE(result.local_behind_nat);
  EXPECT_TRUE(result.peer_behind_nat);
}

TEST(NatDetectionTest, DetectsTranslatedLocal) {
  // We are 192.168.1.100 behind a NAT; the peer hashed our public mapping.
  const Endpoint local{*Ipv4Address::Parse("192.168.1.100"), 500};
  const std::vector<Bytes> received = {HexToBytes(kHashOfNodeB), HexToBytes(kHashOfNodeA)};
  const auto result =
      DetectNat(crypto::HashAlgorithm::kSha1, kInitiatorCookie, kResponderCookie, local, kNodeA, received);
  EXPECT_TRUE(result.local_behind_nat);
  EXPECT_FALSE(result.peer_behind_nat);
}

TEST(NatDetectionTest, AnyLaterHashMayMatchPeer) {
  const std::vector<Bytes> received = {HexToBytes(kHashOfNodeB), Bytes(20, std::byte{0}),
                                       HexToBytes(kHashOfNodeA)};
  const auto result =
      DetectNat(crypto::HashAlgorithm::kSha1, kInitiatorCookie, kResponderCookie, kNodeB, kNodeA, received);
  EXPECT_FALSE(result.peer_behind_nat);
}

TEST(NatDetectionTest, VersionsMapToPayloadTypes) {
  EXPECT_EQ(NatTraversalVersionOf(KnownVendorId::kRfc3947), NatTraversalVersion::kRfc3947);
  EXPECT_EQ(NatTraversalVersionOf(KnownVendorId::kNatTDraft02Newline), NatTraversalVersion::kDraft02);
  EXPECT_EQ(NatTraversalVersionOf(KnownVendorId::kDpd), NatTraversalVersion::kNone);
  EXPECT_EQ(NatDPayloadType(NatTraversalVersion::kRfc3947), PayloadType::kNatD);
  EXPECT_EQ(NatDPayloadType(NatTraversalVersion::kDraft03), PayloadType::kNatDDraft);
  EXPECT_EQ(NatOaPayloadType(NatTraversalVersion::kRfc3947), PayloadType::kNatOa);
  EXPECT_EQ(NatOaPayloadType(NatTraversalVersion::kDraft02), PayloadType::kNatOaDraft);
  EXPECT_EQ(UdpTransportEncapsulationMode(NatTraversalVersion::kRfc3947), 4);
  EXPECT_EQ(UdpTransportEncapsulationMode(NatTraversalVersion::kDraft02), 61444);
  EXPECT_EQ(UdpTunnelEncapsulationMode(NatTraversalVersion::kRfc3947), 3);
  EXPECT_EQ(UdpTunnelEncapsulationMode(NatTraversalVersion::kDraft03), 61443);
}

}  // namespace
}  // namespace ipop::ike
