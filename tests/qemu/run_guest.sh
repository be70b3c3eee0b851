#!/usr/bin/env bash
# Runs the kernel ESP tests in a qemu guest that boots Debian's own cloud
# kernel, because the kernel running the build may have no ESP at all.
#
# Steps: fetch linux-image-cloud-amd64's kernel package with apt-get download
# (cached, so later runs work offline), extract it with dpkg -x, build an
# initramfs (cpio newc, gzip) holding busybox-static, the ESP, XFRM, veth and
# crypto modules with the dependencies modprobe lists for them, iproute2's ip,
# tcpdump, ipop-espd, ipop-esp, their shared libraries, certificates made with
# the openssl CLI and the guest scripts. Then boot qemu-system-x86_64 with TCG
# and read the verdict line that guest_init.sh prints on the serial console.
#
# Usage: run_guest.sh BIN_DIR [options]
#   BIN_DIR               directory holding ipop-espd and ipop-esp
#   --cache DIR           kernel package cache (default BIN_DIR/../qemu-cache)
#   --timeout SECONDS     limit for the whole guest run (default 600)
#   --keep                keep the work directory (initramfs, console log)
#   --cases NAME,...      run only these guest cases (names as printed in
#                         the IPQEMU-CASE lines)
# Exits 0 when every guest case passes, 1 when one fails or the guest does
# not finish in time, and 77 (skipped) when a tool is missing or qemu cannot
# start here.
set -euo pipefail

readonly skip=77
here="$(cd "$(dirname "$0")" && pwd)"
bin_dir="${1:?usage: run_guest.sh BIN_DIR [--cache DIR] [--timeout SECONDS] [--keep]}"
shift
bin_dir="$(cd "$bin_dir" && pwd)"
cache="$(dirname "$bin_dir")/qemu-cache"
timeout_seconds=600
keep=0
cases=""

while [ $# -gt 0 ]; do
  case "$1" in
    --cache) cache="$2"; shift ;;
    --timeout) timeout_seconds="$2"; shift ;;
    --keep) keep=1 ;;
    --cases) cases="$2"; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_guest: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# The metapackage that always depends on the current cloud kernel. The cloud
# flavour builds ESP, XFRM and veth as modules and boots fast under qemu.
readonly kernel_metapackage="linux-image-cloud-amd64"

# Modules the guest loads at boot, in this order; modprobe --show-depends
# adds what each one needs. The crypto modules provide the algorithms the
# tests use: cbc(des3_ede), hmac(sha1) and hmac(sha256) (sha1, sha256, hmac
# and cbc are built in), hmac(sha512) (sha512_generic, a module in this
# kernel), and rfc4106(gcm(aes)). The IV generators seqiv and
# echainiv need the default RNG, which is drbg seeded by jitterentropy_rng;
# without them adding an SA fails with "unable to initialize cryptographic
# operations". jitterentropy_rng in this kernel requests sha3-256 from the
# crypto API, so sha3_generic must be loaded first although modinfo lists no
# dependency.
readonly guest_modules=(
  veth tun bridge
  xfrm_user af_key esp4
  authenc des_generic des3_ede_x86_64 sha512_generic
  gcm ghash_generic ctr seqiv echainiv
  sha3_generic jitterentropy_rng drbg
)

step() { printf '== %s\n' "$*"; }
fail() { echo "run_guest: FAILED: $*" >&2; exit 1; }
skip_test() { echo "SKIP: $*"; exit "$skip"; }

for tool in qemu-system-x86_64 cpio gzip depmod modprobe openssl ldd dpkg apt-get; do
  command -v "$tool" >/dev/null || skip_test "$tool is not installed (run tools/install-deps.sh)"
done
[ -x /bin/busybox ] || skip_test "/bin/busybox is missing (run tools/install-deps.sh to get busybox-static)"
if ldd /bin/busybox >/dev/null 2>&1; then
  skip_test "/bin/busybox is dynamically linked; the guest needs busybox-static"
fi
ip_tool="$(command -v ip)" || skip_test "iproute2's ip is not installed"
tcpdump_tool="$(command -v tcpdump)" || skip_test "tcpdump is not installed"
for binary in ipop-espd ipop-esp; do
  [ -x "$bin_dir/$binary" ] || fail "$bin_dir/$binary not found; build first"
done

work="$(mktemp -d /tmp/ipqemu-guest.XXXXXX)"
cleanup() {
  local status=$?
  if [ "$keep" -eq 1 ]; then
    echo "run_guest: work directory kept: $work"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Kernel package ---------------------------------------------------------

newest_cached_package() {
  find "$cache" -maxdepth 1 -name 'linux-image-[0-9]*-cloud-amd64_*_amd64.deb' | sort -V | tail -n 1
}

resolve_kernel_package() {
  apt-cache depends "$kernel_metapackage" 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
kernel_deb="$(newest_cached_package)"
if [ -z "$kernel_deb" ]; then
  package="$(resolve_kernel_package)"
  if [ -z "$package" ]; then
    step "apt-get update (the package lists do not know $kernel_metapackage)"
    apt-get update -q >"$work/apt-update.log" 2>&1 || fail "apt-get update failed: $(tail -n 3 "$work/apt-update.log")"
    package="$(resolve_kernel_package)"
  fi
  [ -n "$package" ] || fail "apt-cache finds no kernel package that $kernel_metapackage depends on"
  step "Downloading $package into $cache"
  # The download runs as the current user, so apt's _apt sandbox user is
  # not needed (it cannot write into a build directory owned by root).
  (cd "$cache" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "$package") ||
    fail "apt-get download $package failed"
  kernel_deb="$(newest_cached_package)"
  [ -n "$kernel_deb" ] || fail "apt-get download left no kernel package in $cache"
fi
step "Kernel package: $(basename "$kernel_deb")"

kernel_root="${kernel_deb%.deb}"
if [ ! -f "$kernel_root/.extracted" ]; then
  rm -rf "$kernel_root"
  dpkg -x "$kernel_deb" "$kernel_root"
  touch "$kernel_root/.extracted"
fi
kernel_version="$(basename "$(find "$kernel_root/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)")"
vmlinuz="$kernel_root/boot/vmlinuz-$kernel_version"
[ -f "$vmlinuz" ] || fail "$vmlinuz is missing from $(basename "$kernel_deb")"
if [ ! -f "$kernel_root/lib/modules/$kernel_version/modules.dep" ]; then
  # Debian runs depmod in the package's postinst, so the archive has no
  # modules.dep of its own.
  depmod -b "$kernel_root" "$kernel_version"
fi

# --- Initramfs ----------------------------------------------------------------

initramfs_root="$work/initramfs"
mkdir -p "$initramfs_root"/{bin,sbin,usr/bin,usr/sbin,etc/ipqemu,proc,sys,dev,run,tmp,test}
step "Building the initramfs for kernel $kernel_version"

cp /bin/busybox "$initramfs_root/bin/busybox"
ln -s busybox "$initramfs_root/bin/sh"
# The kernel runs /sbin/modprobe for algorithms it loads on demand.
ln -s ../bin/busybox "$initramfs_root/sbin/modprobe"

# insmod lines from modprobe list each module after its dependencies.
modules_dir="lib/modules/$kernel_version"
: >"$initramfs_root/etc/ipqemu/modules"
for module in "${guest_modules[@]}"; do
  plan="$(modprobe -d "$kernel_root" -S "$kernel_version" --show-depends "$module")" ||
    fail "modprobe finds no module $module in kernel $kernel_version"
  while read -r action path _; do
    [ "$action" = "insmod" ] || continue
    relative="${path#"$kernel_root"/}"
    if ! grep -qxF "/$relative" "$initramfs_root/etc/ipqemu/modules"; then
      mkdir -p "$initramfs_root/$(dirname "$relative")"
      cp "$path" "$initramfs_root/$relative"
      echo "/$relative" >>"$initramfs_root/etc/ipqemu/modules"
    fi
  done <<<"$plan"
done
cp "$kernel_root/$modules_dir"/modules.{order,builtin} "$initramfs_root/$modules_dir/"
depmod -b "$initramfs_root" "$kernel_version"
echo "  $(wc -l <"$initramfs_root/etc/ipqemu/modules") modules"

# Copies a program and every shared library ldd lists for it, keeping paths.
copy_with_libraries() {
  local program="$1" destination="$2"
  mkdir -p "$initramfs_root/$(dirname "$destination")"
  cp -L "$program" "$initramfs_root/$destination"
  ldd "$program" | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }' |
    while read -r library; do
      if [ ! -e "$initramfs_root/$library" ]; then
        mkdir -p "$initramfs_root/$(dirname "$library")"
        cp -L "$library" "$initramfs_root/$library"
      fi
    done
}
copy_with_libraries "$ip_tool" /usr/sbin/ip
copy_with_libraries "$tcpdump_tool" /usr/bin/tcpdump
copy_with_libraries "$bin_dir/ipop-espd" /usr/local/bin/ipop-espd
copy_with_libraries "$bin_dir/ipop-esp" /usr/local/bin/ipop-esp

# strongSwan's charon with its kernel-netlink plugin, for the charon_* cases
# (tools/install-deps.sh installs it; without it those cases print SKIP).
# charon loads its plugins with dlopen, so ldd of charon does not list them.
readonly charon_plugins=(random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints gmp
  aes sha1 sha2 hmac gcm kdf kernel-netlink socket-default vici)
if [ -x /usr/lib/ipsec/charon ] && command -v swanctl >/dev/null; then
  copy_with_libraries /usr/lib/ipsec/charon /usr/lib/ipsec/charon
  copy_with_libraries "$(command -v swanctl)" /usr/sbin/swanctl
  for plugin in "${charon_plugins[@]}"; do
    copy_with_libraries "/usr/lib/ipsec/plugins/libstrongswan-$plugin.so" \
      "/usr/lib/ipsec/plugins/libstrongswan-$plugin.so"
  done
  echo "  charon from $(dpkg-query -W -f='${Package} ${Version}' strongswan-charon 2>/dev/null)"
else
  echo "  charon not found: the charon_* cases will print SKIP"
fi

# libreswan's pluto for the pluto_* cases, unpacked from Debian's package
# as the host interop tests do. NSS loads its soft token with dlopen, so
# those libraries and their .chk files are copied by name.
libreswan_root="$("$here/../interop/fetch_libreswan.sh" "$(dirname "$bin_dir")/interop-cache" \
  2>"$work/libreswan.log")" || libreswan_root=""
if [ -n "$libreswan_root" ] && command -v certutil >/dev/null && command -v pk12util >/dev/null; then
  for program in pluto addconn whack; do
    copy_with_libraries "$libreswan_root/usr/libexec/ipsec/$program" "/usr/libexec/ipsec/$program"
  done
  nss_dir="$(dirname "$(ldd "$libreswan_root/usr/libexec/ipsec/pluto" | awk '$1 == "libnss3.so" { print $3 }')")"
  for library in libsoftokn3 libfreeblpriv3 libfreebl3 libnssdbm3; do
    if [ -e "$nss_dir/$library.so" ]; then
      copy_with_libraries "$nss_dir/$library.so" "$nss_dir/$library.so"
      [ ! -e "$nss_dir/$library.chk" ] || cp "$nss_dir/$library.chk" "$initramfs_root/$nss_dir/"
    fi
  done
  echo "  $("$libreswan_root/usr/libexec/ipsec/pluto" --version 2>&1 | head -n 1 | cut -d' ' -f1-2)"
else
  echo "  libreswan not available ($(tail -n 1 "$work/libreswan.log" 2>/dev/null)): the pluto_* cases will print SKIP"
fi

# tcpdump looks up the user it runs as, even with -Z root.
echo "root:x:0:0:root:/:/bin/sh" >"$initramfs_root/etc/passwd"
echo "root:x:0:" >"$initramfs_root/etc/group"

cp "$here/guest_init.sh" "$initramfs_root/init"
cp "$here/guest_cases.sh" "$initramfs_root/etc/ipqemu/cases.sh"
chmod 0755 "$initramfs_root/init"

# --- Certificates and configurations --------------------------------------------

"$here/make_node_configs.sh" "$initramfs_root" /test >"$work/configs.log" 2>&1 ||
  fail "making certificates and configurations failed: $(tail -n 5 "$work/configs.log")"

initramfs="$work/initramfs.cpio.gz"
(cd "$initramfs_root" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1 >"$initramfs")
echo "  $(du -h "$initramfs" | cut -f1) compressed"

# --- Boot -------------------------------------------------------------------------

step "Booting qemu-system-x86_64 (TCG, limit ${timeout_seconds} s)"
console="$work/console.log"
start_seconds="$(date +%s)"
set +e
# KVM is not used: the test must also run where /dev/kvm is missing or
# refuses this kernel, and TCG boots it in well under a minute.
timeout --kill-after=10 "$timeout_seconds" qemu-system-x86_64 \
  -machine q35 -accel tcg -cpu max -smp 2 -m 768 \
  -nographic -no-reboot \
  -kernel "$vmlinuz" -initrd "$initramfs" \
  -append "console=ttyS0 panic=-1 loglevel=4${cases:+ ipqemu.cases=$cases}" \
  </dev/null 2>"$work/qemu.log" | tee "$console"
qemu_status="${PIPESTATUS[0]}"
set -e
elapsed=$(($(date +%s) - start_seconds))

if ! grep -q "IPQEMU-BOOTED" "$console"; then
  if [ -s "$work/qemu.log" ]; then
    skip_test "qemu-system-x86_64 could not run the guest (exit status $qemu_status): $(tail -n 5 "$work/qemu.log")"
  fi
  fail "the guest kernel did not reach its init script (see the console above)"
fi
if [ "$qemu_status" -eq 124 ] || [ "$qemu_status" -eq 137 ]; then
  fail "the guest did not power off within $timeout_seconds s"
fi
boot_line="$(grep -a -o "IPQEMU-BOOTED.*" "$console" | tail -n 1 | tr -d '\r')"
echo "run_guest: guest ran ${elapsed} s in total; ${boot_line:-no boot-time line}"
grep -a "^IPQEMU-CASE" "$console" | tr -d '\r' | sed 's/^/  /'
verdict="$(grep -a "^IPQEMU-RESULT" "$console" | tail -n 1 | tr -d '\r')"
case "$verdict" in
  "IPQEMU-RESULT: PASS"*) echo "run_guest: PASSED"; exit 0 ;;
  "") fail "the guest printed no IPQEMU-RESULT line (see the console above)" ;;
  *) fail "$verdict" ;;
esac
