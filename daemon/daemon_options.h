// Command-line options of ipop-espd. The flags follow racoon's where racoon
// has one (-F, -f, -l, -d, -v, -V); the others are long options. Every path
// the daemon writes (control socket, log, pid file) comes from a flag or from
// the configuration, so two daemons in two network namespaces never collide.
#ifndef IPOP_DAEMON_DAEMON_OPTIONS_H_
#define IPOP_DAEMON_DAEMON_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/log.h"
#include "esp/esp_transport.h"
#include "esp/xfrm/offload_backend.h"

namespace ipop::daemon {

inline constexpr std::string_view kDefaultConfigFile = "/etc/racoon/racoon.conf";
inline constexpr std::string_view kDefaultControlSocket = "/run/ipop-esp/ipop-espd.sock";
inline constexpr std::string_view kDefaultTunName = "ipopesp0";
// The routing table for protected ranges and the mark that lets the daemon's
// own sockets skip it. 50 is the IP protocol number of ESP (RFC 4303 §2),
// chosen only because it is easy to remember.
inline constexpr uint32_t kDefaultRouteTable = 50;
inline constexpr uint32_t kDefaultFwmark = 50;
// Priority of the "not fwmark M lookup T" rule; it must come before the main
// table's rule (32766) so that protected ranges win over connected routes.
inline constexpr uint32_t kDefaultRulePriority = 1000;

// MTU of the path the ESP packets take. The default TUN MTU leaves room for
// the largest ESP transport overhead of the supported algorithms and for the
// 8-byte UDP header that NAT-T adds (RFC 3948 §2.1), so that the default
// stays valid once UDP encapsulation is carried.
inline constexpr uint32_t kDefaultPathMtu = 1500;
inline constexpr uint32_t kNattUdpHeaderLength = 8;
inline constexpr uint32_t kDefaultTunMtu =
    static_cast<uint32_t>(esp::TunMtuForLinkMtu(kDefaultPathMtu)) - kNattUdpHeaderLength;
// IPv4 needs at least 576 bytes (RFC 791 §3.1); a smaller TUN MTU is refused.
inline constexpr uint32_t kMinTunMtu = 576;

struct DaemonOptions {
  bool foreground = false;                       // -F
  std::string config_file{kDefaultConfigFile};   // -f FILE
  std::optional<std::string> setkey_file;        // --setkey FILE
  std::string control_socket{kDefaultControlSocket};  // --control PATH
  std::optional<std::string> log_file;           // -l FILE
  std::optional<std::string> pid_file;           // --pidfile FILE
  // --keylog FILE: Wireshark key log (ike/key_log.h); off by default.
  std::optional<std::string> key_log_file;
  int debug_level = 0;                           // -d, repeatable
  bool verbose = false;                          // -v
  std::string tun_name{kDefaultTunName};         // --tun NAME
  uint32_t tun_mtu = kDefaultTunMtu;             // --mtu BYTES
  uint32_t route_table = kDefaultRouteTable;     // --table N
  uint32_t fwmark = kDefaultFwmark;              // --fwmark N
  // --unblock-on-stop: remove the kernel policies that block cleartext when
  // the daemon stops cleanly. Off by default, so protected traffic stays
  // blocked while the daemon is down, as racoon's setkey policies did.
  bool unblock_on_stop = false;
  // --offload auto|kernel|userspace: which ESP carries the SAs. auto probes
  // the kernel at start and uses userspace ESP where the kernel has none.
  esp::xfrm::OffloadMode offload = esp::xfrm::OffloadMode::kAuto;
  bool show_help = false;     // -h, --help
  bool show_version = false;  // -V, --version

  // The log level the flags ask for: INFO by default, DEBUG with -v or -d,
  // DEBUG2 with -dd.
  LogLevel log_level() const;
};

// Parses argv[1..]. Errors name the flag and the value, e.g.
// "--table: invalid number \"x\"".
Result<DaemonOptions> ParseDaemonArguments(std::span<const std::string_view> arguments);

// The --help text.
std::string DaemonUsage();

}  // namespace ipop::daemon

#endif  // IPOP_DAEMON_DAEMON_OPTIONS_H_
