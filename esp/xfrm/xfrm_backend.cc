#include "esp/xfrm/xfrm_backend.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "esp/xfrm/guard_plan.h"
#include "esp/xfrm/netlink_attr.h"
#include "esp/xfrm/xfrm_algorithms.h"
#include "esp/xfrm/xfrm_guard.h"
#include "esp/xfrm/xfrm_sa_message.h"

namespace ipop::esp::xfrm {
namespace {

// Kernel priority of policy id n is kBasePriority + n, the guard's scheme, so
// the kernel picks the first matching entry in SPD order.
constexpr uint32_t kBasePriority = 0x40000000;
constexpr size_t kEventBufferSize = 8192;

uint32_t GroupBit(uint32_t group) { return 1u << (group - 1); }

KernelPolicy ToKernelPolicy(const Policy& policy, uint32_t reqid) {
  KernelPolicy kernel;
  kernel.selector = MakeSelector(policy.selector);
  kernel.direction = ToXfrmDirection(policy.direction);
  kernel.priority = kBasePriority + policy.id;
  // Policies live in the fail-closed guard's index range, so that a run in
  // userspace mode takes over what a kernel-mode run left behind, and the
  // other way round, instead of refusing to start over a foreign policy.
  if (policy.id < kGuardIndexSlots) {
    kernel.index = kGuardIndexBase + policy.id * 8 + kernel.direction;
  }
  switch (policy.action) {
    case PolicyAction::kBypass:
      kernel.action = XFRM_POLICY_ALLOW;
      return kernel;
    case PolicyAction::kDiscard:
      kernel.action = XFRM_POLICY_BLOCK;
      return kernel;
    case PolicyAction::kIpsec:
      break;
  }
  kernel.action = XFRM_POLICY_ALLOW;
  xfrm_user_tmpl tmpl =
      policy.mode == IpsecMode::kTunnel
          ? MakeRequiredEspTunnelTemplate(policy.tunnel_source, policy.tunnel_destination)
          : MakeRequiredEspTransportTemplate();
  tmpl.reqid = reqid;
  // "use" sends in clear while no SA exists; the other levels require one.
  tmpl.optional = policy.level == IpsecLevel::kUse ? 1 : 0;
  kernel.esp_template = tmpl;
  return kernel;
}

crypto::EspCipher CipherFromKernelName(const std::string& name, crypto::EspCipher fallback) {
  if (name == "cbc(des3_ede)") {
    return crypto::EspCipher::k3desCbc;
  }
  if (name == "cbc(aes)") {
    return crypto::EspCipher::kAesCbc;
  }
  if (name == "rfc4106(gcm(aes))") {
    return crypto::EspCipher::kAesGcm16;
  }
  return fallback;
}

}  // namespace

Result<void> EnableEspInUdp(int fd) {
  const int type = UDP_ENCAP_ESPINUDP;
  if (setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type)) < 0) {
    return Fail(ErrorCode::kSystem,
                std::string("setting UDP_ENCAP_ESPINUDP on the NAT-T socket failed: ") +
                    std::strerror(errno));
  }
  return {};
}

Result<std::unique_ptr<XfrmBackend>> XfrmBackend::Open() {
  auto requests = XfrmSocket::Open();
  if (!requests) {
    return std::unexpected(requests.error());
  }
  mnl_socket* events = mnl_socket_open(NETLINK_XFRM);
  if (events == nullptr) {
    return Fail(ErrorCode::kSystem,
                std::string("opening the XFRM event socket failed: ") + std::strerror(errno));
  }
  if (mnl_socket_bind(events, GroupBit(XFRMNLGRP_ACQUIRE) | GroupBit(XFRMNLGRP_EXPIRE),
                      MNL_SOCKET_AUTOPID) < 0) {
    const int error = errno;
    mnl_socket_close(events);
    return Fail(ErrorCode::kSystem, std::string("subscribing to XFRM ACQUIRE and EXPIRE failed: ") +
                                        std::strerror(error));
  }
  const int fd = mnl_socket_get_fd(events);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return std::unique_ptr<XfrmBackend>(new XfrmBackend(std::move(*requests), events));
}

XfrmBackend::XfrmBackend(XfrmSocket requests, mnl_socket* events)
    : requests_(std::move(requests)), events_(events) {}

XfrmBackend::~XfrmBackend() {
  if (events_ != nullptr) {
    mnl_socket_close(events_);
  }
}

int XfrmBackend::event_fd() const { return mnl_socket_get_fd(events_); }

int XfrmBackend::last_errno() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_.last_errno();
}

uint32_t XfrmBackend::ReqidForPolicy(uint32_t policy_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = policies_.find(policy_id);
  return found == policies_.end() ? 0 : found->second.reqid;
}

Result<uint32_t> XfrmBackend::AllocateSpi(Ipv4Address source, Ipv4Address destination) {
  std::lock_guard<std::mutex> lock(mutex_);
  XfrmMessage request = BuildAllocateSpi(source, destination, 0, requests_.NextSequence());
  std::optional<uint32_t> spi;
  auto done = requests_.RequestWithReply(request, [&spi](const nlmsghdr* reply) -> Result<void> {
    auto sa = ParseSaMessage(reply);
    if (!sa) {
      return std::unexpected(sa.error());
    }
    spi = sa->spi;
    return {};
  });
  if (!done) {
    return Fail(ErrorCode::kSystem, "XFRM_MSG_ALLOCSPI " + source.ToString() + " -> " +
                                        destination.ToString() + " failed: " + done.error().detail);
  }
  if (!spi || *spi < kMinAllocatedSpi) {
    return Fail(ErrorCode::kMalformed, "XFRM_MSG_ALLOCSPI reply carries no usable SPI");
  }
  larval_spis_.emplace(*spi, destination.value());
  return *spi;
}

Result<void> XfrmBackend::AddSa(EspSaConfig config) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto policy = policies_.find(config.policy_id);
  const uint32_t reqid = policy == policies_.end() ? 0 : policy->second.reqid;
  const auto larval_key = std::make_pair(config.spi, config.destination.value());
  const bool update = larval_spis_.contains(larval_key);

  auto request = BuildNewSa(config, reqid, update, requests_.NextSequence());
  if (!request) {
    return std::unexpected(request.error());
  }
  if (auto sent = requests_.RequestAndWipe(*request); !sent) {
    const std::string operation = update ? "XFRM_MSG_UPDSA" : "XFRM_MSG_NEWSA";
    if (requests_.last_errno() == EEXIST) {
      // Two peers behind one NAT share its address and each chooses the
      // SPI of the SA we send to it, so they can pick the same one.
      const std::string detail =
          operation + ": the kernel already has an ESP SA with SPI " + std::to_string(config.spi) +
          " to " + config.destination.ToString() +
          "; XFRM keys SAs by destination, SPI and protocol only, so a second peer behind the "
          "same NAT that chose the same SPI cannot get a kernel SA (use --offload userspace)";
      IPOP_LOG(kError) << detail;
      return Fail(ErrorCode::kSystem, detail);
    }
    return Fail(ErrorCode::kSystem, operation + ": " + sent.error().detail);
  }
  larval_spis_.erase(larval_key);

  InstalledSa installed;
  installed.reqid = reqid;
  EspSaStatus& status = installed.status;
  status.spi = config.spi;
  status.source = config.source;
  status.destination = config.destination;
  status.inbound = config.inbound;
  status.mode = config.mode;
  status.cipher = config.cipher;
  status.aes_key_bits = config.aes_key_bits;
  status.integrity = config.integrity;
  status.encapsulation = config.encapsulation;
  status.policy_id = config.policy_id;
  status.created = std::chrono::system_clock::now();
  status.backend = name();
  sas_.push_back(std::move(installed));
  return {};
}

Result<void> XfrmBackend::DeleteSa(uint32_t spi, Ipv4Address destination) {
  std::lock_guard<std::mutex> lock(mutex_);
  XfrmMessage request = BuildDeleteSa(spi, destination, requests_.NextSequence());
  // ESRCH: the kernel already removed it (a hard expiry), which is the goal.
  auto deleted = requests_.Request(request, ESRCH);
  std::erase_if(sas_, [&](const InstalledSa& sa) {
    return sa.status.spi == spi && sa.status.destination == destination;
  });
  larval_spis_.erase(std::make_pair(spi, destination.value()));
  if (!deleted) {
    return Fail(ErrorCode::kSystem, "XFRM_MSG_DELSA spi " + std::to_string(spi) + " dst " +
                                        destination.ToString() + " failed: " +
                                        deleted.error().detail);
  }
  return {};
}

std::vector<EspSaStatus> XfrmBackend::ListSas() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<EspSaStatus> result;
  for (const InstalledSa& sa : sas_) {
    result.push_back(sa.status);
  }
  XfrmMessage request = BuildSaDump(requests_.NextSequence());
  auto dumped = requests_.Dump(request, [&result](const nlmsghdr* message) -> Result<void> {
    auto sa = ParseSaMessage(message);
    if (!sa || sa->protocol != kIpProtocolEsp) {
      return {};
    }
    for (EspSaStatus& status : result) {
      if (status.spi == sa->spi && status.destination == sa->destination) {
        status.bytes = sa->current.bytes;
        status.packets = sa->current.packets;
        status.replay_drops = sa->stats.replay;
        status.integrity_drops = sa->stats.integrity_failed;
        status.cipher = CipherFromKernelName(sa->cipher_name, status.cipher);
      }
    }
    return {};
  });
  if (!dumped) {
    IPOP_LOG(kWarning) << "XFRM SA dump failed, counters are missing: " << dumped.error().detail;
  }
  return result;
}

uint32_t XfrmBackend::ChooseReqidLocked(const Policy& policy) const {
  if (policy.direction == PolicyDirection::kFwd) {
    for (const auto& [id, installed] : policies_) {
      const Selector& other = installed.policy.selector;
      if (installed.policy.direction == PolicyDirection::kIn &&
          other.source == policy.selector.source &&
          other.destination == policy.selector.destination &&
          other.protocol == policy.selector.protocol &&
          other.source_port == policy.selector.source_port &&
          other.destination_port == policy.selector.destination_port) {
        return installed.reqid;
      }
    }
  }
  return policy.id;
}

Result<uint32_t> XfrmBackend::FindKernelIndexLocked(const InstalledPolicy& installed) {
  const KernelPolicy expected = ToKernelPolicy(installed.policy, installed.reqid);
  std::optional<uint32_t> index;
  XfrmMessage request = BuildPolicyDump(requests_.NextSequence());
  auto dumped = requests_.Dump(request, [&](const nlmsghdr* message) -> Result<void> {
    auto policy = ParsePolicyMessage(message);
    if (policy && SameKey(*policy, expected)) {
      index = policy->index;
    }
    return {};
  });
  if (!dumped) {
    return std::unexpected(dumped.error());
  }
  if (!index) {
    return Fail(ErrorCode::kNotFound, "policy " + DescribePolicy(expected) +
                                          " missing from the kernel after XFRM_MSG_UPDPOLICY");
  }
  return *index;
}

Result<Policy> XfrmBackend::AddPolicy(Policy policy) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (policy.id == 0) {
    policy.id = next_policy_id_;
  }
  next_policy_id_ = std::max(next_policy_id_, policy.id + 1);
  if (policies_.contains(policy.id)) {
    return Fail(ErrorCode::kInvalidArgument,
                "policy id " + std::to_string(policy.id) + " is already installed");
  }

  InstalledPolicy installed{.policy = policy, .kernel_index = 0, .reqid = 0};
  installed.reqid = ChooseReqidLocked(policy);
  const KernelPolicy kernel = ToKernelPolicy(policy, installed.reqid);
  if (auto sent = requests_.Request(BuildUpdatePolicy(kernel, requests_.NextSequence())); !sent) {
    return Fail(ErrorCode::kSystem, "XFRM_MSG_UPDPOLICY " + DescribePolicy(kernel) + " from " +
                                        policy.origin + " failed: " + sent.error().detail);
  }
  auto index = FindKernelIndexLocked(installed);
  if (!index) {
    return std::unexpected(index.error());
  }
  installed.kernel_index = *index;
  policies_.emplace(policy.id, installed);
  return policy;
}

Result<void> XfrmBackend::DeletePolicy(uint32_t policy_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = policies_.find(policy_id);
  if (found == policies_.end()) {
    return Fail(ErrorCode::kNotFound, "no kernel policy with id " + std::to_string(policy_id));
  }
  const InstalledPolicy installed = found->second;
  policies_.erase(found);
  XfrmMessage request =
      BuildDeletePolicy(installed.kernel_index, ToXfrmDirection(installed.policy.direction),
                        XFRM_POLICY_TYPE_MAIN, requests_.NextSequence());
  // ENOENT: an operator already deleted it.
  if (auto deleted = requests_.Request(request, ENOENT); !deleted) {
    return Fail(ErrorCode::kSystem, "XFRM_MSG_DELPOLICY index " +
                                        std::to_string(installed.kernel_index) + " failed: " +
                                        deleted.error().detail);
  }
  return {};
}

std::vector<Policy> XfrmBackend::ListPolicies() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Policy> result;
  for (const auto& [id, installed] : policies_) {
    result.push_back(installed.policy);
  }
  return result;
}

Result<void> XfrmBackend::RemoveAllPolicies() {
  std::vector<uint32_t> ids;
  for (const Policy& policy : ListPolicies()) {
    ids.push_back(policy.id);
  }
  Result<void> first_error;
  for (uint32_t id : ids) {
    if (auto deleted = DeletePolicy(id); !deleted && first_error) {
      first_error = deleted;
    }
  }
  return first_error;
}

void XfrmBackend::ProcessEvents() {
  std::array<std::byte, kEventBufferSize> buffer{};
  while (true) {
    const ssize_t received = mnl_socket_recvfrom(events_, buffer.data(), buffer.size());
    if (received < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        // ENOBUFS: the kernel dropped events because the socket was full.
        IPOP_LOG(kWarning) << "reading XFRM events failed: " << std::strerror(errno);
      }
      return;
    }
    const auto* message = reinterpret_cast<const nlmsghdr*>(buffer.data());
    int remaining = static_cast<int>(received);
    while (mnl_nlmsg_ok(message, remaining)) {
      HandleEvent(message);
      message = mnl_nlmsg_next(message, &remaining);
    }
  }
}

void XfrmBackend::HandleEvent(const nlmsghdr* message) {
  if (message->nlmsg_type == XFRM_MSG_ACQUIRE) {
    auto acquire = ParseAcquireMessage(message);
    if (!acquire) {
      IPOP_LOG(kWarning) << "invalid XFRM ACQUIRE: " << acquire.error().detail;
      return;
    }
    std::optional<uint32_t> policy_id;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const auto& [id, installed] : policies_) {
        if (installed.kernel_index == acquire->policy_index) {
          policy_id = id;
        }
      }
    }
    if (!policy_id) {
      IPOP_LOG(kDebug) << "ignored XFRM ACQUIRE for policy index " << acquire->policy_index
                       << " that ipop-espd did not install";
      return;
    }
    if (acquire_handler_) {
      acquire_handler_(AcquireRequest{.policy_id = *policy_id,
                                      .source = acquire->source,
                                      .destination = acquire->destination,
                                      .protocol = acquire->protocol});
    }
    return;
  }
  if (message->nlmsg_type == XFRM_MSG_EXPIRE) {
    auto expire = ParseExpireMessage(message);
    if (!expire) {
      IPOP_LOG(kWarning) << "invalid XFRM EXPIRE: " << expire.error().detail;
      return;
    }
    if (expire->hard) {
      // The kernel has removed the state already.
      std::lock_guard<std::mutex> lock(mutex_);
      std::erase_if(sas_, [&](const InstalledSa& sa) {
        return sa.status.spi == expire->spi && sa.status.destination == expire->destination;
      });
    }
    if (expire_handler_) {
      expire_handler_(*expire);
    }
  }
}

}  // namespace ipop::esp::xfrm
