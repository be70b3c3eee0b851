#include "ike/traffic_selectors.h"

#include <string>
#include <vector>

#include "ike/constants.h"
#include "ike/message.h"

namespace ipop::ike {
namespace {

// setkey's "any" protocol (255) goes on the wire as 0 (RFC 2407 §4.6.2).
uint8_t WireProtocol(uint8_t protocol) { return protocol == esp::kAnyProtocol ? 0 : protocol; }

// True when `policy` is an ipsec tunnel-mode entry of `direction` from the
// gateway `source_gateway` to `destination_gateway` whose selector contains
// traffic from `source` to `destination` of `protocol`.
bool TunnelPolicyCovers(const esp::Policy& policy, esp::PolicyDirection direction,
                        const Ipv4Prefix& source, const Ipv4Prefix& destination,
                        uint8_t protocol, Ipv4Address source_gateway,
                        Ipv4Address destination_gateway) {
  const bool any_protocol = policy.selector.protocol == esp::kAnyProtocol;
  return policy.direction == direction && policy.action == esp::PolicyAction::kIpsec &&
         policy.mode == esp::IpsecMode::kTunnel && policy.tunnel_source == source_gateway &&
         policy.tunnel_destination == destination_gateway &&
         PrefixCovers(policy.selector.source, source) &&
         PrefixCovers(policy.selector.destination, destination) &&
         (any_protocol || policy.selector.protocol == protocol);
}

uint32_t FindCoveringPolicy(const std::vector<esp::Policy>& policies,
                            esp::PolicyDirection direction, const Ipv4Prefix& source,
                            const Ipv4Prefix& destination, uint8_t protocol,
                            Ipv4Address source_gateway, Ipv4Address destination_gateway) {
  for (const esp::Policy& policy : policies) {
    if (TunnelPolicyCovers(policy, direction, source, destination, protocol, source_gateway,
                           destination_gateway)) {
      return policy.id;
    }
  }
  return 0;
}

std::string Describe(const Ipv4Prefix& source, const Ipv4Prefix& destination,
                     Ipv4Address source_gateway, Ipv4Address destination_gateway) {
  return source.ToString() + " -> " + destination.ToString() + " through " +
         source_gateway.ToString() + "-" + destination_gateway.ToString();
}

}  // namespace

bool PrefixCovers(const Ipv4Prefix& outer, const Ipv4Prefix& inner) {
  return outer.length <= inner.length && outer.Contains(inner.address);
}

TunnelSelectors SelectorsOfPolicy(const esp::Policy& policy) {
  return TunnelSelectors{
      .local = policy.selector.source,
      .remote = policy.selector.destination,
      .protocol = WireProtocol(policy.selector.protocol),
      .local_gateway = policy.tunnel_source,
      .remote_gateway = policy.tunnel_destination,
  };
}

Result<TunnelPolicies> MatchTunnelPolicies(const std::vector<esp::Policy>& policies,
                                           const TunnelSelectors& selectors) {
  TunnelPolicies found;
  found.outbound_policy_id = FindCoveringPolicy(
      policies, esp::PolicyDirection::kOut, selectors.local, selectors.remote,
      selectors.protocol, selectors.local_gateway, selectors.remote_gateway);
  if (found.outbound_policy_id == 0) {
    return Fail(ErrorCode::kNoProposalChosen,
                "no tunnel-mode out policy covers " +
                    Describe(selectors.local, selectors.remote, selectors.local_gateway,
                             selectors.remote_gateway),
                kNotifyInvalidIdInformation);
  }
  for (esp::PolicyDirection direction : {esp::PolicyDirection::kIn, esp::PolicyDirection::kFwd}) {
    found.inbound_policy_id =
        FindCoveringPolicy(policies, direction, selectors.remote, selectors.local,
                           selectors.protocol, selectors.remote_gateway, selectors.local_gateway);
    if (found.inbound_policy_id != 0) {
      return found;
    }
  }
  return Fail(ErrorCode::kNoProposalChosen,
              "no tunnel-mode in or fwd policy covers " +
                  Describe(selectors.remote, selectors.local, selectors.remote_gateway,
                           selectors.local_gateway),
              kNotifyInvalidIdInformation);
}

Result<InitiatorTunnel> PrepareInitiatorTunnel(const std::vector<esp::Policy>& policies,
                                               const esp::Policy& policy, Ipv4Address local,
                                               Ipv4Address remote) {
  const TunnelSelectors selectors = SelectorsOfPolicy(policy);
  if (selectors.local_gateway != local || selectors.remote_gateway != remote) {
    return Fail(ErrorCode::kInvalidArgument,
                "the tunnel policy " + policy.origin + " runs from " +
                    selectors.local_gateway.ToString() + " to " +
                    selectors.remote_gateway.ToString() + ", but IKE runs from " +
                    local.ToString() + " to " + remote.ToString() +
                    "; list the tunnel source in `listen isakmp`");
  }
  auto matched = MatchTunnelPolicies(policies, selectors);
  if (!matched) {
    return std::unexpected(matched.error());
  }
  return InitiatorTunnel{.selectors = selectors, .policies = *matched};
}

esp::AcquireRequest AcquireTowardsGateway(const std::vector<esp::Policy>& policies,
                                          const esp::AcquireRequest& request) {
  const std::optional<esp::Policy> policy = FindPolicy(policies, request.policy_id);
  if (!policy || policy->mode != esp::IpsecMode::kTunnel) {
    return request;
  }
  esp::AcquireRequest towards_gateway = request;
  towards_gateway.source = policy->tunnel_source;
  towards_gateway.destination = policy->tunnel_destination;
  return towards_gateway;
}

Result<void> CheckReturnedTunnelIds(const Message& message, const TunnelSelectors& tunnel) {
  const std::vector<const Payload*> ids = message.FindAll(PayloadType::kIdentification);
  if (ids.size() != 2) {
    return Fail(ErrorCode::kMalformed,
                "the reply carries " + std::to_string(ids.size()) + " ID payloads, expected IDci and IDcr",
                kNotifyInvalidIdInformation);
  }
  const Ipv4Prefix* expected[] = {&tunnel.local, &tunnel.remote};
  for (size_t i = 0; i < 2; ++i) {
    auto id = ParseIdentificationPayload(ids[i]->body);
    if (!id) {
      return std::unexpected(id.error());
    }
    auto prefix = id->ToIpv4Prefix();
    if (!prefix) {
      return std::unexpected(prefix.error());
    }
    if (*prefix != *expected[i]) {
      return Fail(ErrorCode::kMalformed,
                  std::string(i == 0 ? "IDci " : "IDcr ") + prefix->ToString() + " differs from the proposed " +
                      expected[i]->ToString(),
                  kNotifyInvalidIdInformation);
    }
  }
  return {};
}

std::optional<esp::Policy> FindPolicy(const std::vector<esp::Policy>& policies,
                                      uint32_t policy_id) {
  for (const esp::Policy& policy : policies) {
    if (policy.id == policy_id) {
      return policy;
    }
  }
  return std::nullopt;
}

}  // namespace ipop::ike
