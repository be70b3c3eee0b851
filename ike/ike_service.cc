#include "ike/ike_service.h"

#include "base/log.h"

namespace ipop::ike {

// TODO(ike): replace this placeholder with the exchange engine; it keeps the
// daemon linkable while Main Mode and Quick Mode are being written.
class IkeService::Engine {
 public:
  Engine(const config::RuntimeConfig& config, TimerService& timers, esp::KernelSeam& kernel,
         DatagramSender& sender)
      : config_(config), timers_(timers), kernel_(kernel), sender_(sender) {}

  const config::RuntimeConfig& config_;
  TimerService& timers_;
  esp::KernelSeam& kernel_;
  DatagramSender& sender_;
  IkeCounters counters_;
};

IkeService::IkeService(const config::RuntimeConfig& config, TimerService& timers,
                       esp::KernelSeam& kernel, DatagramSender& sender)
    : engine_(std::make_unique<Engine>(config, timers, kernel, sender)) {}

IkeService::~IkeService() = default;

Result<void> IkeService::LoadCredentials() { return {}; }

void IkeService::HandleDatagram(const Endpoint& /*local*/, const Endpoint& remote,
                                ByteView /*message*/) {
  ++engine_->counters_.datagrams_received;
  IPOP_LOG(kWarning) << "IKE message from " << remote.ToString() << " dropped: engine not built yet";
}

void IkeService::Acquire(const esp::AcquireRequest& request) {
  IPOP_LOG(kWarning) << "acquire for " << request.destination.ToString()
                     << " ignored: engine not built yet";
}

std::vector<IsakmpSaStatus> IkeService::ListIsakmpSas() const { return {}; }

IkeCounters IkeService::counters() const { return engine_->counters_; }

void IkeService::Shutdown() {}

}  // namespace ipop::ike
