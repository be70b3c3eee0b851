// Two IkeService instances joined by an in-memory network, each with an
// in-memory kernel seam, driven by one ManualTimerService. Uses the racoon
// vector certificates: node A is 10.77.0.1, node B is 10.77.0.2.
#ifndef IPOP_TESTS_IKE_EXCHANGE_HARNESS_H_
#define IPOP_TESTS_IKE_EXCHANGE_HARNESS_H_

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/ip_address.h"
#include "base/log.h"
#include "base/timer.h"
#include "config/runtime_config.h"
#include "esp/kernel_seam.h"
#include "ike/ike_service.h"
#include "ike/message.h"

namespace ipop::ike::test {

inline const std::string kVectorDir = std::string(IPOP_TEST_DATA_DIR) + "/vectors/racoon-3des-sha1-modp1024";
inline const std::string kCertDir = kVectorDir + "/certs";
inline const std::string kOtherCaDir = std::string(IPOP_TEST_DATA_DIR) + "/ike/data/other-ca";

inline Ipv4Address Address(const char* text) { return *Ipv4Address::Parse(text); }

// Keeps every SA and policy in memory, keys included, so tests can compare
// the two sides.
class FakeKernel : public esp::KernelSeam {
 public:
  explicit FakeKernel(uint32_t first_spi) : next_spi_(first_spi) {}

  const char* name() const override { return "fake"; }

  Result<uint32_t> AllocateSpi(Ipv4Address, Ipv4Address) override { return next_spi_++; }

  Result<void> AddSa(esp::EspSaConfig config) override {
    if (reject_outbound && !config.inbound) {
      return Fail(ErrorCode::kUnsupported, "outbound SAs rejected by the test");
    }
    sas.push_back(std::move(config));
    return {};
  }

  Result<void> DeleteSa(uint32_t spi, Ipv4Address destination) override {
    const size_t before = sas.size();
    std::erase_if(sas, [&](const esp::EspSaConfig& sa) { return sa.spi == spi && sa.destination == destination; });
    if (sas.size() == before) {
      return Fail(ErrorCode::kNotFound, "no SA " + std::to_string(spi));
    }
    return {};
  }

  std::vector<esp::EspSaStatus> ListSas() const override {
    std::vector<esp::EspSaStatus> list;
    for (const esp::EspSaConfig& sa : sas) {
      esp::EspSaStatus status;
      status.spi = sa.spi;
      status.source = sa.source;
      status.destination = sa.destination;
      status.inbound = sa.inbound;
      auto counted = packets.find(sa.spi);
      status.packets = counted == packets.end() ? 0 : counted->second;
      list.push_back(status);
    }
    return list;
  }

  Result<esp::Policy> AddPolicy(esp::Policy policy) override {
    policy.id = next_policy_id_++;
    policies.push_back(policy);
    return policy;
  }
  Result<void> DeletePolicy(uint32_t policy_id) override {
    if (std::erase_if(policies, [&](const esp::Policy& policy) { return policy.id == policy_id; }) == 0) {
      return Fail(ErrorCode::kNotFound, "no policy " + std::to_string(policy_id));
    }
    return {};
  }
  std::vector<esp::Policy> ListPolicies() const override { return policies; }

  const esp::EspSaConfig* Find(uint32_t spi) const {
    for (const esp::EspSaConfig& sa : sas) {
      if (sa.spi == spi) {
        return &sa;
      }
    }
    return nullptr;
  }
  const esp::EspSaConfig* FindDirection(bool inbound) const {
    for (const esp::EspSaConfig& sa : sas) {
      if (sa.inbound == inbound) {
        return &sa;
      }
    }
    return nullptr;
  }

  std::vector<esp::EspSaConfig> sas;
  std::vector<esp::Policy> policies;
  std::map<uint32_t, uint64_t> packets;  // per SPI, as ListSas reports them
  bool reject_outbound = false;  // makes AddSa fail for outbound SAs

 private:
  uint32_t next_spi_;
  uint32_t next_policy_id_ = 1;
};

struct Datagram {
  Endpoint local;   // the sender's endpoint
  Endpoint remote;  // the receiver's endpoint
  Bytes bytes;
};

class Outbox : public DatagramSender {
 public:
  void SendDatagram(const Endpoint& local, const Endpoint& remote, ByteView message) override {
    queue.push_back(Datagram{local, remote, Bytes(message.begin(), message.end())});
  }
  std::deque<Datagram> queue;
};

// The algorithms one test negotiates.
struct Suite {
  std::string name;
  config::Phase1Proposal phase1;
  crypto::EspCipher esp_cipher = crypto::EspCipher::k3desCbc;
  size_t esp_key_bits = 0;
  crypto::EspIntegrity esp_integrity = crypto::EspIntegrity::kHmacSha1_96;
  std::optional<crypto::DhGroup> pfs_group = crypto::DhGroup::kModp1024;
};

// gtest lists a parameter's raw bytes (heap addresses included) after each
// test name, and ctest takes that into its test names; print the name.
inline void PrintTo(const Suite& test_case, std::ostream* out) { *out << test_case.name; }

inline Suite RacoonSuite() {
  Suite suite;
  suite.name = "3des_sha1_modp1024";
  return suite;
}

// Builds the configuration operators use (remote anonymous, rsasig, asn1dn,
// verify_identifier off, nat_traversal on, sainfo anonymous with PFS) for
// the node at `address` whose files are in `node_dir`.
inline config::RuntimeConfig MakeConfig(const char* address, const std::string& node_dir, const std::string& ca_file,
                                        const Suite& suite) {
  config::RuntimeConfig config;
  config.listen.isakmp.push_back(Endpoint{Address(address), 500});
  config.listen.isakmp_natt.push_back(Endpoint{Address(address), 4500});
  config::RemoteConfig remote;
  remote.origin = "test:1";
  remote.proposals.push_back(suite.phase1);
  remote.certificate_file = node_dir + "/cert.pem";
  remote.private_key_file = node_dir + "/key.pem";
  remote.ca_file = ca_file;
  remote.my_identifier.type = config::IdentifierType::kAsn1Dn;
  remote.verify_identifier = false;
  remote.nat_traversal = config::NatTraversal::kOn;
  config.remotes.push_back(remote);
  config::SainfoConfig sainfo;
  sainfo.origin = "test:20";
  sainfo.ciphers.push_back(suite.esp_cipher);
  sainfo.cipher_key_bits.push_back(suite.esp_key_bits);
  sainfo.integrities.push_back(suite.esp_integrity);
  sainfo.pfs_group = suite.pfs_group;
  sainfo.compression_deflate = true;
  config.sainfos.push_back(sainfo);
  return config;
}

// One node: its configuration, kernel, outbox and service.
struct Node {
  Node(const char* address_text, config::RuntimeConfig node_config, ManualTimerService& timers, uint32_t first_spi)
      : address(Address(address_text)), config(std::move(node_config)), kernel(first_spi) {
    service = std::make_unique<IkeService>(config, timers, kernel, outbox);
  }

  Endpoint endpoint() const { return Endpoint{address, 500}; }

  Ipv4Address address;
  config::RuntimeConfig config;
  FakeKernel kernel;
  Outbox outbox;
  std::unique_ptr<IkeService> service;
};

// Builds the node at `address` (10.77.0.1 or 10.77.0.2) with its vector
// certificate and MakeConfig's configuration.
inline std::unique_ptr<Node> MakeVectorNode(const char* address, ManualTimerService& timers,
                                            uint32_t first_spi, const Suite& suite = RacoonSuite()) {
  return std::make_unique<Node>(
      address, MakeConfig(address, kCertDir + "/" + address, kCertDir + "/rootCA.pem", suite), timers,
      first_spi);
}

// Delivers the oldest datagram in `from`'s outbox to `to`; returns it.
inline Datagram DeliverOne(Node& from, Node& to) {
  Datagram datagram = std::move(from.outbox.queue.front());
  from.outbox.queue.pop_front();
  to.service->HandleDatagram(datagram.remote, datagram.local, datagram.bytes);
  return datagram;
}

// Delivers datagrams both ways until neither side has anything to send.
// Returns the number delivered; stops after `limit` to catch ping-pong bugs.
inline int DeliverAll(Node& a, Node& b, int limit = 100) {
  int delivered = 0;
  while (delivered < limit && (!a.outbox.queue.empty() || !b.outbox.queue.empty())) {
    if (!a.outbox.queue.empty()) {
      DeliverOne(a, b);
      ++delivered;
    }
    if (!b.outbox.queue.empty()) {
      DeliverOne(b, a);
      ++delivered;
    }
  }
  return delivered;
}

// The ACQUIRE a packet from `from` to `to` raises.
inline esp::AcquireRequest AcquireFor(const Node& from, const Node& to, uint32_t policy_id = 1) {
  esp::AcquireRequest request;
  request.policy_id = policy_id;
  request.source = from.address;
  request.destination = to.address;
  return request;
}

// Adds the operators' policy pair ("10.77.0.0/24 10.77.0.0/24 any -P out/in
// ipsec esp/transport//require") to a node's kernel.
inline void AddPolicies(Node& node) {
  for (esp::PolicyDirection direction : {esp::PolicyDirection::kOut, esp::PolicyDirection::kIn}) {
    esp::Policy policy;
    policy.selector.source = Ipv4Prefix{Address("10.77.0.0"), 24};
    policy.selector.destination = Ipv4Prefix{Address("10.77.0.0"), 24};
    policy.direction = direction;
    (void)node.kernel.AddPolicy(policy);
  }
}

// The payload types of a plaintext datagram in order; empty when it does
// not parse or is encrypted.
inline std::vector<PayloadType> PayloadTypesOf(const Bytes& datagram) {
  std::vector<PayloadType> types;
  auto message = ParseMessage(datagram);
  if (!message) {
    return types;
  }
  for (const Payload& payload : message->payloads()) {
    types.push_back(payload.type);
  }
  return types;
}

inline bool IsEncrypted(const Bytes& datagram) {
  auto message = ParseMessage(datagram);
  return message && message->header().encrypted();
}

// Checks that every outbound SA of `node` is an inbound SA of `peer` with
// the same keys, so that nothing `node` sends is lost or unreadable.
inline void ExpectOutboundKnownToPeer(const Node& node, const Node& peer) {
  for (const esp::EspSaConfig& outbound : node.kernel.sas) {
    if (outbound.inbound) {
      continue;
    }
    const esp::EspSaConfig* inbound = peer.kernel.Find(outbound.spi);
    ASSERT_NE(inbound, nullptr) << outbound.spi;
    EXPECT_TRUE(inbound->inbound);
    EXPECT_EQ(ToHex(inbound->cipher_key.view()), ToHex(outbound.cipher_key.view()));
    EXPECT_EQ(ToHex(inbound->integrity_key.view()), ToHex(outbound.integrity_key.view()));
  }
}

// Captures log lines for the lifetime of the object.
class LogCapture {
 public:
  LogCapture() {
    saved_level_ = Logger::Get().level();
    Logger::Get().set_level(LogLevel::kDebug);
    Logger::Get().set_capture(&text);
  }
  ~LogCapture() {
    Logger::Get().set_capture(nullptr);
    Logger::Get().set_level(saved_level_);
  }
  bool Contains(const std::string& needle) const { return text.find(needle) != std::string::npos; }
  size_t Count(const std::string& needle) const {
    size_t count = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      ++count;
    }
    return count;
  }

  std::string text;

 private:
  LogLevel saved_level_ = LogLevel::kInfo;
};

}  // namespace ipop::ike::test

#endif  // IPOP_TESTS_IKE_EXCHANGE_HARNESS_H_
