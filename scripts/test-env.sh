#!/usr/bin/env bash
# Installs what the system tests need on a fresh Debian 12 machine (run as root). Idempotent and quick
# when everything is already there. Each later system piece (strongSwan's load-tester plugin, the QEMU
# guest image) adds its own step below; each step caches its output under .cache/ keyed on its inputs.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  iproute2 iputils-ping nftables tshark ike-scan xl2tpd iperf3
  strongswan-charon strongswan-swanctl libstrongswan-standard-plugins libcharon-extra-plugins
)

if [ "$(id -u)" != 0 ]; then
  echo "test-env: not root; system packages not installed (system tests will skip, and fail under CI=true)" >&2
  exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "test-env: installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "test-env: system packages ready"
