// Runs Main Mode and Quick Mode between two in-memory peers with a key log
// on the initiator, then decrypts the initiator's Main Mode message 5 with
// the logged key the way Wireshark does: IV = hash(g^xi | g^xr) truncated to
// the block size (RFC 2409 Appendix B).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "crypto/ike_cipher.h"
#include "ike/key_log.h"
#include "ike/message.h"
#include "ike/payload_key_exchange.h"
#include "tests/ike/exchange_harness.h"

namespace ipop::ike::test {
namespace {

Bytes PublicValueOf(const Bytes& datagram) {
  auto message = ParseMessage(datagram);
  EXPECT_TRUE(message.has_value());
  const Payload* payload = message->Find(PayloadType::kKeyExchange);
  EXPECT_NE(payload, nullptr);
  return ParseKeyExchangePayload(payload->body)->public_value;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

class KeyLogExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ipop-key-log-exchange.XXXXXX";
    dir_ = mkdtemp(pattern);
    a_ = std::make_unique<Node>("10.77.0.1",
                                MakeConfig("10.77.0.1", kCertDir + "/10.77.0.1", kCertDir + "/rootCA.pem",
                                           RacoonSuite()),
                                timers_, 0x1000);
    b_ = std::make_unique<Node>("10.77.0.2",
                                MakeConfig("10.77.0.2", kCertDir + "/10.77.0.2", kCertDir + "/rootCA.pem",
                                           RacoonSuite()),
                                timers_, 0x2000);
    ASSERT_TRUE(a_->service->LoadCredentials().has_value());
    ASSERT_TRUE(b_->service->LoadCredentials().has_value());
    AddPolicies(*a_);
    AddPolicies(*b_);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::string dir_;
  ManualTimerService timers_;
  std::unique_ptr<Node> a_;
  std::unique_ptr<Node> b_;
};

TEST_F(KeyLogExchangeTest, LoggedKeyDecryptsMessage5WithCertRequest) {
  auto key_log = KeyLog::Open(dir_ + "/keys");
  ASSERT_TRUE(key_log.has_value()) << key_log.error().detail;
  a_->service->SetKeyLog(key_log->get());

  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverOne(*a_, *b_);                                  // SA
  DeliverOne(*b_, *a_);                                  // SA
  const Bytes public_i = PublicValueOf(DeliverOne(*a_, *b_).bytes);  // KE, Ni
  const Bytes public_r = PublicValueOf(DeliverOne(*b_, *a_).bytes);  // KE, Nr
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  const Bytes message5 = a_->outbox.queue.front().bytes;
  DeliverAll(*a_, *b_);
  ASSERT_EQ(a_->kernel.sas.size(), 2u);

  const auto lines = ReadLines(dir_ + "/keys");
  ASSERT_EQ(lines.size(), 3u);  // one ISAKMP SA, then the inbound and outbound ESP SA
  const size_t comma = lines[0].find(',');
  ASSERT_NE(comma, std::string::npos);
  auto encrypted = ParseMessage(message5);
  ASSERT_TRUE(encrypted.has_value());
  EXPECT_EQ(lines[0].substr(0, comma), ToHex(encrypted->header().initiator_cookie));
  const Bytes key = HexToBytes(lines[0].substr(comma + 1));
  EXPECT_EQ(key.size(), 24u);  // 3DES

  Bytes iv_input = public_i;
  iv_input.insert(iv_input.end(), public_r.begin(), public_r.end());
  Bytes iv = crypto::Hash(crypto::HashAlgorithm::kSha1, iv_input);
  iv.resize(crypto::IkeCipherBlockSize(crypto::IkeCipher::k3desCbc));
  auto plaintext = crypto::IkeCbcDecrypt(crypto::IkeCipher::k3desCbc, key, iv, encrypted->body());
  ASSERT_TRUE(plaintext.has_value());
  auto message = ParseDecryptedMessage(*encrypted, *plaintext);
  ASSERT_TRUE(message.has_value()) << message.error().detail;

  EXPECT_NE(message->Find(PayloadType::kIdentification), nullptr);
  EXPECT_NE(message->Find(PayloadType::kCertificate), nullptr);
  EXPECT_NE(message->Find(PayloadType::kSignature), nullptr);
  EXPECT_NE(message->Find(PayloadType::kCertificateRequest), nullptr);

  std::vector<std::string> expected_esp;
  for (const esp::EspSaConfig& sa : a_->kernel.sas) {
    expected_esp.push_back(KeyLog::FormatEspSa(sa));
  }
  std::vector<std::string> logged_esp(lines.begin() + 1, lines.end());
  std::ranges::sort(expected_esp);
  std::ranges::sort(logged_esp);
  EXPECT_EQ(logged_esp, expected_esp);
}

TEST_F(KeyLogExchangeTest, NothingWrittenWithoutKeyLog) {
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverAll(*a_, *b_);
  ASSERT_EQ(a_->kernel.sas.size(), 2u);
  auto key_log = KeyLog::Open(dir_ + "/keys");
  ASSERT_TRUE(key_log.has_value());
  a_->service->SetKeyLog(key_log->get());
  a_->service->SetKeyLog(nullptr);
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverAll(*a_, *b_);

  EXPECT_TRUE(ReadLines(dir_ + "/keys").empty());
}

}  // namespace
}  // namespace ipop::ike::test
