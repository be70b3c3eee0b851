// Two in-memory peers run Main Mode and Aggressive Mode with IKE
// fragmentation (`ike_frag`). The RSA certificates of the racoon vectors
// (867 bytes DER each) make the messages that carry them longer than a
// 544-byte fragment datagram. So those messages go out in pieces, and the
// other side reassembles them, also when the pieces arrive reversed.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

#include <sys/stat.h>

#include "ike/payload_fragment.h"
#include "ike/vendor_ids.h"
#include "tests/ike/exchange_harness.h"
#include "tests/ike/two_node_test.h"

namespace ipop::ike::test {
namespace {

using config::IkeFragmentation;
using std::chrono::seconds;

// Reverses the order of the fragment datagrams in `batch`, leaving the
// other datagrams where they are, so that later exchanges keep their order.
void ReverseFragments(std::vector<Datagram>& batch) {
  std::vector<size_t> positions;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (IsFragmentDatagram(batch[i].bytes)) {
      positions.push_back(i);
    }
  }
  for (size_t low = 0, high = positions.size(); low + 1 < high; ++low, --high) {
    std::swap(batch[positions[low]], batch[positions[high - 1]]);
  }
}

class FragmentationExchangeTest : public TwoNodeTest {
 protected:
  void MakeNodes(IkeFragmentation mode_a, IkeFragmentation mode_b,
                 config::ExchangeMode exchange = config::ExchangeMode::kMain) {
    auto config_a = MakeConfig("10.77.0.1", kCertDir + "/10.77.0.1", kCertDir + "/rootCA.pem", RacoonSuite());
    auto config_b = MakeConfig("10.77.0.2", kCertDir + "/10.77.0.2", kCertDir + "/rootCA.pem", RacoonSuite());
    config_a.remotes[0].ike_fragmentation = mode_a;
    config_b.remotes[0].ike_fragmentation = mode_b;
    config_a.remotes[0].exchange_modes = {exchange};
    config_b.remotes[0].exchange_modes = {exchange};
    TwoNodeTest::MakeNodes(std::move(config_a), std::move(config_b));
  }

  // Delivers everything queued, one side's whole batch at a time, with the
  // fragments of each batch reversed when `reverse`, and records every
  // datagram.
  void DeliverBatches(bool reverse) {
    for (int round = 0; round < 50 && (!a_->outbox.queue.empty() || !b_->outbox.queue.empty()); ++round) {
      for (auto [from, to] : {std::pair{a_.get(), b_.get()}, std::pair{b_.get(), a_.get()}}) {
        std::vector<Datagram> batch(from->outbox.queue.begin(), from->outbox.queue.end());
        from->outbox.queue.clear();
        if (reverse) {
          ReverseFragments(batch);
        }
        for (const Datagram& datagram : batch) {
          sent_.push_back(datagram.bytes);
          to->service->HandleDatagram(datagram.remote, datagram.local, datagram.bytes);
        }
      }
    }
  }

  size_t FragmentDatagramsSent() const {
    return static_cast<size_t>(std::ranges::count_if(sent_, [](const Bytes& bytes) { return IsFragmentDatagram(bytes); }));
  }

  std::vector<Bytes> sent_;
};

bool HasFragmentationVendorId(const Bytes& datagram) {
  auto message = ParseMessage(datagram);
  if (!message) {
    return false;
  }
  return std::ranges::any_of(message->FindAll(PayloadType::kVendorId), [](const Payload* payload) {
    return RecognizeVendorId(payload->body) == KnownVendorId::kIkeFragmentation;
  });
}

TEST_F(FragmentationExchangeTest, MainModeCertificatesFragmented) {
  MakeNodes(IkeFragmentation::kOn, IkeFragmentation::kOn);
  a_->service->Acquire(AcquireFor(*a_, *b_));
  // HDR, SA, VID --> announces fragmentation with racoon's capability flags.
  ASSERT_EQ(a_->outbox.queue.size(), 1u);
  EXPECT_TRUE(HasFragmentationVendorId(a_->outbox.queue.front().bytes));
  DeliverOne(*a_, *b_);
  // <-- HDR, SA, VID repeats it, because the initiator sent it.
  ASSERT_EQ(b_->outbox.queue.size(), 1u);
  EXPECT_TRUE(HasFragmentationVendorId(b_->outbox.queue.front().bytes));

  DeliverBatches(/*reverse=*/false);
  EXPECT_TRUE(Established(*a_));
  EXPECT_TRUE(Established(*b_));
  ExpectMatchingEspSas();
  // Messages 5 and 6 each went out in fragments that fit 544 bytes.
  EXPECT_EQ(a_->service->counters().fragmented_messages_sent, 1u);
  EXPECT_EQ(b_->service->counters().fragmented_messages_sent, 1u);
  EXPECT_EQ(a_->service->counters().fragmented_messages_received, 1u);
  EXPECT_EQ(b_->service->counters().fragmented_messages_received, 1u);
  EXPECT_GE(FragmentDatagramsSent(), 4u);
  for (const Bytes& datagram : sent_) {
    if (IsFragmentDatagram(datagram)) {
      EXPECT_LE(datagram.size(), kMaxFragmentDatagramSize);
    }
  }
}

TEST_F(FragmentationExchangeTest, ReversedFragmentsReassembled) {
  MakeNodes(IkeFragmentation::kOn, IkeFragmentation::kOn);
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverBatches(/*reverse=*/true);
  EXPECT_TRUE(Established(*a_));
  EXPECT_TRUE(Established(*b_));
  EXPECT_EQ(b_->service->counters().fragmented_messages_received, 1u);
  ExpectMatchingEspSas();
}

TEST_F(FragmentationExchangeTest, LostFragmentRetransmittedWhole) {
  MakeNodes(IkeFragmentation::kOn, IkeFragmentation::kOn);
  a_->service->Acquire(AcquireFor(*a_, *b_));
  for (int step = 0; step < 4; ++step) {
    DeliverOne(step % 2 == 0 ? *a_ : *b_, step % 2 == 0 ? *b_ : *a_);
  }
  // Message 5 is queued in fragments; the first one is lost.
  ASSERT_GE(a_->outbox.queue.size(), 2u);
  ASSERT_TRUE(IsFragmentDatagram(a_->outbox.queue.front().bytes));
  const size_t fragment_count = a_->outbox.queue.size();
  a_->outbox.queue.pop_front();
  DeliverBatches(/*reverse=*/false);
  EXPECT_FALSE(Established(*b_));
  // The retransmission repeats every fragment. Its fragment 1 completes
  // the message with the pieces held from the first try. The repeated
  // later pieces then start an incomplete copy, which the timeout removes.
  timers_.Advance(seconds(10));
  EXPECT_EQ(a_->outbox.queue.size(), fragment_count);
  DeliverBatches(/*reverse=*/false);
  EXPECT_TRUE(Established(*b_));
  EXPECT_TRUE(Established(*a_));
  // A sent message 5 twice more at 10 s: on its own timer and in reply to
  // B's repeated message 4. The second copy is a retransmitted message.
  EXPECT_EQ(b_->service->counters().fragmented_messages_received, 2u);
  EXPECT_EQ(b_->service->counters().drops.at("retransmitted peer message"), 1u);
}

TEST_F(FragmentationExchangeTest, OnWithoutPeerSupportSendsWhole) {
  MakeNodes(IkeFragmentation::kOn, IkeFragmentation::kOff);
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverOne(*a_, *b_);
  ASSERT_EQ(b_->outbox.queue.size(), 1u);
  EXPECT_FALSE(HasFragmentationVendorId(b_->outbox.queue.front().bytes));
  DeliverBatches(/*reverse=*/false);
  EXPECT_TRUE(Established(*a_));
  EXPECT_TRUE(Established(*b_));
  EXPECT_EQ(FragmentDatagramsSent(), 0u);
}

TEST_F(FragmentationExchangeTest, FragmentsRejectedWhenOff) {
  LogCapture log;
  MakeNodes(IkeFragmentation::kForce, IkeFragmentation::kOff);
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverBatches(/*reverse=*/false);
  // force fragments message 5 although B never sent the vendor ID, and B,
  // with ike_frag off, drops every piece.
  EXPECT_GE(FragmentDatagramsSent(), 2u);
  EXPECT_EQ(b_->service->counters().drops.at("fragmentation off"), FragmentDatagramsSent());
  EXPECT_FALSE(Established(*b_));
  EXPECT_TRUE(log.Contains("fragmentation off: IKE fragment from a peer whose remote section has no ike_frag"));
}

TEST_F(FragmentationExchangeTest, ForceFragmentsForSilentPeer) {
  // B accepts fragments (on) but, as responder, announces the vendor ID
  // only to a peer that sent it. A (force) fragments anyway.
  MakeNodes(IkeFragmentation::kForce, IkeFragmentation::kOn);
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverBatches(/*reverse=*/true);
  EXPECT_TRUE(Established(*a_));
  EXPECT_TRUE(Established(*b_));
  EXPECT_EQ(a_->service->counters().fragmented_messages_sent, 1u);
  ExpectMatchingEspSas();
}

TEST_F(FragmentationExchangeTest, AggressiveModeMessage2Fragmented) {
  MakeNodes(IkeFragmentation::kOn, IkeFragmentation::kOn, config::ExchangeMode::kAggressive);
  a_->service->Acquire(AcquireFor(*a_, *b_));
  DeliverOne(*a_, *b_);
  // <-- HDR, SA, KE, Nr, IDir, CERT, SIG_R, ... in fragments.
  ASSERT_GE(b_->outbox.queue.size(), 2u);
  EXPECT_TRUE(IsFragmentDatagram(b_->outbox.queue.front().bytes));
  DeliverBatches(/*reverse=*/true);
  EXPECT_TRUE(Established(*a_));
  EXPECT_TRUE(Established(*b_));
  EXPECT_EQ(a_->service->counters().fragmented_messages_received, 1u);
  EXPECT_EQ(b_->service->counters().fragmented_messages_received, 1u);
  ExpectMatchingEspSas();
}

TEST_F(FragmentationExchangeTest, Modp4096KeyExchangeFragmented) {
  // Aggressive Mode message 1 carries the 512-byte MODP-4096 KE before the
  // initiator knows whether the peer fragments; with force it goes out in
  // pieces anyway. A pre-shared key keeps certificates out of the sizes.
  const std::string psk_file = ::testing::TempDir() + "/ipop_fragment_modp4096_psk.txt";
  FILE* file = std::fopen(psk_file.c_str(), "w");
  ASSERT_NE(file, nullptr);
  std::fputs("10.77.0.1 modp4096 key\n10.77.0.2 modp4096 key\n", file);
  std::fclose(file);
  chmod(psk_file.c_str(), 0600);
  Suite suite = RacoonSuite();
  suite.phase1.dh_group = crypto::DhGroup::kModp4096;
  suite.phase1.auth_method = config::AuthMethod::kPreSharedKey;
  std::vector<config::RuntimeConfig> configs;
  for (const char* address : {"10.77.0.1", "10.77.0.2"}) {
    config::RuntimeConfig config =
        MakeConfig(address, kCertDir + "/" + address, kCertDir + "/rootCA.pem", suite);
    config.pre_shared_key_file = psk_file;
    config.remotes[0].my_identifier.type = config::IdentifierType::kAddress;
    config.remotes[0].exchange_modes = {config::ExchangeMode::kAggressive};
    config.remotes[0].ike_fragmentation = IkeFragmentation::kForce;
    configs.push_back(std::move(config));
  }
  TwoNodeTest::MakeNodes(configs[0], configs[1]);
  a_->service->Acquire(AcquireFor(*a_, *b_));
  ASSERT_GE(a_->outbox.queue.size(), 2u);
  for (const Datagram& datagram : a_->outbox.queue) {
    EXPECT_TRUE(IsFragmentDatagram(datagram.bytes));
    EXPECT_LE(datagram.bytes.size(), kMaxFragmentDatagramSize);
  }
  DeliverBatches(/*reverse=*/true);
  EXPECT_TRUE(Established(*a_));
  EXPECT_TRUE(Established(*b_));
  EXPECT_GE(b_->service->counters().fragmented_messages_received, 1u);
  EXPECT_EQ(a_->service->ListIsakmpSas()[0].dh_group, crypto::DhGroup::kModp4096);
  ExpectMatchingEspSas();
}

}  // namespace
}  // namespace ipop::ike::test
