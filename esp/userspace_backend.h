// The kernel seam backend that keeps SAs and policies in this process and
// carries ESP in userspace (Datapath reads its snapshots).
//
// Threading contract:
// - Mutations (AllocateSpi, AddSa, DeleteSa, AddPolicy, DeletePolicy,
//   set_snapshot_listener) come from the IKE thread. A mutex serialises
//   them, so a control-socket thread may also call the List functions.
// - Every mutation publishes a new immutable SadSnapshot. Packet workers
//   take it with snapshot() once per batch of packets, not per packet.
//   snapshot() copies a shared_ptr under a spinlock held for that copy
//   only. std::atomic<std::shared_ptr> would do the same, but its load in
//   libstdc++ 12 releases its internal lock with memory_order_relaxed
//   (bits/shared_ptr_atomic.h), which ThreadSanitizer reports as a race
//   with the next store.
// - Per-SA mutable state lives in SecurityAssociation (see sad.h): atomic
//   sequence number and counters, a per-SA spinlock for the replay window,
//   one crypto context per worker.
// - set_acquire_handler, set_endpoint_change_handler and set_expire_handler
//   (soft byte limits only) must be called
//   before the Datapath starts. The handlers run on a packet worker
//   thread, so they must only post to the IKE thread (for example with
//   boost::asio::post).
#ifndef IPOP_ESP_USERSPACE_BACKEND_H_
#define IPOP_ESP_USERSPACE_BACKEND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "esp/kernel_seam.h"
#include "esp/sad.h"
#include "esp/spd.h"

namespace ipop::esp {

class UserspaceBackend : public KernelSeam {
 public:
  // `worker_count` is the number of packet workers the Datapath will run;
  // each SA gets one crypto context per worker.
  explicit UserspaceBackend(size_t worker_count = 1);

  const char* name() const override { return "userspace"; }

  // Draws random SPIs >= 256 until one is unused by any inbound SA or
  // earlier reservation, and reserves it until AddSa installs it.
  // TODO(esp): reserved SPIs whose negotiation fails are never released.
  Result<uint32_t> AllocateSpi(Ipv4Address source, Ipv4Address destination) override;
  // Rejects SPIs below 256, a duplicate (SPI, destination), a replay
  // window above kMaxReplayWindow and bad key lengths. Two outbound
  // ESP-in-UDP SAs may share (SPI, destination) when their UDP destination
  // ports differ: they go to two peers behind one NAT. SAs with UDP
  // encapsulation need a PacketIo with NAT-T sockets to carry them.
  Result<void> AddSa(EspSaConfig config) override;
  // Fails without deleting anything when several SAs match; the caller
  // then names the port with DeleteEncapsulatedSa.
  Result<void> DeleteSa(uint32_t spi, Ipv4Address destination) override;
  Result<void> DeleteEncapsulatedSa(uint32_t spi, Ipv4Address destination,
                                    uint16_t destination_port) override;
  std::vector<EspSaStatus> ListSas() const override;

  Result<Policy> AddPolicy(Policy policy) override;
  Result<void> DeletePolicy(uint32_t policy_id) override;
  std::vector<Policy> ListPolicies() const override;

  // The current tables, for packet workers. Never null.
  std::shared_ptr<const SadSnapshot> snapshot() const {
    std::lock_guard<SpinLock> guard(snapshot_lock_);
    return snapshot_;
  }

  // Runs `listener` after each publication, on the mutating thread. The
  // Datapath uses it to wake workers that hold packets waiting for an SA.
  void set_snapshot_listener(std::function<void()> listener);

  // Passes `request` to the acquire handler, if one is set. Called by
  // packet workers.
  void RequestAcquire(const AcquireRequest& request) const;
  // Passes `change` to the endpoint change handler, if one is set. Called
  // by packet workers.
  void ReportEndpointChange(const SaEndpointChange& change) const;
  // Runs the expire handler for an SA whose byte count reached soft_bytes.
  void ReportExpire(const SaExpire& expire) const;

  size_t worker_count() const { return worker_count_; }

 private:
  // Builds and publishes a snapshot from the master tables; mutex_ held.
  void PublishLocked();
  // Deletes the SAs for which `matches` is true, which must be exactly one;
  // `name` describes them in errors and logs.
  Result<void> DeleteOneLocked(const std::function<bool(const SecurityAssociation&)>& matches,
                               uint32_t spi, const std::string& name);

  const size_t worker_count_;
  mutable std::mutex mutex_;
  Spd spd_;
  std::vector<std::shared_ptr<SecurityAssociation>> sas_;  // in order added
  std::set<uint32_t> reserved_spis_;
  uint64_t generation_ = 0;
  std::function<void()> snapshot_listener_;
  mutable SpinLock snapshot_lock_;
  std::shared_ptr<const SadSnapshot> snapshot_;  // guarded by snapshot_lock_
};

}  // namespace ipop::esp

#endif  // IPOP_ESP_USERSPACE_BACKEND_H_
