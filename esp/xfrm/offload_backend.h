// The choice between kernel ESP (XfrmBackend) and userspace ESP
// (UserspaceBackend), made per SA pair behind one KernelSeam.
//
// Modes (ipop-espd --offload):
//   userspace  every SA in userspace. The kernel contains only the
//              fail-closed policies.
//   kernel     every SA and policy in the kernel; an SA the kernel rejects
//              fails its negotiation, and its partner, if already
//              installed, is deleted so no half pair stays.
//   auto       a start-up probe adds and deletes a throwaway SA per algorithm
//              family. With no family accepted, auto behaves as userspace.
//              Otherwise policies go to the kernel, SAs of accepted families
//              too, and an SA that the kernel rejects with a kernel error
//              goes to userspace together with its partner.
#ifndef IPOP_ESP_XFRM_OFFLOAD_BACKEND_H_
#define IPOP_ESP_XFRM_OFFLOAD_BACKEND_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "esp/kernel_seam.h"
#include "esp/userspace_backend.h"
#include "esp/xfrm/xfrm_algorithms.h"
#include "esp/xfrm/xfrm_backend.h"

namespace ipop::esp::xfrm {

enum class OffloadMode { kAuto, kKernel, kUserspace };

// "auto", "kernel", "userspace".
const char* OffloadModeName(OffloadMode mode);
std::optional<OffloadMode> ParseOffloadMode(std::string_view text);

// Result of the start-up probe: the algorithm families the kernel accepted,
// and the kernel's reason for each rejection.
struct ProbeReport {
  std::map<AlgorithmFamily, std::string> rejected;  // family -> error text
  std::vector<AlgorithmFamily> accepted;

  bool AcceptsAny() const { return !accepted.empty(); }
  bool Accepts(AlgorithmFamily family) const;
  // One line for the log, e.g. "kernel ESP unavailable (XFRM_MSG_NEWSA: ...)".
  std::string Summary() const;
};

// Adds and deletes one throwaway SA per algorithm family in the caller's
// network namespace. The SAs use documentation addresses (RFC 5737) and
// SPIs from kProbeSpiBase; adding a state sends no packet.
ProbeReport ProbeKernelEsp(XfrmBackend& kernel);

// SPIs of probe SAs: kProbeSpiBase + family number.
inline constexpr uint32_t kProbeSpiBase = 0x49500100;

// The algorithm families an SA needs: its cipher and, for non-AEAD
// ciphers, its integrity algorithm.
std::vector<AlgorithmFamily> FamiliesOf(crypto::EspCipher cipher, crypto::EspIntegrity integrity);

class OffloadBackend : public KernelSeam {
 public:
  // `kernel` may be null only in userspace mode. In auto mode, `probe` is
  // the start-up result.
  OffloadBackend(OffloadMode mode, UserspaceBackend& userspace, XfrmBackend* kernel,
                 ProbeReport probe);

  const char* name() const override;

  Result<uint32_t> AllocateSpi(Ipv4Address source, Ipv4Address destination) override;
  Result<void> AddSa(EspSaConfig config) override;
  Result<void> DeleteSa(uint32_t spi, Ipv4Address destination) override;
  Result<void> DeleteEncapsulatedSa(uint32_t spi, Ipv4Address destination,
                                    uint16_t destination_port) override;
  std::vector<EspSaStatus> ListSas() const override;

  Result<Policy> AddPolicy(Policy policy) override;
  Result<void> DeletePolicy(uint32_t policy_id) override;
  std::vector<Policy> ListPolicies() const override;

  // True when the policies are installed in the kernel (kernel mode, or auto with a
  // kernel that accepted at least one family). The daemon then routes no
  // protected range into the TUN device and installs no fail-closed guard,
  // because the kernel policies block cleartext themselves.
  bool kernel_carries_policies() const { return kernel_policies_; }
  // "kernel" or "userspace", for `ipop-esp spd`.
  const char* PolicyCarrier() const { return kernel_policies_ ? "kernel" : "userspace"; }

 private:
  // SAs of one pair share addresses (in either order) and algorithms.
  struct PairKey {
    uint32_t low_address = 0;
    uint32_t high_address = 0;
    crypto::EspCipher cipher = crypto::EspCipher::kNull;
    crypto::EspIntegrity integrity = crypto::EspIntegrity::kNone;
    auto operator<=>(const PairKey&) const = default;
  };
  static PairKey PairKeyOf(const EspSaConfig& config);

  bool ShouldTryKernel(const EspSaConfig& config) const;
  Result<void> AddToUserspace(EspSaConfig config);
  // Deletes from the kernel an SA whose partner the kernel rejected.
  void DeleteWaitingPartner(const PairKey& key);
  // Moves a kernel SA whose partner the kernel rejected into userspace.
  void MoveWaitingPartnerToUserspace(const PairKey& key);

  OffloadMode mode_;
  UserspaceBackend& userspace_;
  XfrmBackend* kernel_;
  ProbeReport probe_;
  bool kernel_policies_ = false;
  // Kernel SAs whose partner has not arrived yet, with a copy of their keys
  // so that they can move to userspace if the partner is rejected.
  std::map<PairKey, EspSaConfig> waiting_for_partner_;
  // (SPI, destination) of SAs that userspace carries.
  std::map<std::pair<uint32_t, uint32_t>, bool> in_userspace_;
};

}  // namespace ipop::esp::xfrm

#endif  // IPOP_ESP_XFRM_OFFLOAD_BACKEND_H_
