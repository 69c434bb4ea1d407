"""Build the OpenSG appliance image (docs/image.md).  Stdlib only.

Library behind images/build-image, tests/images/test_image.py and
bench/image/boot-stages.  From Debian packages only: Debian's stock kernel
(fetched by tests/vm/vmbuild.py with apt-get download, never installed on
the host), busybox-static, the ldd closure of OpenSG's binaries,
e2fsprogs' mke2fs and OpenSSH's sshd and ssh-keygen, and SYSLINUX +
mtools for the disk image.

  BUILD = $OPENSG_IMAGE_BUILD or <source>/build-image   (meson, -Dtests=false, release)
  OUT   = $OPENSG_IMAGE_OUT or BUILD/image
      opensg.img            raw disk image: MBR + FAT (SYSLINUX, vmlinuz, initrd.img)
      opensg.qcow2          the same, qcow2
      vmlinux               PVH ELF kernel, for -kernel boots (development)
      initramfs.cpio        uncompressed initramfs, for -kernel boots
      manifest.json         paths, sizes, kernel version, input hash
      modules-<package>-<hash>/   the kernel modules picked from the .deb (cache)

Everything is rebuilt only when an input changed (binaries, images/
files, the schema, the kernel package, this file).
"""
import fcntl
import gzip
import hashlib
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SRC, "tests", "vm"))
import vmbuild  # noqa: E402

ROOT = "/var/opensg"                 # mgd's ROOT in the guest (the config disk)
SHARE = "/usr/share/opensg"
SCHEMA = SHARE + "/schema"
FACTORY = SHARE + "/factory-default.conf"
CONFIG_LABEL = "opensg-config"       # ext4 label of the configuration disk
# acpi=noirq: PCI interrupts routed by the BIOS's $PIR table, not by the
# ACPI link devices, whose setup under TCG costs ~0.1 s per virtio device
# (docs/image.md "Boot time")
CMDLINE = "console=ttyS0,115200 panic=-1 quiet acpi=noirq"

# Loaded at boot with their dependencies (built-ins are skipped: af_packet
# is built into Debian's kernel).  ext4 wants a crc32c: the generic one
# (qemu64 has no SSE4.2 for crc32c_intel).
MODULES = ["virtio_pci", "virtio_net", "virtio_blk", "af_packet", "crc32c_generic", "ext4"]
# In the image, loaded on demand (modprobe): virtio_rng when qemu has a
# virtio-rng device (rc.boot looks), tun for tap-based tools.
EXTRA_MODULES = ["virtio_rng", "tun"]
DAEMONS = {"mgd": "mgd/mgd", "fwdd": "fwdd/fwdd", "kmd": "kmd/kmd", "cli": "cli/cli",
           "netconf": "mgd/netconf/netconf"}
# sshd's `netconf` subsystem (docs/netconf.md); the accounts' login shell
# (/etc/osg/login-shell) runs exactly this and nothing else
NETCONF_SUBSYSTEM = f"/usr/sbin/netconf --root {ROOT} --cli /usr/sbin/cli"
# OpenSSH from the host's Debian packages (openssh-server, openssh-client):
# NETCONF over SSH on fxp0 (images/rootfs/etc/osg/netconf-ssh)
OPENSSH = {"/usr/sbin/sshd": "/usr/sbin/sshd", "/usr/bin/ssh-keygen": "/usr/bin/ssh-keygen"}
HELPERS = {"osg-login": (["src/osg-login.c", "src/accounts.c"], ["-lcrypt"]),
           "osg-watch": (["src/osg-watch.c"], []),
           "osg-modload": (["src/osg-modload.c"], [])}
TERMINFO = ["vt100", "vt102", "vt220", "linux", "xterm", "xterm-256color", "screen", "dumb"]
TERMINFO_DIRS = ["/etc/terminfo", "/lib/terminfo", "/usr/share/terminfo"]
# initrd.img on the disk image, decompressed by the kernel (RD_* of Debian's
# config): none, gzip (Python's), or zstd/lz4/xz (their command-line tools)
COMPRESS = os.environ.get("OPENSG_IMAGE_COMPRESS", "gzip")
COMPRESSORS = {"zstd": ["zstd", "-q", "-19", "-T0", "-c"], "lz4": ["lz4", "-q", "-l", "-9", "-c"],
               "xz": ["xz", "-q", "--check=crc32", "-T1", "-c"]}


def log(msg):
    print(f"build-image: {msg}", file=sys.stderr, flush=True)


def run(argv, **kw):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}:\n{r.stderr.strip()}\n"
                           f"{r.stdout.strip()[-2000:]}")
    return r.stdout


def build_dir():
    return os.path.abspath(os.environ.get("OPENSG_IMAGE_BUILD") or os.path.join(SRC, "build-image"))


def out_dir(build=None):
    return os.path.abspath(os.environ.get("OPENSG_IMAGE_OUT") or
                           os.path.join(build or build_dir(), "image"))


# ---------------------------------------------------------------- binaries


def meson_build(build):
    """A plain release build of OpenSG without the tests (no sanitizers)."""
    if not os.path.exists(os.path.join(build, "build.ninja")):
        log(f"meson setup {build}")
        run(["meson", "setup", build, SRC, "-Dtests=false", "-Dbuildtype=release",
             "-Db_sanitize=none"])
    run(["meson", "compile", "-C", build])
    for rel in DAEMONS.values():
        if not os.access(os.path.join(build, rel), os.X_OK):
            raise RuntimeError(f"{build}/{rel} was not built")


def build_helpers(build):
    """images/src/*.c -> BUILD/images/ (cc; rebuilt when the source is newer)."""
    outd = os.path.join(build, "images")
    os.makedirs(outd, exist_ok=True)
    paths = {}
    for name, (srcs, libs) in HELPERS.items():
        exe = os.path.join(outd, name)
        srcs = [os.path.join(HERE, s) for s in srcs]
        deps = srcs + [s[:-2] + ".h" for s in srcs if os.path.exists(s[:-2] + ".h")]
        if not os.path.exists(exe) or any(os.path.getmtime(s) > os.path.getmtime(exe)
                                          for s in deps):
            run(["cc", "-O2", "-Wall", "-Wextra", "-D_FORTIFY_SOURCE=2", "-o", exe + ".tmp",
                 *srcs, *libs])
            os.replace(exe + ".tmp", exe)
        paths[name] = exe
    return paths


def compiled_paths(build):
    """The SCHEMA_DIR and FACTORY_CONF values compiled into the binaries
    (meson passes the source tree's paths; the image places symlinks there,
    next to the real files under /usr/share/opensg)."""
    with open(os.path.join(build, "compile_commands.json")) as f:
        cmds = json.load(f)
    found = {"SCHEMA_DIR": set(), "FACTORY_CONF": set()}
    for e in cmds:
        for w in e.get("command", "").split():
            w = w.strip("'")
            for k in found:
                if w.startswith(f"-D{k}="):
                    found[k].add(w.split("=", 1)[1].strip('"'))
    return found


# ---------------------------------------------------------------- kernel


def kernel_modules(m, out):
    """Copy the image's modules out of the kernel package (cached):
    returns (subset tree with modules.dep, boot load order)."""
    key = hashlib.sha256(" ".join(["v2"] + MODULES + ["|"] + EXTRA_MODULES).encode()).hexdigest()[:8]
    cache = os.path.join(out, f"modules-{m['package']}-{key}")
    order_path = os.path.join(cache, "order.json")
    if os.path.exists(order_path):
        with open(order_path) as f:
            return cache, json.load(f)
    kdir = os.path.dirname(m["bzimage"])
    debs = [f for f in os.listdir(kdir) if f.endswith(".deb")]
    if not debs:
        raise RuntimeError(f"no kernel package in {kdir}")
    tmp = tempfile.mkdtemp(prefix="unpack-", dir=out)
    try:
        log(f"unpacking {debs[0]} for its modules")
        run(["dpkg-deb", "-x", os.path.join(kdir, debs[0]), tmp])
        kver = m["kver"]
        # CPU-specific variants (crc32c-intel: SSE4.2) fail on qemu64: the
        # generic ones are in the list
        order = [o for o in vmbuild.module_order(tmp, kver, MODULES)
                 if not o[0].startswith("kernel/arch/x86/crypto/")]
        extra = [o for o in vmbuild.module_order(tmp, kver, EXTRA_MODULES) if o not in order]
        mroot = os.path.join(tmp, "lib", "modules", kver)
        staging = cache + ".tmp"
        shutil.rmtree(staging, ignore_errors=True)
        dst = os.path.join(staging, "lib", "modules", kver)
        for rel, _ in order + extra:
            os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
            shutil.copy(os.path.join(mroot, rel), os.path.join(dst, rel))
        for n in ("modules.builtin", "modules.order", "modules.builtin.modinfo"):
            if os.path.exists(os.path.join(mroot, n)):
                shutil.copy(os.path.join(mroot, n), os.path.join(dst, n))
        run(["depmod", "-b", staging, kver])
        with open(os.path.join(staging, "order.json"), "w") as f:
            json.dump(order, f)
        shutil.rmtree(cache, ignore_errors=True)
        os.replace(staging, cache)
        for n in os.listdir(out):  # earlier module lists
            if n.startswith("modules-") and os.path.join(out, n) != cache:
                shutil.rmtree(os.path.join(out, n), ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return cache, order


# ---------------------------------------------------------------- initramfs


def find_terminfo(name):
    for d in TERMINFO_DIRS:
        p = os.path.join(d, name[0], name)
        if os.path.exists(p):
            return p
    return None


def openssl_modules_dir():
    try:
        out = run(["openssl", "version", "-m"])
        return out.split('"')[1]
    except (RuntimeError, FileNotFoundError, IndexError):
        return "/usr/lib/x86_64-linux-gnu/ossl-modules"


def add_with_closure(c, guest, host, mode=0o755):
    c.copy(guest, os.path.realpath(host), mode)
    for gp, hp in vmbuild.ldd_closure(host).items():
        if gp not in c.seen:
            c.copy(gp, hp, 0o755)


def version_line(build, kver):
    v = "0.1.0"
    try:
        with open(os.path.join(build, "meson-info", "intro-projectinfo.json")) as f:
            v = json.load(f).get("version", v)
    except (OSError, ValueError):
        pass
    return v, f"--- OpenSG {v} Linux {kver} (built {time.strftime('%Y-%m-%d %H:%M')})\n"


def build_initramfs(build, helpers, m, modtree, order):
    c = vmbuild.Cpio()
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "etc/osg", "proc", "sys", "dev", "run",
              "var/log", "root", "mnt", "lib64", ROOT.lstrip("/")):
        c.dir(d)
    c.dir("/tmp", 0o1777)
    c.chardev("/dev/console", 5, 1)
    c.chardev("/dev/null", 1, 3, 0o666)
    c.chardev("/dev/ttyS0", 4, 64, 0o620)
    # busybox: init (as /init), the shell and the tools of the scripts
    c.copy("/bin/busybox", "/bin/busybox", 0o755)
    for applet in run(["/bin/busybox", "--list-full"]).split():
        if applet != "bin/busybox":
            c.symlink("/" + applet, "/bin/busybox")
    c.symlink("/init", "bin/busybox")
    # OpenSG, the helpers, mke2fs, with their ldd closures
    for name, rel in DAEMONS.items():
        add_with_closure(c, f"/usr/sbin/{name}", os.path.join(build, rel))
    for name, path in helpers.items():
        add_with_closure(c, f"/usr/sbin/{name}", path)
    mke2fs = shutil.which("mke2fs") or "/sbin/mke2fs"
    add_with_closure(c, "/usr/sbin/mke2fs", mke2fs)
    for guest, host in OPENSSH.items():
        if not os.access(host, os.X_OK):
            raise RuntimeError(f"{host} missing (apt-get install openssh-server)")
        add_with_closure(c, guest, host)
    if os.path.exists("/etc/ssh/moduli"):  # diffie-hellman-group-exchange
        c.copy("/etc/ssh/moduli", "/etc/ssh/moduli", 0o644)
    if os.path.exists("/etc/mke2fs.conf"):
        c.copy("/etc/mke2fs.conf", "/etc/mke2fs.conf", 0o644)
    # what ldd cannot see: OpenSSL's configuration and legacy provider (kmd
    # and fwdd load it for DES), the terminfo entries libedit reads
    if os.path.exists("/etc/ssl/openssl.cnf"):
        c.copy("/etc/ssl/openssl.cnf", "/etc/ssl/openssl.cnf", 0o644)
        c.symlink("/usr/lib/ssl/openssl.cnf", "/etc/ssl/openssl.cnf")
    mdir = openssl_modules_dir()
    for prov in ("legacy.so",):
        p = os.path.join(mdir, prov)
        if not os.path.exists(p):
            raise RuntimeError(f"{p} missing (libssl3)")
        add_with_closure(c, p, p)
    for t in TERMINFO:
        p = find_terminfo(t)
        if p:
            c.copy(f"/usr/share/terminfo/{t[0]}/{t}", os.path.realpath(p), 0o644)
    # the schema and the factory default, where the binaries look
    for top, dirs, files in os.walk(os.path.join(SRC, "schema")):
        rel = os.path.relpath(top, os.path.join(SRC, "schema"))
        for n in sorted(files):
            if n.endswith(".xsd"):
                c.copy(os.path.normpath(os.path.join(SCHEMA, rel, n)), os.path.join(top, n), 0o644)
    c.copy(FACTORY, os.path.join(SRC, "mgd", "factory-default.conf"), 0o644)
    paths = compiled_paths(build)
    for p in paths["SCHEMA_DIR"]:
        if p != SCHEMA and p not in c.seen:
            c.symlink(p, SCHEMA)
    for p in paths["FACTORY_CONF"]:
        if p != FACTORY and p not in c.seen:
            c.symlink(p, FACTORY)
    # kernel modules
    kver = m["kver"]
    c.tree(f"/lib/modules/{kver}", os.path.join(modtree, "lib", "modules", kver))
    c.file("/etc/osg/modules", "".join(f"{rel} {params}\n" for rel, params in order))
    # the scripts (images/rootfs) and generated files
    rootfs = os.path.join(HERE, "rootfs")
    for top, dirs, files in os.walk(rootfs):
        rel = os.path.relpath(top, rootfs)
        for n in sorted(files):
            c.copy(os.path.normpath(os.path.join("/", rel, n)), os.path.join(top, n))
    version, motd = version_line(build, kver)
    c.file("/etc/osg/image.conf",
           f"# written by images/imagebuild.py\nROOT={ROOT}\nSCHEMA={SCHEMA}\n"
           f"CONFIG_LABEL={CONFIG_LABEL}\nVERSION={version}\n"
           f"NETCONF_SUBSYSTEM='{NETCONF_SUBSYSTEM}'\n")
    c.file("/etc/osg/motd", motd)
    # rewritten from the configuration at each commit and login (osg-login)
    c.file("/etc/passwd", "root:x:0:0:root:/root:/etc/osg/login-shell\n"
           "sshd:x:74:65534:sshd privilege separation:/run/sshd:/bin/false\n")
    c.file("/etc/group", "root:x:0:\nnogroup:x:65534:\n")
    c.file("/etc/shadow", "root:!:::::::\nsshd:!:::::::\n", 0o600)
    c.file("/etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files\n")
    c.file("/etc/hosts", "127.0.0.1 localhost\n")
    c.file("/etc/os-release", f'NAME="OpenSG"\nID=opensg\nVERSION_ID="{version}"\n'
           f'PRETTY_NAME="OpenSG {version}"\n')
    return c.finish()


# ---------------------------------------------------------------- disk image

SECTOR = 512
PART_START = 2048  # sectors: the FAT partition starts at 1 MiB


def disk_image(out, files, cmdline):
    """MBR (SYSLINUX's mbr.bin) + one active FAT partition with SYSLINUX,
    built in a file with mtools (no mounts, no root).  `files`: {name:
    host path}.  Returns the raw image's path."""
    mbr_bin = next((p for p in ("/usr/lib/syslinux/mbr/mbr.bin", "/usr/lib/SYSLINUX/mbr.bin")
                    if os.path.exists(p)), None)
    ldlinux_c32 = "/usr/lib/syslinux/modules/bios/ldlinux.c32"
    for tool in ("mformat", "mcopy", "syslinux"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} missing (apt-get install mtools syslinux syslinux-common)")
    if mbr_bin is None:
        raise RuntimeError("SYSLINUX's mbr.bin missing (apt-get install syslinux-common)")
    cfg = os.path.join(out, "syslinux.cfg")
    with open(cfg, "w") as f:
        f.write("# OpenSG appliance (images/imagebuild.py)\nSERIAL 0 115200\nPROMPT 0\n"
                "TIMEOUT 0\nDEFAULT opensg\nLABEL opensg\n  KERNEL /vmlinuz\n"
                f"  INITRD /initrd.img\n  APPEND {cmdline}\n")
    files = dict(files, **{"syslinux.cfg": cfg})
    payload = sum(os.path.getsize(p) for p in files.values())
    fat_bytes = (payload + (4 << 20)) // (1 << 20) * (1 << 20)  # + 4 MiB, whole MiB
    fat_bytes = max(fat_bytes, 32 << 20)
    fat_sectors = fat_bytes // SECTOR
    raw = os.path.join(out, "opensg.img.tmp")
    with open(raw, "wb") as f:
        f.truncate(PART_START * SECTOR + fat_bytes)
    img = f"{raw}@@{PART_START * SECTOR}"
    run(["mformat", "-i", img, "-T", str(fat_sectors), "-h", "64", "-s", "32",
         "-H", str(PART_START), "-v", "OPENSG", "::"])
    run(["syslinux", "--offset", str(PART_START * SECTOR), "--install", raw])
    if os.path.exists(ldlinux_c32) and "LDLINUX.C32" not in run(["mdir", "-a", "-b", "-i", img, "::"]).upper():
        run(["mcopy", "-i", img, ldlinux_c32, "::ldlinux.c32"])
    for name, path in files.items():
        run(["mcopy", "-o", "-i", img, path, f"::{name}"])
    with open(raw, "r+b") as f:
        f.seek(PART_START * SECTOR)
        vbr = f.read(SECTOR)
        ptype = 0x0C if vbr[82:87] == b"FAT32" else 0x0E if vbr[54:59] == b"FAT16" else 0x01
        with open(mbr_bin, "rb") as mb:
            code = mb.read(440)
        entry = struct.pack("<B3sB3sII", 0x80, b"\xfe\xff\xff", ptype, b"\xfe\xff\xff",
                            PART_START, fat_sectors)
        f.seek(0)
        f.write(code.ljust(440, b"\0") + b"OSG\0" + b"\0\0" + entry + b"\0" * 48 + b"\x55\xaa")
    final = os.path.join(out, "opensg.img")
    os.replace(raw, final)
    return final


# ---------------------------------------------------------------- build


def input_hash(build, helpers, m, order):
    h = hashlib.sha256()
    with open(os.path.abspath(__file__), "rb") as f:
        h.update(f.read())
    paths = [os.path.join(build, r) for r in DAEMONS.values()] + list(helpers.values())
    paths += ["/bin/busybox", os.path.join(SRC, "mgd", "factory-default.conf")]
    paths += list(OPENSSH.values())
    for base in (os.path.join(HERE, "rootfs"), os.path.join(SRC, "schema")):
        for top, _, files in os.walk(base):
            paths += [os.path.join(top, n) for n in files]
    for p in sorted(paths):
        st = os.stat(p)
        h.update(f"{p} {st.st_size} {st.st_mtime_ns} {stat.S_IMODE(st.st_mode)}\n".encode())
    h.update(json.dumps([m["package"], order, COMPRESS, CMDLINE]).encode())
    return h.hexdigest()[:16]


def build(force=False, build=None, compile=True):
    """Build (or find up to date) the image; return the manifest."""
    # a wrong compressor is said before minutes of building, not after
    if COMPRESS not in ("none", "gzip") and COMPRESS not in COMPRESSORS:
        raise RuntimeError(f"OPENSG_IMAGE_COMPRESS={COMPRESS}: none, gzip, zstd, lz4 or xz")
    if COMPRESS in COMPRESSORS and shutil.which(COMPRESSORS[COMPRESS][0]) is None:
        raise RuntimeError(f"OPENSG_IMAGE_COMPRESS={COMPRESS}: the {COMPRESS} command is not "
                           f"installed (apt-get install {COMPRESS})")
    build = os.path.abspath(build or build_dir())
    out = out_dir(build)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # tests and benches in parallel build once
        t0 = time.monotonic()
        if compile and not os.environ.get("OPENSG_IMAGE_NO_COMPILE"):
            meson_build(build)
        helpers = build_helpers(build)
        try:
            m = vmbuild.build()  # the kernel (apt-get download), shared with tests/vm
        except RuntimeError as e:
            raise RuntimeError(f"kernel: {e}") from None
        modtree, order = kernel_modules(m, out)
        ihash = input_hash(build, helpers, m, order)
        mpath = os.path.join(out, "manifest.json")
        if not force and os.path.exists(mpath):
            with open(mpath) as f:
                man = json.load(f)
            if man.get("hash") == ihash and all(os.path.exists(man[k]) for k in
                                                ("raw", "qcow2", "kernel", "initramfs")):
                return man
        log("building the initramfs")
        data = build_initramfs(build, helpers, m, modtree, order)
        initramfs = os.path.join(out, "initramfs.cpio")
        with open(initramfs + ".tmp", "wb") as f:
            f.write(data)
        os.replace(initramfs + ".tmp", initramfs)
        initrd = os.path.join(out, "initrd.img")
        if COMPRESS == "gzip":
            with open(initrd + ".tmp", "wb") as f:
                f.write(gzip.compress(data, compresslevel=6, mtime=0))
            os.replace(initrd + ".tmp", initrd)
        elif COMPRESS in COMPRESSORS:
            with open(initramfs, "rb") as fin, open(initrd + ".tmp", "wb") as fout:
                subprocess.run(COMPRESSORS[COMPRESS], stdin=fin, stdout=fout, check=True)
            os.replace(initrd + ".tmp", initrd)
        else:  # "none" (build() checked the name)
            shutil.copy(initramfs, initrd)
        vmlinux = os.path.join(out, "vmlinux")
        vmlinuz = os.path.join(out, "vmlinuz")
        for src, dst in ((m["kernel"], vmlinux), (m["bzimage"], vmlinuz)):
            if not (os.path.exists(dst) and os.path.getsize(dst) == os.path.getsize(src)
                    and os.path.getmtime(dst) >= os.path.getmtime(src)):
                shutil.copy(src, dst + ".tmp")
                os.replace(dst + ".tmp", dst)
        log("building the disk image")
        raw = disk_image(out, {"vmlinuz": vmlinuz, "initrd.img": initrd}, CMDLINE)
        qcow2 = os.path.join(out, "opensg.qcow2")
        run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow2 + ".tmp"])
        os.replace(qcow2 + ".tmp", qcow2)
        man = {
            "hash": ihash, "raw": raw, "qcow2": qcow2, "kernel": vmlinux, "pvh": m["pvh"],
            "bzimage": vmlinuz, "initramfs": initramfs, "initrd": initrd, "cmdline": CMDLINE,
            "kver": m["kver"], "package": m["package"], "modules": order,
            "sizes": {k: os.path.getsize(p) for k, p in (
                ("raw", raw), ("qcow2", qcow2), ("vmlinuz", vmlinuz), ("initramfs", initramfs),
                ("initrd", initrd))},
            "built": time.strftime("%Y-%m-%d %H:%M:%S"),
            "build_seconds": round(time.monotonic() - t0, 1),
        }
        with open(mpath + ".tmp", "w") as f:
            json.dump(man, f, indent=1)
        os.replace(mpath + ".tmp", mpath)
        log(f"built {raw} ({man['sizes']['raw'] >> 20} MiB raw, "
            f"{man['sizes']['qcow2'] >> 20} MiB qcow2; initramfs "
            f"{man['sizes']['initramfs'] >> 20} MiB) in {man['build_seconds']} s")
        return man
