#include "daemon/cli_options.h"

#include <gtest/gtest.h>

#include <vector>

namespace ipop::daemon {
namespace {

Result<CliOptions> Parse(std::vector<std::string_view> arguments) { return ParseCliArguments(arguments); }

TEST(CliOptions, SaWithDefaultSocket) {
  auto options = Parse({"sa"});
  ASSERT_TRUE(options) << options.error().detail;
  EXPECT_EQ(options->command, CliCommand::kSa);
  EXPECT_EQ(options->control_socket, "/run/ipop-esp/ipop-espd.sock");
  EXPECT_EQ(ControlRequestFor(options->command), "sa");
}

TEST(CliOptions, ControlBeforeOrAfterCommand) {
  auto before = Parse({"--control", "/tmp/x.sock", "spd"});
  ASSERT_TRUE(before) << before.error().detail;
  EXPECT_EQ(before->command, CliCommand::kSpd);
  EXPECT_EQ(before->control_socket, "/tmp/x.sock");

  auto after = Parse({"spd", "--control=/tmp/y.sock"});
  ASSERT_TRUE(after) << after.error().detail;
  EXPECT_EQ(after->control_socket, "/tmp/y.sock");
}

TEST(CliOptions, CheckTakesConfigAndSetkey) {
  auto options = Parse({"check", "-f", "/tmp/racoon.conf", "--setkey", "/tmp/setkey.conf"});
  ASSERT_TRUE(options) << options.error().detail;
  EXPECT_EQ(options->command, CliCommand::kCheck);
  EXPECT_EQ(options->config_file, "/tmp/racoon.conf");
  EXPECT_EQ(options->setkey_file, "/tmp/setkey.conf");
}

TEST(CliOptions, ReloadSendsReloadRequest) {
  auto options = Parse({"reload", "--control", "/tmp/x.sock"});
  ASSERT_TRUE(options) << options.error().detail;
  EXPECT_EQ(options->command, CliCommand::kReload);
  EXPECT_EQ(ControlRequestFor(*options), "reload");
}

TEST(CliOptions, ConfigFlagOnlyForCheck) { EXPECT_FALSE(Parse({"sa", "-f", "/tmp/racoon.conf"})); }

TEST(CliOptions, MissingCommandRejected) {
  auto options = Parse({});
  ASSERT_FALSE(options);
  EXPECT_NE(options.error().detail.find("missing command"), std::string::npos);
}

TEST(CliOptions, UnknownCommandRejected) {
  auto options = Parse({"frobnicate"});
  ASSERT_FALSE(options);
  EXPECT_NE(options.error().detail.find("frobnicate"), std::string::npos);
}

TEST(CliOptions, SecondCommandRejected) { EXPECT_FALSE(Parse({"sa", "spd"})); }

TEST(CliOptions, MissingValueRejected) { EXPECT_FALSE(Parse({"sa", "--control"})); }

TEST(CliOptions, HelpWithoutCommand) {
  auto options = Parse({"--help"});
  ASSERT_TRUE(options);
  EXPECT_EQ(options->command, CliCommand::kHelp);
}

}  // namespace
}  // namespace ipop::daemon
