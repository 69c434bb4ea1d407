#!/usr/bin/env python3
"""The appliance image (images/, docs/image.md), end to end, under qemu
(TCG) with the NICs on taps in a network namespace made here:

  namespace osgimg<tag>                       appliance (qemu)
  tfxp 10.0.2.1/24       <--virtio-->  eth0 = fxp0      (management, kernel)
  tge0 10.1.1.1/24       <--virtio-->  eth1 = ge-0/0/0  (fwdd, AF_PACKET)

1. build: images/imagebuild.build() (meson build-image/, kernel, initramfs,
   disk image raw + qcow2);
2. first boot from the qcow2 image (an overlay: the image stays unchanged)
   with a blank raw configuration disk: formatted at boot, mgd/fwdd/kmd up,
   no module or daemon failure on the console; `login:`, root logs in
   without a password (factory default); `show version`; configure host
   name vm1, fxp0 10.0.2.15/24, ge-0/0/0 10.1.1.254/24, a root password and
   a super-user `admin` with a password;
   commit; the prompt follows the host name; the namespace pings fxp0 (the
   kernel, configured by the commit hook) and ge-0/0/0 (fwdd); `request
   system power-off` -> qemu exits;
3. on the host, the configuration disk is a clean ext4 whose
   db/history/index names rollback 0, and `debugfs -R 'cat ...'` of that
   file holds the committed statements;
4. second boot, from the raw image (overlay again), same configuration
   disk, qemu without -no-reboot: no formatting; a wrong root password is
   refused; user admin logs in with its password and leaves, root logs in
   with the right one; `show configuration system host-name`
   is vm1; fxp0 answers at its address from boot; `request system reboot`
   reboots the guest (a new `login:`), then `request system power-off`;
5. a boot without any configuration disk (-kernel, PVH: faster) warns at
   the login prompt and after login that changes will not persist, and
   runs the factory default.

Prints `N passed, M failed`; removes the namespace, taps and qemu even on
failure (SIGTERM from meson's timeout too)."""
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, os.path.join(SRC, "images"))
sys.path.insert(0, os.path.join(SRC, "tests", "vm"))
import imagebuild  # noqa: E402
from appliance import Appliance  # noqa: E402
from guest import netns_socket, sh  # noqa: E402

TAG = "%x%04x" % (os.getpid() % 0xFFFF, int.from_bytes(os.urandom(2), "big"))
NS = f"osgimg{TAG}"
TAP_FXP, TAP_GE = "tfxp", "tge0"
HOST_FXP, GUEST_FXP = "10.0.2.1", "10.0.2.15"
HOST_GE, GUEST_GE = "10.1.1.1", "10.1.1.254"
PASSWORD = "Opensg-test1"

S = {}  # state shared by the steps: manifest, work dir, config disk, ...


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ping(dst, timeout=20):
    """Echo requests from the namespace until one is answered (deadline)."""
    s = netns_socket(NS, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    try:
        ident, seq = os.getpid() & 0xFFFF, 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seq += 1
            hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"opensg-image-test"
            pkt = hdr[:2] + struct.pack("!H", csum(hdr)) + hdr[4:]
            s.sendto(pkt, (dst, 0))
            until = min(deadline, time.monotonic() + 0.5)
            while time.monotonic() < until:
                s.settimeout(max(0.01, until - time.monotonic()))
                try:
                    data, addr = s.recvfrom(2048)
                except socket.timeout:
                    break
                ihl = (data[0] & 0xF) * 4
                t, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
                if addr[0] == dst and t == 0 and rid == ident:
                    return seq
        raise AssertionError(f"no echo reply from {dst} within {timeout} s")
    finally:
        s.close()


def console_clean(a):
    """No module, disk or daemon failure on the console."""
    bad = a.problems()
    check(not bad, "boot problems on the console:\n" + "\n".join(bad))


def debugfs_cat(image, path):
    r = subprocess.run(["debugfs", "-R", f"cat {path}", image], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    check(r.returncode == 0 and r.stdout, f"debugfs cat {path}: {r.stderr.strip()}")
    return r.stdout


# ---------------------------------------------------------------- steps


def test_build():
    t0 = time.monotonic()
    m = imagebuild.build()
    S["m"] = m
    for k in ("raw", "qcow2", "kernel", "initramfs"):
        check(os.path.getsize(m[k]) > 1 << 20, f"{k} {m[k]} is too small")
    with open(m["raw"], "rb") as f:
        mbr = f.read(512)
    check(mbr[510:] == b"\x55\xaa" and mbr[446] == 0x80, "raw image: no bootable MBR partition")
    info = subprocess.run(["qemu-img", "info", m["qcow2"]], stdout=subprocess.PIPE,
                          text=True).stdout
    check("file format: qcow2" in info, f"qemu-img info: {info}")
    print(f"     image: raw {m['sizes']['raw'] >> 20} MiB, qcow2 {m['sizes']['qcow2'] >> 20} MiB, "
          f"initramfs {m['sizes']['initramfs'] >> 20} MiB, {m['package']} "
          f"({time.monotonic() - t0:.1f} s)", flush=True)


def test_first_boot():
    cfg = os.path.join(S["work"], "config.img")
    with open(cfg, "wb") as f:
        f.truncate(64 << 20)  # blank: formatted at the first boot
    S["cfg"] = cfg
    a = S["app"] = Appliance(S["m"], boot="disk", disk="qcow2", config=cfg, name="boot1",
                             nics=[("tap", NS, TAP_FXP), ("tap", NS, TAP_GE)])
    a.start()
    t_login, t_cli = a.login("root", timeout=150)  # factory default: no password
    S["timing"] = (t_login, t_cli)
    check(re.search(r"^opensg: formatting /dev/vdb for the configuration", a.clean, re.M),
          "the blank configuration disk was not formatted")
    check(re.search(r"^opensg: up in", a.clean, re.M), "rc.boot did not finish")
    check("will not persist" not in a.clean, "warning about persistence with a disk attached")
    console_clean(a)
    out = a.cli("show version")
    check("Hostname: opensg" in out and "Linux 6." in out, f"show version:\n{out}")
    out = a.cli("show interfaces terse")
    check(re.search(r"^ge-0/0/0\s", out, re.M), f"no ge-0/0/0 (fwdd's port):\n{out}")
    print(f"     login prompt {t_login:.1f} s after qemu started, CLI prompt {t_cli:.2f} s "
          "after the user name", flush=True)


def test_configure_commit():
    a = S["app"]
    h = subprocess.run(["openssl", "passwd", "-6", "-salt", "osgtest1", PASSWORD],
                       stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
    S["hash"] = h
    out = a.cli("configure")
    check("Entering configuration mode" in out, out)
    for line in ("set system host-name vm1",
                 f"set interfaces fxp0 unit 0 family inet address {GUEST_FXP}/24",
                 f"set interfaces ge-0/0/0 unit 0 family inet address {GUEST_GE}/24",
                 f'set system root-authentication encrypted-password "{h}"',
                 "set system login user admin class super-user",
                 f'set system login user admin authentication encrypted-password "{h}"'):
        out = a.cli(line)
        check("error" not in out, f"{line}:\n{out}")
    out = a.cli("commit", timeout=60)
    check("commit complete" in out, f"commit:\n{out}")
    a.cli("exit")
    check(a.prompt == "root@vm1> ", f"prompt after the commit: {a.prompt!r}")
    out = a.cli("show configuration system host-name")
    check("host-name vm1;" in out, f"show configuration system host-name:\n{out}")


def test_ports_answer():
    # fxp0: the kernel's, addressed by the commit hook (osg-watch -> hook commit)
    ping(GUEST_FXP, timeout=30)
    # ge-0/0/0: fwdd's (eth1 over AF_PACKET)
    ping(GUEST_GE, timeout=30)


def test_power_off():
    a = S["app"]
    out_start = len(a.clean)
    a.cli("request system power-off", confirm="yes", prompt=False)
    rc = a.wait_exit(90)
    text = a.clean[out_start:]
    check("Power Off NOW!" in text, f"no shutdown message:\n{text}")
    check(re.search(r"opensg: stopped kmd fwdd", text), f"the daemons were not stopped:\n{text}")
    check(rc == 0, f"qemu exited {rc}")
    a.stop()
    S.pop("app")


def test_config_on_disk():
    cfg = S["cfg"]
    st = subprocess.run(["dumpe2fs", "-h", cfg], stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL, text=True).stdout
    check(re.search(r"^Filesystem volume name:\s+opensg-config$", st, re.M), st)
    check(re.search(r"^Filesystem state:\s+clean$", st, re.M), f"not unmounted cleanly:\n{st}")
    index = debugfs_cat(cfg, "/db/history/index")
    seq = index.splitlines()[0].split("\t")[0]  # the first line is rollback 0
    check(seq.isdigit() and int(seq) >= 2, f"index:\n{index}")
    # rollback 0 is a full file or what changed since rollback 1 (docs/mgd.md
    # "History"): the statements of the first boot's commit are in it either way
    ls = subprocess.run(["debugfs", "-R", "ls /db/history", cfg], stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL, text=True).stdout
    name = f"r{seq}.conf" if f"r{seq}.conf" in ls else f"r{seq}.delta"
    conf = debugfs_cat(cfg, f"/db/history/{name}")
    for want in ("host-name vm1;", f"address {GUEST_FXP}/24;", f"address {GUEST_GE}/24;",
                 "root-authentication"):
        check(want in conf, f"{want!r} not in {name}:\n{conf}")
    print(f"     rollback 0 is /db/history/{name} ({len(conf)} bytes)", flush=True)


def test_second_boot_and_reboot():
    a = S["app"] = Appliance(S["m"], boot="disk", disk="raw", config=S["cfg"], name="boot2",
                             nics=[("tap", NS, TAP_FXP), ("tap", NS, TAP_GE)], no_reboot=False)
    a.start()
    a.expect(r"^vm1 \(ttyS0\)$", 150)  # the banner names the configured host
    a.expect(r"^login: $", 30)
    a.send("root\n")
    a.expect(r"Password:$", 30)
    a.send("wrong-password\n")
    a.expect(r"^Login incorrect$", 30)
    # a configured user: its own uid (mgd maps it back to the name and class)
    a.login("admin", PASSWORD, timeout=30)
    out = a.cli("show configuration system host-name")
    check("host-name vm1;" in out, f"admin:\n{out}")
    a.send("exit\n")  # the CLI is the login shell: back to login:
    a.login("root", PASSWORD, timeout=30)
    check("formatting" not in a.clean, "the configuration disk was formatted again")
    console_clean(a)
    out = a.cli("show configuration system host-name")
    check("host-name vm1;" in out, f"after a power-off and a boot:\n{out}")
    ping(GUEST_FXP, timeout=30)  # fxp0's address, from the configuration at boot
    # reboot: mgd writes halt-request "reboot" (and removes it before it
    # re-executes itself); init reboots; qemu (without -no-reboot) resets
    mark = len(a.clean)
    a.cli("request system reboot", confirm="yes", prompt=False)
    a.expect(r"Shutdown NOW!", 30, start=mark)
    a.expect(r"opensg: stopped", 60, start=mark)
    a.expect(r"^opensg: up in", 150, start=mark)
    a.login("root", PASSWORD, timeout=60)
    out = a.cli("show configuration system host-name")
    check("host-name vm1;" in out, f"after the reboot:\n{out}")
    a.cli("request system power-off", confirm="yes", prompt=False)
    check(a.wait_exit(90) == 0, "qemu exit status")
    a.stop()
    S.pop("app")


def test_no_config_disk():
    a = S["app"] = Appliance(S["m"], boot="kernel", config=None, name="nodisk",
                             nics=[("tap", NS, TAP_FXP)])
    a.start()
    a.expect(r"^WARNING: no configuration disk: .*changes will not persist", 120)
    a.login("root", timeout=30)
    a.expect(r"^WARNING: no configuration disk", 5, start=a.clean.rindex("login: root"))
    out = a.cli("show configuration system host-name")
    check("host-name opensg;" in out, f"factory default:\n{out}")
    console_clean(a)
    a.cli("request system power-off", confirm="yes", prompt=False)
    check(a.wait_exit(90) == 0, "qemu exit status")
    a.stop()
    S.pop("app")


def main():
    if os.geteuid() != 0:
        print("the image test needs root (network namespace, taps)")
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    passed = failed = 0
    made_ns = False
    t0 = time.monotonic()
    S["work"] = tempfile.mkdtemp(prefix="osg-image-test-")
    try:
        sh("ip", "netns", "add", NS)
        made_ns = True
        sh("ip", "-n", NS, "link", "set", "lo", "up")
        for tap, addr in ((TAP_FXP, HOST_FXP), (TAP_GE, HOST_GE)):
            sh("ip", "-n", NS, "tuntap", "add", "dev", tap, "mode", "tap")
            sh("ip", "-n", NS, "addr", "add", f"{addr}/24", "dev", tap)
            sh("ip", "-n", NS, "link", "set", tap, "up")
        steps = [test_build, test_first_boot, test_configure_commit, test_ports_answer,
                 test_power_off, test_config_on_disk, test_second_boot_and_reboot,
                 test_no_config_disk]
        for t in steps:
            start = time.monotonic()
            try:
                t()
                passed += 1
                print(f"ok   {t.__name__} ({time.monotonic() - start:.1f} s)", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {t.__name__}", flush=True)
                traceback.print_exc()
                if "app" in S:
                    print(S["app"].tail(40), flush=True)
                if t in (test_build, test_first_boot, test_configure_commit, test_power_off):
                    break  # the later steps need this one
                if "app" in S:
                    S.pop("app").stop()
    finally:
        if "app" in S:
            S.pop("app").stop()
        if made_ns:
            sh("ip", "netns", "del", NS, check=False)
        subprocess.run(["rm", "-rf", S["work"]])
    print(f"     total {time.monotonic() - t0:.1f} s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
