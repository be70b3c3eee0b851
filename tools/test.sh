#!/usr/bin/env bash
# README command 2: installs what is missing, builds, and runs every test
# (unit, known-answer, in-memory exchanges and the network-namespace tests).
# Needs root for the namespace tests. Extra arguments go to ctest, e.g.
# `tools/test.sh -L unit` or `tools/test.sh -R Replay`.
set -euo pipefail
case "${1:-}" in
  -h|--help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    echo "ctest's own options: ctest --help"
    exit 0
    ;;
esac
top="$(cd "$(dirname "$0")/.." && pwd)"
build_dir="${IPOP_BUILD_DIR:-$top/build}"

"$top/tools/build.sh"
ctest --test-dir "$build_dir" --output-on-failure -j 2 "$@"
