// A PacketIo over in-memory queues, for running the datapath loop in tests
// without a TUN device or a raw socket.
#ifndef IPOP_TESTS_ESP_MEMORY_PACKET_IO_H_
#define IPOP_TESTS_ESP_MEMORY_PACKET_IO_H_

#include <algorithm>
#include <cerrno>
#include <deque>
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
