// proposal_check, rekey and byte lifetimes (racoon.conf(5) of ipsec-tools
// 0.8.2) load into the runtime configuration or fail with the reason.
#include <gtest/gtest.h>

#include <string>

#include "config/racoon_conf.h"
#include "config_test_util.h"

namespace ipop::config {
namespace {

using testing::ReplaceAll;

constexpr const char* kBase = R"(path pre_shared_key "/etc/racoon/psk.txt";
remote anonymous {
  exchange_mode main;
  proposal {
    encryption_algorithm 3des;
    hash_algorithm sha1;
    authentication_method pre_shared_key;
    dh_group modp1024;
  }
}
sainfo anonymous {
  encryption_algorithm aes;
  authentication_algorithm hmac_sha1;
}
)";

RuntimeConfig Load(const std::string& text) {
  return ParseRacoonConfText(text, "t.conf", LoadOptions{.check_files = false});
}

std::string LoadError(const std::string& text) {
  try {
    Load(text);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

std::string WithRemoteLine(const std::string& line) {
  return ReplaceAll(kBase, "exchange_mode main;", "exchange_mode main; " + line);
}

std::string WithSainfoLine(const std::string& line) {
  return ReplaceAll(kBase, "authentication_algorithm hmac_sha1;", "authentication_algorithm hmac_sha1; " + line);
}

TEST(LifecycleDirectives, DefaultsAreStrictAndRekeyOn) {
  const RuntimeConfig config = Load(kBase);
  EXPECT_EQ(config.remotes[0].proposal_check, ProposalCheck::kStrict);
  EXPECT_EQ(config.remotes[0].rekey, Phase1Rekey::kOn);
  EXPECT_EQ(config.sainfos[0].lifetime_kilobytes, 0u);
}

TEST(LifecycleDirectives, ProposalCheckLevels) {
  const std::pair<const char*, ProposalCheck> levels[] = {{"obey", ProposalCheck::kObey},
                                                          {"strict", ProposalCheck::kStrict},
                                                          {"claim", ProposalCheck::kClaim},
                                                          {"exact", ProposalCheck::kExact}};
  for (const auto& [word, level] : levels) {
    const RuntimeConfig config = Load(WithRemoteLine(std::string("proposal_check ") + word + ";"));
    EXPECT_EQ(config.remotes[0].proposal_check, level) << word;
  }
}

TEST(LifecycleDirectives, UnknownProposalCheckSuggestsLevel) {
  EXPECT_EQ(LoadError(WithRemoteLine("proposal_check obay;")),
            "t.conf:3:38: unknown proposal_check level \"obay\"; did you mean \"obey\"?");
}

TEST(LifecycleDirectives, RekeyValues) {
  EXPECT_EQ(Load(WithRemoteLine("rekey off;")).remotes[0].rekey, Phase1Rekey::kOff);
  EXPECT_EQ(Load(WithRemoteLine("rekey on;")).remotes[0].rekey, Phase1Rekey::kOn);
  EXPECT_EQ(Load(WithRemoteLine("rekey force;")).remotes[0].rekey, Phase1Rekey::kForce);
  EXPECT_NE(LoadError(WithRemoteLine("rekey sometimes;")), "");
}

TEST(LifecycleDirectives, SainfoByteLifetimeInKilobytes) {
  EXPECT_EQ(Load(WithSainfoLine("lifetime byte 2048 B;")).sainfos[0].lifetime_kilobytes, 2u);
  EXPECT_EQ(Load(WithSainfoLine("lifetime byte 1500 B;")).sainfos[0].lifetime_kilobytes, 2u);  // rounded up
  EXPECT_EQ(Load(WithSainfoLine("lifetime byte 100 KB;")).sainfos[0].lifetime_kilobytes, 100u);
  EXPECT_EQ(Load(WithSainfoLine("lifetime byte 5 MB;")).sainfos[0].lifetime_kilobytes, 5120u);
  EXPECT_EQ(Load(WithSainfoLine("lifetime byte 2 GB;")).sainfos[0].lifetime_kilobytes, 2097152u);
}

TEST(LifecycleDirectives, SainfoTimeAndByteLifetimeTogether) {
  const RuntimeConfig config = Load(WithSainfoLine("lifetime time 20 sec; lifetime byte 1 MB;"));
  EXPECT_EQ(config.sainfos[0].lifetime, std::chrono::seconds(20));
  EXPECT_EQ(config.sainfos[0].lifetime_kilobytes, 1024u);
}

TEST(LifecycleDirectives, ByteLifetimeErrors) {
  EXPECT_EQ(LoadError(WithSainfoLine("lifetime byte 5 TB;")),
            "t.conf:13:55: unknown byte unit \"TB\"; did you mean \"B\"?");
  EXPECT_NE(LoadError(WithSainfoLine("lifetime byte 0 KB;")), "");
  EXPECT_NE(LoadError(WithSainfoLine("lifetime byte 5000 GB;")), "");
  // racoon rejects byte lifetimes in phase 1 as deprecated.
  EXPECT_NE(LoadError(WithRemoteLine("lifetime byte 5 MB;")).find("deprecated"), std::string::npos);
}

}  // namespace
}  // namespace ipop::config
