#!/usr/bin/env bash
# Installs the Debian packages that building, the demo and the tests need.
# Idempotent: packages already present are skipped, and apt is not touched
# when nothing is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  # conntrack flushes the NAT's mappings in the NAT traversal namespace test.
  conntrack
  libssl-dev libsodium-dev libmnl-dev libboost-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  iproute2 iputils-ping nftables tcpdump openssl python3 procps
  # The qemu kernel ESP test (tests/qemu/): the emulator, a static busybox
  # for the guest, and cpio and kmod to build its initramfs.
  qemu-system-x86 busybox-static cpio kmod
  # The interop tests (tests/interop/): strongSwan's charon as an IKEv1
  # peer (its openssl plugin, which has 3DES, is in the standard plugins),
  # and tshark to decrypt captures with the daemon's --keylog output.
  strongswan-charon strongswan-swanctl libcharon-extra-plugins
  libstrongswan-standard-plugins tshark
  # libreswan's pluto for the interop tests. Its package conflicts with
  # strongSwan's, so the tests unpack it themselves (tests/interop/
  # pluto_case.sh); these are the libraries and NSS tools it needs.
  libnss3-tools libldns3 libevent-pthreads-2.1-7 libunbound8 libcurl3-nss
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run this script as root" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
# noninteractive also keeps tshark's wireshark-common from asking whether
# non-root users may capture; the default answer, no, is kept.
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
