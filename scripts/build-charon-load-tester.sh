#!/usr/bin/env bash
# Builds strongSwan's load-tester plugin for the INSTALLED strongSwan, which Debian does not ship.
#
# Why: the kernel here has no ESP, so charon needs a kernel-ipsec backend that accepts transport-mode SAs
# for the IKEv1 interop tests; load-tester's `fake_kernel = yes` is that backend (SAs are "installed"
# without a data path). The plugin is built from Debian's own source package of the installed version,
# configured with Debian's flags (notably --enable-mediation: without it charon's struct layouts differ from
# the installed binaries), and only its own directory is compiled.
#
# Output: .cache/charon-load-tester/<installed version>/libstrongswan-load-tester.so (+ SOURCE, the Debian
# source version actually used). Skipped when present. Run as root (installs build tools when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

say() { echo "build-charon-load-tester: $*" >&2; }

VERSION=$(dpkg-query -W -f='${Version}' strongswan-libcharon 2>/dev/null || true)
if [ -z "$VERSION" ]; then
  say "strongswan-libcharon is not installed (run scripts/test-env.sh first)"
  exit 1
fi
OUT="$ROOT/.cache/charon-load-tester/$VERSION"
if [ -f "$OUT/libstrongswan-load-tester.so" ]; then
  say "cached: $OUT"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  say "not root: cannot install build tools; plugin not built"
  exit 1
fi

# Only what configure and the one plugin's make need (the C toolchain, dpkg-source to unpack).
BUILD_PACKAGES=(dpkg-dev gcc make libc6-dev pkg-config perl)
missing=()
for p in "${BUILD_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

WORK=$(mktemp -d /tmp/l2s-charon-build.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# A private apt configuration holding deb-src twins of the configured deb entries (same mirrors, suites and
# components, as apt itself reports them), so the system's sources and lists stay untouched.
mkdir -p lists/partial cache/archives/partial
apt-get indextargets --format '$(SITE) $(RELEASE) $(COMPONENT)' 'Created-By: Packages' | sort -u |
  while read -r site release component; do
    echo "deb-src $site $release $component"
  done >sources.list
if [ ! -s sources.list ]; then
  say "no configured deb sources found"
  exit 1
fi
APT=(apt-get -q -o "Dir::Etc::SourceList=$WORK/sources.list" -o Dir::Etc::SourceParts=/nonexistent
  -o "Dir::State::Lists=$WORK/lists" -o "Dir::Cache=$WORK/cache" -o APT::Sandbox::User=root)
# A third-party repository without sources makes update fail; strongswan comes from Debian's anyway.
"${APT[@]}" update >update.log 2>&1 || say "some deb-src indexes failed (ignored): $(grep -c '^[EW]:' update.log) errors"

# The installed version first; a mirror may index a security upload whose files it no longer serves, so
# fall back to the newest Debian revision of the same upstream version (same code for this plugin; the
# version used is recorded in SOURCE).
SRC_VERSION=$VERSION
if ! "${APT[@]}" source --download-only "strongswan=$VERSION" >download.log 2>&1; then
  upstream=${VERSION%-*}
  SRC_VERSION=$(apt-cache -o "Dir::Etc::SourceList=$WORK/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
    -o "Dir::State::Lists=$WORK/lists" -o "Dir::Cache=$WORK/cache" showsrc strongswan |
    sed -n 's/^Version: //p' | grep -F "$upstream-" | grep -vxF "$VERSION" | sort -V | tail -n 1 || true)
  if [ -z "$SRC_VERSION" ]; then
    cat download.log >&2
    say "no source package for strongswan $VERSION (nor another $upstream revision) on the configured mirrors"
    exit 1
  fi
  say "source of $VERSION not downloadable; using $SRC_VERSION (same upstream $upstream)"
  "${APT[@]}" source --download-only "strongswan=$SRC_VERSION" >download.log 2>&1 || {
    cat download.log >&2
    exit 1
  }
fi
# apt already checked the files against the signed index; the uploader key dpkg-source asks for is not needed.
dpkg-source -q -x "strongswan_${SRC_VERSION#*:}.dsc" src >unpack.log 2>&1 || {
  cat unpack.log >&2
  exit 1
}
cd src

# Debian's configure flags, read from debian/rules (the common list plus the linux and amd64 additions),
# minus the ones that only switch on a plugin or binary needing an external -dev library: those do not change
# libstrongswan's or libcharon's headers, and leaving them out keeps the build to the toolchain alone.
mapfile -t DEBIAN_FLAGS < <(sed 's/#.*//' debian/rules | grep -oE -- '--(enable|disable|with)-[a-z0-9-]+(=[^ \\]+)?' | sort -u)
EXTERNAL_LIBS='^--(enable-(curl|gcrypt|ldap|openssl|connmark|forecast|tpm|tss-tss2|xauth-pam|nm|systemd|kernel-pfkey|kernel-klips|kernel-pfroute|padlock|medsrv|medcli|eap-sim)|with-(nm-ca-dir|capabilities|user|group)(=.*)?|disable-kernel-netlink)$'
FLAGS=()
for f in "${DEBIAN_FLAGS[@]}"; do
  [[ $f =~ $EXTERNAL_LIBS ]] || FLAGS+=("$f")
done
if ! printf '%s\n' "${FLAGS[@]}" | grep -qx -- --enable-mediation; then
  say "debian/rules has no --enable-mediation: the flag list was not read correctly"
  exit 1
fi
say "configure flags: ${FLAGS[*]}"

eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)"
# Paths as dh_auto_configure gives them plus debian/rules' own; gmp is on upstream by default and needs
# libgmp-dev, which only its plugin uses.
./configure -q --prefix=/usr --sysconfdir=/etc --localstatedir=/var --runstatedir=/run \
  --libdir=/usr/lib --libexecdir=/usr/lib --disable-gmp --disable-dependency-tracking \
  "${FLAGS[@]}" --enable-load-tester >configure.log 2>&1 || {
  tail -n 40 configure.log >&2
  exit 1
}
grep -qE '^#define ME( |$)' config.h || {
  say "mediation is not enabled in config.h"
  exit 1
}
make -s -C src/libcharon/plugins/load_tester -j"$(nproc)" >make.log 2>&1 || {
  tail -n 40 make.log >&2
  exit 1
}

mkdir -p "$OUT"
cp src/libcharon/plugins/load_tester/.libs/libstrongswan-load-tester.so "$OUT/"
echo "$SRC_VERSION" >"$OUT/SOURCE"
say "built $OUT/libstrongswan-load-tester.so from strongswan $SRC_VERSION"
