// Identity and certificate matrix: two in-memory peers run Main Mode
// (RFC 2409 §5.1) with each ID type on both sides, DN wildcards,
// subjectAltName checks, certificate chains, peers_certfile and
// verify_cert off. Each case asserts whether node A (the initiator)
// establishes the ISAKMP SA and the log line that gives the reason.
//
// The certificates are in tests/ike/data/identity, made by make-certs.sh
// there with the openssl CLI: a.pem is node A (10.77.0.1, a.example,
// ike@a.example), b*.pem are variants of node B (10.77.0.2, b.example,
// ike@b.example), all under root.pem unless the name says otherwise.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "ike/credentials.h"
#include "tests/ike/exchange_harness.h"

namespace ipop::ike::test {
namespace {

using config::IdentifierType;
using config::RemoteConfig;

const std::string kIdentityDir = std::string(IPOP_TEST_DATA_DIR) + "/ike/data/identity";

std::string File(const std::string& name) { return kIdentityDir + "/" + name; }

config::Identifier Id(IdentifierType type, std::string value = "") { return config::Identifier{type, std::move(value)}; }

// A node with certificate `certificate` (and key `key`) that trusts
// root.pem and sends my_identifier asn1dn.
config::RuntimeConfig NodeConfig(const char* address, const std::string& certificate, const std::string& key) {
  config::RuntimeConfig config = MakeConfig(address, kIdentityDir, File("root.pem"), RacoonSuite());
  config.remotes[0].certificate_file = File(certificate);
  config.remotes[0].private_key_file = File(key);
  return config;
}

struct MatrixCase {
  std::string name;
  // Changes the remote sections of A and B from the default above, and may
  // replace B's certificate file.
  std::function<void(RemoteConfig& a, RemoteConfig& b)> setup;
  bool established;
  std::string expected_log;  // a line fragment A logs
};

// gtest lists a parameter's raw bytes (heap addresses included) after each
// test name, and ctest takes that into its test names; print the name.
void PrintTo(const MatrixCase& test_case, std::ostream* out) { *out << test_case.name; }

bool IsEstablished(const Node& node) {
  auto list = node.service->ListIsakmpSas();
  return list.size() == 1 && list[0].established;
}

class IdentityMatrixTest : public ::testing::TestWithParam<MatrixCase> {
 protected:
  ManualTimerService timers_;
};

TEST_P(IdentityMatrixTest, AcceptsOrRejects) {
  const MatrixCase& matrix_case = GetParam();
  LogCapture log;
  config::RuntimeConfig config_a = NodeConfig("10.77.0.1", "a.pem", "a.key");
  config::RuntimeConfig config_b = NodeConfig("10.77.0.2", "b.pem", "b.key");
  matrix_case.setup(config_a.remotes[0], config_b.remotes[0]);
  Node a("10.77.0.1", config_a, timers_, 0x1000);
  Node b("10.77.0.2", config_b, timers_, 0x2000);
  auto loaded_a = a.service->LoadCredentials();
  ASSERT_TRUE(loaded_a.has_value()) << ToString(loaded_a.error());
  auto loaded_b = b.service->LoadCredentials();
  ASSERT_TRUE(loaded_b.has_value()) << ToString(loaded_b.error());
  AddPolicies(a);
  AddPolicies(b);

  a.service->Acquire(AcquireFor(a, b));
  DeliverAll(a, b);

  EXPECT_EQ(IsEstablished(a), matrix_case.established) << log.text;
  EXPECT_TRUE(log.Contains(matrix_case.expected_log)) << "missing \"" << matrix_case.expected_log << "\" in\n"
                                                      << log.text;
  if (matrix_case.established) {
    EXPECT_EQ(a.kernel.sas.size(), 2u);
  } else {
    EXPECT_TRUE(a.kernel.sas.empty());
  }
}

const char kSubjectB[] = "/O=ipop-esp test/CN=b.example";

std::vector<MatrixCase> MatrixCases() {
  return {
      // ---- each ID type on both sides, with verify_identifier on both ----
      {"Asn1DnBothSides",
       [](RemoteConfig& a, RemoteConfig& b) {
         a.verify_identifier = b.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kAsn1Dn, "O=ipop-esp test, CN=b.example");
         b.peers_identifier = Id(IdentifierType::kAsn1Dn, "/O=ipop-esp test/CN=a.example");
       },
       true, "authenticated as asn1dn \"/O=ipop-esp test/CN=b.example\""},
      {"AddressBothSides",
       [](RemoteConfig& a, RemoteConfig& b) {
         a.my_identifier = b.my_identifier = Id(IdentifierType::kAddress);
         a.verify_identifier = b.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kAddress, "10.77.0.2");
         b.peers_identifier = Id(IdentifierType::kAddress);  // the peer's own address
       },
       true, "authenticated as address \"10.77.0.2\""},
      {"FqdnBothSides",
       [](RemoteConfig& a, RemoteConfig& b) {
         a.my_identifier = Id(IdentifierType::kFqdn, "a.example");
         b.my_identifier = Id(IdentifierType::kFqdn, "b.example");
         a.verify_identifier = b.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kFqdn, "B.Example");
         b.peers_identifier = Id(IdentifierType::kFqdn, "a.example");
       },
       true, "authenticated as fqdn \"b.example\""},
      {"UserFqdnBothSides",
       [](RemoteConfig& a, RemoteConfig& b) {
         a.my_identifier = Id(IdentifierType::kUserFqdn, "ike@a.example");
         b.my_identifier = Id(IdentifierType::kUserFqdn, "ike@b.example");
         a.verify_identifier = b.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kUserFqdn, "ike@b.example");
         b.peers_identifier = Id(IdentifierType::kUserFqdn, "ike@a.example");
       },
       true, "authenticated as user_fqdn \"ike@b.example\""},
      {"KeyIdBothSidesWithoutCertCheck",
       [](RemoteConfig& a, RemoteConfig& b) {
         a.my_identifier = Id(IdentifierType::kKeyId, "key-a");
         b.my_identifier = Id(IdentifierType::kKeyId, "key-b");
         a.verify_cert = b.verify_cert = false;
         a.verify_identifier = b.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kKeyId, "key-b");
         b.peers_identifier = Id(IdentifierType::kKeyId, "key-a");
       },
       true, "authenticated as keyid \"key-b\""},
      {"KeyIdRejectedWithCertCheck",
       [](RemoteConfig&, RemoteConfig& b) { b.my_identifier = Id(IdentifierType::kKeyId, "key-b"); }, false,
       "authentication failed: the peer's ID keyid \"key-b\" cannot be checked against a certificate"},

      // ---- peers_identifier mismatches end phase 1 and name both IDs ----
      {"AddressMismatch",
       [](RemoteConfig& a, RemoteConfig& b) {
         b.my_identifier = Id(IdentifierType::kAddress);
         a.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kAddress, "10.77.0.9");
       },
       false,
       "phase1 negotiation failed: the peer's ID address \"10.77.0.2\" does not match peers_identifier address "
       "\"10.77.0.9\""},
      {"FqdnMismatch",
       [](RemoteConfig& a, RemoteConfig& b) {
         b.my_identifier = Id(IdentifierType::kFqdn, "b.example");
         a.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kFqdn, "c.example");
       },
       false,
       "phase1 negotiation failed: the peer's ID fqdn \"b.example\" does not match peers_identifier fqdn "
       "\"c.example\""},
      {"TypeMismatch",
       [](RemoteConfig& a, RemoteConfig&) {
         a.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kFqdn, "b.example");
       },
       false,
       "the peer's ID asn1dn \"/O=ipop-esp test/CN=b.example\" does not match peers_identifier fqdn \"b.example\""},
      {"VerifyIdentifierOffIgnoresMismatch",
       [](RemoteConfig& a, RemoteConfig&) { a.peers_identifier = Id(IdentifierType::kFqdn, "c.example"); }, true,
       "ISAKMP-SA established"},
      {"ResponderRejectsInitiatorId",
       [](RemoteConfig&, RemoteConfig& b) {
         b.verify_identifier = true;
         b.peers_identifier = Id(IdentifierType::kAsn1Dn, "O=ipop-esp test, CN=c.example");
       },
       false,
       "phase1 negotiation failed: the peer's ID asn1dn \"/O=ipop-esp test/CN=a.example\" does not match "
       "peers_identifier asn1dn \"O=ipop-esp test, CN=c.example\""},

      // ---- asn1dn values and wildcards ----
      {"Asn1DnExplicitName",
       [](RemoteConfig& a, RemoteConfig& b) {
         b.my_identifier = Id(IdentifierType::kAsn1Dn, "O=ipop-esp test, CN=b.example");
         a.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kAsn1Dn);  // the subject of B's certificate
       },
       true, "authenticated as asn1dn \"/O=ipop-esp test/CN=b.example\""},
      {"Asn1DnExplicitNameNotInCertificate",
       [](RemoteConfig&, RemoteConfig& b) {
         b.my_identifier = Id(IdentifierType::kAsn1Dn, "O=ipop-esp test, CN=c.example");
       },
       false,
       "the peer's ID asn1dn \"/O=ipop-esp test/CN=c.example\" is not the subject of its certificate "
       "/O=ipop-esp test/CN=b.example"},
      {"WildcardCommonName",
       [](RemoteConfig& a, RemoteConfig&) {
         a.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kAsn1Dn, "O=ipop-esp test, CN=*");
       },
       true, "ISAKMP-SA established"},
      {"WildcardOrganisationSlashForm",
       [](RemoteConfig& a, RemoteConfig&) {
         a.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kAsn1Dn, "/O=*/CN=b.example");
       },
       true, "ISAKMP-SA established"},
      {"WildcardOtherOrganisation",
       [](RemoteConfig& a, RemoteConfig&) {
         a.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kAsn1Dn, "O=other, CN=*");
       },
       false,
       "phase1 negotiation failed: the peer's ID asn1dn \"/O=ipop-esp test/CN=b.example\" does not match "
       "peers_identifier asn1dn \"O=other, CN=*\""},
      {"WildcardNeedsSameRdnCount",
       [](RemoteConfig& a, RemoteConfig&) {
         a.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kAsn1Dn, "O=*, OU=*, CN=*");
       },
       false, "does not match peers_identifier asn1dn \"O=*, OU=*, CN=*\""},
      {"MultiValuedRdnInAnyOrder",
       [](RemoteConfig& a, RemoteConfig& b) {
         b.certificate_file = File("b-multi.pem");
         a.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kAsn1Dn, "O=ipop-esp test, CN=b.example + UID=b");
       },
       true, "authenticated as asn1dn \"/O=ipop-esp test/UID=b+CN=b.example\""},
      {"MultiValuedRdnExplicitOwnName",
       [](RemoteConfig& a, RemoteConfig& b) {
         b.certificate_file = File("b-multi.pem");
         b.my_identifier = Id(IdentifierType::kAsn1Dn, "O=ipop-esp test, CN=b.example+UID=b");
         a.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kAsn1Dn, "O=ipop-esp test, UID=*+CN=b.example");
       },
       true, "ISAKMP-SA established"},
      {"MultiValuedRdnIsNotTwoRdns",
       [](RemoteConfig& a, RemoteConfig& b) {
         b.certificate_file = File("b-multi.pem");
         a.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kAsn1Dn, "O=ipop-esp test, UID=b, CN=b.example");
       },
       false, "does not match peers_identifier asn1dn \"O=ipop-esp test, UID=b, CN=b.example\""},

      // ---- IDs against subjectAltName ----
      {"AddressInSubjectAltName", [](RemoteConfig&, RemoteConfig& b) { b.my_identifier = Id(IdentifierType::kAddress); },
       true, "authenticated as address \"10.77.0.2\""},
      {"AddressNotInSubjectAltName",
       [](RemoteConfig&, RemoteConfig& b) { b.my_identifier = Id(IdentifierType::kAddress, "10.77.0.9"); }, false,
       "the peer's ID address \"10.77.0.9\" is not an IP address subjectAltName of its certificate "
       "/O=ipop-esp test/CN=b.example"},
      {"AddressWithoutSubjectAltName",
       [](RemoteConfig&, RemoteConfig& b) {
         b.certificate_file = File("b-nosan.pem");
         b.my_identifier = Id(IdentifierType::kAddress);
       },
       false, "the peer's ID address \"10.77.0.2\" is not an IP address subjectAltName"},
      {"FqdnNotInSubjectAltName",
       [](RemoteConfig&, RemoteConfig& b) { b.my_identifier = Id(IdentifierType::kFqdn, "c.example"); }, false,
       "the peer's ID fqdn \"c.example\" is not a DNS subjectAltName of its certificate"},
      {"UserFqdnNotInSubjectAltName",
       [](RemoteConfig&, RemoteConfig& b) { b.my_identifier = Id(IdentifierType::kUserFqdn, "other@b.example"); },
       false, "the peer's ID user_fqdn \"other@b.example\" is not an email (rfc822Name) subjectAltName"},
      {"SubjectAltNameUncheckedWithVerifyCertOff",
       [](RemoteConfig& a, RemoteConfig& b) {
         b.my_identifier = Id(IdentifierType::kFqdn, "c.example");
         a.verify_cert = false;
       },
       true, "authenticated as fqdn \"c.example\""},

      // ---- chains and trust ----
      {"ChainOfDepthTwo", [](RemoteConfig&, RemoteConfig& b) { b.certificate_file = File("b-chain2.pem"); }, true,
       "ISAKMP-SA established"},
      {"ChainOfDepthThree", [](RemoteConfig&, RemoteConfig& b) { b.certificate_file = File("b-chain3.pem"); }, true,
       "ISAKMP-SA established"},
      {"MissingIntermediate", [](RemoteConfig&, RemoteConfig& b) { b.certificate_file = File("b-inter1.pem"); },
       false,
       "certificate rejected: certificate /O=ipop-esp test/CN=b.example rejected: unable to get local issuer "
       "certificate"},
      {"IntermediateInCaFile",
       [](RemoteConfig& a, RemoteConfig& b) {
         b.certificate_file = File("b-inter1.pem");
         a.ca_file = File("ca-bundle.pem");
       },
       true, "ISAKMP-SA established"},
      {"IntermediateSentWithoutRootTrust",
       [](RemoteConfig& a, RemoteConfig& b) {
         b.certificate_file = File("b-chain2.pem");
         a.ca_file = File("other-root.pem");
       },
       false, "certificate rejected: certificate /O=ipop-esp test/CN=b.example rejected: unable to get local issuer"},
      {"WrongCa", [](RemoteConfig&, RemoteConfig& b) { b.certificate_file = File("b-other-ca.pem"); }, false,
       "certificate rejected: certificate /O=ipop-esp test/CN=b.example rejected: unable to get local issuer "
       "certificate"},
      {"ExpiredCertificate", [](RemoteConfig&, RemoteConfig& b) { b.certificate_file = File("b-expired.pem"); },
       false, "certificate rejected: certificate /O=ipop-esp test/CN=b.example rejected: certificate has expired"},
      {"VerifyCertOffAcceptsWrongCa",
       [](RemoteConfig& a, RemoteConfig& b) {
         b.certificate_file = File("b-other-ca.pem");
         a.verify_cert = false;
       },
       true, "ISAKMP-SA established"},
      {"VerifyCertOffAcceptsExpired",
       [](RemoteConfig& a, RemoteConfig& b) {
         b.certificate_file = File("b-expired.pem");
         a.verify_cert = false;
       },
       true, "ISAKMP-SA established"},
      {"VerifyCertOffStillChecksSignature",
       [](RemoteConfig& a, RemoteConfig&) {
         a.verify_cert = false;
         a.peers_certificate_file = File("a.pem");  // not B's key
       },
       false, "signature verification failed: RSA signature padding is invalid"},

      // ---- where the peer's certificate comes from ----
      {"PeersCertfileWhenPeerSendsNone",
       [](RemoteConfig& a, RemoteConfig& b) {
         a.peers_certificate_file = File("b.pem");
         b.send_cert = false;
       },
       true, "authenticated as asn1dn \"/O=ipop-esp test/CN=b.example\""},
      {"PeersCertfileIsTrustedAsConfigured",
       [](RemoteConfig& a, RemoteConfig& b) {
         b.certificate_file = File("b-other-ca.pem");
         a.peers_certificate_file = File("b-other-ca.pem");
       },
       true, "ignoring 1 CERT payloads: peers_certfile is set"},
      {"PeersCertfileReplacesSentCertificate",
       [](RemoteConfig& a, RemoteConfig&) { a.peers_certificate_file = File("a.pem"); }, false,
       "signature verification failed"},
      {"NoCertificateSent", [](RemoteConfig&, RemoteConfig& b) { b.send_cert = false; }, false,
       "authentication failed: the peer sent no X.509 certificate and no peers_certfile is set"},

      // ---- Aggressive Mode runs the same checks ----
      {"AggressiveChainOfDepthTwo",
       [](RemoteConfig& a, RemoteConfig& b) {
         a.exchange_modes = b.exchange_modes = {config::ExchangeMode::kAggressive};
         b.certificate_file = File("b-chain2.pem");
         a.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kAsn1Dn, "O=ipop-esp test, CN=*");
       },
       true, "ISAKMP-SA established"},
      {"AggressiveIdMismatch",
       [](RemoteConfig& a, RemoteConfig& b) {
         a.exchange_modes = b.exchange_modes = {config::ExchangeMode::kAggressive};
         a.verify_identifier = true;
         a.peers_identifier = Id(IdentifierType::kAsn1Dn, "O=ipop-esp test, CN=c.example");
       },
       false,
       "phase1 negotiation failed: the peer's ID asn1dn \"/O=ipop-esp test/CN=b.example\" does not match "
       "peers_identifier asn1dn \"O=ipop-esp test, CN=c.example\""},
  };
}

INSTANTIATE_TEST_SUITE_P(Matrix, IdentityMatrixTest, ::testing::ValuesIn(MatrixCases()),
                         [](const ::testing::TestParamInfo<MatrixCase>& param_info) { return param_info.param.name; });

// ---- pre-shared keys: the ID is checked the same way ----

class IdentityPskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    psk_file_ = ::testing::TempDir() + "/ipop_identity_psk.txt";
    FILE* file = std::fopen(psk_file_.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs("10.77.0.1 identity test key\n10.77.0.2 identity test key\n", file);
    std::fclose(file);
    chmod(psk_file_.c_str(), 0600);
  }

  config::RuntimeConfig PskConfig(const char* address) {
    Suite suite = RacoonSuite();
    suite.phase1.auth_method = config::AuthMethod::kPreSharedKey;
    config::RuntimeConfig config = MakeConfig(address, kIdentityDir, File("root.pem"), suite);
    config.pre_shared_key_file = psk_file_;
    config.remotes[0].my_identifier = Id(IdentifierType::kAddress);
    return config;
  }

  bool Negotiate(config::RuntimeConfig config_a, config::RuntimeConfig config_b) {
    Node a("10.77.0.1", std::move(config_a), timers_, 0x1000);
    Node b("10.77.0.2", std::move(config_b), timers_, 0x2000);
    EXPECT_TRUE(a.service->LoadCredentials().has_value());
    EXPECT_TRUE(b.service->LoadCredentials().has_value());
    AddPolicies(a);
    AddPolicies(b);
    a.service->Acquire(AcquireFor(a, b));
    DeliverAll(a, b);
    return IsEstablished(a);
  }

  std::string psk_file_;
  ManualTimerService timers_;
};

TEST_F(IdentityPskTest, FqdnMatchesPeersIdentifier) {
  LogCapture log;
  config::RuntimeConfig config_a = PskConfig("10.77.0.1");
  config::RuntimeConfig config_b = PskConfig("10.77.0.2");
  config_b.remotes[0].my_identifier = Id(IdentifierType::kFqdn, "b.example");
  config_a.remotes[0].verify_identifier = true;
  config_a.remotes[0].peers_identifier = Id(IdentifierType::kFqdn, "b.example");
  EXPECT_TRUE(Negotiate(config_a, config_b));
  EXPECT_TRUE(log.Contains("authenticated as fqdn \"b.example\""));
}

TEST_F(IdentityPskTest, AddressMismatchFailsPhase1) {
  LogCapture log;
  config::RuntimeConfig config_a = PskConfig("10.77.0.1");
  config_a.remotes[0].verify_identifier = true;
  config_a.remotes[0].peers_identifier = Id(IdentifierType::kAddress, "10.77.0.3");
  EXPECT_FALSE(Negotiate(config_a, PskConfig("10.77.0.2")));
  EXPECT_TRUE(log.Contains("ERROR: phase1 negotiation failed: the peer's ID address \"10.77.0.2\" does not match "
                           "peers_identifier address \"10.77.0.3\". 10.77.0.2[500]"));
}

// ---- configuration errors surface when credentials load ----

TEST(IdentityCredentialsTest, KeyMustMatchFirstCertificateOfChain) {
  config::RuntimeConfig config = NodeConfig("10.77.0.2", "b-chain2.pem", "a.key");
  Credentials credentials;
  auto loaded = credentials.Load(config);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().detail.find("does not match the first certificate in " + File("b-chain2.pem")),
            std::string::npos)
      << loaded.error().detail;
}

TEST(IdentityCredentialsTest, ChainFileGivesIntermediates) {
  config::RuntimeConfig config = NodeConfig("10.77.0.2", "b-chain3.pem", "b.key");
  Credentials credentials;
  auto loaded = credentials.Load(config);
  ASSERT_TRUE(loaded.has_value()) << ToString(loaded.error());
  const RemoteCredentials* own = credentials.ForRemote(config.remotes[0]);
  ASSERT_NE(own, nullptr);
  ASSERT_EQ(own->intermediates.size(), 2u);
  EXPECT_EQ(own->intermediates[0].SubjectText(), "/O=ipop-esp test/CN=identity test intermediate 2");
  EXPECT_EQ(own->intermediates[1].SubjectText(), "/O=ipop-esp test/CN=identity test intermediate 1");
  EXPECT_EQ(own->certificate->SubjectText(), kSubjectB);
}

TEST(IdentityCredentialsTest, PeersCertfileReplacesCaRequirement) {
  config::RuntimeConfig config = NodeConfig("10.77.0.1", "a.pem", "a.key");
  config.remotes[0].ca_file.clear();
  Credentials without_peer_file;
  auto rejected = without_peer_file.Load(config);
  ASSERT_FALSE(rejected.has_value());
  EXPECT_NE(rejected.error().detail.find("verify_cert is on but no ca_type x509 file is configured"),
            std::string::npos);

  config.remotes[0].peers_certificate_file = File("b.pem");
  Credentials with_peer_file;
  auto loaded = with_peer_file.Load(config);
  ASSERT_TRUE(loaded.has_value()) << ToString(loaded.error());
  EXPECT_EQ(with_peer_file.ForRemote(config.remotes[0])->peer_certificate->SubjectText(), kSubjectB);
}

}  // namespace
}  // namespace ipop::ike::test
