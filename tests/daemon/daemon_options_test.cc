#include "daemon/daemon_options.h"

#include <gtest/gtest.h>

#include <vector>

namespace ipop::daemon {
namespace {

Result<DaemonOptions> Parse(std::vector<std::string_view> arguments) {
  return ParseDaemonArguments(arguments);
}

TEST(DaemonOptions, DefaultsWithoutArguments) {
  auto options = Parse({});
  ASSERT_TRUE(options) << options.error().detail;
  EXPECT_FALSE(options->foreground);
  EXPECT_EQ(options->config_file, "/etc/racoon/racoon.conf");
  EXPECT_EQ(options->control_socket, "/run/ipop-esp/ipop-espd.sock");
  EXPECT_EQ(options->tun_name, "ipopesp0");
  EXPECT_EQ(options->route_table, 50U);
  EXPECT_EQ(options->fwmark, 50U);
  EXPECT_FALSE(options->setkey_file);
  EXPECT_FALSE(options->log_file);
  EXPECT_FALSE(options->pid_file);
  EXPECT_EQ(options->log_level(), LogLevel::kInfo);
}

TEST(DaemonOptions, TunMtuLeavesRoomForEsp) {
  // 1500 minus SPI and sequence number 8, IV 16, padding 15, pad length and
  // next header 2, ICV 32 (HMAC-SHA-512-256), and the NAT-T UDP header 8.
  EXPECT_EQ(kDefaultTunMtu, 1500U - 8 - 16 - 15 - 2 - 32 - 8);
}

TEST(DaemonOptions, RacoonStyleFlags) {
  auto options = Parse({"-F", "-f", "/tmp/a/racoon.conf", "--setkey", "/tmp/a/setkey.conf", "--control",
                        "/tmp/a/ctl.sock", "-l", "/tmp/a/log", "-d", "-d"});
  ASSERT_TRUE(options) << options.error().detail;
  EXPECT_TRUE(options->foreground);
  EXPECT_EQ(options->config_file, "/tmp/a/racoon.conf");
  EXPECT_EQ(options->setkey_file, "/tmp/a/setkey.conf");
  EXPECT_EQ(options->control_socket, "/tmp/a/ctl.sock");
  EXPECT_EQ(options->log_file, "/tmp/a/log");
  EXPECT_EQ(options->debug_level, 2);
  EXPECT_EQ(options->log_level(), LogLevel::kDebug2);
}

TEST(DaemonOptions, BundledShortFlags) {
  auto options = Parse({"-Fdv"});
  ASSERT_TRUE(options) << options.error().detail;
  EXPECT_TRUE(options->foreground);
  EXPECT_EQ(options->debug_level, 1);
  EXPECT_TRUE(options->verbose);
  EXPECT_EQ(options->log_level(), LogLevel::kDebug);
}

TEST(DaemonOptions, LongFlagsWithEquals) {
  auto options = Parse({"--tun=ipttest0", "--table=1000", "--fwmark=0x4500", "--mtu=1400",
                        "--pidfile=/tmp/a.pid", "--unblock-on-stop"});
  ASSERT_TRUE(options) << options.error().detail;
  EXPECT_EQ(options->tun_name, "ipttest0");
  EXPECT_EQ(options->route_table, 1000U);
  EXPECT_EQ(options->fwmark, 0x4500U);
  EXPECT_EQ(options->tun_mtu, 1400U);
  EXPECT_EQ(options->pid_file, "/tmp/a.pid");
  EXPECT_TRUE(options->unblock_on_stop);
}

TEST(DaemonOptions, HelpAndVersion) {
  auto help = Parse({"--help"});
  ASSERT_TRUE(help);
  EXPECT_TRUE(help->show_help);
  auto version = Parse({"-V"});
  ASSERT_TRUE(version);
  EXPECT_TRUE(version->show_version);
}

TEST(DaemonOptions, MissingValueRejected) {
  auto options = Parse({"-f"});
  ASSERT_FALSE(options);
  EXPECT_EQ(options.error().detail, "-f: missing value");
}

TEST(DaemonOptions, UnknownFlagRejected) {
  auto options = Parse({"--frobnicate"});
  ASSERT_FALSE(options);
  EXPECT_NE(options.error().detail.find("--frobnicate"), std::string::npos);

  auto letter = Parse({"-Fx"});
  ASSERT_FALSE(letter);
  EXPECT_NE(letter.error().detail.find("-x"), std::string::npos);
}

TEST(DaemonOptions, InvalidNumbersRejected) {
  EXPECT_FALSE(Parse({"--table", "x"}));
  EXPECT_FALSE(Parse({"--table", "12x"}));
  EXPECT_FALSE(Parse({"--table", ""}));
  EXPECT_FALSE(Parse({"--fwmark", "0x"}));
  EXPECT_FALSE(Parse({"--table", "99999999999"}));
}

TEST(DaemonOptions, ReservedTablesRejected) {
  EXPECT_FALSE(Parse({"--table", "0"}));
  EXPECT_FALSE(Parse({"--table", "253"}));
  EXPECT_FALSE(Parse({"--table", "254"}));
  EXPECT_FALSE(Parse({"--table", "255"}));
  EXPECT_TRUE(Parse({"--table", "252"}));
  EXPECT_TRUE(Parse({"--table", "256"}));
}

TEST(DaemonOptions, ZeroFwmarkRejected) { EXPECT_FALSE(Parse({"--fwmark", "0"})); }

TEST(DaemonOptions, MtuOutOfRangeRejected) {
  EXPECT_FALSE(Parse({"--mtu", "575"}));
  EXPECT_FALSE(Parse({"--mtu", "1501"}));
  EXPECT_TRUE(Parse({"--mtu", "576"}));
}

TEST(DaemonOptions, SwitchWithValueRejected) { EXPECT_FALSE(Parse({"--foreground=yes"})); }

}  // namespace
}  // namespace ipop::daemon
