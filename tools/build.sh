#!/usr/bin/env bash
# Installs missing Debian packages, then configures and builds into build/.
# Set IPOP_BUILD_DIR to build elsewhere.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
build_dir="${IPOP_BUILD_DIR:-$top/build}"

"$top/tools/install-deps.sh"
cmake -S "$top" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
