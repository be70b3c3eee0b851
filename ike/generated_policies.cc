// `generate_policy` on a responder: when the initiator's Quick Mode IDs
// match none of our policies, install an inbound and an outbound policy
// for them, as racoon does, and delete them with the last SA that uses
// them.
#include <algorithm>

#include "base/log.h"
#include "ike/engine.h"

namespace ipop::ike {
namespace {

bool IsGenerated(const esp::KernelSeam& kernel, uint32_t policy_id) {
  for (const esp::Policy& policy : kernel.ListPolicies()) {
    if (policy.id == policy_id) {
      return policy.origin.starts_with(kGeneratedPolicyOrigin);
    }
  }
  return false;
}

esp::Policy MakeGeneratedPolicy(esp::PolicyDirection direction, const Ipv4Prefix& source,
                                const Ipv4Prefix& destination, config::GeneratePolicy level,
                                const Endpoint& peer) {
  esp::Policy policy;
  policy.selector.source = source;
  policy.selector.destination = destination;
  policy.direction = direction;
  policy.action = esp::PolicyAction::kIpsec;
  policy.mode = esp::IpsecMode::kTransport;
  policy.level =
      level == config::GeneratePolicy::kUnique ? esp::IpsecLevel::kUnique : esp::IpsecLevel::kRequire;
  policy.origin = std::string(kGeneratedPolicyOrigin) + " " + peer.ToString();
  return policy;
}

}  // namespace

Result<void> IkeService::Engine::GeneratePolicies(IsakmpSa& sa, QuickModeExchange& exchange,
                                                  const Ipv4Prefix& local, const Ipv4Prefix& remote) {
  const config::GeneratePolicy level = sa.remote_config->generate_policy;
  // TODO(config): generate tunnel-mode policies too; a tunnel-mode Quick
  // Mode without matching policies is rejected before this point.
  if (level == config::GeneratePolicy::kOff || exchange.tunnel) {
    return {};
  }
  // A rekey finds the policies an earlier exchange generated and shares them.
  if (exchange.outbound_policy_id != 0 || exchange.inbound_policy_id != 0) {
    for (uint32_t id : {exchange.outbound_policy_id, exchange.inbound_policy_id}) {
      if (id != 0 && IsGenerated(kernel_, id)) {
        exchange.generated_policy_ids.push_back(id);
      }
    }
    return {};
  }

  auto outbound = kernel_.AddPolicy(
      MakeGeneratedPolicy(esp::PolicyDirection::kOut, local, remote, level, sa.remote));
  if (!outbound) {
    return Fail(ErrorCode::kSystem, "generate_policy: adding the outbound policy failed: " +
                                        outbound.error().detail);
  }
  exchange.generated_policy_ids.push_back(outbound->id);
  auto inbound = kernel_.AddPolicy(
      MakeGeneratedPolicy(esp::PolicyDirection::kIn, remote, local, level, sa.remote));
  if (!inbound) {
    ReleaseGeneratedPolicies(exchange.generated_policy_ids);
    return Fail(ErrorCode::kSystem, "generate_policy: adding the inbound policy failed: " +
                                        inbound.error().detail);
  }
  exchange.generated_policy_ids.push_back(inbound->id);
  exchange.outbound_policy_id = outbound->id;
  exchange.inbound_policy_id = inbound->id;
  IPOP_LOG(kInfo) << "generated policy " << local.ToString() << " <=> " << remote.ToString()
                  << " for " << sa.remote.ToString() << " (policies " << outbound->id << " and "
                  << inbound->id << ")";
  return {};
}

bool IkeService::Engine::GeneratedPolicyInUse(uint32_t id, const std::vector<uint32_t>& except) const {
  auto holds = [id, &except](const std::vector<uint32_t>& ids) {
    return &ids != &except && std::ranges::find(ids, id) != ids.end();
  };
  for (const auto& [inbound_spi, details] : pair_details_) {
    if (holds(details.generated_policy_ids)) {
      return true;
    }
  }
  for (const auto& [sa_id, sa] : sas_) {
    for (const auto& [message_id, exchange] : sa->quick_modes) {
      if (holds(exchange.generated_policy_ids)) {
        return true;
      }
    }
  }
  return false;
}

void IkeService::Engine::ReleaseGeneratedPolicies(std::vector<uint32_t>& ids) {
  for (uint32_t id : ids) {
    if (GeneratedPolicyInUse(id, ids)) {
      continue;
    }
    if (auto deleted = kernel_.DeletePolicy(id); !deleted) {
      IPOP_LOG(kWarning) << "deleting generated policy " << id
                         << " failed: " << deleted.error().detail;
      continue;
    }
    IPOP_LOG(kInfo) << "generated policy " << id << " deleted";
  }
  ids.clear();
}

}  // namespace ipop::ike
