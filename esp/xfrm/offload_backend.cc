#include "esp/xfrm/offload_backend.h"

#include <algorithm>
#include <cerrno>

#include "base/log.h"

namespace ipop::esp::xfrm {
namespace {

// RFC 5737 TEST-NET-1 addresses: no real peer has them, and a state alone
// sends nothing.
constexpr uint32_t kProbeSource = 0xc0000201;       // 192.0.2.1
constexpr uint32_t kProbeDestination = 0xc0000202;  // 192.0.2.2

crypto::SecretBytes ZeroKey(size_t size) { return crypto::SecretBytes(size); }

// A throwaway SA that needs `family`, paired with algorithms that every
// kernel with ESP has (AES-CBC, HMAC-SHA1).
EspSaConfig MakeProbeSa(AlgorithmFamily family) {
  EspSaConfig config;
  config.spi = kProbeSpiBase + static_cast<uint32_t>(family);
  config.source = Ipv4Address(kProbeSource);
  config.destination = Ipv4Address(kProbeDestination);
  config.cipher = crypto::EspCipher::kAesCbc;
  config.aes_key_bits = 128;
  config.integrity = crypto::EspIntegrity::kHmacSha1_96;
  switch (family) {
    case AlgorithmFamily::k3desCbc:
      config.cipher = crypto::EspCipher::k3desCbc;
      config.aes_key_bits = 0;
      break;
    case AlgorithmFamily::kAesGcm:
      config.cipher = crypto::EspCipher::kAesGcm16;
      config.integrity = crypto::EspIntegrity::kNone;
      break;
    case AlgorithmFamily::kHmacSha256:
      config.integrity = crypto::EspIntegrity::kHmacSha256_128;
      break;
    case AlgorithmFamily::kHmacSha384:
      config.integrity = crypto::EspIntegrity::kHmacSha384_192;
      break;
    case AlgorithmFamily::kHmacSha512:
      config.integrity = crypto::EspIntegrity::kHmacSha512_256;
      break;
    case AlgorithmFamily::kAesCbc:
    case AlgorithmFamily::kHmacSha1:
      break;
  }
  config.cipher_key = ZeroKey(crypto::EspCipherKeyLength(config.cipher, config.aes_key_bits));
  config.integrity_key = ZeroKey(crypto::EspIntegrityKeyLength(config.integrity));
  return config;
}

// NOTE: copies every EspSaConfig field by name, so a field added to the
// struct must be added here too or it is lost when a pair moves.
EspSaConfig CloneConfig(const EspSaConfig& config) {
  EspSaConfig copy;
  copy.spi = config.spi;
  copy.source = config.source;
  copy.destination = config.destination;
  copy.inbound = config.inbound;
  copy.mode = config.mode;
  copy.cipher = config.cipher;
  copy.aes_key_bits = config.aes_key_bits;
  copy.integrity = config.integrity;
  copy.cipher_key = config.cipher_key.Clone();
  copy.integrity_key = config.integrity_key.Clone();
  copy.replay_window = config.replay_window;
  copy.encapsulation = config.encapsulation;
  copy.lifetime = config.lifetime;
  copy.policy_id = config.policy_id;
  return copy;
}

std::pair<uint32_t, uint32_t> SaId(uint32_t spi, Ipv4Address destination) {
  return {spi, destination.value()};
}

}  // namespace

const char* OffloadModeName(OffloadMode mode) {
  switch (mode) {
    case OffloadMode::kAuto:
      return "auto";
    case OffloadMode::kKernel:
      return "kernel";
    case OffloadMode::kUserspace:
      return "userspace";
  }
  return "unknown";
}

std::optional<OffloadMode> ParseOffloadMode(std::string_view text) {
  for (OffloadMode mode : {OffloadMode::kAuto, OffloadMode::kKernel, OffloadMode::kUserspace}) {
    if (text == OffloadModeName(mode)) {
      return mode;
    }
  }
  return std::nullopt;
}

bool ProbeReport::Accepts(AlgorithmFamily family) const {
  return std::find(accepted.begin(), accepted.end(), family) != accepted.end();
}

std::string ProbeReport::Summary() const {
  if (!AcceptsAny()) {
    // Every family fails the same way when ESP itself is missing, so the
    // first reason stands for all.
    const std::string reason = rejected.empty() ? "no probe ran" : rejected.begin()->second;
    return "kernel ESP unavailable (" + reason + ")";
  }
  std::string text = "kernel ESP available for";
  for (AlgorithmFamily family : accepted) {
    text += std::string(" ") + AlgorithmFamilyName(family);
  }
  for (const auto& [family, reason] : rejected) {
    text += std::string(", not for ") + AlgorithmFamilyName(family) + " (" + reason + ")";
  }
  return text;
}

ProbeReport ProbeKernelEsp(XfrmBackend& kernel) {
  ProbeReport report;
  for (AlgorithmFamily family : kAllAlgorithmFamilies) {
    EspSaConfig config = MakeProbeSa(family);
    const uint32_t spi = config.spi;
    auto added = kernel.AddSa(std::move(config));
    if (!added) {
      report.rejected[family] = added.error().detail;
      continue;
    }
    report.accepted.push_back(family);
    if (auto deleted = kernel.DeleteSa(spi, Ipv4Address(kProbeDestination)); !deleted) {
      IPOP_LOG(kWarning) << "cannot delete the probe SA: " << deleted.error().detail
                         << "; remove it with `ip xfrm state delete dst 192.0.2.2 proto esp spi "
                         << spi << "`";
    }
  }
  return report;
}

std::vector<AlgorithmFamily> FamiliesOf(crypto::EspCipher cipher, crypto::EspIntegrity integrity) {
  std::vector<AlgorithmFamily> families;
  switch (cipher) {
    case crypto::EspCipher::k3desCbc:
      families.push_back(AlgorithmFamily::k3desCbc);
      break;
    case crypto::EspCipher::kAesCbc:
      families.push_back(AlgorithmFamily::kAesCbc);
      break;
    case crypto::EspCipher::kAesGcm16:
      families.push_back(AlgorithmFamily::kAesGcm);
      return families;
    case crypto::EspCipher::kNull:
      break;
  }
  switch (integrity) {
    case crypto::EspIntegrity::kHmacSha1_96:
      families.push_back(AlgorithmFamily::kHmacSha1);
      break;
    case crypto::EspIntegrity::kHmacSha256_128:
    case crypto::EspIntegrity::kHmacSha256_96:
      families.push_back(AlgorithmFamily::kHmacSha256);
      break;
    case crypto::EspIntegrity::kHmacSha384_192:
      families.push_back(AlgorithmFamily::kHmacSha384);
      break;
    case crypto::EspIntegrity::kHmacSha512_256:
      families.push_back(AlgorithmFamily::kHmacSha512);
      break;
    case crypto::EspIntegrity::kNone:
      break;
  }
  return families;
}

OffloadBackend::OffloadBackend(OffloadMode mode, UserspaceBackend& userspace, XfrmBackend* kernel,
                               ProbeReport probe)
    : mode_(mode), userspace_(userspace), kernel_(kernel), probe_(std::move(probe)) {
  kernel_policies_ = kernel_ != nullptr &&
                     (mode_ == OffloadMode::kKernel ||
                      (mode_ == OffloadMode::kAuto && probe_.AcceptsAny()));
  auto forward_acquire = [this](const AcquireRequest& request) {
    if (acquire_handler_) {
      acquire_handler_(request);
    }
  };
  auto forward_expire = [this](const SaExpire& expire) {
    if (expire_handler_) {
      expire_handler_(expire);
    }
  };
  userspace_.set_acquire_handler(forward_acquire);
  userspace_.set_expire_handler(forward_expire);
  if (kernel_ != nullptr) {
    kernel_->set_acquire_handler(forward_acquire);
    kernel_->set_expire_handler(forward_expire);
  }
}

const char* OffloadBackend::name() const { return kernel_policies_ ? "kernel" : "userspace"; }

OffloadBackend::PairKey OffloadBackend::PairKeyOf(const EspSaConfig& config) {
  const uint32_t a = config.source.value();
  const uint32_t b = config.destination.value();
  return PairKey{.low_address = std::min(a, b),
                 .high_address = std::max(a, b),
                 .cipher = config.cipher,
                 .integrity = config.integrity};
}

bool OffloadBackend::ShouldTryKernel(const EspSaConfig& config) const {
  if (!kernel_policies_) {
    return false;
  }
  if (mode_ == OffloadMode::kKernel) {
    return true;
  }
  for (AlgorithmFamily family : FamiliesOf(config.cipher, config.integrity)) {
    if (!probe_.Accepts(family)) {
      return false;
    }
  }
  return true;
}

Result<uint32_t> OffloadBackend::AllocateSpi(Ipv4Address source, Ipv4Address destination) {
  if (kernel_policies_) {
    return kernel_->AllocateSpi(source, destination);
  }
  return userspace_.AllocateSpi(source, destination);
}

Result<void> OffloadBackend::AddToUserspace(EspSaConfig config) {
  const auto id = SaId(config.spi, config.destination);
  if (kernel_policies_) {
    // Drop the kernel's larval state for an SPI that ALLOCSPI reserved.
    // ESRCH (none) is not an error here.
    (void)kernel_->DeleteSa(config.spi, config.destination);
  }
  auto added = userspace_.AddSa(std::move(config));
  if (added) {
    in_userspace_[id] = true;
  }
  return added;
}

void OffloadBackend::DeleteWaitingPartner(const PairKey& key) {
  auto waiting = waiting_for_partner_.find(key);
  if (waiting == waiting_for_partner_.end()) {
    return;
  }
  const uint32_t spi = waiting->second.spi;
  const Ipv4Address destination = waiting->second.destination;
  waiting_for_partner_.erase(waiting);
  if (auto deleted = kernel_->DeleteSa(spi, destination); !deleted) {
    IPOP_LOG(kWarning) << "cannot delete SPI " << spi << " whose partner the kernel rejected: "
                       << deleted.error().detail;
    return;
  }
  IPOP_LOG(kInfo) << "deleted kernel SPI " << spi << " because the kernel rejected its partner";
}

void OffloadBackend::MoveWaitingPartnerToUserspace(const PairKey& key) {
  auto waiting = waiting_for_partner_.find(key);
  if (waiting == waiting_for_partner_.end()) {
    return;
  }
  EspSaConfig partner = std::move(waiting->second);
  waiting_for_partner_.erase(waiting);
  if (auto deleted = kernel_->DeleteSa(partner.spi, partner.destination); !deleted) {
    IPOP_LOG(kWarning) << "cannot move SPI " << partner.spi
                       << " out of the kernel: " << deleted.error().detail;
    return;
  }
  const uint32_t spi = partner.spi;
  if (auto added = AddToUserspace(std::move(partner)); !added) {
    IPOP_LOG(kError) << "cannot move SPI " << spi
                     << " from the kernel to userspace: " << added.error().detail;
  }
}

Result<void> OffloadBackend::AddSa(EspSaConfig config) {
  if (!ShouldTryKernel(config)) {
    return AddToUserspace(std::move(config));
  }
  // NOTE: two negotiations with one peer and the same algorithms at once
  // (a rekey racing a new pair) share this key, so they may pair wrongly.
  const PairKey key = PairKeyOf(config);
  // Keep a copy until the partner arrives, in case the kernel rejects it.
  EspSaConfig copy = CloneConfig(config);

  auto added = kernel_->AddSa(std::move(config));
  if (added) {
    auto waiting = waiting_for_partner_.find(key);
    if (waiting != waiting_for_partner_.end()) {
      waiting_for_partner_.erase(waiting);
    } else {
      waiting_for_partner_.insert_or_assign(key, std::move(copy));
    }
    return {};
  }
  if (mode_ == OffloadMode::kKernel) {
    // The negotiation fails, and the kernel must not keep half of the pair.
    DeleteWaitingPartner(key);
    return added;
  }
  // EEXIST: the kernel has an SA with this (SPI, destination), from another
  // peer behind the same NAT. Userspace cannot carry this SA while the
  // kernel carries the policies, so the negotiation fails.
  if (kernel_->last_errno() == 0 || kernel_->last_errno() == EEXIST) {
    return added;
  }

  // The kernel rejected the SA itself (ENOENT: algorithm or ESP missing,
  // EINVAL: a parameter it cannot carry), so the pair moves to userspace.
  IPOP_LOG(kWarning) << "kernel ESP rejected SPI " << copy.spi << " (" << added.error().detail
                     << "), using userspace ESP for this SA pair";
  MoveWaitingPartnerToUserspace(key);
  return AddToUserspace(std::move(copy));
}

Result<void> OffloadBackend::DeleteSa(uint32_t spi, Ipv4Address destination) {
  const auto id = SaId(spi, destination);
  std::erase_if(waiting_for_partner_, [&](const auto& entry) {
    return entry.second.spi == spi && entry.second.destination == destination;
  });
  if (in_userspace_.erase(id) > 0 || !kernel_policies_) {
    return userspace_.DeleteSa(spi, destination);
  }
  return kernel_->DeleteSa(spi, destination);
}

Result<void> OffloadBackend::DeleteEncapsulatedSa(uint32_t spi, Ipv4Address destination,
                                                  uint16_t destination_port) {
  const auto id = SaId(spi, destination);
  if (!in_userspace_.contains(id) && kernel_policies_) {
    // The kernel has at most one SA per (SPI, destination).
    return DeleteSa(spi, destination);
  }
  auto deleted = userspace_.DeleteEncapsulatedSa(spi, destination, destination_port);
  // Another peer behind the same NAT may still have an SA with this SPI.
  const std::vector<EspSaStatus> remaining = userspace_.ListSas();
  const bool still_used = std::ranges::any_of(remaining, [&](const EspSaStatus& status) {
    return status.spi == spi && status.destination == destination;
  });
  if (!still_used) {
    in_userspace_.erase(id);
  }
  return deleted;
}

std::vector<EspSaStatus> OffloadBackend::ListSas() const {
  std::vector<EspSaStatus> sas = userspace_.ListSas();
  if (kernel_ != nullptr) {
    std::vector<EspSaStatus> kernel_sas = kernel_->ListSas();
    sas.insert(sas.end(), kernel_sas.begin(), kernel_sas.end());
  }
  return sas;
}

Result<Policy> OffloadBackend::AddPolicy(Policy policy) {
  // The userspace SPD assigns the id and serves SAs that fall back to
  // userspace; the kernel copy uses the same id.
  auto added = userspace_.AddPolicy(std::move(policy));
  if (!added || !kernel_policies_) {
    return added;
  }
  auto installed = kernel_->AddPolicy(*added);
  if (!installed) {
    (void)userspace_.DeletePolicy(added->id);
    return installed;
  }
  return added;
}

Result<void> OffloadBackend::DeletePolicy(uint32_t policy_id) {
  if (kernel_policies_) {
    if (auto deleted = kernel_->DeletePolicy(policy_id); !deleted) {
      return deleted;
    }
  }
  return userspace_.DeletePolicy(policy_id);
}

std::vector<Policy> OffloadBackend::ListPolicies() const { return userspace_.ListPolicies(); }

}  // namespace ipop::esp::xfrm
