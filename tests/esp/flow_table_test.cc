// Flow keys of received and sent packets, and the FlowTable that maps them
// to the ESP-in-UDP peer that last sent the flow.
#include "esp/flow_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/esp/esp_test_util.h"

namespace ipop::esp {
namespace {

using test::Address;
using test::BuildIcmpPacket;
using test::BuildIpv4Packet;

constexpr const char* kPublic = "192.0.2.2";
constexpr const char* kNat = "203.0.113.5";

Ipv4Header HeaderOf(const Bytes& packet) { return *ParseIpv4Header(packet); }

std::optional<FlowKey> KeyOf(const Bytes& packet, FlowDirection direction) {
  return FlowKeyOf(packet, HeaderOf(packet), direction);
}

Endpoint NatPort(uint16_t port) { return Endpoint{Address(kNat), port}; }

TEST(FlowKey, TcpReplyMatchesReceivedSegment) {
  const Bytes received = BuildIpv4Packet(kNat, kPublic, kIpProtocolTcp, 40, 0, 40000, 5001);
  const Bytes reply = BuildIpv4Packet(kPublic, kNat, kIpProtocolTcp, 40, 0, 5001, 40000);

  const std::optional<FlowKey> in = KeyOf(received, FlowDirection::kReceived);
  const std::optional<FlowKey> out = KeyOf(reply, FlowDirection::kSent);
  ASSERT_TRUE(in.has_value());
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*in, *out);
  EXPECT_EQ(in->kind, FlowKind::kPorts);
  EXPECT_EQ(in->local, Address(kPublic));
  EXPECT_EQ(in->remote, Address(kNat));
  EXPECT_EQ(in->local_port, 5001);
  EXPECT_EQ(in->remote_port, 40000);
}

TEST(FlowKey, OtherPortIsOtherFlow) {
  const Bytes first = BuildIpv4Packet(kNat, kPublic, kIpProtocolUdp, 20, 0, 40000, 53);
  const Bytes second = BuildIpv4Packet(kNat, kPublic, kIpProtocolUdp, 20, 0, 40001, 53);

  EXPECT_NE(*KeyOf(first, FlowDirection::kReceived), *KeyOf(second, FlowDirection::kReceived));
}

TEST(FlowKey, DirectionMatters) {
  // The same packet read as sent names the other side as local.
  const Bytes packet = BuildIpv4Packet(kNat, kPublic, kIpProtocolUdp, 20, 0, 40000, 53);

  EXPECT_NE(*KeyOf(packet, FlowDirection::kReceived), *KeyOf(packet, FlowDirection::kSent));
}

TEST(FlowKey, EchoReplyMatchesRequest) {
  const Bytes request = BuildIcmpPacket(kNat, kPublic, 8, 0x1234);
  const Bytes reply = BuildIcmpPacket(kPublic, kNat, 0, 0x1234);
  const Bytes other_identifier = BuildIcmpPacket(kPublic, kNat, 0, 0x1235);

  const std::optional<FlowKey> in = KeyOf(request, FlowDirection::kReceived);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->kind, FlowKind::kIcmpEcho);
  EXPECT_EQ(in->local_port, 0x1234);
  EXPECT_EQ(*in, *KeyOf(reply, FlowDirection::kSent));
  EXPECT_NE(*in, *KeyOf(other_identifier, FlowDirection::kSent));
}

TEST(FlowKey, IcmpErrorKeyedByQuotedPacket) {
  // The peer sent UDP 40000 -> 53; we reply with port unreachable (type 3)
  // quoting its IPv4 header and first 8 bytes (RFC 792).
  const Bytes received = BuildIpv4Packet(kNat, kPublic, kIpProtocolUdp, 20, 0, 40000, 53);
  const Bytes quoted(received.begin(), received.begin() + kIpv4MinHeaderLength + 8);
  const Bytes error = BuildIcmpPacket(kPublic, kNat, 3, 0, quoted);

  const std::optional<FlowKey> out = KeyOf(error, FlowDirection::kSent);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*out, *KeyOf(received, FlowDirection::kReceived));
}

TEST(FlowKey, IcmpErrorWithShortQuoteHasNoKey) {
  const Bytes error = BuildIcmpPacket(kPublic, kNat, 11, 0, Bytes(12, std::byte{0x45}));

  EXPECT_FALSE(KeyOf(error, FlowDirection::kSent).has_value());
}

TEST(FlowKey, OtherProtocolKeyedByAddresses) {
  const Bytes gre = BuildIpv4Packet(kNat, kPublic, 47, 16);

  const std::optional<FlowKey> key = KeyOf(gre, FlowDirection::kReceived);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->kind, FlowKind::kProtocolOnly);
  EXPECT_EQ(key->protocol, 47);
  EXPECT_EQ(key->local_port, 0);
  EXPECT_EQ(key->remote_port, 0);
}

TEST(FlowKey, TruncatedTransportHeaderHasNoKey) {
  const Bytes segment = BuildIpv4Packet(kNat, kPublic, kIpProtocolTcp, 3);

  EXPECT_FALSE(KeyOf(segment, FlowDirection::kReceived).has_value());
}

TEST(FlowKey, LaterFragmentHasNoKey) {
  Bytes fragment = BuildIpv4Packet(kPublic, kNat, kIpProtocolUdp, 40, 0, 5001, 40000);
  MutableByteView header = MutableByteView(fragment).first(kIpv4MinHeaderLength);
  StoreU16(header.subspan(6, 2), 0x0010);  // fragment offset 16 units
  StoreU16(header.subspan(10, 2), 0);
  StoreU16(header.subspan(10, 2), Ipv4HeaderChecksum(header));

  EXPECT_FALSE(KeyOf(fragment, FlowDirection::kSent).has_value());
}

TEST(FlowTable, FindsRecordedPeer) {
  FlowTable table(64, std::chrono::seconds(120));
  const FlowKey key = *KeyOf(BuildIcmpPacket(kNat, kPublic, 8, 7), FlowDirection::kReceived);
  const TimePoint now{std::chrono::seconds(1000)};

  EXPECT_FALSE(table.Find(key, now).has_value());
  table.Record(key, NatPort(31000), now);
  EXPECT_EQ(table.Find(key, now), NatPort(31000));
}

TEST(FlowTable, NewerPeerReplacesOlder) {
  FlowTable table(64, std::chrono::seconds(120));
  const FlowKey key = *KeyOf(BuildIcmpPacket(kNat, kPublic, 8, 7), FlowDirection::kReceived);
  const TimePoint now{std::chrono::seconds(1000)};

  table.Record(key, NatPort(31000), now);
  table.Record(key, NatPort(31001), now + std::chrono::seconds(1));
  EXPECT_EQ(table.Find(key, now + std::chrono::seconds(1)), NatPort(31001));
}

TEST(FlowTable, IdleEntryExpires) {
  FlowTable table(64, std::chrono::seconds(120));
  const FlowKey key = *KeyOf(BuildIcmpPacket(kNat, kPublic, 8, 7), FlowDirection::kReceived);
  const TimePoint recorded{std::chrono::seconds(1000)};
  table.Record(key, NatPort(31000), recorded);

  EXPECT_TRUE(table.Find(key, recorded + std::chrono::seconds(119)).has_value());
  EXPECT_FALSE(table.Find(key, recorded + std::chrono::seconds(120)).has_value());
}

TEST(FlowTable, CapacityRoundsUpToBuckets) {
  EXPECT_EQ(FlowTable(0, std::chrono::seconds(1)).capacity(), FlowTable::kWays);
  EXPECT_EQ(FlowTable(5, std::chrono::seconds(1)).capacity(), 2 * FlowTable::kWays);
  EXPECT_EQ(FlowTable(4096, std::chrono::seconds(1)).capacity(), 4096u);
  EXPECT_EQ(FlowTable(4097, std::chrono::seconds(1)).capacity(), 2 * 4096u);
}

TEST(FlowTable, FullBucketEvictsLeastRecentlySeen) {
  // One bucket: every key shares it.
  FlowTable table(FlowTable::kWays, std::chrono::seconds(120));
  ASSERT_EQ(table.capacity(), FlowTable::kWays);
  const TimePoint start{std::chrono::seconds(1000)};
  std::vector<FlowKey> keys;
  for (uint16_t identifier = 1; identifier <= FlowTable::kWays + 1; ++identifier) {
    keys.push_back(*KeyOf(BuildIcmpPacket(kNat, kPublic, 8, identifier), FlowDirection::kReceived));
  }
  for (size_t i = 0; i < FlowTable::kWays; ++i) {
    table.Record(keys[i], NatPort(static_cast<uint16_t>(31000 + i)),
                 start + std::chrono::seconds(i));
  }
  // Refresh the first key, so the second is now the least recently seen.
  table.Record(keys[0], NatPort(31000), start + std::chrono::seconds(10));

  const TimePoint now = start + std::chrono::seconds(11);
  table.Record(keys.back(), NatPort(32000), now);
  EXPECT_EQ(table.Find(keys.back(), now), NatPort(32000));
  EXPECT_EQ(table.Find(keys[0], now), NatPort(31000));
  EXPECT_FALSE(table.Find(keys[1], now).has_value());
  for (size_t i = 2; i < FlowTable::kWays; ++i) {
    EXPECT_EQ(table.Find(keys[i], now), NatPort(static_cast<uint16_t>(31000 + i))) << i;
  }
}

TEST(FlowTable, ConcurrentRecordAndFind) {
  // Two writers and two readers on few buckets; every result must be one
  // of the endpoints written for that key. Run under ThreadSanitizer to
  // check the bucket locks.
  FlowTable table(8, std::chrono::seconds(120));
  std::vector<FlowKey> keys;
  for (uint16_t identifier = 1; identifier <= 32; ++identifier) {
    keys.push_back(*KeyOf(BuildIcmpPacket(kNat, kPublic, 8, identifier), FlowDirection::kReceived));
  }
  const TimePoint now{std::chrono::seconds(1000)};
  std::atomic<int> wrong{0};

  std::vector<std::thread> threads;
  for (uint16_t writer = 0; writer < 2; ++writer) {
    threads.emplace_back([&, writer] {
      for (int round = 0; round < 2000; ++round) {
        for (const FlowKey& key : keys) {
          table.Record(key, NatPort(static_cast<uint16_t>(31000 + writer)), now);
        }
      }
    });
  }

  for (int reader = 0; reader < 2; ++reader) {
    threads.emplace_back([&] {
      for (int round = 0; round < 2000; ++round) {
        for (const FlowKey& key : keys) {
          const std::optional<Endpoint> peer = table.Find(key, now);
          if (peer && *peer != NatPort(31000) && *peer != NatPort(31001)) {
            wrong.fetch_add(1);
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace ipop::esp
