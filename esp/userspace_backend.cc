#include "esp/userspace_backend.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "base/log.h"
#include "crypto/random.h"

namespace ipop::esp {
namespace {

// Random SPIs drawn before AllocateSpi gives up. With a few SAs in a 2^32
// space, 64 collisions in a row would mean a broken random source.
constexpr int kSpiAttempts = 64;

std::string SaName(uint32_t spi, Ipv4Address destination) {
  char hex[16];
  std::snprintf(hex, sizeof(hex), "0x%08x", spi);
  return std::string("spi=") + std::to_string(spi) + "(" + hex + ") dst=" +
         destination.ToString();
}

// True when `a` and `b` are outbound ESP-in-UDP SAs to different UDP ports,
// which is how two peers behind one NAT differ.
bool ApartByUdpPort(const EspSaConfig& a, const EspSaConfig& b) {
  return !a.inbound && !b.inbound && a.encapsulation && b.encapsulation &&
         a.encapsulation->destination_port != b.encapsulation->destination_port;
}

}  // namespace

UserspaceBackend::UserspaceBackend(size_t worker_count)
    : worker_count_(std::max<size_t>(worker_count, 1)) {
  std::lock_guard<std::mutex> lock(mutex_);
  PublishLocked();
}

Result<uint32_t> UserspaceBackend::AllocateSpi(Ipv4Address /*source*/,
                                               Ipv4Address destination) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (int attempt = 0; attempt < kSpiAttempts; ++attempt) {
    const uint32_t spi = crypto::RandomU32();
    if (spi < kMinSpi || reserved_spis_.contains(spi)) {
      continue;
    }
    const bool in_use = std::any_of(sas_.begin(), sas_.end(), [spi](const auto& sa) {
      return sa->inbound() && sa->spi() == spi;
    });
    if (in_use) {
      continue;
    }
    reserved_spis_.insert(spi);
    return spi;
  }
  return Fail(ErrorCode::kSystem,
              "no unused SPI found for " + destination.ToString() + " after " +
                  std::to_string(kSpiAttempts) + " random draws");
}

Result<void> UserspaceBackend::AddSa(EspSaConfig config) {
  const std::string name = SaName(config.spi, config.destination);
  if (config.spi < kMinSpi) {
    return Fail(ErrorCode::kInvalidArgument, "SPI below 256 is reserved (RFC 4303 §2.1): " + name);
  }
  if (config.replay_window > kMaxReplayWindow) {
    return Fail(ErrorCode::kInvalidArgument,
                "replay window " + std::to_string(config.replay_window) + " above maximum " +
                    std::to_string(kMaxReplayWindow) + ": " + name);
  }

  std::lock_guard<std::mutex> lock(mutex_);
  const bool duplicate = std::any_of(sas_.begin(), sas_.end(), [&config](const auto& sa) {
    return sa->spi() == config.spi && sa->config().destination == config.destination &&
           sa->inbound() == config.inbound && !ApartByUdpPort(sa->config(), config);
  });
  if (duplicate) {
    return Fail(ErrorCode::kInvalidArgument, "SA already exists: " + name);
  }

  const uint32_t spi = config.spi;
  const bool inbound = config.inbound;
  auto sa = SecurityAssociation::Create(std::move(config), worker_count_,
                                        std::chrono::system_clock::now());
  if (!sa) {
    return Fail(sa.error().code, sa.error().detail + ": " + name);
  }
  if (inbound) {
    reserved_spis_.erase(spi);
  }
  sas_.push_back(std::move(*sa));
  PublishLocked();
  IPOP_LOG(kDebug) << "userspace SA added: " << name << (inbound ? " inbound" : " outbound");
  return {};
}

Result<void> UserspaceBackend::DeleteSa(uint32_t spi, Ipv4Address destination) {
  std::lock_guard<std::mutex> lock(mutex_);
  return DeleteOneLocked(
      [&](const SecurityAssociation& sa) {
        return sa.spi() == spi && sa.config().destination == destination;
      },
      spi, SaName(spi, destination));
}

Result<void> UserspaceBackend::DeleteEncapsulatedSa(uint32_t spi, Ipv4Address destination,
                                                    uint16_t destination_port) {
  std::lock_guard<std::mutex> lock(mutex_);
  return DeleteOneLocked(
      [&](const SecurityAssociation& sa) {
        const auto& encapsulation = sa.config().encapsulation;
        return sa.spi() == spi && sa.config().destination == destination && encapsulation &&
               encapsulation->destination_port == destination_port;
      },
      spi, SaName(spi, destination) + " udp-port=" + std::to_string(destination_port));
}

Result<void> UserspaceBackend::DeleteOneLocked(
    const std::function<bool(const SecurityAssociation&)>& matches, uint32_t spi,
    const std::string& name) {
  const auto count =
      std::count_if(sas_.begin(), sas_.end(), [&](const auto& sa) { return matches(*sa); });
  if (count == 0) {
    return Fail(ErrorCode::kNotFound, "no SA with " + name);
  }
  if (count > 1) {
    return Fail(ErrorCode::kInvalidArgument,
                std::to_string(count) + " SAs match " + name +
                    " (peers behind one NAT chose the same SPI); delete one by its UDP port");
  }
  std::erase_if(sas_, [&](const auto& sa) { return matches(*sa); });
  reserved_spis_.erase(spi);
  PublishLocked();
  IPOP_LOG(kDebug) << "userspace SA deleted: " << name;
  return {};
}

std::vector<EspSaStatus> UserspaceBackend::ListSas() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<EspSaStatus> list;
  list.reserve(sas_.size());
  for (const auto& sa : sas_) {
    list.push_back(sa->Status());
  }
  return list;
}

Result<Policy> UserspaceBackend::AddPolicy(Policy policy) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto added = spd_.Add(std::move(policy));
  if (added) {
    PublishLocked();
  }
  return added;
}

Result<void> UserspaceBackend::DeletePolicy(uint32_t policy_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto deleted = spd_.Delete(policy_id);
  if (deleted) {
    PublishLocked();
  }
  return deleted;
}

std::vector<Policy> UserspaceBackend::ListPolicies() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return spd_.policies();
}

void UserspaceBackend::set_snapshot_listener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(mutex_);
  snapshot_listener_ = std::move(listener);
}

void UserspaceBackend::RequestAcquire(const AcquireRequest& request) const {
  if (acquire_handler_) {
    acquire_handler_(request);
  }
}

void UserspaceBackend::ReportEndpointChange(const SaEndpointChange& change) const {
  if (endpoint_change_handler_) {
    endpoint_change_handler_(change);
  }
}

void UserspaceBackend::ReportExpire(const SaExpire& expire) const {
  if (expire_handler_) {
    expire_handler_(expire);
  }
}

void UserspaceBackend::PublishLocked() {
  auto next = std::make_shared<SadSnapshot>();
  next->generation = ++generation_;
  next->spd = spd_;
  // Newest first, so that after a rekey the outbound path picks the new SA.
  for (auto it = sas_.rbegin(); it != sas_.rend(); ++it) {
    const auto& sa = *it;
    const EspSaConfig& config = sa->config();
    if (sa->inbound()) {
      next->inbound.emplace(SadSnapshot::InboundKey(config.spi, config.destination), sa);
    } else {
      next->outbound[SadSnapshot::OutboundKey(config.source, config.destination)].push_back(sa);
    }
  }
  std::shared_ptr<const SadSnapshot> previous;
  {
    std::lock_guard<SpinLock> guard(snapshot_lock_);
    previous = std::exchange(snapshot_, std::move(next));
  }
  // `previous` is released here, outside the spinlock, because freeing a
  // snapshot can free SAs and their crypto contexts.
  if (snapshot_listener_) {
    snapshot_listener_();
  }
}

}  // namespace ipop::esp
