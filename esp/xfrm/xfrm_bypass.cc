// BypassSocketPolicies and ExcludeInterfaceFromXfrm, declared in
// xfrm_guard.h.
#include <linux/in.h>
#include <linux/xfrm.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "esp/xfrm/netlink_attr.h"
#include "esp/xfrm/xfrm_guard.h"

namespace ipop::esp::xfrm {
namespace {

// A socket policy that matches every IPv4 packet of the socket and lets it
// pass without IPsec. The kernel consults socket policies before the global
// ones, on output and in the inbound check of UDP and raw sockets.
xfrm_userpolicy_info MakeSocketBypassPolicy(uint8_t direction) {
  xfrm_userpolicy_info policy{};
  policy.sel.family = AF_INET;  // the kernel rejects AF_UNSPEC here
  policy.lft = MakeUnlimitedLifetime();
  policy.dir = direction;
  policy.action = XFRM_POLICY_ALLOW;
  policy.share = XFRM_SHARE_ANY;
  return policy;
}

Result<void> WriteSysctl(const std::string& path, const std::string& value) {
  std::ofstream file(path);
  if (!file) {
    return Fail(ErrorCode::kSystem, "opening " + path + " failed: " + std::strerror(errno));
  }
  file << value << '\n';
  file.flush();
  if (!file) {
    return Fail(ErrorCode::kSystem, "writing " + value + " to " + path + " failed: " +
                                        std::strerror(errno));
  }
  return {};
}

}  // namespace

Result<void> BypassSocketPolicies(int fd) {
  for (uint8_t direction : {uint8_t{XFRM_POLICY_IN}, uint8_t{XFRM_POLICY_OUT}}) {
    const xfrm_userpolicy_info policy = MakeSocketBypassPolicy(direction);
    if (setsockopt(fd, IPPROTO_IP, IP_XFRM_POLICY, &policy, sizeof(policy)) != 0) {
      return Fail(ErrorCode::kSystem,
                  std::string("setting the IPsec bypass policy (IP_XFRM_POLICY, dir ") +
                      (direction == XFRM_POLICY_IN ? "in" : "out") + ") on socket " +
                      std::to_string(fd) + " failed: " + std::strerror(errno));
    }
  }
  return {};
}

Result<void> ExcludeInterfaceFromXfrm(const std::string& ifname) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ || ifname == "." || ifname == ".." ||
      ifname.find('/') != std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument, "invalid interface name \"" + ifname + "\"");
  }
  const std::string directory = "/proc/sys/net/ipv4/conf/" + ifname + "/";
  // disable_xfrm skips the output policy lookup for routes through the
  // device, and disable_policy skips the inbound check for packets that
  // arrive on it.
  for (const char* setting : {"disable_xfrm", "disable_policy"}) {
    if (Result<void> written = WriteSysctl(directory + setting, "1"); !written) {
      return written;
    }
  }
  return {};
}

}  // namespace ipop::esp::xfrm
