// One packet worker of the Datapath: the per-packet logic, the held-packet
// table and the poll loop. Public so that tests can drive a worker on
// in-memory I/O without threads.
#ifndef IPOP_ESP_DATAPATH_WORKER_H_
#define IPOP_ESP_DATAPATH_WORKER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/bytes.h"
#include "base/timer.h"
#include "esp/datapath.h"
#include "esp/ipv4_packet.h"
#include "esp/sad.h"

namespace ipop::esp {

class DatapathWorker {
 public:
  DatapathWorker(UserspaceBackend& backend, PacketIo& io, size_t index,
                 const DatapathOptions& options, DatapathCounters& counters, FlowTable& flows);
  ~DatapathWorker();
  DatapathWorker(const DatapathWorker&) = delete;
  DatapathWorker& operator=(const DatapathWorker&) = delete;

  // Reads up to batch_size packets from each side, processes them, then
  // sends or expires held packets. Returns the number of packets read.
  size_t ProcessReady();

  // Handles one packet read from the TUN device or received on the ESP
  // socket. The packet buffer may be modified.
  void ProcessTunPacket(const SadSnapshot& snapshot, MutableByteView packet, TimePoint now);
  void ProcessEspPacket(const SadSnapshot& snapshot, MutableByteView packet);
  // Handles one datagram received on a NAT-T socket. The datagram starts
  // kIpv4MinHeaderLength bytes into `buffer`; the room in front is where
  // ESP-in-UDP gets an IPv4 header for decapsulation.
  void ProcessNattDatagram(const SadSnapshot& snapshot, const UdpAddressing& addressing,
                           MutableByteView buffer);

  // Sends held packets whose SA now exists and drops those held longer
  // than hold_timeout.
  void ServiceHeldPackets(const SadSnapshot& snapshot, TimePoint now);

  // The thread body: polls the PacketIo descriptors, the wake eventfd and
  // `stop_fd` until `stop_fd` becomes readable.
  void Run(int stop_fd);
  // Creates the wake eventfd; false with errno set on failure.
  bool OpenWakeFd();
  // Makes Run service held packets soon (called after an SA is published).
  void Wake();

  size_t held_packet_count() const;

 private:
  struct HeldPacket {
    size_t length = 0;
    Ipv4Address source;
    TimePoint held_since;
  };
  // Packets waiting for an SA towards one destination under one policy.
  struct HoldSlot {
    bool in_use = false;
    uint32_t policy_id = 0;
    Ipv4Address destination;
    TimePoint last_acquire;
    size_t count = 0;
  };

  TimePoint Now() const;
  void HandleNoSa(const Policy& policy, const FiveTuple& tuple, ByteView packet, TimePoint now);
  HoldSlot* FindOrClaimSlot(uint32_t policy_id, Ipv4Address destination, TimePoint now);
  MutableByteView HeldBuffer(size_t slot, size_t position);
  // Picks the outbound SA for `packet`: the one whose ESP-in-UDP peer last
  // sent this flow (see flow_table.h), else the newest for the addresses.
  SecurityAssociation* ChooseOutbound(const SadSnapshot& snapshot, const Policy& policy,
                                      const FiveTuple& tuple, ByteView packet,
                                      const Ipv4Header& header, TimePoint now);
  // Encapsulates `packet` under `sa` and sends it; false when dropped.
  bool SendProtected(SecurityAssociation& sa, ByteView packet);
  // Tells the IKE side, once per SA, that `sa` reached its soft byte limit.
  void ReportSoftByteExpiry(SecurityAssociation& sa);
  // Decapsulates `packet` (an IPv4 ESP packet) and delivers the inner
  // packet. `udp` is set when the ESP came in UDP on a NAT-T socket.
  void ReceiveProtected(const SadSnapshot& snapshot, MutableByteView packet,
                        const UdpAddressing* udp);
  // Moves the peer of `sa`, and of every SA that shared its old peer, to
  // `remote` after an authenticated packet came from there.
  void FollowPeer(const SadSnapshot& snapshot, SecurityAssociation& sa, const Endpoint& remote);
  void DeliverInner(const SadSnapshot& snapshot, SecurityAssociation& sa, ByteView inner);
  // True when the inbound policy check of DeliverInner passes for `tuple`.
  bool InboundPolicyAllows(const SadSnapshot& snapshot, const SecurityAssociation& sa,
                           const FiveTuple& tuple) const;
  void LogIoErrorRateLimited(const char* what, int error);

  UserspaceBackend& backend_;
  PacketIo& io_;
  const size_t index_;
  const DatapathOptions& options_;
  DatapathCounters& counters_;
  FlowTable& flows_;
  int wake_fd_ = -1;

  Bytes receive_buffer_;  // one packet read from either side
  Bytes send_buffer_;     // one encapsulated packet
  std::vector<HoldSlot> hold_slots_;
  std::vector<HeldPacket> held_packets_;  // slot * per_destination + position
  Bytes held_storage_;                    // same indexing, max_held_packet_size each

  TimePoint last_io_error_log_;
  uint64_t suppressed_io_errors_ = 0;
};

}  // namespace ipop::esp

#endif  // IPOP_ESP_DATAPATH_WORKER_H_
