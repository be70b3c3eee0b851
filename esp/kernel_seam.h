// The one interface through which exchanges install what they negotiated.
// The userspace backend carries ESP on a TUN device; the XFRM backend
// (esp/xfrm/) hands SAs and policies to the kernel. Exchanges never know
// which one they talk to.
#ifndef IPOP_ESP_KERNEL_SEAM_H_
#define IPOP_ESP_KERNEL_SEAM_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/ip_address.h"
#include "crypto/algorithms.h"
#include "crypto/secret.h"
#include "esp/policy.h"

namespace ipop::esp {

// The UDP ports of an SA's ESP-in-UDP packets (RFC 3948 §2.1).
// `source_port` belongs to the SA's source address and `destination_port`
// to its destination. So on an inbound SA the source port is the peer's,
// which is the NAT's mapped port when the peer is behind a NAT.
struct UdpEncapsulation {
  uint16_t source_port = 4500;
  uint16_t destination_port = 4500;
};

struct SaLifetime {
  std::chrono::seconds soft_time{0};  // 0: none
  std::chrono::seconds hard_time{0};
  uint64_t soft_bytes = 0;
  uint64_t hard_bytes = 0;
};

// One unidirectional ESP SA, keyed by (SPI, destination), and for an
// ESP-in-UDP SA in the userspace backend also by the UDP destination port.
struct EspSaConfig {
  uint32_t spi = 0;
  Ipv4Address source;
  Ipv4Address destination;
  bool inbound = false;
  IpsecMode mode = IpsecMode::kTransport;
  crypto::EspCipher cipher = crypto::EspCipher::k3desCbc;
  size_t aes_key_bits = 0;  // 128 or 256 for AES ciphers, else 0
  crypto::EspIntegrity integrity = crypto::EspIntegrity::kHmacSha1_96;
  crypto::SecretBytes cipher_key;  // for GCM: key || salt
  crypto::SecretBytes integrity_key;
  uint32_t replay_window = 64;  // packets; RFC 4303 §3.4.3 default
  std::optional<UdpEncapsulation> encapsulation;
  // The addresses the peer's packets carried before a NAT rewrote them, from
  // the NAT-OA payloads of Quick Mode (RFC 3947 §5.2). An inbound
  // encapsulated transport-mode SA uses them to fix up the TCP and UDP
  // checksums incrementally (RFC 3948 §3.1.2). When they are missing the
  // checksum is recomputed over the received addresses.
  std::optional<Ipv4Address> original_source;
  std::optional<Ipv4Address> original_destination;
  SaLifetime lifetime;
  uint32_t policy_id = 0;  // the SPD entry this SA serves
};

// State of one SA as the backend reports it, without its keys, for
// `ipop-esp sa`.
struct EspSaStatus {
  uint32_t spi = 0;
  Ipv4Address source;
  Ipv4Address destination;
  bool inbound = false;
  IpsecMode mode = IpsecMode::kTransport;
  crypto::EspCipher cipher = crypto::EspCipher::k3desCbc;
  size_t aes_key_bits = 0;
  crypto::EspIntegrity integrity = crypto::EspIntegrity::kHmacSha1_96;
  std::optional<UdpEncapsulation> encapsulation;
  // The peer's UDP endpoint of an encapsulated SA as it is now, after any
  // NAT mapping change the data path has followed.
  std::optional<Endpoint> udp_peer;
  uint32_t policy_id = 0;
  uint64_t bytes = 0;
  uint64_t packets = 0;
  uint64_t replay_drops = 0;
  uint64_t integrity_drops = 0;
  std::chrono::system_clock::time_point created;
  std::string backend;  // "userspace" or "kernel"
};

// A packet matched an outbound IPsec policy that has no SA, as a kernel
// ACQUIRE reported it to racoon.
struct AcquireRequest {
  uint32_t policy_id = 0;
  Ipv4Address source;
  Ipv4Address destination;
  uint8_t protocol = 0;
};

// An SA reached a soft limit (time to rekey) or a hard limit (the kernel
// has removed it), as a kernel EXPIRE reports.
struct SaExpire {
  uint32_t spi = 0;
  Ipv4Address destination;
  bool hard = false;
};

// An authenticated ESP-in-UDP packet of an inbound SA came from another
// UDP endpoint than before: the peer's NAT mapping changed. The backend has
// already moved the outbound SAs that sent to `old_peer` over to `new_peer`.
struct SaEndpointChange {
  uint32_t spi = 0;  // the inbound SA whose packet came from `new_peer`
  Ipv4Address destination;
  Endpoint old_peer;
  Endpoint new_peer;
};

class KernelSeam {
 public:
  virtual ~KernelSeam() = default;

  virtual const char* name() const = 0;

  // Reserves an unused inbound SPI (never below 256, RFC 4303 §2.1).
  virtual Result<uint32_t> AllocateSpi(Ipv4Address source, Ipv4Address destination) = 0;
  virtual Result<void> AddSa(EspSaConfig config) = 0;
  virtual Result<void> DeleteSa(uint32_t spi, Ipv4Address destination) = 0;
  // Deletes the ESP-in-UDP SA (spi, destination) that was added with
  // `destination_port` as its UdpEncapsulation::destination_port. Peers
  // behind one NAT share its address and choose the SPIs of the SAs we send
  // to them, so two of our outbound SAs may share (SPI, destination) and
  // only the peer's port distinguishes them. This default is for backends
  // that keep (SPI, destination) unique, as the kernel does.
  virtual Result<void> DeleteEncapsulatedSa(uint32_t spi, Ipv4Address destination,
                                            uint16_t /*destination_port*/) {
    return DeleteSa(spi, destination);
  }
  virtual std::vector<EspSaStatus> ListSas() const = 0;

  // Returns the policy with its id set.
  virtual Result<Policy> AddPolicy(Policy policy) = 0;
  virtual Result<void> DeletePolicy(uint32_t policy_id) = 0;
  virtual std::vector<Policy> ListPolicies() const = 0;

  // Called on the IKE thread's behalf; backends post to it as they need.
  void set_acquire_handler(std::function<void(const AcquireRequest&)> handler) {
    acquire_handler_ = std::move(handler);
  }

  // Called when the peer's UDP endpoint of an encapsulated SA moves. Only
  // backends that carry ESP-in-UDP themselves (the userspace one) call it,
  // from a packet worker thread, so the handler must post to the IKE thread.
  void set_endpoint_change_handler(std::function<void(const SaEndpointChange&)> handler) {
    endpoint_change_handler_ = std::move(handler);
  }

  // Called when an SA expires. The XFRM backend reports the kernel's soft
  // and hard EXPIRE; the userspace backend reports only a soft byte limit,
  // from a packet worker thread, so the same threading rule applies.
  void set_expire_handler(std::function<void(const SaExpire&)> handler) {
    expire_handler_ = std::move(handler);
  }

 protected:
  std::function<void(const AcquireRequest&)> acquire_handler_;
  std::function<void(const SaExpire&)> expire_handler_;
  std::function<void(const SaEndpointChange&)> endpoint_change_handler_;
};

}  // namespace ipop::esp

#endif  // IPOP_ESP_KERNEL_SEAM_H_
