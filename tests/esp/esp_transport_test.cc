#include "esp/esp_transport.h"

#include <chrono>
#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "base/byte_reader.h"
#include "esp/sad.h"
#include "tests/esp/esp_test_util.h"

namespace ipop::esp {
namespace {

using test::AlgorithmCase;
using test::BuildIpv4Packet;
using test::kAlgorithms;
using test::MakeSaConfig;

constexpr uint32_t kSpi = 0x1000abcd;

// A sender and a receiver SA sharing keys, as the two ends of one SA.
struct SaPair {
  std::shared_ptr<SecurityAssociation> outbound;
  std::shared_ptr<SecurityAssociation> inbound;
};

SaPair MakePair(const AlgorithmCase& algorithm, uint32_t replay_window = 64) {
  EspSaConfig out_config =
      MakeSaConfig(algorithm, kSpi, "192.168.1.100", "192.168.1.101", false);
  EspSaConfig in_config = MakeSaConfig(algorithm, kSpi, "192.168.1.100", "192.168.1.101", true);
  in_config.replay_window = replay_window;
  const auto now = std::chrono::system_clock::now();
  auto outbound = SecurityAssociation::Create(std::move(out_config), 1, now);
  auto inbound = SecurityAssociation::Create(std::move(in_config), 1, now);
  EXPECT_TRUE(outbound.has_value()) << (outbound ? "" : ToString(outbound.error()));
  EXPECT_TRUE(inbound.has_value()) << (inbound ? "" : ToString(inbound.error()));
  return {*outbound, *inbound};
}

Bytes Encapsulate(const Bytes& inner, SecurityAssociation& sa) {
  return test::EncapsulateOrEmpty(EncapsulateTransport, inner, sa);
}

std::expected<Bytes, DropReason> Decapsulate(const Bytes& packet, SecurityAssociation& sa) {
  return test::DecapsulateCopy(DecapsulateTransport, packet, sa);
}

TEST(Ipv4Checksum, KnownHeader) {
  // 192.168.0.1 -> 192.168.0.199, UDP: the RFC 1071 sum computed with a
  // Python one-liner over the same 20 bytes gives 0xb861.
  const Bytes header = HexToBytes("450000730000400040110000c0a80001c0a800c7");
  EXPECT_EQ(Ipv4HeaderChecksum(header), 0xb861);

  Bytes with_checksum = header;
  with_checksum[10] = std::byte{0xb8};
  with_checksum[11] = std::byte{0x61};
  EXPECT_TRUE(VerifyIpv4Checksum(with_checksum));
}

TEST(EspTransport, RoundTripAllAlgorithmsAndSizes) {
  const std::vector<size_t> payload_sizes = {0,  1,  2,  3,  4,  5,   6,   7,   8,    9,
                                             13, 14, 15, 16, 17, 31,  32,  33,  64,   100,
                                             255, 256, 511, 1000, 1400, 1479, 1480};
  for (const AlgorithmCase& algorithm : kAlgorithms) {
    SCOPED_TRACE(algorithm.name);
    SaPair pair = MakePair(algorithm);
    ASSERT_NE(pair.outbound, nullptr);
    ASSERT_NE(pair.inbound, nullptr);
    crypto::EspCrypto& crypto = pair.outbound->crypto(0);
    uint32_t expected_sequence = 1;

    for (size_t options : {0u, 4u, 40u}) {
      for (size_t size : payload_sizes) {
        SCOPED_TRACE("payload " + std::to_string(size) + " options " + std::to_string(options));
        const Bytes inner =
            BuildIpv4Packet("192.168.1.100", "192.168.1.101", kIpProtocolUdp, size, options);
        const size_t header_length = kIpv4MinHeaderLength + options;

        const Bytes esp = Encapsulate(inner, *pair.outbound);
        ASSERT_FALSE(esp.empty());

        // Outer header: same addresses, protocol 50, right length, valid checksum.
        auto outer = ParseIpv4Header(esp);
        ASSERT_TRUE(outer.has_value());
        EXPECT_EQ(outer->header_length, header_length);
        EXPECT_EQ(outer->total_length, esp.size());
        EXPECT_EQ(outer->protocol, kIpProtocolEsp);
        EXPECT_EQ(outer->source, test::Address("192.168.1.100"));
        EXPECT_EQ(outer->destination, test::Address("192.168.1.101"));
        EXPECT_TRUE(VerifyIpv4Checksum(ByteView(esp).first(header_length)));
        EXPECT_EQ(LoadU32(ByteView(esp).subspan(header_length, 4)), kSpi);
        EXPECT_EQ(LoadU32(ByteView(esp).subspan(header_length + 4, 4)), expected_sequence);
        ++expected_sequence;

        // RFC 4303 §2.4: payload + trailer padded to whole cipher blocks.
        const size_t encrypted =
            esp.size() - header_length - kEspHeaderLength - crypto.iv_size() - crypto.icv_size();
        EXPECT_EQ(encrypted % crypto.block_size(), 0u);
        EXPECT_GE(encrypted, size + kEspTrailerLength);
        EXPECT_LT(encrypted, size + kEspTrailerLength + crypto.block_size());
        EXPECT_EQ(esp.size() - inner.size(), EspOverhead(crypto, size));
        EXPECT_LE(EspOverhead(crypto, size), kMaxEspTransportOverhead);

        auto decapsulated = Decapsulate(esp, *pair.inbound);
        ASSERT_TRUE(decapsulated.has_value()) << DropReasonName(decapsulated.error());
        EXPECT_EQ(*decapsulated, inner);
      }
    }
    EXPECT_EQ(pair.inbound->Status().packets, expected_sequence - 1);
    EXPECT_EQ(pair.outbound->Status().packets, expected_sequence - 1);
  }
}

TEST(EspTransport, TunMtuPacketFitsLink) {
  constexpr size_t kLinkMtu = 1500;
  const size_t tun_mtu = TunMtuForLinkMtu(kLinkMtu);
  for (const AlgorithmCase& algorithm : kAlgorithms) {
    SCOPED_TRACE(algorithm.name);
    SaPair pair = MakePair(algorithm);
    // Every inner size up to the TUN MTU, with and without options.
    for (size_t options : {0u, 40u}) {
      for (size_t total = kIpv4MinHeaderLength + options; total <= tun_mtu; ++total) {
        const Bytes inner = BuildIpv4Packet("192.168.1.100", "192.168.1.101", kIpProtocolUdp,
                                            total - kIpv4MinHeaderLength - options, options);
        const Bytes esp = Encapsulate(inner, *pair.outbound);
        ASSERT_LE(esp.size(), kLinkMtu) << "inner size " << total;
      }
    }
  }
}

TEST(EspTransport, EveryFlippedByteRejected) {
  for (const AlgorithmCase& algorithm : kAlgorithms) {
    SCOPED_TRACE(algorithm.name);
    SaPair pair = MakePair(algorithm);
    const Bytes inner =
        BuildIpv4Packet("192.168.1.100", "192.168.1.101", kIpProtocolIcmp, 37);
    const Bytes esp = Encapsulate(inner, *pair.outbound);

    // The outer IPv4 header is not covered by the ICV in transport mode;
    // every byte from the SPI to the end of the ICV is.
    uint64_t rejected = 0;
    for (size_t i = kIpv4MinHeaderLength; i < esp.size(); ++i) {
      Bytes tampered = esp;
      tampered[i] ^= std::byte{0x01};
      auto result = Decapsulate(tampered, *pair.inbound);
      EXPECT_FALSE(result.has_value()) << "byte " << i << " flipped was accepted";
      if (!result) {
        EXPECT_TRUE(result.error() == DropReason::kIntegrity ||
                    result.error() == DropReason::kReplay)
            << "byte " << i << ": " << DropReasonName(result.error());
        ++rejected;
      }
    }
    const EspSaStatus status = pair.inbound->Status();
    EXPECT_EQ(status.integrity_drops + status.replay_drops, rejected);
    EXPECT_GT(status.integrity_drops, 0u);
    EXPECT_EQ(status.packets, 0u);

    // No tampered packet moved the window: the original still passes.
    auto original = Decapsulate(esp, *pair.inbound);
    ASSERT_TRUE(original.has_value()) << DropReasonName(original.error());
    EXPECT_EQ(*original, inner);
  }
}

TEST(EspTransport, TruncatedBufferRejectedAtEveryLength) {
  for (const AlgorithmCase& algorithm : kAlgorithms) {
    SCOPED_TRACE(algorithm.name);
    SaPair pair = MakePair(algorithm);
    const Bytes esp = Encapsulate(
        BuildIpv4Packet("192.168.1.100", "192.168.1.101", kIpProtocolTcp, 50), *pair.outbound);

    for (size_t length = 0; length < esp.size(); ++length) {
      Bytes cut(esp.begin(), esp.begin() + static_cast<std::ptrdiff_t>(length));
      auto result = Decapsulate(cut, *pair.inbound);
      ASSERT_FALSE(result.has_value()) << "length " << length;
      EXPECT_EQ(result.error(), DropReason::kMalformed) << "length " << length;
    }
  }
}

// Cuts the ESP part and rewrites the outer total length and checksum to
// match, so that only the ESP checks can catch the cut.
TEST(EspTransport, ConsistentlyTruncatedRejectedAtEveryLength) {
  for (const AlgorithmCase& algorithm : kAlgorithms) {
    SCOPED_TRACE(algorithm.name);
    SaPair pair = MakePair(algorithm);
    const Bytes esp = Encapsulate(
        BuildIpv4Packet("192.168.1.100", "192.168.1.101", kIpProtocolTcp, 50), *pair.outbound);

    for (size_t length = kIpv4MinHeaderLength; length < esp.size(); ++length) {
      Bytes cut(esp.begin(), esp.begin() + static_cast<std::ptrdiff_t>(length));
      RewriteIpv4Header(MutableByteView(cut).first(kIpv4MinHeaderLength),
                        static_cast<uint16_t>(length), kIpProtocolEsp);
      auto result = Decapsulate(cut, *pair.inbound);
      ASSERT_FALSE(result.has_value()) << "length " << length;
      EXPECT_TRUE(result.error() == DropReason::kMalformed ||
                  result.error() == DropReason::kIntegrity)
          << "length " << length << ": " << DropReasonName(result.error());
    }
    EXPECT_TRUE(Decapsulate(esp, *pair.inbound).has_value());
  }
}

// Seals a hand-built ESP packet whose plaintext trailer is `trailer`
// (payload, padding, pad length, next header), under a 20-byte IPv4 header.
Bytes SealCustom(SecurityAssociation& sa, const Bytes& trailer, uint32_t sequence) {
  crypto::EspCrypto& crypto = sa.crypto(0);
  const size_t esp_length =
      kEspHeaderLength + crypto.iv_size() + trailer.size() + crypto.icv_size();
  Bytes packet = BuildIpv4Packet("192.168.1.100", "192.168.1.101", kIpProtocolEsp, esp_length);
  MutableByteView esp = MutableByteView(packet).subspan(kIpv4MinHeaderLength);
  StoreU32(esp.subspan(0, 4), sa.spi());
  StoreU32(esp.subspan(4, 4), sequence);
  std::copy(trailer.begin(), trailer.end(), esp.begin() + 8 + crypto.iv_size());
  EXPECT_TRUE(crypto.Seal(esp));
  return packet;
}

TEST(EspTransport, PaddingChecked) {
  SaPair pair = MakePair(kAlgorithms[1]);  // AES-CBC: 16-byte blocks
  struct Case {
    const char* name;
    const char* trailer_hex;  // 16 bytes: payload, padding, pad length, next header
    std::optional<DropReason> expected;  // nullopt: accepted
  };
  const Case cases[] = {
      {"monotonic padding", "0800aabbccdd0102030405060708 08 01", std::nullopt},
      {"padding starts at 2", "0800aabbccdd0203040506070809 08 01", DropReason::kBadPadding},
      {"one wrong pad byte", "0800aabbccdd0102030405060709 08 01", DropReason::kBadPadding},
      {"zero padding", "0800aabbccdd0000000000000000 08 01", DropReason::kBadPadding},
      {"pad length too long", "0800aabbccdd0102030405060708 0f 01", DropReason::kBadTrailer},
      {"dummy packet", "0800aabbccdd0102030405060708 08 3b", DropReason::kDummyPacket},
  };
  uint32_t sequence = 1;
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    const Bytes packet = SealCustom(*pair.outbound, HexToBytes(test_case.trailer_hex), sequence++);

    auto result = Decapsulate(packet, *pair.inbound);

    if (!test_case.expected) {
      ASSERT_TRUE(result.has_value()) << DropReasonName(result.error());
      EXPECT_EQ(result->size(), kIpv4MinHeaderLength + 6);
      EXPECT_EQ(std::to_integer<uint8_t>((*result)[kIpv4ProtocolOffset]), kIpProtocolIcmp);
      EXPECT_TRUE(VerifyIpv4Checksum(ByteView(*result).first(kIpv4MinHeaderLength)));
    } else {
      ASSERT_FALSE(result.has_value());
      EXPECT_EQ(result.error(), *test_case.expected) << DropReasonName(result.error());
    }
  }
}

TEST(EspTransport, ReplayedPacketRejected) {
  SaPair pair = MakePair(kAlgorithms[0]);
  const Bytes esp = Encapsulate(
      BuildIpv4Packet("192.168.1.100", "192.168.1.101", kIpProtocolIcmp, 56), *pair.outbound);

  ASSERT_TRUE(Decapsulate(esp, *pair.inbound).has_value());
  auto again = Decapsulate(esp, *pair.inbound);

  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), DropReason::kReplay);
  EXPECT_EQ(pair.inbound->Status().replay_drops, 1u);
  EXPECT_EQ(pair.inbound->Status().packets, 1u);
}

TEST(EspTransport, OutOfOrderInsideWindowAccepted) {
  SaPair pair = MakePair(kAlgorithms[1]);
  std::vector<Bytes> packets;
  for (int i = 0; i < 5; ++i) {
    packets.push_back(Encapsulate(
        BuildIpv4Packet("192.168.1.100", "192.168.1.101", kIpProtocolIcmp, 20 + i),
        *pair.outbound));
  }

  for (int index : {4, 0, 2, 1, 3}) {
    EXPECT_TRUE(Decapsulate(packets[index], *pair.inbound).has_value()) << "packet " << index;
  }
  EXPECT_EQ(Decapsulate(packets[2], *pair.inbound).error(), DropReason::kReplay);
}

TEST(EspTransport, OtherKeysFailIntegrity) {
  SaPair pair = MakePair(kAlgorithms[3]);
  EspSaConfig other_config =
      MakeSaConfig(kAlgorithms[3], kSpi, "192.168.1.100", "192.168.1.101", true, 2);
  auto other =
      SecurityAssociation::Create(std::move(other_config), 1, std::chrono::system_clock::now());
  ASSERT_TRUE(other.has_value());
  const Bytes esp = Encapsulate(
      BuildIpv4Packet("192.168.1.100", "192.168.1.101", kIpProtocolIcmp, 56), *pair.outbound);

  auto result = Decapsulate(esp, **other);

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), DropReason::kIntegrity);
  EXPECT_EQ((*other)->Status().integrity_drops, 1u);
}

TEST(EspTransport, FragmentNotEncapsulated) {
  SaPair pair = MakePair(kAlgorithms[0]);
  Bytes inner = BuildIpv4Packet("192.168.1.100", "192.168.1.101", kIpProtocolUdp, 100);
  StoreU16(MutableByteView(inner).subspan(6, 2), kIpv4MoreFragments);
  RewriteIpv4Header(MutableByteView(inner).first(20), static_cast<uint16_t>(inner.size()),
                    kIpProtocolUdp);
  Bytes out(kIpv4MaxPacketLength);

  auto result = EncapsulateTransport(inner, *pair.outbound, 0, out);

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), DropReason::kFragment);
}

TEST(EspTransport, NonIpv4NotEncapsulated) {
  SaPair pair = MakePair(kAlgorithms[0]);
  Bytes inner(40, std::byte{0});
  inner[0] = std::byte{0x60};  // IPv6
  Bytes out(kIpv4MaxPacketLength);

  auto result = EncapsulateTransport(inner, *pair.outbound, 0, out);

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), DropReason::kNotIpv4);
}

TEST(EspTransport, OutputTooSmallRejected) {
  SaPair pair = MakePair(kAlgorithms[0]);
  const Bytes inner = BuildIpv4Packet("192.168.1.100", "192.168.1.101", kIpProtocolUdp, 100);
  Bytes out(inner.size() + 10);

  auto result = EncapsulateTransport(inner, *pair.outbound, 0, out);

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), DropReason::kTooBig);
}

TEST(EspTransport, SequenceStopsAtMaximum) {
  SaPair pair = MakePair(kAlgorithms[5]);
  pair.outbound->SetNextSequenceForTesting(0xfffffffe);
  const Bytes inner = BuildIpv4Packet("192.168.1.100", "192.168.1.101", kIpProtocolUdp, 10);
  Bytes out(kIpv4MaxPacketLength);

  auto second_last = EncapsulateTransport(inner, *pair.outbound, 0, out);
  ASSERT_TRUE(second_last.has_value());
  EXPECT_EQ(LoadU32(ByteView(out).subspan(24, 4)), 0xfffffffeu);
  EXPECT_FALSE(pair.outbound->sequence_exhausted());

  auto last = EncapsulateTransport(inner, *pair.outbound, 0, out);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(LoadU32(ByteView(out).subspan(24, 4)), 0xffffffffu);
  EXPECT_TRUE(pair.outbound->sequence_exhausted());

  auto beyond = EncapsulateTransport(inner, *pair.outbound, 0, out);
  ASSERT_FALSE(beyond.has_value());
  EXPECT_EQ(beyond.error(), DropReason::kSequenceExhausted);
}

}  // namespace
}  // namespace ipop::esp
