#!/usr/bin/env bash
# Builds the interop guest: a Debian 12 root with the stock Linux L2TP/IPsec client stack (strongSwan with
# kernel ESP, xl2tpd, pppd), booted by QEMU because this host's kernel has no ESP, L2TP or PPP.
#
# Output: .cache/interop/guest-<hash>/{vmlinuz,initrd.img,rootfs.img,KVER,build-seconds}, where <hash>
# covers every input (this script, the guest's PID-1 script, the package list, suite and mirror). When that
# directory exists the build is skipped; the path is printed on stdout's last line either way.
#
# No loop mounts: the ext4 image is filled from the tree by `mke2fs -d`. Needs root, debootstrap and
# network access to the Debian mirror already configured in this host's apt sources.
set -euo pipefail
cd "$(dirname "$0")/../.."

SUITE=bookworm
PACKAGES=(
  linux-image-amd64 initramfs-tools kmod iproute2 iputils-ping tcpdump procps
  strongswan strongswan-charon strongswan-starter strongswan-swanctl
  libstrongswan-standard-plugins libcharon-extra-plugins xl2tpd ppp
)
# initramfs MODULES=list: just enough to find the root disk; everything else loads from the root.
INITRAMFS_MODULES=(virtio_pci virtio_blk ext4)
# Kernel module trees the guest never uses, dropped to keep the image small (about half of it).
PRUNE_MODULES=(drivers/gpu drivers/media drivers/net/wireless drivers/infiniband drivers/staging sound
  drivers/scsi drivers/usb drivers/bluetooth drivers/iio drivers/hid drivers/input drivers/isdn)

# The mirror the host itself uses (deb822 .sources first, then one-line sources.list); never a guessed host.
host_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk -v suite="$SUITE" '
      /^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) s = 1 }
      /^$/ { if (u != "" && s && u ~ /\/debian\/?$/) { print u; done = 1; exit } u = ""; s = 0 }
      END { if (!done && u != "" && s && u ~ /\/debian\/?$/) print u }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  if [ -f /etc/apt/sources.list ]; then
    uri=$(awk -v suite="$SUITE" '$1 == "deb" && $3 == suite && $2 ~ /\/debian\/?$/ { print $2; exit }' \
      /etc/apt/sources.list)
    [ -n "$uri" ] && { echo "$uri"; return; }
  fi
  return 1
}

MIRROR=${L2S_GUEST_MIRROR:-$(host_mirror || true)}
if [ -z "$MIRROR" ]; then
  echo "build-guest: no Debian $SUITE mirror in this host's apt sources (set L2S_GUEST_MIRROR)" >&2
  exit 1
fi

HASH=$( {
  cat scripts/interop/build-guest.sh scripts/interop/guest-init.sh
  echo "$SUITE $MIRROR ${PACKAGES[*]} ${INITRAMFS_MODULES[*]}"
} | sha256sum | cut -c1-16)
OUT=.cache/interop/guest-$HASH
if [ -f "$OUT/rootfs.img" ] && [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.img" ]; then
  echo "build-guest: cached" >&2
  echo "$PWD/$OUT"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "build-guest: must run as root (debootstrap)" >&2
  exit 1
fi
command -v debootstrap >/dev/null || { echo "build-guest: debootstrap missing (run scripts/test-env.sh)" >&2; exit 1; }

START=$(date +%s)
mkdir -p .cache/interop
WORK=$(mktemp -d "$PWD/.cache/interop/build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root

echo "build-guest: debootstrap $SUITE from $MIRROR into $WORK" >&2
include=$(IFS=,; echo "${PACKAGES[*]}")
nice -n 10 debootstrap --variant=minbase --include="$include" "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
  tail -30 "$WORK/debootstrap.log" >&2
  exit 1
}

KVER=$(basename "$(ls -d "$ROOT"/lib/modules/* | head -1)")
echo "build-guest: kernel $KVER" >&2

# The PID-1 script and the guest's own configuration.
install -m 0755 scripts/interop/guest-init.sh "$ROOT/sbin/l2s-init"
echo guest >"$ROOT/etc/hostname"
printf '127.0.0.1 localhost guest\n' >"$ROOT/etc/hosts"
: >"$ROOT/etc/fstab"

for d in "${PRUNE_MODULES[@]}"; do rm -rf "$ROOT/lib/modules/$KVER/kernel/$d"; done
chroot "$ROOT" depmod "$KVER"

printf 'MODULES=list\nCOMPRESS=gzip\n' >"$ROOT/etc/initramfs-tools/conf.d/l2s.conf"
printf '%s\n' "${INITRAMFS_MODULES[@]}" >"$ROOT/etc/initramfs-tools/modules"
nice -n 10 chroot "$ROOT" mkinitramfs -o /boot/l2s-initrd.img "$KVER" >>"$WORK/debootstrap.log" 2>&1

mkdir -p "$WORK/out"
cp "$ROOT/boot/vmlinuz-$KVER" "$WORK/out/vmlinuz"
mv "$ROOT/boot/l2s-initrd.img" "$WORK/out/initrd.img"
rm -f "$ROOT"/boot/initrd.img-* "$ROOT"/boot/vmlinuz-*
rm -rf "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/usr/share/locale/* \
  "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/log/*

# Size: the tree plus a third for the logs, pid files and configuration the cases write.
kib=$(du -sk "$ROOT" | cut -f1)
size=$(((kib * 4 / 3 + 65536) / 1024))M
nice -n 10 mke2fs -q -t ext4 -L l2s-root -E root_owner=0:0 -d "$ROOT" "$WORK/out/rootfs.img" "$size" >&2
echo "$KVER" >"$WORK/out/KVER"
echo "$(($(date +%s) - START))" >"$WORK/out/build-seconds"

rm -rf "$OUT"
mv "$WORK/out" "$OUT"
echo "build-guest: built $OUT in $(cat "$OUT/build-seconds") s (rootfs $size)" >&2
echo "$PWD/$OUT"
