// The userspace ESP packet loop. Each worker owns one PacketIo (one TUN
// queue and its ESP socket) and runs:
//
//   TUN read -> SPD `out` lookup -> ipsec: outbound SA -> encapsulate -> ESP send
//                                          no SA -> acquire, hold the packet
//                                -> none/discard/no policy: drop, counted
//   ESP receive -> SPI lookup -> replay check -> ICV + decrypt -> replay commit
//               -> padding check -> rebuild inner packet -> SPD `in` check
//               -> TUN write
//   NAT-T receive -> non-ESP marker: IKE message, to ike_handler
//                 -> 0xFF: keepalive, counted and dropped
//                 -> else ESP-in-UDP: as ESP receive, then the checksum
//                    fix-up and the peer endpoint update of RFC 3948
//
// UDP encapsulation (RFC 3948) shares UDP 4500 with IKE. The worker owns
// every read of that socket and passes IKE messages to ike_handler, which
// posts them to the IKE thread. The IKE thread only sends on the socket.
// Reading from both threads would let either one take the other's
// datagrams, and a second socket with SO_REUSEPORT would make the kernel
// split the flows between the two sockets by hash.
//
// Workers read the backend's snapshots (no global lock per packet), use
// preallocated buffers (no allocation per packet) and only count drops;
// logging on the packet path is rate-limited.
//
// Packets without an SA: the worker requests an acquire from the backend at
// most once per acquire_interval per (policy, destination). The limit is
// per worker, so N workers may request up to N acquires in one interval.
// The worker holds up to max_held_packets_per_destination packets for that
// destination and sends them once the SA appears. Packets still held after
// hold_timeout are dropped.
#ifndef IPOP_ESP_DATAPATH_H_
#define IPOP_ESP_DATAPATH_H_

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "base/ip_address.h"
#include "base/timer.h"
#include "esp/drop_reason.h"
#include "esp/flow_table.h"
#include "esp/userspace_backend.h"

namespace ipop::esp {

// Packet I/O of one worker, kept small so that tests run the loop on memory
// and the daemon passes real file descriptors.
//
// The ESP side carries whole IPv4 packets in both directions. The intended
// implementation is one raw socket, socket(AF_INET, SOCK_RAW, IPPROTO_ESP),
// with IP_HDRINCL set. Transport mode reuses the inner packet's header, so
// the worker builds the outer header itself. On receive, a raw socket
// delivers ESP with its IPv4 header, after the kernel has reassembled
// fragments.
//
// NOTE: every raw IPPROTO_ESP socket gets its own copy of each received ESP
// packet. With several workers, only one PacketIo may return ESP from
// ReceiveEsp (the others return 0), or each packet is decapsulated once per
// worker and all copies but the first count as replays.
// The two ends of a datagram on a NAT-T socket.
struct UdpAddressing {
  Endpoint local;
  Endpoint remote;
};

class PacketIo {
 public:
  virtual ~PacketIo() = default;

  // Descriptors the worker polls for input; -1 when the implementation has
  // none (in-memory I/O driven by tests through DatapathWorker).
  virtual int tun_fd() const = 0;
  virtual int esp_fd() const = 0;

  // Each read returns the packet length, 0 when nothing is waiting, or an
  // errno value. `buffer` is large enough for any IPv4 packet.
  virtual std::expected<size_t, int> ReadTun(MutableByteView buffer) = 0;
  virtual std::expected<size_t, int> ReceiveEsp(MutableByteView buffer) = 0;
  virtual std::expected<void, int> WriteTun(ByteView packet) = 0;
  // `packet` is a whole IPv4 packet with protocol 50 and a valid header.
  virtual std::expected<void, int> SendEsp(ByteView packet) = 0;

  // The NAT-T (UDP 4500) sockets the worker polls; empty when this PacketIo
  // carries no UDP-encapsulated ESP. As with ReceiveEsp, only one PacketIo
  // of a Datapath may return them.
  virtual std::span<const int> natt_fds() const { return {}; }
  // Reads one datagram from any NAT-T socket, with the same results as the
  // other reads, and sets `addressing` to its two ends.
  virtual std::expected<size_t, int> ReceiveNatt(MutableByteView /*buffer*/,
                                                 UdpAddressing& /*addressing*/) {
    return 0;
  }
  // Sends `datagram` (ESP from its SPI on, or a keepalive) from the NAT-T
  // socket bound to `addressing.local` to `addressing.remote`.
  virtual std::expected<void, int> SendNatt(ByteView /*datagram*/,
                                            const UdpAddressing& /*addressing*/) {
    return std::unexpected(EOPNOTSUPP);
  }
};

struct DatapathOptions {
  // Packets held per destination while its SA is negotiated.
  size_t max_held_packets_per_destination = 4;
  // Destinations that can have held packets at once, per worker.
  size_t max_held_destinations = 16;
  // The largest packet that can be held; set it to the TUN MTU or more.
  size_t max_held_packet_size = 1500;
  std::chrono::milliseconds hold_timeout{5000};
  std::chrono::milliseconds acquire_interval{1000};
  // How often an idle worker wakes to expire held packets.
  std::chrono::milliseconds idle_wakeup{250};
  // Packets read from each side per loop turn before the other gets a turn.
  size_t batch_size = 32;
  // Flows whose ESP-in-UDP peer the workers remember, shared by all
  // workers (esp/flow_table.h), and how long an idle flow is remembered.
  // With several peers behind one NAT, a flow the table has forgotten
  // goes out through the newest SA towards the NAT until its peer sends
  // again. About 40 bytes per flow.
  size_t max_flows = 4096;
  std::chrono::seconds flow_idle_timeout{120};
  // The clock for hold timeouts and acquire rate limits; Clock::now if empty.
  std::function<TimePoint()> now;
  // Receives each IKE message read from a NAT-T socket, without the non-ESP
  // marker, on the worker thread. `message` views the worker's buffer, so
  // the handler copies it before posting it to the IKE thread. Messages are
  // counted and dropped when it is empty.
  std::function<void(const Endpoint& local, const Endpoint& remote, ByteView message)> ike_handler;
};

// Counters of all workers together, for `ipop-esp` statistics.
struct DatapathStatistics {
  uint64_t tun_packets_read = 0;
  uint64_t esp_packets_sent = 0;
  uint64_t esp_packets_received = 0;
  uint64_t tun_packets_written = 0;
  uint64_t acquires_requested = 0;
  uint64_t packets_held = 0;
  uint64_t held_packets_sent = 0;
  uint64_t natt_ike_received = 0;
  uint64_t natt_keepalives_received = 0;
  uint64_t peer_endpoint_changes = 0;
  // Indexed by DropReason; DropReasonName gives each counter's name.
  std::array<uint64_t, kDropReasonCount> drops{};

  uint64_t dropped(DropReason reason) const { return drops[static_cast<size_t>(reason)]; }
  uint64_t total_drops() const;
};

// Shared by the workers; relaxed atomics because they are statistics only.
struct DatapathCounters {
  std::atomic<uint64_t> tun_packets_read{0};
  std::atomic<uint64_t> esp_packets_sent{0};
  std::atomic<uint64_t> esp_packets_received{0};
  std::atomic<uint64_t> tun_packets_written{0};
  std::atomic<uint64_t> acquires_requested{0};
  std::atomic<uint64_t> packets_held{0};
  std::atomic<uint64_t> held_packets_sent{0};
  std::atomic<uint64_t> natt_ike_received{0};
  std::atomic<uint64_t> natt_keepalives_received{0};
  std::atomic<uint64_t> peer_endpoint_changes{0};
  std::array<std::atomic<uint64_t>, kDropReasonCount> drops{};

  void Drop(DropReason reason) {
    drops[static_cast<size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  }
  DatapathStatistics Read() const;
};

class DatapathWorker;

class Datapath {
 public:
  // One worker per PacketIo; `ios` must not hold more than
  // backend.worker_count() entries and must outlive the Datapath. Installs
  // itself as the backend's snapshot listener.
  Datapath(UserspaceBackend& backend, std::vector<PacketIo*> ios, DatapathOptions options = {});
  ~Datapath();
  Datapath(const Datapath&) = delete;
  Datapath& operator=(const Datapath&) = delete;

  // Starts one thread per worker. Fails when an eventfd cannot be created.
  Result<void> Start();
  // Signals the workers and joins them; safe to call twice.
  void Stop();

  DatapathStatistics Statistics() const { return counters_.Read(); }

  // For tests that drive the loop without threads.
  DatapathWorker& worker(size_t index) { return *workers_[index]; }
  size_t worker_count() const { return workers_.size(); }

 private:
  void WakeWorkers();

  UserspaceBackend& backend_;
  DatapathOptions options_;
  DatapathCounters counters_;
  FlowTable flows_;
  std::vector<std::unique_ptr<DatapathWorker>> workers_;
  std::vector<std::thread> threads_;
  int stop_fd_ = -1;
};

}  // namespace ipop::esp

#endif  // IPOP_ESP_DATAPATH_H_
