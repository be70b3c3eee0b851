// The --offload flag of ipop-espd and the --setkey switch of `ipop-esp sa`
// and `ipop-esp spd`.
#include <gtest/gtest.h>

#include <vector>

#include "daemon/cli_options.h"
#include "daemon/daemon_options.h"

namespace ipop::daemon {
namespace {

using esp::xfrm::OffloadMode;

TEST(OffloadFlag, DefaultIsAuto) {
  auto options = ParseDaemonArguments(std::vector<std::string_view>{});
  ASSERT_TRUE(options) << options.error().detail;
  EXPECT_EQ(options->offload, OffloadMode::kAuto);
}

TEST(OffloadFlag, EachModeParses) {
  const std::pair<std::string_view, OffloadMode> cases[] = {
      {"auto", OffloadMode::kAuto},
      {"kernel", OffloadMode::kKernel},
      {"userspace", OffloadMode::kUserspace}};
  for (const auto& [text, mode] : cases) {
    auto separate = ParseDaemonArguments(std::vector<std::string_view>{"--offload", text});
    ASSERT_TRUE(separate) << text << ": " << separate.error().detail;
    EXPECT_EQ(separate->offload, mode) << text;
    const std::string joined = "--offload=" + std::string(text);
    auto inline_form = ParseDaemonArguments(std::vector<std::string_view>{joined});
    ASSERT_TRUE(inline_form) << joined << ": " << inline_form.error().detail;
    EXPECT_EQ(inline_form->offload, mode) << joined;
  }
}

TEST(OffloadFlag, InvalidModeNamed) {
  auto options = ParseDaemonArguments(std::vector<std::string_view>{"--offload", "hardware"});
  ASSERT_FALSE(options);
  EXPECT_NE(options.error().detail.find("hardware"), std::string::npos) << options.error().detail;
  EXPECT_NE(options.error().detail.find("auto, kernel or userspace"), std::string::npos);
}

TEST(OffloadFlag, MissingValue) {
  EXPECT_FALSE(ParseDaemonArguments(std::vector<std::string_view>{"--offload"}));
}

TEST(OffloadFlag, HelpMentionsFlag) {
  EXPECT_NE(DaemonUsage().find("--offload MODE"), std::string::npos);
}

TEST(SetkeySwitch, SaAndSpdRequests) {
  auto sa = ParseCliArguments(std::vector<std::string_view>{"sa", "--setkey"});
  ASSERT_TRUE(sa) << sa.error().detail;
  EXPECT_TRUE(sa->setkey_format);
  EXPECT_EQ(ControlRequestFor(*sa), "sa setkey");

  auto spd = ParseCliArguments(std::vector<std::string_view>{"spd", "--setkey"});
  ASSERT_TRUE(spd) << spd.error().detail;
  EXPECT_EQ(ControlRequestFor(*spd), "spd setkey");
}

TEST(SetkeySwitch, PlainRequestsUnchanged) {
  auto sa = ParseCliArguments(std::vector<std::string_view>{"sa"});
  ASSERT_TRUE(sa) << sa.error().detail;
  EXPECT_FALSE(sa->setkey_format);
  EXPECT_EQ(ControlRequestFor(*sa), "sa");
}

TEST(SetkeySwitch, CheckKeepsSetkeyFile) {
  auto check = ParseCliArguments(std::vector<std::string_view>{"check", "--setkey", "/tmp/s.conf"});
  ASSERT_TRUE(check) << check.error().detail;
  EXPECT_FALSE(check->setkey_format);
  ASSERT_TRUE(check->setkey_file);
  EXPECT_EQ(*check->setkey_file, "/tmp/s.conf");
}

TEST(SetkeySwitch, StatusRejectsIt) {
  EXPECT_FALSE(ParseCliArguments(std::vector<std::string_view>{"status", "--setkey"}));
}

}  // namespace
}  // namespace ipop::daemon
