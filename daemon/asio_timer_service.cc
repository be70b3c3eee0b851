#include "daemon/asio_timer_service.h"

#include <utility>

namespace ipop::daemon {

AsioTimerService::~AsioTimerService() { CancelAll(); }

TimerId AsioTimerService::Schedule(Duration delay, std::function<void()> callback) {
  const TimerId id = next_id_++;
  auto timer = std::make_unique<boost::asio::steady_timer>(io_, delay);
  // The completion handler checks the map rather than the error code alone:
  // an entry removed by Cancel must not run even if its wait already
  // completed and the handler is queued. The weak token covers a handler
  // that runs after this service was destroyed.
  std::weak_ptr<int> alive = alive_;
  timer->async_wait([this, alive, id, callback = std::move(callback)](
                        const boost::system::error_code& error) {
    if (error || alive.expired()) {
      return;
    }
    auto it = timers_.find(id);
    if (it == timers_.end()) {
      return;
    }
    timers_.erase(it);
    callback();
  });
  timers_.emplace(id, std::move(timer));
  return id;
}

void AsioTimerService::Cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) {
    return;
  }
  it->second->cancel();
  timers_.erase(it);
}

void AsioTimerService::CancelAll() {
  for (auto& [id, timer] : timers_) {
    timer->cancel();
  }
  timers_.clear();
}

}  // namespace ipop::daemon
