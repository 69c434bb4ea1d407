"""Build the test guest: Debian's stock kernel and a busybox initramfs.

Library behind tests/vm/build-guest and tests/vm/guest.py (stdlib only).
docs/vm-guest.md describes the guest; in short:

  CACHE/<kernel package>_<version>/
      linux-image-*.deb        the package, fetched with apt-get download
      vmlinux                  the ELF kernel (PVH entry) extracted from...
      vmlinuz                  ...the bzImage (used when extraction fails)
      initramfs-<hash>.cpio    uncompressed newc: busybox, ip, modules, /init
      guest-<hash>.json        the manifest guest.py reads

CACHE is $OPENSG_VM_CACHE or <source>/build/vm-cache.  <hash> covers this
file, the module list and the host binaries copied in, so a change to any
of them builds a new initramfs next to the old one.  The kernel is never
installed on the host: the .deb is unpacked in a temporary directory under
the cache and removed once the kernel and the modules are copied out.
"""
import fcntl
import hashlib
import json
import lzma
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
META = "linux-image-amd64"

# Modules the guest loads at boot (their dependencies come from modprobe
# --show-depends; built-in ones are skipped): the NIC, XFRM netlink, ESP
# and the algorithms IKE daemons propose, dummy for the LAN address.
# Each insmod costs ~30 ms under TCG.
MODULES = [
    "virtio_pci", "virtio_net", "af_packet", "dummy",
    "xfrm_algo", "xfrm_user", "esp4", "esp6", "ah4",
    "authenc", "authencesn", "cbc", "ctr", "gcm", "ghash_generic",
    "des_generic", "aes_generic", "sha1_generic", "sha256_generic", "sha512_generic",
    "md5", "hmac", "xcbc", "cmac", "echainiv", "seqiv", "chacha20poly1305", "crypto_null",
    "drbg",  # stdrng: the ESP IV generators need it (without it "ip xfrm
    # state add" fails: "Kernel was unable to initialize cryptographic
    # operations").  jitterentropy_rng fails its self-test under TCG; the
    # DRBG goes on without it.
]
# Also in the image, loaded on demand (osg.mods=a,b on the command line,
# modprobe in a script, or the kernel's own request_module: `ip link add
# ... type veth` loads veth): 9p is loaded when osg.share is given.
EXTRA_MODULES = [
    "xfrm_interface", "xfrm4_tunnel", "xfrm6_tunnel", "ip_vti", "af_key", "ccm",
    "tun", "veth", "bridge", "9p", "9pnet_virtio",
]
PARAMS = {"dummy": "numdummies=0"}

# Host binaries copied with their ldd closure (a later test adds its own in
# an overlay: guest.py Guest(binaries=...)).  /bin/sh is dash, not busybox
# ash: Debian's busybox-static runs its own applets before looking at PATH
# (FEATURE_SH_STANDALONE), so `ip` in an ash script would be busybox's ip,
# which has no `xfrm` (nor would libreswan's _updown get iproute2).
BINARIES = {"/bin/ip": ["/usr/bin/ip", "/bin/ip", "/sbin/ip", "/usr/sbin/ip"],
            "/bin/sh": ["/usr/bin/dash", "/bin/dash"]}
HOST_FILES = ["/etc/iproute2"]


def log(msg):
    print(f"build-guest: {msg}", file=sys.stderr, flush=True)


def cache_root():
    return os.environ.get("OPENSG_VM_CACHE") or os.path.join(SRC, "build", "vm-cache")


def run(argv, **kw):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


# ---------------------------------------------------------------- cpio newc


class Cpio:
    """An uncompressed newc archive built in memory (no mknod, no root
    needed).  Archives may be concatenated: the kernel unpacks them in
    order, later files replacing earlier ones."""

    def __init__(self):
        self.out = bytearray()
        self.ino = 1000
        self.seen = set()

    def _entry(self, name, mode, data=b"", nlink=1, rdev=(0, 0)):
        name = name.lstrip("/")
        self.ino += 1
        hdr = "070701" + "".join("%08X" % v for v in (
            self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1],
            len(name) + 1, 0))
        self.out += hdr.encode() + name.encode() + b"\0"
        self.out += b"\0" * (-len(self.out) % 4)
        self.out += data
        self.out += b"\0" * (-len(self.out) % 4)

    def dir(self, path, mode=0o755):
        path = "/" + path.strip("/")
        if path == "/" or path in self.seen:
            return
        self.dir(os.path.dirname(path))
        self.seen.add(path)
        self._entry(path, stat.S_IFDIR | mode, nlink=2)

    def file(self, path, data, mode=0o644):
        if isinstance(data, str):
            data = data.encode()
        self.dir(os.path.dirname(path))
        self.seen.add(path)
        self._entry(path, stat.S_IFREG | mode, bytes(data))

    def copy(self, path, src, mode=None):
        with open(src, "rb") as f:
            data = f.read()
        if mode is None:
            mode = stat.S_IMODE(os.stat(src).st_mode)
        self.file(path, data, mode)

    def symlink(self, path, target):
        self.dir(os.path.dirname(path))
        self.seen.add(path)
        self._entry(path, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, path, major, minor, mode=0o600):
        self.dir(os.path.dirname(path))
        self.seen.add(path)
        self._entry(path, stat.S_IFCHR | mode, rdev=(major, minor))

    def tree(self, path, src):
        """Copy a host directory (files, directories, symlinks)."""
        for top, dirs, files in os.walk(src):
            rel = os.path.relpath(top, src)
            dst = os.path.normpath(os.path.join(path, rel))
            self.dir(dst)
            for n in sorted(dirs + files):
                p = os.path.join(top, n)
                if os.path.islink(p):
                    self.symlink(os.path.join(dst, n), os.readlink(p))
                elif os.path.isfile(p):
                    self.copy(os.path.join(dst, n), p)

    def finish(self):
        self._entry("TRAILER!!!", 0)
        self.out += b"\0" * (-len(self.out) % 512)
        return bytes(self.out)


def ldd_closure(path):
    """The shared objects `path` loads (from ldd), as {guest path: host file}."""
    out = run(["ldd", path])
    libs = {}
    for line in out.splitlines():
        line = line.strip()
        m = re.match(r"\S+ => (/\S+) \(", line) or re.match(r"(/\S+) \(", line)
        if m:
            libs[m.group(1)] = os.path.realpath(m.group(1))
    return libs


def add_binary(cpio, guest_path, host_path):
    """Copy a host binary and its ldd closure into the archive."""
    cpio.copy(guest_path, os.path.realpath(host_path), 0o755)
    for gp, hp in ldd_closure(host_path).items():
        if gp not in cpio.seen:
            cpio.copy(gp, hp, 0o755)


# ---------------------------------------------------------------- kernel


def resolve_kernel(root):
    """(package, version) of the kernel linux-image-amd64 points to, or
    of $OPENSG_VM_KERNEL_DEB; None when apt knows nothing.  apt-cache takes
    ~1.5 s here (no pkgcache.bin): the answer is remembered in the cache
    until /var/lib/apt/lists changes (apt-get update)."""
    deb = os.environ.get("OPENSG_VM_KERNEL_DEB")
    if deb:
        pkg = run(["dpkg-deb", "-f", deb, "Package"]).strip()
        ver = run(["dpkg-deb", "-f", deb, "Version"]).strip()
        return pkg, ver
    memo = os.path.join(root, "resolved.json")
    try:
        stamp = os.stat("/var/lib/apt/lists").st_mtime_ns
    except OSError:
        stamp = None
    try:
        with open(memo) as f:
            m = json.load(f)
        if stamp is not None and m["stamp"] == stamp:
            return m["package"], m["version"]
    except (OSError, ValueError, KeyError):
        pass
    m = None
    for attempt in range(2):
        try:
            show = run(["apt-cache", "show", "--no-all-versions", META])
            m = re.search(r"^Depends:.*?(linux-image-[^\s,]+) \(= ([^)\s]+)\)", show, re.M)
        except (RuntimeError, FileNotFoundError):
            pass
        if m or attempt or os.geteuid() != 0 or any(
                d.startswith("linux-image-") for d in os.listdir(root)):
            break
        log("apt knows no kernel: apt-get update")  # empty lists (fresh container)
        subprocess.run(["apt-get", "update", "-qq"], stdout=subprocess.DEVNULL)
        try:
            stamp = os.stat("/var/lib/apt/lists").st_mtime_ns
        except OSError:
            stamp = None
    if not m:
        return None
    pkg, ver = m.group(1), m.group(2)
    with open(memo + ".tmp", "w") as f:
        json.dump({"stamp": stamp, "package": pkg, "version": ver}, f)
    os.replace(memo + ".tmp", memo)
    return pkg, ver


def extract_vmlinux(bzimage):
    """The ELF vmlinux inside a bzImage, or None.  Only worth it when the
    ELF has a PVH entry note (qemu then jumps straight into it, skipping
    the decompressor: ~4 s under TCG)."""
    b = bzimage
    if b[0x202:0x206] != b"HdrS":
        return None
    setup_sects = b[0x1F1] or 4
    off, length = struct.unpack_from("<II", b, 0x248)
    pm = (setup_sects + 1) * 512
    payload = b[pm + off:pm + off + length]
    elf = None
    try:
        if payload.startswith(b"\xfd7zXZ\x00"):
            elf = lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(payload)
        elif payload.startswith(b"\x1f\x8b"):
            elf = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(payload)
        elif payload.startswith(b"\x28\xb5\x2f\xfd") and shutil.which("zstd"):
            elf = subprocess.run(["zstd", "-dcq"], input=payload, stdout=subprocess.PIPE,
                                 check=True).stdout
        elif payload.startswith(b"\x5d\x00\x00"):
            elf = lzma.LZMADecompressor(lzma.FORMAT_ALONE).decompress(payload)
    except (lzma.LZMAError, zlib.error, subprocess.CalledProcessError):
        return None
    if not elf or elf[:4] != b"\x7fELF" or not has_pvh_note(elf):
        return None
    return elf


def has_pvh_note(elf):
    """True when a PT_NOTE of the ELF64 holds Xen note 18 (PHYS32_ENTRY)."""
    if elf[4] != 2:
        return False
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", elf, phoff + i * phentsize)
        if p_type != 4:
            continue
        pos, end = p_offset, p_offset + p_filesz
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
            name = elf[pos + 12:pos + 12 + namesz].rstrip(b"\0")
            if name == b"Xen" and ntype == 18:
                return True
            pos += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return False


def module_order(tree, kver, names):
    """Load order of `names` and their dependencies: [(relative path,
    params)], from depmod + modprobe --show-depends on the unpacked tree
    (never the host's configuration)."""
    run(["depmod", "-b", tree, kver])
    noconf = os.path.join(tree, "no-modprobe.d")
    os.makedirs(noconf, exist_ok=True)
    base = os.path.join(tree, "lib", "modules", kver) + "/"
    order, missing = [], []
    for name in names:
        r = subprocess.run(["modprobe", "-C", noconf, "-d", tree, "-S", kver,
                            "--show-depends", name],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            missing.append(name)
            continue
        for line in r.stdout.splitlines():
            w = line.split()
            if w and w[0] == "insmod":
                rel = w[1][len(base):] if w[1].startswith(base) else None
                if rel is None:
                    raise RuntimeError(f"unexpected module path {w[1]}")
                if rel not in [o[0] for o in order]:
                    mod = os.path.basename(rel).split(".")[0].replace("-", "_")
                    order.append((rel, PARAMS.get(mod, " ".join(w[2:]))))
    if missing:
        log(f"not in this kernel (skipped): {' '.join(missing)}")
    return order


# ---------------------------------------------------------------- /init

INIT = r"""#!/bin/sh
# /init of the OpenSG test guest (tests/vm/vmbuild.py; docs/vm-guest.md).
export PATH=/usr/local/sbin:/usr/local/bin:/sbin:/usr/sbin:/bin:/usr/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /run /tmp /var/run
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
hostname osg-guest
say() { echo "osg-guest: $*"; }

# osg.KEY=VALUE words of the kernel command line -> $osg_KEY
for w in $(cat /proc/cmdline); do
    case "$w" in
    osg.*=*) k=${w%%=*}; k=${k#osg.}; v=${w#*=}
             case "$k" in *[!a-z0-9_]*) continue;; esac
             eval "osg_$k=\$v";;
    esac
done

t0=$(cut -d' ' -f1 /proc/uptime)
while read -r mod params; do
    [ -n "$mod" ] || continue
    insmod "/lib/modules/$(uname -r)/$mod" $params 2>/tmp/insmod.err ||
        say "insmod $mod failed: $(cat /tmp/insmod.err)"
done < /etc/osg/modules
IFS=,
for m in $osg_mods; do modprobe "$m" || say "modprobe $m failed"; done
unset IFS

ip link set lo up
[ -n "$osg_mtu" ] && ip link set eth0 mtu "$osg_mtu"
ip link set eth0 up 2>/dev/null || say "no eth0"
IFS=,
for a in $osg_addr; do
    case "$a" in
    *:*) ip -6 addr add "$a" dev eth0 nodad;;
    *) ip addr add "$a" dev eth0;;
    esac || say "address $a failed"
done
[ -n "$osg_gw" ] && { ip route add default via "$osg_gw" || say "route via $osg_gw failed"; }
[ -n "$osg_gw6" ] && { ip -6 route add default via "$osg_gw6" || say "route via $osg_gw6 failed"; }
if [ -n "$osg_lan" ]; then
    ip link add osglan type dummy && ip link set osglan up
    for a in $osg_lan; do
        case "$a" in
        *:*) ip -6 addr add "$a" dev osglan nodad;;
        *) ip addr add "$a" dev osglan;;
        esac || say "LAN address $a failed"
    done
fi
for a in $osg_addr; do
    case "$a" in *:*) ;; *) arping -q -U -c 1 -I eth0 "${a%/*}" >/dev/null 2>&1 & ;; esac
done
unset IFS
if [ -n "$osg_share" ]; then
    modprobe 9pnet_virtio && modprobe 9p || say "9p modules failed"
    mkdir -p /mnt/host
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 "$osg_share" /mnt/host ||
        say "9p mount of $osg_share failed"
fi

# Command agent on the second serial port (guest.py Guest.run).  Request:
# one line "ID TIMEOUT BASE64(shell text)"; reply: "OSG-R ID RC", the
# output in base64 lines, "OSG-E ID".
agent() {
    exec 3<>/dev/ttyS1
    while read -r id tmo b64 <&3; do
        case "$id$tmo" in ""|*[!A-Za-z0-9]*) continue;; esac
        f=/tmp/osg-agent/$id
        echo "$b64" | base64 -d > "$f.sh"
        timeout "$tmo" /bin/sh "$f.sh" </dev/null >"$f.out" 2>&1 3>&-
        rc=$?
        { printf '\nOSG-R %s %s\n' "$id" "$rc"; base64 "$f.out"; printf 'OSG-E %s\n' "$id"; } >&3
        rm -f "$f.sh" "$f.out"
    done
}
if [ "$osg_agent" = 1 ]; then
    stty -F /dev/ttyS1 raw -echo || say "stty ttyS1 failed"
    mkdir -p /tmp/osg-agent
    agent &
fi

t1=$(cut -d' ' -f1 /proc/uptime)
# markers start a line of their own (SeaBIOS leaves "Booting from ROM.." open)
printf '\nOSG-READY-%s up=%ss init=%ss\n' "$osg_nonce" "$t0" "$t1"
script=${osg_script:-/osg/script}
if [ -f "$script" ]; then
    sh "$script"
    rc=$?
elif [ "$osg_agent" = 1 ]; then
    # the guest idles while its agent serves the test; the test stops qemu
    while :; do sleep 3600; done
else
    rc=0
fi
printf '\nOSG-EXIT-%s rc=%s\n' "$osg_nonce" "$rc"
sync
poweroff -f
"""


def build_initramfs(tree, kver, order, extra, out_path):
    c = Cpio()
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "etc/osg", "proc", "sys", "dev", "tmp",
              "run", "var", "root", "mnt", "osg", "lib64"):
        c.dir(d)
    c.chardev("/dev/console", 5, 1)
    c.chardev("/dev/null", 1, 3, 0o666)
    # busybox and its applets (the real ip replaces busybox's)
    c.copy("/bin/busybox", "/bin/busybox", 0o755)
    replaced = {os.path.basename(p) for p in BINARIES}
    for applet in run(["/bin/busybox", "--list-full"]).split():
        if os.path.basename(applet) in replaced or applet == "bin/busybox":
            continue
        c.symlink("/" + applet, "/bin/busybox")
    for guest_path, candidates in BINARIES.items():
        host = next((p for p in candidates if os.path.exists(p)), None)
        if host is None:
            raise RuntimeError(f"none of {candidates} exists (iproute2 installed?)")
        add_binary(c, guest_path, host)
    c.symlink("/sbin/ip", "/bin/ip")
    c.symlink("/bin/dash", "sh")
    for p in HOST_FILES:
        if os.path.isdir(p):
            c.tree(p, p)
    c.file("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
    c.file("/etc/group", "root:x:0:\n")
    c.file("/etc/hosts", "127.0.0.1 localhost osg-guest\n")
    # modules: the load order, and a modules.dep so that modprobe works too
    mroot = os.path.join(tree, "lib", "modules", kver)
    sub = os.path.join(tree, "subset")
    for rel, _ in order + extra:
        os.makedirs(os.path.dirname(os.path.join(sub, "lib/modules", kver, rel)), exist_ok=True)
        shutil.copy(os.path.join(mroot, rel), os.path.join(sub, "lib/modules", kver, rel))
    for n in ("modules.builtin", "modules.order", "modules.builtin.modinfo"):
        if os.path.exists(os.path.join(mroot, n)):
            shutil.copy(os.path.join(mroot, n), os.path.join(sub, "lib/modules", kver, n))
    run(["depmod", "-b", sub, kver])
    c.tree(f"/lib/modules/{kver}", os.path.join(sub, "lib/modules", kver))
    c.file("/etc/osg/modules", "".join(f"{rel} {params}\n" for rel, params in order))
    c.file("/init", INIT, 0o755)
    data = c.finish()
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, out_path)


def content_hash(modules, extra):
    h = hashlib.sha256()
    with open(os.path.abspath(__file__), "rb") as f:
        h.update(f.read())
    h.update(" ".join(modules).encode() + b"|" + " ".join(extra).encode())
    for candidates in BINARIES.values():
        for p in candidates:
            if os.path.exists(p):
                st = os.stat(os.path.realpath(p))
                h.update(f"{p} {st.st_size} {st.st_mtime_ns}".encode())
                break
    st = os.stat("/bin/busybox")
    h.update(f"busybox {st.st_size} {st.st_mtime_ns}".encode())
    return h.hexdigest()[:12]


def build(modules=None, extra=None, force=False):
    """Build (or find in the cache) the guest; return its manifest:
    {"kernel": vmlinux (PVH) or bzImage, "pvh": bool, "bzimage": path,
    "initramfs": path, "kver": ..., "modules": [[path, params], ...], ...}."""
    modules = list(modules or MODULES)
    extra = list(EXTRA_MODULES if extra is None else extra)
    for tool in ("/bin/busybox", shutil.which("depmod") or "/sbin/depmod", shutil.which("ldd")):
        if not tool or not os.path.exists(tool):
            raise RuntimeError(f"missing {tool}: install busybox-static, kmod, libc-bin")
    root = cache_root()
    os.makedirs(root, exist_ok=True)
    resolved = resolve_kernel(root)
    if resolved is None:  # no apt lists: the newest cached kernel
        cached = sorted((d for d in os.listdir(root) if d.startswith("linux-image-")),
                        key=lambda d: os.path.getmtime(os.path.join(root, d)))
        if not cached:
            raise RuntimeError(f"cannot resolve {META} (apt-get update?) and nothing cached")
        key = cached[-1]
    else:
        key = "%s_%s" % resolved
    kdir = os.path.join(root, key)
    os.makedirs(kdir, exist_ok=True)
    chash = content_hash(modules, extra)
    manifest_path = os.path.join(kdir, f"guest-{chash}.json")
    with open(os.path.join(kdir, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent tests build once
        if os.path.exists(manifest_path) and not force:
            with open(manifest_path) as f:
                m = json.load(f)
            if all(os.path.exists(m[k]) for k in ("kernel", "bzimage", "initramfs")):
                return m
        t0 = time.monotonic()
        debs = [f for f in os.listdir(kdir) if f.endswith(".deb")]
        if os.environ.get("OPENSG_VM_KERNEL_DEB"):
            deb = os.path.abspath(os.environ["OPENSG_VM_KERNEL_DEB"])
        elif debs:
            deb = os.path.join(kdir, debs[0])
        else:
            pkg, ver = resolved
            log(f"fetching {pkg} {ver}")
            run(["apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", f"{pkg}={ver}"],
                cwd=kdir)
            deb = os.path.join(kdir, next(f for f in os.listdir(kdir) if f.endswith(".deb")))
        tree = tempfile.mkdtemp(prefix="unpack-", dir=kdir)
        try:
            log(f"unpacking {os.path.basename(deb)}")
            run(["dpkg-deb", "-x", deb, tree])
            kvers = os.listdir(os.path.join(tree, "lib", "modules"))
            if len(kvers) != 1:
                raise RuntimeError(f"expected one kernel in {deb}: {kvers}")
            kver = kvers[0]
            vmlinuz = os.path.join(kdir, "vmlinuz")
            shutil.copy(os.path.join(tree, "boot", f"vmlinuz-{kver}"), vmlinuz)
            shutil.copy(os.path.join(tree, "boot", f"config-{kver}"), os.path.join(kdir, "config"))
            vmlinux = os.path.join(kdir, "vmlinux")
            if not os.path.exists(vmlinux):
                with open(vmlinuz, "rb") as f:
                    elf = extract_vmlinux(f.read())
                if elf:
                    with open(vmlinux + ".tmp", "wb") as f:
                        f.write(elf)
                    os.replace(vmlinux + ".tmp", vmlinux)
                else:
                    log("no PVH vmlinux in the bzImage: booting the bzImage")
            order = module_order(tree, kver, modules)
            extra_order = [o for o in module_order(tree, kver, extra) if o not in order]
            initramfs = os.path.join(kdir, f"initramfs-{chash}.cpio")
            build_initramfs(tree, kver, order, extra_order, initramfs)
        finally:
            shutil.rmtree(tree, ignore_errors=True)
        pvh = os.path.exists(vmlinux)
        m = {"kernel": vmlinux if pvh else vmlinuz, "pvh": pvh, "bzimage": vmlinuz,
             "initramfs": initramfs, "kver": kver, "package": key, "modules": order,
             "extra_modules": extra_order,
             "built": time.strftime("%Y-%m-%d %H:%M:%S"),
             "build_seconds": round(time.monotonic() - t0, 1)}
        with open(manifest_path + ".tmp", "w") as f:
            json.dump(m, f, indent=1)
        os.replace(manifest_path + ".tmp", manifest_path)
        for name in os.listdir(kdir):  # earlier builds, interrupted unpacks
            if name.startswith("unpack-") or (
                    name.startswith(("initramfs-", "guest-")) and chash not in name):
                p = os.path.join(kdir, name)
                shutil.rmtree(p) if os.path.isdir(p) else os.unlink(p)
        log(f"built {key} in {m['build_seconds']} s: {initramfs} "
            f"({os.path.getsize(initramfs) >> 10} KiB, {len(order)} modules loaded at boot, "
            f"{len(extra_order)} on demand)")
        return m
