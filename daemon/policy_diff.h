// The difference between the installed policies and those a reloaded
// setkey script adds, so that a reload touches only what changed.
#ifndef IPOP_DAEMON_POLICY_DIFF_H_
#define IPOP_DAEMON_POLICY_DIFF_H_

#include <cstdint>
#include <vector>

#include "esp/policy.h"
#include "ike/ike_service.h"

namespace ipop::daemon {

struct PolicyDiff {
  std::vector<uint32_t> removed_ids;  // installed, no longer in the script
  std::vector<esp::Policy> added;     // in the script, not installed yet
};

// Returns true when `a` and `b` select and treat the same traffic; the SPD
// id and the origin are not compared.
bool SamePolicy(const esp::Policy& a, const esp::Policy& b);

// Compares the installed policies with the reloaded script's. Policies
// whose origin starts with ike::kGeneratedPolicyOrigin are never removed,
// because they belong to an SA rather than to the setkey script.
PolicyDiff DiffPolicies(const std::vector<esp::Policy>& installed,
                        const std::vector<esp::Policy>& wanted);

}  // namespace ipop::daemon

#endif  // IPOP_DAEMON_POLICY_DIFF_H_
