// ipop-espd's wiring. One Boost.Asio io_context (the IKE thread) runs the
// IKE sockets, timers, signals and the control socket; the datapath runs on
// its own worker threads and posts ACQUIRE requests back to the io_context.
//
// Start order: TUN device, offload choice (the XFRM probe in auto mode),
// kernel policies that block cleartext, SPD,
// sockets, IKE credentials, datapath, routes and rule, control socket. Stop
// runs the reverse: Delete payloads go out first, then the datapath stops
// and routes are removed.
#ifndef IPOP_DAEMON_DAEMON_H_
#define IPOP_DAEMON_DAEMON_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "daemon/asio_timer_service.h"
#include "daemon/configuration.h"
#include "daemon/control_server.h"
#include "daemon/daemon_options.h"
#include "daemon/ike_sockets.h"
#include "daemon/natt_keepalive.h"
#include "daemon/policy_diff.h"
#include "daemon/policy_watch_seam.h"
#include "daemon/script_runner.h"
#include "daemon/system_packet_io.h"
#include "esp/datapath.h"
#include "esp/userspace_backend.h"
#include "esp/xfrm/offload_backend.h"
#include "esp/xfrm/xfrm_backend.h"
#include "esp/xfrm/xfrm_guard.h"
#include "ike/ike_service.h"
#include "ike/key_log.h"
#include "tun/tun_device.h"
#include "tun/tun_routes.h"

namespace ipop::daemon {

class Daemon {
 public:
  Daemon(DaemonOptions options, LoadedConfiguration configuration);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Sets everything up and runs until SIGINT or SIGTERM. Returns the process
  // exit code: 0 after a clean stop, 1 if start-up failed (the reason is
  // logged).
  int Run();

  // Returns the reply to one control request; public for tests of the protocol.
  std::string HandleControlRequest(std::string_view request);

  // daemon_reload.cc: rereads racoon.conf, the setkey script and psk.txt
  // (SIGHUP, `ipop-esp reload`). Returns a one-line summary, or the load
  // error, in which case the running configuration stays unchanged.
  Result<std::string> Reload();

 private:
  Result<void> SetUp();
  Result<void> SetUpTun();
  Result<void> SetUpOffload();
  Result<void> SetUpPolicies();
  Result<void> SetUpSockets();
  Result<void> SetUpIke();
  Result<void> SetUpDatapath();
  void SetUpNattDatapath(esp::DatapathOptions& datapath_options);
  Result<void> SetUpRoutes();
  Result<void> SetUpControl();
  Result<void> WritePidFile();

  // daemon_reload.cc
  Result<void> ApplyPolicyDiff(const PolicyDiff& diff);
  // Reinstalls the fail-closed guard and the TUN routes from the SPD.
  Result<void> RefreshPolicyEnforcement();
  // Runs after IKE added or deleted a generated policy.
  void FollowGeneratedPolicies();
  // Sets the log level from racoon.conf's `log` unless -d or -v was given.
  void ApplyConfiguredLogLevel();

  void WaitForSignal();
  void WaitForKernelEvents();
  void Stop(std::string_view reason);

  std::string StatusReport() const;
  // The source address for routes into the TUN device: the first `listen`
  // address inside the policy's source range, if any.
  std::optional<Ipv4Address> PreferredSource(const esp::Policy& policy) const;

  DaemonOptions options_;
  LoadedConfiguration configuration_;
  std::optional<std::string> pid_file_;
  bool pid_file_written_ = false;
  bool stopped_ = false;
  std::chrono::steady_clock::time_point started_;

  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  AsioTimerService timers_;
  esp::UserspaceBackend backend_;
  // The XFRM backend (kernel and auto modes) and the per-SA choice that
  // exchanges talk to.
  std::unique_ptr<esp::xfrm::XfrmBackend> kernel_backend_;
  std::unique_ptr<esp::xfrm::OffloadBackend> offload_;
  std::optional<boost::asio::posix::stream_descriptor> kernel_events_;
  // The NAT-T endpoint whose socket IkeSockets is opening, for the hook.
  std::optional<Endpoint> opening_natt_;
  std::optional<tun::TunDevice> tun_;
  std::unique_ptr<esp::xfrm::FailClosedGuard> guard_;
  std::unique_ptr<IkeSockets> ike_sockets_;
  // Declared before ike_, which keeps a pointer to it, so that it is destroyed after.
  std::unique_ptr<ike::KeyLog> key_log_;
  // The offload backend wrapped for IKE, to report generated policies.
  std::unique_ptr<PolicyWatchSeam> ike_kernel_;
  std::unique_ptr<ike::IkeService> ike_;
  std::unique_ptr<ScriptRunner> scripts_;
  std::unique_ptr<SystemPacketIo> packet_io_;
  std::unique_ptr<esp::Datapath> datapath_;
  std::unique_ptr<NattKeepalive> keepalive_;
  std::unique_ptr<tun::TunRoutes> routes_;
  std::unique_ptr<ControlServer> control_;
};

}  // namespace ipop::daemon

#endif  // IPOP_DAEMON_DAEMON_H_
