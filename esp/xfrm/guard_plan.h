// The pure part of FailClosedGuard: how SPD entries become kernel policies
// and which index each one gets. Kept apart from the netlink calls so that
// tests can check it without a kernel.
#ifndef IPOP_ESP_XFRM_GUARD_PLAN_H_
#define IPOP_ESP_XFRM_GUARD_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "esp/policy.h"
#include "esp/xfrm/xfrm_message.h"

namespace ipop::esp::xfrm {

// Renders "dir out 10.0.0.0/24[any] -> 10.0.1.0/24[any] proto any".
std::string DescribePolicy(const KernelPolicy& policy);

// True when the kernel would store `a` and `b` as one policy: the same
// selector, direction and type. Priority is not part of the key.
bool SameKey(const KernelPolicy& a, const KernelPolicy& b);

// Maps SPD entries to kernel policies with priorities base_priority + n in
// SPD order, and with index 0 (unassigned). Rejects more entries than
// kGuardIndexSlots and two entries with the same key.
Result<std::vector<KernelPolicy>> ToKernelPolicies(const std::vector<Policy>& policies,
                                                   uint32_t base_priority);

// Gives each desired policy the index of the guard leftover it replaces, or
// else the first free index of its direction in the guard's range. Fails when
// a policy outside the guard's range has the same key, because replacing it
// would take over a policy that an operator or another program installed.
Result<void> AssignIndexes(std::vector<KernelPolicy>& desired,
                           const std::vector<KernelPolicy>& existing);

}  // namespace ipop::esp::xfrm

#endif  // IPOP_ESP_XFRM_GUARD_PLAN_H_
