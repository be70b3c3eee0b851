// The kernel seam backend that hands ESP SAs and policies to the Linux
// kernel over NETLINK_XFRM, so that the kernel's ESP carries the traffic.
//
// Policies are "require" (or "use") policies with one ESP template per
// direction. Each policy gets a reqid, and the SAs that serve it carry the
// same reqid, so the kernel resolves a template only with the SA that IKE
// negotiated for that policy. An inbound "fwd" policy shares the reqid of
// the "in" policy with the same selector, because both are served by the
// same inbound SA.
//
// Threading: a mutex serialises every request on the one request socket, so
// a control-socket thread may call the List functions while the IKE thread
// mutates. Events (ACQUIRE, EXPIRE) arrive on a second socket. The owner
// watches event_fd() and calls ProcessEvents() on the IKE thread, so the
// handlers run on that thread.
#ifndef IPOP_ESP_XFRM_XFRM_BACKEND_H_
#define IPOP_ESP_XFRM_XFRM_BACKEND_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "esp/kernel_seam.h"
#include "esp/xfrm/xfrm_socket.h"

struct mnl_socket;

namespace ipop::esp::xfrm {

// Sets UDP_ENCAP_ESPINUDP on a NAT-T socket (RFC 3948), so that the kernel
// decapsulates ESP-in-UDP arriving on it for kernel SAs. IKE messages (with
// the 4-byte non-ESP marker) and keepalives still reach the socket's reader.
Result<void> EnableEspInUdp(int fd);

class XfrmBackend : public KernelSeam {
 public:
  // Opens the request socket and the event socket (subscribed to
  // XFRMNLGRP_ACQUIRE and XFRMNLGRP_EXPIRE) in the caller's namespace.
  static Result<std::unique_ptr<XfrmBackend>> Open();
  ~XfrmBackend() override;
  XfrmBackend(const XfrmBackend&) = delete;
  XfrmBackend& operator=(const XfrmBackend&) = delete;

  const char* name() const override { return "kernel"; }

  // XFRM_MSG_ALLOCSPI. The kernel keeps a larval state holding the SPI, so
  // AddSa for that SPI sends XFRM_MSG_UPDSA in place of NEWSA.
  Result<uint32_t> AllocateSpi(Ipv4Address source, Ipv4Address destination) override;
  // Fails with kSystem carrying the kernel's errno text, and last_errno()
  // then returns the errno (ENOENT, ENOSYS, EINVAL: the kernel cannot
  // carry this SA).
  // The request buffer holding the keys is wiped after sending.
  Result<void> AddSa(EspSaConfig config) override;
  Result<void> DeleteSa(uint32_t spi, Ipv4Address destination) override;
  // Dumps the kernel's ESP states (XFRM_MSG_GETSA) and reports the ones this
  // backend installed, with the kernel's byte, packet and drop counters.
  std::vector<EspSaStatus> ListSas() const override;

  // Installs the policy with XFRM_MSG_UPDPOLICY, so a leftover with the same
  // selector and direction (from a crashed run, or the fail-closed guard) is
  // replaced without a gap. Keeps `policy.id` when it is not 0.
  Result<Policy> AddPolicy(Policy policy) override;
  Result<void> DeletePolicy(uint32_t policy_id) override;
  std::vector<Policy> ListPolicies() const override;

  // Deletes every policy this backend installed (for a clean stop with
  // --unblock-on-stop). Errors are collected and the first is returned.
  Result<void> RemoveAllPolicies();

  // The event socket, for the owner's poll loop. Non-blocking.
  int event_fd() const;
  // Reads every queued event and runs the acquire or expire handler for
  // each. An ACQUIRE for a policy this backend did not install is ignored.
  void ProcessEvents();

  // The errno of the kernel's last rejection, 0 after a success.
  int last_errno() const;

  // The reqid that SAs of `policy_id` carry, 0 when the policy is unknown.
  uint32_t ReqidForPolicy(uint32_t policy_id) const;

 private:
  struct InstalledPolicy {
    Policy policy;
    uint32_t kernel_index = 0;
    uint32_t reqid = 0;
  };
  struct InstalledSa {
    EspSaStatus status;
    uint32_t reqid = 0;
  };

  XfrmBackend(XfrmSocket requests, mnl_socket* events);
  Result<uint32_t> FindKernelIndexLocked(const InstalledPolicy& installed);
  uint32_t ChooseReqidLocked(const Policy& policy) const;
  void HandleEvent(const nlmsghdr* message);

  mutable std::mutex mutex_;
  mutable XfrmSocket requests_;
  mnl_socket* events_ = nullptr;
  uint32_t next_policy_id_ = 1;
  std::map<uint32_t, InstalledPolicy> policies_;  // by policy id
  std::vector<InstalledSa> sas_;
  // (SPI, destination) pairs that ALLOCSPI reserved and AddSa has not yet
  // filled in.
  std::set<std::pair<uint32_t, uint32_t>> larval_spis_;
};

}  // namespace ipop::esp::xfrm

#endif  // IPOP_ESP_XFRM_XFRM_BACKEND_H_
