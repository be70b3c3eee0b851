// Our Main Mode responder against the first message of the real racoon
// exchange in tests/vectors/racoon-3des-sha1-modp1024/selftest.pcap.
#include <gtest/gtest.h>

#include "ike/message.h"
#include "ike/payload_sa.h"
#include "ike/payload_vendor_id.h"
#include "ike/vendor_ids.h"
#include "tests/ike/exchange_harness.h"
#include "tests/support/pcap_file.h"

namespace ipop::ike::test {
namespace {

TEST(RacoonResponderTest, AnswersRacoonMainMode1) {
  auto capture = ipop::test::ReadPcapFile(kVectorDir + "/selftest.pcap");
  ASSERT_TRUE(capture.has_value()) << ToString(capture.error());
  const auto messages = ipop::test::ExtractIkeMessages(*capture);
  ASSERT_FALSE(messages.empty());
  const ipop::test::CapturedIkeMessage& racoon_mm1 = messages.front();
  ASSERT_EQ(racoon_mm1.source, (Endpoint{Address("10.77.0.1"), 500}));
  auto racoon_message = ParseMessage(racoon_mm1.message);
  ASSERT_TRUE(racoon_message.has_value());
  auto racoon_sa = ParseSaPayload(racoon_message->Find(PayloadType::kSa)->body);
  ASSERT_TRUE(racoon_sa.has_value());

  LogCapture log;
  ManualTimerService timers;
  Node b("10.77.0.2", MakeConfig("10.77.0.2", kCertDir + "/10.77.0.2", kCertDir + "/rootCA.pem", RacoonSuite()),
         timers, 0x2000);
  ASSERT_TRUE(b.service->LoadCredentials().has_value());

  // racoon: HDR, SA, VID x4 -->
  b.service->HandleDatagram(racoon_mm1.destination, racoon_mm1.source, racoon_mm1.message);

  // <-- HDR, SA, VID, VID
  ASSERT_EQ(b.outbox.queue.size(), 1u);
  const Datagram& reply = b.outbox.queue.front();
  EXPECT_EQ(reply.local, (Endpoint{Address("10.77.0.2"), 500}));
  EXPECT_EQ(reply.remote, (Endpoint{Address("10.77.0.1"), 500}));
  auto message = ParseMessage(reply.bytes);
  ASSERT_TRUE(message.has_value()) << ToString(message.error());
  EXPECT_EQ(message->header().exchange_type, ExchangeType::kIdentityProtection);
  EXPECT_EQ(message->header().initiator_cookie, racoon_message->header().initiator_cookie);
  EXPECT_NE(message->header().responder_cookie, Cookie{});
  EXPECT_EQ(message->header().message_id, 0u);
  EXPECT_EQ(message->header().flags, 0);

  // The chosen transform is racoon's only one, echoed unchanged.
  auto sa = ParseSaPayload(message->Find(PayloadType::kSa)->body);
  ASSERT_TRUE(sa.has_value());
  ASSERT_EQ(sa->proposals.size(), 1u);
  ASSERT_EQ(sa->proposals[0].transforms.size(), 1u);
  EXPECT_EQ(sa->proposals[0].protocol_id, kProtocolIsakmp);
  EXPECT_EQ(sa->proposals[0].transforms[0], racoon_sa->proposals[0].transforms[0]);

  std::vector<KnownVendorId> vendor_ids;
  for (const Payload* payload : message->FindAll(PayloadType::kVendorId)) {
    vendor_ids.push_back(RecognizeVendorId(payload->body));
  }
  EXPECT_EQ(vendor_ids, (std::vector{KnownVendorId::kRfc3947, KnownVendorId::kDpd}));
  EXPECT_TRUE(log.Contains("respond new phase 1 negotiation: 10.77.0.2[500]<=>10.77.0.1[500]"));
  EXPECT_TRUE(log.Contains("received Vendor ID: RFC 3947"));
  EXPECT_TRUE(log.Contains("received Vendor ID: DPD"));

  // racoon retransmits its message 1: the same reply goes out again.
  b.service->HandleDatagram(racoon_mm1.destination, racoon_mm1.source, racoon_mm1.message);
  ASSERT_EQ(b.outbox.queue.size(), 2u);
  EXPECT_EQ(b.outbox.queue[1].bytes, b.outbox.queue[0].bytes);
}

}  // namespace
}  // namespace ipop::ike::test
