// A layer-3 TUN device that carries protected traffic between the kernel and
// the userspace ESP datapath. Packets are read and written without the
// 4-byte packet-information prefix (IFF_NO_PI), so each read returns one bare
// IP packet.
#ifndef IPOP_TUN_TUN_DEVICE_H_
#define IPOP_TUN_TUN_DEVICE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.h"

namespace ipop::tun {

// Linux limits interface names to IFNAMSIZ - 1 = 15 characters.
inline constexpr size_t kMaxInterfaceNameLength = 15;

// Returns an error unless `name` is usable as a Linux interface name.
Result<void> ValidateInterfaceName(std::string_view name);

class TunDevice {
 public:
  // Opens /dev/net/tun and attaches to (or creates) the device `name`. The
  // device is not persistent: it disappears when the descriptor is closed.
  static Result<TunDevice> Open(std::string_view name);

  TunDevice(TunDevice&& other) noexcept;
  TunDevice& operator=(TunDevice&& other) noexcept;
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;
  ~TunDevice();

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }
  int ifindex() const { return ifindex_; }

  // Sets O_NONBLOCK on the descriptor.
  Result<void> SetNonBlocking(bool enabled);

 private:
  TunDevice(int fd, std::string name, int ifindex)
      : fd_(fd), name_(std::move(name)), ifindex_(ifindex) {}

  int fd_ = -1;
  std::string name_;
  int ifindex_ = 0;
};

}  // namespace ipop::tun

#endif  // IPOP_TUN_TUN_DEVICE_H_
