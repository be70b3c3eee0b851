// The security association database of the userspace backend: one
// SecurityAssociation per installed ESP SA, and the immutable lookup tables
// (SadSnapshot) that packet workers read.
//
// Threading: a SadSnapshot never changes after it is published, so workers
// read it without locks. The SecurityAssociation objects it points to are
// shared by every snapshot that contains them and carry the per-SA mutable
// state: the outbound sequence number and the counters are atomics, the
// inbound replay window sits behind a per-SA spinlock, and each worker has
// its own crypto context (EspCrypto is single-threaded).
#ifndef IPOP_ESP_SAD_H_
#define IPOP_ESP_SAD_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "base/ip_address.h"
#include "crypto/esp_crypto.h"
#include "esp/kernel_seam.h"
#include "esp/replay_window.h"
#include "esp/spd.h"

namespace ipop::esp {

// RFC 4303 §2.1: SPIs 1..255 are reserved by IANA and 0 means "no SA".
inline constexpr uint32_t kMinSpi = 256;
// RFC 4303 §3.3.3: without extended sequence numbers the counter must not
// wrap; an SA that has sent 2^32-1 packets is used up.
inline constexpr uint64_t kMaxSequenceNumber = 0xffffffffULL;

// A lock for a few instructions of work, such as one replay window update.
class SpinLock {
 public:
  void lock() {
    while (flag_.test_and_set(std::memory_order_acquire)) {
      flag_.wait(true, std::memory_order_relaxed);
    }
  }
  void unlock() {
    flag_.clear(std::memory_order_release);
    flag_.notify_one();
  }

 private:
  std::atomic_flag flag_;
};

class SecurityAssociation {
 public:
  // Builds the crypto contexts, one per packet worker, and wipes the keys
  // from `config` afterwards. Fails on a bad key length or an unsupported
  // algorithm.
  static Result<std::shared_ptr<SecurityAssociation>> Create(
      EspSaConfig config, size_t worker_count, std::chrono::system_clock::time_point created);

  SecurityAssociation(const SecurityAssociation&) = delete;
  SecurityAssociation& operator=(const SecurityAssociation&) = delete;

  // The configuration with its keys wiped.
  const EspSaConfig& config() const { return config_; }
  uint32_t spi() const { return config_.spi; }
  bool inbound() const { return config_.inbound; }

  // The crypto context of worker `worker` (0 .. worker_count-1).
  crypto::EspCrypto& crypto(size_t worker) { return *crypto_[worker]; }
  size_t worker_count() const { return crypto_.size(); }

  // Outbound: takes the next sequence number, or nullopt once 2^32-1 has
  // been used; the SA then stays unusable until the IKE side replaces it.
  std::optional<uint32_t> NextSequence();
  // Makes the next NextSequence return `next`; lets tests reach the 2^32-1
  // limit without sending four billion packets.
  void SetNextSequenceForTesting(uint64_t next) {
    last_sequence_.store(next - 1, std::memory_order_relaxed);
  }
  bool sequence_exhausted() const {
    return last_sequence_.load(std::memory_order_relaxed) >= kMaxSequenceNumber;
  }

  // Inbound: the two replay window steps of RFC 4303 §3.4.3 under the
  // per-SA lock. Commit returns false when another worker committed the
  // same number in between.
  ReplayVerdict CheckReplay(uint32_t sequence);
  bool CommitReplay(uint32_t sequence);

  // True once the hard byte lifetime is reached; the packet path then stops
  // using the SA.
  bool hard_lifetime_reached() const {
    return config_.lifetime.hard_bytes != 0 &&
           bytes_.load(std::memory_order_relaxed) >= config_.lifetime.hard_bytes;
  }

  // The peer's UDP endpoint of an encapsulated SA: where outbound ESP-in-UDP
  // goes, or where inbound ESP-in-UDP last came from. Starts at the
  // configured address and port; meaningless without encapsulation.
  Endpoint udp_peer() const { return UnpackEndpoint(udp_peer_.load(std::memory_order_relaxed)); }
  // Moves the peer to `next` if it is still `expected`. Returns false when
  // another worker changed it first.
  bool ReplaceUdpPeer(const Endpoint& expected, const Endpoint& next) {
    uint64_t packed = PackEndpoint(expected);
    return udp_peer_.compare_exchange_strong(packed, PackEndpoint(next), std::memory_order_relaxed);
  }

  void CountPacket(size_t payload_bytes) {
    packets_.fetch_add(1, std::memory_order_relaxed);
    bytes_.fetch_add(payload_bytes, std::memory_order_relaxed);
  }
  // Returns true exactly once, on the first call after the byte count
  // reached soft_bytes, so that one worker reports the soft expiry and the
  // IKE side starts a rekey.
  bool TakeSoftByteExpiry() {
    if (config_.lifetime.soft_bytes == 0 || bytes_.load(std::memory_order_relaxed) < config_.lifetime.soft_bytes) {
      return false;
    }
    return !soft_expiry_reported_.exchange(true, std::memory_order_relaxed);
  }
  void CountReplayDrop() { replay_drops_.fetch_add(1, std::memory_order_relaxed); }
  void CountIntegrityDrop() { integrity_drops_.fetch_add(1, std::memory_order_relaxed); }

  EspSaStatus Status() const;

 private:
  SecurityAssociation(EspSaConfig config, std::vector<std::unique_ptr<crypto::EspCrypto>> crypto,
                      std::chrono::system_clock::time_point created);

  static uint64_t PackEndpoint(const Endpoint& endpoint) {
    return (uint64_t{endpoint.address.value()} << 16) | endpoint.port;
  }
  static Endpoint UnpackEndpoint(uint64_t packed) {
    return Endpoint{Ipv4Address(static_cast<uint32_t>(packed >> 16)),
                    static_cast<uint16_t>(packed & 0xffff)};
  }

  EspSaConfig config_;
  std::vector<std::unique_ptr<crypto::EspCrypto>> crypto_;
  std::chrono::system_clock::time_point created_;

  std::atomic<uint64_t> udp_peer_{0};  // PackEndpoint form
  std::atomic<uint64_t> last_sequence_{0};
  SpinLock replay_lock_;
  ReplayWindow replay_window_;

  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> packets_{0};
  std::atomic<uint64_t> replay_drops_{0};
  std::atomic<uint64_t> integrity_drops_{0};
  std::atomic<bool> soft_expiry_reported_{false};
};

// The lookup tables one publication of the backend's state consists of:
// the SPD and the SAs. Immutable once published.
struct SadSnapshot {
  uint64_t generation = 0;
  Spd spd;
  // Inbound SAs by (SPI, destination), RFC 4303 §2.1.
  std::unordered_map<uint64_t, std::shared_ptr<SecurityAssociation>> inbound;
  // Outbound SAs by (source, destination), newest first within a pair.
  std::unordered_map<uint64_t, std::vector<std::shared_ptr<SecurityAssociation>>> outbound;

  static uint64_t InboundKey(uint32_t spi, Ipv4Address destination) {
    return (uint64_t{spi} << 32) | destination.value();
  }
  static uint64_t OutboundKey(Ipv4Address source, Ipv4Address destination) {
    return (uint64_t{source.value()} << 32) | destination.value();
  }

  SecurityAssociation* FindInbound(uint32_t spi, Ipv4Address destination) const;
  // Returns the newest usable outbound SA from `source` to `destination`
  // that serves `policy` (an SA whose policy_id is 0 serves any policy) in
  // the policy's mode, or nullptr. For a tunnel-mode policy the policy's
  // tunnel endpoints replace `source` and `destination`. SAs with an
  // exhausted sequence number or hard byte lifetime are skipped. With
  // `udp_peer` set, the newest usable ESP-in-UDP SA whose peer is that
  // endpoint wins, so that peers behind one NAT keep their own SAs. Without
  // such an SA the result is the same as without `udp_peer`.
  SecurityAssociation* FindOutbound(const Policy& policy, Ipv4Address source,
                                    Ipv4Address destination,
                                    std::optional<Endpoint> udp_peer = std::nullopt) const;
};

}  // namespace ipop::esp

#endif  // IPOP_ESP_SAD_H_
