// Configuration reload, `passive` remotes and phase 1 events for the
// engine. A reload keeps every SA that the new configuration still
// describes and deletes the rest, as a restart of racoon with the new file
// would, but without dropping the SAs that still match.
#include <map>

#include "base/log.h"
#include "ike/engine.h"

namespace ipop::ike {
namespace {

bool HasOutboundPolicy(const esp::KernelSeam& kernel, const Ipv4Prefix& local,
                       const Ipv4Prefix& remote) {
  for (const esp::Policy& policy : kernel.ListPolicies()) {
    if (policy.direction == esp::PolicyDirection::kOut &&
        policy.action == esp::PolicyAction::kIpsec &&
        policy.selector.source.Contains(local.address) &&
        policy.selector.destination.Contains(remote.address)) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool IkeService::Engine::IsPassivePeer(Ipv4Address peer) const {
  const config::RemoteConfig* remote_config = config_.FindRemote(peer);
  if (remote_config == nullptr || !remote_config->passive) {
    return false;
  }
  IPOP_LOG(kInfo) << "IPsec-SA request for " << peer.ToString()
                  << " ignored: the remote section at " << remote_config->origin
                  << " is passive, so only the peer may start a negotiation";
  return true;
}

void IkeService::Engine::EmitPhase1Event(const IsakmpSa& sa, Phase1EventKind kind) {
  if (!phase1_event_handler_ || sa.remote_config == nullptr) {
    return;
  }
  Phase1Event event;
  event.kind = kind;
  event.local = sa.local;
  event.remote = sa.remote;
  event.peer_identity = sa.peer_identity;
  event.scripts = sa.remote_config->scripts;
  phase1_event_handler_(event);
}

bool IkeService::Engine::EspPairStillConfigured(const InstalledEspPair& pair,
                                                const config::RuntimeConfig& next) const {
  if (next.FindRemote(pair.remote) == nullptr) {
    return false;
  }
  std::string peer_identity;
  for (const auto& [id, sa] : sas_) {
    if (sa->id == pair.isakmp_sa_id) {
      peer_identity = sa->peer_identity;
    }
  }
  Ipv4Prefix local{pair.local, 32};
  Ipv4Prefix remote{pair.remote, 32};
  if (auto details = pair_details_.find(pair.inbound_spi); details != pair_details_.end()) {
    local = details->second.local_id;
    remote = details->second.remote_id;
  }
  if (next.FindSainfo(local, remote, peer_identity) == nullptr) {
    return false;
  }
  return HasOutboundPolicy(kernel_, local, remote);
}

Result<void> IkeService::Engine::Reconfigure(config::RuntimeConfig& live,
                                             config::RuntimeConfig next) {
  if (&live != &config_) {
    return Fail(ErrorCode::kInvalidArgument,
                "Reconfigure needs the configuration object the IKE service was built with");
  }
  Credentials credentials;
  if (auto loaded = credentials.Load(next); !loaded) {
    return loaded;
  }

  // ESP SAs first, while their ISAKMP SAs can still carry the Deletes.
  const std::vector<InstalledEspPair> pairs = esp_pairs_;
  for (const InstalledEspPair& pair : pairs) {
    if (EspPairStillConfigured(pair, next)) {
      continue;
    }
    IPOP_LOG(kInfo) << "reload: deleting IPsec-SA spi=" << pair.inbound_spi << " "
                    << pair.remote.ToString() << "->" << pair.local.ToString()
                    << ": its remote, sainfo or policy is gone";
    if (IsakmpSa* carrier = FindEstablishedSa(pair.remote)) {
      DeletePayload deletion;
      deletion.protocol_id = kProtocolEsp;
      deletion.spi_size = kSpiSizeEsp;
      deletion.spis.push_back(Bytes{std::byte(pair.inbound_spi >> 24),
                                    std::byte(pair.inbound_spi >> 16),
                                    std::byte(pair.inbound_spi >> 8), std::byte(pair.inbound_spi)});
      SendProtectedInformational(*carrier, PayloadType::kDelete, EncodeBody(deletion));
    }
    DeleteEspPair(pair);
  }

  // Pointers into next.remotes stay valid when `next` is moved into `live`,
  // because a moved std::vector keeps its elements where they are.
  std::map<uint64_t, const config::RemoteConfig*> survivors;
  for (auto& [id, sa] : sas_) {
    if (sa->state == Phase1State::kDead) {
      continue;
    }
    const config::RemoteConfig* remote_config = next.FindRemote(sa->remote.address);
    if (remote_config != nullptr) {
      survivors[id] = remote_config;
      continue;
    }
    IPOP_LOG(kInfo) << "reload: deleting ISAKMP-SA with " << sa->remote.ToString()
                    << ": no remote section matches it any more";
    if (sa->state == Phase1State::kEstablished) {
      SendDeletes(*sa, {});
    }
    ScheduleRemoval(*sa);
  }

  live = std::move(next);
  credentials_ = std::move(credentials);
  for (const auto& [id, remote_config] : survivors) {
    sas_.at(id)->remote_config = remote_config;
  }
  IPOP_LOG(kInfo) << "reload: " << survivors.size() << " ISAKMP-SAs and " << esp_pairs_.size()
                  << " IPsec-SA pairs kept";
  return {};
}

}  // namespace ipop::ike
