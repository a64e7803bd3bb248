#!/usr/bin/env bash
# Checks the system libraries that WeasyPrint needs (Pango, HarfBuzz). On Debian as root, installs
# them; otherwise names the Debian packages to install and stops.
set -euo pipefail
pkgs="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libharfbuzz0b fontconfig"
missing=()
for lib in libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz.so.0 libfontconfig.so.1; do
  if ! ldconfig -p 2>/dev/null | grep -q "$lib"; then missing+=("$lib"); fi
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "WeasyPrint needs system libraries that are missing: ${missing[*]}" >&2
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing the Debian packages: $pkgs" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >&2
  exit 0
fi
echo "Install them with: sudo apt-get install $pkgs" >&2
exit 1
