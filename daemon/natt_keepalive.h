// NAT-T keepalives (RFC 3948 §2.3). While NAT detection has found this
// node behind a NAT, a one-byte 0xFF datagram goes from our NAT-T port to
// the peer every `natt_keepalive` of the peer's `remote` section. The NAT
// then keeps its UDP mapping while no ESP or IKE flows. A peer whose
// section sets `natt_keepalive 0` gets none.
#ifndef IPOP_DAEMON_NATT_KEEPALIVE_H_
#define IPOP_DAEMON_NATT_KEEPALIVE_H_

#include <chrono>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "base/ip_address.h"
#include "base/timer.h"
#include "config/runtime_config.h"
#include "ike/ike_service.h"

namespace ipop::daemon {

class NattKeepalive {
 public:
  using ListSas = std::function<std::vector<ike::IsakmpSaStatus>()>;
  using SendKeepalive = std::function<void(const Endpoint& local, const Endpoint& remote)>;

  // How often the ISAKMP SAs are checked; each peer's keepalive interval is
  // rounded up to a multiple of it.
  static constexpr std::chrono::seconds kCheckInterval{1};

  // Keeps references to `config` and `timers`, which must outlive it.
  NattKeepalive(const config::RuntimeConfig& config, TimerService& timers, ListSas list_sas,
                SendKeepalive send);
  ~NattKeepalive();
  NattKeepalive(const NattKeepalive&) = delete;
  NattKeepalive& operator=(const NattKeepalive&) = delete;

  void Start();
  void Stop();

  // Sends the keepalives that are due; Start's timer calls it.
  void SendDue();

 private:
  std::chrono::seconds IntervalFor(Ipv4Address peer) const;

  const config::RuntimeConfig& config_;
  TimerService& timers_;
  ListSas list_sas_;
  SendKeepalive send_;
  TimerId timer_ = 0;
  // When the last keepalive went from each (local, remote) pair.
  std::map<std::pair<Endpoint, Endpoint>, TimePoint> last_sent_;
};

}  // namespace ipop::daemon

#endif  // IPOP_DAEMON_NATT_KEEPALIVE_H_
