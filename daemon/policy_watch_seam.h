// A kernel seam in front of the offload backend that reports each policy
// IKE adds or deletes itself (generate_policy), so that the daemon keeps
// the fail-closed guard and the routes into the TUN device in step.
#ifndef IPOP_DAEMON_POLICY_WATCH_SEAM_H_
#define IPOP_DAEMON_POLICY_WATCH_SEAM_H_

#include <functional>
#include <utility>

#include "esp/kernel_seam.h"

namespace ipop::daemon {

class PolicyWatchSeam : public esp::KernelSeam {
 public:
  // Forwards to `inner`, which must outlive this object, and calls
  // `on_change` after each successful AddPolicy or DeletePolicy.
  PolicyWatchSeam(esp::KernelSeam& inner, std::function<void()> on_change)
      : inner_(inner), on_change_(std::move(on_change)) {}

  const char* name() const override { return inner_.name(); }
  Result<uint32_t> AllocateSpi(Ipv4Address source, Ipv4Address destination) override {
    return inner_.AllocateSpi(source, destination);
  }
  Result<void> AddSa(esp::EspSaConfig config) override { return inner_.AddSa(std::move(config)); }
  Result<void> DeleteSa(uint32_t spi, Ipv4Address destination) override {
    return inner_.DeleteSa(spi, destination);
  }
  std::vector<esp::EspSaStatus> ListSas() const override { return inner_.ListSas(); }

  Result<esp::Policy> AddPolicy(esp::Policy policy) override {
    auto added = inner_.AddPolicy(std::move(policy));
    if (added) {
      on_change_();
    }
    return added;
  }
  Result<void> DeletePolicy(uint32_t policy_id) override {
    auto deleted = inner_.DeletePolicy(policy_id);
    if (deleted) {
      on_change_();
    }
    return deleted;
  }
  std::vector<esp::Policy> ListPolicies() const override { return inner_.ListPolicies(); }

 private:
  esp::KernelSeam& inner_;
  std::function<void()> on_change_;
};

}  // namespace ipop::daemon

#endif  // IPOP_DAEMON_POLICY_WATCH_SEAM_H_
