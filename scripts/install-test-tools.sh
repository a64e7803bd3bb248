#!/usr/bin/env bash
# Tools the full test suite uses when present (tests that need one skip with a reason otherwise):
# qpdf and poppler-utils (PDF checks), zbar-tools (QR decoding), chromium (browser tests),
# wrk (load generator of benchmarks/registration.py), node/npm with the npm packages of
# tests/js (ical.js, the second iCalendar parser of tests/test_ics_*.py).
set -euo pipefail
pkgs="qpdf poppler-utils zbar-tools chromium wrk"
need=()
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
# node and npm by command (a nodejs package from elsewhere may bring its own npm)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  else
    echo "Optional test tools missing (their tests will skip): sudo apt-get install ${need[*]}" >&2
  fi
fi
# The npm packages of tests/js, into tests/js/node_modules (git-ignored), as locked
js_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/js"
if command -v npm >/dev/null 2>&1; then
  (cd "$js_dir" && npm ci --no-audit --no-fund --loglevel=error) ||
    echo "npm ci failed in tests/js: the ical.js checks of tests/test_ics_*.py will skip" >&2
else
  echo "npm missing: the ical.js checks of tests/test_ics_*.py will skip" >&2
fi
