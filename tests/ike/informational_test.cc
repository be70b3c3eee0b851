// Informational exchanges (RFC 2409 §5.7) and INITIAL-CONTACT (RFC 2407
// §4.6.3.3) between two in-memory peers. Unprotected Delete and notify
// payloads are logged and never acted on. DPD removes the SAs of a peer
// that restarted behind a NAT and came back on a new port.
#include <gtest/gtest.h>

#include <chrono>

#include "ike/isakmp_header.h"
#include "ike/isakmp_sa.h"
#include "ike/message.h"
#include "ike/payload_delete.h"
#include "ike/payload_notification.h"
#include "tests/ike/exchange_harness.h"

namespace ipop::ike::test {
namespace {

using std::chrono::seconds;

Cookie CookieFrom(uint64_t value) {
  Cookie cookie{};
  for (size_t index = 0; index < cookie.size(); ++index) {
    cookie[index] = std::byte(value >> (8 * (cookie.size() - 1 - index)));
  }
  return cookie;
}

// HDR, N/D without encryption, with the cookies of `status`.
Bytes UnprotectedInformational(const IsakmpSaStatus& status, PayloadType type, Bytes body) {
  IsakmpHeader header;
  header.initiator_cookie = CookieFrom(status.cookie_i);
  header.responder_cookie = CookieFrom(status.cookie_r);
  header.exchange_type = ExchangeType::kInformational;
  MessageBuilder builder(header);
  builder.AddRaw(type, std::move(body));
  return builder.Build();
}

Bytes SpiBytes(uint32_t spi) {
  return Bytes{std::byte(spi >> 24), std::byte(spi >> 16), std::byte(spi >> 8), std::byte(spi)};
}

class InformationalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = MakeNode("10.77.0.1", 0x1000);
    b_ = MakeNode("10.77.0.2", 0x2000);
  }

  std::unique_ptr<Node> MakeNode(const char* address, uint32_t first_spi) {
    auto node = std::make_unique<Node>(
        address, MakeConfig(address, kCertDir + "/" + address, kCertDir + "/rootCA.pem", RacoonSuite()), timers_,
        first_spi);
    EXPECT_TRUE(node->service->LoadCredentials().has_value());
    AddPolicies(*node);
    return node;
  }

  void Negotiate() {
    a_->service->Acquire(AcquireFor(*a_, *b_));
    DeliverAll(*a_, *b_);
    ASSERT_EQ(b_->kernel.sas.size(), 2u);
  }

  // Delivers `bytes` to B as if A sent them.
  void SendToB(const Bytes& bytes) { b_->service->HandleDatagram(b_->endpoint(), a_->endpoint(), bytes); }

  ManualTimerService timers_;
  std::unique_ptr<Node> a_;
  std::unique_ptr<Node> b_;
};

TEST_F(InformationalTest, UnprotectedInitialContactIgnored) {
  LogCapture log;
  Negotiate();
  NotificationPayload contact;
  contact.notify_type = kNotifyInitialContact;
  const IsakmpSaStatus status = b_->service->ListIsakmpSas().front();
  contact.spi = CookiePair(CookieFrom(status.cookie_i), CookieFrom(status.cookie_r));
  SendToB(UnprotectedInformational(status, PayloadType::kNotification, EncodeBody(contact)));
  timers_.Advance(seconds(1));

  EXPECT_EQ(b_->kernel.sas.size(), 2u);
  EXPECT_EQ(b_->service->ListIsakmpSas().size(), 1u);
  EXPECT_EQ(b_->service->counters().drops.at("unprotected notification"), 1u);
  EXPECT_TRUE(log.Contains("unprotected notification INITIAL-CONTACT received from 10.77.0.1[500]; ignored"));
}

TEST_F(InformationalTest, UnprotectedEspDeleteIgnored) {
  LogCapture log;
  Negotiate();
  const esp::EspSaConfig* inbound = b_->kernel.FindDirection(/*inbound=*/true);
  ASSERT_NE(inbound, nullptr);
  DeletePayload deletion;
  deletion.protocol_id = kProtocolEsp;
  deletion.spi_size = kSpiSizeEsp;
  deletion.spis.push_back(SpiBytes(inbound->spi));
  SendToB(UnprotectedInformational(b_->service->ListIsakmpSas().front(), PayloadType::kDelete,
                                   EncodeBody(deletion)));
  timers_.Advance(seconds(1));

  EXPECT_EQ(b_->kernel.sas.size(), 2u);
  EXPECT_EQ(b_->service->counters().drops.at("unprotected delete"), 1u);
  EXPECT_TRUE(log.Contains("unprotected Delete received from 10.77.0.1[500]; ignored"));
}

TEST_F(InformationalTest, UnprotectedIsakmpDeleteIgnored) {
  Negotiate();
  const IsakmpSaStatus status = b_->service->ListIsakmpSas().front();
  DeletePayload deletion;
  deletion.protocol_id = kProtocolIsakmp;
  deletion.spi_size = kSpiSizeIsakmpCookiePair;
  deletion.spis.push_back(CookiePair(CookieFrom(status.cookie_i), CookieFrom(status.cookie_r)));
  SendToB(UnprotectedInformational(status, PayloadType::kDelete, EncodeBody(deletion)));
  timers_.Advance(seconds(1));

  EXPECT_EQ(b_->service->ListIsakmpSas().size(), 1u);
  EXPECT_EQ(b_->kernel.sas.size(), 2u);
}

TEST_F(InformationalTest, UnprotectedErrorShownAtPhase1Timeout) {
  LogCapture log;
  a_->service->Acquire(AcquireFor(*a_, *b_));
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  a_->outbox.queue.clear();
  IsakmpSaStatus status = a_->service->ListIsakmpSas().front();
  NotificationPayload refusal;
  refusal.notify_type = kNotifyNoProposalChosen;
  a_->service->HandleDatagram(a_->endpoint(), b_->endpoint(),
                              UnprotectedInformational(status, PayloadType::kNotification, EncodeBody(refusal)));
  // The notify does not end the exchange, so A keeps its SA until the
  // phase 1 time limit.
  ASSERT_EQ(a_->service->ListIsakmpSas().size(), 1u);
  timers_.Advance(seconds(30));

  EXPECT_TRUE(a_->service->ListIsakmpSas().empty());
  EXPECT_TRUE(log.Contains("phase1 negotiation failed due to time up"));
  EXPECT_TRUE(log.Contains("(last error: unprotected notification NO-PROPOSAL-CHOSEN from the peer)"));
}

// A NAT in front of A maps its ports 500 and 4500 to `base` and `base` + 1.
struct Nat {
  Endpoint Public(const Endpoint& inside) const {
    return Endpoint{Address("198.51.100.7"), static_cast<uint16_t>(inside.port == 500 ? base : base + 1)};
  }
  Endpoint Inside(const Endpoint& outside) const {
    return Endpoint{Address("10.77.0.1"), static_cast<uint16_t>(outside.port == base ? 500 : 4500)};
  }
  uint16_t base = 0;
};

void DeliverThroughNat(Node& a, Node& b, const Nat& nat) {
  for (int delivered = 0; delivered < 100 && (!a.outbox.queue.empty() || !b.outbox.queue.empty()); ++delivered) {
    if (!a.outbox.queue.empty()) {
      Datagram datagram = std::move(a.outbox.queue.front());
      a.outbox.queue.pop_front();
      b.service->HandleDatagram(datagram.remote, nat.Public(datagram.local), datagram.bytes);
    }
    if (!b.outbox.queue.empty()) {
      Datagram datagram = std::move(b.outbox.queue.front());
      b.outbox.queue.pop_front();
      a.service->HandleDatagram(nat.Inside(datagram.remote), datagram.local, datagram.bytes);
    }
  }
}

TEST_F(InformationalTest, NatRestartOnNewPortLeftToDpd) {
  LogCapture log;
  b_->config.remotes[0].dpd_delay = seconds(10);
  b_->config.remotes[0].dpd_retry = seconds(2);
  b_->config.remotes[0].dpd_maxfail = 3;
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverThroughNat(*a_, *b_, Nat{40500});
  ASSERT_EQ(b_->kernel.sas.size(), 2u);
  ASSERT_EQ(b_->service->ListIsakmpSas().size(), 1u);
  ASSERT_TRUE(b_->service->ListIsakmpSas().front().nat_detected_peer);

  // A restarts without sending Deletes, and the NAT maps it to new ports.
  a_->kernel.sas.clear();
  a_->service = std::make_unique<IkeService>(a_->config, timers_, a_->kernel, a_->outbox);
  ASSERT_TRUE(a_->service->LoadCredentials().has_value());
  const Nat new_nat{41500};
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverThroughNat(*a_, *b_, new_nat);

  // Peers behind one NAT are distinguished by port only, so INITIAL-CONTACT
  // from the new port leaves the old SAs alone.
  EXPECT_EQ(b_->service->ListIsakmpSas().size(), 2u);
  EXPECT_EQ(b_->kernel.sas.size(), 4u);

  // B's DPD finds the old SA dead (the restarted A has no such SA) while
  // A acknowledges the requests on the new one.
  for (int step = 0; step < 20; ++step) {
    timers_.Advance(seconds(1));
    DeliverThroughNat(*a_, *b_, new_nat);
  }
  EXPECT_TRUE(log.Contains("seems to be dead."));
  ASSERT_EQ(b_->service->ListIsakmpSas().size(), 1u);
  EXPECT_EQ(b_->service->ListIsakmpSas().front().remote.port, 41501);
  EXPECT_EQ(b_->kernel.sas.size(), 2u);
  EXPECT_EQ(a_->kernel.sas.size(), 2u);
}

}  // namespace
}  // namespace ipop::ike::test
