#!/bin/sh
# PID 1 of the interop guest (installed as /sbin/l2s-init by build-guest.sh). No systemd: mount the
# pseudo file systems, load the kernel's IPsec/L2TP/PPP modules (the host kernel lacks them, which is
# why a guest exists at all), configure eth0 from the kernel command line, mount the 9p share holding
# the case, run its command file, record the exit code on the share and power off through sysrq.
#
# Kernel command line parameters read here (all optional):
#   l2s.ip=ADDR/PREFIX   address of eth0        l2s.gw=ADDR     default gateway
#   l2s.host=NAME        hostname               l2s.cmd=FILE    command file on the share (cmd.sh)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8

# initramfs-tools moves /proc, /sys, /dev and /run into the new root; mount only what is missing.
mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sys /sys
mountpoint -q /dev || mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mountpoint -q /dev/pts || mount -t devpts devpts /dev/pts
mountpoint -q /run || mount -t tmpfs run /run
mount -t tmpfs tmp /tmp
mkdir -p /run/lock /var/run/xl2tpd /run/pluto

say() { echo "l2s-init: $*" >/dev/console; }

# One modprobe for all: under TCG every process start costs.
modprobe -a virtio_net 9p 9pnet_virtio esp4 xfrm_user af_key l2tp_ppp ppp_generic ppp_async ppp_synctty ||
  say "modprobe failed for some module"

ip="" gw="" host="guest" cmd="cmd.sh"
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    l2s.ip=*) ip="${arg#l2s.ip=}" ;;
    l2s.gw=*) gw="${arg#l2s.gw=}" ;;
    l2s.host=*) host="${arg#l2s.host=}" ;;
    l2s.cmd=*) cmd="${arg#l2s.cmd=}" ;;
  esac
done

hostname "$host"
ip link set lo up
ip link set eth0 up
[ -n "$ip" ] && ip addr add "$ip" dev eth0
[ -n "$gw" ] && ip route add default via "$gw"

mkdir -p /mnt/share
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=none share /mnt/share; then
  say "running /mnt/share/$cmd"
  sh "/mnt/share/$cmd" >/mnt/share/cmd.log 2>&1
  rc=$?
  echo "$rc" >/mnt/share/exit-code.tmp && mv /mnt/share/exit-code.tmp /mnt/share/exit-code
  say "command exited $rc"
else
  say "9p share not mounted"
fi

sync
echo 1 >/proc/sys/kernel/sysrq
echo o >/proc/sysrq-trigger
sleep 10
