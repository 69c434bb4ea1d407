#!/usr/bin/env python3
"""bench/ike: what a tunnel costs the responder (docs/bench-ike.md).

N dynamic peers (ikeload: IKEv1 main mode PSK aes128-sha1-modp2048, NAT-D
showing a NAT so that IKE floats to UDP 4500, quick mode ESP aes128-sha1
in UDP-encapsulated tunnel mode; each peer its own address and proxy)
establish their tunnels, in the same run, against

  OpenSG   mgd + kmd + fwdd (fwdd owning a veth port), configured through
           mgd with bench/ike/opensg.conf: a dynamic service set, an access
           profile with any remote identity and one pre-shared key;
  charon   strongSwan 5.9.8's charon (kernel-libipsec, userland ESP in UDP
           like fwdd) with bench/ike/swanctl.conf.in: remote_addrs %any,
           the same proposals, IKEv1, one wildcard pre-shared key: the
           anchor.

ikeload runs on CPU 0, the responder on CPU 1 (taskset).  A responder is
started afresh for every N, takes WARM tunnels first, then N: measured
over the N are the responder's CPU seconds (utime + stime of kmd + fwdd,
of charon, from /proc/PID/stat) per tunnel, its RSS growth per tunnel
(kmd + fwdd, charon), and the wall rate (for information).  A tunnel
counts when the responder logged it, and afterwards both responders must
hold N + WARM IKE SAs from as many distinct addresses, every one floated
to 4500, and N + WARM UDP-encapsulated tunnels.  Printed: a table and the
ratios OpenSG / charon (targets: CPU <= 0.5, memory <= 0.25).  Not part of
the test command; --smoke runs N = 20 once.

  bench/ike/run.py [--smoke] [--build DIR] [-n N ...] [--repeat R]
                   [--charon-short-exponents] [--perf FILE] [--heap]
                   [--massif FILE]

--heap also reads the heap in use of kmd and fwdd (glibc malloc_stats()
called through gdb, after the RSS reads) before and after the N tunnels
and prints it per tunnel; --massif runs kmd under valgrind's massif
(a detailed snapshot FILE.N.up when the N tunnels are up, FILE.N.out at
exit; the CPU and RSS figures then mean nothing).
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, os.path.join(SRC, "tests/integration"))

sys.path.insert(0, os.path.join(SRC, "tests/fwdd"))
sys.path.insert(0, os.path.join(SRC, "tests/interop"))

from harness import Appliance, exe  # noqa: E402
from lab import Topo, sh  # noqa: E402
from mgdclient import wait_for  # noqa: E402
from osglab import CHARON, StrongSwan, read  # noqa: E402

PSK = "opensg-lab-psk"  # the key of opensg.conf (docs/examples/sg1.conf)
OSG_GW, OSG_NH = "203.0.113.1", "203.0.113.254"
SWAN_GW, SWAN_NH = "192.0.2.1", "192.0.2.254"
WARM = 4
WARM_FIRST, FIRST = "198.18.0.10", "198.18.1.0"  # peers: local addresses on ikeload's lo
WARM_LNET, LNET = "10.127.0.0", "10.128.0.0"
GEN_CPU, RESP_CPU = "0", "1"
TICK = os.sysconf("SC_CLK_TCK")


def cpu(pid):
    """utime + stime of the whole process (all its threads), seconds."""
    f = read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


def rss(pid):
    m = re.search(r"VmRSS:\s+(\d+) kB", read(f"/proc/{pid}/status"))
    return int(m.group(1)) * 1024


def count_in(path, pattern):
    return len(re.findall(pattern, read(path)))


class Lab(Topo):
    """Three namespaces unique to the run: gen (ikeload, every peer address
    local through a prefix on lo), osg (fwdd's port ge1 = ge-0/0/1) and
    swan (charon), gen joined to each by a veth."""

    def up(self):
        try:
            self.names = {r: self.ns(r) for r in ("gen", "osg", "swan")}
            g, o, w = (self.names[r] for r in ("gen", "osg", "swan"))
            sh("ip", "-n", g, "addr", "add", "198.18.0.1/15", "dev", "lo")
            self.veth(g, "o", o, "ge1")  # ge1: fwdd's, no address in the kernel
            self.veth(g, "s", w, "eth0")
            sh("ip", "-n", g, "addr", "add", OSG_NH + "/24", "dev", "o")
            sh("ip", "-n", g, "addr", "add", SWAN_NH + "/24", "dev", "s")
            self.host(w, "eth0", SWAN_GW + "/24", SWAN_NH)
            # charon routes each tunnel through ipsec0 from an address of its
            # local_ts, as OpenSG's LAN side has 10.1.1.254
            sh("ip", "-n", w, "addr", "add", "10.1.1.254/32", "dev", "lo")
        except Exception:
            self.down()
            raise
        return self

    def argv(self, role, *argv):
        return self.exec_argv(self.names[role], argv)

    def run(self, role, *argv, check=False, timeout=60, env=None):  # as tests/interop's Lab
        r = subprocess.run(self.argv(role, *argv), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=timeout, env=env)
        assert not check or r.returncode == 0, r.stdout
        return r


def heap_in_use(pid, log):
    """glibc's heap in use (all arenas and mmapped chunks) of process pid:
    malloc_stats() called through gdb prints it on the process's stderr,
    which is log."""
    before = len(read(log))
    r = subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx", "-ex",
                        "call (void)malloc_stats()"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    found = []
    wait_for(lambda: found.extend(re.findall(
        r"Total \(incl\. mmap\):\s*system bytes\s*=\s*\d+\s*in use bytes\s*=\s*(\d+)",
        read(log)[before:])) or found, timeout=10, what=f"malloc_stats of {pid}: {r.stdout[-500:]}")
    return int(found[-1])


class OpenSG:
    name = "OpenSG"
    gw = OSG_GW

    def __init__(self, lab, massif=None):
        self.lab = lab
        self.massif = massif
        self.app = self.kmd = self.fwdd = self.client = None

    def start(self):
        self.app = Appliance().start_mgd()
        c = self.client = self.app.client()
        c.configure()
        r = c.edit("load override terminal", input=read(os.path.join(HERE, "opensg.conf")))
        assert r.output == "load complete\n", r.output
        r = c.edit("commit")
        assert r.output.endswith("commit complete\n"), r.output
        c.exit_config()
        self.fwdd = self.app.start(["taskset", "-c", RESP_CPU] + self.lab.argv(
            "osg", exe("fwdd/fwdd"), "--root", self.app.root, "--port", "ge-0/0/1=ge1"), "fwdd")
        wait_for(lambda: not self.fwdd.alive() or not c.command(
            "show route table vrf-n1.inet.0").error, what="fwdd configured")
        assert self.fwdd.alive(), read(self.fwdd.log)
        wrap = ["valgrind", "--tool=massif", "--threshold=0.01",
                f"--massif-out-file={self.massif}.out"] \
            if self.massif else []
        self.kmd = self.app.start(["taskset", "-c", RESP_CPU] + wrap + [
            exe("kmd/kmd"), "--root", self.app.root], "kmd")
        wait_for(lambda: not self.kmd.alive() or (
            "connected to fwdd" in read(self.kmd.log) and not c.command(
                "show services ipsec-vpn ike security-associations").error),
            what="kmd connected to mgd and fwdd")
        assert self.kmd.alive(), read(self.kmd.log)

    def pids(self):
        return [self.kmd.proc.pid, self.fwdd.proc.pid]

    def heap(self):
        return [heap_in_use(d.proc.pid, d.log) for d in (self.kmd, self.fwdd)]

    def snapshot(self):
        """kmd under massif: a detailed snapshot now, with the tunnels up
        (massif's own peak is the schema load at start-up)."""
        if self.massif:
            sh("vgdb", f"--pid={self.kmd.proc.pid}", "detailed_snapshot",
               f"{self.massif}.up", timeout=120)

    def tunnels_logged(self):
        return count_in(self.kmd.log, r"tunnel \d+ with \S+ [^\n]* established: esp")

    def verify(self, n):
        """n IKE SAs from n distinct addresses on 4500, n UDP tunnels."""
        r = self.client.command("show services ipsec-vpn ike security-associations detail")
        assert not r.error, r.raw[:2000]
        blocks = list(r.xml.iter("ike-security-associations-block"))
        addrs = {b.findtext(".//ike-sa-remote-address") for b in blocks}
        ports = {b.findtext(".//ike-sa-remote-port") for b in blocks}
        states = {b.findtext(".//ike-sa-state") for b in blocks}
        r = self.client.command("show services ipsec-vpn ipsec security-associations detail")
        assert not r.error, r.raw[:2000]
        tun = list(r.xml.iter("services-security-associations-block"))
        udp = sum(1 for b in tun if b.findtext(".//sa-udp-encapsulate") == "Enabled")
        return dict(ike_sas=len(blocks), addresses=len(addrs), ports=sorted(ports),
                    states=sorted(states), tunnels=len(tun), udp=udp,
                    ok=len(blocks) == n and len(addrs) == n and ports == {"4500"} and
                    states == {"matured"} and len(tun) == n and udp == n)

    def log_tail(self):
        return read(self.kmd.log)[-3000:] if self.kmd else ""

    def finish(self):
        """Everything stopped; kmd and fwdd must exit 0 on SIGTERM (under
        ASan: no leak), as mgd must (Appliance.cleanup)."""
        rcs = {d.log: d.stop() for d in (self.kmd, self.fwdd) if d}
        if self.app:
            self.app.cleanup()
        return [f"{log}: exit {rc}" for log, rc in rcs.items() if rc != 0]


class Charon(StrongSwan):
    """tests/interop's charon instance (private /run, VICI socket, log),
    with bench/ike's strongswan.conf and swanctl.conf."""
    name = "charon"
    gw = SWAN_GW

    def __init__(self, lab, extra=""):
        super().__init__(lab, "swan", "")  # both files replaced below
        subst = {"@DIR@": self.dir, "@GW@": SWAN_GW, "@PSK@": PSK, "@EXTRA@": extra}
        for src, dst in (("strongswan.conf.in", self.env["STRONGSWAN_CONF"]),
                         ("swanctl.conf.in", self.conf)):
            text = re.sub("|".join(subst), lambda m: subst[m.group(0)],
                          read(os.path.join(HERE, src)))
            with open(dst, "w") as f:
                f.write(text)

    def start(self):
        os.sched_setaffinity(0, {int(RESP_CPU)})  # charon inherits it
        try:
            super().start()
        finally:
            os.sched_setaffinity(0, {int(GEN_CPU)})
        assert read(f"/proc/{self.proc.pid}/comm").strip() == "charon"

    def pids(self):
        return [self.proc.pid]

    def tunnels_logged(self):
        return count_in(self.log, r"CHILD_SA net\{\d+\} established")

    def verify(self, n):
        out = self.swanctl("--list-sas")
        ike = re.findall(r"^rw: #\d+, (\w+), IKEv1", out, re.M)
        remotes = re.findall(r"^  remote '[^']*' @ ([\d.]+)\[(\d+)\]", out, re.M)
        child = re.findall(r"^  net: #\d+, reqid \d+, (\w+), ([\w-]+)", out, re.M)
        udp = sum(1 for s, m in child if s == "INSTALLED" and m == "TUNNEL-in-UDP")
        return dict(ike_sas=len(ike), addresses=len({a for a, _ in remotes}),
                    ports=sorted({p for _, p in remotes}), states=sorted(set(ike)),
                    tunnels=len(child), udp=udp,
                    ok=len(ike) == n and len({a for a, _ in remotes}) == n and
                    {p for _, p in remotes} == {"4500"} and set(ike) == {"ESTABLISHED"} and
                    len(child) == n and udp == n)

    def log_tail(self):
        return read(self.log)[-3000:]

    def finish(self):
        self.cleanup()
        return []


def ikeload(lab, gw, first, lnet, n, window):
    argv = ["taskset", "-c", GEN_CPU] + lab.argv(
        "gen", exe("bench/ike/ikeload"), "--gw", gw, "--first", first, "--count", str(n),
        "--psk", PSK, "--window", str(window), "--lnet", lnet, "--timeout", str(60 + n))
    r = sh(*argv, check=False, timeout=120 + 2 * n)  # stdout and stderr
    try:
        res = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError(f"ikeload: {r.stdout}")
    if res["established"] != n:
        raise RuntimeError(f"ikeload against {gw}: {res}")
    return res


def settle(pids, target, logged, timeout):
    """Until the responder logged target tunnels, then until its CPU time
    stops moving (two reads 0.3 s apart; its timers tick once a second at
    most, a few ms)."""
    wait_for(lambda: logged() >= target, timeout=timeout, what=f"{target} tunnels logged")
    last = sum(cpu(p) for p in pids)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = sum(cpu(p) for p in pids)
        if now - last <= 1.0 / TICK:
            break
        last = now


def one(lab, resp, n, window, perf=None, heap=False):
    resp.start()
    try:
        ikeload(lab, resp.gw, WARM_FIRST, WARM_LNET, WARM, window)
        pids = resp.pids()
        settle(pids, WARM, resp.tunnels_logged, 30)
        c0, m0 = [cpu(p) for p in pids], [rss(p) for p in pids]
        h0 = resp.heap() if heap and hasattr(resp, "heap") else None
        rec = None
        if perf:
            rec = subprocess.Popen(["perf", "record", "-g", "-o", f"{perf}.{resp.name}.{n}",
                                    "-p", ",".join(map(str, pids))],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)  # perf attaches; nothing measured waits on it
        load = ikeload(lab, resp.gw, FIRST, LNET, n, window)
        settle(pids, WARM + n, resp.tunnels_logged, 60 + n)
        c1, m1 = [cpu(p) for p in pids], [rss(p) for p in pids]
        h1 = resp.heap() if h0 else None
        if hasattr(resp, "snapshot"):
            resp.snapshot()
        if rec:
            rec.send_signal(signal.SIGINT)
            rec.wait(60)
        state = resp.verify(WARM + n)
        if not state["ok"]:
            raise RuntimeError(f"{resp.name} after {n} tunnels: {state}")
        res = dict(resp=resp.name, n=n, cpu=[b - a for a, b in zip(c0, c1)],
                   rss=[b - a for a, b in zip(m0, m1)], rss0=m0, wall=load["wall"], load=load,
                   state=state)
        if h0:
            res["heap"] = [b - a for a, b in zip(h0, h1)]
    except Exception:
        print(f"--- {resp.name}'s log (end) ---\n{resp.log_tail()}", flush=True)
        resp.finish()
        raise
    bad = resp.finish()
    if bad:
        raise RuntimeError(f"{resp.name} did not stop cleanly: {bad}")
    return res


def fmt_row(r):
    cpu_s, mem = sum(r["cpu"]), sum(r["rss"])
    parts = "+".join(f"{c:.2f}" for c in r["cpu"])
    return (f"{r['resp']:>7} {r['n']:>6} {cpu_s:>8.2f} {parts:>12} "
            f"{cpu_s / r['n'] * 1000:>9.2f} {mem / 1048576:>8.1f} {mem / r['n'] / 1024:>9.1f} "
            f"{r['n'] / r['wall']:>8.0f} {r['load']['retransmits']:>5}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--build", default=os.path.join(SRC, "build"))
    ap.add_argument("-n", type=int, action="append", help="peers (default 200 and 1000)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--window", type=int, default=32, help="exchanges in flight")
    ap.add_argument("--charon-short-exponents", action="store_true",
                    help="charon.dh_exponent_ansi_x9_42 = no (information)")
    ap.add_argument("--perf", help="perf record -g the responders into FILE.NAME.N")
    ap.add_argument("--heap", action="store_true",
                    help="heap in use of kmd and fwdd per tunnel (malloc_stats through gdb)")
    ap.add_argument("--massif", help="kmd under valgrind massif, output FILE.N")
    args = ap.parse_args()
    os.environ["OPENSG_BUILD"] = os.path.abspath(args.build)
    if os.geteuid() != 0:
        print("bench/ike needs root (network namespaces)")
        return 1
    if not os.path.exists(CHARON):
        print(f"missing {CHARON}: install strongswan-charon strongswan-swanctl "
              "libcharon-extra-plugins (tests/deps.txt)")
        return 1
    sizes = [20] if args.smoke else (args.n or [200, 1000])
    extra = "dh_exponent_ansi_x9_42 = no" if args.charon_short_exponents else ""
    os.sched_setaffinity(0, {int(GEN_CPU)})  # this script and ikeload: CPU 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    lab = Lab().up()
    rows = []
    try:
        print(f"{'':>7} {'peers':>6} {'CPU s':>8} {'kmd+fwdd':>12} {'ms/tun':>9} "
              f"{'RSS MB':>8} {'KB/tun':>9} {'tun/s':>8} {'retx':>5}", flush=True)
        for n in sizes:
            for _ in range(args.repeat):
                pair = []
                osg = OpenSG(lab, f"{args.massif}.{n}" if args.massif else None)
                for resp in (osg, Charon(lab, extra)):
                    r = one(lab, resp, n, args.window, args.perf, args.heap)
                    print(fmt_row(r), flush=True)
                    if "heap" in r:
                        print(f"{'heap':>7} {n:>6}  kmd {r['heap'][0] / n / 1024:.2f} KB, "
                              f"fwdd {r['heap'][1] / n / 1024:.2f} KB per tunnel (in use)",
                              flush=True)
                    pair.append(r)
                o, c = pair
                cpu_ratio = (sum(o["cpu"]) / n) / (sum(c["cpu"]) / n)
                mem_ratio = sum(o["rss"]) / max(sum(c["rss"]), 1)
                print(f"{'ratio':>7} {n:>6}  OpenSG/charon: CPU per tunnel {cpu_ratio:.2f} "
                      f"(target <= 0.5), memory per tunnel {mem_ratio:.2f} (target <= 0.25), "
                      f"wall rate {c['wall'] / o['wall']:.2f}", flush=True)
                rows.append(dict(n=n, opensg=o, charon=c, cpu_ratio=cpu_ratio,
                                 mem_ratio=mem_ratio))
    finally:
        lab.down()
    print("JSON " + json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
