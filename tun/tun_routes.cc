#include "tun/tun_routes.h"

#include <algorithm>

#include "base/log.h"

namespace ipop::tun {

Result<void> TunRoutes::AddRule(const RuleSpec& rule) {
  if (std::find(rules_.begin(), rules_.end(), rule) != rules_.end()) {
    return {};
  }
  auto added = socket_.AddRule(rule);
  if (!added) {
    // The likely cause is a leftover from a daemon that was killed; delete it
    // and try once more, reporting the first error if that fails too.
    if (socket_.DeleteRule(rule) && socket_.AddRule(rule)) {
      IPOP_LOG(kWarning) << "replaced leftover rule " << Describe(rule);
      added = Result<void>{};
    }
  }
  if (!added) {
    return added;
  }
  IPOP_LOG(kDebug) << "added rule " << Describe(rule);
  rules_.push_back(rule);
  return {};
}

Result<void> TunRoutes::AddRoute(const RouteSpec& route) {
  if (std::find(routes_.begin(), routes_.end(), route) != routes_.end()) {
    return {};
  }
  auto added = socket_.AddRoute(route);
  if (!added) {
    if (socket_.DeleteRoute(route) && socket_.AddRoute(route)) {
      IPOP_LOG(kWarning) << "replaced leftover route " << Describe(route);
      added = Result<void>{};
    }
  }
  if (!added) {
    return added;
  }
  IPOP_LOG(kDebug) << "added route " << Describe(route);
  routes_.push_back(route);
  return {};
}

void TunRoutes::RemoveAll() {
  for (auto it = routes_.rbegin(); it != routes_.rend(); ++it) {
    if (auto deleted = socket_.DeleteRoute(*it); !deleted) {
      IPOP_LOG(kWarning) << "cannot remove route: " << ToString(deleted.error());
    } else {
      IPOP_LOG(kDebug) << "removed route " << Describe(*it);
    }
  }
  routes_.clear();
  for (auto it = rules_.rbegin(); it != rules_.rend(); ++it) {
    if (auto deleted = socket_.DeleteRule(*it); !deleted) {
      IPOP_LOG(kWarning) << "cannot remove rule: " << ToString(deleted.error());
    } else {
      IPOP_LOG(kDebug) << "removed rule " << Describe(*it);
    }
  }
  rules_.clear();
}

}  // namespace ipop::tun
