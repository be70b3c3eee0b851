// The security policy database: the policies setkey's spdadd installs, and
// the lookup that picks one for a packet.
//
// Match order. For one direction, the most specific selector wins:
//   1. longer destination prefix, then
//   2. longer source prefix, then
//   3. a named protocol before "any", then
//   4. more named ports (destination port counted before source port), then
//   5. the policy added first.
// This is the order of `policies()` and of `ipop-esp spd`. The ordering
// makes an operator's narrow "none" exception, such as the IKE ports, win
// over a broad ipsec policy for the same range regardless of file order.
#ifndef IPOP_ESP_SPD_H_
#define IPOP_ESP_SPD_H_

#include <cstdint>
#include <vector>

#include "base/error.h"
#include "esp/ipv4_packet.h"
#include "esp/policy.h"

namespace ipop::esp {

class Spd {
 public:
  // Adds `policy`, giving it the next free id (the id passed in is ignored).
  // Rejects a second policy with the same direction and selector, as setkey
  // does. Returns the policy as stored.
  Result<Policy> Add(Policy policy);
  Result<void> Delete(uint32_t policy_id);
  void Clear() { policies_.clear(); }

  // Returns the best-matching policy for `direction`, or nullptr.
  const Policy* Lookup(PolicyDirection direction, const FiveTuple& tuple) const;
  const Policy* Find(uint32_t policy_id) const;

  // In match order.
  const std::vector<Policy>& policies() const { return policies_; }

 private:
  std::vector<Policy> policies_;
  uint32_t next_id_ = 1;
};

// True when `a` is tried before `b` under the order described above,
// insertion order aside.
bool MoreSpecific(const Selector& a, const Selector& b);

}  // namespace ipop::esp

#endif  // IPOP_ESP_SPD_H_
