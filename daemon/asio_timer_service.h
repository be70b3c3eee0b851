// TimerService on Boost.Asio steady timers. Callbacks run on the thread that
// runs the io_context, which is the IKE thread.
#ifndef IPOP_DAEMON_ASIO_TIMER_SERVICE_H_
#define IPOP_DAEMON_ASIO_TIMER_SERVICE_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>

#include "base/timer.h"

namespace ipop::daemon {

class AsioTimerService : public TimerService {
 public:
  explicit AsioTimerService(boost::asio::io_context& io) : io_(io) {}
  // Cancels every pending timer; their callbacks do not run.
  ~AsioTimerService() override;

  TimePoint Now() const override { return Clock::now(); }
  TimerId Schedule(Duration delay, std::function<void()> callback) override;
  void Cancel(TimerId id) override;
  // Cancels every pending timer.
  void CancelAll();

  size_t pending() const { return timers_.size(); }

 private:
  boost::asio::io_context& io_;
  TimerId next_id_ = 1;
  std::map<TimerId, std::unique_ptr<boost::asio::steady_timer>> timers_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace ipop::daemon

#endif  // IPOP_DAEMON_ASIO_TIMER_SERVICE_H_
