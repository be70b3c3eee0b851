// Drives XfrmBackend against the kernel of the current network namespace, for
// xfrm_backend_test.sh. Run it only inside a namespace made for the test:
// it installs policies and SAs.
//
//   xfrm_backend_tool probe
//       prints the start-up probe's summary line
//   xfrm_backend_tool install LOCAL PEER
//       installs out/in/fwd policies for LOCAL/32 <-> PEER/32, allocates an
//       SPI for PEER -> LOCAL and prints "spi N" and "reqid N"
//   xfrm_backend_tool acquire LOCAL PEER
//       installs the out policy, sends one UDP datagram to PEER and waits up
//       to 5 s for the kernel's ACQUIRE; prints "acquire policy N SRC -> DST"
//   xfrm_backend_tool wipe LOCAL PEER
//       sends a keyed XFRM_MSG_NEWSA and checks that the request buffer no
//       longer contains the keys afterwards
//   xfrm_backend_tool duplicate-spi LOCAL PEER
//       adds two ESP-in-UDP SAs LOCAL -> PEER with the same SPI and UDP
//       destination ports 31000 and 31001, as for two peers behind one NAT,
//       and checks that the kernel rejects the second with a clear error
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

#include "esp/xfrm/offload_backend.h"
#include "esp/xfrm/xfrm_backend.h"
#include "esp/xfrm/xfrm_sa_message.h"
#include "esp/xfrm/xfrm_socket.h"

namespace {

using ipop::Ipv4Address;
using ipop::Ipv4Prefix;
namespace esp = ipop::esp;
namespace xfrm = ipop::esp::xfrm;

constexpr int kExitUsage = 2;
constexpr uint16_t kDiscardPort = 9;  // RFC 863
constexpr int kAcquireTimeoutMs = 5000;

int Usage() {
  std::cerr << "usage: xfrm_backend_tool probe | install|acquire|wipe|duplicate-spi LOCAL PEER\n";
  return kExitUsage;
}

esp::Policy MakePolicy(Ipv4Address source, Ipv4Address destination,
                       esp::PolicyDirection direction) {
  esp::Policy policy;
  policy.selector.source = Ipv4Prefix{source, 32};
  policy.selector.destination = Ipv4Prefix{destination, 32};
  policy.direction = direction;
  policy.origin = "xfrm_backend_tool";
  return policy;
}

std::unique_ptr<xfrm::XfrmBackend> OpenBackend() {
  auto backend = xfrm::XfrmBackend::Open();
  if (!backend) {
    std::cerr << "xfrm_backend_tool: " << backend.error().detail << "\n";
    return nullptr;
  }
  return std::move(*backend);
}

int RunProbe() {
  auto backend = OpenBackend();
  if (!backend) {
    return 1;
  }
  std::cout << xfrm::ProbeKernelEsp(*backend).Summary() << "\n";
  return 0;
}

int RunInstall(Ipv4Address local, Ipv4Address peer) {
  auto backend = OpenBackend();
  if (!backend) {
    return 1;
  }
  const esp::Policy policies[] = {MakePolicy(local, peer, esp::PolicyDirection::kOut),
                                  MakePolicy(peer, local, esp::PolicyDirection::kIn),
                                  MakePolicy(peer, local, esp::PolicyDirection::kFwd)};
  for (const esp::Policy& policy : policies) {
    auto added = backend->AddPolicy(policy);
    if (!added) {
      std::cerr << "xfrm_backend_tool: " << added.error().detail << "\n";
      return 1;
    }
    std::cout << "policy " << added->id << " " << esp::PolicyDirectionName(policy.direction)
              << " reqid " << backend->ReqidForPolicy(added->id) << "\n";
  }
  auto spi = backend->AllocateSpi(peer, local);
  if (!spi) {
    std::cerr << "xfrm_backend_tool: " << spi.error().detail << "\n";
    return 1;
  }
  std::cout << "spi " << *spi << "\n";
  return 0;
}

bool SendDatagram(Ipv4Address peer) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(kDiscardPort);
  address.sin_addr.s_addr = htonl(peer.value());
  const char payload[] = "acquire";
  // With xfrm_larval_drop=1 (the default) the kernel drops the datagram and
  // still reports success; the ACQUIRE is what matters here.
  const ssize_t sent = sendto(fd, payload, sizeof(payload), 0,
                              reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  close(fd);
  return sent >= 0 || errno == EAGAIN;
}

int RunAcquire(Ipv4Address local, Ipv4Address peer) {
  auto backend = OpenBackend();
  if (!backend) {
    return 1;
  }
  auto added = backend->AddPolicy(MakePolicy(local, peer, esp::PolicyDirection::kOut));
  if (!added) {
    std::cerr << "xfrm_backend_tool: " << added.error().detail << "\n";
    return 1;
  }
  std::optional<esp::AcquireRequest> acquired;
  backend->set_acquire_handler([&acquired](const esp::AcquireRequest& request) {
    acquired = request;
  });
  if (!SendDatagram(peer)) {
    std::cerr << "xfrm_backend_tool: sendto " << peer.ToString()
              << " failed: " << std::strerror(errno) << "\n";
    return 1;
  }

  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kAcquireTimeoutMs);
  while (!acquired && std::chrono::steady_clock::now() < deadline) {
    pollfd descriptor{.fd = backend->event_fd(), .events = POLLIN, .revents = 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (poll(&descriptor, 1, static_cast<int>(std::max<int64_t>(left.count(), 0))) > 0) {
      backend->ProcessEvents();
    }
  }
  if (!acquired) {
    std::cerr << "xfrm_backend_tool: no ACQUIRE within " << kAcquireTimeoutMs << " ms\n";
    return 1;
  }
  std::cout << "acquire policy " << acquired->policy_id << " " << acquired->source.ToString()
            << " -> " << acquired->destination.ToString() << "\n";
  return acquired->policy_id == added->id ? 0 : 1;
}

int RunWipe(Ipv4Address local, Ipv4Address peer) {
  auto socket = xfrm::XfrmSocket::Open();
  if (!socket) {
    std::cerr << "xfrm_backend_tool: " << socket.error().detail << "\n";
    return 1;
  }
  esp::EspSaConfig config;
  config.spi = 0x1000;
  config.source = local;
  config.destination = peer;
  config.cipher = ipop::crypto::EspCipher::kAesCbc;
  config.aes_key_bits = 128;
  config.integrity = ipop::crypto::EspIntegrity::kHmacSha1_96;
  config.cipher_key = ipop::crypto::SecretBytes(16);
  config.integrity_key = ipop::crypto::SecretBytes(20);
  std::fill(config.cipher_key.mutable_view().begin(), config.cipher_key.mutable_view().end(),
            std::byte{0xa5});
  std::fill(config.integrity_key.mutable_view().begin(),
            config.integrity_key.mutable_view().end(), std::byte{0x5a});

  auto request = xfrm::BuildNewSa(config, 0, false, socket->NextSequence());
  if (!request) {
    std::cerr << "xfrm_backend_tool: " << request.error().detail << "\n";
    return 1;
  }
  auto sent = socket->RequestAndWipe(*request);
  std::cout << "kernel: " << (sent ? "accepted" : sent.error().detail) << "\n";
  if (sent) {
    (void)socket->Request(xfrm::BuildDeleteSa(config.spi, peer, socket->NextSequence()));
  }

  const auto* buffer = reinterpret_cast<const std::byte*>(request->header());
  const std::byte* end = buffer + xfrm::XfrmMessage::kBufferSize;
  const auto key = config.cipher_key.view();
  const auto integrity_key = config.integrity_key.view();
  const bool cipher_key_left = std::search(buffer, end, key.begin(), key.end()) != end;
  const bool integrity_key_left =
      std::search(buffer, end, integrity_key.begin(), integrity_key.end()) != end;
  std::cout << "keys left in request: " << (cipher_key_left || integrity_key_left ? "yes" : "no")
            << "\n";
  return cipher_key_left || integrity_key_left ? 1 : 0;
}

// Returns 0 when the kernel accepts the first SA and rejects the second with
// the backend's EEXIST explanation, 1 otherwise.
int RunDuplicateSpi(Ipv4Address local, Ipv4Address peer) {
  auto backend = OpenBackend();
  if (!backend) {
    return 1;
  }
  auto make_config = [&](uint16_t destination_port) {
    esp::EspSaConfig config;
    config.spi = 0x2000;
    config.source = local;
    config.destination = peer;
    config.cipher = ipop::crypto::EspCipher::kAesCbc;
    config.aes_key_bits = 128;
    config.integrity = ipop::crypto::EspIntegrity::kHmacSha1_96;
    config.cipher_key = ipop::crypto::SecretBytes(16);
    config.integrity_key = ipop::crypto::SecretBytes(20);
    config.encapsulation = esp::UdpEncapsulation{4500, destination_port};
    return config;
  };

  auto first = backend->AddSa(make_config(31000));
  std::cout << "first: " << (first ? "accepted" : first.error().detail) << "\n";
  if (!first) {
    return 1;
  }
  auto second = backend->AddSa(make_config(31001));
  std::cout << "second: " << (second ? "accepted" : second.error().detail) << "\n";
  (void)backend->DeleteSa(0x2000, peer);
  const bool explained =
      !second && second.error().detail.find("XFRM keys SAs by destination, SPI and protocol") !=
                     std::string::npos;
  return explained ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "probe") {
    return RunProbe();
  }
  if (argc != 4) {
    return Usage();
  }
  const std::string command = argv[1];
  const auto local = Ipv4Address::Parse(argv[2]);
  const auto peer = Ipv4Address::Parse(argv[3]);
  if (!local || !peer) {
    std::cerr << "xfrm_backend_tool: invalid address\n";
    return kExitUsage;
  }
  if (command == "install") {
    return RunInstall(*local, *peer);
  }
  if (command == "acquire") {
    return RunAcquire(*local, *peer);
  }
  if (command == "wipe") {
    return RunWipe(*local, *peer);
  }
  if (command == "duplicate-spi") {
    return RunDuplicateSpi(*local, *peer);
  }
  return Usage();
}
