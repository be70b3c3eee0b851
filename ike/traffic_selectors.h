// The traffic selectors of a tunnel-mode Quick Mode: which subnets IDci and
// IDcr carry (RFC 2409 §5.5, ID_IPV4_ADDR_SUBNET of RFC 2407 §4.6.2.5), and
// which SPD entries the two ESP SAs serve. Transport mode keeps the host
// IDs of the two ISAKMP endpoints and needs none of this.
#ifndef IPOP_IKE_TRAFFIC_SELECTORS_H_
#define IPOP_IKE_TRAFFIC_SELECTORS_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "base/error.h"
#include "base/ip_address.h"
#include "esp/kernel_seam.h"
#include "esp/policy.h"
#include "ike/message.h"
#include "ike/payload_identification.h"

namespace ipop::ike {

// One side's view of a tunnel: our subnet, the peer's subnet and the IP
// protocol (0 for any), between our gateway and the peer's.
struct TunnelSelectors {
  Ipv4Prefix local;
  Ipv4Prefix remote;
  uint8_t protocol = 0;
  Ipv4Address local_gateway;
  Ipv4Address remote_gateway;
};

// The SPD entries a tunnel-mode SA pair serves.
struct TunnelPolicies {
  uint32_t outbound_policy_id = 0;
  uint32_t inbound_policy_id = 0;  // the `in` policy, or the `fwd` one without it
};

// True when every address of `inner` lies in `outer`.
bool PrefixCovers(const Ipv4Prefix& outer, const Ipv4Prefix& inner);

// Returns the selectors of the tunnel-mode `out` policy `policy` as the
// initiator proposes them.
TunnelSelectors SelectorsOfPolicy(const esp::Policy& policy);

// Finds our tunnel-mode policies that cover `selectors`: an `out` policy
// from local to remote and an `in` (else `fwd`) policy from remote to local,
// each with the same gateways as `selectors` and a selector that contains
// the proposed subnets. Fails with INVALID-ID-INFORMATION naming the
// missing direction.
// NOTE: the peer gateway is the address IKE sees, so for a peer behind a
// NAT the tunnel policy must name the NAT's public address.
Result<TunnelPolicies> MatchTunnelPolicies(const std::vector<esp::Policy>& policies,
                                           const TunnelSelectors& selectors);

// The selectors and policies of an initiator's tunnel-mode Quick Mode.
struct InitiatorTunnel {
  TunnelSelectors selectors;
  TunnelPolicies policies;
};

// Prepares the Quick Mode that the tunnel-mode `out` policy `policy`
// requested over an ISAKMP SA from `local` to `remote`. Fails when the
// policy's tunnel endpoints are not those two addresses, because the ESP
// SAs run between the ISAKMP addresses and the datapath finds them by the
// policy's endpoints, and when MatchTunnelPolicies fails.
Result<InitiatorTunnel> PrepareInitiatorTunnel(const std::vector<esp::Policy>& policies,
                                               const esp::Policy& policy, Ipv4Address local,
                                               Ipv4Address remote);

// Returns `request` with the tunnel endpoints of its policy as source and
// destination when that policy is a tunnel-mode one, so that IKE talks to
// the peer gateway rather than to the inner packet's destination. Other
// requests come back unchanged.
esp::AcquireRequest AcquireTowardsGateway(const std::vector<esp::Policy>& policies,
                                          const esp::AcquireRequest& request);

// Checks that a responder's Quick Mode message 2 returned the subnets of
// `tunnel` as IDci and IDcr (RFC 2409 §5.5). The SAs get installed for our
// policy's subnets, so a reply for other subnets must not complete the
// exchange. Fails with INVALID-ID-INFORMATION.
Result<void> CheckReturnedTunnelIds(const Message& message, const TunnelSelectors& tunnel);

// Returns the policy with `policy_id`, or nullopt.
std::optional<esp::Policy> FindPolicy(const std::vector<esp::Policy>& policies, uint32_t policy_id);

}  // namespace ipop::ike

#endif  // IPOP_IKE_TRAFFIC_SELECTORS_H_
