// Two in-memory peers run Main Mode (RFC 2409 §5.1) and Quick Mode with PFS
// (§5.5) against each other, with every message passing through the real
// parser and a mock clock.
#include <gtest/gtest.h>

#include <chrono>

#include "crypto/algorithms.h"
#include "ike/message.h"
#include "ike/payload_sa.h"
#include "tests/ike/exchange_harness.h"

namespace ipop::ike::test {
namespace {

using std::chrono::seconds;

std::vector<PayloadType> PayloadTypesOf(const Bytes& datagram) {
  std::vector<PayloadType> types;
  auto message = ParseMessage(datagram);
  if (!message) {
    return types;
  }
  for (const Payload& payload : message->payloads()) {
    types.push_back(payload.type);
  }
  return types;
}

bool IsEncrypted(const Bytes& datagram) {
  auto message = ParseMessage(datagram);
  return message && message->header().encrypted();
}

class ExchangeTest : public ::testing::Test {
 protected:
  void MakeNodes(const Suite& suite) {
    a_ = std::make_unique<Node>("10.77.0.1",
                                MakeConfig("10.77.0.1", kCertDir + "/10.77.0.1", kCertDir + "/rootCA.pem", suite),
                                timers_, 0x1000);
    b_ = std::make_unique<Node>("10.77.0.2",
                                MakeConfig("10.77.0.2", kCertDir + "/10.77.0.2", kCertDir + "/rootCA.pem", suite),
                                timers_, 0x2000);
    Load();
  }

  void Load() {
    auto loaded_a = a_->service->LoadCredentials();
    ASSERT_TRUE(loaded_a.has_value()) << ToString(loaded_a.error());
    auto loaded_b = b_->service->LoadCredentials();
    ASSERT_TRUE(loaded_b.has_value()) << ToString(loaded_b.error());
    AddPolicies(*a_);
    AddPolicies(*b_);
  }

  // Checks that each node's outbound SA is the other's inbound SA.
  void ExpectMatchingSas(crypto::EspCipher cipher, crypto::EspIntegrity integrity) {
    ASSERT_EQ(a_->kernel.sas.size(), 2u);
    ASSERT_EQ(b_->kernel.sas.size(), 2u);
    for (auto [sender, receiver] : {std::pair{a_.get(), b_.get()}, std::pair{b_.get(), a_.get()}}) {
      const esp::EspSaConfig* outbound = sender->kernel.FindDirection(false);
      ASSERT_NE(outbound, nullptr);
      const esp::EspSaConfig* inbound = receiver->kernel.Find(outbound->spi);
      ASSERT_NE(inbound, nullptr);
      EXPECT_TRUE(inbound->inbound);
      EXPECT_EQ(outbound->source, sender->address);
      EXPECT_EQ(outbound->destination, receiver->address);
      EXPECT_EQ(inbound->source, sender->address);
      EXPECT_EQ(inbound->destination, receiver->address);
      EXPECT_EQ(outbound->cipher, cipher);
      EXPECT_EQ(inbound->cipher, cipher);
      EXPECT_EQ(outbound->integrity, integrity);
      EXPECT_EQ(ToHex(outbound->cipher_key.view()), ToHex(inbound->cipher_key.view()));
      EXPECT_EQ(ToHex(outbound->integrity_key.view()), ToHex(inbound->integrity_key.view()));
      EXPECT_EQ(outbound->cipher_key.size(), crypto::EspCipherKeyLength(cipher, outbound->aes_key_bits));
      EXPECT_EQ(outbound->integrity_key.size(), crypto::EspIntegrityKeyLength(integrity));
      EXPECT_FALSE(outbound->encapsulation.has_value());
    }
    // The two directions must not share keys.
    EXPECT_NE(ToHex(a_->kernel.FindDirection(false)->cipher_key.view()),
              ToHex(a_->kernel.FindDirection(true)->cipher_key.view()));
  }

  bool BothEstablished() {
    auto list_a = a_->service->ListIsakmpSas();
    auto list_b = b_->service->ListIsakmpSas();
    return list_a.size() == 1 && list_b.size() == 1 && list_a[0].established && list_b[0].established;
  }

  ManualTimerService timers_;
  std::unique_ptr<Node> a_;
  std::unique_ptr<Node> b_;
};

TEST_F(ExchangeTest, RacoonSuiteCompletesStepByStep) {
  LogCapture log;
  MakeNodes(RacoonSuite());
  a_->service->Acquire(AcquireFor(*a_, *b_));

  // HDR, SA, VID -->
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  EXPECT_EQ(PayloadTypesOf(a_->outbox.queue.front().bytes),
            (std::vector{PayloadType::kSa, PayloadType::kVendorId, PayloadType::kVendorId}));
  DeliverOne(*a_, *b_);

  // <-- HDR, SA, VID
  ASSERT_EQ(b_->outbox.queue.size(), 1u);
  EXPECT_EQ(PayloadTypesOf(b_->outbox.queue.front().bytes),
            (std::vector{PayloadType::kSa, PayloadType::kVendorId, PayloadType::kVendorId}));
  DeliverOne(*b_, *a_);

  // HDR, KE, Ni, NAT-D, NAT-D -->
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  EXPECT_EQ(PayloadTypesOf(a_->outbox.queue.front().bytes),
            (std::vector{PayloadType::kKeyExchange, PayloadType::kNonce, PayloadType::kNatD, PayloadType::kNatD}));
  DeliverOne(*a_, *b_);

  // <-- HDR, KE, Nr, CR, NAT-D, NAT-D
  ASSERT_EQ(b_->outbox.queue.size(), 1u);
  EXPECT_EQ(PayloadTypesOf(b_->outbox.queue.front().bytes),
            (std::vector{PayloadType::kKeyExchange, PayloadType::kNonce, PayloadType::kCertificateRequest,
                         PayloadType::kNatD, PayloadType::kNatD}));
  DeliverOne(*b_, *a_);
  EXPECT_EQ(log.Count("NAT not detected"), 2u);

  // HDR*, IDii, CERT, SIG_I, N(INITIAL-CONTACT) -->
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  EXPECT_TRUE(IsEncrypted(a_->outbox.queue.front().bytes));
  DeliverOne(*a_, *b_);

  // <-- HDR*, IDir, CERT, SIG_R
  ASSERT_EQ(b_->outbox.queue.size(), 1u);
  EXPECT_TRUE(IsEncrypted(b_->outbox.queue.front().bytes));
  DeliverOne(*b_, *a_);
  EXPECT_TRUE(BothEstablished());
  EXPECT_TRUE(log.Contains("received INITIAL-CONTACT"));

  // HDR*, HASH(1), SA, Ni, KE, IDci, IDcr --> (the queued ACQUIRE)
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  EXPECT_TRUE(IsEncrypted(a_->outbox.queue.front().bytes));
  DeliverOne(*a_, *b_);

  // <-- HDR*, HASH(2), SA, Nr, KE, IDci, IDcr
  ASSERT_EQ(b_->outbox.queue.size(), 1u);
  DeliverOne(*b_, *a_);

  // HDR*, HASH(3) -->
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  DeliverOne(*a_, *b_);
  EXPECT_TRUE(b_->outbox.queue.empty());

  ExpectMatchingSas(crypto::EspCipher::k3desCbc, crypto::EspIntegrity::kHmacSha1_96);
  const auto isakmp = a_->service->ListIsakmpSas();
  ASSERT_EQ(isakmp.size(), 1u);
  char cookies[64];
  std::snprintf(cookies, sizeof(cookies), "%016llx:%016llx", static_cast<unsigned long long>(isakmp[0].cookie_i),
                static_cast<unsigned long long>(isakmp[0].cookie_r));
  EXPECT_TRUE(log.Contains(std::string("INFO: ISAKMP-SA established 10.77.0.1[500]-10.77.0.2[500] spi:") + cookies));
  EXPECT_TRUE(log.Contains(std::string("INFO: ISAKMP-SA established 10.77.0.2[500]-10.77.0.1[500] spi:") + cookies));
  EXPECT_TRUE(log.Contains("INFO: IPsec-SA request for 10.77.0.2 queued due to no phase1 found."));
  for (const esp::EspSaConfig& sa : a_->kernel.sas) {
    char line[128];
    std::snprintf(line, sizeof(line), "INFO: IPsec-SA established: ESP/Transport 10.77.0.1[500]->10.77.0.2[500] spi=%u(0x%x)",
                  sa.spi, sa.spi);
    EXPECT_TRUE(log.Contains(line)) << line;
  }
  EXPECT_EQ(log.Count("IPsec-SA established: ESP/Transport 10.77.0.2[500]->10.77.0.1[500]"), 2u);
  EXPECT_EQ(a_->service->counters().phase2_established, 1u);
  EXPECT_EQ(b_->service->counters().phase2_established, 1u);
  EXPECT_EQ(a_->kernel.FindDirection(false)->policy_id, 1u);
}

}  // namespace
}  // namespace ipop::ike::test
