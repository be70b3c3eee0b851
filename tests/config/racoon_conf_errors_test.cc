// Every rejection names FILE:LINE:COLUMN and ends with what to do. Columns count
// from 1 and are worked out by hand from the texts below.
#include <gtest/gtest.h>

#include "config/racoon_conf.h"
#include "config_test_util.h"

namespace ipop::config {
namespace {

using testing::ReplaceAll;

// Returns what() of the ConfigError that loading `text` raises, or "" when
// it loads. File checks are off unless a test needs them.
std::string LoadError(const std::string& text, bool check_files = false) {
  try {
    ParseRacoonConfText(text, "t.conf", LoadOptions{.check_files = check_files});
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

// A minimal valid file; tests change one line of it.
constexpr const char* kValid = R"(path certificate "/certs";
remote anonymous {
  exchange_mode main;
  certificate_type x509 "cert.pem" "key.pem";
  ca_type x509 "ca.pem";
  proposal {
    encryption_algorithm 3des;
    hash_algorithm sha1;
    authentication_method rsasig;
    dh_group modp1024;
  }
}
sainfo anonymous {
  encryption_algorithm aes;
  authentication_algorithm hmac_sha1;
}
)";

std::string Change(const std::string& from, const std::string& to) {
  return ReplaceAll(kValid, from, to);
}

TEST(RacoonConfErrorTest, ValidBaseLoads) { EXPECT_EQ(LoadError(kValid), ""); }

TEST(RacoonConfErrorTest, MissingSemicolonPointsAfterLastToken) {
  EXPECT_EQ(LoadError(Change("encryption_algorithm 3des;", "encryption_algorithm 3des")),
            "t.conf:7:30: missing \";\" after \"3des\"; end the encryption_algorithm "
            "statement with \";\"");
}

TEST(RacoonConfErrorTest, MissingSemicolonAfterExchangeMode) {
  EXPECT_EQ(LoadError(Change("exchange_mode main;", "exchange_mode main")),
            "t.conf:3:21: missing \";\" after \"main\"; end the exchange_mode statement with "
            "\";\"");
}

TEST(RacoonConfErrorTest, UnexpectedTokenOnSameLine) {
  EXPECT_EQ(LoadError(Change("hash_algorithm sha1;", "hash_algorithm sha1 sha256;")),
            "t.conf:8:25: unexpected \"sha256\" in the hash_algorithm statement; expected \";\"; "
            "usage: hash_algorithm sha1|sha256|sha384|sha512;");
}

TEST(RacoonConfErrorTest, UnclosedBlockAtEndOfFile) {
  std::string text = kValid;
  text.erase(text.rfind('}'));
  EXPECT_EQ(LoadError(text),
            "t.conf:16:1: end of file inside the \"sainfo\" block opened at "
            "t.conf:13:18; add the missing \"}\"");
}

TEST(RacoonConfErrorTest, MissingInnerBraceIsNamed) {
  EXPECT_EQ(LoadError(Change("    dh_group modp1024;\n  }\n", "    dh_group modp1024;\n")),
            "t.conf:12:1: \"sainfo\" is not allowed in remote; is the \"}\" of the remote block "
            "opened at t.conf:2:18 missing before it?");
}

TEST(RacoonConfErrorTest, StrayClosingBrace) {
  EXPECT_EQ(LoadError(std::string(kValid) + "}\n"),
            "t.conf:17:1: unexpected \"}\" with no open block; remove it");
}

TEST(RacoonConfErrorTest, UnknownDirectiveSuggestsSpelling) {
  EXPECT_EQ(LoadError(Change("encryption_algorithm 3des;", "encryption_algo 3des;")),
            "t.conf:7:5: unknown directive \"encryption_algo\" in proposal; did you mean "
            "\"encryption_algorithm\"?");
  EXPECT_EQ(LoadError(Change("exchange_mode main;", "exchnage_mode main;")),
            "t.conf:3:3: unknown directive \"exchnage_mode\" in remote; did you mean "
            "\"exchange_mode\"?");
}

TEST(RacoonConfErrorTest, UnknownDirectiveWithoutSuggestion) {
  EXPECT_EQ(LoadError(Change("exchange_mode main;", "frobnicate yes;")),
            "t.conf:3:3: unknown directive \"frobnicate\" in remote; check the spelling "
            "against racoon.conf(5)");
}

TEST(RacoonConfErrorTest, DirectiveOfAnotherSection) {
  EXPECT_EQ(LoadError(Change("exchange_mode main;", "exchange_mode main; pfs_group 2;")),
            "t.conf:3:23: \"pfs_group\" is not allowed in remote; it belongs in sainfo");
}

TEST(RacoonConfErrorTest, DpdRetryAndMaxfailAtLeastOne) {
  EXPECT_EQ(LoadError(Change("exchange_mode main;", "exchange_mode main; dpd_retry 0;")),
            "t.conf:3:33: invalid dpd_retry 0; use 1 second or more");
  EXPECT_EQ(LoadError(Change("exchange_mode main;", "exchange_mode main; dpd_maxfail 0;")),
            "t.conf:3:35: invalid dpd_maxfail 0; use 1 or more");
}

TEST(RacoonConfErrorTest, UnsupportedDirectives) {
  EXPECT_EQ(LoadError(Change("dh_group modp1024;", "dh_group modp1024; gss_id \"x\";")),
            "t.conf:10:24: gss_id is not supported yet: GSS-API authentication is not "
            "implemented; remove it to run with ipop-espd");
  EXPECT_EQ(LoadError(std::string("mode_cfg { network4 10.0.0.0; pool_size 10; }\n") + kValid),
            "t.conf:1:1: mode_cfg is not supported yet: XAuth, Mode Config, RADIUS and LDAP are "
            "not implemented; use rsasig or pre_shared_key authentication without them; remove "
            "it to run with ipop-espd");
  EXPECT_NE(LoadError(Change("exchange_mode main;", "exchange_mode main; ph1id 1;")), "");
  EXPECT_NE(LoadError(Change("exchange_mode main;", "exchange_mode main; xauth_login \"u\";")), "");
  EXPECT_EQ(LoadError(std::string("privsep { user \"racoon\"; }\n") + kValid),
            "t.conf:1:1: privsep is not supported yet: privilege separation is not implemented; "
            "ipop-espd runs as one process; remove it to run with ipop-espd");
}

TEST(RacoonConfErrorTest, OffValuesOfUnsupportedFeaturesLoad) {
  EXPECT_EQ(LoadError(Change("exchange_mode main;",
                             "exchange_mode main; passive off; ike_frag off; mode_cfg off;")),
            "");
}

TEST(RacoonConfErrorTest, IkeFragValueChecked) {
  EXPECT_EQ(LoadError(Change("exchange_mode main;", "exchange_mode main; ike_frag on;")), "");
  EXPECT_EQ(LoadError(Change("exchange_mode main;", "exchange_mode main; ike_frag force;")), "");
  EXPECT_NE(LoadError(Change("exchange_mode main;", "exchange_mode main; ike_frag always;")), "");
}

TEST(RacoonConfErrorTest, AggressiveModeNeedsOneDhGroup) {
  const std::string second_proposal =
      "  proposal {\n    encryption_algorithm 3des;\n    hash_algorithm sha1;\n"
      "    authentication_method rsasig;\n    dh_group modp2048;\n  }\n}\nsainfo";
  const std::string two_groups = ReplaceAll(Change("}\nsainfo", second_proposal), "exchange_mode main;",
                                            "exchange_mode main, aggressive;");
  EXPECT_EQ(LoadError(two_groups),
            "t.conf:16:14: with exchange_mode aggressive every proposal needs the same dh_group; "
            "use modp1024");
  // Main Mode negotiates the group, so the same proposals load without aggressive.
  EXPECT_EQ(LoadError(ReplaceAll(two_groups, "main, aggressive", "main")), "");
}

TEST(RacoonConfErrorTest, MisplacedDhGroup) {
  EXPECT_EQ(LoadError(Change("exchange_mode main;", "exchange_mode main; dh_group 2;")),
            "t.conf:3:23: dh_group is not allowed here: racoon reads dh_group only inside a "
            "proposal block; move it into proposal { ... }");
}

constexpr char kDhGroupChoices[] =
    "modp768, modp1024, modp1536, modp2048, modp3072, modp4096, modp6144, modp8192, ecp256 or "
    "ecp384 (or 1, 2, 5, 14-20)";

TEST(RacoonConfErrorTest, WrongValues) {
  EXPECT_EQ(LoadError(Change("dh_group modp1024;", "dh_group modp9999;")),
            "t.conf:10:14: unknown Diffie-Hellman group \"modp9999\"; use " +
                std::string(kDhGroupChoices));
  EXPECT_EQ(LoadError(Change("dh_group modp1024;", "dh_group ec2n155;")),
            "t.conf:10:14: Diffie-Hellman group \"ec2n155\" is not supported yet; use " +
                std::string(kDhGroupChoices));
  EXPECT_EQ(LoadError(Change("dh_group modp1024;", "dh_group 3;")),
            "t.conf:10:14: Diffie-Hellman group 3 is not supported yet; use " +
                std::string(kDhGroupChoices));
  EXPECT_EQ(LoadError(Change("dh_group modp1024;", "dh_group 99;")),
            "t.conf:10:14: unknown Diffie-Hellman group 99; use " + std::string(kDhGroupChoices));
  EXPECT_EQ(LoadError(Change("dh_group modp1024;", "dh_group ecp_384;")),
            "t.conf:10:14: unknown Diffie-Hellman group \"ecp_384\"; did you mean \"ecp384\"?");

  EXPECT_EQ(LoadError(Change("encryption_algorithm 3des;", "encryption_algorithm aes256;")),
            "t.conf:7:26: unknown encryption algorithm \"aes256\"; did you mean \"aes 256\"?");
  EXPECT_EQ(LoadError(Change("encryption_algorithm 3des;", "encryption_algorithm aes 192;")),
            "t.conf:7:30: AES key length 192 is not supported yet; use 128 or 256");
  EXPECT_EQ(LoadError(Change("encryption_algorithm 3des;", "encryption_algorithm 3des 168;")),
            "t.conf:7:31: \"3des\" takes no key length; remove \"168\"");

  EXPECT_EQ(LoadError(Change("hash_algorithm sha1;", "hash_algorithm sha1 1;")),
            "t.conf:8:25: \"sha1\" takes no key length; remove \"1\"");
  EXPECT_EQ(LoadError(Change("hash_algorithm sha1;", "hash_algorithm md5;")),
            "t.conf:8:20: hash algorithm \"md5\" is not supported yet; use sha1, sha256, sha384 "
            "or sha512");
  EXPECT_EQ(LoadError(Change("authentication_method rsasig;", "authentication_method rsasgi;")),
            "t.conf:9:27: unknown authentication method \"rsasgi\"; did you mean \"rsasig\"?");
  EXPECT_EQ(LoadError(Change("authentication_algorithm hmac_sha1;",
                             "authentication_algorithm hmac_md5;")),
            "t.conf:15:28: authentication algorithm \"hmac_md5\" is not supported yet; use "
            "hmac_sha1, hmac_sha256, hmac_sha256_96, hmac_sha384 or hmac_sha512");

  EXPECT_EQ(LoadError(Change("exchange_mode main;", "exchange_mode mian;")),
            "t.conf:3:17: unknown exchange mode \"mian\"; did you mean \"main\"?");
  EXPECT_EQ(LoadError(Change("exchange_mode main;", "exchange_mode main; verify_cert yes;")),
            "t.conf:3:35: invalid value \"yes\" for verify_cert; use on or off");
  EXPECT_EQ(
      LoadError(Change("exchange_mode main;", "exchange_mode main; lifetime time 1 fortnight;")),
      "t.conf:3:39: unknown time unit \"fortnight\"; use sec, min or hour");
}

TEST(RacoonConfErrorTest, BadPortInListen) {
  EXPECT_EQ(LoadError(std::string("listen { isakmp 10.0.0.1 [70000]; }\n") + kValid),
            "t.conf:1:26: invalid port \"[70000]\"; write a port as a number from 0 to 65535 in "
            "brackets, such as [500], or [any]");
  EXPECT_EQ(LoadError(std::string("listen { isakmp_natt 10.0.0.1; }\n") + kValid),
            "t.conf:1:22: isakmp_natt needs a port; write \"isakmp_natt 10.0.0.1 [4500];\"");
  EXPECT_EQ(LoadError(std::string("listen { isakmp 10.0.0.300; }\n") + kValid),
            "t.conf:1:17: invalid IPv4 address \"10.0.0.300\"; write it as four numbers from 0 "
            "to 255, such as 10.0.0.1");
}

TEST(RacoonConfErrorTest, MissingRequiredStatements) {
  EXPECT_EQ(LoadError(Change("  exchange_mode main;\n", "")),
            "t.conf:2:1: remote anonymous has no exchange_mode; add \"exchange_mode main;\" to "
            "the block");
  EXPECT_EQ(LoadError(Change("    hash_algorithm sha1;\n", "")),
            "t.conf:6:3: proposal is missing hash_algorithm; add for example "
            "\"hash_algorithm sha256;\"");
  EXPECT_EQ(LoadError(Change("  certificate_type x509 \"cert.pem\" \"key.pem\";\n", "")),
            "t.conf:8:27: authentication_method rsasig needs certificate_type x509 \"CERT\" "
            "\"KEY\"; in remote anonymous");
  EXPECT_EQ(LoadError(Change("  ca_type x509 \"ca.pem\";\n", "")),
            "t.conf:8:27: authentication_method rsasig with verify_cert on needs ca_type x509 "
            "\"CA_CERT\" (or the peer's certificate in peers_certfile); in remote anonymous, or "
            "verify_cert off");
  EXPECT_EQ(
      LoadError(Change("authentication_method rsasig;", "authentication_method pre_shared_key;")),
      "t.conf:9:27: authentication_method pre_shared_key needs a key file; add path "
      "pre_shared_key \"/etc/racoon/psk.txt\"; at the top level");
  EXPECT_EQ(LoadError(Change("  authentication_algorithm hmac_sha1;\n", "")),
            "t.conf:13:1: sainfo has no authentication_algorithm; add for example "
            "\"authentication_algorithm hmac_sha256;\"");
}

TEST(RacoonConfErrorTest, BothSha256IcvLengthsRejected) {
  EXPECT_EQ(LoadError(Change("authentication_algorithm hmac_sha1;",
                             "authentication_algorithm hmac_sha256, hmac_sha256_96;")),
            "t.conf:13:1: authentication_algorithm lists both hmac_sha256 and hmac_sha256_96, "
            "which IKEv1 negotiates as the same algorithm; keep the one whose ICV length the "
            "peer uses");
  EXPECT_EQ(LoadError(Change("authentication_algorithm hmac_sha1;",
                             "authentication_algorithm hmac_sha256_96;")),
            "");
}

// Adds `line` after ca_type, as line 6 of the file.
std::string AddAfterCa(const std::string& line) {
  return Change("  ca_type x509 \"ca.pem\";\n", "  ca_type x509 \"ca.pem\";\n" + line + "\n");
}

TEST(RacoonConfErrorTest, PeersCertfileForms) {
  EXPECT_EQ(LoadError(AddAfterCa("  peers_certfile dnssec;")),
            "t.conf:6:18: peers_certfile dnssec (the peer's certificate from DNS) is not "
            "implemented; use peers_certfile x509 \"CERT\" or let the peer send its certificate");
  EXPECT_EQ(LoadError(AddAfterCa("  peers_certfile plain_rsa \"b.pub\";")),
            "t.conf:6:18: peers_certfile plain_rsa (a bare RSA public key) is not implemented; use "
            "peers_certfile x509 \"CERT\" with the peer's certificate");
  EXPECT_EQ(LoadError(AddAfterCa("  peers_certfile x509;")),
            "t.conf:6:18: peers_certfile x509 needs one quoted file name; write peers_certfile x509 "
            "\"CERT\";");

  const RuntimeConfig config =
      ParseRacoonConfText(AddAfterCa("  peers_certfile x509 \"peer.pem\";"), "t.conf", LoadOptions{.check_files = false});
  ASSERT_EQ(config.remotes.size(), 1u);
  EXPECT_EQ(config.remotes[0].peers_certificate_file, "/certs/peer.pem");
  // The pinned certificate takes the place of the CA for verify_cert.
  EXPECT_EQ(LoadError(Change("  ca_type x509 \"ca.pem\";", "  peers_certfile x509 \"peer.pem\";")), "");
}

TEST(RacoonConfErrorTest, IdentifierDistinguishedNames) {
  EXPECT_EQ(LoadError(AddAfterCa("  my_identifier asn1dn \"CN=*\";")),
            "t.conf:6:24: invalid my_identifier asn1dn: the wildcard * in \"CN=*\" only applies to "
            "peers_identifier; name our own DN in full");
  EXPECT_EQ(LoadError(AddAfterCa("  peers_identifier asn1dn \"O=x, XYZZY=1\";")),
            "t.conf:6:27: invalid peers_identifier asn1dn: unknown attribute type \"XYZZY\" in "
            "distinguished name \"O=x, XYZZY=1\"; use C, ST, L, O, OU, CN, emailAddress or an OID");
  EXPECT_EQ(LoadError(AddAfterCa("  peers_identifier asn1dn \"O=x, CN=*\";")), "");
  EXPECT_EQ(LoadError(AddAfterCa("  verify_identifier on;")),
            "t.conf:2:1: remote anonymous has verify_identifier on but no peers_identifier to compare "
            "the peer's ID with; add peers_identifier TYPE \"VALUE\"; or set verify_identifier off");
}

TEST(RacoonConfErrorTest, RelativeCertificateNeedsPathCertificate) {
  EXPECT_EQ(LoadError(Change("path certificate \"/certs\";", "log info;")),
            "t.conf:4:25: certificate file \"cert.pem\" is a relative name but no path "
            "certificate comes before it; add path certificate \"DIR\"; at the top of the file "
            "or give an absolute name");
}

TEST(RacoonConfErrorTest, MissingCertificateFileNamesResolvedPath) {
  testing::TempDir dir;
  dir.AddVectorCertificates();
  const std::string text =
      ReplaceAll(Change("/certs", dir.File("certs")), "\"ca.pem\"", "\"rootCA.pem\"");
  EXPECT_EQ(LoadError(text, true), "");

  const std::string missing = ReplaceAll(text, "\"key.pem\"", "\"node.key\"");
  EXPECT_EQ(LoadError(missing, true),
            "t.conf:4:36: private key file \"" + dir.File("certs") +
                "/node.key\" not found (\"node.key\" resolved against path certificate \"" +
                dir.File("certs") +
                "\" at t.conf:1:1); fix the file name or the path "
                "certificate directory");
}

TEST(RacoonConfErrorTest, DuplicateSections) {
  const std::string text = std::string(kValid) + "remote anonymous {\n  exchange_mode main;\n}\n";
  EXPECT_NE(LoadError(text).find("t.conf:17:1:"), std::string::npos) << LoadError(text);
  const std::string sainfo =
      std::string(kValid) +
      "sainfo anonymous {\n  encryption_algorithm aes;\n  authentication_algorithm hmac_sha1;\n}\n";
  EXPECT_EQ(LoadError(sainfo),
            "t.conf:17:1: duplicate sainfo for the same IDs; the first is at "
            "t.conf:13; merge the two blocks");
}

TEST(RacoonConfErrorTest, LexerErrors) {
  EXPECT_EQ(LoadError("path certificate \"/certs;\n"),
            "t.conf:1:18: quoted string is never closed; add the closing \"");
  EXPECT_EQ(LoadError("/* comment\n"),
            "t.conf:1:1: comment opened with \"/*\" is never closed; add \"*/\"");
}

TEST(RacoonConfErrorTest, UnreadableFileNamesPath) {
  try {
    LoadRacoonConf("/nonexistent/racoon.conf");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()).rfind("/nonexistent/racoon.conf: cannot open", 0), 0u)
        << error.what();
  }
}

}  // namespace
}  // namespace ipop::config
