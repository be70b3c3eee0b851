#include "esp/sad.h"

#include <mutex>
#include <string>
#include <utility>

namespace ipop::esp {

Result<std::shared_ptr<SecurityAssociation>> SecurityAssociation::Create(
    EspSaConfig config, size_t worker_count, std::chrono::system_clock::time_point created) {
  if (worker_count == 0) {
    return Fail(ErrorCode::kInvalidArgument, "worker count must be at least 1");
  }
  std::vector<std::unique_ptr<crypto::EspCrypto>> contexts;
  contexts.reserve(worker_count);
  for (size_t i = 0; i < worker_count; ++i) {
    auto context = crypto::EspCrypto::Create(config.cipher, config.integrity,
                                             config.cipher_key.view(),
                                             config.integrity_key.view());
    if (!context) {
      return std::unexpected(context.error());
    }
    contexts.push_back(std::move(*context));
  }

  // The contexts hold the expanded keys; the raw copies are not needed.
  config.cipher_key = crypto::SecretBytes();
  config.integrity_key = crypto::SecretBytes();
  return std::shared_ptr<SecurityAssociation>(
      new SecurityAssociation(std::move(config), std::move(contexts), created));
}

SecurityAssociation::SecurityAssociation(
    EspSaConfig config, std::vector<std::unique_ptr<crypto::EspCrypto>> crypto,
    std::chrono::system_clock::time_point created)
    : config_(std::move(config)),
      crypto_(std::move(crypto)),
      created_(created),
      replay_window_(config_.replay_window) {
  if (config_.encapsulation) {
    const Endpoint peer =
        config_.inbound
            ? Endpoint{config_.source, config_.encapsulation->source_port}
            : Endpoint{config_.destination, config_.encapsulation->destination_port};
    udp_peer_.store(PackEndpoint(peer), std::memory_order_relaxed);
  }
}

std::optional<uint32_t> SecurityAssociation::NextSequence() {
  // A 64-bit counter cannot wrap in practice, so every caller past the limit
  // gets a value above it and the SA never reuses a number.
  const uint64_t sequence = last_sequence_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (sequence > kMaxSequenceNumber) {
    last_sequence_.store(kMaxSequenceNumber, std::memory_order_relaxed);
    return std::nullopt;
  }
  return static_cast<uint32_t>(sequence);
}

ReplayVerdict SecurityAssociation::CheckReplay(uint32_t sequence) {
  std::lock_guard<SpinLock> guard(replay_lock_);
  return replay_window_.Check(sequence);
}

bool SecurityAssociation::CommitReplay(uint32_t sequence) {
  std::lock_guard<SpinLock> guard(replay_lock_);
  return replay_window_.Commit(sequence);
}

EspSaStatus SecurityAssociation::Status() const {
  EspSaStatus status;
  status.spi = config_.spi;
  status.source = config_.source;
  status.destination = config_.destination;
  status.inbound = config_.inbound;
  status.mode = config_.mode;
  status.cipher = config_.cipher;
  status.aes_key_bits = config_.aes_key_bits;
  status.integrity = config_.integrity;
  status.encapsulation = config_.encapsulation;
  if (config_.encapsulation) {
    status.udp_peer = udp_peer();
  }
  status.policy_id = config_.policy_id;
  status.bytes = bytes_.load(std::memory_order_relaxed);
  status.packets = packets_.load(std::memory_order_relaxed);
  status.replay_drops = replay_drops_.load(std::memory_order_relaxed);
  status.integrity_drops = integrity_drops_.load(std::memory_order_relaxed);
  status.created = created_;
  status.backend = "userspace";
  return status;
}

SecurityAssociation* SadSnapshot::FindInbound(uint32_t spi, Ipv4Address destination) const {
  auto it = inbound.find(InboundKey(spi, destination));
  return it == inbound.end() ? nullptr : it->second.get();
}

SecurityAssociation* SadSnapshot::FindOutbound(const Policy& policy, Ipv4Address source,
                                               Ipv4Address destination,
                                               std::optional<Endpoint> udp_peer) const {
  // A tunnel-mode SA runs between the policy's tunnel endpoints, whatever
  // the inner packet's addresses are.
  if (policy.mode == IpsecMode::kTunnel) {
    source = policy.tunnel_source;
    destination = policy.tunnel_destination;
  }
  auto it = outbound.find(OutboundKey(source, destination));
  if (it == outbound.end()) {
    return nullptr;
  }
  SecurityAssociation* newest = nullptr;
  for (const auto& sa : it->second) {
    const uint32_t served = sa->config().policy_id;
    if ((served != 0 && served != policy.id) || sa->config().mode != policy.mode ||
        sa->sequence_exhausted() || sa->hard_lifetime_reached()) {
      continue;
    }
    if (!udp_peer || (sa->config().encapsulation && sa->udp_peer() == *udp_peer)) {
      return sa.get();
    }
    if (newest == nullptr) {
      newest = sa.get();
    }
  }
  return newest;
}

}  // namespace ipop::esp
