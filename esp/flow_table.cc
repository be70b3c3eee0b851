#include "esp/flow_table.h"

#include <algorithm>
#include <bit>
#include <mutex>

#include "base/byte_reader.h"
#include "crypto/random.h"

namespace ipop::esp {
namespace {

// ICMP message types (RFC 792).
constexpr uint8_t kIcmpEchoReply = 0;
constexpr uint8_t kIcmpDestinationUnreachable = 3;
constexpr uint8_t kIcmpSourceQuench = 4;
constexpr uint8_t kIcmpRedirect = 5;
constexpr uint8_t kIcmpEchoRequest = 8;
constexpr uint8_t kIcmpTimeExceeded = 11;
constexpr uint8_t kIcmpParameterProblem = 12;
// RFC 792: every ICMP message starts with type, code, checksum and four
// bytes whose meaning depends on the type (identifier and sequence number
// for echo, unused or a pointer for errors).
constexpr size_t kIcmpHeaderLength = 8;

bool IsIcmpError(uint8_t type) {
  return type == kIcmpDestinationUnreachable || type == kIcmpSourceQuench ||
         type == kIcmpRedirect || type == kIcmpTimeExceeded || type == kIcmpParameterProblem;
}

// The header fields a flow key needs, from a full packet or from the quoted
// packet of an ICMP error. A quoted header's total length describes the
// original packet, which the error does not contain, so this does not check
// it.
struct FlowFields {
  Ipv4Address source;
  Ipv4Address destination;
  uint8_t protocol = 0;
  bool first_fragment = true;
  ByteView transport;  // from the transport header to the end of the data
};

// Parses the IPv4 header quoted by an ICMP error: version 4, a header length
// within 20..60 that fits in `quoted`.
std::optional<FlowFields> ParseQuotedHeader(ByteView quoted) {
  ByteReader reader(quoted);
  uint8_t version_and_length = 0;
  uint8_t ignored_u8 = 0;
  uint16_t ignored_u16 = 0;
  uint16_t fragment_word = 0;
  uint8_t protocol = 0;
  uint32_t source = 0;
  uint32_t destination = 0;
  if (!reader.ReadU8(version_and_length) || !reader.ReadU8(ignored_u8) ||
      !reader.ReadU16(ignored_u16) || !reader.ReadU16(ignored_u16) ||
      !reader.ReadU16(fragment_word) || !reader.ReadU8(ignored_u8) || !reader.ReadU8(protocol) ||
      !reader.ReadU16(ignored_u16) || !reader.ReadU32(source) || !reader.ReadU32(destination)) {
    return std::nullopt;
  }
  const size_t header_length = static_cast<size_t>(version_and_length & 0x0f) * 4;
  if ((version_and_length >> 4) != kIpv4Version || header_length < kIpv4MinHeaderLength ||
      header_length > quoted.size()) {
    return std::nullopt;
  }
  return FlowFields{
      .source = Ipv4Address(source),
      .destination = Ipv4Address(destination),
      .protocol = protocol,
      .first_fragment = (fragment_word & kIpv4FragmentOffsetMask) == 0,
      .transport = quoted.subspan(header_length),
  };
}

// Builds the key from `fields`. `quoted` is true for the packet inside an
// ICMP error, which is not searched for a further quoted packet.
std::optional<FlowKey> KeyOfFields(const FlowFields& fields, FlowDirection direction, bool quoted) {
  if (!fields.first_fragment) {
    return std::nullopt;
  }
  const bool received = direction == FlowDirection::kReceived;
  FlowKey key;
  key.local = received ? fields.destination : fields.source;
  key.remote = received ? fields.source : fields.destination;
  key.protocol = fields.protocol;

  ByteReader reader(fields.transport);
  if (fields.protocol == kIpProtocolTcp || fields.protocol == kIpProtocolUdp) {
    uint16_t source_port = 0;
    uint16_t destination_port = 0;
    if (!reader.ReadU16(source_port) || !reader.ReadU16(destination_port)) {
      return std::nullopt;
    }
    key.kind = FlowKind::kPorts;
    key.local_port = received ? destination_port : source_port;
    key.remote_port = received ? source_port : destination_port;
    return key;
  }
  if (fields.protocol != kIpProtocolIcmp) {
    key.kind = FlowKind::kProtocolOnly;
    return key;
  }

  uint8_t type = 0;
  if (!reader.ReadU8(type)) {
    return std::nullopt;
  }
  if (type == kIcmpEchoRequest || type == kIcmpEchoReply) {
    uint16_t identifier = 0;
    if (!reader.Skip(3) || !reader.ReadU16(identifier)) {
      return std::nullopt;
    }
    key.kind = FlowKind::kIcmpEcho;
    key.local_port = identifier;
    key.remote_port = identifier;
    return key;
  }
  if (IsIcmpError(type) && !quoted && fields.transport.size() > kIcmpHeaderLength) {
    // The quoted packet travelled the other way.
    if (auto inner = ParseQuotedHeader(fields.transport.subspan(kIcmpHeaderLength))) {
      const FlowDirection opposite = received ? FlowDirection::kSent : FlowDirection::kReceived;
      return KeyOfFields(*inner, opposite, /*quoted=*/true);
    }
    return std::nullopt;
  }
  key.kind = FlowKind::kProtocolOnly;
  return key;
}

// The finaliser of SplitMix64: a cheap mix in which every input bit
// affects every output bit.
uint64_t Mix(uint64_t value) {
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

}  // namespace

std::optional<FlowKey> FlowKeyOf(ByteView packet, const Ipv4Header& header,
                                 FlowDirection direction) {
  const FlowFields fields{
      .source = header.source,
      .destination = header.destination,
      .protocol = header.protocol,
      .first_fragment = header.first_fragment,
      .transport = packet.subspan(header.header_length, header.total_length - header.header_length),
  };
  return KeyOfFields(fields, direction, /*quoted=*/false);
}

FlowTable::FlowTable(size_t max_flows, Duration idle_timeout)
    : bucket_count_(std::bit_ceil(std::max<size_t>((max_flows + kWays - 1) / kWays, 1))),
      idle_timeout_(idle_timeout),
      seed_((uint64_t{crypto::RandomU32()} << 32) | crypto::RandomU32()),
      buckets_(std::make_unique<Bucket[]>(bucket_count_)) {}

FlowTable::Bucket& FlowTable::BucketOf(const FlowKey& key) const {
  const uint64_t addresses = (uint64_t{key.local.value()} << 32) | key.remote.value();
  const uint64_t rest = (uint64_t{key.local_port} << 32) | (uint64_t{key.remote_port} << 16) |
                        (uint64_t{key.protocol} << 8) | static_cast<uint64_t>(key.kind);
  const uint64_t hash = Mix(Mix(addresses ^ seed_) ^ rest);
  return buckets_[hash & (bucket_count_ - 1)];
}

void FlowTable::Record(const FlowKey& key, const Endpoint& peer, TimePoint now) {
  Bucket& bucket = BucketOf(key);
  std::lock_guard<SpinLock> guard(bucket.lock);
  Entry* victim = &bucket.entries[0];
  for (Entry& entry : bucket.entries) {
    if (entry.in_use && entry.key == key) {
      victim = &entry;
      break;
    }
    // Prefer a free entry, then the one seen least recently.
    if (!entry.in_use) {
      if (victim->in_use) {
        victim = &entry;
      }
    } else if (victim->in_use && entry.last_seen < victim->last_seen) {
      victim = &entry;
    }
  }
  *victim = Entry{.key = key, .peer = peer, .last_seen = now, .in_use = true};
}

std::optional<Endpoint> FlowTable::Find(const FlowKey& key, TimePoint now) const {
  const Bucket& bucket = BucketOf(key);
  std::lock_guard<SpinLock> guard(bucket.lock);
  for (const Entry& entry : bucket.entries) {
    if (entry.in_use && entry.key == key) {
      if (now - entry.last_seen >= idle_timeout_) {
        return std::nullopt;
      }
      return entry.peer;
    }
  }
  return std::nullopt;
}

}  // namespace ipop::esp
