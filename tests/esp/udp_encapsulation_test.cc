#include "esp/udp_encapsulation.h"

#include <string>

#include <gtest/gtest.h>

#include "base/byte_reader.h"
#include "tests/esp/esp_test_util.h"

namespace ipop::esp {
namespace {

using test::Address;
using test::BuildIpv4Packet;

// The original addresses of natt_checksum_vectors.py, as the sender used
// them before the NAT rewrote them.
constexpr const char* kOriginalSource = "10.0.0.2";
constexpr const char* kOriginalDestination = "198.51.100.1";

// Packets and checksums printed by tests/esp/natt_checksum_vectors.py,
// which computes them in Python independently of this code.
constexpr const char* kUdpPacket =
    "4500002e1234400040112bd3cb007105c0a8000a11950035001a622669706f702d657370206e6174742074657374";
constexpr uint16_t kUdpExpected = 0x99a4;
constexpr const char* kTcpPacket =
    "4500003b1234400040062bd1cb007105c0a8000a9c40001601020304000000005018ffffcf72000068656c6c6f20"
    "7468726f7567682061204e4154";
constexpr uint16_t kTcpExpected = 0x06f1;
constexpr const char* kUdpZeroResultPacket =
    "450000221234400040112bdfcb007105c0a8000a11950035000ec88169706f70186f";

constexpr size_t kUdpChecksumAt = 20 + 6;
constexpr size_t kTcpChecksumAt = 20 + 16;

struct FixUpResult {
  bool changed = false;
  uint16_t checksum = 0;
};

FixUpResult FixUp(Bytes& packet, size_t checksum_at, bool with_original_addresses) {
  const Ipv4Header header = *ParseIpv4Header(packet);
  std::optional<Ipv4Address> source;
  std::optional<Ipv4Address> destination;
  if (with_original_addresses) {
    source = Address(kOriginalSource);
    destination = Address(kOriginalDestination);
  }
  FixUpResult result;
  result.changed = FixTransportChecksum(packet, header, source, destination);
  result.checksum = LoadU16(ByteView(packet).subspan(checksum_at, 2));
  return result;
}

TEST(NattDemultiplexer, MarkerIsIke) {
  const Bytes datagram = HexToBytes("00000000aabbccdd");
  const NattDatagram classified = ClassifyNattDatagram(datagram);
  EXPECT_EQ(classified.kind, NattDatagramKind::kIke);
  EXPECT_EQ(Bytes(classified.payload.begin(), classified.payload.end()), HexToBytes("aabbccdd"));
}

TEST(NattDemultiplexer, MarkerAloneIsEmptyIke) {
  const Bytes datagram = HexToBytes("00000000");
  const NattDatagram classified = ClassifyNattDatagram(datagram);
  EXPECT_EQ(classified.kind, NattDatagramKind::kIke);
  EXPECT_TRUE(classified.payload.empty());
}

TEST(NattDemultiplexer, SingleFfIsKeepalive) {
  EXPECT_EQ(ClassifyNattDatagram(HexToBytes("ff")).kind, NattDatagramKind::kKeepalive);
}

TEST(NattDemultiplexer, NonZeroSpiIsEsp) {
  const Bytes datagram = HexToBytes("c0ffee0100000001");
  const NattDatagram classified = ClassifyNattDatagram(datagram);
  EXPECT_EQ(classified.kind, NattDatagramKind::kEsp);
  EXPECT_EQ(classified.payload.size(), datagram.size());
  EXPECT_EQ(classified.payload.data(), datagram.data());
}

TEST(NattDemultiplexer, SpiWithOneNonZeroByteIsEsp) {
  EXPECT_EQ(ClassifyNattDatagram(HexToBytes("0000000100000001")).kind, NattDatagramKind::kEsp);
}

TEST(NattDemultiplexer, TooShortIsInvalid) {
  const char* cases[] = {"", "00", "fe", "ffff", "000000", "c0ffee01", "c0ffee01000000"};
  for (const char* hex : cases) {
    EXPECT_EQ(ClassifyNattDatagram(HexToBytes(hex)).kind, NattDatagramKind::kInvalid)
        << "datagram " << (*hex == '\0' ? "(empty)" : hex);
  }
}

TEST(EspHeaderForUdp, WritesValidEspHeader) {
  Bytes header(kIpv4MinHeaderLength + 30);
  WriteEspHeaderForUdp(header, Address("203.0.113.5"), Address("192.168.0.10"), 30);

  EXPECT_TRUE(VerifyIpv4Checksum(ByteView(header).first(kIpv4MinHeaderLength)));
  const std::optional<Ipv4Header> parsed = ParseIpv4Header(header);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->protocol, kIpProtocolEsp);
  EXPECT_EQ(parsed->total_length, header.size());
  EXPECT_EQ(parsed->source, Address("203.0.113.5"));
  EXPECT_EQ(parsed->destination, Address("192.168.0.10"));
  EXPECT_FALSE(parsed->fragment);
}

TEST(TransportChecksumFixUp, UdpIncrementalFromNatOa) {
  Bytes packet = HexToBytes(kUdpPacket);
  const FixUpResult result = FixUp(packet, kUdpChecksumAt, true);
  EXPECT_TRUE(result.changed);
  EXPECT_EQ(result.checksum, kUdpExpected);
}

TEST(TransportChecksumFixUp, UdpRecomputedWithoutNatOa) {
  Bytes packet = HexToBytes(kUdpPacket);
  const FixUpResult result = FixUp(packet, kUdpChecksumAt, false);
  EXPECT_TRUE(result.changed);
  EXPECT_EQ(result.checksum, kUdpExpected);
}

TEST(TransportChecksumFixUp, TcpIncrementalFromNatOa) {
  Bytes packet = HexToBytes(kTcpPacket);
  const FixUpResult result = FixUp(packet, kTcpChecksumAt, true);
  EXPECT_TRUE(result.changed);
  EXPECT_EQ(result.checksum, kTcpExpected);
}

TEST(TransportChecksumFixUp, TcpRecomputedWithoutNatOa) {
  Bytes packet = HexToBytes(kTcpPacket);
  const FixUpResult result = FixUp(packet, kTcpChecksumAt, false);
  EXPECT_TRUE(result.changed);
  EXPECT_EQ(result.checksum, kTcpExpected);
}

TEST(TransportChecksumFixUp, PayloadOtherwiseUnchanged) {
  for (bool with_original_addresses : {true, false}) {
    Bytes packet = HexToBytes(kTcpPacket);
    const Bytes before = packet;
    FixUp(packet, kTcpChecksumAt, with_original_addresses);
    for (size_t i = 0; i < packet.size(); ++i) {
      if (i == kTcpChecksumAt || i == kTcpChecksumAt + 1) {
        continue;
      }
      EXPECT_EQ(packet[i], before[i]) << "byte " << i << ", NAT-OA " << with_original_addresses;
    }
  }
}

TEST(TransportChecksumFixUp, UdpZeroResultBecomesAllOnes) {
  for (bool with_original_addresses : {true, false}) {
    Bytes packet = HexToBytes(kUdpZeroResultPacket);
    const FixUpResult result = FixUp(packet, kUdpChecksumAt, with_original_addresses);
    EXPECT_EQ(result.checksum, 0xffff) << "NAT-OA " << with_original_addresses;
  }
}

TEST(TransportChecksumFixUp, UdpWithoutChecksumStaysZero) {
  for (bool with_original_addresses : {true, false}) {
    Bytes packet = HexToBytes(kUdpPacket);
    StoreU16(MutableByteView(packet).subspan(kUdpChecksumAt, 2), 0);
    const FixUpResult result = FixUp(packet, kUdpChecksumAt, with_original_addresses);
    EXPECT_FALSE(result.changed);
    EXPECT_EQ(result.checksum, 0) << "NAT-OA " << with_original_addresses;
  }
}

TEST(TransportChecksumFixUp, UnchangedAddressesKeepChecksum) {
  Bytes packet = HexToBytes(kUdpPacket);
  const Ipv4Header header = *ParseIpv4Header(packet);
  EXPECT_FALSE(FixTransportChecksum(packet, header, header.source, header.destination));
  EXPECT_EQ(Bytes(packet), HexToBytes(kUdpPacket));
}

TEST(TransportChecksumFixUp, OtherProtocolsPassUnchanged) {
  constexpr uint8_t kIpProtocolGre = 47;  // IANA
  for (uint8_t protocol : {kIpProtocolIcmp, kIpProtocolGre}) {
    for (bool with_original_addresses : {true, false}) {
      Bytes packet = BuildIpv4Packet("203.0.113.5", "192.168.0.10", protocol, 40);
      const Bytes before = packet;
      const Ipv4Header header = *ParseIpv4Header(packet);
      std::optional<Ipv4Address> source;
      std::optional<Ipv4Address> destination;
      if (with_original_addresses) {
        source = Address(kOriginalSource);
        destination = Address(kOriginalDestination);
      }
      EXPECT_FALSE(FixTransportChecksum(packet, header, source, destination));
      EXPECT_EQ(packet, before) << "protocol " << int{protocol};
    }
  }
}

TEST(TransportChecksumFixUp, FragmentPassesUnchanged) {
  Bytes packet = HexToBytes(kUdpPacket);
  // Set MF: the checksum covers the reassembled datagram, not this part.
  StoreU16(MutableByteView(packet).subspan(6, 2), 0x2000);
  StoreU16(MutableByteView(packet).subspan(10, 2), 0);
  StoreU16(MutableByteView(packet).subspan(10, 2),
           Ipv4HeaderChecksum(ByteView(packet).first(kIpv4MinHeaderLength)));
  const Bytes before = packet;
  const Ipv4Header header = *ParseIpv4Header(packet);
  EXPECT_FALSE(FixTransportChecksum(packet, header, std::nullopt, std::nullopt));
  EXPECT_EQ(packet, before);
}

TEST(TransportChecksumFixUp, TruncatedTcpHeaderPassesUnchanged) {
  Bytes packet = BuildIpv4Packet("203.0.113.5", "192.168.0.10", kIpProtocolTcp, 12);
  const Bytes before = packet;
  const Ipv4Header header = *ParseIpv4Header(packet);
  EXPECT_FALSE(FixTransportChecksum(packet, header, std::nullopt, std::nullopt));
  EXPECT_EQ(packet, before);
}

}  // namespace
}  // namespace ipop::esp
