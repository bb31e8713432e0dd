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

# --- interop suite (issue 8; owner: scripts/interop/): QEMU, debootstrap, and the cached guest image ---
# The guest (Debian 12 with strongSwan, xl2tpd, pppd and a kernel that has ESP/L2TP/PPP) is built once by
# scripts/interop/build-guest.sh into .cache/interop/guest-<hash of its inputs>/ and reused afterwards.
interop_missing=()
for p in qemu-system-x86 debootstrap; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || interop_missing+=("$p")
done
if [ "${#interop_missing[@]}" -gt 0 ]; then
  echo "test-env: installing ${interop_missing[*]} (interop guest)"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${interop_missing[@]}"
fi
# The script prints the image's path as its last line (build tools may print before it).
interop_guest=$(./scripts/interop/build-guest.sh | tail -n 1)
# Images of earlier inputs are 500 MB each: keep only the current one.
for d in .cache/interop/guest-*; do
  [ "$PWD/$d" = "$interop_guest" ] || rm -rf "$d"
done
echo "test-env: interop guest image ready ($interop_guest)"

# --- IKEv1 interop (test/ike/interop): strongSwan's load-tester plugin (fake kernel-ipsec backend), which
# Debian does not ship; built from Debian's source package of the installed version, cached under
# .cache/charon-load-tester/<version>/ (about a minute once, instant afterwards).
./scripts/build-charon-load-tester.sh

# --- RADIUS (test/aaa/freeradius.test.ts; owner: src/aaa/radius): FreeRADIUS 3.2 as a real AAA server. The
# test runs its own `freeradius -f` on random loopback ports from a copied config; the packaged service
# must not run (it would hold 1812/1813), so it is disabled right after install.
if ! dpkg-query -W -f='${Status}' freeradius 2>/dev/null | grep -q 'install ok installed' ||
  ! dpkg-query -W -f='${Status}' freeradius-utils 2>/dev/null | grep -q 'install ok installed'; then
  echo "test-env: installing freeradius freeradius-utils"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends freeradius freeradius-utils
  if [ -d /run/systemd/system ]; then
    systemctl disable --now freeradius || true
  else
    invoke-rc.d freeradius stop >/dev/null 2>&1 || true
    command -v systemctl >/dev/null && systemctl disable freeradius >/dev/null 2>&1 || true
    update-rc.d freeradius disable >/dev/null 2>&1 || true
  fi
fi
echo "test-env: freeradius ready"

# --- native ECDH (test/crypto/ecdh-native.test.ts; owner: native/l2tpsec_ecdh.cc): the addon dlopens the
# system libcrypto.so.3 (package libssl3, normally already pulled in by strongSwan); the test requires it
# under CI=true.
if ! dpkg-query -W -f='${Status}' libssl3 2>/dev/null | grep -q 'install ok installed'; then
  echo "test-env: installing libssl3"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libssl3
fi
echo "test-env: libssl3 ready"

# --- X.509 authentication (test/ike/x509-*.test.ts, test/ike/interop/*cert*; owner: src/ike/auth): the
# openssl CLI generates each test's certificates at run time (test/support/certs.ts).
if ! command -v openssl >/dev/null 2>&1; then
  echo "test-env: installing openssl"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openssl
fi
echo "test-env: openssl ready"
