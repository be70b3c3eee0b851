// The configurations IPOP operators run load into the expected
// RuntimeConfig. Expected values come from the files themselves and from
// racoon's documented defaults (racoon.conf(5) of ipsec-tools), never
// from running this code.
#include "config/racoon_conf.h"

#include <gtest/gtest.h>

#include "config_test_util.h"

namespace ipop::config {
namespace {

using namespace std::chrono_literals;
using testing::ReplaceAll;
using testing::TempDir;

// The configuration of the IPOP "IPsec with racoon" recipe, with
// @CERTS@ for the certificate directory.
constexpr const char* kIpopConf = R"(path pre_shared_key "/etc/racoon/psk.txt";
path certificate "@CERTS@";

listen
{   # public IP endpoint for self.
    isakmp 192.168.1.100 [500];
    isakmp_natt 192.168.1.100 [4500];
}

remote anonymous {
        proposal {
                encryption_algorithm 3des;
                hash_algorithm sha1;
                authentication_method rsasig;
        dh_group modp1024;
        }
        certificate_type x509 "cert.pem" "key.pem";
        ca_type x509 "rootCA.pem" ;
        my_identifier asn1dn ;
        verify_identifier off;
        exchange_mode main;
        nat_traversal on;
}
sainfo anonymous {
     authentication_algorithm hmac_sha1;
     compression_algorithm deflate;
        pfs_group modp1024;
        encryption_algorithm 3des;
}
)";

TEST(RacoonConfTest, IpopRecipeLoads) {
  TempDir dir;
  const std::string certs = dir.AddVectorCertificates();
  const std::string path = dir.File("racoon.conf");
  testing::WriteFile(path, ReplaceAll(kIpopConf, "@CERTS@", certs));

  const RuntimeConfig config = LoadRacoonConf(path);

  EXPECT_EQ(config.source_file, path);
  EXPECT_EQ(config.pre_shared_key_file, "/etc/racoon/psk.txt");
  EXPECT_EQ(config.certificate_dir, certs);
  ASSERT_EQ(config.listen.isakmp.size(), 1u);
  EXPECT_EQ(config.listen.isakmp[0].ToString(), "192.168.1.100[500]");
  ASSERT_EQ(config.listen.isakmp_natt.size(), 1u);
  EXPECT_EQ(config.listen.isakmp_natt[0].ToString(), "192.168.1.100[4500]");
  EXPECT_FALSE(config.log_level.has_value());

  ASSERT_EQ(config.remotes.size(), 1u);
  const RemoteConfig& remote = config.remotes[0];
  EXPECT_FALSE(remote.address.has_value());
  EXPECT_EQ(remote.origin, path + ":10");
  EXPECT_EQ(remote.exchange_modes, std::vector<ExchangeMode>{ExchangeMode::kMain});
  ASSERT_EQ(remote.proposals.size(), 1u);
  EXPECT_EQ(remote.proposals[0].cipher, crypto::IkeCipher::k3desCbc);
  EXPECT_EQ(remote.proposals[0].key_bits, 0u);
  EXPECT_EQ(remote.proposals[0].hash, crypto::HashAlgorithm::kSha1);
  EXPECT_EQ(remote.proposals[0].auth_method, AuthMethod::kRsaSignature);
  EXPECT_EQ(remote.proposals[0].dh_group, crypto::DhGroup::kModp1024);
  EXPECT_EQ(remote.proposals[0].lifetime, 28800s);
  EXPECT_EQ(remote.certificate_file, certs + "/cert.pem");
  EXPECT_EQ(remote.private_key_file, certs + "/key.pem");
  EXPECT_EQ(remote.ca_file, certs + "/rootCA.pem");
  EXPECT_EQ(remote.my_identifier.type, IdentifierType::kAsn1Dn);
  EXPECT_EQ(remote.my_identifier.value, "");
  EXPECT_FALSE(remote.peers_identifier.has_value());
  EXPECT_FALSE(remote.verify_identifier);
  EXPECT_EQ(remote.nat_traversal, NatTraversal::kOn);
  // racoon.conf(5) defaults for what the file leaves out.
  EXPECT_TRUE(remote.verify_cert);
  EXPECT_TRUE(remote.send_cert);
  EXPECT_TRUE(remote.send_cr);
  EXPECT_TRUE(remote.initial_contact);
  EXPECT_EQ(remote.nonce_size, 16u);
  EXPECT_EQ(remote.natt_keepalive, 20s);
  EXPECT_EQ(remote.retry_counter, 5);
  EXPECT_EQ(remote.retry_interval, 10s);
  EXPECT_EQ(remote.dpd_delay, 0s);
  EXPECT_EQ(remote.dpd_retry, 5s);
  EXPECT_EQ(remote.dpd_maxfail, 5);

  ASSERT_EQ(config.sainfos.size(), 1u);
  const SainfoConfig& sainfo = config.sainfos[0];
  EXPECT_FALSE(sainfo.local.has_value());
  EXPECT_FALSE(sainfo.remote.has_value());
  EXPECT_EQ(sainfo.origin, path + ":24");
  EXPECT_EQ(sainfo.pfs_group, crypto::DhGroup::kModp1024);
  EXPECT_EQ(sainfo.ciphers, std::vector<crypto::EspCipher>{crypto::EspCipher::k3desCbc});
  EXPECT_EQ(sainfo.cipher_key_bits, std::vector<size_t>{0});
  EXPECT_EQ(sainfo.integrities,
            std::vector<crypto::EspIntegrity>{crypto::EspIntegrity::kHmacSha1_96});
  EXPECT_TRUE(sainfo.compression_deflate);
  EXPECT_EQ(sainfo.lifetime, 28800s);
}

TEST(RacoonConfTest, VectorConfigResolvesPaths) {
  const std::string path = testing::VectorDir() + "/racoon-a.conf";

  const RuntimeConfig config = LoadRacoonConf(path, LoadOptions{.check_files = false});

  EXPECT_EQ(config.pre_shared_key_file, "/etc/racoon/a/psk.txt");
  EXPECT_EQ(config.certificate_dir, "/etc/racoon/a/certs");
  EXPECT_EQ(config.pidfile, "/run/racoon-a.pid");
  EXPECT_EQ(config.listen.adminsock, "/run/racoon-a.sock");
  ASSERT_EQ(config.listen.isakmp.size(), 1u);
  EXPECT_EQ(config.listen.isakmp[0].ToString(), "10.77.0.1[500]");
  ASSERT_EQ(config.listen.isakmp_natt.size(), 1u);
  EXPECT_EQ(config.listen.isakmp_natt[0].ToString(), "10.77.0.1[4500]");
  ASSERT_EQ(config.remotes.size(), 1u);
  EXPECT_EQ(config.remotes[0].certificate_file, "/etc/racoon/a/certs/cert.pem");
  EXPECT_EQ(config.remotes[0].private_key_file, "/etc/racoon/a/certs/key.pem");
  EXPECT_EQ(config.remotes[0].ca_file, "/etc/racoon/a/certs/rootCA.pem");
  EXPECT_EQ(config.remotes[0].nat_traversal, NatTraversal::kOn);
  ASSERT_EQ(config.sainfos.size(), 1u);
  EXPECT_EQ(config.sainfos[0].pfs_group, crypto::DhGroup::kModp1024);
}

TEST(RacoonConfTest, VectorConfigLoadsWithItsCertificates) {
  TempDir dir;
  const std::string certs = dir.AddVectorCertificates();
  const std::string text = ReplaceAll(testing::ReadFile(testing::VectorDir() + "/racoon-a.conf"),
                                      "/etc/racoon/a/certs", certs);
  const RuntimeConfig config = ParseRacoonConfText(text, "racoon-a.conf");

  ASSERT_EQ(config.remotes.size(), 1u);
  EXPECT_EQ(config.remotes[0].certificate_file, certs + "/cert.pem");
  EXPECT_EQ(config.remotes[0].origin, "racoon-a.conf:9");
}

TEST(RacoonConfTest, AbsoluteCertificateNamesStayAsGiven) {
  TempDir dir;
  const std::string certs = dir.AddVectorCertificates();
  std::string text = ReplaceAll(kIpopConf, "@CERTS@", "/nonexistent");
  for (const std::string name : {"cert.pem", "key.pem", "rootCA.pem"}) {
    text = ReplaceAll(text, "\"" + name + "\"", "\"" + certs + "/" + name + "\"");
  }

  const RuntimeConfig config = ParseRacoonConfText(text, "abs.conf");

  EXPECT_EQ(config.remotes[0].certificate_file, certs + "/cert.pem");
  EXPECT_EQ(config.remotes[0].private_key_file, certs + "/key.pem");
  EXPECT_EQ(config.remotes[0].ca_file, certs + "/rootCA.pem");
}

constexpr const char* kFullConf = R"(log debug2;
path certificate "/certs/";
path pre_shared_key "/etc/psk.txt";
padding { randomize off; maximum_length 20; }
timer {
  counter 3;
  interval 2 sec;
  persend 1;
  phase1 1 min;
  phase2 45 secs;
  natt_keepalive 0 sec;
}
listen { isakmp 10.0.0.1; adminsock disabled; strict_address; }
remote 10.0.0.2 [500] {
  exchange_mode main, aggressive;
  lifetime time 2 hour;
  my_identifier address 10.0.0.1;
  peers_identifier fqdn "peer.example";
  verify_identifier on;
  verify_cert off;
  send_cr off;
  nat_traversal force;
  ike_frag force;
  initial_contact off;
  nonce_size 32;
  dpd_delay 20;
  dpd_retry 3;
  dpd_maxfail 4;
  passive off;
  doi ipsec_doi;
  situation identity_only;
  proposal {
    encryption_algorithm aes 256;
    hash_algorithm sha256;
    authentication_method pre_shared_key;
    dh_group 14;
  }
  proposal {
    encryption_algorithm aes;
    hash_algorithm sha1;
    authentication_method pre_shared_key;
    dh_group modp2048;
    lifetime time 30 min;
  }
}
sainfo address 10.0.0.0/24 any address 10.0.1.0/24 any {
  encryption_algorithm aes 128, 3des, aes_gcm_16 256;
  authentication_algorithm hmac_sha256, hmac_sha1;
  lifetime time 1 hour;
}
sainfo address 10.0.0.0/24 any anonymous {
  encryption_algorithm aes;
  authentication_algorithm hmac_sha1;
}
)";

TEST(RacoonConfTest, EveryImplementedDirectiveMaps) {
  const RuntimeConfig config =
      ParseRacoonConfText(kFullConf, "full.conf", LoadOptions{.check_files = false});

  EXPECT_EQ(config.log_level, LogLevel::kDebug2);
  EXPECT_TRUE(config.listen.strict_address);
  EXPECT_EQ(config.listen.adminsock, "");
  ASSERT_EQ(config.listen.isakmp.size(), 1u);
  EXPECT_EQ(config.listen.isakmp[0].port, 500);
  ASSERT_EQ(config.notices.size(), 1u);
  EXPECT_EQ(config.notices[0].substr(0, 13), "full.conf:4:1");

  ASSERT_EQ(config.remotes.size(), 1u);
  const RemoteConfig& remote = config.remotes[0];
  EXPECT_EQ(remote.address, Ipv4Address::Parse("10.0.0.2"));
  EXPECT_EQ(remote.exchange_modes,
            (std::vector<ExchangeMode>{ExchangeMode::kMain, ExchangeMode::kAggressive}));
  EXPECT_EQ(remote.my_identifier.type, IdentifierType::kAddress);
  EXPECT_EQ(remote.my_identifier.value, "10.0.0.1");
  ASSERT_TRUE(remote.peers_identifier.has_value());
  EXPECT_EQ(remote.peers_identifier->type, IdentifierType::kFqdn);
  EXPECT_EQ(remote.peers_identifier->value, "peer.example");
  EXPECT_TRUE(remote.verify_identifier);
  EXPECT_FALSE(remote.verify_cert);
  EXPECT_FALSE(remote.send_cr);
  EXPECT_EQ(remote.nat_traversal, NatTraversal::kForce);
  EXPECT_EQ(remote.ike_fragmentation, IkeFragmentation::kForce);
  EXPECT_FALSE(remote.initial_contact);
  EXPECT_EQ(remote.nonce_size, 32u);
  EXPECT_EQ(remote.dpd_delay, 20s);
  EXPECT_EQ(remote.dpd_retry, 3s);
  EXPECT_EQ(remote.dpd_maxfail, 4);
  EXPECT_EQ(remote.retry_counter, 3);
  EXPECT_EQ(remote.retry_interval, 2s);
  EXPECT_EQ(remote.phase1_timeout, 60s);
  EXPECT_EQ(remote.phase2_timeout, 45s);
  EXPECT_EQ(remote.natt_keepalive, 0s);

  ASSERT_EQ(remote.proposals.size(), 2u);
  EXPECT_EQ(remote.proposals[0].cipher, crypto::IkeCipher::kAesCbc);
  EXPECT_EQ(remote.proposals[0].key_bits, 256u);
  EXPECT_EQ(remote.proposals[0].hash, crypto::HashAlgorithm::kSha256);
  EXPECT_EQ(remote.proposals[0].auth_method, AuthMethod::kPreSharedKey);
  EXPECT_EQ(remote.proposals[0].dh_group, crypto::DhGroup::kModp2048);
  EXPECT_EQ(remote.proposals[0].lifetime, 7200s);  // from the remote block
  EXPECT_EQ(remote.proposals[1].key_bits, 128u);   // racoon's AES default
  EXPECT_EQ(remote.proposals[1].lifetime, 1800s);  // its own lifetime wins

  ASSERT_EQ(config.sainfos.size(), 2u);
  const SainfoConfig& exact = config.sainfos[0];
  EXPECT_EQ(exact.local->ToString(), "10.0.0.0/24");
  EXPECT_EQ(exact.remote->ToString(), "10.0.1.0/24");
  EXPECT_FALSE(exact.pfs_group.has_value());
  EXPECT_EQ(exact.ciphers,
            (std::vector<crypto::EspCipher>{crypto::EspCipher::kAesCbc, crypto::EspCipher::k3desCbc,
                                            crypto::EspCipher::kAesGcm16}));
  EXPECT_EQ(exact.cipher_key_bits, (std::vector<size_t>{128, 0, 256}));
  EXPECT_EQ(exact.integrities,
            (std::vector<crypto::EspIntegrity>{crypto::EspIntegrity::kHmacSha256_128,
                                               crypto::EspIntegrity::kHmacSha1_96}));
  EXPECT_FALSE(exact.compression_deflate);
  EXPECT_EQ(exact.lifetime, 3600s);
  EXPECT_FALSE(config.sainfos[1].remote.has_value());
}

// hmac_sha256_96 is an ipop-espd keyword for racoon's Linux SAs, which carry
// HMAC-SHA2-256 with a 96-bit ICV.
TEST(RacoonConfTest, TruncatedSha256Keyword) {
  const std::string text = ReplaceAll(kIpopConf, "authentication_algorithm hmac_sha1;",
                                      "authentication_algorithm hmac_sha256_96, hmac_sha1;");
  const RuntimeConfig config =
      ParseRacoonConfText(text, "ipop.conf", LoadOptions{.check_files = false});

  ASSERT_EQ(config.sainfos.size(), 1u);
  EXPECT_EQ(config.sainfos[0].integrities,
            (std::vector<crypto::EspIntegrity>{crypto::EspIntegrity::kHmacSha256_96,
                                               crypto::EspIntegrity::kHmacSha1_96}));
}

TEST(RacoonConfTest, PathKeylogSetsKeyLogFile) {
  const RuntimeConfig config = ParseRacoonConfText("path keylog \"/var/lib/ipop-esp/keys.log\";\n",
                                                   "keylog.conf", LoadOptions{.check_files = false});

  EXPECT_EQ(config.keylog_file, "/var/lib/ipop-esp/keys.log");
}

TEST(RacoonConfTest, PathKeylogRejectsRelativeName) {
  try {
    ParseRacoonConfText("path keylog \"keys.log\";\n", "keylog.conf", LoadOptions{.check_files = false});
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()),
              "keylog.conf:1:13: path keylog needs an absolute file name, got \"keys.log\"; write it "
              "as \"/var/lib/ipop-esp/keys.log\" or similar");
  }
}

// racoon's names for the SHA-2 hashes and the RFC 3526 groups, and the
// ipop-espd names ecp256 and ecp384 for the RFC 5903 groups.
TEST(RacoonConfTest, Sha2AndLargeGroupKeywords) {
  const struct {
    const char* hash;
    crypto::HashAlgorithm expected_hash;
    const char* group;
    crypto::DhGroup expected_group;
  } cases[] = {{"sha384", crypto::HashAlgorithm::kSha384, "modp3072", crypto::DhGroup::kModp3072},
               {"sha2_384", crypto::HashAlgorithm::kSha384, "16", crypto::DhGroup::kModp4096},
               {"sha512", crypto::HashAlgorithm::kSha512, "modp6144", crypto::DhGroup::kModp6144},
               {"sha2_512", crypto::HashAlgorithm::kSha512, "18", crypto::DhGroup::kModp8192},
               {"sha256", crypto::HashAlgorithm::kSha256, "ecp256", crypto::DhGroup::kEcp256},
               {"sha384", crypto::HashAlgorithm::kSha384, "20", crypto::DhGroup::kEcp384}};
  for (const auto& test_case : cases) {
    std::string text = ReplaceAll(kIpopConf, "hash_algorithm sha1;",
                                  std::string("hash_algorithm ") + test_case.hash + ";");
    text = ReplaceAll(text, "dh_group modp1024;", std::string("dh_group ") + test_case.group + ";");
    text = ReplaceAll(text, "pfs_group modp1024;",
                      std::string("pfs_group ") + test_case.group + ";");
    const RuntimeConfig config =
        ParseRacoonConfText(text, "ipop.conf", LoadOptions{.check_files = false});

    ASSERT_EQ(config.remotes.size(), 1u) << test_case.hash;
    ASSERT_EQ(config.remotes[0].proposals.size(), 1u) << test_case.hash;
    EXPECT_EQ(config.remotes[0].proposals[0].hash, test_case.expected_hash) << test_case.hash;
    EXPECT_EQ(config.remotes[0].proposals[0].dh_group, test_case.expected_group) << test_case.group;
    ASSERT_EQ(config.sainfos.size(), 1u);
    EXPECT_EQ(config.sainfos[0].pfs_group, test_case.expected_group) << test_case.group;
  }
}

// The 96-bit HMAC-SHA2-256 ICV for one racoon-on-Linux peer, the RFC 4868
// length for every other peer: a sainfo per peer address wins over
// `sainfo anonymous` for transport-mode SAs, whose IDs are the addresses.
TEST(RacoonConfTest, TruncatedSha256ForOnePeer) {
  const std::string text =
      ReplaceAll(kIpopConf, "authentication_algorithm hmac_sha1;",
                 "authentication_algorithm hmac_sha256;") +
      "sainfo address 192.168.1.100 any address 192.168.1.7 any {\n"
      "  encryption_algorithm 3des;\n"
      "  authentication_algorithm hmac_sha256_96;\n"
      "}\n";
  const RuntimeConfig config =
      ParseRacoonConfText(text, "ipop.conf", LoadOptions{.check_files = false});
  const Ipv4Prefix local{*Ipv4Address::Parse("192.168.1.100"), 32};
  const Ipv4Prefix racoon_peer{*Ipv4Address::Parse("192.168.1.7"), 32};
  const Ipv4Prefix other_peer{*Ipv4Address::Parse("192.168.1.8"), 32};

  const SainfoConfig* racoon_sainfo = config.FindSainfo(local, racoon_peer);
  ASSERT_NE(racoon_sainfo, nullptr);
  EXPECT_EQ(racoon_sainfo->integrities,
            std::vector<crypto::EspIntegrity>{crypto::EspIntegrity::kHmacSha256_96});
  const SainfoConfig* other_sainfo = config.FindSainfo(local, other_peer);
  ASSERT_NE(other_sainfo, nullptr);
  EXPECT_EQ(other_sainfo->integrities,
            std::vector<crypto::EspIntegrity>{crypto::EspIntegrity::kHmacSha256_128});
}

TEST(RacoonConfTest, Sha2IntegrityKeywords) {
  const std::string text =
      ReplaceAll(kIpopConf, "authentication_algorithm hmac_sha1;",
                 "authentication_algorithm hmac_sha384, hmac_sha2_512, hmac_sha2_384, hmac_sha512;");
  const RuntimeConfig config =
      ParseRacoonConfText(text, "ipop.conf", LoadOptions{.check_files = false});

  ASSERT_EQ(config.sainfos.size(), 1u);
  EXPECT_EQ(config.sainfos[0].integrities,
            (std::vector<crypto::EspIntegrity>{
                crypto::EspIntegrity::kHmacSha384_192, crypto::EspIntegrity::kHmacSha512_256,
                crypto::EspIntegrity::kHmacSha384_192, crypto::EspIntegrity::kHmacSha512_256}));
}

TEST(RacoonConfTest, FindSainfoPrefersExactThenHalfAnonymous) {
  const RuntimeConfig config =
      ParseRacoonConfText(kFullConf, "full.conf", LoadOptions{.check_files = false});
  const Ipv4Prefix local{*Ipv4Address::Parse("10.0.0.0"), 24};
  const Ipv4Prefix remote{*Ipv4Address::Parse("10.0.1.0"), 24};
  const Ipv4Prefix other{*Ipv4Address::Parse("10.9.0.0"), 16};

  EXPECT_EQ(config.FindSainfo(local, remote), &config.sainfos[0]);
  EXPECT_EQ(config.FindSainfo(local, other), &config.sainfos[1]);
  EXPECT_EQ(config.FindSainfo(other, other), nullptr);
}

TEST(RacoonConfTest, PreSharedKeyFileIsCheckedAtLoad) {
  TempDir dir;
  const std::string psk = dir.File("psk.txt");
  testing::WriteFile(psk, "10.0.0.2 secret\n", 0644);
  const std::string text = ReplaceAll(kFullConf, "/etc/psk.txt", psk);

  try {
    ParseRacoonConfText(text, "full.conf");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.location().ToString(), "full.conf:3:1");
    EXPECT_NE(std::string(error.what()).find("chmod 600 " + psk), std::string::npos)
        << error.what();
  }

  chmod(psk.c_str(), 0600);
  // Certificates are not needed with pre_shared_key, so only psk.txt is read.
  EXPECT_NO_THROW(ParseRacoonConfText(text, "full.conf"));
}

TEST(RacoonConfIncludeTest, ReadsFilesUnderPathInclude) {
  TempDir dir;
  const std::string certs = dir.AddVectorCertificates();
  testing::WriteFile(dir.File("remote.conf"),
                     "path certificate \"" + certs +
                         "\";\n"
                         "remote anonymous {\n  exchange_mode main;\n"
                         "  certificate_type x509 \"cert.pem\" \"key.pem\";\n"
                         "  ca_type x509 \"rootCA.pem\";\n"
                         "  proposal { encryption_algorithm 3des; hash_algorithm sha1;\n"
                         "             authentication_method rsasig; dh_group 2; }\n}\n");
  const std::string sainfo_body =
      " any {\n  encryption_algorithm aes;\n  authentication_algorithm hmac_sha1;\n}\n";
  testing::WriteFile(dir.File("sainfo-b.conf"),
                     "sainfo address 10.0.0.0/24 any address 10.0.2.0/24" + sainfo_body);
  testing::WriteFile(dir.File("sainfo-a.conf"),
                     "sainfo address 10.0.0.0/24 any address 10.0.1.0/24" + sainfo_body);
  const std::string main = "path include \"" + dir.path() +
                           "\";\ninclude \"remote.conf\";\ninclude \"sainfo-*.conf\";\n";

  const RuntimeConfig config = ParseRacoonConfText(main, "main.conf");

  ASSERT_EQ(config.remotes.size(), 1u);
  EXPECT_EQ(config.remotes[0].origin, dir.File("remote.conf") + ":2");
  EXPECT_EQ(config.remotes[0].certificate_file, certs + "/cert.pem");
  ASSERT_EQ(config.sainfos.size(), 2u);
  // glob(3) returns the matches sorted.
  EXPECT_EQ(config.sainfos[0].origin, dir.File("sainfo-a.conf") + ":1");
  EXPECT_EQ(config.sainfos[0].remote->ToString(), "10.0.1.0/24");
  EXPECT_EQ(config.sainfos[1].remote->ToString(), "10.0.2.0/24");
}

TEST(RacoonConfIncludeTest, ErrorsNameTheIncludedFile) {
  TempDir dir;
  testing::WriteFile(dir.File("bad.conf"), "log info;\nlog verbose;\n");
  const std::string main = "include \"" + dir.File("bad.conf") + "\";\n";
  try {
    ParseRacoonConfText(main, "main.conf");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()),
              dir.File("bad.conf") +
                  ":2:5: unknown log level \"verbose\"; use error, warning, notify, info, "
                  "debug or debug2");
  }
}

TEST(RacoonConfIncludeTest, MissingAndLoopingIncludesFail) {
  TempDir dir;
  try {
    ParseRacoonConfText("path include \"" + dir.path() + "\";\ninclude \"none*.conf\";\n",
                        "main.conf");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()), "main.conf:2:9: no file matches include \"" +
                                             dir.File("none*.conf") +
                                             "\"; check the name and path include");
  }

  const std::string loop = dir.File("loop.conf");
  testing::WriteFile(loop, "include \"" + loop + "\";\n");
  try {
    ParseRacoonConfText("include \"" + loop + "\";\n", "main.conf");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()),
              loop +
                  ":1:9: includes are nested deeper than 10 levels; check for a file that "
                  "includes itself");
  }
}

}  // namespace
}  // namespace ipop::config
