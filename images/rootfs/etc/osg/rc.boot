#!/bin/sh
# rc.boot: busybox init's sysinit step on the OpenSG image (docs/image.md).
# Prints one line of stage times (uptime, seconds) that bench/image reads.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
. /etc/osg/image.conf
. /etc/osg/svc
stamp() { read -r _up _ </proc/uptime; eval "t_$1=\$_up"; }
say() { echo "opensg: $*"; }
uuid() { # a random (version 4) UUID
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n' |
        sed 's/^\(.\{8\}\)\(.\{4\}\).\(.\{3\}\).\(.\{3\}\)\(.\{12\}\)$/\1-\2-4\3-a\4-\5/'
}

mount -t proc proc /proc
stamp kernel
# the initramfs root (tmpfs) starts 1777; sshd's StrictModes refuses
# authorized_keys files below a world-writable directory
chmod 755 /
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /run /tmp /var/log
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/osg
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
hostname opensg
# development aid (-kernel boots only: the disk image's command line is
# fixed): osg.shell=1 puts a root shell on the second serial port
read -r cmdline </proc/cmdline
case " $cmdline " in
*" osg.shell=1 "*)
    setsid sh -c 'exec sh -i </dev/ttyS1 >/dev/ttyS1 2>&1' &
    ;;
esac

# kernel modules, in the order modprobe --show-depends gave at build time
read -r kver </proc/sys/kernel/osrelease
osg-modload "/lib/modules/$kver" /etc/osg/modules
# a virtio-rng device (PCI 1af4:1005 or 1af4:1044): the entropy pool is
# ready at once (docs/image.md)
for d in /sys/bus/pci/devices/*; do
    read -r v <"$d/vendor" && read -r p <"$d/device" || continue
    case "$v:$p" in 0x1af4:0x1005|0x1af4:0x1044) modprobe virtio_rng; break;; esac
done
stamp modules

# The configuration disk: the first virtio disk labelled opensg-config, or
# else the first one that is blank (its first MiB all zeros: formatted
# now).  Other disks (the boot disk) are left alone.
cfg=$(findfs "LABEL=$CONFIG_LABEL" 2>/dev/null)
if [ -z "$cfg" ]; then
    for dev in /dev/vd?; do
        [ -b "$dev" ] || continue
        set -- /sys/block/${dev#/dev/}/${dev#/dev/}*
        [ -e "$1" ] && continue  # partitioned: the boot disk
        [ "$(dd if="$dev" bs=65536 count=16 2>/dev/null | tr -d '\000' | wc -c)" -eq 0 ] || continue
        say "formatting $dev for the configuration (ext4, label $CONFIG_LABEL)"
        # UUID and hash seed from /dev/urandom: libuuid's getrandom() would
        # wait for the entropy pool (seconds under TCG without virtio-rng)
        if /usr/sbin/mke2fs -q -F -t ext4 -L "$CONFIG_LABEL" -U "$(uuid)" \
            -E "nodiscard,hash_seed=$(uuid)" "$dev"; then
            cfg=$dev
        else
            say "mke2fs $dev failed"
        fi
        break
    done
fi
mkdir -p "$ROOT"
persistent=0
if [ -n "$cfg" ]; then
    if mount -t ext4 -o noatime "$cfg" "$ROOT"; then
        chmod 711 "$ROOT"  # as mgd makes it: the socket is for every user
        persistent=1
        echo "$cfg" >/run/osg/config-disk
    else
        say "cannot mount $cfg: the configuration will not persist"
    fi
fi
: >/run/osg/issue
cp /etc/osg/motd /run/osg/motd
if [ "$persistent" = 0 ]; then
    w="WARNING: no configuration disk: this is the factory-default configuration and changes will not persist (attach a blank virtio disk, docs/image.md)."
    echo "$w" >>/run/osg/issue
    echo "$w" >>/run/osg/motd
    echo "" >>/run/osg/issue
fi
stamp disk

# NICs: eth0 is fxp0 (management, the kernel's), eth1... are fwdd's
# ge-0/0/0... (AF_PACKET; no kernel address, no IPv6 on them)
ip link set lo up
ports=
n=1
if [ -e /sys/class/net/eth0 ]; then
    ip link set eth0 name fxp0 && ip link set fxp0 up
fi
while [ -e /sys/class/net/eth$n ]; do
    echo 1 >/proc/sys/net/ipv6/conf/eth$n/disable_ipv6
    ip link set "eth$n" up
    ports="$ports --port ge-0/0/$((n - 1))=eth$n"
    n=$((n + 1))
done
echo "$ports" >/run/osg/ports
stamp net

# the daemons, each under /etc/osg/supervise (restarted if it dies)
rm -f "$ROOT/mgd.sock" "$ROOT/fwdd.sock" "$ROOT/mgd.pid" "$ROOT/halt-request"
mkdir -p -m 700 "$ROOT/log"
svc_start mgd /usr/sbin/mgd --root "$ROOT" --schema "$SCHEMA"
osg-watch wait -t 60 "$ROOT/mgd.sock" || say "mgd did not start (see $ROOT/log/mgd.log)"
stamp mgd
/etc/osg/hook commit  # host name, fxp0 addresses, accounts, NETCONF's sshd
stamp fxp0
svc_start fwdd /usr/sbin/fwdd --root "$ROOT" --schema "$SCHEMA" $ports
osg-watch wait -t 60 "$ROOT/log/fwdd.log" "full configuration" ||
    say "fwdd did not start (see $ROOT/log/fwdd.log)"
stamp fwdd
svc_start kmd /usr/sbin/kmd --root "$ROOT" --schema "$SCHEMA"
osg-watch wait -t 60 "$ROOT/log/kmd.log" "full configuration" ||
    say "kmd did not start (see $ROOT/log/kmd.log)"
stamp kmd

echo "kernel=$t_kernel modules=$t_modules disk=$t_disk net=$t_net mgd=$t_mgd fxp0=$t_fxp0 fwdd=$t_fwdd kmd=$t_kmd" >/run/osg/boot-times
# stage ends, as uptime (bench/image/boot-stages reads this line)
echo "opensg: up in $t_kmd s (kernel $t_kernel, modules $t_modules, disk $t_disk, net $t_net, mgd $t_mgd, fxp0 $t_fxp0, fwdd $t_fwdd, kmd $t_kmd)"
