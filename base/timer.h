// Clock and timer interfaces. Exchanges, retransmissions, lifetimes and DPD
// take a TimerService so that tests drive them with ManualTimerService instead
// of sleeping; the daemon supplies one built on its Boost.Asio io_context.
#ifndef IPOP_BASE_TIMER_H_
#define IPOP_BASE_TIMER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <utility>

namespace ipop {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

using TimerId = uint64_t;  // 0 is never a valid id

class TimerService {
 public:
  virtual ~TimerService() = default;
  virtual TimePoint Now() const = 0;
  // Runs `callback` once, `delay` from now, on the thread that owns the
  // service. Returns an id for Cancel.
  virtual TimerId Schedule(Duration delay, std::function<void()> callback) = 0;
  // Cancelling an id that already fired or was cancelled does nothing.
  virtual void Cancel(TimerId id) = 0;
};

// Time moves only when a test calls Advance; due callbacks run in time order.
class ManualTimerService : public TimerService {
 public:
  TimePoint Now() const override { return now_; }
  TimerId Schedule(Duration delay, std::function<void()> callback) override;
  void Cancel(TimerId id) override;

  // Moves the clock forward by `step`, running every callback that falls due,
  // including ones scheduled by callbacks within the step.
  void Advance(Duration step);
  size_t pending() const { return timers_.size(); }

 private:
  using Key = std::pair<TimePoint, TimerId>;
  std::map<Key, std::function<void()>>::iterator FindById(TimerId id);

  TimePoint now_{};
  TimerId next_id_ = 1;
  std::map<Key, std::function<void()>> timers_;
};

}  // namespace ipop

#endif  // IPOP_BASE_TIMER_H_
