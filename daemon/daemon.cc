#include "daemon/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include "base/log.h"
#include "daemon/control_format.h"
#include "daemon/test_hooks.h"

namespace ipop::daemon {

namespace {

Error WithContext(std::string_view context, const Error& error) {
  return Error{error.code, std::string(context) + ": " + error.detail, error.notify};
}

// The datapath carries IPv4 only, so the TUN device gets no IPv6 link-local
// address and sends no router or multicast listener solicitations into it.
// Best effort: a kernel without IPv6 has no such setting.
void DisableIpv6(const std::string& ifname) {
  const std::string path = "/proc/sys/net/ipv6/conf/" + ifname + "/disable_ipv6";
  std::ofstream setting(path);
  setting << "1\n";
  setting.flush();
  if (!setting) {
    IPOP_LOG(kDebug) << "cannot disable IPv6 on " << ifname << " through " << path;
  }
}

bool IsOutboundIpsec(const esp::Policy& policy) {
  return policy.direction == esp::PolicyDirection::kOut && policy.action == esp::PolicyAction::kIpsec;
}

}  // namespace

Daemon::Daemon(DaemonOptions options, LoadedConfiguration configuration)
    : options_(std::move(options)),
      configuration_(std::move(configuration)),
      signals_(io_),
      timers_(io_),
      backend_(1) {
  if (options_.pid_file) {
    pid_file_ = options_.pid_file;
  } else if (!configuration_.runtime.pidfile.empty()) {
    pid_file_ = configuration_.runtime.pidfile;
  }
}

Daemon::~Daemon() { Stop("shutdown"); }

int Daemon::Run() {
  started_ = std::chrono::steady_clock::now();
  ApplyConfiguredLogLevel();
  IPOP_LOG(kInfo) << "ipop-espd " << IPOP_VERSION << " starting: config " << options_.config_file
                  << ", setkey " << options_.setkey_file.value_or("(none)") << ", tun "
                  << options_.tun_name << ", control " << options_.control_socket;
  if (auto ready = SetUp(); !ready) {
    IPOP_LOG(kError) << "start failed: " << ready.error().detail;
    Stop("start failure");
    return 1;
  }
  IPOP_LOG(kInfo) << "ipop-espd started (pid " << getpid() << ", " << offload_->ListPolicies().size()
                  << " policies, tun " << tun_->name() << " mtu " << options_.tun_mtu << ", table "
                  << options_.route_table << ", fwmark " << options_.fwmark << ")";
  WaitForSignal();
  io_.run();
  return 0;
}

Result<void> Daemon::SetUp() {
  using Step = Result<void> (Daemon::*)();
  // Each step assumes the ones before it succeeded.
  static constexpr Step kSteps[] = {&Daemon::SetUpTun,     &Daemon::SetUpOffload,
                                    &Daemon::SetUpPolicies, &Daemon::SetUpSockets,
                                    &Daemon::SetUpIke,     &Daemon::SetUpDatapath, &Daemon::SetUpRoutes,
                                    &Daemon::SetUpControl, &Daemon::WritePidFile};
  for (Step step : kSteps) {
    if (auto done = (this->*step)(); !done) {
      return done;
    }
  }
  return {};
}

Result<void> Daemon::SetUpTun() {
  auto device = tun::TunDevice::Open(options_.tun_name);
  if (!device) {
    return std::unexpected(WithContext("TUN device", device.error()));
  }
  tun_.emplace(std::move(*device));
  if (auto nonblocking = tun_->SetNonBlocking(true); !nonblocking) {
    return std::unexpected(nonblocking.error());
  }

  auto netlink = tun::RtnetlinkSocket::Open();
  if (!netlink) {
    return std::unexpected(netlink.error());
  }
  routes_ = std::make_unique<tun::TunRoutes>(std::move(*netlink));
  if (auto mtu = routes_->socket().SetLinkMtu(tun_->ifindex(), options_.tun_mtu); !mtu) {
    return std::unexpected(mtu.error());
  }
  // Cleartext that the kernel routes into the device, and what the daemon
  // writes back after decryption, must not meet the blocking policies.
  if (auto excluded = esp::xfrm::ExcludeInterfaceFromXfrm(tun_->name()); !excluded) {
    return std::unexpected(WithContext("fail-closed guard", excluded.error()));
  }
  DisableIpv6(tun_->name());
  if (auto up = routes_->socket().SetLinkUp(tun_->ifindex()); !up) {
    return std::unexpected(up.error());
  }
  IPOP_LOG(kInfo) << "TUN device " << tun_->name() << " up (ifindex " << tun_->ifindex() << ", mtu "
                  << options_.tun_mtu << ")";
  return {};
}

Result<void> Daemon::SetUpOffload() {
  using esp::xfrm::OffloadMode;
  esp::xfrm::ProbeReport probe;
  if (options_.offload != OffloadMode::kUserspace) {
    auto kernel = esp::xfrm::XfrmBackend::Open();
    if (kernel) {
      kernel_backend_ = std::move(*kernel);
    } else if (options_.offload == OffloadMode::kKernel) {
      return std::unexpected(WithContext("XFRM backend", kernel.error()));
    } else {
      IPOP_LOG(kInfo) << "kernel ESP unavailable (" << kernel.error().detail
                      << "), using userspace ESP";
    }
  }
  if (options_.offload == OffloadMode::kAuto && kernel_backend_) {
    probe = esp::xfrm::ProbeKernelEsp(*kernel_backend_);
    if (probe.AcceptsAny()) {
      IPOP_LOG(kInfo) << probe.Summary() << ", using kernel ESP where it can";
    } else {
      IPOP_LOG(kInfo) << probe.Summary() << ", using userspace ESP";
      kernel_backend_.reset();
    }
  }
  offload_ = std::make_unique<esp::xfrm::OffloadBackend>(options_.offload, backend_,
                                                         kernel_backend_.get(), std::move(probe));
  IPOP_LOG(kInfo) << "offload " << esp::xfrm::OffloadModeName(options_.offload) << ": "
                  << offload_->PolicyCarrier() << " carries the policies";
  return {};
}

Result<void> Daemon::SetUpPolicies() {
  for (const esp::Policy& policy : configuration_.policies) {
    auto added = offload_->AddPolicy(policy);
    if (!added) {
      return std::unexpected(WithContext("policy from " + policy.origin, added.error()));
    }
  }
  if (offload_->kernel_carries_policies()) {
    // The kernel policies have required ESP templates, so they block
    // cleartext without an SA just as the guard's would.
    IPOP_LOG(kInfo) << "installed " << configuration_.policies.size()
                    << " kernel policies with ESP templates";
    return {};
  }

  guard_ = std::make_unique<esp::xfrm::FailClosedGuard>(
      esp::xfrm::FailClosedOptions{.keep_on_stop = !options_.unblock_on_stop});
  if (auto installed = guard_->Install(backend_.ListPolicies()); !installed) {
    return std::unexpected(WithContext("fail-closed guard", installed.error()));
  }
  IPOP_LOG(kInfo) << "installed " << guard_->installed_count()
                  << " kernel policies that keep protected traffic from leaving in clear";
  return {};
}

Result<void> Daemon::SetUpSockets() {
  // With kernel ESP the kernel must decapsulate ESP-in-UDP on the NAT-T
  // sockets itself; userspace ESP reads it from the socket instead.
  auto socket_hook = [this](int fd) -> Result<void> {
    if (auto bypass = esp::xfrm::BypassSocketPolicies(fd); !bypass) {
      return bypass;
    }
    if (!offload_->kernel_carries_policies()) {
      return {};
    }
    // IkeSockets runs the hook before bind, so the endpoint comes from
    // SetUpSockets rather than from getsockname.
    if (!opening_natt_) {
      return {};
    }
    if (auto enabled = esp::xfrm::EnableEspInUdp(fd); !enabled) {
      return enabled;
    }
    IPOP_LOG(kInfo) << opening_natt_->ToString()
                    << ": the kernel decapsulates ESP-in-UDP on this socket";
    return {};
  };
  ike_sockets_ = std::make_unique<IkeSockets>(io_, options_.fwmark, socket_hook);
  const config::ListenConfig& listen = configuration_.runtime.listen;
  for (const auto* endpoints : {&listen.isakmp, &listen.isakmp_natt}) {
    for (const Endpoint& local : *endpoints) {
      // IKE needs the real local address for NAT-D hashes and for choosing
      // the socket of a reply, and a wildcard socket does not report it.
      if (local.address.value() == 0) {
        return Fail(ErrorCode::kUnsupported, "listen address " + local.ToString() +
                                                 " is not supported yet; name each local address in "
                                                 "`listen { isakmp ADDRESS [500]; }`");
      }
    }
  }
  for (const Endpoint& local : listen.isakmp) {
    if (auto opened = ike_sockets_->Open(local, false); !opened) {
      return opened;
    }
  }
  for (const Endpoint& local : listen.isakmp_natt) {
    opening_natt_ = local;
    auto opened = ike_sockets_->Open(local, true);
    opening_natt_.reset();
    if (!opened) {
      return opened;
    }
  }
  if (ike_sockets_->local_endpoints().empty()) {
    return Fail(ErrorCode::kInvalidArgument, "missing listen address in the configuration; add `listen { isakmp ADDRESS [500]; }`");
  }
  return {};
}

Result<void> Daemon::SetUpIke() {
  ike_kernel_ = std::make_unique<PolicyWatchSeam>(*offload_, [this] { FollowGeneratedPolicies(); });
  ike_ = std::make_unique<ike::IkeService>(configuration_.runtime, timers_, *ike_kernel_, *ike_sockets_);
  if (auto loaded = ike_->LoadCredentials(); !loaded) {
    return std::unexpected(WithContext("credentials", loaded.error()));
  }
  if (auto hooked = ApplyQuickModeMessageIdHook(*ike_); !hooked) {
    return std::unexpected(hooked.error());
  }
  scripts_ = std::make_unique<ScriptRunner>(io_);
  ike_->SetPhase1EventHandler([this](const ike::Phase1Event& event) { scripts_->Run(event); });
  // --keylog wins over the configuration's `path keylog`.
  std::optional<std::string> key_log_file = options_.key_log_file;
  if (!key_log_file && !configuration_.runtime.keylog_file.empty()) {
    key_log_file = configuration_.runtime.keylog_file;
  }
  if (key_log_file) {
    auto key_log = ike::KeyLog::Open(*key_log_file);
    if (!key_log) {
      return std::unexpected(key_log.error());
    }
    key_log_ = std::move(*key_log);
    ike_->SetKeyLog(key_log_.get());
    IPOP_LOG(kWarning) << "key log: writing the keys of every ISAKMP SA and ESP SA to " << key_log_->path()
                       << "; anyone who can read that file can decrypt this daemon's traffic";
  }
  ike_sockets_->Start(
      [this](const Endpoint& local, const Endpoint& remote, ByteView message) {
        ike_->HandleDatagram(local, remote, message);
      },
      [](const Endpoint& local, const Endpoint& remote, ByteView) {
        // SetUpDatapath hands the NAT-T sockets to the datapath, so ESP
        // reaches this handler only if a datagram slipped in before that.
        IPOP_LOG(kDebug) << "dropped UDP-encapsulated ESP from " << remote.ToString() << " on "
                         << local.ToString() << ": the datapath is not reading yet";
      });

  // ACQUIRE comes from a packet worker thread; the IKE service lives on the
  // io_context's thread, so the request is posted there.
  offload_->set_acquire_handler([this](const esp::AcquireRequest& request) {
    boost::asio::post(io_, [this, request] {
      if (ike_ && !stopped_) {
        IPOP_LOG(kDebug) << "acquire: policy " << request.policy_id << " " << request.source.ToString()
                         << " -> " << request.destination.ToString();
        ike_->Acquire(request);
      }
    });
  });
  // EXPIRE comes from the kernel event handler or a packet worker thread, so
  // it is posted to the IKE thread like ACQUIRE.
  offload_->set_expire_handler([this](const esp::SaExpire& expire) {
    boost::asio::post(io_, [this, expire] {
      IPOP_LOG(kInfo) << (expire.hard ? "hard" : "soft") << " expiry of SA spi " << expire.spi << " dst "
                      << expire.destination.ToString();
      if (ike_ && !stopped_) {
        ike_->HandleSaExpire(expire);
      }
    });
  });
  if (kernel_backend_) {
    kernel_events_.emplace(io_, kernel_backend_->event_fd());
    WaitForKernelEvents();
  }
  return {};
}

void Daemon::WaitForKernelEvents() {
  kernel_events_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                             [this](const boost::system::error_code& error) {
                               if (error || stopped_) {
                                 return;
                               }
                               kernel_backend_->ProcessEvents();
                               WaitForKernelEvents();
                             });
}

Result<void> Daemon::SetUpDatapath() {
  auto esp_fd = OpenRawEspSocket(options_.fwmark);
  if (!esp_fd) {
    return std::unexpected(esp_fd.error());
  }
  packet_io_ = std::make_unique<SystemPacketIo>(tun_->fd(), *esp_fd);
  if (auto bypass = esp::xfrm::BypassSocketPolicies(*esp_fd); !bypass) {
    return std::unexpected(WithContext("raw ESP socket", bypass.error()));
  }

  esp::DatapathOptions datapath_options;
  datapath_options.max_held_packet_size = options_.tun_mtu;
  SetUpNattDatapath(datapath_options);
  datapath_ = std::make_unique<esp::Datapath>(backend_, std::vector<esp::PacketIo*>{packet_io_.get()},
                                              datapath_options);
  if (auto started = datapath_->Start(); !started) {
    return std::unexpected(WithContext("datapath", started.error()));
  }
  keepalive_ = std::make_unique<NattKeepalive>(
      configuration_.runtime, timers_, [this] { return ike_->ListIsakmpSas(); },
      [this](const Endpoint& local, const Endpoint& remote) { ike_sockets_->SendKeepalive(local, remote); });
  keepalive_->Start();
  return {};
}

// IKE and ESP-in-UDP share the NAT-T sockets, and only one thread may read
// a socket, so the packet worker reads them all and posts each IKE message
// to the io_context. See esp/datapath.h for why not a second socket.
void Daemon::SetUpNattDatapath(esp::DatapathOptions& datapath_options) {
  for (const IkeSockets::NattSocket& natt : ike_sockets_->TakeOverNattReceive()) {
    packet_io_->AddNattSocket(natt.local, natt.fd);
  }
  datapath_options.ike_handler = [this](const Endpoint& local, const Endpoint& remote, ByteView message) {
    boost::asio::post(io_, [this, local, remote, copy = Bytes(message.begin(), message.end())] {
      if (ike_ && !stopped_) {
        ike_->HandleDatagram(local, remote, copy);
      }
    });
  };
  backend_.set_endpoint_change_handler([this](const esp::SaEndpointChange& change) {
    // The datapath has already moved the ESP SAs; IKE follows so that its
    // messages reach the peer's new NAT mapping too.
    boost::asio::post(io_, [this, change] {
      if (ike_ && !stopped_) {
        ike_->HandlePeerEndpointChange(change);
      }
    });
  });
}

Result<void> Daemon::SetUpRoutes() {
  if (offload_->kernel_carries_policies()) {
    // The kernel's ESP receives the packets on their normal route.
    // TODO(daemon): an SA pair that falls back to userspace in auto mode
    // gets no route into the TUN device, so its traffic still meets the
    // kernel policy and is dropped.
    return {};
  }
  for (const esp::Policy& policy : offload_->ListPolicies()) {
    if (!IsOutboundIpsec(policy)) {
      continue;
    }
    tun::RouteSpec route{.destination = policy.selector.destination,
                         .ifindex = tun_->ifindex(),
                         .table = options_.route_table,
                         .preferred_source = PreferredSource(policy),
                         .mtu = std::nullopt};
    if (policy.mode == esp::IpsecMode::kTunnel) {
      // The TUN MTU leaves room for transport mode; tunnel mode adds an
      // outer IPv4 header, so the route's MTU is that much smaller.
      route.mtu = options_.tun_mtu - static_cast<uint32_t>(esp::kIpv4MinHeaderLength);
    }
    if (auto added = routes_->AddRoute(route); !added) {
      return added;
    }
    IPOP_LOG(kInfo) << "routing " << policy.selector.destination.ToString() << " through "
                    << tun_->name() << " (table " << options_.route_table << ")";
  }
  tun::RuleSpec rule{.priority = kDefaultRulePriority, .fwmark = options_.fwmark, .table = options_.route_table};
  return routes_->AddRule(rule);
}

Result<void> Daemon::SetUpControl() {
  control_ = std::make_unique<ControlServer>(
      io_, options_.control_socket, [this](std::string_view request) { return HandleControlRequest(request); });
  return control_->Start();
}

Result<void> Daemon::WritePidFile() {
  if (!pid_file_) {
    return {};
  }
  const int fd = open(pid_file_->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Fail(ErrorCode::kSystem, "cannot write pid file " + *pid_file_ + ": " + std::strerror(errno));
  }
  const std::string text = std::to_string(getpid()) + "\n";
  const ssize_t written = write(fd, text.data(), text.size());
  close(fd);
  if (written != static_cast<ssize_t>(text.size())) {
    return Fail(ErrorCode::kSystem, "cannot write pid file " + *pid_file_);
  }
  pid_file_written_ = true;
  return {};
}

void Daemon::WaitForSignal() {
  signals_.add(SIGINT);
  signals_.add(SIGTERM);
  signals_.add(SIGHUP);
  signals_.async_wait([this](const boost::system::error_code& error, int signal_number) {
    if (error) {
      return;
    }
    if (signal_number == SIGHUP) {
      IPOP_LOG(kInfo) << "SIGHUP received: reloading the configuration";
      (void)Reload();  // Reload logs its outcome
      WaitForSignal();
      return;
    }
    Stop(signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  });
}

void Daemon::Stop(std::string_view reason) {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  IPOP_LOG(kInfo) << "stopping on " << reason;

  if (control_) {
    control_->Stop();
  }
  // Delete payloads leave while the sockets and SAs still exist.
  if (ike_) {
    ike_->Shutdown();
  }
  if (keepalive_) {
    keepalive_->Stop();
  }
  if (datapath_) {
    datapath_->Stop();
  }
  if (ike_sockets_) {
    ike_sockets_->Close();
  }
  timers_.CancelAll();
  if (routes_) {
    routes_->RemoveAll();
  }
  if (kernel_events_) {
    // The descriptor belongs to the XFRM backend's socket.
    kernel_events_->release();
    kernel_events_.reset();
  }
  if (offload_ && offload_->kernel_carries_policies()) {
    if (options_.unblock_on_stop) {
      if (auto removed = kernel_backend_->RemoveAllPolicies(); !removed) {
        IPOP_LOG(kWarning) << "cannot remove the kernel policies: " << removed.error().detail;
      }
    } else {
      IPOP_LOG(kInfo) << "kernel policies stay installed and block cleartext for protected "
                         "ranges (start with --unblock-on-stop to remove them)";
    }
  }
  if (guard_) {
    if (options_.unblock_on_stop) {
      if (auto removed = guard_->Remove(); !removed) {
        IPOP_LOG(kWarning) << "cannot remove the kernel blocking policies: " << removed.error().detail;
      }
    } else if (guard_->installed_count() > 0) {
      IPOP_LOG(kInfo) << "kernel policies that block cleartext for protected ranges stay installed "
                         "(start with --unblock-on-stop to remove them)";
    }
  }
  if (pid_file_written_) {
    unlink(pid_file_->c_str());
  }
  signals_.cancel();
  io_.stop();

  const auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  IPOP_LOG(kInfo) << "ipop-espd stopped (" << reason << ", up " << FormatAge(uptime) << ")";
}

std::optional<Ipv4Address> Daemon::PreferredSource(const esp::Policy& policy) const {
  for (const Endpoint& local : configuration_.runtime.listen.isakmp) {
    if (local.address.value() != 0 && policy.selector.source.Contains(local.address)) {
      return local.address;
    }
  }
  return std::nullopt;
}

std::string Daemon::HandleControlRequest(std::string_view request) {
  if (!offload_) {
    return ControlErrorReply("ipop-espd is still starting; try again");
  }
  if (request == "sa") {
    std::string body;
    body += FormatIsakmpSas(ike_ ? ike_->ListIsakmpSas() : std::vector<ike::IsakmpSaStatus>{});
    body += "\n";
    body += FormatEspSas(offload_->ListSas(), std::chrono::system_clock::now());
    return ControlOkReply(body);
  }
  if (request == "sa setkey") {
    return ControlOkReply(FormatSetkeySas(offload_->ListSas(), std::chrono::system_clock::now()));
  }
  if (request == "spd") {
    return ControlOkReply(FormatPolicies(offload_->ListPolicies(), offload_->PolicyCarrier()));
  }
  if (request == "spd setkey") {
    return ControlOkReply(FormatSetkeyPolicies(offload_->ListPolicies()));
  }
  if (request == "status") {
    return ControlOkReply(StatusReport());
  }
  if (request == "reload") {
    auto reloaded = Reload();
    return reloaded ? ControlOkReply(*reloaded) : ControlErrorReply(reloaded.error().detail);
  }
  return ControlErrorReply("unknown command \"" + std::string(request) + "\"; known commands: sa, spd, status, reload, \"sa setkey\", \"spd setkey\"");
}

std::string Daemon::StatusReport() const {
  const auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  std::string text = "ipop-espd " IPOP_VERSION ", pid " + std::to_string(getpid()) + ", up " +
                     FormatAge(uptime) + "\n";
  text += "tun " + (tun_ ? tun_->name() : std::string("-")) + ", table " +
          std::to_string(options_.route_table) + ", fwmark " + std::to_string(options_.fwmark) + "\n";
  if (ike_) {
    const ike::IkeCounters ike = ike_->counters();
    text += "IKE: " + std::to_string(ike.datagrams_received) + " received, " +
            std::to_string(ike.datagrams_sent) + " sent, " + std::to_string(ike.phase1_established) +
            " phase 1 established, " + std::to_string(ike.phase2_established) + " phase 2 established\n";
    text += "DPD: " + std::to_string(ike.dpd_requests_sent) + " R-U-THERE sent, " +
            std::to_string(ike.dpd_acks_received) + " R-U-THERE-ACK received, " +
            std::to_string(ike.dpd_peers_dead) + " peers declared dead\n";
  }
  if (datapath_) {
    const esp::DatapathStatistics datapath = datapath_->Statistics();
    text += "ESP: " + std::to_string(datapath.esp_packets_sent) + " sent, " +
            std::to_string(datapath.esp_packets_received) + " received, " +
            std::to_string(datapath.total_drops()) + " dropped, " +
            std::to_string(datapath.acquires_requested) + " acquires\n";
    text += "NAT-T: " + std::to_string(datapath.natt_ike_received) + " IKE received, " +
            std::to_string(datapath.natt_keepalives_received) + " keepalives received, " +
            std::to_string(ike_sockets_ ? ike_sockets_->counters().keepalives_sent : 0) + " keepalives sent, " +
            std::to_string(datapath.peer_endpoint_changes) + " peer endpoint changes\n";
    for (size_t index = 0; index < esp::kDropReasonCount; ++index) {
      if (datapath.drops[index] != 0) {
        text += std::string("  dropped, ") + esp::DropReasonName(static_cast<esp::DropReason>(index)) + ": " +
                std::to_string(datapath.drops[index]) + "\n";
      }
    }
  }
  return text;
}

}  // namespace ipop::daemon
