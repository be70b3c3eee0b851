// NAT traversal between in-memory peers (RFC 3947): draft versions, NAT-OA
// in Quick Mode, `nat_traversal force` and `off`, a NAT mapping that changes,
// and two peers behind one NAT. The NAT is simulated by rewriting the
// endpoints of each datagram between the services.
#include <gtest/gtest.h>

#include <chrono>

#include "ike/message.h"
#include "ike/nat_detection.h"
#include "ike/payload_vendor_id.h"
#include "ike/vendor_ids.h"
#include "tests/ike/exchange_harness.h"

namespace ipop::ike::test {
namespace {

using std::chrono::seconds;

const Ipv4Address kNatPublic = Address("198.51.100.7");

// A node behind the NAT and the public ports its two IKE ports map to.
struct NatMapping {
  Node* node = nullptr;
  uint16_t port_500 = 0;
  uint16_t port_4500 = 0;

  Endpoint Public(const Endpoint& inside) const {
    return Endpoint{kNatPublic, inside.port == 500 ? port_500 : port_4500};
  }
  bool Owns(const Endpoint& outside) const {
    return outside.address == kNatPublic && (outside.port == port_500 || outside.port == port_4500);
  }
  Endpoint Inside(const Endpoint& outside) const {
    return Endpoint{node->address, static_cast<uint16_t>(outside.port == port_500 ? 500 : 4500)};
  }
};

bool Contains(const std::vector<PayloadType>& types, PayloadType type) {
  return std::ranges::find(types, type) != types.end();
}

class NattExchangeTest : public ::testing::Test {
 protected:
  std::unique_ptr<Node> MakeNode(const char* address, const char* cert_name, uint32_t first_spi,
                                 config::NatTraversal mode = config::NatTraversal::kOn) {
    config::RuntimeConfig config =
        MakeConfig(address, kCertDir + "/" + cert_name, kCertDir + "/rootCA.pem", RacoonSuite());
    config.remotes.front().nat_traversal = mode;
    auto node = std::make_unique<Node>(address, std::move(config), timers_, first_spi);
    auto loaded = node->service->LoadCredentials();
    EXPECT_TRUE(loaded.has_value()) << ToString(loaded.error());
    AddPolicies(*node);
    return node;
  }

  // Delivers datagrams until all outboxes are empty. Nodes in `inside`
  // reach `server` through the NAT; their datagrams get the NAT's public
  // endpoint as source, and the server's replies are routed back by port.
  void Run(std::vector<NatMapping> inside, Node& server) {
    for (int round = 0; round < 200; ++round) {
      bool moved = false;
      for (const NatMapping& mapping : inside) {
        if (!mapping.node->outbox.queue.empty()) {
          Datagram datagram = std::move(mapping.node->outbox.queue.front());
          mapping.node->outbox.queue.pop_front();
          sent_.push_back(datagram.bytes);
          server.service->HandleDatagram(datagram.remote, mapping.Public(datagram.local), datagram.bytes);
          moved = true;
        }
      }
      if (!server.outbox.queue.empty()) {
        Datagram datagram = std::move(server.outbox.queue.front());
        server.outbox.queue.pop_front();
        sent_.push_back(datagram.bytes);
        moved = true;
        for (const NatMapping& mapping : inside) {
          if (mapping.Owns(datagram.remote)) {
            mapping.node->service->HandleDatagram(mapping.Inside(datagram.remote), datagram.local, datagram.bytes);
          }
        }
      }
      if (!moved) {
        return;
      }
    }
    ADD_FAILURE() << "datagrams still queued after 200 rounds";
  }

  ManualTimerService timers_;
  std::vector<Bytes> sent_;  // every datagram Run delivered, in order
};

TEST_F(NattExchangeTest, NatOaCarriesOriginalAddresses) {
  auto a = MakeNode("10.77.0.1", "10.77.0.1", 0x1000);
  auto b = MakeNode("10.77.0.2", "10.77.0.2", 0x2000);
  a->service->Acquire(AcquireFor(*a, *b));
  Run({NatMapping{a.get(), 40500, 44500}}, *b);
  ASSERT_EQ(a->kernel.sas.size(), 2u);
  ASSERT_EQ(b->kernel.sas.size(), 2u);

  // B received A's packets from the NAT; A computed its checksums over
  // 10.77.0.1 -> 10.77.0.2 (NAT-OAi and NAT-OAr of Quick Mode message 1).
  const esp::EspSaConfig* b_in = b->kernel.FindDirection(true);
  EXPECT_EQ(b_in->source, kNatPublic);
  ASSERT_TRUE(b_in->original_source.has_value());
  EXPECT_EQ(*b_in->original_source, Address("10.77.0.1"));
  ASSERT_TRUE(b_in->original_destination.has_value());
  EXPECT_EQ(*b_in->original_destination, Address("10.77.0.2"));
  ASSERT_TRUE(b_in->encapsulation.has_value());
  EXPECT_EQ(b_in->encapsulation->source_port, 44500);
  EXPECT_EQ(b_in->encapsulation->destination_port, 4500);

  // B sent to the NAT's public address, which message 2's NAT-OAi names.
  const esp::EspSaConfig* a_in = a->kernel.FindDirection(true);
  ASSERT_TRUE(a_in->original_source.has_value());
  EXPECT_EQ(*a_in->original_source, Address("10.77.0.2"));
  ASSERT_TRUE(a_in->original_destination.has_value());
  EXPECT_EQ(*a_in->original_destination, kNatPublic);

  EXPECT_FALSE(a->kernel.FindDirection(false)->original_source.has_value());
  EXPECT_FALSE(b->kernel.FindDirection(false)->original_source.has_value());
}

TEST_F(NattExchangeTest, DraftOnlyPeerGetsDraftNumbers) {
  LogCapture log;
  auto a = MakeNode("10.77.0.1", "10.77.0.1", 0x1000);
  auto b = MakeNode("10.77.0.2", "10.77.0.2", 0x2000);
  a->service->Acquire(AcquireFor(*a, *b));

  // Rewrite A's message 1 so that it offers draft-ietf-ipsec-nat-t-ike-02\n
  // only, as an old peer would. The vendor IDs are outside every hash.
  ASSERT_EQ(a->outbox.queue.size(), 1u);
  auto message_1 = ParseMessage(a->outbox.queue.front().bytes);
  ASSERT_TRUE(message_1.has_value());
  MessageBuilder draft_only(message_1->header());
  draft_only.AddRaw(PayloadType::kSa, message_1->Find(PayloadType::kSa)->body);
  draft_only.Add(VendorIdPayload{VendorIdBytes(KnownVendorId::kNatTDraft02Newline)});
  a->outbox.queue.front().bytes = draft_only.Build();

  Run({NatMapping{a.get(), 40500, 44500}}, *b);
  ASSERT_GE(sent_.size(), 4u);
  EXPECT_TRUE(log.Contains("Selected NAT-T version: draft-ietf-ipsec-nat-t-ike-02\\n"));
  // Messages 3 and 4 carry NAT-D with the draft's payload type 130.
  EXPECT_TRUE(Contains(PayloadTypesOf(sent_[2]), PayloadType::kNatDDraft));
  EXPECT_FALSE(Contains(PayloadTypesOf(sent_[2]), PayloadType::kNatD));
  EXPECT_TRUE(Contains(PayloadTypesOf(sent_[3]), PayloadType::kNatDDraft));
  EXPECT_TRUE(log.Contains("NAT detected: PEER"));
  ASSERT_EQ(b->kernel.sas.size(), 2u);
  const esp::EspSaConfig* b_in = b->kernel.FindDirection(true);
  ASSERT_TRUE(b_in->encapsulation.has_value());
  // The drafts send one NAT-OA (type 131), the sender's own address.
  ASSERT_TRUE(b_in->original_source.has_value());
  EXPECT_EQ(*b_in->original_source, Address("10.77.0.1"));
  EXPECT_FALSE(b_in->original_destination.has_value());
}

TEST_F(NattExchangeTest, ForceFloatsWithoutNat) {
  LogCapture log;
  auto a = MakeNode("10.77.0.1", "10.77.0.1", 0x1000, config::NatTraversal::kForce);
  auto b = MakeNode("10.77.0.2", "10.77.0.2", 0x2000);
  a->service->Acquire(AcquireFor(*a, *b));
  DeliverAll(*a, *b);
  EXPECT_TRUE(log.Contains("nat_traversal force: using UDP encapsulation without a NAT"));
  EXPECT_TRUE(log.Contains("NAT detected: PEER"));
  EXPECT_TRUE(log.Contains("ISAKMP-SA established 10.77.0.1[4500]-10.77.0.2[4500]"));
  EXPECT_TRUE(log.Contains("ISAKMP-SA established 10.77.0.2[4500]-10.77.0.1[4500]"));
  ASSERT_EQ(a->kernel.sas.size(), 2u);
  for (const esp::EspSaConfig& sa : a->kernel.sas) {
    ASSERT_TRUE(sa.encapsulation.has_value());
    EXPECT_EQ(sa.encapsulation->source_port, 4500);
    EXPECT_EQ(sa.encapsulation->destination_port, 4500);
  }
}

TEST_F(NattExchangeTest, OffSendsNoNattPayloads) {
  auto a = MakeNode("10.77.0.1", "10.77.0.1", 0x1000, config::NatTraversal::kOff);
  auto b = MakeNode("10.77.0.2", "10.77.0.2", 0x2000);
  a->service->Acquire(AcquireFor(*a, *b));
  auto message_1 = ParseMessage(a->outbox.queue.front().bytes);
  ASSERT_TRUE(message_1.has_value());
  for (const Payload* payload : message_1->FindAll(PayloadType::kVendorId)) {
    const KnownVendorId id = RecognizeVendorId(payload->body);
    EXPECT_EQ(NatTraversalVersionOf(id), NatTraversalVersion::kNone) << VendorIdName(id);
  }
  DeliverOne(*a, *b);
  DeliverOne(*b, *a);
  const std::vector<PayloadType> message_3 = PayloadTypesOf(a->outbox.queue.front().bytes);
  EXPECT_FALSE(Contains(message_3, PayloadType::kNatD));
  EXPECT_FALSE(Contains(message_3, PayloadType::kNatDDraft));
  DeliverAll(*a, *b);
  ASSERT_EQ(a->kernel.sas.size(), 2u);
  EXPECT_FALSE(a->kernel.sas[0].encapsulation.has_value());
  EXPECT_TRUE(a->service->ListIsakmpSas().front().local.port == 500);
}

TEST_F(NattExchangeTest, QuickModeFollowsChangedMapping) {
  LogCapture log;
  auto a = MakeNode("10.77.0.1", "10.77.0.1", 0x1000);
  auto b = MakeNode("10.77.0.2", "10.77.0.2", 0x2000);
  a->service->Acquire(AcquireFor(*a, *b));
  Run({NatMapping{a.get(), 40500, 44500}}, *b);
  ASSERT_EQ(b->kernel.sas.size(), 2u);

  // The NAT forgets A's mapping and picks another port for 4500.
  esp::AcquireRequest second = AcquireFor(*a, *b, /*policy_id=*/1);
  second.protocol = 6;
  a->service->Acquire(second);
  Run({NatMapping{a.get(), 40500, 45999}}, *b);
  EXPECT_TRUE(log.Contains("NAT mapping of peer changed: 198.51.100.7[44500] -> 198.51.100.7[45999]"));
  const auto status = b->service->ListIsakmpSas();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].remote.port, 45999);
  ASSERT_EQ(b->kernel.sas.size(), 4u);
  const esp::EspSaConfig& newest_outbound = b->kernel.sas.back();
  ASSERT_FALSE(newest_outbound.inbound);
  EXPECT_EQ(newest_outbound.encapsulation->destination_port, 45999);
}

TEST_F(NattExchangeTest, DataPathEndpointChangeMovesIke) {
  LogCapture log;
  auto a = MakeNode("10.77.0.1", "10.77.0.1", 0x1000);
  auto b = MakeNode("10.77.0.2", "10.77.0.2", 0x2000);
  a->service->Acquire(AcquireFor(*a, *b));
  Run({NatMapping{a.get(), 40500, 44500}}, *b);
  ASSERT_EQ(b->kernel.sas.size(), 2u);

  // B's data path saw A's ESP arrive from a new NAT port.
  esp::SaEndpointChange change;
  change.spi = b->kernel.FindDirection(true)->spi;
  change.destination = b->address;
  change.old_peer = Endpoint{kNatPublic, 44500};
  change.new_peer = Endpoint{kNatPublic, 45999};
  b->service->HandlePeerEndpointChange(change);
  EXPECT_TRUE(log.Contains("NAT mapping of peer changed: 198.51.100.7[44500] -> 198.51.100.7[45999]"));
  ASSERT_EQ(b->service->ListIsakmpSas().size(), 1u);
  EXPECT_EQ(b->service->ListIsakmpSas()[0].remote.port, 45999);

  // B's next Quick Mode goes to the new port.
  esp::AcquireRequest request;
  request.policy_id = 1;
  request.source = b->address;
  request.destination = kNatPublic;
  b->service->Acquire(request);
  ASSERT_EQ(b->outbox.queue.size(), 1u);
  EXPECT_EQ(b->outbox.queue.front().remote, (Endpoint{kNatPublic, 45999}));

  // A change for an endpoint no SA uses moves nothing.
  change.old_peer = Endpoint{kNatPublic, 1};
  change.new_peer = Endpoint{kNatPublic, 2};
  b->service->HandlePeerEndpointChange(change);
  EXPECT_EQ(b->service->ListIsakmpSas()[0].remote.port, 45999);
}

TEST_F(NattExchangeTest, TwoPeersBehindOneNatKeepTheirSas) {
  // Both inside nodes use the same private address and certificate, so only
  // the NAT's ports tell them apart at the server.
  auto first = MakeNode("10.77.0.1", "10.77.0.1", 0x1000);
  auto second = MakeNode("10.77.0.1", "10.77.0.1", 0x3000);
  auto server = MakeNode("10.77.0.2", "10.77.0.2", 0x2000);
  const NatMapping first_mapping{first.get(), 40500, 44500};
  const NatMapping second_mapping{second.get(), 40501, 44501};

  first->service->Acquire(AcquireFor(*first, *server));
  Run({first_mapping, second_mapping}, *server);
  ASSERT_EQ(server->kernel.sas.size(), 2u);
  // The second peer's INITIAL-CONTACT must not remove the first peer's SAs.
  second->service->Acquire(AcquireFor(*second, *server));
  Run({first_mapping, second_mapping}, *server);
  timers_.Advance(seconds(1));
  ASSERT_EQ(first->kernel.sas.size(), 2u);
  ASSERT_EQ(second->kernel.sas.size(), 2u);
  EXPECT_EQ(server->kernel.sas.size(), 4u);

  const auto status = server->service->ListIsakmpSas();
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[0].remote, (Endpoint{kNatPublic, 44500}));
  EXPECT_EQ(status[1].remote, (Endpoint{kNatPublic, 44501}));
  for (const IsakmpSaStatus& sa : status) {
    EXPECT_TRUE(sa.established);
    EXPECT_TRUE(sa.nat_detected_peer);
  }

  // Each peer's outbound SA at the server goes to its own NAT port, with
  // the keys that peer derived.
  for (const auto& [node, port] : {std::pair{first.get(), 44500}, std::pair{second.get(), 44501}}) {
    const esp::EspSaConfig* peer_in = node->kernel.FindDirection(true);
    const esp::EspSaConfig* server_out = server->kernel.Find(peer_in->spi);
    ASSERT_NE(server_out, nullptr);
    EXPECT_FALSE(server_out->inbound);
    EXPECT_EQ(server_out->encapsulation->destination_port, port);
    EXPECT_EQ(ToHex(server_out->cipher_key.view()), ToHex(peer_in->cipher_key.view()));
  }

  // The second peer leaves; its Deletes remove only its own SAs.
  second->service->Shutdown();
  Run({first_mapping, second_mapping}, *server);
  timers_.Advance(seconds(1));
  EXPECT_EQ(server->kernel.sas.size(), 2u);
  EXPECT_NE(server->kernel.Find(first->kernel.FindDirection(true)->spi), nullptr);
  ASSERT_EQ(server->service->ListIsakmpSas().size(), 1u);
  EXPECT_EQ(server->service->ListIsakmpSas()[0].remote.port, 44500);
}

}  // namespace
}  // namespace ipop::ike::test
