// Fail-closed protection through the kernel's XFRM policy database.
//
// The daemon carries ESP in userspace, but the kernel enforces the "require"
// policies so that protected traffic never leaves or enters in
// clear: before the first SA exists, while the daemon is stopped, and after it
// has crashed. Three pieces work together:
//   - FailClosedGuard installs one kernel policy per SPD entry and direction.
//     An "ipsec ... require" entry becomes a policy with a required ESP
//     template. With no kernel SA the template cannot be resolved, so output
//     is dropped, and unprotected input fails the inbound policy check.
//   - BypassSocketPolicies exempts the daemon's own sockets (UDP 500/4500 and
//     the raw ESP socket), so IKE and the ESP it builds itself still pass.
//   - ExcludeInterfaceFromXfrm exempts the TUN device, so that cleartext the
//     kernel routes into it (for the daemon to encrypt) and decrypted packets
//     the daemon writes back are not blocked.
// Behaviour checked on Linux 6.18 (no esp4 module, no PF_KEY) is listed in
// docs/xfrm-fail-closed.md.
#ifndef IPOP_ESP_XFRM_XFRM_GUARD_H_
#define IPOP_ESP_XFRM_XFRM_GUARD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "esp/policy.h"

namespace ipop::esp::xfrm {

// Attaches XFRM_POLICY_ALLOW socket policies for both directions (IPv4) to
// `fd`, so traffic on this socket skips the global policies. Needs
// CAP_NET_ADMIN.
Result<void> BypassSocketPolicies(int fd);

// Sets net.ipv4.conf.<ifname>.disable_xfrm=1 and disable_policy=1 through
// /proc/sys. Needs write access to /proc/sys/net (root in the namespace).
Result<void> ExcludeInterfaceFromXfrm(const std::string& ifname);

// The policy index range that marks policies as installed by FailClosedGuard.
// The kernel keeps the direction in the low 3 bits of an index, so an index
// is kGuardIndexBase + slot * 8 + direction, and each SPD entry gets the
// first free one. The kernel numbers its own policies upwards from 8 in steps
// of 8 (plus the direction), far below this range.
inline constexpr uint32_t kGuardIndexBase = 0x49500000;  // "IP" in the top bytes
inline constexpr uint32_t kGuardIndexSlots = 0x10000;    // also the max SPD entries
inline constexpr uint32_t kGuardIndexEnd = kGuardIndexBase + kGuardIndexSlots * 8;

// True when `index` lies in the range FailClosedGuard uses.
bool IsGuardPolicyIndex(uint32_t index);

struct FailClosedOptions {
  // Kernel priority of the first SPD entry. Entry n gets base_priority + n, so
  // the kernel picks the first matching entry in SPD order (a lower value wins).
  uint32_t base_priority = 0x40000000;
  // Leave the kernel policies in place on Remove() and on destruction, so
  // that protected traffic stays blocked after the daemon stops.
  bool keep_on_stop = false;
};

// Owns the kernel policies that block protected traffic while no SA exists.
// Each SPD entry maps to one kernel policy in its own direction:
//   ipsec with level require  -> allow with a required ESP transport template
//   ipsec with level use, unique or default, and "none" -> allow, no template
//   discard                   -> block
// Only the first kind blocks cleartext, the others keep the SPD's exceptions
// working inside a protected range.
// Not thread-safe. Every method talks to the kernel synchronously over one
// NETLINK_XFRM socket that it opens and closes per call.
class FailClosedGuard {
 public:
  explicit FailClosedGuard(FailClosedOptions options = {});
  // Calls Remove() unless options.keep_on_stop is set. Errors are logged.
  ~FailClosedGuard();
  FailClosedGuard(const FailClosedGuard&) = delete;
  FailClosedGuard& operator=(const FailClosedGuard&) = delete;

  // Installs one kernel policy per entry of `policies` (XFRM_MSG_UPDPOLICY,
  // so a leftover with the same selector, direction and type from a crashed
  // run is replaced in place without a gap), then deletes every other policy
  // in the guard's index range. Tunnel mode is rejected as unsupported.
  // Errors carry the errno text and the selector of the failed entry.
  Result<void> Install(const std::vector<Policy>& policies);

  // Deletes every policy in the guard's index range, including leftovers of
  // earlier runs, unless options.keep_on_stop is set.
  Result<void> Remove();

  // Deletes every policy in the guard's index range, ignoring keep_on_stop.
  static Result<void> RemoveAll();

  size_t installed_count() const { return installed_count_; }

 private:
  FailClosedOptions options_;
  size_t installed_count_ = 0;
};

}  // namespace ipop::esp::xfrm

#endif  // IPOP_ESP_XFRM_XFRM_GUARD_H_
