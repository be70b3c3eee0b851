#include "daemon/natt_keepalive.h"

#include <chrono>
#include <vector>

#include <gtest/gtest.h>

namespace ipop::daemon {
namespace {

using std::chrono::seconds;

Endpoint At(const char* address, uint16_t port) { return Endpoint{*Ipv4Address::Parse(address), port}; }

ike::IsakmpSaStatus SaBehindNat(const char* peer) {
  ike::IsakmpSaStatus sa;
  sa.local = At("10.0.0.2", 4500);
  sa.remote = At(peer, 4500);
  sa.established = true;
  sa.nat_detected_local = true;
  return sa;
}

config::RemoteConfig RemoteWithKeepalive(const char* address, seconds interval) {
  config::RemoteConfig remote;
  remote.address = *Ipv4Address::Parse(address);
  remote.natt_keepalive = interval;
  return remote;
}

struct Sent {
  Endpoint local;
  Endpoint remote;
};

class NattKeepaliveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.remotes.push_back(RemoteWithKeepalive("192.0.2.2", seconds(20)));
    config_.remotes.push_back(RemoteWithKeepalive("192.0.2.3", seconds(0)));
    keepalive_.Start();
  }

  size_t SentTo(const char* peer) const {
    size_t count = 0;
    for (const Sent& sent : sent_) {
      count += sent.remote == At(peer, 4500) ? 1 : 0;
    }
    return count;
  }

  config::RuntimeConfig config_;
  ManualTimerService timers_;
  std::vector<ike::IsakmpSaStatus> sas_;
  std::vector<Sent> sent_;
  NattKeepalive keepalive_{config_, timers_, [this] { return sas_; },
                           [this](const Endpoint& local, const Endpoint& remote) {
                             sent_.push_back({local, remote});
                           }};
};

TEST_F(NattKeepaliveTest, SentEveryIntervalBehindNat) {
  sas_.push_back(SaBehindNat("192.0.2.2"));

  timers_.Advance(seconds(1));
  EXPECT_EQ(SentTo("192.0.2.2"), 1u);
  timers_.Advance(seconds(18));
  EXPECT_EQ(SentTo("192.0.2.2"), 1u);
  timers_.Advance(seconds(2));
  EXPECT_EQ(SentTo("192.0.2.2"), 2u);
  timers_.Advance(seconds(40));
  EXPECT_EQ(SentTo("192.0.2.2"), 4u);
  ASSERT_FALSE(sent_.empty());
  EXPECT_EQ(sent_[0].local, At("10.0.0.2", 4500));
}

TEST_F(NattKeepaliveTest, NoneWhenPeerIsBehindNat) {
  ike::IsakmpSaStatus sa = SaBehindNat("192.0.2.2");
  sa.nat_detected_local = false;
  sa.nat_detected_peer = true;
  sas_.push_back(sa);

  timers_.Advance(seconds(60));
  EXPECT_TRUE(sent_.empty());
}

TEST_F(NattKeepaliveTest, NoneWhenIntervalIsZero) {
  sas_.push_back(SaBehindNat("192.0.2.3"));

  timers_.Advance(seconds(60));
  EXPECT_TRUE(sent_.empty());
}

TEST_F(NattKeepaliveTest, NoneBeforeEstablishedOrOnPort500) {
  ike::IsakmpSaStatus negotiating = SaBehindNat("192.0.2.2");
  negotiating.established = false;
  ike::IsakmpSaStatus on_port_500 = SaBehindNat("192.0.2.2");
  on_port_500.local.port = 500;
  sas_ = {negotiating, on_port_500};

  timers_.Advance(seconds(60));
  EXPECT_TRUE(sent_.empty());
}

TEST_F(NattKeepaliveTest, OnePerPeerAfterRekey) {
  sas_ = {SaBehindNat("192.0.2.2"), SaBehindNat("192.0.2.2")};

  timers_.Advance(seconds(1));
  EXPECT_EQ(SentTo("192.0.2.2"), 1u);
}

TEST_F(NattKeepaliveTest, UnknownPeerUsesDefaultInterval) {
  sas_.push_back(SaBehindNat("198.51.100.7"));

  timers_.Advance(seconds(1));
  EXPECT_EQ(SentTo("198.51.100.7"), 1u);
  timers_.Advance(seconds(19));
  EXPECT_EQ(SentTo("198.51.100.7"), 1u);
  timers_.Advance(seconds(1));
  EXPECT_EQ(SentTo("198.51.100.7"), 2u);
}

TEST_F(NattKeepaliveTest, StopCancelsTimer) {
  sas_.push_back(SaBehindNat("192.0.2.2"));
  keepalive_.Stop();

  timers_.Advance(seconds(60));
  EXPECT_TRUE(sent_.empty());
  EXPECT_EQ(timers_.pending(), 0u);
}

}  // namespace
}  // namespace ipop::daemon
