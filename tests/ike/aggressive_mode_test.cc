// Two in-memory peers run Aggressive Mode (RFC 2409 §5.1 with signatures,
// §5.4 with a pre-shared key) and then Quick Mode, through the real parser
// with a mock clock. Each node is initiator in one test and responder in
// another, so both roles of each authentication method are covered.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "ike/message.h"
#include "tests/ike/exchange_harness.h"
#include "tests/ike/two_node_test.h"

namespace ipop::ike::test {
namespace {

using std::chrono::seconds;
using config::ExchangeMode;

ExchangeType ExchangeTypeOf(const Bytes& datagram) {
  auto message = ParseMessage(datagram);
  return message ? message->header().exchange_type : ExchangeType::kNone;
}

std::string WritePskFile(const std::string& name, const std::string& key_of_a, const std::string& key_of_b) {
  const std::string path = ::testing::TempDir() + "/" + name;
  FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    return path;
  }
  std::fprintf(file, "10.77.0.1 %s\n10.77.0.2 %s\n", key_of_a.c_str(), key_of_b.c_str());
  std::fclose(file);
  chmod(path.c_str(), 0600);
  return path;
}

class AggressiveModeTest : public TwoNodeTest {
 protected:
  config::RuntimeConfig ConfigFor(const char* address, std::vector<ExchangeMode> modes, bool psk = false,
                                  const std::string& psk_file = "") {
    Suite suite = RacoonSuite();
    if (psk) {
      suite.phase1.auth_method = config::AuthMethod::kPreSharedKey;
    }
    config::RuntimeConfig config =
        MakeConfig(address, kCertDir + "/" + address, kCertDir + "/rootCA.pem", suite);
    config.remotes[0].exchange_modes = std::move(modes);
    if (psk) {
      config.pre_shared_key_file = psk_file;
      config.remotes[0].my_identifier.type = config::IdentifierType::kAddress;
    }
    return config;
  }
};

TEST_F(AggressiveModeTest, SignaturesCompleteStepByStep) {
  LogCapture log;
  MakeNodes(ConfigFor("10.77.0.1", {ExchangeMode::kAggressive}),
            ConfigFor("10.77.0.2", {ExchangeMode::kAggressive}));
  a_->service->Acquire(AcquireFor(*a_, *b_));

  // HDR, SA, KE, Ni, IDii, CR, VID --> with four NAT-T vendor IDs and DPD.
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  const Bytes& message1 = a_->outbox.queue.front().bytes;
  EXPECT_EQ(ExchangeTypeOf(message1), ExchangeType::kAggressive);
  EXPECT_EQ(PayloadTypesOf(message1),
            (std::vector{PayloadType::kSa, PayloadType::kKeyExchange, PayloadType::kNonce,
                         PayloadType::kIdentification, PayloadType::kCertificateRequest, PayloadType::kVendorId,
                         PayloadType::kVendorId, PayloadType::kVendorId, PayloadType::kVendorId,
                         PayloadType::kVendorId}));
  DeliverOne(*a_, *b_);

  // <-- HDR, SA, KE, Nr, IDir, CERT, SIG_R, CR, VID(NAT-T), VID(DPD), NAT-D, NAT-D
  ASSERT_EQ(b_->outbox.queue.size(), 1u);
  const Bytes& message2 = b_->outbox.queue.front().bytes;
  EXPECT_FALSE(IsEncrypted(message2));
  EXPECT_EQ(PayloadTypesOf(message2),
            (std::vector{PayloadType::kSa, PayloadType::kKeyExchange, PayloadType::kNonce,
                         PayloadType::kIdentification, PayloadType::kCertificate, PayloadType::kSignature,
                         PayloadType::kCertificateRequest, PayloadType::kVendorId, PayloadType::kVendorId,
                         PayloadType::kNatD, PayloadType::kNatD}));
  DeliverOne(*b_, *a_);
  EXPECT_TRUE(Established(*a_));
  EXPECT_FALSE(Established(*b_));

  // HDR, CERT, SIG_I, NAT-D, NAT-D -->, unencrypted as racoon sends it
  ASSERT_GE(a_->outbox.queue.size(), 1u);
  const Bytes& message3 = a_->outbox.queue.front().bytes;
  EXPECT_FALSE(IsEncrypted(message3));
  EXPECT_EQ(PayloadTypesOf(message3), (std::vector{PayloadType::kCertificate, PayloadType::kSignature,
                                                   PayloadType::kNatD, PayloadType::kNatD}));
  DeliverOne(*a_, *b_);
  EXPECT_TRUE(Established(*b_));
  EXPECT_EQ(log.Count("begin Aggressive mode."), 2u);
  EXPECT_EQ(log.Count("NAT not detected"), 2u);
  EXPECT_FALSE(log.Contains("Aggressive Mode with a pre-shared key"));

  // Then INITIAL-CONTACT in an Informational exchange from both sides, and
  // Quick Mode for the queued ACQUIRE.
  DeliverAll(*a_, *b_);
  EXPECT_EQ(log.Count("received INITIAL-CONTACT"), 2u);
  ExpectMatchingEspSas();
  EXPECT_NE(a_->service->ListIsakmpSas()[0].peer_identity.find("10.77.0.2"), std::string::npos);
  EXPECT_NE(b_->service->ListIsakmpSas()[0].peer_identity.find("10.77.0.1"), std::string::npos);
}

TEST_F(AggressiveModeTest, SignaturesWithRolesSwapped) {
  MakeNodes(ConfigFor("10.77.0.1", {ExchangeMode::kAggressive}),
            ConfigFor("10.77.0.2", {ExchangeMode::kAggressive}));
  b_->service->Acquire(AcquireFor(*b_, *a_));
  DeliverAll(*b_, *a_);
  EXPECT_TRUE(Established(*a_));
  EXPECT_TRUE(Established(*b_));
  EXPECT_FALSE(a_->service->ListIsakmpSas()[0].initiator);
  ExpectMatchingEspSas();
}

TEST_F(AggressiveModeTest, PreSharedKeyCompletesAndWarns) {
  LogCapture log;
  const std::string psk = WritePskFile("ipop_aggressive_psk.txt", "aggressive test key", "aggressive test key");
  MakeNodes(ConfigFor("10.77.0.1", {ExchangeMode::kAggressive}, true, psk),
            ConfigFor("10.77.0.2", {ExchangeMode::kAggressive}, true, psk));
  a_->service->Acquire(AcquireFor(*a_, *b_));

  // HDR, SA, KE, Ni, IDii, VID --> (no CR without signatures)
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  EXPECT_EQ(PayloadTypesOf(a_->outbox.queue.front().bytes),
            (std::vector{PayloadType::kSa, PayloadType::kKeyExchange, PayloadType::kNonce,
                         PayloadType::kIdentification, PayloadType::kVendorId, PayloadType::kVendorId,
                         PayloadType::kVendorId, PayloadType::kVendorId, PayloadType::kVendorId}));
  DeliverOne(*a_, *b_);
  // <-- HDR, SA, KE, Nr, IDir, HASH_R, VID, VID, NAT-D, NAT-D
  ASSERT_EQ(b_->outbox.queue.size(), 1u);
  EXPECT_EQ(PayloadTypesOf(b_->outbox.queue.front().bytes),
            (std::vector{PayloadType::kSa, PayloadType::kKeyExchange, PayloadType::kNonce,
                         PayloadType::kIdentification, PayloadType::kHash, PayloadType::kVendorId,
                         PayloadType::kVendorId, PayloadType::kNatD, PayloadType::kNatD}));
  DeliverOne(*b_, *a_);
  // HDR, HASH_I, NAT-D, NAT-D -->
  ASSERT_GE(a_->outbox.queue.size(), 1u);
  EXPECT_EQ(PayloadTypesOf(a_->outbox.queue.front().bytes),
            (std::vector{PayloadType::kHash, PayloadType::kNatD, PayloadType::kNatD}));
  DeliverAll(*a_, *b_);

  EXPECT_TRUE(Established(*a_));
  EXPECT_TRUE(Established(*b_));
  EXPECT_EQ(a_->service->ListIsakmpSas()[0].peer_identity, "10.77.0.2");
  EXPECT_EQ(b_->service->ListIsakmpSas()[0].peer_identity, "10.77.0.1");
  ExpectMatchingEspSas();
  // Both roles warn: the initiator when it offers a pre-shared key, the
  // responder when it accepts one.
  EXPECT_EQ(log.Count("WARNING: Aggressive Mode with a pre-shared key to 10.77.0.2[500]"), 1u);
  EXPECT_EQ(log.Count("WARNING: Aggressive Mode with a pre-shared key to 10.77.0.1[500]"), 1u);
}

TEST_F(AggressiveModeTest, PreSharedKeyWithRolesSwapped) {
  const std::string psk = WritePskFile("ipop_aggressive_psk_b.txt", "swapped key", "swapped key");
  MakeNodes(ConfigFor("10.77.0.1", {ExchangeMode::kAggressive}, true, psk),
            ConfigFor("10.77.0.2", {ExchangeMode::kAggressive}, true, psk));
  b_->service->Acquire(AcquireFor(*b_, *a_));
  DeliverAll(*b_, *a_);
  EXPECT_TRUE(Established(*a_));
  EXPECT_TRUE(Established(*b_));
  ExpectMatchingEspSas();
}

TEST_F(AggressiveModeTest, WrongPreSharedKeyRejectsHashR) {
  LogCapture log;
  const std::string psk_a = WritePskFile("ipop_aggressive_psk_a1.txt", "key one", "key one");
  const std::string psk_b = WritePskFile("ipop_aggressive_psk_b1.txt", "key two", "key two");
  MakeNodes(ConfigFor("10.77.0.1", {ExchangeMode::kAggressive}, true, psk_a),
            ConfigFor("10.77.0.2", {ExchangeMode::kAggressive}, true, psk_b));
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverOne(*a_, *b_);
  DeliverOne(*b_, *a_);
  // The initiator checks HASH_R before it sends anything more.
  EXPECT_TRUE(a_->outbox.queue.empty());
  EXPECT_EQ(a_->service->counters().drops.at("authentication failed"), 1u);
  EXPECT_TRUE(log.Contains("the peer's HASH does not match (wrong pre-shared key?)"));
  EXPECT_FALSE(Established(*a_));
}

TEST_F(AggressiveModeTest, MainOnlyResponderRejectsAggressive) {
  LogCapture log;
  MakeNodes(ConfigFor("10.77.0.1", {ExchangeMode::kAggressive}), ConfigFor("10.77.0.2", {ExchangeMode::kMain}));
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverOne(*a_, *b_);
  EXPECT_TRUE(b_->outbox.queue.empty());
  EXPECT_TRUE(b_->service->ListIsakmpSas().empty());
  EXPECT_TRUE(log.Contains("Aggressive Mode is not allowed by exchange_mode of remote test:1"));
  timers_.Advance(seconds(31));
  EXPECT_TRUE(a_->service->ListIsakmpSas().empty());
  EXPECT_TRUE(log.Contains("phase1 negotiation failed due to time up. 10.77.0.2[500]"));
}

TEST_F(AggressiveModeTest, AggressiveOnlyResponderRejectsMain) {
  LogCapture log;
  MakeNodes(ConfigFor("10.77.0.1", {ExchangeMode::kMain}), ConfigFor("10.77.0.2", {ExchangeMode::kAggressive}));
  a_->service->Acquire(AcquireFor(*a_, *b_));
  ASSERT_EQ(ExchangeTypeOf(a_->outbox.queue.front().bytes), ExchangeType::kIdentityProtection);
  DeliverOne(*a_, *b_);
  EXPECT_TRUE(b_->outbox.queue.empty());
  EXPECT_TRUE(log.Contains("Main Mode is not allowed by exchange_mode of remote test:1"));
}

TEST_F(AggressiveModeTest, ModeListInitiatorUsesFirst) {
  // A lists main first and B aggressive first; each initiates with its
  // first mode, and each accepts both as responder.
  MakeNodes(ConfigFor("10.77.0.1", {ExchangeMode::kMain, ExchangeMode::kAggressive}),
            ConfigFor("10.77.0.2", {ExchangeMode::kAggressive, ExchangeMode::kMain}));
  a_->service->Acquire(AcquireFor(*a_, *b_));
  EXPECT_EQ(ExchangeTypeOf(a_->outbox.queue.front().bytes), ExchangeType::kIdentityProtection);
  DeliverAll(*a_, *b_);
  EXPECT_TRUE(Established(*a_));

  MakeNodes(ConfigFor("10.77.0.1", {ExchangeMode::kMain, ExchangeMode::kAggressive}),
            ConfigFor("10.77.0.2", {ExchangeMode::kAggressive, ExchangeMode::kMain}));
  b_->service->Acquire(AcquireFor(*b_, *a_));
  EXPECT_EQ(ExchangeTypeOf(b_->outbox.queue.front().bytes), ExchangeType::kAggressive);
  DeliverAll(*b_, *a_);
  EXPECT_TRUE(Established(*a_));
  EXPECT_TRUE(Established(*b_));
  ExpectMatchingEspSas();
}

TEST_F(AggressiveModeTest, BaseModeIsSkipped) {
  LogCapture log;
  MakeNodes(ConfigFor("10.77.0.1", {ExchangeMode::kBase, ExchangeMode::kAggressive}),
            ConfigFor("10.77.0.2", {ExchangeMode::kAggressive}));
  a_->service->Acquire(AcquireFor(*a_, *b_));
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  EXPECT_EQ(ExchangeTypeOf(a_->outbox.queue.front().bytes), ExchangeType::kAggressive);

  MakeNodes(ConfigFor("10.77.0.1", {ExchangeMode::kBase}), ConfigFor("10.77.0.2", {ExchangeMode::kMain}));
  a_->service->Acquire(AcquireFor(*a_, *b_));
  EXPECT_TRUE(a_->outbox.queue.empty());
  EXPECT_EQ(a_->service->counters().phase1_failed, 1u);
  EXPECT_TRUE(log.Contains("lists only base, which is not implemented; add main"));
}

TEST_F(AggressiveModeTest, LostMessage3IsSentAgain) {
  MakeNodes(ConfigFor("10.77.0.1", {ExchangeMode::kAggressive}),
            ConfigFor("10.77.0.2", {ExchangeMode::kAggressive}));
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverOne(*a_, *b_);
  DeliverOne(*b_, *a_);
  // Message 3 and everything after it is lost.
  a_->outbox.queue.clear();
  EXPECT_FALSE(Established(*b_));
  // The responder repeats message 2 after the retry interval (10 s); the
  // initiator answers with message 3 again.
  timers_.Advance(seconds(10));
  ASSERT_EQ(b_->outbox.queue.size(), 1u);
  DeliverOne(*b_, *a_);
  // A's outbox also holds its Quick Mode message 1, retransmitted at the
  // same 10 s; message 3 is the one Aggressive Mode datagram.
  const size_t aggressive_count = std::ranges::count_if(a_->outbox.queue, [](const Datagram& datagram) {
    return ExchangeTypeOf(datagram.bytes) == ExchangeType::kAggressive;
  });
  EXPECT_EQ(aggressive_count, 1u);
  DeliverAll(*a_, *b_);
  EXPECT_TRUE(Established(*b_));
  EXPECT_EQ(a_->service->counters().drops.at("retransmitted peer message"), 1u);
  // The retransmitted Quick Mode message 1 overtook message 3 and was
  // dropped as early, and the responder never answered message 3.
  EXPECT_EQ(b_->service->counters().drops.at("invalid state"), 1u);
  EXPECT_EQ(b_->service->counters().drops.count("retransmitted peer message"), 0u);
}

// A NAT in front of A maps 10.77.0.1:500 and :4500 to these public ports.
Endpoint NatPublic(const Endpoint& inside) {
  return Endpoint{Address("198.51.100.7"), static_cast<uint16_t>(inside.port == 500 ? 40500 : 44500)};
}

Endpoint NatInside(const Endpoint& outside) {
  return Endpoint{Address("10.77.0.1"), static_cast<uint16_t>(outside.port == 40500 ? 500 : 4500)};
}

TEST_F(AggressiveModeTest, NatTraversalFloatsWithMessage3) {
  LogCapture log;
  MakeNodes(ConfigFor("10.77.0.1", {ExchangeMode::kAggressive}),
            ConfigFor("10.77.0.2", {ExchangeMode::kAggressive}));
  a_->service->Acquire(AcquireFor(*a_, *b_));
  std::vector<uint16_t> a_source_ports;
  for (int delivered = 0; delivered < 100 && (!a_->outbox.queue.empty() || !b_->outbox.queue.empty());
       ++delivered) {
    if (!a_->outbox.queue.empty()) {
      Datagram datagram = std::move(a_->outbox.queue.front());
      a_->outbox.queue.pop_front();
      a_source_ports.push_back(datagram.local.port);
      b_->service->HandleDatagram(datagram.remote, NatPublic(datagram.local), datagram.bytes);
    }
    if (!b_->outbox.queue.empty()) {
      Datagram datagram = std::move(b_->outbox.queue.front());
      b_->outbox.queue.pop_front();
      a_->service->HandleDatagram(NatInside(datagram.remote), datagram.local, datagram.bytes);
    }
  }
  // Message 1 from port 500, message 3 and later from port 4500.
  ASSERT_GE(a_source_ports.size(), 2u);
  EXPECT_EQ(a_source_ports[0], 500);
  EXPECT_EQ(a_source_ports[1], 4500);
  EXPECT_TRUE(log.Contains("NAT detected: ME"));
  EXPECT_TRUE(log.Contains("NAT detected: PEER"));
  EXPECT_TRUE(log.Contains("ISAKMP-SA established 10.77.0.1[4500]-10.77.0.2[4500]"));
  EXPECT_TRUE(log.Contains("ISAKMP-SA established 10.77.0.2[4500]-198.51.100.7[44500]"));
  ASSERT_EQ(b_->kernel.sas.size(), 2u);
  const esp::EspSaConfig* b_out = b_->kernel.FindDirection(false);
  ASSERT_TRUE(b_out->encapsulation.has_value());
  EXPECT_EQ(b_out->encapsulation->destination_port, 44500);
}

}  // namespace
}  // namespace ipop::ike::test
