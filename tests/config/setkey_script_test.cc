#include "config/setkey_script.h"

#include <gtest/gtest.h>

#include "base/log.h"
#include "config_test_util.h"

namespace ipop::config {
namespace {

using esp::IpsecLevel;
using esp::IpsecMode;
using esp::PolicyAction;
using esp::PolicyDirection;

std::string ParseError(const std::string& text) {
  try {
    ParseSetkeyText(text, "s.conf");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

Ipv4Prefix Prefix(const char* address, uint8_t length) {
  return Ipv4Prefix{*Ipv4Address::Parse(address), length};
}

TEST(SetkeyScriptTest, VectorScriptLoads) {
  const std::string path = testing::VectorDir() + "/setkey.conf";
  const SetkeyScript script = LoadSetkeyScript(path);

  ASSERT_EQ(script.commands.size(), 4u);
  EXPECT_TRUE(script.warnings.empty());
  EXPECT_EQ(script.commands[0].type, SetkeyCommandType::kFlush);
  EXPECT_EQ(script.commands[0].flush_protocol, "");
  EXPECT_EQ(script.commands[1].type, SetkeyCommandType::kSpdFlush);
  for (size_t i = 2; i < 4; ++i) {
    const SetkeyCommand& command = script.commands[i];
    EXPECT_EQ(command.type, SetkeyCommandType::kSpdAdd);
    EXPECT_EQ(command.origin, path + ":" + std::to_string(i + 1));
    EXPECT_EQ(command.policy.origin, command.origin);
    EXPECT_EQ(command.policy.selector.source, Prefix("10.77.0.0", 24));
    EXPECT_EQ(command.policy.selector.destination, Prefix("10.77.0.0", 24));
    EXPECT_EQ(command.policy.selector.protocol, esp::kAnyProtocol);
    EXPECT_EQ(command.policy.selector.source_port, esp::kAnyPort);
    EXPECT_EQ(command.policy.action, PolicyAction::kIpsec);
    EXPECT_EQ(command.policy.mode, IpsecMode::kTransport);
    EXPECT_EQ(command.policy.level, IpsecLevel::kRequire);
  }
  EXPECT_EQ(script.commands[2].policy.direction, PolicyDirection::kOut);
  EXPECT_EQ(script.commands[3].policy.direction, PolicyDirection::kIn);
}

TEST(SetkeyScriptTest, HostBitsWarnAndMask) {
  std::string log;
  Logger::Get().set_capture(&log);
  const SetkeyScript script = ParseSetkeyText(
      "spdadd 192.168.1.0/16 192.168.1.0/16 any -P out ipsec esp/transport//require;\n",
      "ipop.setkey");
  Logger::Get().set_capture(nullptr);

  ASSERT_EQ(script.commands.size(), 1u);
  EXPECT_EQ(script.commands[0].policy.selector.source, Prefix("192.168.0.0", 16));
  EXPECT_EQ(script.commands[0].policy.selector.destination, Prefix("192.168.0.0", 16));
  // Source and destination are written alike, so one warning covers both.
  ASSERT_EQ(script.warnings.size(), 1u);
  EXPECT_EQ(script.warnings[0],
            "ipop.setkey:1: prefix 192.168.1.0/16 has host bits set; setkey "
            "reads it as 192.168.0.0/16");
  const std::string logged = "WARNING: ipop.setkey:1: prefix 192.168.1.0/16 has host bits set";
  const size_t first = log.find(logged);
  EXPECT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find(logged, first + 1), std::string::npos) << log;
}

TEST(SetkeyScriptTest, HostBitsWarnPerPrefix) {
  const SetkeyScript script = ParseSetkeyText(
      "spdadd 192.168.1.0/16 10.1.2.0/8 any -P out ipsec esp/transport//require;\n"
      "spdadd 192.168.1.0/16 192.168.1.0/16 any -P in ipsec esp/transport//require;\n",
      "ipop.setkey");

  ASSERT_EQ(script.warnings.size(), 3u);
  EXPECT_NE(script.warnings[1].find("ipop.setkey:1: prefix 10.1.2.0/8"), std::string::npos);
  EXPECT_NE(script.warnings[2].find("ipop.setkey:2: prefix 192.168.1.0/16"), std::string::npos);
}

constexpr const char* kAllForms = R"(# every form ipop-espd reads
flush esp;
spdadd -4 -n 10.0.0.1[80] 10.0.0.2[any] tcp
       -P out ipsec
       esp/transport//use;
spdadd 10.0.0.2 10.0.0.1[1234] udp -P in ipsec esp/transport//unique;  # trailing comment
spdadd 10.0.0.0/8 0.0.0.0/0 icmp -P fwd none;
spdadd 10.1.0.0/16 10.2.0.0/16 47 -P out discard;
spdadd 10.1.0.0/16 10.2.0.0/16 any -P out ipsec esp/tunnel/192.0.2.1-192.0.2.2/require;
spdadd 10.3.0.0/16 10.4.0.0/16 any -P in ipsec esp/transport//default;
spddelete 10.0.0.0/8 0.0.0.0/0 icmp -P fwd;
spddelete 10.1.0.0/16 10.2.0.0/16 any -P out ipsec esp/tunnel/192.0.2.1-192.0.2.2/require;
spdflush;
)";

TEST(SetkeyScriptTest, AllFormsParse) {
  const SetkeyScript script = ParseSetkeyText(kAllForms, "all.conf");
  ASSERT_EQ(script.commands.size(), 10u);
  EXPECT_TRUE(script.warnings.empty());

  EXPECT_EQ(script.commands[0].type, SetkeyCommandType::kFlush);
  EXPECT_EQ(script.commands[0].flush_protocol, "esp");

  const esp::Policy& tcp = script.commands[1].policy;
  EXPECT_EQ(script.commands[1].origin, "all.conf:3");
  EXPECT_EQ(tcp.selector.source, Prefix("10.0.0.1", 32));
  EXPECT_EQ(tcp.selector.source_port, 80);
  EXPECT_EQ(tcp.selector.destination_port, esp::kAnyPort);
  EXPECT_EQ(tcp.selector.protocol, 6);
  EXPECT_EQ(tcp.direction, PolicyDirection::kOut);
  EXPECT_EQ(tcp.level, IpsecLevel::kUse);

  const esp::Policy& udp = script.commands[2].policy;
  EXPECT_EQ(udp.selector.protocol, 17);
  EXPECT_EQ(udp.selector.destination_port, 1234);
  EXPECT_EQ(udp.direction, PolicyDirection::kIn);
  EXPECT_EQ(udp.level, IpsecLevel::kUnique);

  const esp::Policy& bypass = script.commands[3].policy;
  EXPECT_EQ(bypass.selector.protocol, 1);
  EXPECT_EQ(bypass.selector.destination, Prefix("0.0.0.0", 0));
  EXPECT_EQ(bypass.direction, PolicyDirection::kFwd);
  EXPECT_EQ(bypass.action, PolicyAction::kBypass);

  EXPECT_EQ(script.commands[4].policy.selector.protocol, 47);
  EXPECT_EQ(script.commands[4].policy.action, PolicyAction::kDiscard);

  const esp::Policy& tunnel = script.commands[5].policy;
  EXPECT_EQ(tunnel.mode, IpsecMode::kTunnel);
  EXPECT_EQ(tunnel.tunnel_source, *Ipv4Address::Parse("192.0.2.1"));
  EXPECT_EQ(tunnel.tunnel_destination, *Ipv4Address::Parse("192.0.2.2"));
  EXPECT_EQ(tunnel.level, IpsecLevel::kRequire);

  EXPECT_EQ(script.commands[6].policy.level, IpsecLevel::kDefault);

  EXPECT_EQ(script.commands[7].type, SetkeyCommandType::kSpdDelete);
  EXPECT_EQ(script.commands[7].policy.direction, PolicyDirection::kFwd);
  EXPECT_EQ(script.commands[8].type, SetkeyCommandType::kSpdDelete);
  EXPECT_EQ(script.commands[8].policy.mode, IpsecMode::kTunnel);
  EXPECT_EQ(script.commands[9].type, SetkeyCommandType::kSpdFlush);
}

// The policies of a gateway that protects 10.1.0.0/16 towards 10.2.0.0/16
// and forwards to hosts behind it, as racoon-era site-to-site scripts have
// them.
TEST(SetkeyScriptTest, TunnelGatewayPoliciesParse) {
  const SetkeyScript script = ParseSetkeyText(
      "spdadd 10.1.0.0/16 10.2.0.0/16 any -P out ipsec esp/tunnel/192.0.2.1-192.0.2.2/require;\n"
      "spdadd 10.2.0.0/16 10.1.0.0/16 any -P in ipsec esp/tunnel/192.0.2.2-192.0.2.1/require;\n"
      "spdadd 10.2.0.0/16 10.1.0.0/16 any -P fwd ipsec esp/tunnel/192.0.2.2-192.0.2.1/require;\n",
      "gateway.conf");

  ASSERT_EQ(script.commands.size(), 3u);
  const PolicyDirection directions[] = {PolicyDirection::kOut, PolicyDirection::kIn,
                                        PolicyDirection::kFwd};
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    const esp::Policy& policy = script.commands[i].policy;
    EXPECT_EQ(policy.direction, directions[i]);
    EXPECT_EQ(policy.action, PolicyAction::kIpsec);
    EXPECT_EQ(policy.mode, IpsecMode::kTunnel);
    EXPECT_EQ(policy.level, IpsecLevel::kRequire);
    const bool outbound = i == 0;
    EXPECT_EQ(policy.selector.source, Prefix(outbound ? "10.1.0.0" : "10.2.0.0", 16));
    EXPECT_EQ(policy.tunnel_source, *Ipv4Address::Parse(outbound ? "192.0.2.1" : "192.0.2.2"));
    EXPECT_EQ(policy.tunnel_destination, *Ipv4Address::Parse(outbound ? "192.0.2.2" : "192.0.2.1"));
  }
}

TEST(SetkeyScriptTest, RangeErrorsPointAtThePart) {
  EXPECT_EQ(ParseError("spdadd 10.0.0.0/33 10.0.0.0/24 any -P out ipsec esp/transport//require;"),
            "s.conf:1:17: invalid prefix length \"33\" in \"10.0.0.0/33\"; IPv4 prefix lengths "
            "are 0 to 32");
  EXPECT_EQ(ParseError("spdadd 10.0.0.0/24 10.0.0.1[70000] any -P out none;"),
            "s.conf:1:28: invalid port \"[70000]\" in \"10.0.0.1[70000]\"; use 0 to 65535 or any");
  EXPECT_EQ(ParseError("spdadd 10.0.0.0/24 10.0.0.1[80 any -P out none;"),
            "s.conf:1:28: port in \"10.0.0.1[80\" has no closing \"]\"; write it as 10.0.0.1[80]");
  EXPECT_EQ(ParseError("spdadd 10.0.0.256 10.0.0.1 any -P out none;"),
            "s.conf:1:8: invalid IPv4 address \"10.0.0.256\"; write four numbers from 0 to 255 "
            "such as 10.0.0.1 (host names are not resolved)");
  EXPECT_EQ(ParseError("spdadd fe80::1 ::1 any -P out none;"),
            "s.conf:1:8: IPv6 address \"fe80::1\" is not supported yet; use IPv4");
}

TEST(SetkeyScriptTest, ProtocolErrors) {
  EXPECT_EQ(ParseError("spdadd 10.0.0.1 10.0.0.2 tpc -P out none;"),
            "s.conf:1:26: unknown upper-layer protocol \"tpc\"; did you mean \"tcp\"?");
  EXPECT_EQ(ParseError("spdadd 10.0.0.1 10.0.0.2 256 -P out none;"),
            "s.conf:1:26: invalid protocol number 256; use 0 to 255");
  EXPECT_EQ(ParseError("spdadd 10.0.0.1 10.0.0.2 icmp 8,0 -P out none;"),
            "s.conf:1:31: ICMP type and code selectors are not supported yet; remove \"8,0\"");
  EXPECT_EQ(ParseError("spdadd 10.0.0.1 10.0.0.2 xyzzy -P out none;"),
            "s.conf:1:26: unknown upper-layer protocol \"xyzzy\"; use any, icmp, tcp, udp or a "
            "number 0-255");
}

TEST(SetkeyScriptTest, PolicyErrors) {
  EXPECT_EQ(ParseError("spdadd 10.0.0.1 10.0.0.2 any;"),
            "s.conf:1:29: missing policy in spdadd; add for example \"-P out ipsec "
            "esp/transport//require\"");
  EXPECT_EQ(ParseError("spdadd 10.0.0.1 10.0.0.2 any -P up none;"),
            "s.conf:1:33: invalid direction \"up\"; use in, out or fwd");
  EXPECT_EQ(ParseError("spdadd 10.0.0.1 10.0.0.2 any -P out ipsec ah/transport//require;"),
            "s.conf:1:43: ah is not supported yet; use esp");
  EXPECT_EQ(ParseError("spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transprot//require;"),
            "s.conf:1:47: unknown mode \"transprot\"; did you mean \"transport\"?");
  EXPECT_EQ(ParseError("spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transport//requre;"),
            "s.conf:1:58: unknown level \"requre\"; did you mean \"require\"?");
  EXPECT_EQ(ParseError("spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/tunnel//require;"),
            "s.conf:1:54: tunnel mode needs endpoints; write esp/tunnel/SRC-DST/require");
  EXPECT_EQ(ParseError("spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transport//unique:5;"),
            "s.conf:1:58: unique with a fixed reqid is not supported yet; write unique");
  EXPECT_EQ(ParseError("spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transport//require "
                       "esp/transport//require;"),
            "s.conf:1:66: a second rule (an SA bundle) is not supported yet; keep one esp rule");
  EXPECT_EQ(ParseError("spdadd 10.0.0.1 10.0.0.2 any -P out ipsec\n  esp/transport//require\n"
                       "  esp/transport//require;"),
            "s.conf:3:3: a second rule (an SA bundle) is not supported yet; keep one esp rule");
  EXPECT_EQ(ParseError("spdadd 10.0.0.1 10.0.0.2 any -P out prio 10 none;"),
            "s.conf:1:37: policy priorities are not supported yet; remove \"prio\" and its value");
}

TEST(SetkeyScriptTest, StatementErrors) {
  EXPECT_EQ(ParseError("spdflush\nflush;\n"),
            "s.conf:1:9: missing \";\" after \"spdflush\"; end the spdflush command with \";\"");
  EXPECT_EQ(ParseError("spdadd 10.0.0.1 10.0.0.2 any -P out none\nspdflush;\n"),
            "s.conf:1:41: missing \";\" after \"none\"; end the spdadd command with \";\"");
  EXPECT_EQ(ParseError("spdad 10.0.0.1 10.0.0.2 any -P out none;"),
            "s.conf:1:1: unknown setkey command \"spdad\"; did you mean \"spdadd\"?");
  EXPECT_EQ(ParseError("flush bogus;"),
            "s.conf:1:7: unknown SA type \"bogus\" after flush; use esp, ah, ipcomp or nothing "
            "for all");
  EXPECT_EQ(ParseError("spdadd 10.0.0.1"),
            "s.conf:1:16: missing a destination range such as "
            "10.0.0.0/24 in spdadd");
}

TEST(SetkeyScriptTest, ManualSasParseThenReject) {
  const std::string reason =
      " (a manual SA) is not supported yet: ipop-espd negotiates every SA with IKE; remove the "
      "command";
  EXPECT_EQ(ParseError("add 10.0.0.1 10.0.0.2 esp 0x1000 -m transport\n"
                       "    -E 3des-cbc 0x0123456789abcdef0123456789abcdef0123456789abcdef\n"
                       "    -A hmac-sha1 \"20-byte-key-12345678\";"),
            "s.conf:1:1: add" + reason);
  EXPECT_EQ(ParseError("delete 10.0.0.1 10.0.0.2 esp 4096;"), "s.conf:1:1: delete" + reason);
  EXPECT_EQ(ParseError("add 10.0.0.1 10.0.0.2 esp 0xzz -E null;"),
            "s.conf:1:27: invalid SPI \"0xzz\"; use a number up to 0xffffffff");
  EXPECT_EQ(ParseError("add 10.0.0.1 10.0.0.2 esp 0x1000 -E 3des-cbc zz;"),
            "s.conf:1:46: missing or invalid key after the -E algorithm in add; write 0x "
            "followed by hex digits or a quoted string");
  EXPECT_EQ(ParseError("add 10.0.0.1/24 10.0.0.2 esp 0x1000 -E null;"),
            "s.conf:1:13: an SA address takes no prefix length; remove \"/24\" from "
            "\"10.0.0.1/24\"");
  EXPECT_EQ(ParseError("add 10.0.0.1 10.0.0.2 esp 0x1000 -Q 1;"),
            "s.conf:1:34: unknown option \"-Q\" in add");
}

TEST(SetkeyScriptTest, UnreadableFileNamesPath) {
  try {
    LoadSetkeyScript("/nonexistent/setkey.conf");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.location().file, "/nonexistent/setkey.conf");
  }
}

}  // namespace
}  // namespace ipop::config
