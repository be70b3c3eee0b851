// Tests of the pcap reader in tests/support, against the racoon capture and
// against small files written here.
#include "tests/support/pcap_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/byte_writer.h"

namespace ipop::test {
namespace {

const std::string kCapturePath =
    std::string(IPOP_TEST_DATA_DIR) + "/vectors/racoon-3des-sha1-modp1024/selftest.pcap";

// Writes `bytes` to a fresh file under the test temp directory.
std::string WriteTempFile(const std::string& name, const Bytes& bytes) {
  const std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) / (std::to_string(getpid()) + "_" + name);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path.string();
}

// Builds a little-endian classic pcap file with link type raw IPv4.
Bytes RawIpv4Pcap(const std::vector<Bytes>& packets) {
  auto put_u32_le = [](Bytes& out, uint32_t value) {
    for (int i = 0; i < 4; ++i) {
      out.push_back(static_cast<std::byte>((value >> (8 * i)) & 0xff));
    }
  };
  Bytes file = HexToBytes("d4c3b2a1 0200 0400 00000000 00000000 ffff0000");
  put_u32_le(file, kLinkTypeRaw);
  uint32_t second = 1000;
  for (const Bytes& packet : packets) {
    put_u32_le(file, second++);
    put_u32_le(file, 250000);
    put_u32_le(file, static_cast<uint32_t>(packet.size()));
    put_u32_le(file, static_cast<uint32_t>(packet.size()));
    Append(file, packet);
  }
  return file;
}

// An IPv4/UDP packet from 192.0.2.1 to 192.0.2.2 (checksums left zero).
Bytes UdpPacket(uint16_t source_port, uint16_t destination_port, const Bytes& payload) {
  ByteWriter out;
  out.WriteU8(0x45);
  out.WriteU8(0);
  out.WriteU16(static_cast<uint16_t>(20 + 8 + payload.size()));
  out.WriteU32(0);
  out.WriteU8(64);
  out.WriteU8(kIpProtocolUdp);
  out.WriteU16(0);
  out.WriteBytes(HexToBytes("c0000201 c0000202"));
  out.WriteU16(source_port);
  out.WriteU16(destination_port);
  out.WriteU16(static_cast<uint16_t>(8 + payload.size()));
  out.WriteU16(0);
  out.WriteBytes(payload);
  return out.Take();
}

TEST(PcapFileTest, ReadsRacoonCapture) {
  const auto file = ReadPcapFile(kCapturePath);
  ASSERT_TRUE(file.has_value()) << ToString(file.error());
  EXPECT_EQ(file->link_type, kLinkTypeEthernet);
  ASSERT_EQ(file->records.size(), 43u);

  // Record 5 is Main Mode message 1. Its record header, read with Python's
  // struct module, stores 1796413968 s and 888380 us; the IPv4 total length
  // field says 188.
  const PcapRecord& first_ike = file->records[5];
  EXPECT_EQ(first_ike.index, 5u);
  EXPECT_EQ(first_ike.timestamp_us, 1796413968888380ull);
  EXPECT_EQ(first_ike.ipv4.size(), 188u);
  EXPECT_EQ(first_ike.frame.size(), 14u + 188u);

  // Records 0 (IPv6) and 3 (ARP) carry no IPv4.
  EXPECT_TRUE(file->records[0].ipv4.empty());
  EXPECT_TRUE(file->records[3].ipv4.empty());
}

TEST(PcapFileTest, SplitsIpv4AndUdp) {
  const auto file = ReadPcapFile(kCapturePath);
  ASSERT_TRUE(file.has_value());
  const auto ip = ParseIpv4Packet(file->records[5].ipv4);
  ASSERT_TRUE(ip.has_value()) << ToString(ip.error());
  EXPECT_EQ(ip->source.ToString(), "10.77.0.1");
  EXPECT_EQ(ip->destination.ToString(), "10.77.0.2");
  EXPECT_EQ(ip->protocol, kIpProtocolUdp);
  EXPECT_FALSE(ip->fragment);

  const auto udp = ParseUdpDatagram(*ip);
  ASSERT_TRUE(udp.has_value()) << ToString(udp.error());
  EXPECT_EQ(udp->source.ToString(), "10.77.0.1[500]");
  EXPECT_EQ(udp->destination.ToString(), "10.77.0.2[500]");
  ASSERT_EQ(udp->payload.size(), 160u);
  EXPECT_EQ(ToHex(udp->payload.first(8)), "006d2aece15feaaa");
}

TEST(PcapFileTest, ExtractsIkeAndEsp) {
  const auto file = ReadPcapFile(kCapturePath);
  ASSERT_TRUE(file.has_value());
  const auto ike = ExtractIkeMessages(*file);
  ASSERT_EQ(ike.size(), 13u);
  EXPECT_EQ(ike.front().record_index, 5u);
  EXPECT_EQ(ike.back().record_index, 40u);
  EXPECT_EQ(ike[1].source.ToString(), "10.77.0.2[500]");

  const auto esp = ExtractEspPackets(*file);
  ASSERT_EQ(esp.size(), 21u);
  EXPECT_EQ(esp.front().record_index, 16u);
  EXPECT_FALSE(esp.front().udp_encapsulated);
  EXPECT_EQ(esp.front().esp.size(), 100u);
}

TEST(PcapFileTest, StripsNonEspMarkerOn4500) {
  const Bytes isakmp = HexToBytes("0102030405060708 0000000000000000 01100200 00000000 0000001c");
  Bytes marked = HexToBytes("00000000");
  Append(marked, isakmp);
  const Bytes esp_in_udp = HexToBytes("0000beef 00000001 aabbccdd");
  const std::string path = WriteTempFile(
      "natt.pcap", RawIpv4Pcap({UdpPacket(4500, 4500, marked), UdpPacket(4500, 4500, HexToBytes("ff")),
                                UdpPacket(4500, 4500, esp_in_udp), UdpPacket(500, 500, isakmp)}));
  const auto file = ReadPcapFile(path);
  ASSERT_TRUE(file.has_value()) << ToString(file.error());
  EXPECT_EQ(file->link_type, kLinkTypeRaw);
  ASSERT_EQ(file->records.size(), 4u);
  EXPECT_EQ(file->records[1].timestamp_us, 1001250000ull);

  const auto ike = ExtractIkeMessages(*file);
  ASSERT_EQ(ike.size(), 2u);
  EXPECT_EQ(ToHex(ike[0].message), ToHex(isakmp));
  EXPECT_EQ(ike[0].destination.port, 4500);
  EXPECT_EQ(ToHex(ike[1].message), ToHex(isakmp));

  const auto esp = ExtractEspPackets(*file);
  ASSERT_EQ(esp.size(), 1u);
  EXPECT_TRUE(esp[0].udp_encapsulated);
  EXPECT_EQ(ToHex(esp[0].esp), ToHex(esp_in_udp));
  std::filesystem::remove(path);
}

TEST(PcapFileTest, ReadsBigEndianNanosecondSll) {
  // Big-endian header with the nanosecond magic and Linux cooked capture
  // (SLL): 16-byte link header with the protocol type at offset 14.
  const Bytes packet = UdpPacket(500, 500, HexToBytes("0102"));
  Bytes file = HexToBytes("a1b23c4d 0002 0004 00000000 00000000 0000ffff 00000071");
  ByteWriter record;
  record.WriteU32(1000);
  record.WriteU32(123456789);
  record.WriteU32(static_cast<uint32_t>(16 + packet.size()));
  record.WriteU32(static_cast<uint32_t>(16 + packet.size()));
  record.WriteBytes(HexToBytes("0000 0001 0006 020000000001 0000 0800"));
  record.WriteBytes(packet);
  Append(file, record.bytes());

  const std::string path = WriteTempFile("sll.pcap", file);
  const auto parsed = ReadPcapFile(path);
  ASSERT_TRUE(parsed.has_value()) << ToString(parsed.error());
  EXPECT_EQ(parsed->link_type, kLinkTypeLinuxSll);
  ASSERT_EQ(parsed->records.size(), 1u);
  EXPECT_EQ(parsed->records[0].timestamp_us, 1000123456ull);
  EXPECT_EQ(ToHex(parsed->records[0].ipv4), ToHex(packet));
  std::filesystem::remove(path);
}

TEST(PcapFileTest, RejectsBrokenFiles) {
  EXPECT_FALSE(ReadPcapFile("/nonexistent/ipop.pcap").has_value());

  const std::string not_pcap = WriteTempFile("text.pcap", HexToBytes(std::string(48, 'a')));
  const auto wrong_magic = ReadPcapFile(not_pcap);
  ASSERT_FALSE(wrong_magic.has_value());
  EXPECT_EQ(wrong_magic.error().code, ErrorCode::kUnsupported);
  std::filesystem::remove(not_pcap);

  Bytes truncated = RawIpv4Pcap({UdpPacket(500, 500, HexToBytes("00"))});
  truncated.pop_back();
  const std::string truncated_path = WriteTempFile("truncated.pcap", truncated);
  const auto cut = ReadPcapFile(truncated_path);
  ASSERT_FALSE(cut.has_value());
  EXPECT_EQ(cut.error().code, ErrorCode::kTruncated);
  std::filesystem::remove(truncated_path);
}

TEST(PcapFileTest, Ipv4ParserRejectsBadHeaders) {
  const Bytes good = UdpPacket(500, 500, HexToBytes("0102"));
  for (size_t size = 0; size < good.size(); ++size) {
    const auto ip = ParseIpv4Packet(ByteView(good).first(size));
    EXPECT_FALSE(ip.has_value()) << "size " << size;
  }
  Bytes version6 = good;
  version6[0] = std::byte{0x65};
  EXPECT_FALSE(ParseIpv4Packet(version6).has_value());
  Bytes short_header = good;
  short_header[0] = std::byte{0x44};
  EXPECT_FALSE(ParseIpv4Packet(short_header).has_value());
}

}  // namespace
}  // namespace ipop::test
