// Decapsulates the ESP traffic of a real racoon exchange through the
// userspace datapath. The capture in tests/vectors/racoon-3des-sha1-modp1024
// comes from two racoon daemons (ipsec-tools 0.9.1) with Linux kernel ESP:
// 3DES-CBC + HMAC-SHA1-96, a ping and a short TCP exchange between
// 10.77.0.1 and 10.77.0.2. The SA keys come from its wireshark/esp_sa file.
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/byte_reader.h"
#include "esp/datapath.h"
#include "esp/datapath_worker.h"
#include "esp/userspace_backend.h"
#include "tests/esp/esp_test_util.h"
#include "tests/esp/memory_packet_io.h"
#include "tests/support/pcap_file.h"

namespace ipop::esp {
namespace {

const std::string kVectorDir =
    std::string(IPOP_TEST_DATA_DIR) + "/vectors/racoon-3des-sha1-modp1024";

// One line of Wireshark's esp_sa table: protocol, source, destination, SPI,
// encryption name, encryption key, authentication name, authentication key,
// each in double quotes.
struct WiresharkEspSa {
  Ipv4Address source;
  Ipv4Address destination;
  uint32_t spi = 0;
  crypto::EspCipher cipher = crypto::EspCipher::kNull;
  size_t aes_key_bits = 0;
  Bytes cipher_key;
  crypto::EspIntegrity integrity = crypto::EspIntegrity::kNone;
  Bytes integrity_key;
};

std::vector<std::string> SplitQuotedCsv(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.push_back(field);
      field.clear();
    } else {
      field.push_back(c);
    }
  }
  fields.push_back(field);
  return fields;
}

std::optional<WiresharkEspSa> ParseEspSaLine(const std::string& line) {
  const std::vector<std::string> fields = SplitQuotedCsv(line);
  if (fields.size() != 8 || fields[0] != "IPv4") {
    return std::nullopt;
  }
  WiresharkEspSa sa;
  auto source = Ipv4Address::Parse(fields[1]);
  auto destination = Ipv4Address::Parse(fields[2]);
  if (!source || !destination) {
    return std::nullopt;
  }
  sa.source = *source;
  sa.destination = *destination;
  sa.spi = static_cast<uint32_t>(std::stoul(fields[3], nullptr, 16));

  if (fields[4].starts_with("TripleDES-CBC")) {
    sa.cipher = crypto::EspCipher::k3desCbc;
  } else {
    return std::nullopt;  // the capture uses 3DES only
  }
  if (fields[6].starts_with("HMAC-SHA-1-96")) {
    sa.integrity = crypto::EspIntegrity::kHmacSha1_96;
  } else {
    return std::nullopt;
  }
  if (!FromHex(fields[5], sa.cipher_key) || !FromHex(fields[7], sa.integrity_key)) {
    return std::nullopt;
  }
  return sa;
}

std::vector<WiresharkEspSa> ReadEspSaFile(const std::string& path) {
  std::ifstream file(path);
  std::vector<WiresharkEspSa> sas;
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty()) {
      continue;
    }
    auto sa = ParseEspSaLine(line);
    EXPECT_TRUE(sa.has_value()) << "cannot parse esp_sa line: " << line;
    if (sa) {
      sas.push_back(*sa);
    }
  }
  return sas;
}

// RFC 1071 sum over `data` plus `initial`, folded, not complemented.
uint32_t OnesComplementSum(ByteView data, uint32_t initial) {
  uint32_t sum = initial;
  for (size_t i = 0; i + 1 < data.size(); i += 2) {
    sum += LoadU16(data.subspan(i, 2));
  }
  if (data.size() % 2 != 0) {
    sum += static_cast<uint32_t>(std::to_integer<uint8_t>(data.back())) << 8;
  }
  while ((sum >> 16) != 0) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return sum;
}

// True when the transport checksum the sender's kernel computed still
// holds: ICMP over the message (RFC 792), TCP with the pseudo-header
// (RFC 793 §3.1).
bool TransportChecksumValid(const Ipv4Header& header, ByteView packet) {
  ByteView payload =
      packet.subspan(header.header_length, header.total_length - header.header_length);
  if (header.protocol == kIpProtocolIcmp) {
    return OnesComplementSum(payload, 0) == 0xffff;
  }
  uint32_t pseudo = 0;
  pseudo += header.source.value() >> 16;
  pseudo += header.source.value() & 0xffff;
  pseudo += header.destination.value() >> 16;
  pseudo += header.destination.value() & 0xffff;
  pseudo += header.protocol;
  pseudo += static_cast<uint32_t>(payload.size());
  return OnesComplementSum(payload, pseudo) == 0xffff;
}

TEST(RacoonCapture, EspSaFileParses) {
  const std::vector<WiresharkEspSa> sas = ReadEspSaFile(kVectorDir + "/wireshark/esp_sa");
  ASSERT_EQ(sas.size(), 2u);
  EXPECT_EQ(sas[0].spi, 0x03613dddu);
  EXPECT_EQ(sas[0].source, test::Address("10.77.0.1"));
  EXPECT_EQ(sas[0].destination, test::Address("10.77.0.2"));
  EXPECT_EQ(sas[0].cipher_key.size(), 24u);
  EXPECT_EQ(sas[0].integrity_key.size(), 20u);
  EXPECT_EQ(sas[1].spi, 0x097fda1au);
}

TEST(RacoonCapture, DecapsulatesEveryEspPacket) {
  // Both directions are decapsulated here, so both SAs are installed as
  // inbound, as each racoon side had them for the packets it received.
  UserspaceBackend backend;
  Policy in_policy;
  in_policy.selector.source = {test::Address("10.77.0.0"), 24};
  in_policy.selector.destination = {test::Address("10.77.0.0"), 24};
  in_policy.direction = PolicyDirection::kIn;
  ASSERT_TRUE(backend.AddPolicy(in_policy).has_value());
  for (const WiresharkEspSa& sa : ReadEspSaFile(kVectorDir + "/wireshark/esp_sa")) {
    EspSaConfig config;
    config.spi = sa.spi;
    config.source = sa.source;
    config.destination = sa.destination;
    config.inbound = true;
    config.cipher = sa.cipher;
    config.integrity = sa.integrity;
    config.cipher_key = crypto::SecretBytes::CopyOf(sa.cipher_key);
    config.integrity_key = crypto::SecretBytes::CopyOf(sa.integrity_key);
    auto added = backend.AddSa(std::move(config));
    ASSERT_TRUE(added.has_value()) << ToString(added.error());
  }

  auto capture = ipop::test::ReadPcapFile(kVectorDir + "/selftest.pcap");
  ASSERT_TRUE(capture.has_value()) << ToString(capture.error());
  const std::vector<ipop::test::CapturedEspPacket> esp_packets =
      ipop::test::ExtractEspPackets(*capture);
  ASSERT_GT(esp_packets.size(), 0u);

  test::MemoryPacketIo io;
  for (const ipop::test::CapturedEspPacket& packet : esp_packets) {
    ASSERT_FALSE(packet.udp_encapsulated) << "record " << packet.record_index;
    io.esp_input.push_back(capture->records[packet.record_index].ipv4);
  }
  DatapathOptions options;
  options.batch_size = esp_packets.size();
  Datapath datapath(backend, {&io}, options);
  datapath.worker(0).ProcessReady();

  const DatapathStatistics statistics = datapath.Statistics();
  EXPECT_EQ(statistics.esp_packets_received, esp_packets.size());
  EXPECT_EQ(statistics.total_drops(), 0u);
  ASSERT_EQ(io.tun_output.size(), esp_packets.size());

  std::map<uint8_t, size_t> protocols;
  for (size_t i = 0; i < io.tun_output.size(); ++i) {
    SCOPED_TRACE("record " + std::to_string(esp_packets[i].record_index));
    const Bytes& inner = io.tun_output[i];
    auto header = ParseIpv4Header(inner);
    ASSERT_TRUE(header.has_value());
    EXPECT_EQ(header->total_length, inner.size());
    EXPECT_TRUE(VerifyIpv4Checksum(ByteView(inner).first(header->header_length)));
    EXPECT_EQ(header->source, esp_packets[i].source);
    EXPECT_EQ(header->destination, esp_packets[i].destination);
    EXPECT_TRUE(header->source == test::Address("10.77.0.1") ||
                header->source == test::Address("10.77.0.2"));
    EXPECT_TRUE(header->protocol == kIpProtocolIcmp || header->protocol == kIpProtocolTcp)
        << "next header " << int{header->protocol};
    EXPECT_TRUE(TransportChecksumValid(*header, inner));
    ++protocols[header->protocol];
  }
  // The capture contains a ping and a TCP exchange.
  EXPECT_GT(protocols[kIpProtocolIcmp], 0u);
  EXPECT_GT(protocols[kIpProtocolTcp], 0u);

  // Counters per SA add up to the packets seen.
  uint64_t packets = 0;
  for (const EspSaStatus& status : backend.ListSas()) {
    packets += status.packets;
    EXPECT_EQ(status.integrity_drops, 0u);
    EXPECT_EQ(status.replay_drops, 0u);
  }
  EXPECT_EQ(packets, esp_packets.size());
}

TEST(RacoonCapture, ReplayedCaptureDropped) {
  UserspaceBackend backend;
  Policy in_policy;
  in_policy.selector.source = {test::Address("10.77.0.0"), 24};
  in_policy.selector.destination = {test::Address("10.77.0.0"), 24};
  in_policy.direction = PolicyDirection::kIn;
  ASSERT_TRUE(backend.AddPolicy(in_policy).has_value());
  for (const WiresharkEspSa& sa : ReadEspSaFile(kVectorDir + "/wireshark/esp_sa")) {
    EspSaConfig config;
    config.spi = sa.spi;
    config.source = sa.source;
    config.destination = sa.destination;
    config.inbound = true;
    config.cipher_key = crypto::SecretBytes::CopyOf(sa.cipher_key);
    config.integrity_key = crypto::SecretBytes::CopyOf(sa.integrity_key);
    ASSERT_TRUE(backend.AddSa(std::move(config)).has_value());
  }
  auto capture = ipop::test::ReadPcapFile(kVectorDir + "/selftest.pcap");
  ASSERT_TRUE(capture.has_value());
  const auto esp_packets = ipop::test::ExtractEspPackets(*capture);

  test::MemoryPacketIo io;
  for (int round = 0; round < 2; ++round) {
    for (const auto& packet : esp_packets) {
      io.esp_input.push_back(capture->records[packet.record_index].ipv4);
    }
  }
  DatapathOptions options;
  options.batch_size = io.esp_input.size();
  Datapath datapath(backend, {&io}, options);
  datapath.worker(0).ProcessReady();

  EXPECT_EQ(io.tun_output.size(), esp_packets.size());
  EXPECT_EQ(datapath.Statistics().dropped(DropReason::kReplay), esp_packets.size());
}

}  // namespace
}  // namespace ipop::esp
