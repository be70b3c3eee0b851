#include "base/timer.h"

namespace ipop {

TimerId ManualTimerService::Schedule(Duration delay, std::function<void()> callback) {
  const TimerId id = next_id_++;
  timers_.emplace(Key{now_ + delay, id}, std::move(callback));
  return id;
}

std::map<ManualTimerService::Key, std::function<void()>>::iterator ManualTimerService::FindById(
    TimerId id) {
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->first.second == id) {
      return it;
    }
  }
  return timers_.end();
}

void ManualTimerService::Cancel(TimerId id) {
  auto it = FindById(id);
  if (it != timers_.end()) {
    timers_.erase(it);
  }
}

void ManualTimerService::Advance(Duration step) {
  const TimePoint end = now_ + step;
  while (!timers_.empty() && timers_.begin()->first.first <= end) {
    auto it = timers_.begin();
    now_ = it->first.first;
    std::function<void()> callback = std::move(it->second);
    timers_.erase(it);
    callback();
  }
  now_ = end;
}

}  // namespace ipop
