#include "ike/ike_service.h"

#include "ike/engine.h"

namespace ipop::ike {

IkeService::IkeService(const config::RuntimeConfig& config, TimerService& timers, esp::KernelSeam& kernel,
                       DatagramSender& sender)
    : engine_(std::make_unique<Engine>(config, timers, kernel, sender)) {}

IkeService::~IkeService() = default;

Result<void> IkeService::LoadCredentials() { return engine_->LoadCredentials(); }

void IkeService::HandleDatagram(const Endpoint& local, const Endpoint& remote, ByteView message) {
  engine_->HandleDatagram(local, remote, message);
}

void IkeService::Acquire(const esp::AcquireRequest& request) { engine_->Acquire(request); }

std::vector<IsakmpSaStatus> IkeService::ListIsakmpSas() const { return engine_->ListIsakmpSas(); }

IkeCounters IkeService::counters() const { return engine_->counters(); }

void IkeService::HandlePeerEndpointChange(const esp::SaEndpointChange& change) {
  engine_->HandlePeerEndpointChange(change);
}

void IkeService::HandleSaExpire(const esp::SaExpire& expire) { engine_->HandleSaExpire(expire); }

void IkeService::SetMessageIdSourceForTesting(std::function<uint32_t()> source) {
  engine_->set_message_id_source(std::move(source));
}

void IkeService::SetKeyLog(KeyLog* key_log) { engine_->set_key_log(key_log); }

void IkeService::Shutdown() { engine_->Shutdown(); }

void IkeService::SetPhase1EventHandler(Phase1EventHandler handler) {
  engine_->set_phase1_event_handler(std::move(handler));
}

Result<void> IkeService::Reconfigure(config::RuntimeConfig& live, config::RuntimeConfig next) {
  return engine_->Reconfigure(live, std::move(next));
}

}  // namespace ipop::ike
