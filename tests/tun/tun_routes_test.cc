// Runs the TUN device and the rtnetlink helpers against the real kernel, in
// a network namespace of its own so that the host's routing is never
// touched. Needs root (CAP_NET_ADMIN); skipped otherwise.
#include "tun/tun_routes.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>

#include "tun/tun_device.h"

namespace ipop::tun {
namespace {

constexpr uint32_t kTable = 77;
constexpr uint32_t kFwmark = 0x4d;

// Runs `command` with the shell and returns what it printed.
std::string Capture(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return "popen failed";
  }
  std::array<char, 512> buffer;
  while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
    output += buffer.data();
  }
  pclose(pipe);
  return output;
}

// The body of the child process: sets up, reports the kernel's view through
// `ip`, removes everything and reports again. Lines starting with "FAIL"
// mark errors.
std::string ExerciseInNewNamespace() {
  if (unshare(CLONE_NEWNET) != 0) {
    return "FAIL unshare(CLONE_NEWNET)\n";
  }
  auto device = TunDevice::Open("ipttun0");
  if (!device) {
    return "FAIL open: " + device.error().detail + "\n";
  }
  auto netlink = RtnetlinkSocket::Open();
  if (!netlink) {
    return "FAIL netlink: " + netlink.error().detail + "\n";
  }
  TunRoutes routes(std::move(*netlink));
  std::string report;
  if (auto mtu = routes.socket().SetLinkMtu(device->ifindex(), 1400); !mtu) {
    report += "FAIL mtu: " + mtu.error().detail + "\n";
  }
  if (auto up = routes.socket().SetLinkUp(device->ifindex()); !up) {
    report += "FAIL up: " + up.error().detail + "\n";
  }
  const RouteSpec route{.destination = Ipv4Prefix{*Ipv4Address::Parse("10.9.1.0"), 16},
                        .ifindex = device->ifindex(),
                        .table = kTable,
                        .preferred_source = std::nullopt,
                        .mtu = std::nullopt};
  if (auto added = routes.AddRoute(route); !added) {
    report += "FAIL route: " + added.error().detail + "\n";
  }
  if (auto again = routes.AddRoute(route); !again) {
    report += "FAIL second identical route: " + again.error().detail + "\n";
  }
  if (auto rule = routes.AddRule(RuleSpec{.priority = 1000, .fwmark = kFwmark, .table = kTable}); !rule) {
    report += "FAIL rule: " + rule.error().detail + "\n";
  }

  report += "== link\n" + Capture("ip -o link show ipttun0");
  report += "== routes\n" + Capture("ip route show table " + std::to_string(kTable));
  report += "== rules\n" + Capture("ip rule show");
  report += "== lookup unmarked\n" + Capture("ip route get 10.9.2.3");
  report += "== lookup marked\n" + Capture("ip route get 10.9.2.3 mark " + std::to_string(kFwmark) + " 2>&1");
  routes.RemoveAll();
  report += "== routes after removal\n" + Capture("ip route show table " + std::to_string(kTable) + " 2>&1");
  report += "== rules after removal\n" + Capture("ip rule show");
  return report;
}

// Returns the lines between "== name" and the next section.
std::string Section(const std::string& report, const std::string& name) {
  const std::string marker = "== " + name + "\n";
  const size_t start = report.find(marker);
  if (start == std::string::npos) {
    return "";
  }
  const size_t body = start + marker.size();
  const size_t end = report.find("\n== ", body - 1);
  return report.substr(body, end == std::string::npos ? std::string::npos : end + 1 - body);
}

TEST(TunRoutes, KernelStateInNamespace) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root to create a network namespace and a TUN device";
  }
  if (access("/dev/net/tun", R_OK | W_OK) != 0) {
    GTEST_SKIP() << "/dev/net/tun is not available";
  }

  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    const std::string report = ExerciseInNewNamespace();
    [[maybe_unused]] ssize_t written = write(pipe_fds[1], report.data(), report.size());
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string report;
  std::array<char, 4096> buffer;
  ssize_t received;
  while ((received = read(pipe_fds[0], buffer.data(), buffer.size())) > 0) {
    report.append(buffer.data(), static_cast<size_t>(received));
  }
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);

  SCOPED_TRACE(report);
  EXPECT_EQ(report.find("FAIL"), std::string::npos);
  const std::string link = Section(report, "link");
  EXPECT_NE(link.find("mtu 1400"), std::string::npos);
  EXPECT_NE(link.find(",UP"), std::string::npos);
  // The route carries the network part only, once.
  const std::string routes = Section(report, "routes");
  EXPECT_NE(routes.find("10.9.0.0/16 dev ipttun0"), std::string::npos);
  EXPECT_EQ(routes.find("10.9.0.0/16"), routes.rfind("10.9.0.0/16"));
  EXPECT_NE(Section(report, "rules").find("1000:\tnot from all fwmark 0x4d lookup 77"), std::string::npos);
  EXPECT_NE(Section(report, "lookup unmarked").find("dev ipttun0"), std::string::npos);
  EXPECT_EQ(Section(report, "lookup marked").find("dev ipttun0"), std::string::npos);
  EXPECT_EQ(Section(report, "routes after removal").find("10.9.0.0"), std::string::npos);
  EXPECT_EQ(Section(report, "rules after removal").find("fwmark 0x4d"), std::string::npos);
}

}  // namespace
}  // namespace ipop::tun
