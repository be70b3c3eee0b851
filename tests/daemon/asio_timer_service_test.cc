#include "daemon/asio_timer_service.h"

#include <gtest/gtest.h>

#include <vector>

namespace ipop::daemon {
namespace {

using std::chrono::milliseconds;

TEST(AsioTimerService, CallbacksRunInDueOrder) {
  boost::asio::io_context io;
  AsioTimerService timers(io);
  std::vector<int> order;
  timers.Schedule(milliseconds(30), [&] { order.push_back(3); });
  timers.Schedule(milliseconds(10), [&] { order.push_back(1); });
  timers.Schedule(milliseconds(20), [&] { order.push_back(2); });
  EXPECT_EQ(timers.pending(), 3U);
  io.run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(timers.pending(), 0U);
}

TEST(AsioTimerService, CancelledCallbackDoesNotRun) {
  boost::asio::io_context io;
  AsioTimerService timers(io);
  bool ran = false;
  const TimerId id = timers.Schedule(milliseconds(5), [&] { ran = true; });
  timers.Cancel(id);
  timers.Cancel(id);  // a second cancel does nothing
  io.run();
  EXPECT_FALSE(ran);
}

TEST(AsioTimerService, CallbackMayScheduleAnother) {
  boost::asio::io_context io;
  AsioTimerService timers(io);
  int runs = 0;
  timers.Schedule(milliseconds(1), [&] {
    ++runs;
    timers.Schedule(milliseconds(1), [&] { ++runs; });
  });
  io.run();
  EXPECT_EQ(runs, 2);
}

TEST(AsioTimerService, DelayIsRespected) {
  boost::asio::io_context io;
  AsioTimerService timers(io);
  const TimePoint start = timers.Now();
  TimePoint fired;
  timers.Schedule(milliseconds(20), [&] { fired = timers.Now(); });
  io.run();
  EXPECT_GE(fired - start, milliseconds(20));
}

TEST(AsioTimerService, CancelAllStopsEverything) {
  boost::asio::io_context io;
  AsioTimerService timers(io);
  int runs = 0;
  timers.Schedule(milliseconds(1), [&] { ++runs; });
  timers.Schedule(milliseconds(2), [&] { ++runs; });
  timers.CancelAll();
  io.run();
  EXPECT_EQ(runs, 0);
}

}  // namespace
}  // namespace ipop::daemon
