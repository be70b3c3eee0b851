#include "esp/xfrm/guard_plan.h"

#include <set>
#include <string>

#include "esp/xfrm/netlink_attr.h"
#include "esp/xfrm/xfrm_guard.h"

namespace ipop::esp::xfrm {
namespace {

// The kernel stores a policy's direction in the low 3 bits of its index
// (net/xfrm/xfrm_policy.c, xfrm_policy_id2dir) and rejects a requested index
// whose bits do not match the direction, so indexes go in steps of 8.
constexpr uint32_t kIndexSlotStride = 8;

Result<KernelPolicy> ToKernelPolicy(const Policy& policy, uint32_t priority) {
  KernelPolicy kernel;
  kernel.selector = MakeSelector(policy.selector);
  kernel.direction = ToXfrmDirection(policy.direction);
  kernel.priority = priority;
  switch (policy.action) {
    case PolicyAction::kIpsec:
      // "use", "unique" and "default" send in clear while no SA exists, so
      // only "require" gets a template that blocks. A kernel without ESP
      // never has the SA either template asks for, so both block.
      if (policy.level == IpsecLevel::kRequire) {
        kernel.esp_template =
            policy.mode == IpsecMode::kTunnel
                ? MakeRequiredEspTunnelTemplate(policy.tunnel_source, policy.tunnel_destination)
                : MakeRequiredEspTransportTemplate();
      }
      kernel.action = XFRM_POLICY_ALLOW;
      break;
    case PolicyAction::kBypass:
      kernel.action = XFRM_POLICY_ALLOW;
      break;
    case PolicyAction::kDiscard:
      kernel.action = XFRM_POLICY_BLOCK;
      break;
  }
  return kernel;
}

}  // namespace

std::string DescribePolicy(const KernelPolicy& policy) {
  const char* direction = "fwd";
  if (policy.direction == XFRM_POLICY_IN) {
    direction = "in";
  } else if (policy.direction == XFRM_POLICY_OUT) {
    direction = "out";
  }
  return std::string("dir ") + direction + " " + DescribeSelector(policy.selector);
}

bool SameKey(const KernelPolicy& a, const KernelPolicy& b) {
  return a.direction == b.direction && a.type == b.type && SameSelector(a.selector, b.selector);
}

Result<std::vector<KernelPolicy>> ToKernelPolicies(const std::vector<Policy>& policies,
                                                   uint32_t base_priority) {
  if (policies.size() > kGuardIndexSlots) {
    return Fail(ErrorCode::kInvalidArgument,
                "too many policies for the fail-closed guard (" + std::to_string(policies.size()) +
                    " > " + std::to_string(kGuardIndexSlots) + ")");
  }
  std::vector<KernelPolicy> desired;
  for (size_t position = 0; position < policies.size(); ++position) {
    Result<KernelPolicy> kernel =
        ToKernelPolicy(policies[position], base_priority + static_cast<uint32_t>(position));
    if (!kernel) {
      return std::unexpected(kernel.error());
    }
    for (const KernelPolicy& earlier : desired) {
      if (SameKey(earlier, *kernel)) {
        return Fail(ErrorCode::kInvalidArgument,
                    "duplicate policy " + DescribePolicy(*kernel) + " from " +
                        policies[position].origin);
      }
    }
    desired.push_back(*kernel);
  }
  return desired;
}

Result<void> AssignIndexes(std::vector<KernelPolicy>& desired,
                           const std::vector<KernelPolicy>& existing) {
  for (KernelPolicy& policy : desired) {
    for (const KernelPolicy& other : existing) {
      if (other.has_mark_or_interface || !SameKey(policy, other)) {
        continue;
      }
      if (!IsGuardPolicyIndex(other.index)) {
        return Fail(ErrorCode::kInvalidState,
                    "a kernel policy not installed by ipop-espd (index " +
                        std::to_string(other.index) + ") has the same selector: " +
                        DescribePolicy(policy) + "; delete it with `ip xfrm policy delete`");
      }
      policy.index = other.index;
    }
  }
  // Guard leftovers that nothing replaces are deleted before the update, so
  // their indexes count as free.
  std::set<uint32_t> used;
  for (const KernelPolicy& policy : existing) {
    if (!IsGuardPolicyIndex(policy.index)) {
      used.insert(policy.index);
    }
  }
  for (const KernelPolicy& policy : desired) {
    if (policy.index != 0) {
      used.insert(policy.index);
    }
  }
  uint32_t slot = 0;
  for (KernelPolicy& policy : desired) {
    if (policy.index != 0) {
      continue;
    }
    uint32_t index = 0;
    do {
      if (slot >= kGuardIndexSlots) {
        return Fail(ErrorCode::kInvalidState, "no free index in the fail-closed guard's range");
      }
      index = kGuardIndexBase + slot * kIndexSlotStride + policy.direction;
      ++slot;
    } while (used.contains(index));
    policy.index = index;
    used.insert(index);
  }
  return {};
}

}  // namespace ipop::esp::xfrm
