// `inherit`, passive, generate_policy, script and the sainfo header's
// `from` and `group`, read from racoon.conf text.
#include <gtest/gtest.h>

#include "config/racoon_conf.h"
#include "config_test_util.h"

namespace ipop::config {
namespace {

using testing::ReplaceAll;

Ipv4Prefix Prefix(const char* address, uint8_t length) {
  return Ipv4Prefix{*Ipv4Address::Parse(address), length};
}

constexpr const char* kProposal = R"(
  proposal {
    encryption_algorithm aes 256;
    hash_algorithm sha256;
    authentication_method pre_shared_key;
    dh_group modp2048;
  }
)";

RuntimeConfig Load(const std::string& text, bool check_files = false) {
  return ParseRacoonConfText("path pre_shared_key \"/etc/psk.txt\";\n" + text, "t.conf",
                             LoadOptions{.check_files = check_files});
}

std::string LoadError(const std::string& text, bool check_files = false) {
  try {
    Load(text, check_files);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

TEST(RemoteInheritTest, ChildCopiesParentThenOverrides) {
  const RuntimeConfig config = Load(std::string("remote anonymous {\n  exchange_mode main;\n") +
                                    "  nonce_size 32;\n  passive on;\n" + kProposal +
                                    "}\nremote 10.0.0.2 inherit anonymous {\n  passive off;\n}\n");
  ASSERT_EQ(config.remotes.size(), 2u);
  const RemoteConfig& child = config.remotes[1];
  EXPECT_EQ(child.address, Ipv4Address::Parse("10.0.0.2"));
  EXPECT_EQ(child.nonce_size, 32u);
  EXPECT_FALSE(child.passive);
  EXPECT_TRUE(config.remotes[0].passive);
  ASSERT_EQ(child.proposals.size(), 1u);
  EXPECT_EQ(child.proposals[0].key_bits, 256u);
  EXPECT_EQ(child.origin, "t.conf:14");
  EXPECT_EQ(child.inherited_from, "remote anonymous at t.conf:2");
}

TEST(RemoteInheritTest, ChildWithoutBlockEndsWithSemicolon) {
  const RuntimeConfig config =
      Load(std::string("remote \"base\" {\n  exchange_mode main;\n") + kProposal +
           "}\nremote 10.0.0.3 inherit \"base\";\n");
  ASSERT_EQ(config.remotes.size(), 2u);
  EXPECT_EQ(config.remotes[1].address, Ipv4Address::Parse("10.0.0.3"));
  EXPECT_EQ(config.remotes[1].name, "");
  EXPECT_EQ(config.remotes[1].proposals.size(), 1u);
}

TEST(RemoteInheritTest, OwnProposalsReplaceParents) {
  const std::string child_proposal = ReplaceAll(kProposal, "aes 256", "3des");
  const RuntimeConfig config =
      Load(std::string("remote 10.0.0.1 {\n  exchange_mode main;\n") + kProposal +
           "}\nremote 10.0.0.2 inherit 10.0.0.1 {" + child_proposal + "}\n");
  ASSERT_EQ(config.remotes[1].proposals.size(), 1u);
  EXPECT_EQ(config.remotes[1].proposals[0].cipher, crypto::IkeCipher::k3desCbc);
}

TEST(RemoteInheritTest, UnknownParentIsRejected) {
  EXPECT_EQ(LoadError("remote 10.0.0.2 inherit \"base\" {\n  exchange_mode main;\n}\n"),
            "t.conf:2:25: inherit names remote \"base\", but no such remote block comes before "
            "this line; define the parent first");
}

TEST(RemoteHooksTest, PassiveAndGeneratePolicyValues) {
  const RuntimeConfig config = Load(
      std::string("remote 10.0.0.1 {\n  exchange_mode main;\n  generate_policy unique;\n") +
      kProposal + "}\nremote 10.0.0.2 {\n  exchange_mode main;\n  generate_policy on;\n" +
      "  passive on;\n" + kProposal + "}\n");
  EXPECT_EQ(config.remotes[0].generate_policy, GeneratePolicy::kUnique);
  EXPECT_FALSE(config.remotes[0].passive);
  EXPECT_EQ(config.remotes[1].generate_policy, GeneratePolicy::kOn);
  EXPECT_TRUE(config.remotes[1].passive);
}

TEST(RemoteHooksTest, InvalidGeneratePolicyValue) {
  EXPECT_EQ(LoadError(std::string("remote anonymous {\n  exchange_mode main;\n") +
                      "  generate_policy requir;\n" + kProposal + "}\n"),
            "t.conf:4:19: invalid value \"requir\" for generate_policy; did you mean "
            "\"require\"?");
}

TEST(RemoteHooksTest, ScriptsResolveAgainstPathScript) {
  const RuntimeConfig config =
      Load(std::string("path script \"/etc/racoon/scripts\";\nremote anonymous {\n") +
           "  exchange_mode main;\n  script \"up.sh\" phase1_up;\n" +
           "  script \"/usr/local/bin/down\" phase1_down;\n  script \"dead.sh\" phase1_dead;\n" +
           kProposal + "}\n");
  const ScriptHooks& scripts = config.remotes[0].scripts;
  EXPECT_EQ(scripts.phase1_up, "/etc/racoon/scripts/up.sh");
  EXPECT_EQ(scripts.phase1_down, "/usr/local/bin/down");
  EXPECT_EQ(scripts.phase1_dead, "/etc/racoon/scripts/dead.sh");
}

TEST(RemoteHooksTest, RelativeScriptNeedsPathScript) {
  EXPECT_EQ(LoadError(std::string("remote anonymous {\n  exchange_mode main;\n") +
                      "  script \"up.sh\" phase1_up;\n" + kProposal + "}\n"),
            "t.conf:4:10: script \"up.sh\" is a relative name but no path script comes before "
            "it; add path script \"DIR\"; at the top of the file or give an absolute name");
}

TEST(RemoteHooksTest, UnknownScriptEvent) {
  EXPECT_EQ(LoadError(std::string("remote anonymous {\n  exchange_mode main;\n") +
                      "  script \"/bin/true\" phase2_up;\n" + kProposal + "}\n"),
            "t.conf:4:22: unknown script event \"phase2_up\"; did you mean \"phase1_up\"?");
}

TEST(RemoteHooksTest, ScriptMustBeExecutable) {
  testing::TempDir dir;
  const std::string script = dir.File("up.sh");
  testing::WriteFile(script, "#!/bin/sh\n", 0644);
  const std::string psk = dir.File("psk.txt");
  testing::WriteFile(psk, "10.0.0.2 secret\n", 0600);
  const std::string text = "path pre_shared_key \"" + psk + "\";\nremote anonymous {\n" +
                           "  exchange_mode main;\n  script \"" + script + "\" phase1_up;\n" +
                           kProposal + "}\n";
  std::string error;
  try {
    ParseRacoonConfText(text, "t.conf");
  } catch (const ConfigError& exception) {
    error = exception.what();
  }
  EXPECT_EQ(error, "t.conf:4:10: script \"" + script + "\" is not an executable file; run \"chmod +x " +
                       script + "\"");
  chmod(script.c_str(), 0755);
  EXPECT_NO_THROW(ParseRacoonConfText(text, "t.conf"));
}

constexpr const char* kSainfoBody = " {\n  encryption_algorithm aes;\n"
                                    "  authentication_algorithm hmac_sha1;\n}\n";

TEST(SainfoHeaderTest, FromRestrictsToPeerIdentity) {
  const RuntimeConfig config =
      Load(std::string("sainfo anonymous from fqdn \"peer.example\"") + kSainfoBody +
           "sainfo address 10.1.0.0/24 any address 10.2.0.0/24 any from address 10.0.0.2" +
           kSainfoBody);
  ASSERT_EQ(config.sainfos.size(), 2u);
  ASSERT_TRUE(config.sainfos[0].peer_identifier);
  EXPECT_EQ(config.sainfos[0].peer_identifier->type, IdentifierType::kFqdn);
  EXPECT_EQ(config.sainfos[0].peer_identifier->value, "peer.example");
  ASSERT_TRUE(config.sainfos[1].peer_identifier);
  EXPECT_EQ(config.sainfos[1].peer_identifier->type, IdentifierType::kAddress);
  EXPECT_EQ(config.sainfos[1].peer_identifier->value, "10.0.0.2");
}

TEST(SainfoHeaderTest, GroupIsRejected) {
  EXPECT_EQ(LoadError(std::string("sainfo anonymous group \"staff\"") + kSainfoBody),
            "t.conf:2:18: sainfo group is not supported yet: XAuth groups are not implemented; "
            "remove group \"staff\" from the sainfo header");
}

TEST(SainfoHeaderTest, SubnetIdsParse) {
  const RuntimeConfig config =
      Load(std::string("sainfo subnet 10.1.0.0/16 any subnet 10.2.0.0/16 any") + kSainfoBody);
  ASSERT_EQ(config.sainfos.size(), 1u);
  EXPECT_EQ(config.sainfos[0].local, Prefix("10.1.0.0", 16));
  EXPECT_EQ(config.sainfos[0].remote, Prefix("10.2.0.0", 16));
}

// Quick Mode IDs and sainfo IDs compare exactly. A full match wins over a
// half-anonymous one, which wins over `sainfo anonymous`. At each level a
// matching `from` wins.
TEST(SainfoSelectionTest, ExactBeforeHalfAnonymousBeforeAnonymous) {
  const RuntimeConfig config = Load(
      std::string("sainfo anonymous") + kSainfoBody +
      "sainfo address 10.1.0.0/24 any anonymous" + kSainfoBody +
      "sainfo address 10.1.0.0/24 any address 10.2.0.0/24 any" + kSainfoBody +
      "sainfo address 10.1.0.0/24 any address 10.2.0.0/24 any from fqdn \"peer.example\"" +
      kSainfoBody);
  const Ipv4Prefix local = Prefix("10.1.0.0", 24);
  const Ipv4Prefix remote = Prefix("10.2.0.0", 24);
  EXPECT_EQ(config.FindSainfo(local, remote), &config.sainfos[2]);
  EXPECT_EQ(config.FindSainfo(local, remote, "peer.example"), &config.sainfos[3]);
  EXPECT_EQ(config.FindSainfo(local, remote, "other.example"), &config.sainfos[2]);
  EXPECT_EQ(config.FindSainfo(local, Prefix("10.3.0.0", 24)), &config.sainfos[1]);
  EXPECT_EQ(config.FindSainfo(Prefix("10.1.0.5", 32), remote), &config.sainfos[0]);
}

TEST(SainfoSelectionTest, FromOnlySainfoNeedsThatPeer) {
  const RuntimeConfig config =
      Load(std::string("sainfo anonymous from address 10.0.0.2") + kSainfoBody);
  EXPECT_EQ(config.FindSainfo(Prefix("10.1.0.1", 32), Prefix("10.2.0.1", 32)), nullptr);
  EXPECT_EQ(config.FindSainfo(Prefix("10.1.0.1", 32), Prefix("10.2.0.1", 32), "10.0.0.2"),
            &config.sainfos[0]);
}

}  // namespace
}  // namespace ipop::config
