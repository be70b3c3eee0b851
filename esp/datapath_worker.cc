#include "esp/datapath_worker.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/log.h"
#include "esp/esp_transport.h"
#include "esp/esp_tunnel.h"
#include "esp/udp_encapsulation.h"

namespace ipop::esp {
namespace {

// At most one log line per this interval about failing TUN or socket I/O.
constexpr auto kIoErrorLogInterval = std::chrono::seconds(10);
// Full batches processed back to back before the worker polls again.
constexpr int kMaxTurnsWithoutPoll = 16;

// Empties an eventfd; its value carries no information here.
void DrainEventFd(int fd) {
  uint64_t value = 0;
  while (read(fd, &value, sizeof(value)) == sizeof(value)) {
  }
}

}  // namespace

DatapathWorker::DatapathWorker(UserspaceBackend& backend, PacketIo& io, size_t index,
                               const DatapathOptions& options, DatapathCounters& counters,
                               FlowTable& flows)
    : backend_(backend),
      io_(io),
      index_(index),
      options_(options),
      counters_(counters),
      flows_(flows),
      receive_buffer_(kIpv4MaxPacketLength),
      send_buffer_(kIpv4MaxPacketLength),
      hold_slots_(options.max_held_destinations),
      held_packets_(options.max_held_destinations * options.max_held_packets_per_destination),
      held_storage_(held_packets_.size() * options.max_held_packet_size) {}

DatapathWorker::~DatapathWorker() {
  if (wake_fd_ >= 0) {
    close(wake_fd_);
  }
}

bool DatapathWorker::OpenWakeFd() {
  if (wake_fd_ < 0) {
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }
  return wake_fd_ >= 0;
}

void DatapathWorker::Wake() {
  if (wake_fd_ < 0) {
    return;
  }
  const uint64_t one = 1;
  // A full counter already means "wake up", so a failed write loses nothing.
  [[maybe_unused]] ssize_t written = write(wake_fd_, &one, sizeof(one));
}

TimePoint DatapathWorker::Now() const { return options_.now ? options_.now() : Clock::now(); }

size_t DatapathWorker::ProcessReady() {
  const std::shared_ptr<const SadSnapshot> snapshot = backend_.snapshot();
  const TimePoint now = Now();
  MutableByteView buffer(receive_buffer_);
  size_t packets = 0;

  for (size_t i = 0; i < options_.batch_size; ++i) {
    auto length = io_.ReadTun(buffer);
    if (!length) {
      LogIoErrorRateLimited("TUN read", length.error());
      break;
    }
    if (*length == 0) {
      break;
    }
    ++packets;
    counters_.tun_packets_read.fetch_add(1, std::memory_order_relaxed);
    ProcessTunPacket(*snapshot, buffer.first(*length), now);
  }

  for (size_t i = 0; i < options_.batch_size; ++i) {
    auto length = io_.ReceiveEsp(buffer);
    if (!length) {
      LogIoErrorRateLimited("ESP receive", length.error());
      break;
    }
    if (*length == 0) {
      break;
    }
    ++packets;
    counters_.esp_packets_received.fetch_add(1, std::memory_order_relaxed);
    ProcessEspPacket(*snapshot, buffer.first(*length));
  }

  if (!io_.natt_fds().empty()) {
    // The datagram goes behind room for the IPv4 header that ESP-in-UDP
    // gets for decapsulation.
    MutableByteView datagram_buffer = buffer.subspan(kIpv4MinHeaderLength);
    for (size_t i = 0; i < options_.batch_size; ++i) {
      UdpAddressing addressing;
      auto length = io_.ReceiveNatt(datagram_buffer, addressing);
      if (!length) {
        LogIoErrorRateLimited("NAT-T receive", length.error());
        break;
      }
      if (*length == 0) {
        break;
      }
      ++packets;
      ProcessNattDatagram(*snapshot, addressing, buffer.first(kIpv4MinHeaderLength + *length));
    }
  }

  ServiceHeldPackets(*snapshot, now);
  return packets;
}

void DatapathWorker::ProcessTunPacket(const SadSnapshot& snapshot, MutableByteView packet,
                                      TimePoint now) {
  if (IpVersion(packet) != kIpv4Version) {
    counters_.Drop(DropReason::kNotIpv4);
    return;
  }
  const std::optional<Ipv4Header> header = ParseIpv4Header(packet);
  if (!header) {
    counters_.Drop(DropReason::kMalformed);
    return;
  }
  const FiveTuple tuple = ExtractFiveTuple(packet, *header);

  const Policy* policy = snapshot.spd.Lookup(PolicyDirection::kOut, tuple);
  if (policy == nullptr) {
    counters_.Drop(DropReason::kNoPolicy);
    return;
  }
  switch (policy->action) {
    case PolicyAction::kBypass:
      counters_.Drop(DropReason::kBypassPolicy);
      return;
    case PolicyAction::kDiscard:
      counters_.Drop(DropReason::kDiscardPolicy);
      return;
    case PolicyAction::kIpsec:
      break;
  }

  const ByteView whole = packet.first(header->total_length);
  SecurityAssociation* sa = ChooseOutbound(snapshot, *policy, tuple, whole, *header, now);
  if (sa == nullptr) {
    HandleNoSa(*policy, tuple, whole, now);
    return;
  }
  SendProtected(*sa, whole);
}

SecurityAssociation* DatapathWorker::ChooseOutbound(const SadSnapshot& snapshot,
                                                    const Policy& policy, const FiveTuple& tuple,
                                                    ByteView packet, const Ipv4Header& header,
                                                    TimePoint now) {
  std::optional<Endpoint> peer;
  if (const std::optional<FlowKey> key = FlowKeyOf(packet, header, FlowDirection::kSent)) {
    peer = flows_.Find(*key, now);
  }
  return snapshot.FindOutbound(policy, tuple.source, tuple.destination, peer);
}

void DatapathWorker::ReportSoftByteExpiry(SecurityAssociation& sa) {
  if (sa.TakeSoftByteExpiry()) {
    backend_.ReportExpire(SaExpire{.spi = sa.spi(), .destination = sa.config().destination, .hard = false});
  }
}

bool DatapathWorker::SendProtected(SecurityAssociation& sa, ByteView packet) {
  auto length = sa.config().mode == IpsecMode::kTunnel
                    ? EncapsulateTunnel(packet, sa, index_, MutableByteView(send_buffer_))
                    : EncapsulateTransport(packet, sa, index_, MutableByteView(send_buffer_));
  if (!length) {
    counters_.Drop(length.error());
    return false;
  }
  ReportSoftByteExpiry(sa);
  const ByteView packet_out = ByteView(send_buffer_).first(*length);
  std::expected<void, int> sent;
  if (const auto& encapsulation = sa.config().encapsulation) {
    // RFC 3948 §3.1.1: the ESP header follows a UDP header in place of
    // the IPv4 header the socket adds. The header length is the inner
    // packet's, which EncapsulateTransport kept, or the 20-byte outer
    // header of tunnel mode.
    const size_t header_length = (std::to_integer<size_t>(send_buffer_[0]) & 0x0f) * 4;
    const UdpAddressing addressing{
        .local = Endpoint{sa.config().source, encapsulation->source_port},
        .remote = sa.udp_peer(),
    };
    sent = io_.SendNatt(packet_out.subspan(header_length), addressing);
  } else {
    sent = io_.SendEsp(packet_out);
  }
  if (!sent) {
    counters_.Drop(DropReason::kSendFailed);
    LogIoErrorRateLimited("ESP send", sent.error());
    return false;
  }
  counters_.esp_packets_sent.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void DatapathWorker::ProcessEspPacket(const SadSnapshot& snapshot, MutableByteView packet) {
  ReceiveProtected(snapshot, packet, nullptr);
}

void DatapathWorker::ProcessNattDatagram(const SadSnapshot& snapshot,
                                         const UdpAddressing& addressing,
                                         MutableByteView buffer) {
  const NattDatagram datagram = ClassifyNattDatagram(buffer.subspan(kIpv4MinHeaderLength));
  switch (datagram.kind) {
    case NattDatagramKind::kIke:
      counters_.natt_ike_received.fetch_add(1, std::memory_order_relaxed);
      if (options_.ike_handler) {
        options_.ike_handler(addressing.local, addressing.remote, datagram.payload);
      }
      return;
    case NattDatagramKind::kKeepalive:
      counters_.natt_keepalives_received.fetch_add(1, std::memory_order_relaxed);
      return;
    case NattDatagramKind::kInvalid:
      counters_.Drop(DropReason::kNattInvalid);
      return;
    case NattDatagramKind::kEsp:
      break;
  }
  counters_.esp_packets_received.fetch_add(1, std::memory_order_relaxed);
  WriteEspHeaderForUdp(buffer, addressing.remote.address, addressing.local.address,
                       datagram.payload.size());
  ReceiveProtected(snapshot, buffer, &addressing);
}

void DatapathWorker::ReceiveProtected(const SadSnapshot& snapshot, MutableByteView packet,
                                      const UdpAddressing* udp) {
  auto info = ParseEspPacket(packet);
  if (!info) {
    counters_.Drop(info.error());
    return;
  }
  SecurityAssociation* sa = snapshot.FindInbound(info->spi, info->outer.destination);
  if (sa == nullptr) {
    counters_.Drop(DropReason::kUnknownSpi);
    return;
  }
  const auto& encapsulation = sa->config().encapsulation;
  if (encapsulation.has_value() != (udp != nullptr)) {
    counters_.Drop(DropReason::kEncapsulationMismatch);
    return;
  }
  if (sa->hard_lifetime_reached()) {
    counters_.Drop(DropReason::kLifetimeExpired);
    return;
  }
  const bool tunnel = sa->config().mode == IpsecMode::kTunnel;
  auto inner = tunnel ? DecapsulateTunnel(*info, *sa, index_, packet)
                      : DecapsulateTransport(*info, *sa, index_, packet);
  if (!inner) {
    counters_.Drop(inner.error());
    return;
  }
  ReportSoftByteExpiry(*sa);
  if (udp != nullptr) {
    // Only now, with the ICV verified and the sequence number committed,
    // is the packet known to come from the peer.
    FollowPeer(snapshot, *sa, udp->remote);
    // A tunnel's inner packet never passed the NAT, so its checksums hold
    // (RFC 3948 §3.1.2 fixes up transport mode only).
    if (const std::optional<Ipv4Header> header = ParseIpv4Header(*inner); header && !tunnel) {
      FixTransportChecksum(*inner, *header, sa->config().original_source,
                           sa->config().original_destination);
    }
  }
  DeliverInner(snapshot, *sa, *inner);
}

// RFC 3948 §2.2 leaves it to the implementation how it follows a changed
// NAT mapping; this one trusts the newest authenticated packet. Every SA
// that shared the old endpoint (the other direction, other SA pairs with the
// same peer) moves with it, so the change is logged once.
void DatapathWorker::FollowPeer(const SadSnapshot& snapshot, SecurityAssociation& sa,
                                const Endpoint& remote) {
  const Endpoint old_peer = sa.udp_peer();
  if (old_peer == remote || !sa.ReplaceUdpPeer(old_peer, remote)) {
    return;
  }
  for (const auto& [key, inbound] : snapshot.inbound) {
    if (inbound->config().encapsulation) {
      inbound->ReplaceUdpPeer(old_peer, remote);
    }
  }
  for (const auto& [key, outbound_list] : snapshot.outbound) {
    for (const auto& outbound : outbound_list) {
      if (outbound->config().encapsulation) {
        outbound->ReplaceUdpPeer(old_peer, remote);
      }
    }
  }
  counters_.peer_endpoint_changes.fetch_add(1, std::memory_order_relaxed);
  char spi[16];
  std::snprintf(spi, sizeof(spi), "0x%08x", sa.spi());
  IPOP_LOG(kInfo) << "NAT mapping of the peer changed: spi=" << spi << " "
                  << old_peer.ToString() << " -> " << remote.ToString();
  backend_.ReportEndpointChange(SaEndpointChange{
      .spi = sa.spi(),
      .destination = sa.config().destination,
      .old_peer = old_peer,
      .new_peer = remote,
  });
}

// The inbound policy check (RFC 4301 §5.2 step 4): the inner packet must
// match an `in` ipsec policy, and that policy must be one the SA serves
// (an SA whose policy_id is 0 serves every ipsec policy). A tunnel's inner
// packet may instead match a `fwd` policy, because a gateway forwards it to
// the subnet behind it. A `fwd` policy counts as served when it has the
// selector of the `in` policy the SA serves, as setkey scripts pair them.
void DatapathWorker::DeliverInner(const SadSnapshot& snapshot, SecurityAssociation& sa,
                                  ByteView inner) {
  const std::optional<Ipv4Header> header = ParseIpv4Header(inner);
  if (!header) {
    counters_.Drop(DropReason::kMalformed);
    return;
  }
  const FiveTuple tuple = ExtractFiveTuple(inner, *header);
  if (!InboundPolicyAllows(snapshot, sa, tuple)) {
    counters_.Drop(DropReason::kInboundPolicy);
    return;
  }

  if (sa.config().encapsulation) {
    // Replies to this flow go back to the peer that sent it.
    if (const std::optional<FlowKey> key = FlowKeyOf(inner, *header, FlowDirection::kReceived)) {
      flows_.Record(*key, sa.udp_peer(), Now());
    }
  }

  auto written = io_.WriteTun(inner);
  if (!written) {
    counters_.Drop(DropReason::kWriteFailed);
    LogIoErrorRateLimited("TUN write", written.error());
    return;
  }
  counters_.tun_packets_written.fetch_add(1, std::memory_order_relaxed);
}

bool DatapathWorker::InboundPolicyAllows(const SadSnapshot& snapshot,
                                         const SecurityAssociation& sa,
                                         const FiveTuple& tuple) const {
  const bool tunnel = sa.config().mode == IpsecMode::kTunnel;
  const Policy* policy = snapshot.spd.Lookup(PolicyDirection::kIn, tuple);
  if (policy == nullptr && tunnel) {
    policy = snapshot.spd.Lookup(PolicyDirection::kFwd, tuple);
  }
  if (policy == nullptr || policy->action != PolicyAction::kIpsec || policy->mode != sa.config().mode) {
    return false;
  }
  const uint32_t served = sa.config().policy_id;
  if (served == 0 || served == policy->id) {
    return true;
  }
  const Policy* served_policy = snapshot.spd.Find(served);
  return tunnel && served_policy != nullptr && served_policy->selector == policy->selector;
}

void DatapathWorker::HandleNoSa(const Policy& policy, const FiveTuple& tuple, ByteView packet,
                                TimePoint now) {
  HoldSlot* slot = FindOrClaimSlot(policy.id, tuple.destination, now);
  if (slot == nullptr) {
    counters_.Drop(DropReason::kHoldTableFull);
    return;
  }

  if (slot->last_acquire == TimePoint{} || now - slot->last_acquire >= options_.acquire_interval) {
    slot->last_acquire = now;
    counters_.acquires_requested.fetch_add(1, std::memory_order_relaxed);
    backend_.RequestAcquire(AcquireRequest{
        .policy_id = policy.id,
        .source = tuple.source,
        .destination = tuple.destination,
        .protocol = tuple.protocol,
    });
  }

  if (slot->count >= options_.max_held_packets_per_destination) {
    counters_.Drop(DropReason::kHoldOverflow);
    return;
  }
  if (packet.size() > options_.max_held_packet_size) {
    counters_.Drop(DropReason::kTooBig);
    return;
  }
  const size_t slot_index = static_cast<size_t>(slot - hold_slots_.data());
  const size_t position = slot->count++;
  MutableByteView buffer = HeldBuffer(slot_index, position);
  std::memcpy(buffer.data(), packet.data(), packet.size());
  held_packets_[slot_index * options_.max_held_packets_per_destination + position] =
      HeldPacket{.length = packet.size(), .source = tuple.source, .held_since = now};
  counters_.packets_held.fetch_add(1, std::memory_order_relaxed);
}

// A slot stays claimed while it contains packets or its last acquire is
// more recent than acquire_interval, so the rate limit outlives the packets.
DatapathWorker::HoldSlot* DatapathWorker::FindOrClaimSlot(uint32_t policy_id,
                                                          Ipv4Address destination,
                                                          TimePoint now) {
  HoldSlot* free_slot = nullptr;
  for (HoldSlot& slot : hold_slots_) {
    if (slot.in_use && slot.policy_id == policy_id && slot.destination == destination) {
      return &slot;
    }
    const bool reusable =
        !slot.in_use || (slot.count == 0 && now - slot.last_acquire >= options_.acquire_interval);
    if (reusable && free_slot == nullptr) {
      free_slot = &slot;
    }
  }
  if (free_slot != nullptr) {
    *free_slot = HoldSlot{};
    free_slot->in_use = true;
    free_slot->policy_id = policy_id;
    free_slot->destination = destination;
  }
  return free_slot;
}

MutableByteView DatapathWorker::HeldBuffer(size_t slot, size_t position) {
  const size_t index = slot * options_.max_held_packets_per_destination + position;
  return MutableByteView(held_storage_)
      .subspan(index * options_.max_held_packet_size, options_.max_held_packet_size);
}

void DatapathWorker::ServiceHeldPackets(const SadSnapshot& snapshot, TimePoint now) {
  for (size_t slot_index = 0; slot_index < hold_slots_.size(); ++slot_index) {
    HoldSlot& slot = hold_slots_[slot_index];
    if (!slot.in_use || slot.count == 0) {
      continue;
    }
    const Policy* policy = snapshot.spd.Find(slot.policy_id);
    size_t kept = 0;
    for (size_t position = 0; position < slot.count; ++position) {
      const HeldPacket held =
          held_packets_[slot_index * options_.max_held_packets_per_destination + position];
      ByteView packet = HeldBuffer(slot_index, position).first(held.length);

      SecurityAssociation* sa = nullptr;
      if (policy != nullptr) {
        sa = snapshot.FindOutbound(*policy, held.source, slot.destination);
      }
      if (sa != nullptr) {
        if (SendProtected(*sa, packet)) {
          counters_.held_packets_sent.fetch_add(1, std::memory_order_relaxed);
        }
        continue;
      }
      if (policy == nullptr) {
        counters_.Drop(DropReason::kNoPolicy);
        continue;
      }
      if (now - held.held_since >= options_.hold_timeout) {
        counters_.Drop(DropReason::kHoldTimeout);
        continue;
      }
      // Still waiting: compact it towards the front, oldest first.
      if (kept != position) {
        std::memmove(HeldBuffer(slot_index, kept).data(), packet.data(), packet.size());
        held_packets_[slot_index * options_.max_held_packets_per_destination + kept] = held;
      }
      ++kept;
    }
    slot.count = kept;
  }
}

size_t DatapathWorker::held_packet_count() const {
  size_t count = 0;
  for (const HoldSlot& slot : hold_slots_) {
    count += slot.in_use ? slot.count : 0;
  }
  return count;
}

void DatapathWorker::LogIoErrorRateLimited(const char* what, int error) {
  const TimePoint now = Now();
  if (now - last_io_error_log_ < kIoErrorLogInterval) {
    ++suppressed_io_errors_;
    return;
  }
  IPOP_LOG(kError) << "userspace ESP worker " << index_ << ": " << what
                   << " failed: " << std::strerror(error) << " (" << suppressed_io_errors_
                   << " similar errors not logged)";
  last_io_error_log_ = now;
  suppressed_io_errors_ = 0;
}

void DatapathWorker::Run(int stop_fd) {
  std::vector<pollfd> fds;
  fds.push_back({stop_fd, POLLIN, 0});
  fds.push_back({wake_fd_, POLLIN, 0});
  if (io_.tun_fd() >= 0) {
    fds.push_back({io_.tun_fd(), POLLIN, 0});
  }
  if (io_.esp_fd() >= 0) {
    fds.push_back({io_.esp_fd(), POLLIN, 0});
  }
  for (int fd : io_.natt_fds()) {
    fds.push_back({fd, POLLIN, 0});
  }
  const nfds_t count = fds.size();

  while (true) {
    const int ready = poll(fds.data(), count, static_cast<int>(options_.idle_wakeup.count()));
    if (ready < 0 && errno != EINTR) {
      IPOP_LOG(kError) << "userspace ESP worker " << index_
                       << ": poll failed: " << std::strerror(errno) << "; worker stops";
      return;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      DrainEventFd(wake_fd_);
    }
    // Keep reading while full batches come in, so that a busy queue is
    // drained without a poll per batch, but return to poll now and then to
    // see the stop signal.
    for (int turn = 0; turn < kMaxTurnsWithoutPoll; ++turn) {
      if (ProcessReady() < options_.batch_size) {
        break;
      }
    }
  }
}

}  // namespace ipop::esp
