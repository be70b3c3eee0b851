// Drives esp/xfrm/ for fail_closed_test.sh inside a network namespace:
//   fail_closed_tool install LOCAL_PREFIX REMOTE_PREFIX
//       installs "out LOCAL -> REMOTE" and "in REMOTE -> LOCAL" with
//       esp/transport//require, then exits without cleanup as a crash would.
//   fail_closed_tool remove
//       deletes every policy in the guard's index range.
//   fail_closed_tool udp-send [--no-bypass] SOURCE DESTINATION PORT
//       sends one UDP datagram from SOURCE:PORT, with the socket bypass
//       policies unless --no-bypass.
//   fail_closed_tool esp-receive [--no-bypass] SECONDS
//       counts the packets a raw IPPROTO_ESP socket receives.
//   fail_closed_tool esp-send DESTINATION COUNT
//       sends COUNT protocol-50 packets (an SPI, a sequence number and 32
//       zero bytes) from a raw socket with the bypass policies.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/ip_address.h"
#include "esp/policy.h"
#include "esp/xfrm/xfrm_guard.h"

namespace {

using ipop::Ipv4Address;
using ipop::Ipv4Prefix;

constexpr int kUsageError = 2;
constexpr uint8_t kIpProtocolEsp = 50;  // RFC 4303 §2

std::optional<Ipv4Prefix> ParsePrefix(std::string_view text) {
  const size_t slash = text.find('/');
  std::optional<Ipv4Address> address = Ipv4Address::Parse(text.substr(0, slash));
  if (!address) {
    return std::nullopt;
  }
  Ipv4Prefix prefix{*address, 32};
  if (slash != std::string_view::npos) {
    const int length = std::atoi(std::string(text.substr(slash + 1)).c_str());
    if (length < 0 || length > 32) {
      return std::nullopt;
    }
    prefix.length = static_cast<uint8_t>(length);
  }
  return prefix;
}

ipop::esp::Policy MakeRequirePolicy(Ipv4Prefix source, Ipv4Prefix destination,
                                    ipop::esp::PolicyDirection direction) {
  ipop::esp::Policy policy;
  policy.selector.source = source;
  policy.selector.destination = destination;
  policy.direction = direction;
  policy.action = ipop::esp::PolicyAction::kIpsec;
  policy.level = ipop::esp::IpsecLevel::kRequire;
  policy.origin = "fail_closed_tool";
  return policy;
}

int Install(const std::vector<std::string>& arguments) {
  if (arguments.size() != 2) {
    std::fprintf(stderr, "usage: fail_closed_tool install LOCAL_PREFIX REMOTE_PREFIX\n");
    return kUsageError;
  }
  std::optional<Ipv4Prefix> local = ParsePrefix(arguments[0]);
  std::optional<Ipv4Prefix> remote = ParsePrefix(arguments[1]);
  if (!local || !remote) {
    std::fprintf(stderr, "invalid prefix; expected A.B.C.D/LEN\n");
    return kUsageError;
  }
  std::vector<ipop::esp::Policy> policies = {
      MakeRequirePolicy(*local, *remote, ipop::esp::PolicyDirection::kOut),
      MakeRequirePolicy(*remote, *local, ipop::esp::PolicyDirection::kIn),
  };
  ipop::esp::xfrm::FailClosedGuard guard;
  if (ipop::Result<void> installed = guard.Install(policies); !installed) {
    std::fprintf(stderr, "install failed: %s\n", ipop::ToString(installed.error()).c_str());
    return EXIT_FAILURE;
  }
  std::printf("installed %zu policies\n", guard.installed_count());
  std::fflush(stdout);
  _exit(EXIT_SUCCESS);  // no destructors, no Remove(): the state a crash leaves
}

int Remove() {
  if (ipop::Result<void> removed = ipop::esp::xfrm::FailClosedGuard::RemoveAll(); !removed) {
    std::fprintf(stderr, "remove failed: %s\n", ipop::ToString(removed.error()).c_str());
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}

// Applies the bypass policies to `fd` unless `bypass` is false.
bool PrepareSocket(int fd, bool bypass) {
  if (!bypass) {
    return true;
  }
  if (ipop::Result<void> result = ipop::esp::xfrm::BypassSocketPolicies(fd); !result) {
    std::fprintf(stderr, "%s\n", ipop::ToString(result.error()).c_str());
    return false;
  }
  return true;
}

int UdpSend(std::vector<std::string> arguments) {
  bool bypass = true;
  if (!arguments.empty() && arguments[0] == "--no-bypass") {
    bypass = false;
    arguments.erase(arguments.begin());
  }
  if (arguments.size() != 3) {
    std::fprintf(stderr, "usage: fail_closed_tool udp-send [--no-bypass] SOURCE DESTINATION PORT\n");
    return kUsageError;
  }
  sockaddr_in source{};
  sockaddr_in destination{};
  source.sin_family = AF_INET;
  destination.sin_family = AF_INET;
  const int port = std::atoi(arguments[2].c_str());
  if (inet_pton(AF_INET, arguments[0].c_str(), &source.sin_addr) != 1 ||
      inet_pton(AF_INET, arguments[1].c_str(), &destination.sin_addr) != 1 || port <= 0 ||
      port > 65535) {
    std::fprintf(stderr, "invalid address or port\n");
    return kUsageError;
  }
  source.sin_port = htons(static_cast<uint16_t>(port));
  destination.sin_port = htons(static_cast<uint16_t>(port));

  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    std::perror("socket");
    return EXIT_FAILURE;
  }
  if (!PrepareSocket(fd, bypass)) {
    return EXIT_FAILURE;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof(source)) != 0) {
    std::perror("bind");
    return EXIT_FAILURE;
  }
  const char payload[] = "fail-closed bypass probe";
  if (sendto(fd, payload, sizeof(payload), 0, reinterpret_cast<sockaddr*>(&destination),
             sizeof(destination)) < 0) {
    std::perror("sendto");
    return EXIT_FAILURE;
  }
  close(fd);
  return EXIT_SUCCESS;
}

int EspReceive(std::vector<std::string> arguments) {
  bool bypass = true;
  if (!arguments.empty() && arguments[0] == "--no-bypass") {
    bypass = false;
    arguments.erase(arguments.begin());
  }
  if (arguments.size() != 1) {
    std::fprintf(stderr, "usage: fail_closed_tool esp-receive [--no-bypass] SECONDS\n");
    return kUsageError;
  }
  const int fd = socket(AF_INET, SOCK_RAW, kIpProtocolEsp);
  if (fd < 0) {
    std::perror("socket");
    return EXIT_FAILURE;
  }
  if (!PrepareSocket(fd, bypass)) {
    return EXIT_FAILURE;
  }
  std::printf("ready\n");
  std::fflush(stdout);

  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(std::atoi(arguments[0].c_str()));
  int received = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd entry{fd, POLLIN, 0};
    if (poll(&entry, 1, 100) > 0) {
      char buffer[2048];
      if (recv(fd, buffer, sizeof(buffer), 0) > 0) {
        ++received;
      }
    }
  }
  std::printf("received %d\n", received);
  close(fd);
  return EXIT_SUCCESS;
}

int EspSend(const std::vector<std::string>& arguments) {
  if (arguments.size() != 2) {
    std::fprintf(stderr, "usage: fail_closed_tool esp-send DESTINATION COUNT\n");
    return kUsageError;
  }
  sockaddr_in destination{};
  destination.sin_family = AF_INET;
  if (inet_pton(AF_INET, arguments[0].c_str(), &destination.sin_addr) != 1) {
    std::fprintf(stderr, "invalid address \"%s\"\n", arguments[0].c_str());
    return kUsageError;
  }
  const int count = std::atoi(arguments[1].c_str());
  const int fd = socket(AF_INET, SOCK_RAW, kIpProtocolEsp);
  if (fd < 0) {
    std::perror("socket");
    return EXIT_FAILURE;
  }
  if (!PrepareSocket(fd, true)) {
    return EXIT_FAILURE;
  }
  for (int sequence = 1; sequence <= count; ++sequence) {
    // SPI 0x1001 and the sequence number in network order (RFC 4303 §2).
    unsigned char packet[40] = {0x00, 0x00, 0x10, 0x01};
    packet[7] = static_cast<unsigned char>(sequence);
    if (sendto(fd, packet, sizeof(packet), 0, reinterpret_cast<sockaddr*>(&destination),
               sizeof(destination)) < 0) {
      std::perror("sendto");
      return EXIT_FAILURE;
    }
  }
  close(fd);
  return EXIT_SUCCESS;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: fail_closed_tool install|remove|udp-send|esp-receive|esp-send ...\n");
    return kUsageError;
  }
  const std::string command = argv[1];
  const std::vector<std::string> arguments(argv + 2, argv + argc);
  if (command == "install") {
    return Install(arguments);
  }
  if (command == "remove") {
    return Remove();
  }
  if (command == "udp-send") {
    return UdpSend(arguments);
  }
  if (command == "esp-receive") {
    return EspReceive(arguments);
  }
  if (command == "esp-send") {
    return EspSend(arguments);
  }
  std::fprintf(stderr, "unknown command \"%s\"\n", command.c_str());
  return kUsageError;
}
