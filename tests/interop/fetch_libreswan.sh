#!/usr/bin/env bash
# Unpacks Debian's libreswan package into CACHE/libreswan-root, once, and
# prints that directory. The package conflicts with strongSwan's, which the
# other interop tests need, so it is fetched with `apt-get download` and
# unpacked with `dpkg-deb -x` instead of installed.
#
# Usage: fetch_libreswan.sh CACHE
# Exit status: 0 with the directory on stdout, 77 when the package cannot
# be fetched (no package index or network), 1 on other errors.
set -euo pipefail

cache="${1:?usage: fetch_libreswan.sh CACHE}"
root="$cache/libreswan-root"
if [ ! -x "$root/usr/libexec/ipsec/pluto" ]; then
  mkdir -p "$cache"
  # Several tests may start together and fetch at the same time.
  exec 9>"$cache/.libreswan.lock"
  flock 9
  if [ ! -x "$root/usr/libexec/ipsec/pluto" ]; then
    rm -f "$cache"/libreswan_*.deb
    if ! (cd "$cache" && apt-get download -q -o APT::Sandbox::User="$(id -un)" libreswan >/dev/null); then
      echo "fetch_libreswan: apt-get download libreswan failed (no package index or network?)" >&2
      exit 77
    fi
    rm -rf "$root.tmp"
    dpkg-deb -x "$cache"/libreswan_*.deb "$root.tmp"
    mv "$root.tmp" "$root"
  fi
fi
echo "$root"
