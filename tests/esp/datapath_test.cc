#include "esp/datapath.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "esp/datapath_worker.h"
#include "esp/userspace_backend.h"
#include "tests/esp/esp_test_util.h"
#include "tests/esp/memory_packet_io.h"

namespace ipop::esp {
namespace {

using std::chrono::milliseconds;
using test::Address;
using test::BuildIpv4Packet;
using test::kAlgorithms;
using test::MakeSaConfig;

constexpr uint32_t kSpiAToB = 0x0a0b0001;

Policy MakePolicy(PolicyDirection direction, PolicyAction action = PolicyAction::kIpsec,
                  const char* prefix = "192.168.1.0", uint8_t length = 24) {
  Policy policy;
  policy.selector.source = {Address(prefix), length};
  policy.selector.destination = {Address(prefix), length};
  policy.direction = direction;
  policy.action = action;
  return policy;
}

// Two nodes, A (192.168.1.100) and B (192.168.1.101), each with a backend,
// the operators' policy pair and a datapath on in-memory I/O. The test
// carries ESP from A's output to B's input by hand. Time moves only when a
// test sets `now`.
class DatapathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    out_policy_a_ = *backend_a_.AddPolicy(MakePolicy(PolicyDirection::kOut));
    ASSERT_TRUE(backend_a_.AddPolicy(MakePolicy(PolicyDirection::kIn)).has_value());
    ASSERT_TRUE(backend_b_.AddPolicy(MakePolicy(PolicyDirection::kOut)).has_value());
    in_policy_b_ = *backend_b_.AddPolicy(MakePolicy(PolicyDirection::kIn));
    backend_a_.set_acquire_handler(
        [this](const AcquireRequest& request) { acquires_.push_back(request); });

    DatapathOptions options;
    options.now = [this] { return now_; };
    datapath_a_ = std::make_unique<Datapath>(backend_a_, std::vector<PacketIo*>{&io_a_}, options);
    datapath_b_ = std::make_unique<Datapath>(backend_b_, std::vector<PacketIo*>{&io_b_}, options);
  }

  // Installs the SA A -> B on both sides.
  void InstallSa() {
    auto out = backend_a_.AddSa(
        MakeSaConfig(kAlgorithms[6], kSpiAToB, "192.168.1.100", "192.168.1.101", false));
    ASSERT_TRUE(out.has_value()) << ToString(out.error());
    auto in = backend_b_.AddSa(
        MakeSaConfig(kAlgorithms[6], kSpiAToB, "192.168.1.100", "192.168.1.101", true));
    ASSERT_TRUE(in.has_value()) << ToString(in.error());
  }

  Bytes Ping(size_t payload = 64) {
    return BuildIpv4Packet("192.168.1.100", "192.168.1.101", kIpProtocolIcmp, payload);
  }

  // Moves everything A sent into B's input and runs B.
  void CarryAToB() {
    for (Bytes& packet : io_a_.esp_output) {
      io_b_.esp_input.push_back(std::move(packet));
    }
    io_a_.esp_output.clear();
    datapath_b_->worker(0).ProcessReady();
  }

  TimePoint now_ = TimePoint{} + std::chrono::hours(1);
  UserspaceBackend backend_a_;
  UserspaceBackend backend_b_;
  test::MemoryPacketIo io_a_;
  test::MemoryPacketIo io_b_;
  std::unique_ptr<Datapath> datapath_a_;
  std::unique_ptr<Datapath> datapath_b_;
  Policy out_policy_a_;
  Policy in_policy_b_;
  std::vector<AcquireRequest> acquires_;
};

TEST_F(DatapathTest, ProtectedPacketReachesPeer) {
  InstallSa();
  const Bytes ping = Ping();
  io_a_.tun_input.push_back(ping);

  datapath_a_->worker(0).ProcessReady();
  ASSERT_EQ(io_a_.esp_output.size(), 1u);
  EXPECT_EQ(ParseIpv4Header(io_a_.esp_output[0])->protocol, kIpProtocolEsp);
  CarryAToB();

  ASSERT_EQ(io_b_.tun_output.size(), 1u);
  EXPECT_EQ(io_b_.tun_output[0], ping);
  EXPECT_EQ(datapath_a_->Statistics().esp_packets_sent, 1u);
  EXPECT_EQ(datapath_b_->Statistics().tun_packets_written, 1u);
  EXPECT_TRUE(acquires_.empty());
}

TEST_F(DatapathTest, SoftByteLimitReportedOnce) {
  std::vector<SaExpire> expires_a;
  std::vector<SaExpire> expires_b;
  backend_a_.set_expire_handler([&](const SaExpire& expire) { expires_a.push_back(expire); });
  backend_b_.set_expire_handler([&](const SaExpire& expire) { expires_b.push_back(expire); });
  for (bool inbound : {false, true}) {
    EspSaConfig config = MakeSaConfig(kAlgorithms[6], kSpiAToB, "192.168.1.100", "192.168.1.101", inbound);
    config.lifetime.soft_bytes = 100;
    auto added = (inbound ? backend_b_ : backend_a_).AddSa(std::move(config));
    ASSERT_TRUE(added.has_value()) << ToString(added.error());
  }

  // Each ping carries 64 payload bytes: the second one crosses 100.
  io_a_.tun_input.push_back(Ping());
  datapath_a_->worker(0).ProcessReady();
  CarryAToB();
  EXPECT_TRUE(expires_a.empty());
  EXPECT_TRUE(expires_b.empty());
  for (int i = 0; i < 3; ++i) {
    io_a_.tun_input.push_back(Ping());
  }
  datapath_a_->worker(0).ProcessReady();
  CarryAToB();

  ASSERT_EQ(expires_a.size(), 1u);
  EXPECT_EQ(expires_a[0].spi, kSpiAToB);
  EXPECT_EQ(expires_a[0].destination, Address("192.168.1.101"));
  EXPECT_FALSE(expires_a[0].hard);
  ASSERT_EQ(expires_b.size(), 1u);
  EXPECT_EQ(expires_b[0].spi, kSpiAToB);
  EXPECT_FALSE(expires_b[0].hard);
  // The SA still carries traffic after the soft limit.
  EXPECT_EQ(io_b_.tun_output.size(), 4u);
}

TEST_F(DatapathTest, MissingSaAcquiresOnceAndHolds) {
  for (int i = 0; i < 6; ++i) {
    io_a_.tun_input.push_back(Ping(10 + i));
  }

  datapath_a_->worker(0).ProcessReady();

  ASSERT_EQ(acquires_.size(), 1u);
  EXPECT_EQ(acquires_[0].policy_id, out_policy_a_.id);
  EXPECT_EQ(acquires_[0].source, Address("192.168.1.100"));
  EXPECT_EQ(acquires_[0].destination, Address("192.168.1.101"));
  EXPECT_EQ(acquires_[0].protocol, kIpProtocolIcmp);
  EXPECT_TRUE(io_a_.esp_output.empty());
  EXPECT_EQ(datapath_a_->worker(0).held_packet_count(), 4u);
  const DatapathStatistics statistics = datapath_a_->Statistics();
  EXPECT_EQ(statistics.packets_held, 4u);
  EXPECT_EQ(statistics.dropped(DropReason::kHoldOverflow), 2u);
  EXPECT_EQ(statistics.acquires_requested, 1u);
}

TEST_F(DatapathTest, HeldPacketsSentAfterAddSa) {
  std::vector<Bytes> sent;
  for (int i = 0; i < 3; ++i) {
    sent.push_back(Ping(20 + i));
    io_a_.tun_input.push_back(sent.back());
  }
  datapath_a_->worker(0).ProcessReady();
  ASSERT_EQ(datapath_a_->worker(0).held_packet_count(), 3u);

  InstallSa();
  now_ += milliseconds(200);
  datapath_a_->worker(0).ProcessReady();

  EXPECT_EQ(datapath_a_->worker(0).held_packet_count(), 0u);
  ASSERT_EQ(io_a_.esp_output.size(), 3u);
  EXPECT_EQ(datapath_a_->Statistics().held_packets_sent, 3u);
  CarryAToB();
  ASSERT_EQ(io_b_.tun_output.size(), 3u);
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(io_b_.tun_output[i], sent[i]) << "packet " << i << " out of order or changed";
  }
}

TEST_F(DatapathTest, AcquireRateLimitedPerSecond) {
  io_a_.tun_input.push_back(Ping());
  datapath_a_->worker(0).ProcessReady();
  now_ += milliseconds(500);
  io_a_.tun_input.push_back(Ping());
  datapath_a_->worker(0).ProcessReady();
  EXPECT_EQ(acquires_.size(), 1u);

  now_ += milliseconds(600);
  io_a_.tun_input.push_back(Ping());
  datapath_a_->worker(0).ProcessReady();

  EXPECT_EQ(acquires_.size(), 2u);
}

TEST_F(DatapathTest, AcquirePerDestination) {
  io_a_.tun_input.push_back(Ping());
  io_a_.tun_input.push_back(
      BuildIpv4Packet("192.168.1.100", "192.168.1.102", kIpProtocolIcmp, 30));

  datapath_a_->worker(0).ProcessReady();

  ASSERT_EQ(acquires_.size(), 2u);
  EXPECT_EQ(acquires_[1].destination, Address("192.168.1.102"));
}

TEST_F(DatapathTest, HeldPacketsExpire) {
  io_a_.tun_input.push_back(Ping());
  io_a_.tun_input.push_back(Ping());
  datapath_a_->worker(0).ProcessReady();

  now_ += milliseconds(4900);
  datapath_a_->worker(0).ProcessReady();
  EXPECT_EQ(datapath_a_->worker(0).held_packet_count(), 2u);
  now_ += milliseconds(200);
  datapath_a_->worker(0).ProcessReady();

  EXPECT_EQ(datapath_a_->worker(0).held_packet_count(), 0u);
  EXPECT_EQ(datapath_a_->Statistics().dropped(DropReason::kHoldTimeout), 2u);
  InstallSa();
  datapath_a_->worker(0).ProcessReady();
  EXPECT_TRUE(io_a_.esp_output.empty());
}

TEST_F(DatapathTest, InboundAfterDeleteSaDropped) {
  InstallSa();
  io_a_.tun_input.push_back(Ping());
  io_a_.tun_input.push_back(Ping());
  datapath_a_->worker(0).ProcessReady();
  ASSERT_EQ(io_a_.esp_output.size(), 2u);
  io_b_.esp_input.push_back(io_a_.esp_output[0]);
  datapath_b_->worker(0).ProcessReady();
  ASSERT_EQ(io_b_.tun_output.size(), 1u);

  ASSERT_TRUE(backend_b_.DeleteSa(kSpiAToB, Address("192.168.1.101")).has_value());
  io_b_.esp_input.push_back(io_a_.esp_output[1]);
  datapath_b_->worker(0).ProcessReady();

  EXPECT_EQ(io_b_.tun_output.size(), 1u);
  EXPECT_EQ(datapath_b_->Statistics().dropped(DropReason::kUnknownSpi), 1u);
}

TEST_F(DatapathTest, WrongSpiDropped) {
  InstallSa();
  io_a_.tun_input.push_back(Ping());
  datapath_a_->worker(0).ProcessReady();
  ASSERT_EQ(io_a_.esp_output.size(), 1u);
  Bytes packet = io_a_.esp_output[0];
  StoreU32(MutableByteView(packet).subspan(kIpv4MinHeaderLength, 4), kSpiAToB + 1);
  io_b_.esp_input.push_back(packet);

  datapath_b_->worker(0).ProcessReady();

  EXPECT_TRUE(io_b_.tun_output.empty());
  EXPECT_EQ(datapath_b_->Statistics().dropped(DropReason::kUnknownSpi), 1u);
}

TEST_F(DatapathTest, TamperedPacketCountedAsIntegrity) {
  InstallSa();
  io_a_.tun_input.push_back(Ping());
  datapath_a_->worker(0).ProcessReady();
  ASSERT_EQ(io_a_.esp_output.size(), 1u);
  Bytes packet = io_a_.esp_output[0];
  packet[packet.size() - 20] ^= std::byte{0x80};
  io_b_.esp_input.push_back(packet);

  datapath_b_->worker(0).ProcessReady();

  EXPECT_TRUE(io_b_.tun_output.empty());
  EXPECT_EQ(datapath_b_->Statistics().dropped(DropReason::kIntegrity), 1u);
  EXPECT_EQ(backend_b_.ListSas()[0].integrity_drops, 1u);
}

TEST_F(DatapathTest, ReplayedPacketCounted) {
  InstallSa();
  io_a_.tun_input.push_back(Ping());
  datapath_a_->worker(0).ProcessReady();
  ASSERT_EQ(io_a_.esp_output.size(), 1u);
  io_b_.esp_input.push_back(io_a_.esp_output[0]);
  io_b_.esp_input.push_back(io_a_.esp_output[0]);

  datapath_b_->worker(0).ProcessReady();

  EXPECT_EQ(io_b_.tun_output.size(), 1u);
  EXPECT_EQ(datapath_b_->Statistics().dropped(DropReason::kReplay), 1u);
  EXPECT_EQ(backend_b_.ListSas()[0].replay_drops, 1u);
}

TEST_F(DatapathTest, InnerPacketOutsideInPolicyDropped) {
  // B's `in` policy covers 192.168.1.0/24; A sends, under the same SA, a
  // packet whose inner addresses fall outside it.
  ASSERT_TRUE(backend_a_.AddPolicy(MakePolicy(PolicyDirection::kOut, PolicyAction::kIpsec,
                                              "192.168.0.0", 16))
                  .has_value());
  auto out = backend_a_.AddSa(
      MakeSaConfig(kAlgorithms[6], kSpiAToB, "192.168.1.100", "192.168.9.9", false));
  ASSERT_TRUE(out.has_value());
  auto in = backend_b_.AddSa(
      MakeSaConfig(kAlgorithms[6], kSpiAToB, "192.168.1.100", "192.168.9.9", true));
  ASSERT_TRUE(in.has_value());
  io_a_.tun_input.push_back(
      BuildIpv4Packet("192.168.1.100", "192.168.9.9", kIpProtocolIcmp, 40));
  datapath_a_->worker(0).ProcessReady();
  ASSERT_EQ(io_a_.esp_output.size(), 1u);

  CarryAToB();

  EXPECT_TRUE(io_b_.tun_output.empty());
  EXPECT_EQ(datapath_b_->Statistics().dropped(DropReason::kInboundPolicy), 1u);
}

TEST_F(DatapathTest, SaServingOtherPolicyDropped) {
  EspSaConfig out_config =
      MakeSaConfig(kAlgorithms[6], kSpiAToB, "192.168.1.100", "192.168.1.101", false);
  ASSERT_TRUE(backend_a_.AddSa(std::move(out_config)).has_value());
  EspSaConfig in_config =
      MakeSaConfig(kAlgorithms[6], kSpiAToB, "192.168.1.100", "192.168.1.101", true);
  in_config.policy_id = in_policy_b_.id + 100;
  ASSERT_TRUE(backend_b_.AddSa(std::move(in_config)).has_value());
  io_a_.tun_input.push_back(Ping());
  datapath_a_->worker(0).ProcessReady();

  CarryAToB();

  EXPECT_TRUE(io_b_.tun_output.empty());
  EXPECT_EQ(datapath_b_->Statistics().dropped(DropReason::kInboundPolicy), 1u);
}

TEST_F(DatapathTest, OutboundPolicyActionsCounted) {
  ASSERT_TRUE(backend_a_.AddPolicy(MakePolicy(PolicyDirection::kOut, PolicyAction::kBypass,
                                              "10.1.0.0", 16))
                  .has_value());
  ASSERT_TRUE(backend_a_.AddPolicy(MakePolicy(PolicyDirection::kOut, PolicyAction::kDiscard,
                                              "10.2.0.0", 16))
                  .has_value());
  io_a_.tun_input.push_back(BuildIpv4Packet("10.1.0.1", "10.1.0.2", kIpProtocolUdp, 30));
  io_a_.tun_input.push_back(BuildIpv4Packet("10.2.0.1", "10.2.0.2", kIpProtocolUdp, 30));
  io_a_.tun_input.push_back(BuildIpv4Packet("10.3.0.1", "10.3.0.2", kIpProtocolUdp, 30));
  Bytes ipv6(48, std::byte{0});
  ipv6[0] = std::byte{0x60};
  io_a_.tun_input.push_back(ipv6);

  datapath_a_->worker(0).ProcessReady();

  const DatapathStatistics statistics = datapath_a_->Statistics();
  EXPECT_EQ(statistics.tun_packets_read, 4u);
  EXPECT_EQ(statistics.dropped(DropReason::kBypassPolicy), 1u);
  EXPECT_EQ(statistics.dropped(DropReason::kDiscardPolicy), 1u);
  EXPECT_EQ(statistics.dropped(DropReason::kNoPolicy), 1u);
  EXPECT_EQ(statistics.dropped(DropReason::kNotIpv4), 1u);
  EXPECT_TRUE(io_a_.esp_output.empty());
  EXPECT_TRUE(acquires_.empty());
}

TEST_F(DatapathTest, SendFailureCounted) {
  InstallSa();
  io_a_.fail_sends = true;
  io_a_.tun_input.push_back(Ping());

  datapath_a_->worker(0).ProcessReady();

  EXPECT_EQ(datapath_a_->Statistics().dropped(DropReason::kSendFailed), 1u);
  EXPECT_EQ(datapath_a_->Statistics().esp_packets_sent, 0u);
}

TEST_F(DatapathTest, StartsAndStopsThreads) {
  ASSERT_TRUE(datapath_a_->Start().has_value());
  EXPECT_FALSE(datapath_a_->Start().has_value());
  InstallSa();  // wakes the worker through the snapshot listener
  datapath_a_->Stop();
  datapath_a_->Stop();

  ASSERT_TRUE(datapath_a_->Start().has_value());
  datapath_a_->Stop();
}

// A PacketIo over two SOCK_SEQPACKET socket pairs standing in for the TUN
// device and the raw socket, so that the threaded poll loop runs for real.
class SocketPairPacketIo : public PacketIo {
 public:
  SocketPairPacketIo() {
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, tun_), 0);
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, esp_), 0);
  }
  ~SocketPairPacketIo() override {
    for (int fd : {tun_[0], tun_[1], esp_[0], esp_[1]}) {
      close(fd);
    }
  }

  int tun_fd() const override { return tun_[0]; }
  int esp_fd() const override { return esp_[0]; }
  std::expected<size_t, int> ReadTun(MutableByteView buffer) override {
    return Read(tun_[0], buffer);
  }
  std::expected<size_t, int> ReceiveEsp(MutableByteView buffer) override {
    return Read(esp_[0], buffer);
  }
  std::expected<void, int> WriteTun(ByteView packet) override { return Write(tun_[0], packet); }
  std::expected<void, int> SendEsp(ByteView packet) override { return Write(esp_[0], packet); }

  // The test's ends of the pairs.
  int tun_peer() const { return tun_[1]; }
  int esp_peer() const { return esp_[1]; }

 private:
  static std::expected<size_t, int> Read(int fd, MutableByteView buffer) {
    const ssize_t length = recv(fd, buffer.data(), buffer.size(), 0);
    if (length < 0) {
      if (errno == EAGAIN) {
        return 0;
      }
      return std::unexpected(errno);
    }
    return static_cast<size_t>(length);
  }
  static std::expected<void, int> Write(int fd, ByteView packet) {
    if (send(fd, packet.data(), packet.size(), 0) < 0) {
      return std::unexpected(errno);
    }
    return {};
  }

  int tun_[2] = {-1, -1};
  int esp_[2] = {-1, -1};
};

// Waits up to two seconds for a packet on `fd`.
std::optional<Bytes> ReceiveWithTimeout(int fd) {
  pollfd entry{fd, POLLIN, 0};
  if (poll(&entry, 1, 2000) != 1) {
    return std::nullopt;
  }
  Bytes packet(kIpv4MaxPacketLength);
  const ssize_t length = recv(fd, packet.data(), packet.size(), 0);
  if (length <= 0) {
    return std::nullopt;
  }
  packet.resize(static_cast<size_t>(length));
  return packet;
}

TEST(DatapathThreads, HeldPacketSentWhenSaAppears) {
  UserspaceBackend backend_a;
  UserspaceBackend backend_b;
  for (UserspaceBackend* backend : {&backend_a, &backend_b}) {
    ASSERT_TRUE(backend->AddPolicy(MakePolicy(PolicyDirection::kOut)).has_value());
    ASSERT_TRUE(backend->AddPolicy(MakePolicy(PolicyDirection::kIn)).has_value());
  }
  std::atomic<int> acquires{0};
  backend_a.set_acquire_handler([&acquires](const AcquireRequest&) { ++acquires; });
  SocketPairPacketIo io_a;
  SocketPairPacketIo io_b;
  Datapath datapath_a(backend_a, {&io_a});
  Datapath datapath_b(backend_b, {&io_b});
  ASSERT_TRUE(datapath_a.Start().has_value());
  ASSERT_TRUE(datapath_b.Start().has_value());

  // No SA yet: the packet is held and an acquire goes out.
  const Bytes ping = BuildIpv4Packet("192.168.1.100", "192.168.1.101", kIpProtocolIcmp, 56);
  ASSERT_EQ(send(io_a.tun_peer(), ping.data(), ping.size(), 0),
            static_cast<ssize_t>(ping.size()));
  for (int i = 0; i < 200 && acquires.load() == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(acquires.load(), 1);

  // The SA appears: the worker wakes and sends the held packet.
  ASSERT_TRUE(backend_a
                  .AddSa(MakeSaConfig(kAlgorithms[0], kSpiAToB, "192.168.1.100",
                                      "192.168.1.101", false))
                  .has_value());
  ASSERT_TRUE(backend_b
                  .AddSa(MakeSaConfig(kAlgorithms[0], kSpiAToB, "192.168.1.100",
                                      "192.168.1.101", true))
                  .has_value());
  std::optional<Bytes> esp = ReceiveWithTimeout(io_a.esp_peer());
  ASSERT_TRUE(esp.has_value());
  EXPECT_EQ(ParseIpv4Header(*esp)->protocol, kIpProtocolEsp);

  // B decapsulates it and writes the original packet to its TUN side.
  ASSERT_EQ(send(io_b.esp_peer(), esp->data(), esp->size(), 0),
            static_cast<ssize_t>(esp->size()));
  std::optional<Bytes> delivered = ReceiveWithTimeout(io_b.tun_peer());
  ASSERT_TRUE(delivered.has_value());
  EXPECT_EQ(*delivered, ping);

  datapath_a.Stop();
  datapath_b.Stop();
  EXPECT_EQ(datapath_a.Statistics().held_packets_sent, 1u);
  EXPECT_EQ(datapath_b.Statistics().tun_packets_written, 1u);
}

TEST(DropReasonNames, AllNamed) {
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    EXPECT_STRNE(DropReasonName(static_cast<DropReason>(i)), "unknown") << "reason " << i;
  }
}

}  // namespace
}  // namespace ipop::esp
