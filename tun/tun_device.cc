#include "tun/tun_device.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace ipop::tun {

namespace {

constexpr const char* kCloneDevice = "/dev/net/tun";

std::string SystemError(std::string_view what, std::string_view subject) {
  std::string detail(what);
  detail += " ";
  detail += subject;
  detail += ": ";
  detail += std::strerror(errno);
  return detail;
}

}  // namespace

Result<void> ValidateInterfaceName(std::string_view name) {
  if (name.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "interface name is empty");
  }
  if (name.size() > kMaxInterfaceNameLength) {
    return Fail(ErrorCode::kInvalidArgument,
                "interface name \"" + std::string(name) + "\" is longer than " +
                    std::to_string(kMaxInterfaceNameLength) + " characters");
  }
  for (char c : name) {
    // The kernel rejects '/', ':' and white space in interface names, and
    // '%' would ask it for a numbered name such as tun0.
    if (c == '/' || c == ':' || c == '%' || c <= ' ' || c == 0x7f) {
      return Fail(ErrorCode::kInvalidArgument,
                  "interface name \"" + std::string(name) + "\" contains an invalid character");
    }
  }
  if (name == "." || name == "..") {
    return Fail(ErrorCode::kInvalidArgument, "interface name \"" + std::string(name) + "\" is invalid");
  }
  return {};
}

Result<TunDevice> TunDevice::Open(std::string_view name) {
  if (auto valid = ValidateInterfaceName(name); !valid) {
    return std::unexpected(valid.error());
  }

  const int fd = open(kCloneDevice, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return Fail(ErrorCode::kSystem, SystemError("cannot open", kCloneDevice));
  }

  ifreq request{};
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::memcpy(request.ifr_name, name.data(), name.size());
  if (ioctl(fd, TUNSETIFF, &request) < 0) {
    const std::string detail = SystemError("TUNSETIFF failed for", name);
    close(fd);
    return Fail(ErrorCode::kSystem, detail);
  }

  const std::string actual_name(request.ifr_name);
  const unsigned ifindex = if_nametoindex(actual_name.c_str());
  if (ifindex == 0) {
    const std::string detail = SystemError("cannot find interface index of", actual_name);
    close(fd);
    return Fail(ErrorCode::kSystem, detail);
  }
  return TunDevice(fd, actual_name, static_cast<int>(ifindex));
}

TunDevice::TunDevice(TunDevice&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      name_(std::move(other.name_)),
      ifindex_(std::exchange(other.ifindex_, 0)) {}

TunDevice& TunDevice::operator=(TunDevice&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
    name_ = std::move(other.name_);
    ifindex_ = std::exchange(other.ifindex_, 0);
  }
  return *this;
}

TunDevice::~TunDevice() {
  if (fd_ >= 0) {
    close(fd_);
  }
}

Result<void> TunDevice::SetNonBlocking(bool enabled) {
  const int flags = fcntl(fd_, F_GETFL);
  if (flags < 0) {
    return Fail(ErrorCode::kSystem, SystemError("F_GETFL failed on", name_));
  }
  const int wanted = enabled ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (fcntl(fd_, F_SETFL, wanted) < 0) {
    return Fail(ErrorCode::kSystem, SystemError("F_SETFL failed on", name_));
  }
  return {};
}

}  // namespace ipop::tun
