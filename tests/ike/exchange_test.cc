// Two in-memory peers run Main Mode (RFC 2409 §5.1) and Quick Mode with PFS
// (§5.5) against each other, with every message passing through the real
// parser and a mock clock.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdio>

#include "crypto/algorithms.h"
#include "ike/isakmp_header.h"
#include "ike/message.h"
#include "ike/payload_sa.h"
#include "tests/ike/exchange_harness.h"

namespace ipop::ike::test {
namespace {

using std::chrono::seconds;

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
      EXPECT_EQ(inbound->integrity, integrity);
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

  // HDR, SA, VID --> with four NAT-T vendor IDs (RFC 3947 and three
  // drafts) and DPD.
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  EXPECT_EQ(PayloadTypesOf(a_->outbox.queue.front().bytes),
            (std::vector{PayloadType::kSa, PayloadType::kVendorId, PayloadType::kVendorId, PayloadType::kVendorId,
                         PayloadType::kVendorId, PayloadType::kVendorId}));
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
  // The responder already accepts ESP, because the initiator's first ESP
  // packet may overtake HASH(3); it sends nothing until HASH(3) arrives.
  ASSERT_EQ(b_->kernel.sas.size(), 1u);
  EXPECT_TRUE(b_->kernel.sas.front().inbound);
  DeliverOne(*b_, *a_);

  // HDR*, HASH(3) -->
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  DeliverOne(*a_, *b_);
  EXPECT_TRUE(b_->outbox.queue.empty());
  EXPECT_EQ(b_->kernel.sas.size(), 2u);

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


// Runs an ACQUIRE from A to completion and returns the number of datagrams.
int NegotiateAll(Node& a, Node& b) {
  a.service->Acquire(AcquireFor(a, b));
  return DeliverAll(a, b);
}

Suite Aes256Sha256Modp2048() {
  Suite suite;
  suite.name = "aes256_sha256_modp2048";
  suite.phase1.cipher = crypto::IkeCipher::kAesCbc;
  suite.phase1.key_bits = 256;
  suite.phase1.hash = crypto::HashAlgorithm::kSha256;
  suite.phase1.dh_group = crypto::DhGroup::kModp2048;
  suite.esp_cipher = crypto::EspCipher::kAesCbc;
  suite.esp_key_bits = 256;
  suite.esp_integrity = crypto::EspIntegrity::kHmacSha256_128;
  suite.pfs_group = crypto::DhGroup::kModp2048;
  return suite;
}

// Both sides configure hmac_sha256_96, the ICV length of racoon's SAs on Linux.
Suite Aes128Sha256With96BitIcv() {
  Suite suite;
  suite.name = "aes128_sha256_96_modp1024";
  suite.esp_cipher = crypto::EspCipher::kAesCbc;
  suite.esp_key_bits = 128;
  suite.esp_integrity = crypto::EspIntegrity::kHmacSha256_96;
  return suite;
}

Suite Aes128Modp1536WithGcm(size_t gcm_bits) {
  Suite suite;
  suite.name = "aes128_sha1_modp1536_gcm" + std::to_string(gcm_bits);
  suite.phase1.cipher = crypto::IkeCipher::kAesCbc;
  suite.phase1.key_bits = 128;
  suite.phase1.dh_group = crypto::DhGroup::kModp1536;
  suite.esp_cipher = crypto::EspCipher::kAesGcm16;
  suite.esp_key_bits = gcm_bits;
  suite.esp_integrity = crypto::EspIntegrity::kNone;
  suite.pfs_group = crypto::DhGroup::kModp1536;
  return suite;
}

// SHA2-384 in both phases with the RFC 5903 384-bit curve for phase 1 and PFS.
Suite Aes256Sha384Ecp384() {
  Suite suite;
  suite.name = "aes256_sha384_ecp384";
  suite.phase1.cipher = crypto::IkeCipher::kAesCbc;
  suite.phase1.key_bits = 256;
  suite.phase1.hash = crypto::HashAlgorithm::kSha384;
  suite.phase1.dh_group = crypto::DhGroup::kEcp384;
  suite.esp_cipher = crypto::EspCipher::kAesCbc;
  suite.esp_key_bits = 256;
  suite.esp_integrity = crypto::EspIntegrity::kHmacSha384_192;
  suite.pfs_group = crypto::DhGroup::kEcp384;
  return suite;
}

// SHA2-512 in both phases, with MODP 4096 in phase 1 and ECP 256 for PFS so
// that the two exchanges use different group kinds.
Suite Aes256Sha512Modp4096() {
  Suite suite;
  suite.name = "aes256_sha512_modp4096";
  suite.phase1.cipher = crypto::IkeCipher::kAesCbc;
  suite.phase1.key_bits = 256;
  suite.phase1.hash = crypto::HashAlgorithm::kSha512;
  suite.phase1.dh_group = crypto::DhGroup::kModp4096;
  suite.esp_cipher = crypto::EspCipher::kAesCbc;
  suite.esp_key_bits = 128;
  suite.esp_integrity = crypto::EspIntegrity::kHmacSha512_256;
  suite.pfs_group = crypto::DhGroup::kEcp256;
  return suite;
}

// ECP 256 in phase 1 and MODP 8192, the largest group, for PFS.
Suite Aes128Sha256Ecp256() {
  Suite suite;
  suite.name = "aes128_sha256_ecp256";
  suite.phase1.cipher = crypto::IkeCipher::kAesCbc;
  suite.phase1.key_bits = 128;
  suite.phase1.hash = crypto::HashAlgorithm::kSha256;
  suite.phase1.dh_group = crypto::DhGroup::kEcp256;
  suite.esp_cipher = crypto::EspCipher::kAesGcm16;
  suite.esp_key_bits = 128;
  suite.esp_integrity = crypto::EspIntegrity::kNone;
  suite.pfs_group = crypto::DhGroup::kModp8192;
  return suite;
}

class ExchangeSuiteTest : public ExchangeTest, public ::testing::WithParamInterface<Suite> {};

TEST_P(ExchangeSuiteTest, CompletesWithMatchingKeys) {
  LogCapture log;
  const Suite& suite = GetParam();
  MakeNodes(suite);
  // Main Mode (6 messages), then Quick Mode (3 messages).
  EXPECT_EQ(NegotiateAll(*a_, *b_), 9);
  EXPECT_TRUE(BothEstablished());
  ExpectMatchingSas(suite.esp_cipher, suite.esp_integrity);
  EXPECT_EQ(a_->kernel.FindDirection(false)->aes_key_bits, suite.esp_key_bits);
  const auto isakmp = a_->service->ListIsakmpSas();
  ASSERT_EQ(isakmp.size(), 1u);
  EXPECT_EQ(isakmp[0].cipher, suite.phase1.cipher);
  EXPECT_EQ(isakmp[0].hash, suite.phase1.hash);
  EXPECT_EQ(isakmp[0].dh_group, suite.phase1.dh_group);
  EXPECT_EQ(log.Count("IPsec-SA established: ESP/Transport"), 4u);
}

INSTANTIATE_TEST_SUITE_P(Suites, ExchangeSuiteTest,
                         ::testing::Values(RacoonSuite(), Aes256Sha256Modp2048(), Aes128Sha256With96BitIcv(),
                                           Aes128Modp1536WithGcm(128), Aes128Modp1536WithGcm(256),
                                           Aes256Sha384Ecp384(), Aes256Sha512Modp4096(),
                                           Aes128Sha256Ecp256()),
                         [](const ::testing::TestParamInfo<Suite>& param_info) { return param_info.param.name; });

TEST_F(ExchangeTest, PreSharedKeyCompletes) {
  Suite suite = RacoonSuite();
  suite.phase1.auth_method = config::AuthMethod::kPreSharedKey;
  const std::string psk_file = ::testing::TempDir() + "/ipop_exchange_psk.txt";
  {
    FILE* file = std::fopen(psk_file.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs("10.77.0.1 shared secret of the test\n10.77.0.2 shared secret of the test\n", file);
    std::fclose(file);
    chmod(psk_file.c_str(), 0600);
  }
  auto config_a = MakeConfig("10.77.0.1", kCertDir + "/10.77.0.1", kCertDir + "/rootCA.pem", suite);
  auto config_b = MakeConfig("10.77.0.2", kCertDir + "/10.77.0.2", kCertDir + "/rootCA.pem", suite);
  config_a.pre_shared_key_file = psk_file;
  config_b.pre_shared_key_file = psk_file;
  config_a.remotes[0].my_identifier.type = config::IdentifierType::kAddress;
  config_b.remotes[0].my_identifier.type = config::IdentifierType::kAddress;
  a_ = std::make_unique<Node>("10.77.0.1", config_a, timers_, 0x1000);
  b_ = std::make_unique<Node>("10.77.0.2", config_b, timers_, 0x2000);
  Load();
  EXPECT_EQ(NegotiateAll(*a_, *b_), 9);
  EXPECT_TRUE(BothEstablished());
  ExpectMatchingSas(crypto::EspCipher::k3desCbc, crypto::EspIntegrity::kHmacSha1_96);
  EXPECT_EQ(a_->service->ListIsakmpSas()[0].peer_identity, "10.77.0.2");
}

TEST_F(ExchangeTest, NoProposalChosenIsLoggedAndAnswered) {
  LogCapture log;
  Suite ours = RacoonSuite();
  Suite theirs = Aes256Sha256Modp2048();
  a_ = std::make_unique<Node>("10.77.0.1",
                              MakeConfig("10.77.0.1", kCertDir + "/10.77.0.1", kCertDir + "/rootCA.pem", ours),
                              timers_, 0x1000);
  b_ = std::make_unique<Node>("10.77.0.2",
                              MakeConfig("10.77.0.2", kCertDir + "/10.77.0.2", kCertDir + "/rootCA.pem", theirs),
                              timers_, 0x2000);
  Load();
  a_->service->Acquire(AcquireFor(*a_, *b_));
  // HDR, SA -->
  DeliverOne(*a_, *b_);
  // <-- HDR, N(NO-PROPOSAL-CHOSEN), unprotected
  ASSERT_EQ(b_->outbox.queue.size(), 1u);
  EXPECT_EQ(PayloadTypesOf(b_->outbox.queue.front().bytes), (std::vector{PayloadType::kNotification}));
  DeliverOne(*b_, *a_);
  EXPECT_TRUE(log.Contains("no proposal chosen for 10.77.0.1[500]"));
  EXPECT_TRUE(log.Contains("notification NO-PROPOSAL-CHOSEN received from 10.77.0.2[500]"));
  EXPECT_TRUE(b_->service->ListIsakmpSas().empty());
  EXPECT_EQ(b_->service->counters().phase1_failed, 1u);
  // The initiator gives up at the phase 1 time limit.
  timers_.Advance(seconds(31));
  EXPECT_TRUE(a_->service->ListIsakmpSas().empty());
  EXPECT_TRUE(log.Contains("phase1 negotiation failed due to time up. 10.77.0.2[500]"));
}

TEST_F(ExchangeTest, CertificateFromOtherCaRejected) {
  LogCapture log;
  const Suite suite = RacoonSuite();
  a_ = std::make_unique<Node>("10.77.0.1",
                              MakeConfig("10.77.0.1", kCertDir + "/10.77.0.1", kCertDir + "/rootCA.pem", suite),
                              timers_, 0x1000);
  // B's certificate is issued by a CA that A does not trust.
  b_ = std::make_unique<Node>("10.77.0.2", MakeConfig("10.77.0.2", kOtherCaDir, kCertDir + "/rootCA.pem", suite),
                              timers_, 0x2000);
  Load();
  NegotiateAll(*a_, *b_);
  EXPECT_TRUE(log.Contains("ERROR: certificate rejected: "));
  EXPECT_TRUE(log.Contains("peer 10.77.0.2[500])"));
  EXPECT_TRUE(log.Contains("dropped message from 10.77.0.2[500]: authentication failed: certificate rejected: "));
  EXPECT_EQ(a_->service->counters().drops.at("authentication failed"), 1u);
  // B's retransmissions of message 6 are rejected the same way until the
  // phase 1 time limit ends the exchange on both sides.
  timers_.Advance(seconds(31));
  DeliverAll(*a_, *b_);
  EXPECT_TRUE(log.Contains("phase1 negotiation failed due to time up. 10.77.0.2[500]"));
  EXPECT_TRUE(log.Contains("(last error: certificate rejected: "));
  EXPECT_TRUE(a_->service->ListIsakmpSas().empty());
  EXPECT_TRUE(a_->kernel.sas.empty());
  EXPECT_EQ(a_->service->counters().phase1_failed, 1u);
}

TEST_F(ExchangeTest, LostMessageIsRetransmitted) {
  MakeNodes(RacoonSuite());
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverOne(*a_, *b_);  // HDR, SA -->
  DeliverOne(*b_, *a_);  // <-- HDR, SA
  // HDR, KE, Ni, NAT-D, NAT-D --> is lost.
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  a_->outbox.queue.clear();
  timers_.Advance(seconds(9));
  EXPECT_TRUE(a_->outbox.queue.empty());
  timers_.Advance(seconds(1));
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  EXPECT_EQ(a_->service->counters().retransmissions, 1u);
  DeliverAll(*a_, *b_);
  EXPECT_TRUE(BothEstablished());
  ExpectMatchingSas(crypto::EspCipher::k3desCbc, crypto::EspIntegrity::kHmacSha1_96);
}

TEST_F(ExchangeTest, LostReplyIsAnsweredAgain) {
  MakeNodes(RacoonSuite());
  a_->service->Acquire(AcquireFor(*a_, *b_));
  for (int step = 0; step < 4; ++step) {
    DeliverOne(step % 2 == 0 ? *a_ : *b_, step % 2 == 0 ? *b_ : *a_);
  }
  DeliverOne(*a_, *b_);  // HDR*, IDii, CERT, SIG_I -->
  // <-- HDR*, IDir, CERT, SIG_R is lost; A retransmits message 5 and B
  // replies to the duplicate with its stored message 6.
  b_->outbox.queue.clear();
  timers_.Advance(seconds(10));
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  DeliverOne(*a_, *b_);
  ASSERT_EQ(b_->outbox.queue.size(), 1u);
  EXPECT_EQ(b_->service->counters().drops.at("retransmitted peer message"), 1u);
  DeliverAll(*a_, *b_);
  EXPECT_TRUE(BothEstablished());
  EXPECT_EQ(a_->kernel.sas.size(), 2u);
}

TEST_F(ExchangeTest, SilentPeerTimesOut) {
  LogCapture log;
  MakeNodes(RacoonSuite());
  a_->service->Acquire(AcquireFor(*a_, *b_));
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  // The first retransmission follows after 10 s. The second would follow
  // 20 s later, but the 30 s phase 1 time limit ends the exchange first.
  timers_.Advance(seconds(10));
  EXPECT_EQ(a_->outbox.queue.size(), 2u);
  timers_.Advance(seconds(19));
  EXPECT_EQ(a_->outbox.queue.size(), 2u);
  EXPECT_FALSE(log.Contains("time up"));
  timers_.Advance(seconds(1));
  EXPECT_TRUE(log.Contains("phase1 negotiation failed due to time up. 10.77.0.2[500]"));
  EXPECT_TRUE(log.Contains("IPsec-SA request for 10.77.0.2 dropped because phase 1 timed out"));
  timers_.Advance(seconds(100));
  EXPECT_EQ(a_->outbox.queue.size(), 2u);
  EXPECT_EQ(a_->service->counters().retransmissions, 1u);
  EXPECT_TRUE(a_->service->ListIsakmpSas().empty());
  EXPECT_EQ(a_->service->counters().phase1_failed, 1u);
}

TEST_F(ExchangeTest, LostHash3RemovesEarlyInboundSa) {
  LogCapture log;
  MakeNodes(RacoonSuite());
  a_->service->Acquire(AcquireFor(*a_, *b_));
  // Main Mode, then HDR*, HASH(1) ... --> and <-- HDR*, HASH(2) ...
  for (int step = 0; step < 8; ++step) {
    DeliverOne(step % 2 == 0 ? *a_ : *b_, step % 2 == 0 ? *b_ : *a_);
  }
  ASSERT_EQ(b_->kernel.sas.size(), 1u);
  // HDR*, HASH(3) --> is lost; the initiator sends it only once.
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  a_->outbox.queue.clear();
  timers_.Advance(seconds(31));
  EXPECT_TRUE(log.Contains("phase2 negotiation failed due to time up. 10.77.0.1[500]"));
  EXPECT_TRUE(b_->kernel.sas.empty());
  EXPECT_EQ(b_->service->counters().phase2_established, 0u);
}

TEST_F(ExchangeTest, FailedOutboundInstallRemovesInbound) {
  LogCapture log;
  MakeNodes(RacoonSuite());
  a_->kernel.reject_outbound = true;
  NegotiateAll(*a_, *b_);
  EXPECT_TRUE(log.Contains("installing the outbound SA failed"));
  // The initiator added its inbound SA first; no half pair may stay.
  EXPECT_TRUE(a_->kernel.sas.empty());
  EXPECT_EQ(a_->service->counters().phase2_established, 0u);
  EXPECT_EQ(a_->service->counters().phase2_failed, 1u);
}

TEST_F(ExchangeTest, TamperedEncryptedMessageRejected) {
  MakeNodes(RacoonSuite());
  a_->service->Acquire(AcquireFor(*a_, *b_));
  for (int step = 0; step < 4; ++step) {
    DeliverOne(step % 2 == 0 ? *a_ : *b_, step % 2 == 0 ? *b_ : *a_);
  }
  // HDR*, IDii, CERT, SIG_I --> with one ciphertext byte flipped.
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  Datagram tampered = a_->outbox.queue.front();
  a_->outbox.queue.clear();
  tampered.bytes[kIsakmpHeaderSize + 20] ^= std::byte{0x01};
  b_->service->HandleDatagram(tampered.remote, tampered.local, tampered.bytes);
  EXPECT_TRUE(b_->outbox.queue.empty());
  EXPECT_EQ(b_->service->counters().drops.at("authentication failed"), 1u);
  EXPECT_FALSE(b_->service->ListIsakmpSas().at(0).established);
  // The initiator's retransmission is intact and completes the exchange.
  timers_.Advance(seconds(10));
  DeliverAll(*a_, *b_);
  EXPECT_TRUE(BothEstablished());
  ExpectMatchingSas(crypto::EspCipher::k3desCbc, crypto::EspIntegrity::kHmacSha1_96);
}

TEST_F(ExchangeTest, TamperedQuickModeRejected) {
  MakeNodes(RacoonSuite());
  a_->service->Acquire(AcquireFor(*a_, *b_));
  for (int step = 0; step < 6; ++step) {
    DeliverOne(step % 2 == 0 ? *a_ : *b_, step % 2 == 0 ? *b_ : *a_);
  }
  // HDR*, HASH(1), SA, Ni, KE, IDci, IDcr --> with its last byte flipped,
  // which garbles only the final block, where HASH(1) catches it.
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  Datagram tampered = a_->outbox.queue.front();
  a_->outbox.queue.clear();
  tampered.bytes.back() ^= std::byte{0x80};
  b_->service->HandleDatagram(tampered.remote, tampered.local, tampered.bytes);
  EXPECT_TRUE(b_->outbox.queue.empty());
  EXPECT_EQ(b_->service->counters().drops.at("authentication failed"), 1u);
  timers_.Advance(seconds(10));
  DeliverAll(*a_, *b_);
  ExpectMatchingSas(crypto::EspCipher::k3desCbc, crypto::EspIntegrity::kHmacSha1_96);
}

TEST_F(ExchangeTest, AcquireWhileEstablishedStartsQuickModeOnly) {
  MakeNodes(RacoonSuite());
  NegotiateAll(*a_, *b_);
  ASSERT_TRUE(BothEstablished());
  // A second policy's ACQUIRE reuses the ISAKMP SA: 3 Quick Mode messages.
  a_->service->Acquire(AcquireFor(*a_, *b_, 2));
  EXPECT_EQ(DeliverAll(*a_, *b_), 3);
  EXPECT_EQ(a_->kernel.sas.size(), 4u);
  EXPECT_EQ(b_->kernel.sas.size(), 4u);
  EXPECT_EQ(a_->service->ListIsakmpSas().size(), 1u);
}

TEST_F(ExchangeTest, ResponderStartsQuickModeToo) {
  MakeNodes(RacoonSuite());
  NegotiateAll(*a_, *b_);
  // B, the phase 1 responder, initiates Quick Mode over the same SA.
  b_->service->Acquire(AcquireFor(*b_, *a_));
  EXPECT_EQ(DeliverAll(*a_, *b_), 3);
  EXPECT_EQ(a_->kernel.sas.size(), 4u);
  EXPECT_EQ(b_->kernel.sas.size(), 4u);
}

TEST_F(ExchangeTest, ShutdownDeletesPeerSas) {
  LogCapture log;
  MakeNodes(RacoonSuite());
  NegotiateAll(*a_, *b_);
  ASSERT_EQ(b_->kernel.sas.size(), 2u);
  a_->service->Shutdown();
  EXPECT_TRUE(a_->kernel.sas.empty());
  // HDR*, HASH(1), D(ESP) --> and HDR*, HASH(1), D(ISAKMP) -->
  EXPECT_EQ(a_->outbox.queue.size(), 2u);
  DeliverAll(*a_, *b_);
  EXPECT_TRUE(b_->kernel.sas.empty());
  timers_.Advance(seconds(1));
  EXPECT_TRUE(b_->service->ListIsakmpSas().empty());
  EXPECT_TRUE(log.Contains("purged IPsec-SA proto_id=ESP spi="));
  EXPECT_TRUE(log.Contains("ISAKMP-SA deleted 10.77.0.2[500]-10.77.0.1[500]"));
}

TEST_F(ExchangeTest, InitialContactRemovesOlderSas) {
  MakeNodes(RacoonSuite());
  NegotiateAll(*a_, *b_);
  ASSERT_EQ(b_->kernel.sas.size(), 2u);
  // A restarts without sending Deletes: a new service, new SPIs.
  a_->kernel.sas.clear();
  a_->service = std::make_unique<IkeService>(a_->config, timers_, a_->kernel, a_->outbox);
  ASSERT_TRUE(a_->service->LoadCredentials().has_value());
  NegotiateAll(*a_, *b_);
  timers_.Advance(seconds(1));
  // B dropped the old pair on INITIAL-CONTACT and kept only the new one.
  EXPECT_EQ(b_->kernel.sas.size(), 2u);
  EXPECT_EQ(b_->service->ListIsakmpSas().size(), 1u);
  ExpectMatchingSas(crypto::EspCipher::k3desCbc, crypto::EspIntegrity::kHmacSha1_96);
}

TEST_F(ExchangeTest, GarbageIsCountedNotFatal) {
  MakeNodes(RacoonSuite());
  const Bytes garbage = HexToBytes("00112233445566770000000000000000011002000000000000000020");
  b_->service->HandleDatagram(b_->endpoint(), a_->endpoint(), garbage);
  b_->service->HandleDatagram(b_->endpoint(), a_->endpoint(), Bytes(3));
  EXPECT_EQ(b_->service->counters().drops.at("malformed message"), 2u);
  EXPECT_TRUE(b_->outbox.queue.empty());
  NegotiateAll(*a_, *b_);
  EXPECT_TRUE(BothEstablished());
}

// A NAT in front of A maps 10.77.0.1:500 and :4500 to these public ports.
Endpoint NatPublic(const Endpoint& inside) {
  return Endpoint{Address("198.51.100.7"), static_cast<uint16_t>(inside.port == 500 ? 40500 : 44500)};
}

Endpoint NatInside(const Endpoint& outside) {
  return Endpoint{Address("10.77.0.1"), static_cast<uint16_t>(outside.port == 40500 ? 500 : 4500)};
}

// Delivers datagrams both ways, translating A's side through the NAT.
void DeliverThroughNat(Node& a, Node& b) {
  for (int delivered = 0; delivered < 100 && (!a.outbox.queue.empty() || !b.outbox.queue.empty()); ++delivered) {
    if (!a.outbox.queue.empty()) {
      Datagram datagram = std::move(a.outbox.queue.front());
      a.outbox.queue.pop_front();
      b.service->HandleDatagram(datagram.remote, NatPublic(datagram.local), datagram.bytes);
    }
    if (!b.outbox.queue.empty()) {
      Datagram datagram = std::move(b.outbox.queue.front());
      b.outbox.queue.pop_front();
      ASSERT_EQ(datagram.remote.address, Address("198.51.100.7"));
      a.service->HandleDatagram(NatInside(datagram.remote), datagram.local, datagram.bytes);
    }
  }
}

TEST_F(ExchangeTest, NatTraversalFloatsAndEncapsulates) {
  LogCapture log;
  MakeNodes(RacoonSuite());
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverThroughNat(*a_, *b_);
  EXPECT_TRUE(log.Contains("NAT detected: ME"));
  EXPECT_TRUE(log.Contains("NAT detected: PEER"));
  EXPECT_TRUE(BothEstablished());
  // Both sides moved to port 4500 after the NAT was found (RFC 3947 §4).
  EXPECT_TRUE(log.Contains("ISAKMP-SA established 10.77.0.1[4500]-10.77.0.2[4500]"));
  EXPECT_TRUE(log.Contains("ISAKMP-SA established 10.77.0.2[4500]-198.51.100.7[44500]"));
  const auto status = a_->service->ListIsakmpSas();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_TRUE(status[0].nat_detected_local);
  EXPECT_FALSE(status[0].nat_detected_peer);

  // ESP in UDP: A sends to B's port 4500, B to the NAT's public port.
  ASSERT_EQ(a_->kernel.sas.size(), 2u);
  ASSERT_EQ(b_->kernel.sas.size(), 2u);
  const esp::EspSaConfig* a_out = a_->kernel.FindDirection(false);
  ASSERT_TRUE(a_out->encapsulation.has_value());
  EXPECT_EQ(a_out->encapsulation->source_port, 4500);
  EXPECT_EQ(a_out->encapsulation->destination_port, 4500);
  const esp::EspSaConfig* b_out = b_->kernel.FindDirection(false);
  ASSERT_TRUE(b_out->encapsulation.has_value());
  EXPECT_EQ(b_out->encapsulation->destination_port, 44500);
  EXPECT_EQ(b_out->destination, Address("198.51.100.7"));
  const esp::EspSaConfig* b_in = b_->kernel.Find(a_out->spi);
  ASSERT_NE(b_in, nullptr);
  EXPECT_EQ(ToHex(b_in->cipher_key.view()), ToHex(a_out->cipher_key.view()));
  EXPECT_EQ(ToHex(b_in->integrity_key.view()), ToHex(a_out->integrity_key.view()));
}

TEST_F(ExchangeTest, RepeatedFinalMessagesGetNoReply) {
  MakeNodes(RacoonSuite());
  a_->service->Acquire(AcquireFor(*a_, *b_));
  std::vector<Datagram> sent;
  for (int step = 0; step < 9; ++step) {
    sent.push_back(DeliverOne(step % 2 == 0 ? *a_ : *b_, step % 2 == 0 ? *b_ : *a_));
  }
  ASSERT_TRUE(a_->outbox.queue.empty());
  ASSERT_TRUE(b_->outbox.queue.empty());
  // Main Mode message 6 and HASH(3) arrive a second time.
  const Datagram& main_mode_6 = sent[5];
  const Datagram& hash_3 = sent[8];
  a_->service->HandleDatagram(main_mode_6.remote, main_mode_6.local, main_mode_6.bytes);
  b_->service->HandleDatagram(hash_3.remote, hash_3.local, hash_3.bytes);
  EXPECT_TRUE(a_->outbox.queue.empty());
  EXPECT_TRUE(b_->outbox.queue.empty());
  EXPECT_EQ(a_->service->counters().drops.at("retransmitted peer message"), 1u);
  EXPECT_EQ(b_->service->counters().drops.at("retransmitted peer message"), 1u);
  // A repeated HASH(2) still gets HASH(3) again, in case the first was lost.
  const Datagram& hash_2 = sent[7];
  a_->service->HandleDatagram(hash_2.remote, hash_2.local, hash_2.bytes);
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  EXPECT_EQ(a_->outbox.queue.front().bytes, hash_3.bytes);
  EXPECT_EQ(b_->kernel.sas.size(), 2u);
}

TEST_F(ExchangeTest, ExpiredIsakmpSaKeepsEspUntilShutdown) {
  LogCapture log;
  Suite suite = RacoonSuite();
  suite.phase1.lifetime = seconds(3600);
  MakeNodes(suite);
  a_->config.remotes[0].rekey = config::Phase1Rekey::kOff;
  b_->config.remotes[0].rekey = config::Phase1Rekey::kOff;
  NegotiateAll(*a_, *b_);
  // The ISAKMP SA lives 3600 s; its ESP SAs (28800 s) outlive it.
  timers_.Advance(seconds(3600));
  EXPECT_TRUE(log.Contains("ISAKMP-SA expired 10.77.0.1[500]-10.77.0.2[500]"));
  EXPECT_TRUE(a_->service->ListIsakmpSas().empty());
  EXPECT_EQ(a_->kernel.sas.size(), 2u);
  a_->outbox.queue.clear();
  // Without an ISAKMP SA no Delete can be sent, but the ESP SAs still go.
  a_->service->Shutdown();
  EXPECT_TRUE(a_->outbox.queue.empty());
  EXPECT_TRUE(a_->kernel.sas.empty());
}

TEST_F(ExchangeTest, SimultaneousInitiationStaysConsistent) {
  MakeNodes(RacoonSuite());
  // Both nodes send their first packet at the same moment.
  a_->service->Acquire(AcquireFor(*a_, *b_));
  b_->service->Acquire(AcquireFor(*b_, *a_));
  DeliverAll(*a_, *b_);
  timers_.Advance(seconds(1));
  DeliverAll(*a_, *b_);

  // Each outbound SA on one side is an inbound SA on the other, with the
  // same keys.
  EXPECT_GE(a_->kernel.sas.size(), 2u);
  EXPECT_EQ(a_->kernel.sas.size(), b_->kernel.sas.size());
  ExpectOutboundKnownToPeer(*a_, *b_);
  ExpectOutboundKnownToPeer(*b_, *a_);
  const auto list_a = a_->service->ListIsakmpSas();
  const auto list_b = b_->service->ListIsakmpSas();
  ASSERT_EQ(list_a.size(), list_b.size());
  for (const IsakmpSaStatus& status : list_a) {
    EXPECT_TRUE(status.established);
    const bool known = std::ranges::any_of(list_b, [&](const IsakmpSaStatus& other) {
      return other.cookie_i == status.cookie_i && other.cookie_r == status.cookie_r && other.established;
    });
    EXPECT_TRUE(known) << std::hex << status.cookie_i;
  }
}

TEST_F(ExchangeTest, QuickModeTimesOutAtPhase2Limit) {
  LogCapture log;
  MakeNodes(RacoonSuite());
  a_->service->Acquire(AcquireFor(*a_, *b_));
  for (int step = 0; step < 6; ++step) {
    DeliverOne(step % 2 == 0 ? *a_ : *b_, step % 2 == 0 ? *b_ : *a_);
  }
  ASSERT_TRUE(BothEstablished());
  // Every copy of HDR*, HASH(1), SA, Ni, KE, IDci, IDcr --> is lost.
  a_->outbox.queue.clear();
  timers_.Advance(seconds(10));
  EXPECT_EQ(a_->outbox.queue.size(), 1u);
  a_->outbox.queue.clear();
  timers_.Advance(seconds(20));
  EXPECT_TRUE(log.Contains("phase2 negotiation failed due to time up. 10.77.0.2[500]"));
  EXPECT_EQ(a_->service->counters().phase2_failed, 1u);
  EXPECT_TRUE(a_->kernel.sas.empty());
  // The ISAKMP SA survives, and the next ACQUIRE succeeds over it.
  a_->outbox.queue.clear();
  a_->service->Acquire(AcquireFor(*a_, *b_));
  EXPECT_EQ(DeliverAll(*a_, *b_), 3);
  EXPECT_EQ(a_->kernel.sas.size(), 2u);
}

}  // namespace
}  // namespace ipop::ike::test
