#include "daemon/natt_keepalive.h"

#include "daemon/natt_framing.h"

namespace ipop::daemon {

NattKeepalive::NattKeepalive(const config::RuntimeConfig& config, TimerService& timers,
                             ListSas list_sas, SendKeepalive send)
    : config_(config), timers_(timers), list_sas_(std::move(list_sas)), send_(std::move(send)) {}

NattKeepalive::~NattKeepalive() { Stop(); }

void NattKeepalive::Start() {
  Stop();
  timer_ = timers_.Schedule(kCheckInterval, [this] {
    timer_ = 0;
    SendDue();
    Start();
  });
}

void NattKeepalive::Stop() {
  if (timer_ != 0) {
    timers_.Cancel(timer_);
    timer_ = 0;
  }
}

std::chrono::seconds NattKeepalive::IntervalFor(Ipv4Address peer) const {
  const config::RemoteConfig* remote = config_.FindRemote(peer);
  // A peer that no `remote` section matches gets RemoteConfig's default.
  return remote != nullptr ? remote->natt_keepalive : config::RemoteConfig{}.natt_keepalive;
}

void NattKeepalive::SendDue() {
  const TimePoint now = timers_.Now();
  std::map<std::pair<Endpoint, Endpoint>, TimePoint> still_behind_nat;
  for (const ike::IsakmpSaStatus& sa : list_sas_()) {
    // Only the side behind the NAT has a mapping to keep open, and only
    // after IKE moved to the NAT-T port.
    if (!sa.established || !sa.nat_detected_local || sa.local.port != kNattPort) {
      continue;
    }
    const std::chrono::seconds interval = IntervalFor(sa.remote.address);
    if (interval.count() == 0) {
      continue;
    }
    const std::pair<Endpoint, Endpoint> key{sa.local, sa.remote};
    if (still_behind_nat.contains(key)) {
      continue;  // another ISAKMP SA with the same peer, after a rekey
    }
    auto last = last_sent_.find(key);
    if (last == last_sent_.end() || now - last->second >= interval) {
      send_(sa.local, sa.remote);
      still_behind_nat[key] = now;
    } else {
      still_behind_nat[key] = last->second;
    }
  }
  last_sent_ = std::move(still_behind_nat);
}

}  // namespace ipop::daemon
