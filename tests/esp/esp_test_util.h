// Builders shared by the ESP tests: SA configurations with fixed keys and
// IPv4 packets with valid checksums.
#ifndef IPOP_TESTS_ESP_ESP_TEST_UTIL_H_
#define IPOP_TESTS_ESP_ESP_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <expected>
#include <string>

#include <gtest/gtest.h>

#include "base/byte_reader.h"
#include "base/bytes.h"
#include "crypto/algorithms.h"
#include "esp/esp_transport.h"
#include "esp/ipv4_packet.h"
#include "esp/sad.h"
#include "esp/kernel_seam.h"
#include "esp/policy.h"

namespace ipop::esp::test {

struct AlgorithmCase {
  std::string name;
  crypto::EspCipher cipher;
  size_t aes_key_bits;
  crypto::EspIntegrity integrity;
};

inline const AlgorithmCase kAlgorithms[] = {
    {"3des_sha1", crypto::EspCipher::k3desCbc, 0, crypto::EspIntegrity::kHmacSha1_96},
    {"aes128cbc_sha1", crypto::EspCipher::kAesCbc, 128, crypto::EspIntegrity::kHmacSha1_96},
    {"aes256cbc_sha1", crypto::EspCipher::kAesCbc, 256, crypto::EspIntegrity::kHmacSha1_96},
    {"aes128cbc_sha256", crypto::EspCipher::kAesCbc, 128,
     crypto::EspIntegrity::kHmacSha256_128},
    {"aes256cbc_sha256", crypto::EspCipher::kAesCbc, 256,
     crypto::EspIntegrity::kHmacSha256_128},
    {"aes128gcm16", crypto::EspCipher::kAesGcm16, 128, crypto::EspIntegrity::kNone},
    {"aes256gcm16", crypto::EspCipher::kAesGcm16, 256, crypto::EspIntegrity::kNone},
};

inline Ipv4Address Address(const char* text) { return *Ipv4Address::Parse(text); }

// Fills keys with a pattern derived from `seed`, so that two configs with
// the same seed share keys and different seeds do not.
inline EspSaConfig MakeSaConfig(const AlgorithmCase& algorithm, uint32_t spi, const char* source,
                                const char* destination, bool inbound, uint8_t seed = 1) {
  EspSaConfig config;
  config.spi = spi;
  config.source = Address(source);
  config.destination = Address(destination);
  config.inbound = inbound;
  config.cipher = algorithm.cipher;
  config.aes_key_bits = algorithm.aes_key_bits;
  config.integrity = algorithm.integrity;
  Bytes cipher_key(crypto::EspCipherKeyLength(algorithm.cipher, algorithm.aes_key_bits));
  for (size_t i = 0; i < cipher_key.size(); ++i) {
    cipher_key[i] = static_cast<std::byte>(seed * 31 + i * 7);
  }
  Bytes integrity_key(crypto::EspIntegrityKeyLength(algorithm.integrity));
  for (size_t i = 0; i < integrity_key.size(); ++i) {
    integrity_key[i] = static_cast<std::byte>(seed * 17 + i * 13 + 5);
  }
  config.cipher_key = crypto::SecretBytes::CopyOf(cipher_key);
  config.integrity_key = crypto::SecretBytes::CopyOf(integrity_key);
  return config;
}

// Builds an IPv4 packet with `options_length` bytes of options (a multiple
// of 4, filled with NOP options), protocol `protocol` and `payload_length`
// payload bytes. For TCP and UDP the payload starts with the ports.
inline Bytes BuildIpv4Packet(const char* source, const char* destination, uint8_t protocol,
                             size_t payload_length, size_t options_length = 0,
                             uint16_t source_port = 40000, uint16_t destination_port = 7) {
  const size_t header_length = kIpv4MinHeaderLength + options_length;
  Bytes packet(header_length + payload_length);
  MutableByteView view(packet);
  packet[0] = static_cast<std::byte>(0x40 | (header_length / 4));
  packet[1] = std::byte{0};
  StoreU16(view.subspan(2, 2), static_cast<uint16_t>(packet.size()));
  StoreU16(view.subspan(4, 2), 0x1234);
  StoreU16(view.subspan(6, 2), 0x4000);  // DF
  packet[8] = std::byte{64};
  packet[9] = static_cast<std::byte>(protocol);
  StoreU32(view.subspan(12, 4), Address(source).value());
  StoreU32(view.subspan(16, 4), Address(destination).value());
  for (size_t i = kIpv4MinHeaderLength; i < header_length; ++i) {
    packet[i] = std::byte{1};  // NOP option (RFC 791)
  }
  for (size_t i = 0; i < payload_length; ++i) {
    packet[header_length + i] = static_cast<std::byte>(i * 3 + 11);
  }
  if ((protocol == kIpProtocolTcp || protocol == kIpProtocolUdp) && payload_length >= 4) {
    StoreU16(view.subspan(header_length, 2), source_port);
    StoreU16(view.subspan(header_length + 2, 2), destination_port);
  }
  StoreU16(view.subspan(10, 2), Ipv4HeaderChecksum(view.first(header_length)));
  return packet;
}

// Runs `encapsulate` (EncapsulateTransport or EncapsulateTunnel) on
// `inner` and returns the ESP packet, or an empty one after a failed
// expectation.
template <typename EncapsulateFunction>
Bytes EncapsulateOrEmpty(EncapsulateFunction encapsulate, const Bytes& inner,
                         SecurityAssociation& sa) {
  Bytes out(kIpv4MaxPacketLength);
  auto length = encapsulate(inner, sa, 0, out);
  EXPECT_TRUE(length.has_value()) << DropReasonName(length.error());
  out.resize(length.value_or(0));
  return out;
}

// Runs `decapsulate` (DecapsulateTransport or DecapsulateTunnel) on a copy
// of `packet` and returns the inner packet or the drop reason.
template <typename DecapsulateFunction>
std::expected<Bytes, DropReason> DecapsulateCopy(DecapsulateFunction decapsulate,
                                                 const Bytes& packet, SecurityAssociation& sa) {
  Bytes copy = packet;
  auto info = ParseEspPacket(copy);
  if (!info) {
    return std::unexpected(info.error());
  }
  auto inner = decapsulate(*info, sa, 0, copy);
  if (!inner) {
    return std::unexpected(inner.error());
  }
  return Bytes(inner->begin(), inner->end());
}

// Builds an ICMP message of `type` whose rest-of-header word starts with
// `identifier` (RFC 792 layout), with `body` after the 8-byte ICMP header.
// The ICMP checksum is left as BuildIpv4Packet's filler.
inline Bytes BuildIcmpPacket(const char* source, const char* destination, uint8_t type,
                             uint16_t identifier, const Bytes& body = {}) {
  Bytes packet = BuildIpv4Packet(source, destination, kIpProtocolIcmp, 8 + body.size());
  MutableByteView icmp = MutableByteView(packet).subspan(kIpv4MinHeaderLength);
  icmp[0] = static_cast<std::byte>(type);
  icmp[1] = std::byte{0};
  StoreU16(icmp.subspan(4, 2), identifier);
  std::copy(body.begin(), body.end(), icmp.begin() + 8);
  return packet;
}

// An ipsec policy for every address in `direction`.
inline Policy MakeAnyPolicy(PolicyDirection direction) {
  Policy policy;
  policy.selector.source = {Address("0.0.0.0"), 0};
  policy.selector.destination = {Address("0.0.0.0"), 0};
  policy.direction = direction;
  policy.action = PolicyAction::kIpsec;
  return policy;
}

}  // namespace ipop::esp::test

#endif  // IPOP_TESTS_ESP_ESP_TEST_UTIL_H_
