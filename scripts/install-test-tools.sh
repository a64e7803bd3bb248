#!/usr/bin/env bash
# Tools the full test suite uses when present (tests that need one skip with a reason otherwise):
# qpdf and poppler-utils (PDF checks), zbar-tools (QR decoding), chromium (browser tests),
# wrk (load generator of benchmarks/registration.py).
set -euo pipefail
pkgs="qpdf poppler-utils zbar-tools chromium wrk"
need=()
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
else
  echo "Optional test tools missing (their tests will skip): sudo apt-get install ${need[*]}" >&2
fi
