// The routing state the daemon adds for its TUN device: one policy rule and
// the routes of a table of its own. Everything added is remembered and
// removed again by RemoveAll or the destructor, in reverse order, so a clean
// stop leaves the routing tables as it found them.
#ifndef IPOP_TUN_TUN_ROUTES_H_
#define IPOP_TUN_TUN_ROUTES_H_

#include <vector>

#include "base/error.h"
#include "tun/rtnetlink_socket.h"

namespace ipop::tun {

class TunRoutes {
 public:
  explicit TunRoutes(RtnetlinkSocket socket) : socket_(std::move(socket)) {}
  TunRoutes(const TunRoutes&) = delete;
  TunRoutes& operator=(const TunRoutes&) = delete;
  ~TunRoutes() { RemoveAll(); }

  RtnetlinkSocket& socket() { return socket_; }

  // Adds the rule. A rule with the same selector left behind by a daemon that
  // did not stop cleanly is replaced rather than reported as an error.
  Result<void> AddRule(const RuleSpec& rule);
  // Adds the route unless an identical one was already added through this
  // object; a leftover route from an earlier run is replaced.
  Result<void> AddRoute(const RouteSpec& route);

  // Deletes every route, then every rule that was added; failures are logged
  // and do not stop the rest.
  void RemoveAll();

  const std::vector<RouteSpec>& routes() const { return routes_; }
  const std::vector<RuleSpec>& rules() const { return rules_; }

 private:
  RtnetlinkSocket socket_;
  std::vector<RouteSpec> routes_;
  std::vector<RuleSpec> rules_;
};

}  // namespace ipop::tun

#endif  // IPOP_TUN_TUN_ROUTES_H_
