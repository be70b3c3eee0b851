// Every message of a Main Mode + Quick Mode exchange, truncated and with
// single bits flipped, fed to the receiving peer: nothing may crash, and
// damaged encrypted messages must not stop the exchange.
#include <gtest/gtest.h>

#include "tests/ike/exchange_harness.h"

namespace ipop::ike::test {
namespace {

// Main Mode messages 5 and 6 and all Quick Mode messages are encrypted.
constexpr int kFirstEncryptedStep = 4;
constexpr int kMessagesPerExchange = 9;

void FeedDamagedCopies(Node& receiver, const Datagram& original) {
  for (size_t length = 0; length < original.bytes.size(); length += 9) {
    const Bytes truncated(original.bytes.begin(), original.bytes.begin() + static_cast<std::ptrdiff_t>(length));
    receiver.service->HandleDatagram(original.remote, original.local, truncated);
  }
  for (size_t at = 0; at < original.bytes.size(); at += 7) {
    Bytes flipped = original.bytes;
    flipped[at] ^= std::byte{0x40};
    receiver.service->HandleDatagram(original.remote, original.local, flipped);
  }
}

TEST(ExchangeRobustnessTest, DamagedMessagesNeverCrash) {
  for (int step = 0; step < kMessagesPerExchange; ++step) {
    SCOPED_TRACE("message " + std::to_string(step + 1) + " of the exchange");
    ManualTimerService timers;
    Node a("10.77.0.1", MakeConfig("10.77.0.1", kCertDir + "/10.77.0.1", kCertDir + "/rootCA.pem", RacoonSuite()),
           timers, 0x1000);
    Node b("10.77.0.2", MakeConfig("10.77.0.2", kCertDir + "/10.77.0.2", kCertDir + "/rootCA.pem", RacoonSuite()),
           timers, 0x2000);
    ASSERT_TRUE(a.service->LoadCredentials().has_value());
    ASSERT_TRUE(b.service->LoadCredentials().has_value());
    a.service->Acquire(AcquireFor(a, b));
    for (int i = 0; i < step; ++i) {
      DeliverOne(i % 2 == 0 ? a : b, i % 2 == 0 ? b : a);
    }
    Node& sender = step % 2 == 0 ? a : b;
    Node& receiver = step % 2 == 0 ? b : a;
    ASSERT_EQ(sender.outbox.queue.size(), 1u);
    const Datagram original = sender.outbox.queue.front();
    sender.outbox.queue.pop_front();

    FeedDamagedCopies(receiver, original);
    EXPECT_GT(receiver.service->counters().drops.size(), 0u);

    receiver.service->HandleDatagram(original.remote, original.local, original.bytes);
    DeliverAll(a, b);
    if (step >= kFirstEncryptedStep) {
      // Damaged ciphertext is dropped, so the intact message completes the
      // exchange.
      EXPECT_EQ(a.kernel.sas.size(), 2u);
      EXPECT_EQ(b.kernel.sas.size(), 2u);
    }
    timers.Advance(std::chrono::seconds(120));
  }
}

TEST(ExchangeRobustnessTest, FloodOfMainMode1IsBounded) {
  ManualTimerService timers;
  Node a("10.77.0.1", MakeConfig("10.77.0.1", kCertDir + "/10.77.0.1", kCertDir + "/rootCA.pem", RacoonSuite()),
         timers, 0x1000);
  Node b("10.77.0.2", MakeConfig("10.77.0.2", kCertDir + "/10.77.0.2", kCertDir + "/rootCA.pem", RacoonSuite()),
         timers, 0x2000);
  ASSERT_TRUE(a.service->LoadCredentials().has_value());
  ASSERT_TRUE(b.service->LoadCredentials().has_value());
  a.service->Acquire(AcquireFor(a, b));
  const Datagram first = a.outbox.queue.front();
  // The same message 1 with 600 different initiator cookies.
  for (uint32_t i = 1; i <= 600; ++i) {
    Bytes forged = first.bytes;
    forged[0] = std::byte(i >> 8);
    forged[1] = std::byte(i);
    forged[2] = std::byte{0xee};
    b.service->HandleDatagram(first.remote, first.local, forged);
  }
  EXPECT_EQ(b.service->ListIsakmpSas().size(), 512u);
  EXPECT_EQ(b.service->counters().drops.at("resource limit"), 88u);
  // The half-open SAs expire at the phase 1 time limit, and a real
  // initiator gets through again.
  timers.Advance(std::chrono::seconds(31));
  EXPECT_TRUE(b.service->ListIsakmpSas().empty());
  a.outbox.queue.clear();
  a.service->Acquire(AcquireFor(a, b));
  b.outbox.queue.clear();
  DeliverAll(a, b);
  EXPECT_EQ(b.kernel.sas.size(), 2u);
}

}  // namespace
}  // namespace ipop::ike::test
