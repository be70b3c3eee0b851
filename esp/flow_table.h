// The reverse-flow table of the userspace datapath, which keeps peers
// behind one NAT apart on the way out.
//
// In transport mode the SAs run between the ISAKMP endpoints. Every SA
// towards a peer behind a NAT therefore has the NAT's public address as its
// destination, and only the peer's UDP port (the NAT's mapping)
// distinguishes the SAs of two such peers. When an ESP-in-UDP packet authenticates and
// decapsulates, the worker records its inner flow with the UDP endpoint it
// came from. An outbound packet of the same flow then goes out through an SA
// whose UDP peer is that endpoint, not through the newest SA towards the
// address.
//
// Threading: one table is shared by all workers of a Datapath, because the
// inbound and outbound packets of one flow may be handled by different
// workers. Memory is fixed at construction. Each bucket has its own
// spinlock, held while a few entries are compared or copied, so no packet
// allocates or takes a table-wide lock.
#ifndef IPOP_ESP_FLOW_TABLE_H_
#define IPOP_ESP_FLOW_TABLE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "base/bytes.h"
#include "base/ip_address.h"
#include "base/timer.h"
#include "esp/ipv4_packet.h"
#include "esp/sad.h"

namespace ipop::esp {

// The meaning of the two 16-bit fields of a FlowKey.
enum class FlowKind : uint8_t {
  kPorts,         // TCP or UDP source and destination ports
  kIcmpEcho,      // ICMP echo identifier (RFC 792), in both fields
  kProtocolOnly,  // any other protocol: fields 0
};

// One flow from this node's point of view: `local` is our side, `remote`
// the peer's (the NAT's public address for a peer behind a NAT).
struct FlowKey {
  Ipv4Address local;
  Ipv4Address remote;
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
  uint8_t protocol = 0;
  FlowKind kind = FlowKind::kProtocolOnly;

  bool operator==(const FlowKey&) const = default;
};

// Whether a packet came in from the peer or goes out to it, which decides
// which header fields are the local ones.
enum class FlowDirection { kReceived, kSent };

// Builds the flow key of an IPv4 packet whose header parsed as `header`.
// An ICMP error (destination unreachable, source quench, redirect, time
// exceeded, parameter problem: RFC 792) gets the key of the packet it
// quotes, seen from the other direction. So a PMTU error goes to the peer
// whose packet caused it. Returns nullopt for fragments after the
// first, which carry no ports, and for transport headers cut short.
// NOTE: tunnel mode carries fragments, and a later fragment then goes
// through the newest SA towards the tunnel endpoint, which can belong to
// another peer behind the same NAT. Transport mode drops fragments before
// encapsulation (RFC 4303 §3.3).
std::optional<FlowKey> FlowKeyOf(ByteView packet, const Ipv4Header& header,
                                 FlowDirection direction);

class FlowTable {
 public:
  // Entries per bucket. A new flow takes a free entry of its bucket, or else
  // the one seen least recently.
  static constexpr size_t kWays = 4;

  // `max_flows` is rounded up to a power-of-two number of buckets of kWays
  // entries, at least one. Entries idle for `idle_timeout` are ignored.
  FlowTable(size_t max_flows, Duration idle_timeout);

  // Records that the peer at `peer` (its UDP endpoint) sent a packet of
  // `key` at `now`.
  void Record(const FlowKey& key, const Endpoint& peer, TimePoint now);
  // Returns the peer endpoint last recorded for `key`, or nullopt when there
  // is none or it has been idle for idle_timeout or longer.
  std::optional<Endpoint> Find(const FlowKey& key, TimePoint now) const;

  size_t capacity() const { return bucket_count_ * kWays; }

 private:
  struct Entry {
    FlowKey key;
    Endpoint peer;
    TimePoint last_seen;
    bool in_use = false;
  };
  struct alignas(64) Bucket {
    mutable SpinLock lock;
    std::array<Entry, kWays> entries;
  };

  Bucket& BucketOf(const FlowKey& key) const;

  size_t bucket_count_;
  Duration idle_timeout_;
  // Random per table, so that the peers cannot choose flows that all land
  // in one bucket.
  uint64_t seed_;
  std::unique_ptr<Bucket[]> buckets_;
};

}  // namespace ipop::esp

#endif  // IPOP_ESP_FLOW_TABLE_H_
