#include "daemon/policy_diff.h"

#include <algorithm>

namespace ipop::daemon {

bool SamePolicy(const esp::Policy& a, const esp::Policy& b) {
  const esp::Selector& x = a.selector;
  const esp::Selector& y = b.selector;
  return x.source == y.source && x.destination == y.destination && x.protocol == y.protocol &&
         x.source_port == y.source_port && x.destination_port == y.destination_port &&
         a.direction == b.direction && a.action == b.action && a.mode == b.mode &&
         a.level == b.level && a.tunnel_source == b.tunnel_source &&
         a.tunnel_destination == b.tunnel_destination;
}

PolicyDiff DiffPolicies(const std::vector<esp::Policy>& installed,
                        const std::vector<esp::Policy>& wanted) {
  PolicyDiff diff;
  for (const esp::Policy& policy : installed) {
    if (policy.origin.starts_with(ike::kGeneratedPolicyOrigin)) {
      continue;
    }
    const bool kept = std::ranges::any_of(
        wanted, [&](const esp::Policy& other) { return SamePolicy(policy, other); });
    if (!kept) {
      diff.removed_ids.push_back(policy.id);
    }
  }
  for (const esp::Policy& policy : wanted) {
    const bool present = std::ranges::any_of(
        installed, [&](const esp::Policy& other) { return SamePolicy(policy, other); });
    if (!present) {
      diff.added.push_back(policy);
    }
  }
  return diff;
}

}  // namespace ipop::daemon
