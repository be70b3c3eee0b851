// A NETLINK_ROUTE socket that sends one request at a time and waits for the
// kernel's acknowledgement, so every change either succeeds or returns the
// kernel's error.
#ifndef IPOP_TUN_RTNETLINK_SOCKET_H_
#define IPOP_TUN_RTNETLINK_SOCKET_H_

#include <linux/netlink.h>

#include <cstdint>
#include <memory>
#include <string_view>

#include "base/error.h"
#include "tun/rtnetlink_message.h"

struct mnl_socket;

namespace ipop::tun {

class RtnetlinkSocket {
 public:
  static Result<RtnetlinkSocket> Open();

  Result<void> SetLinkUp(int ifindex);
  Result<void> SetLinkMtu(int ifindex, uint32_t mtu);
  Result<void> AddRoute(const RouteSpec& route);
  Result<void> DeleteRoute(const RouteSpec& route);
  Result<void> AddRule(const RuleSpec& rule);
  Result<void> DeleteRule(const RuleSpec& rule);

 private:
  struct Closer {
    void operator()(mnl_socket* socket) const;
  };

  explicit RtnetlinkSocket(mnl_socket* socket);
  // Sends `request` and waits for its acknowledgement; `what` names the
  // request in the error detail.
  Result<void> Transact(nlmsghdr* request, std::string_view what);

  std::unique_ptr<mnl_socket, Closer> socket_;
  uint32_t port_id_ = 0;
  uint32_t next_sequence_ = 1;
};

// Describes a route and a rule as `ip route` and `ip rule` print them, for
// logs and error messages.
std::string Describe(const RouteSpec& route);
std::string Describe(const RuleSpec& rule);

}  // namespace ipop::tun

#endif  // IPOP_TUN_RTNETLINK_SOCKET_H_
