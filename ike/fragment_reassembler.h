// Reassembly of received IKE fragments (payload_fragment.h) into whole
// ISAKMP messages, in any arrival order, with bounded memory.
//
// A message is named by the sending endpoint, both cookies and the fragment
// ID. It is complete once the fragment flagged last (number N) and every
// number from 1 to N have arrived; Add then returns the joined data and
// forgets the message. A repeated fragment with the same data is ignored.
// Different data under a number already held means the peer reused the ID
// for another message (racoon sends ID 1 every time), so the old pieces
// are dropped and reassembly starts again from the new fragment.
#ifndef IPOP_IKE_FRAGMENT_REASSEMBLER_H_
#define IPOP_IKE_FRAGMENT_REASSEMBLER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "base/bytes.h"
#include "base/ip_address.h"
#include "base/timer.h"
#include "ike/constants.h"
#include "ike/payload_fragment.h"

namespace ipop::ike {

// Bounds on what incomplete messages may hold. NOTE: the defaults are
// judgment values, not taken from another implementation. They allow a
// whole 64 KiB message in fragments of 1 KiB or more, and several peers
// with certificate chains negotiating at once, while a flood of forged
// fragments can pin at most max_total_bytes.
struct FragmentLimits {
  size_t max_fragments_per_message = 64;
  size_t max_message_bytes = kMaxMessageSize;
  // Per peer IP address, whatever the port.
  size_t max_incomplete_per_peer = 4;
  size_t max_bytes_per_peer = 2 * kMaxMessageSize;
  size_t max_incomplete_total = 256;
  size_t max_total_bytes = 4 * 1024 * 1024;
  // racoon 0.8.2's phase 1 time limit: a message still incomplete by then
  // belongs to an exchange that has failed anyway.
  Duration timeout = std::chrono::seconds(30);
};

struct FragmentAddResult {
  enum class Status {
    kIncomplete,  // stored; more fragments needed
    kComplete,    // `message` holds the reassembled ISAKMP message
    kDuplicate,   // the same fragment arrived before; nothing changed
    kDropped,     // rejected; `drop_reason` names the counter, `detail` the values
  };
  Status status = Status::kIncomplete;
  Bytes message;
  std::string drop_reason;
  std::string detail;
  // Incomplete messages discarded during this call because they timed out
  // or made room under a limit, for the caller's drop counters.
  size_t expired = 0;
  size_t evicted = 0;
  // True when this fragment's number already held different data, so the
  // pieces held before were discarded (an ID reused for another message).
  bool replaced = false;
};

class FragmentReassembler {
 public:
  explicit FragmentReassembler(FragmentLimits limits = {}) : limits_(limits) {}

  // Adds `fragment`, which arrived from `peer` under `header`, at time `now`.
  FragmentAddResult Add(const Endpoint& peer, const IsakmpHeader& header, const FragmentPayload& fragment,
                        TimePoint now);

  size_t incomplete_count() const { return messages_.size(); }
  size_t buffered_bytes() const { return total_bytes_; }
  size_t buffered_bytes_from(Ipv4Address peer) const;

 private:
  using Key = std::tuple<Endpoint, Cookie, Cookie, uint16_t>;
  struct Incomplete {
    std::map<uint8_t, Bytes> fragments;
    uint8_t last_number = 0;  // 0 until the fragment flagged last arrives
    size_t bytes = 0;
    TimePoint started{};
  };

  // Drops the incomplete messages older than the timeout.
  size_t ExpireOld(TimePoint now);
  // Drops the oldest incomplete messages (of `peer` only when given) until
  // `fits` holds; returns how many went.
  // `keep` is never dropped.
  template <typename Fits>
  size_t EvictOldestUntil(const Ipv4Address* peer, const Key& keep, Fits fits);
  void Erase(std::map<Key, Incomplete>::iterator entry);
  size_t IncompleteFrom(Ipv4Address peer) const;
  static bool IsComplete(const Incomplete& message);
  static Bytes Join(const Incomplete& message);

  FragmentLimits limits_;
  std::map<Key, Incomplete> messages_;
  size_t total_bytes_ = 0;
};

}  // namespace ipop::ike

#endif  // IPOP_IKE_FRAGMENT_REASSEMBLER_H_
