// Dead Peer Detection (RFC 3706) between two in-memory peers on a mock
// clock. A probes with dpd_delay 10 s, dpd_retry 2 s and dpd_maxfail 3
// unless a test changes it, so an idle peer is declared dead 10 + 3 * 2 s
// after the last proof of life.
#include <gtest/gtest.h>

#include <chrono>

#include "ike/dpd.h"
#include "ike/isakmp_header.h"
#include "ike/isakmp_sa.h"
#include "ike/message.h"
#include "tests/ike/exchange_harness.h"

namespace ipop::ike::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class DpdTest : public ::testing::Test {
 protected:
  void MakeNodes(bool b_sends_dpd_vendor_id = true) {
    config::RuntimeConfig config_a =
        MakeConfig("10.77.0.1", kCertDir + "/10.77.0.1", kCertDir + "/rootCA.pem", RacoonSuite());
    config_a.remotes[0].dpd_delay = seconds(10);
    config_a.remotes[0].dpd_retry = seconds(2);
    config_a.remotes[0].dpd_maxfail = 3;
    config::RuntimeConfig config_b =
        MakeConfig("10.77.0.2", kCertDir + "/10.77.0.2", kCertDir + "/rootCA.pem", RacoonSuite());
    config_b.remotes[0].dpd = b_sends_dpd_vendor_id;
    a_ = std::make_unique<Node>("10.77.0.1", config_a, timers_, 0x1000);
    b_ = std::make_unique<Node>("10.77.0.2", config_b, timers_, 0x2000);
    ASSERT_TRUE(a_->service->LoadCredentials().has_value());
    ASSERT_TRUE(b_->service->LoadCredentials().has_value());
    AddPolicies(*a_);
    AddPolicies(*b_);
  }

  // Runs Main Mode and Quick Mode from A; afterwards both outboxes are empty.
  void Negotiate() {
    a_->service->Acquire(AcquireFor(*a_, *b_));
    DeliverAll(*a_, *b_);
    ASSERT_EQ(a_->kernel.sas.size(), 2u);
    ASSERT_EQ(b_->kernel.sas.size(), 2u);
  }

  // Makes A's backend report `count` more ESP packets on its inbound SA.
  void ReceiveEspAtA(uint64_t count) {
    const esp::EspSaConfig* inbound = a_->kernel.FindDirection(/*inbound=*/true);
    ASSERT_NE(inbound, nullptr);
    a_->kernel.packets[inbound->spi] += count;
  }

  uint64_t RequestsSentByA() const { return a_->service->counters().dpd_requests_sent; }

  ManualTimerService timers_;
  std::unique_ptr<Node> a_;
  std::unique_ptr<Node> b_;
};

TEST_F(DpdTest, NoRequestWhileEspArrives) {
  MakeNodes();
  Negotiate();
  for (int second = 0; second < 60; ++second) {
    ReceiveEspAtA(1);
    timers_.Advance(seconds(1));
  }
  EXPECT_EQ(RequestsSentByA(), 0u);
  EXPECT_TRUE(a_->outbox.queue.empty());
}

TEST_F(DpdTest, RequestAfterIdleDelayIsAcknowledged) {
  LogCapture log;
  MakeNodes();
  Negotiate();
  timers_.Advance(milliseconds(9999));
  EXPECT_EQ(RequestsSentByA(), 0u);
  timers_.Advance(milliseconds(1));
  EXPECT_EQ(RequestsSentByA(), 1u);

  // HDR*, HASH(1), N(R-U-THERE) -->
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  auto request = ParseMessage(a_->outbox.queue.front().bytes);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->header().exchange_type, ExchangeType::kInformational);
  EXPECT_TRUE(request->header().encrypted());
  DeliverOne(*a_, *b_);
  EXPECT_TRUE(log.Contains("DPD R-U-THERE received from 10.77.0.1[500]"));

  // <-- HDR*, HASH(1), N(R-U-THERE-ACK)
  ASSERT_EQ(b_->outbox.queue.size(), 1u);
  DeliverOne(*b_, *a_);
  EXPECT_EQ(a_->service->counters().dpd_acks_received, 1u);

  // The ACK closed the request: no retry, and the next request comes one
  // dpd_delay later.
  timers_.Advance(milliseconds(9999));
  EXPECT_EQ(RequestsSentByA(), 1u);
  timers_.Advance(milliseconds(1));
  EXPECT_EQ(RequestsSentByA(), 2u);
}

TEST_F(DpdTest, IdleTimeCountsFromLastEsp) {
  MakeNodes();
  Negotiate();
  timers_.Advance(seconds(6));
  ReceiveEspAtA(5);
  // The check at 10 s sees the packets, so the peer is idle only from then
  // and the first request goes at 20 s.
  timers_.Advance(milliseconds(13999));
  EXPECT_EQ(RequestsSentByA(), 0u);
  timers_.Advance(milliseconds(1));
  EXPECT_EQ(RequestsSentByA(), 1u);
}

TEST_F(DpdTest, PeerDeadAfterMaxfailRequests) {
  LogCapture log;
  MakeNodes();
  Negotiate();
  // B's link is cut: nothing A sends arrives.
  timers_.Advance(seconds(10));
  EXPECT_EQ(RequestsSentByA(), 1u);
  a_->outbox.queue.clear();
  timers_.Advance(seconds(2));
  EXPECT_EQ(RequestsSentByA(), 2u);
  timers_.Advance(seconds(2));
  EXPECT_EQ(RequestsSentByA(), 3u);
  timers_.Advance(milliseconds(1999));
  EXPECT_EQ(a_->service->counters().dpd_peers_dead, 0u);
  EXPECT_EQ(a_->kernel.sas.size(), 2u);

  timers_.Advance(milliseconds(1));
  EXPECT_EQ(RequestsSentByA(), 3u);
  EXPECT_EQ(a_->service->counters().dpd_peers_dead, 1u);
  EXPECT_TRUE(log.Contains("DPD: remote (ISAKMP-SA spi="));
  EXPECT_TRUE(log.Contains(") seems to be dead."));
  EXPECT_TRUE(a_->kernel.sas.empty());
  EXPECT_TRUE(a_->service->ListIsakmpSas().empty());
}

TEST_F(DpdTest, NextAcquireAfterDeathRenegotiates) {
  LogCapture log;
  MakeNodes();
  Negotiate();
  timers_.Advance(seconds(16));
  ASSERT_EQ(a_->service->counters().dpd_peers_dead, 1u);
  // The link was down, so B saw neither the requests nor the Deletes.
  a_->outbox.queue.clear();
  ASSERT_EQ(b_->kernel.sas.size(), 2u);

  // The link is back and a packet raises an ACQUIRE. The new phase 1
  // carries INITIAL-CONTACT, so B drops the SAs A forgot.
  const size_t contacts_before = log.Count("received INITIAL-CONTACT");
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverAll(*a_, *b_);
  timers_.Advance(seconds(1));
  EXPECT_EQ(a_->kernel.sas.size(), 2u);
  EXPECT_EQ(b_->kernel.sas.size(), 2u);
  EXPECT_EQ(a_->service->ListIsakmpSas().size(), 1u);
  EXPECT_EQ(b_->service->ListIsakmpSas().size(), 1u);
  EXPECT_EQ(log.Count("received INITIAL-CONTACT"), contacts_before + 1);
  const esp::EspSaConfig* outbound = a_->kernel.FindDirection(/*inbound=*/false);
  ASSERT_NE(outbound, nullptr);
  EXPECT_NE(b_->kernel.Find(outbound->spi), nullptr);
}

TEST_F(DpdTest, EspDuringRetryEndsRequest) {
  MakeNodes();
  Negotiate();
  timers_.Advance(seconds(10));
  ASSERT_EQ(RequestsSentByA(), 1u);
  a_->outbox.queue.clear();
  ReceiveEspAtA(1);
  timers_.Advance(seconds(2));
  // No retry: the packet proved B alive, and the idle check resumes.
  timers_.Advance(milliseconds(9999));
  EXPECT_EQ(RequestsSentByA(), 1u);
  timers_.Advance(milliseconds(1));
  EXPECT_EQ(RequestsSentByA(), 2u);
  EXPECT_EQ(a_->service->counters().dpd_peers_dead, 0u);
}

TEST_F(DpdTest, StaleAckIgnored) {
  MakeNodes();
  Negotiate();
  timers_.Advance(seconds(10));
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  const Datagram first_request = a_->outbox.queue.front();
  a_->outbox.queue.clear();
  timers_.Advance(seconds(2));
  ASSERT_EQ(a_->outbox.queue.size(), 1u);

  // B answers the first request late: its sequence number is no longer the
  // one A waits for.
  b_->service->HandleDatagram(first_request.remote, first_request.local, first_request.bytes);
  ASSERT_EQ(b_->outbox.queue.size(), 1u);
  DeliverOne(*b_, *a_);
  EXPECT_EQ(a_->service->counters().dpd_acks_received, 0u);
  EXPECT_EQ(a_->service->counters().drops.at("stale R-U-THERE-ACK"), 1u);

  // The answer to the second request is accepted.
  DeliverAll(*a_, *b_);
  EXPECT_EQ(a_->service->counters().dpd_acks_received, 1u);
  timers_.Advance(seconds(5));
  EXPECT_EQ(RequestsSentByA(), 2u);
  EXPECT_EQ(a_->service->counters().dpd_peers_dead, 0u);
}

TEST_F(DpdTest, PeerRequestsProveItAlive) {
  MakeNodes();
  // B probes every 4 s; each R-U-THERE authenticates B to A.
  b_->config.remotes[0].dpd_delay = seconds(4);
  Negotiate();
  for (int step = 0; step < 15; ++step) {
    timers_.Advance(seconds(2));
    DeliverAll(*a_, *b_);
  }
  EXPECT_GT(b_->service->counters().dpd_requests_sent, 0u);
  EXPECT_EQ(RequestsSentByA(), 0u);
}

TEST_F(DpdTest, NoRequestsWithoutPeerVendorId) {
  LogCapture log;
  MakeNodes(/*b_sends_dpd_vendor_id=*/false);
  Negotiate();
  timers_.Advance(seconds(60));
  EXPECT_EQ(RequestsSentByA(), 0u);
  EXPECT_TRUE(log.Contains("DPD disabled with 10.77.0.2[500]: the peer did not send the DPD vendor ID"));
}

TEST_F(DpdTest, TamperedRequestGetsNoAck) {
  MakeNodes();
  Negotiate();
  timers_.Advance(seconds(10));
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  Datagram request = a_->outbox.queue.front();
  a_->outbox.queue.clear();
  request.bytes.back() ^= std::byte{1};
  b_->service->HandleDatagram(request.remote, request.local, request.bytes);
  EXPECT_TRUE(b_->outbox.queue.empty());
  EXPECT_EQ(b_->service->counters().drops.at("authentication failed"), 1u);
}

TEST_F(DpdTest, ReplayedRequestGetsNoSecondAck) {
  MakeNodes();
  Negotiate();
  timers_.Advance(seconds(10));
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  const Datagram request = a_->outbox.queue.front();
  DeliverAll(*a_, *b_);
  b_->service->HandleDatagram(request.remote, request.local, request.bytes);
  EXPECT_TRUE(b_->outbox.queue.empty());
  EXPECT_EQ(b_->service->counters().drops.at("retransmitted peer message"), 1u);
}

TEST_F(DpdTest, UnansweredDuplicateSaDeletedAlone) {
  LogCapture log;
  MakeNodes();
  // Both nodes initiate, but B's Main Mode message 1 is held back for 6 s,
  // so the two ISAKMP SAs come up too far apart to count as duplicates of
  // one simultaneous negotiation, and both stay.
  a_->service->Acquire(AcquireFor(*a_, *b_));
  b_->service->Acquire(AcquireFor(*b_, *a_));
  ASSERT_EQ(b_->outbox.queue.size(), 1u);
  const Datagram delayed = b_->outbox.queue.front();
  auto header_delayed = ParseIsakmpHeader(delayed.bytes);
  ASSERT_TRUE(header_delayed.has_value());
  const Cookie delayed_cookie = header_delayed->initiator_cookie;
  auto under_delayed_sa = [&](const Datagram& datagram) {
    auto header = ParseIsakmpHeader(datagram.bytes);
    return header && header->initiator_cookie == delayed_cookie;
  };
  for (int second = 0; second < 6; ++second) {
    std::erase_if(b_->outbox.queue, under_delayed_sa);
    DeliverAll(*a_, *b_);
    timers_.Advance(seconds(1));
  }
  std::erase_if(b_->outbox.queue, under_delayed_sa);
  b_->outbox.queue.push_back(delayed);
  DeliverAll(*a_, *b_);
  timers_.Advance(seconds(1));
  DeliverAll(*a_, *b_);
  const std::vector<IsakmpSaStatus> before = a_->service->ListIsakmpSas();
  ASSERT_EQ(before.size(), 2u);

  // B has lost the second SA: requests under it go unanswered, while those
  // under the first one get their ACK. B sends nothing under the lost SA.
  // The first SA's requests start 6 s earlier, so an ACK on it proves B
  // alive after the second SA's first unanswered request.
  const uint64_t lost_cookie = before[1].cookie_i;
  auto under_lost_sa = [&](const Datagram& datagram) {
    auto header = ParseIsakmpHeader(datagram.bytes);
    return header && CookieValue(header->initiator_cookie) == lost_cookie;
  };
  for (int second = 0; second < 20; ++second) {
    timers_.Advance(seconds(1));
    std::erase_if(a_->outbox.queue, under_lost_sa);
    std::erase_if(b_->outbox.queue, under_lost_sa);
    DeliverAll(*a_, *b_);
  }

  const std::vector<IsakmpSaStatus> after = a_->service->ListIsakmpSas();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].cookie_i, before[0].cookie_i);
  // The pair of B's later Quick Mode replaced the first one. It stays
  // although its ISAKMP SA is the deleted one.
  EXPECT_EQ(a_->kernel.sas.size(), 2u);
  EXPECT_EQ(b_->kernel.sas.size(), 2u);
  EXPECT_EQ(a_->service->counters().dpd_peers_dead, 0u);
  EXPECT_TRUE(log.Contains("got no R-U-THERE-ACK, but 10.77.0.2[500] is alive on ISAKMP-SA"));
}

// ---- payload checks ----

constexpr Cookie kCookieI{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4},
                          std::byte{5}, std::byte{6}, std::byte{7}, std::byte{8}};
constexpr Cookie kCookieR{std::byte{0xa1}, std::byte{0xa2}, std::byte{0xa3}, std::byte{0xa4},
                          std::byte{0xa5}, std::byte{0xa6}, std::byte{0xa7}, std::byte{0xa8}};

NotificationPayload AckWithSpi(const char* spi_hex) {
  NotificationPayload ack;
  ack.notify_type = kNotifyDpdRUThereAck;
  ack.spi = HexToBytes(spi_hex);
  ack.data = HexToBytes("7fffff01");
  return ack;
}

TEST(DpdPayloadTest, AckNamesSaInEitherCookieOrder) {
  EXPECT_TRUE(DpdNotifyNamesSa(AckWithSpi("0102030405060708a1a2a3a4a5a6a7a8"), kCookieI, kCookieR));
  EXPECT_TRUE(DpdNotifyNamesSa(AckWithSpi("a1a2a3a4a5a6a7a80102030405060708"), kCookieI, kCookieR));
}

TEST(DpdPayloadTest, AckForOtherSaRejected) {
  EXPECT_FALSE(DpdNotifyNamesSa(AckWithSpi("0102030405060708a1a2a3a4a5a6a7a9"), kCookieI, kCookieR));
  EXPECT_FALSE(DpdNotifyNamesSa(AckWithSpi("0102030405060708"), kCookieI, kCookieR));
  EXPECT_FALSE(DpdNotifyNamesSa(AckWithSpi(""), kCookieI, kCookieR));
}

TEST(DpdPayloadTest, SequenceIsFourBytesBigEndian) {
  NotificationPayload ack = AckWithSpi("");
  EXPECT_EQ(ReadDpdSequence(ack), std::optional<uint32_t>(0x7fffff01));
  ack.data = HexToBytes("7fffff");
  EXPECT_EQ(ReadDpdSequence(ack), std::nullopt);
  ack.data = HexToBytes("7fffff0100");
  EXPECT_EQ(ReadDpdSequence(ack), std::nullopt);
}

}  // namespace
}  // namespace ipop::ike::test
