// A PacketIo over in-memory queues, for running the datapath loop in tests
// without a TUN device or a raw socket.
#ifndef IPOP_TESTS_ESP_MEMORY_PACKET_IO_H_
#define IPOP_TESTS_ESP_MEMORY_PACKET_IO_H_

#include <algorithm>
#include <cerrno>
#include <deque>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "esp/datapath.h"

namespace ipop::esp::test {

class MemoryPacketIo : public PacketIo {
 public:
  int tun_fd() const override { return -1; }
  int esp_fd() const override { return -1; }

  std::expected<size_t, int> ReadTun(MutableByteView buffer) override {
    return Pop(tun_input, buffer);
  }
  std::expected<size_t, int> ReceiveEsp(MutableByteView buffer) override {
    return Pop(esp_input, buffer);
  }
  std::expected<void, int> WriteTun(ByteView packet) override {
    tun_output.emplace_back(packet.begin(), packet.end());
    return {};
  }
  std::expected<void, int> SendEsp(ByteView packet) override {
    if (fail_sends) {
      return std::unexpected(ENOBUFS);
    }
    esp_output.emplace_back(packet.begin(), packet.end());
    return {};
  }

  std::span<const int> natt_fds() const override {
    // A negative descriptor, which poll ignores, makes the worker read the
    // NAT-T queue without a real socket.
    static constexpr int kNoSocket[] = {-1};
    return natt_enabled ? std::span<const int>(kNoSocket) : std::span<const int>();
  }
  std::expected<size_t, int> ReceiveNatt(MutableByteView buffer,
                                         UdpAddressing& addressing) override {
    if (natt_input.empty()) {
      return 0;
    }
    addressing = natt_input.front().addressing;
    Bytes datagram = std::move(natt_input.front().datagram);
    natt_input.pop_front();
    if (datagram.size() > buffer.size()) {
      return std::unexpected(EMSGSIZE);
    }
    std::copy(datagram.begin(), datagram.end(), buffer.begin());
    return datagram.size();
  }
  std::expected<void, int> SendNatt(ByteView datagram, const UdpAddressing& addressing) override {
    natt_output.push_back({addressing, Bytes(datagram.begin(), datagram.end())});
    return {};
  }

  struct Datagram {
    UdpAddressing addressing;
    Bytes datagram;
  };

  bool natt_enabled = false;     // natt_fds() is non-empty
  std::deque<Datagram> natt_input;   // datagrams the NAT-T socket will return
  std::vector<Datagram> natt_output;
  std::deque<Bytes> tun_input;   // packets the TUN device will return
  std::deque<Bytes> esp_input;   // packets the ESP socket will return
  std::vector<Bytes> tun_output;
  std::vector<Bytes> esp_output;
  bool fail_sends = false;

 private:
  static std::expected<size_t, int> Pop(std::deque<Bytes>& queue, MutableByteView buffer) {
    if (queue.empty()) {
      return 0;
    }
    const Bytes packet = std::move(queue.front());
    queue.pop_front();
    if (packet.size() > buffer.size()) {
      return std::unexpected(EMSGSIZE);
    }
    std::copy(packet.begin(), packet.end(), buffer.begin());
    return packet.size();
  }
};

}  // namespace ipop::esp::test

#endif  // IPOP_TESTS_ESP_MEMORY_PACKET_IO_H_
