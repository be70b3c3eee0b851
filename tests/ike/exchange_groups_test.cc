// Main Mode with the RFC 3526 and RFC 5903 groups when the peer's KE payload
// is invalid: the responder must reject it with a logged reason and derive
// no keys.
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "crypto/algorithms.h"
#include "ike/message.h"
#include "tests/ike/exchange_harness.h"

namespace ipop::ike::test {
namespace {

Suite Phase1Suite(crypto::DhGroup group) {
  Suite suite;
  suite.name = crypto::DhGroupName(group);
  suite.phase1.cipher = crypto::IkeCipher::kAesCbc;
  suite.phase1.key_bits = 256;
  suite.phase1.hash = crypto::HashAlgorithm::kSha384;
  suite.phase1.dh_group = group;
  return suite;
}

// Offset of the KE payload body in Main Mode message 3, whose first payload
// is KE: the ISAKMP header (RFC 2408 §3.1) and the generic payload header
// (RFC 2408 §3.2).
constexpr size_t kKeBodyOffset = 28 + 4;

struct BadKeCase {
  const char* name;
  crypto::DhGroup group;
  // Rewrites the KE body of message 3 in place.
  void (*damage)(MutableByteView ke_body);
  const char* logged_reason;
};

// gtest lists a parameter's raw bytes (heap addresses included) after each
// test name, and ctest takes that into its test names; print the name.
void PrintTo(const BadKeCase& test_case, std::ostream* out) { *out << test_case.name; }

const BadKeCase kBadKeCases[] = {
    {"ecp256_off_curve", crypto::DhGroup::kEcp256,
     [](MutableByteView body) { body.back() ^= std::byte{1}; },
     "ECP public value is not a point on ECP256"},
    {"ecp384_off_curve", crypto::DhGroup::kEcp384,
     [](MutableByteView body) { body.back() ^= std::byte{1}; },
     "ECP public value is not a point on ECP384"},
    {"ecp384_x_above_p", crypto::DhGroup::kEcp384,
     [](MutableByteView body) {
       std::fill(body.begin(), body.begin() + body.size() / 2, std::byte{0xff});
     },
     "ECP public value has a coordinate not below p of ECP384"},
    {"modp4096_above_p", crypto::DhGroup::kModp4096,
     [](MutableByteView body) { std::fill(body.begin(), body.end(), std::byte{0xff}); },
     "DH public value outside 2..p-2"},
    {"modp3072_one", crypto::DhGroup::kModp3072,
     [](MutableByteView body) {
       std::fill(body.begin(), body.end(), std::byte{0});
       body.back() = std::byte{1};
     },
     "DH public value outside 2..p-2"},
};

class BadKeyExchangeTest : public ::testing::TestWithParam<BadKeCase> {};

TEST_P(BadKeyExchangeTest, ResponderRejectsAndLogs) {
  const BadKeCase& test_case = GetParam();
  LogCapture log;
  ManualTimerService timers;
  const Suite suite = Phase1Suite(test_case.group);
  Node a("10.77.0.1", MakeConfig("10.77.0.1", kCertDir + "/10.77.0.1", kCertDir + "/rootCA.pem", suite),
         timers, 0x1000);
  Node b("10.77.0.2", MakeConfig("10.77.0.2", kCertDir + "/10.77.0.2", kCertDir + "/rootCA.pem", suite),
         timers, 0x2000);
  ASSERT_TRUE(a.service->LoadCredentials().has_value());
  ASSERT_TRUE(b.service->LoadCredentials().has_value());
  AddPolicies(a);
  AddPolicies(b);

  // HDR, SA -->  and  <-- HDR, SA
  a.service->Acquire(AcquireFor(a, b));
  DeliverOne(a, b);
  DeliverOne(b, a);

  // HDR, KE, Ni, NAT-D, NAT-D -->  with the KE body damaged
  ASSERT_EQ(a.outbox.queue.size(), 1u);
  Bytes& message3 = a.outbox.queue.front().bytes;
  const size_t ke_length = crypto::DhGroupBytes(test_case.group);
  ASSERT_GE(message3.size(), kKeBodyOffset + ke_length);
  auto parsed = ParseMessage(message3);
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->payloads().front().type, PayloadType::kKeyExchange);
  ASSERT_EQ(parsed->payloads().front().body.size(), ke_length);
  test_case.damage(MutableByteView(message3).subspan(kKeBodyOffset, ke_length));
  DeliverOne(a, b);

  EXPECT_TRUE(log.Contains(std::string("phase1 negotiation failed: ") + test_case.logged_reason))
      << log.text;
  EXPECT_EQ(b.service->counters().phase1_failed, 1u);
  for (const auto& sa : b.service->ListIsakmpSas()) {
    EXPECT_FALSE(sa.established);
  }
  EXPECT_TRUE(b.kernel.sas.empty());
}

INSTANTIATE_TEST_SUITE_P(Groups, BadKeyExchangeTest, ::testing::ValuesIn(kBadKeCases),
                         [](const ::testing::TestParamInfo<BadKeCase>& param_info) {
                           return std::string(param_info.param.name);
                         });

}  // namespace
}  // namespace ipop::ike::test
