#include "esp/xfrm/xfrm_guard.h"

#include <cerrno>
#include <ios>
#include <string>
#include <utility>

#include "base/log.h"
#include "esp/xfrm/guard_plan.h"
#include "esp/xfrm/netlink_attr.h"
#include "esp/xfrm/xfrm_message.h"
#include "esp/xfrm/xfrm_socket.h"

namespace ipop::esp::xfrm {
namespace {

Result<std::vector<KernelPolicy>> DumpPolicies(XfrmSocket& socket) {
  std::vector<KernelPolicy> policies;
  auto collect = [&policies](const nlmsghdr* message) -> Result<void> {
    Result<KernelPolicy> policy = ParsePolicyMessage(message);
    if (!policy) {
      return std::unexpected(policy.error());
    }
    policies.push_back(*policy);
    return {};
  };
  Result<void> dumped = socket.Dump(BuildPolicyDump(socket.NextSequence()), collect);
  if (!dumped) {
    return Fail(dumped.error().code, "listing XFRM policies failed: " + dumped.error().detail);
  }
  return policies;
}

Result<void> DeletePolicy(XfrmSocket& socket, const KernelPolicy& policy) {
  // ENOENT means the policy is already gone, e.g. deleted by an operator
  // since the dump.
  Result<void> deleted = socket.Request(
      BuildDeletePolicy(policy.index, policy.direction, policy.type, socket.NextSequence()),
      ENOENT);
  if (!deleted) {
    return Fail(deleted.error().code, "deleting XFRM policy " + std::to_string(policy.index) +
                                          " (" + DescribePolicy(policy) +
                                          ") failed: " + deleted.error().detail);
  }
  return {};
}

// Checks that the kernel stored every policy under the index chosen for it.
// The kernel silently picks another index when the requested one is in use
// (another program may add policies between the dump and the update), and
// such a policy could not be found again for removal.
Result<void> VerifyInstalled(XfrmSocket& socket, const std::vector<KernelPolicy>& desired) {
  Result<std::vector<KernelPolicy>> installed = DumpPolicies(socket);
  if (!installed) {
    return std::unexpected(installed.error());
  }
  for (const KernelPolicy& policy : desired) {
    bool found = false;
    for (const KernelPolicy& other : *installed) {
      if (other.index == policy.index && SameKey(policy, other)) {
        found = true;
        break;
      }
    }
    if (!found) {
      return Fail(ErrorCode::kInvalidState, "XFRM policy " + DescribePolicy(policy) +
                                                " is missing from the kernel or has an index "
                                                "outside the guard's range after installation");
    }
  }
  return {};
}

}  // namespace

bool IsGuardPolicyIndex(uint32_t index) {
  return index >= kGuardIndexBase && index < kGuardIndexEnd;
}

FailClosedGuard::FailClosedGuard(FailClosedOptions options) : options_(options) {}

FailClosedGuard::~FailClosedGuard() {
  if (options_.keep_on_stop || installed_count_ == 0) {
    return;
  }
  if (Result<void> removed = Remove(); !removed) {
    IPOP_LOG(kError) << "removing fail-closed XFRM policies failed: " << ToString(removed.error());
  }
}

Result<void> FailClosedGuard::Install(const std::vector<Policy>& policies) {
  Result<std::vector<KernelPolicy>> desired = ToKernelPolicies(policies, options_.base_priority);
  if (!desired) {
    return std::unexpected(desired.error());
  }
  Result<XfrmSocket> socket = XfrmSocket::Open();
  if (!socket) {
    return std::unexpected(socket.error());
  }
  Result<std::vector<KernelPolicy>> existing = DumpPolicies(*socket);
  if (!existing) {
    return std::unexpected(existing.error());
  }
  if (Result<void> assigned = AssignIndexes(*desired, *existing); !assigned) {
    return assigned;
  }

  // Leftovers that the new SPD no longer contains go first, which frees their
  // indexes. Leftovers that it still contains are replaced in place below, so
  // their selectors are never unprotected.
  for (const KernelPolicy& policy : *existing) {
    if (!IsGuardPolicyIndex(policy.index)) {
      continue;
    }
    bool still_needed = false;
    for (const KernelPolicy& next : *desired) {
      still_needed = still_needed || next.index == policy.index;
    }
    if (still_needed) {
      IPOP_LOG(kInfo) << "replacing XFRM policy left by an earlier run: index " << policy.index
                      << " " << DescribePolicy(policy);
      continue;
    }
    IPOP_LOG(kInfo) << "removing stale XFRM policy left by an earlier run: index "
                    << policy.index << " " << DescribePolicy(policy);
    if (Result<void> deleted = DeletePolicy(*socket, policy); !deleted) {
      return deleted;
    }
  }

  for (size_t position = 0; position < desired->size(); ++position) {
    const KernelPolicy& policy = (*desired)[position];
    Result<void> updated = socket->Request(BuildUpdatePolicy(policy, socket->NextSequence()));
    if (!updated) {
      return Fail(updated.error().code, "installing XFRM policy " + DescribePolicy(policy) +
                                            " from " + policies[position].origin +
                                            " failed: " + updated.error().detail);
    }
  }
  installed_count_ = desired->size();

  if (Result<void> verified = VerifyInstalled(*socket, *desired); !verified) {
    return verified;
  }
  IPOP_LOG(kInfo) << "installed " << installed_count_
                  << " fail-closed XFRM policies (index base 0x" << std::hex << kGuardIndexBase
                  << ")";
  return {};
}

Result<void> FailClosedGuard::Remove() {
  if (options_.keep_on_stop) {
    IPOP_LOG(kInfo) << "keeping " << installed_count_
                    << " fail-closed XFRM policies: protected traffic stays blocked";
    return {};
  }
  Result<void> removed = RemoveAll();
  if (removed) {
    installed_count_ = 0;
  }
  return removed;
}

Result<void> FailClosedGuard::RemoveAll() {
  Result<XfrmSocket> socket = XfrmSocket::Open();
  if (!socket) {
    return std::unexpected(socket.error());
  }
  Result<std::vector<KernelPolicy>> existing = DumpPolicies(*socket);
  if (!existing) {
    return std::unexpected(existing.error());
  }
  size_t count = 0;
  for (const KernelPolicy& policy : *existing) {
    if (!IsGuardPolicyIndex(policy.index)) {
      continue;
    }
    if (Result<void> deleted = DeletePolicy(*socket, policy); !deleted) {
      return deleted;
    }
    ++count;
  }
  IPOP_LOG(kInfo) << "removed " << count << " fail-closed XFRM policies";
  return {};
}

}  // namespace ipop::esp::xfrm
