"""What the interop tests (tests/interop/), the appliance image's VPN test
(tests/images/test_vpn.py) and bench/ike (its charon) share: network
namespaces with names unique to the run and docs/interop.md's ISP
topology, the appliance on the host (mgd with a configuration committed,
fwdd with its ports in namespace `app`, kmd, the show helpers),
strongSwan instances (one charon per namespace, each with its own
directory, VICI socket and private /run), the probes of netprobe.py
(ping, TCP with SHA-256) and the test program's main.  Stdlib only;
root.  docs/interop.md describes the labs.

  lan 10.1.1.1/24 -- app: ge0 (ge-0/0/0)
                          ge1 (ge-0/0/1) -- isp: router
                              203.0.113.254/24 | 198.51.100.254/24 -- sg2
                                                   PEER/24, 10.2.2.1/32 on lo
  (isp_lab(); more peers, each on its own link to isp: Lab.peer())
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration"))
from harness import SRC, Appliance, exe, run  # noqa: E402
from mgdclient import wait_for  # noqa: E402

PSK = "opensg-lab-psk"  # sg1.conf's $9$ secret
GW, GW_LAN, LAN_HOST = "203.0.113.1", "10.1.1.0/24", "10.1.1.1"
ISP_GW = "203.0.113.254"
PEER, PEER_LAN, PEER_HOST = "198.51.100.7", "10.2.2.0/24", "10.2.2.1"  # the peer sg2
PY = sys.executable
PROBE = os.path.join(HERE, "netprobe.py")
CHARON = "/usr/lib/ipsec/charon"
SWANCTL = "/usr/sbin/swanctl"
LIBIPSEC = "/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so"
SWANCTL_DIRS = ("x509", "x509ca", "x509aa", "x509ocsp", "x509crl", "x509ac", "pubkey",
                "private", "rsa", "ecdsa", "bliss", "pkcs8", "pkcs12")
SG1_CONF = os.path.join(SRC, "docs/examples/sg1.conf")


def sh(*argv, check=True, timeout=60, env=None, cwd=None):
    r = subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout, env=env, cwd=cwd)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} (exit {r.returncode}):\n{r.stdout}")
    return r


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def say(text):
    print("     " + text.replace("\n", "\n     "), flush=True)


def flat(elem):
    """tag -> text of the first element with that tag under elem."""
    d = {}
    for e in elem.iter():
        d.setdefault(e.tag, (e.text or "").strip())
    return d


def missing_strongswan():
    """What of strongSwan this host lacks (tests/deps.txt), as a message."""
    missing = [p for p in (CHARON, shutil.which("swanctl") or SWANCTL, LIBIPSEC)
               if not os.path.exists(p)]
    if missing:
        return ("missing " + ", ".join(missing) + ": install strongswan-charon "
                "strongswan-swanctl libcharon-extra-plugins (tests/deps.txt)")
    return None


def cannot_run(test, needs=missing_strongswan):
    """Why `test` cannot run here (not root: network namespaces; what
    needs() reports missing), as a message; "" when it can."""
    if os.geteuid() != 0:
        return f"{test} needs root (network namespaces)"
    return (needs() if needs else None) or ""


# --- namespaces -------------------------------------------------------------


class Lab:
    """Namespaces with names unique to the run, deleted by down() whatever
    happened; veth pairs made directly in their namespaces."""

    def __init__(self, prefix, roles):
        tag = "%x%04x" % (os.getpid() % 0xFFFF, int.from_bytes(os.urandom(2), "big"))
        self.tag = tag
        self.prefix = prefix
        self.ns = {r: f"{prefix}{tag}{r}" for r in roles}
        self.made = []

    def add(self, role):
        self.ns.setdefault(role, f"{self.prefix}{self.tag}{role}")
        sh("ip", "netns", "add", self.ns[role])
        self.made.append(self.ns[role])
        self.ip(role, "link", "set", "lo", "up")

    def ip(self, role, *args):
        sh("ip", "-n", self.ns[role], *args)

    def veth(self, a, dev_a, b, dev_b):
        self.ip(a, "link", "add", dev_a, "mtu", "1500", "type", "veth", "peer", "name", dev_b,
                "netns", self.ns[b])

    def addr(self, role, dev, addr):
        self.ip(role, "addr", "add", addr, "dev", dev)
        self.ip(role, "link", "set", dev, "up")

    def appliance_side(self):
        """app (fwdd's ports ge0 = ge-0/0/0, ge1 = ge-0/0/1), lan (the LAN
        host 10.1.1.1 behind ge-0/0/0) and isp (a Linux router on
        203.0.113.254, forwarding, knowing only its connected subnets)."""
        for r in ("app", "lan", "isp"):
            self.add(r)
        self.veth("app", "ge0", "lan", "eth0")
        self.veth("app", "ge1", "isp", "eth0")
        self.addr("lan", "eth0", LAN_HOST + "/24")
        self.addr("isp", "eth0", ISP_GW + "/24")
        self.ip("lan", "route", "add", "default", "via", "10.1.1.254")
        self.run("isp", "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward", check=True)
        return self

    def peer(self, role, isp_dev, prefix, addrs, lans):
        """A peer namespace on its own link to the ISP router: isp_dev gets
        PREFIX.254/24, the peer's eth0 every address of addrs (/24), its lo
        every address of lans (/32: the kernel here has no dummy links)."""
        self.add(role)
        self.veth("isp", isp_dev, role, "eth0")
        self.addr("isp", isp_dev, prefix + ".254/24")
        for a in addrs:
            self.addr(role, "eth0", a + "/24")
        for a in lans:
            self.ip(role, "addr", "add", a + "/32", "dev", "lo")
        self.ip(role, "route", "add", "default", "via", prefix + ".254")
        return self

    def down(self):
        for ns in reversed(self.made):
            sh("ip", "netns", "del", ns, check=False)
        self.made = []

    def argv(self, role, *argv):
        return ["ip", "netns", "exec", self.ns[role]] + list(argv)

    def run(self, role, *argv, check=False, timeout=60, env=None):
        return sh(*self.argv(role, *argv), check=check, timeout=timeout, env=env)

    def build(self, fn):
        """fn(self), deleting what was made if it fails."""
        try:
            fn(self)
        except Exception:
            self.down()
            raise
        return self


def isp_lab(prefix, peer_role="sg2", peer_addr=PEER):
    """Lab(prefix) as in the module's picture: the appliance side and one
    peer (peer_role: peer_addr/24 on eth0, PEER_HOST on lo) behind the ISP
    router's eth1; nothing routes 10.1.1.0/24 and 10.2.2.0/24 to each
    other."""
    return Lab(prefix, ()).build(lambda lab: lab.appliance_side().peer(
        peer_role, "eth1", "198.51.100", [peer_addr], [PEER_HOST]))


def template(name, subst):
    """tests/interop/NAME with every key of subst replaced by its value."""
    text = read(os.path.join(HERE, name))
    for k, v in subst.items():
        text = text.replace(k, v)
    return text


def sg2_swanctl(peer=PEER):
    """swanctl.conf.in for the peer sg2 at `peer` (its connections and
    the lab's key)."""
    return template("swanctl.conf.in", {"@PEER@": peer, "@PEER_LAN@": PEER_LAN, "@GW@": GW,
                                        "@GW_LAN@": GW_LAN, "@PSK@": PSK})


# --- the appliance ----------------------------------------------------------


class OpenSG:
    """mgd + a configuration committed (sg1.conf unless given) + fwdd
    (ports in namespace `app`) + kmd (--debug).  Every show reply is kept
    in `shown` (tests search it for the key)."""

    def __init__(self, lab, conf=None, ports=("ge-0/0/0=ge0", "ge-0/0/1=ge1")):
        self.lab = lab
        self.conf = conf if conf is not None else read(SG1_CONF)
        self.ports = ports
        self.app = self.client = self.kmd = self.fwdd = None
        self.shown = []

    def start(self):
        self.app = Appliance().start_mgd()
        self.client = c = self.app.client()
        c.configure()
        r = c.edit("load override terminal", input=self.conf)
        assert r.output == "load complete\n", r.output
        r = c.edit("commit")
        assert r.output.endswith("commit complete\n"), r.output
        c.exit_config()
        ports = [a for p in self.ports for a in ("--port", p)]
        self.fwdd = self.app.start(self.lab.argv("app", exe("fwdd/fwdd"), "--root", self.app.root,
                                                 "--debug", *ports), "fwdd")

        def fwdd_ready():
            r = c.command("show route table vrf-n1.inet.0")
            return not r.error and r.find("route-table") is not None
        wait_for(lambda: fwdd_ready() or not self.fwdd.alive(), what="fwdd configured")
        assert self.fwdd.alive(), self.fwdd_log()
        self.kmd = self.app.start([exe("kmd/kmd"), "--root", self.app.root, "--debug"], "kmd")

        def kmd_ready():
            return "connected to fwdd" in self.kmd_log() and not c.command(
                "show services ipsec-vpn ike security-associations").error
        wait_for(lambda: kmd_ready() or not self.kmd.alive(), what="kmd connected to mgd and fwdd")
        assert self.kmd.alive(), self.kmd_log()
        return self

    def kmd_log(self):
        return read(self.kmd.log) if self.kmd else ""

    def fwdd_log(self):
        return read(self.fwdd.log) if self.fwdd else ""

    def commit(self, *lines):
        """configure, the set/delete lines, commit: commit complete."""
        c = self.client
        r = c.configure()
        assert not r.error, r.output
        for line in lines:
            r = c.edit(line)
            assert not r.error, (line, r.output)
        r = c.edit("commit")
        c.exit_config()
        assert r.output.endswith("commit complete\n"), (lines, r.output)

    def show(self, cmd, check=True):
        r = self.client.command(cmd)
        self.shown.append(r.raw + "".join(r.chunks))
        assert not check or not r.error, (cmd, r.raw)
        return r

    def ike_sas(self):
        r = self.show("show services ipsec-vpn ike security-associations detail")
        return [flat(b) for b in r.xml.iter("ike-security-associations-block")]

    def ike_stats(self):
        """(per IKE SA as in ike_sas, kmd's global counters)."""
        r = self.show("show services ipsec-vpn ike statistics")
        sas = [flat(b) for b in r.xml.iter("ike-security-associations-block")]
        g = r.xml.find(".//ike-global-statistics")
        return sas, (flat(g) if g is not None else {})

    def failures(self, peer=None):
        r = self.show("show services ipsec-vpn ike negotiation-failures" +
                      (" " + peer if peer else ""))
        return [flat(f) for f in r.xml.iter("ike-negotiation-failure")]

    def ipsec_sas(self):
        r = self.show("show services ipsec-vpn ipsec security-associations detail")
        out = []
        for b in r.xml.iter("services-security-associations-block"):
            d = flat(b)
            d["spis"] = {sa.findtext("sa-direction"): int(sa.findtext("sa-spi"))
                         for sa in b.iter("security-associations")}
            out.append(d)
        return out

    def esp_tunnels(self):
        """fwdd's tunnels that hold at least one SA, each with its block's
        service set (svc-set-name) and PIC (interface-name)."""
        r = self.show("show services ipsec-vpn ipsec statistics")
        out = []
        for b in r.xml.iter("ipsec-statistics-block"):
            for t in b.iter("ipsec-tunnel-statistics"):
                out.append(dict(flat(t), **{k: b.findtext(k) for k in ("svc-set-name",
                                                                      "interface-name")}))
        return out

    def vrf_routes(self, table="vrf-n1.inet.0"):
        r = self.show("show route table " + table)
        out = {}
        for rt in r.xml.iter("rt"):
            e = rt.find("rt-entry")
            out[rt.findtext("rt-destination")] = (e.findtext("protocol-name"),
                                                  e.findtext("preference"), e.findtext("nh/via"))
        return out

    def cli(self, cmd):
        out = sh(exe("cli/cli"), "--root", self.app.root, "-c", cmd).stdout
        self.shown.append(out)
        return out

    def releases_accepted(self, since=0):
        """fwdd refused none of kmd's requests (route, rule, SAs, pool
        unit: fwdd logs a refusal at debug level) and kmd logged no failed
        release."""
        refused = [ln for ln in self.fwdd_log()[since:].splitlines() if "kmd request" in ln]
        assert not refused, refused
        assert "fwdd: release for tunnel" not in self.kmd_log(), self.kmd_log()[-3000:]

    def nothing_left(self, dests=("10.2.2.0/24",), since=0):
        """No IKE SA, no IPsec SA, no SA in fwdd, no reverse route, and
        every release accepted (fwdd's log from `since` on)."""
        assert self.ike_sas() == [], self.ike_sas()
        assert self.ipsec_sas() == [], self.ipsec_sas()
        assert self.esp_tunnels() == [], self.esp_tunnels()
        routes = self.vrf_routes()
        assert not [d for d in dests if d in routes], routes
        self.releases_accepted(since)

    def cleanup(self):
        if self.kmd and self.kmd.alive():
            self.kmd.proc.send_signal(signal.SIGCONT)  # a test may have stopped it
        if self.client:
            self.client.close()
        if self.app:
            self.app.cleanup()


# --- probes (netprobe.py in a namespace) ------------------------------------


def probe(lab, role, *args, timeout=60):
    r = lab.run(role, PY, PROBE, *args, timeout=timeout)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise AssertionError(f"netprobe {args} in {role}: {r.stdout}")


def ping(lab, role, dst, source=None, count=1, timeout=2):
    """(every probe answered by an echo reply, the per-probe results)."""
    args = ["ping", dst, "--count", str(count), "--timeout", str(timeout)]
    if source:
        args += ["--source", source]
    res = probe(lab, role, *args)["results"]
    reply = 129 if ":" in dst else 0  # ICMPv6 / ICMP echo reply
    return all(x.get("type") == reply for x in res), res


def receive(lab, role, bind, send, nbytes, timeout=90):
    """A TCP server in `role` on bind:5201 (netprobe serve) while send()
    connects and sends, returning the SHA-256 (hex) of what it sent.
    nbytes arrived with that hash; returns the server's report (bytes,
    sha256, peer)."""
    srv = subprocess.Popen(lab.argv(role, PY, PROBE, "serve", bind, "5201", "--timeout",
                                    str(timeout)),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = srv.stdout.readline()
        assert line.strip() == "LISTENING", line + srv.stdout.read()
        sent = send()
        out, _ = srv.communicate(timeout=60)
        got = json.loads(out.strip().splitlines()[-1])
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait()
    assert got["bytes"] == nbytes and got["sha256"] == sent, (got, sent)
    return got


def tcp(lab, server_role, bind, client_role, dst, nbytes, source=None, timeout=90):
    """nbytes of random data from client_role (netprobe send) to
    server_role:bind, SHA-256 compared; the server's report."""
    args = ["send", dst, "5201", str(nbytes), "--timeout", str(timeout)]
    args += ["--source", source] if source else []
    return receive(lab, server_role, bind,
                   lambda: probe(lab, client_role, *args, timeout=timeout + 30)["sha256"], nbytes,
                   timeout)


# --- peers ---------------------------------------------------------------------


class PeerDaemon:
    """A peer's daemon (self.proc: the daemon itself, as ip netns exec,
    unshare and sh exec it) with a private directory (self.dir): stop()
    ends it (TERM, then KILL after stop_timeout s), cleanup() also removes
    the directory."""

    proc = dir = None
    stop_timeout = 15

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cleanup(self):
        self.stop()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


class StrongSwan(PeerDaemon):
    """One charon in namespace `role`, with its own strongswan.conf (from
    strongswan.conf.in; `charon_extra` is added to its charon section),
    swanctl.conf (the text given), VICI socket, log and a private /run
    (charon's pid file is hard-coded there)."""

    def __init__(self, lab, role, swanctl_conf, charon_extra=""):
        self.lab, self.role = lab, role
        self.dir = tempfile.mkdtemp(prefix=f"osg-interop-{role}-", dir="/tmp")
        self.conf = os.path.join(self.dir, "swanctl", "swanctl.conf")
        self.log = os.path.join(self.dir, "charon.log")
        self.vici = os.path.join(self.dir, "charon.vici")
        self.uri = "unix://" + self.vici
        self.proc = None
        for sub in SWANCTL_DIRS:
            os.makedirs(os.path.join(self.dir, "swanctl", sub))
        os.makedirs(os.path.join(self.dir, "run"))
        with open(os.path.join(self.dir, "strongswan.conf"), "w") as f:
            f.write(template("strongswan.conf.in", {"@DIR@": self.dir,
                                                    "@CHARON_EXTRA@": charon_extra}))
        with open(self.conf, "w") as f:
            f.write(swanctl_conf)
        self.env = dict(os.environ, STRONGSWAN_CONF=os.path.join(self.dir, "strongswan.conf"))

    def start(self):
        """charon (a fresh one: a stale pid file and socket go first);
        ready when its VICI socket appears; every connection loaded."""
        for stale in (self.vici, os.path.join(self.dir, "run", "charon.pid")):
            if os.path.exists(stale):
                os.unlink(stale)
        script = f"mount --bind {self.dir}/run /run && exec {CHARON}"
        with open(self.dir + "/charon.out", "ab") as out:
            self.proc = subprocess.Popen(
                self.lab.argv(self.role, "unshare", "--mount", "--propagation", "private", "sh",
                              "-c", script), env=self.env, stdout=out, stderr=subprocess.STDOUT)
        wait_for(lambda: os.path.exists(self.vici) or self.proc.poll() is not None,
                 what=f"charon in {self.role}")
        assert self.proc.poll() is None, read(self.dir + "/charon.out") + read(self.log)
        self.swanctl("--load-all", "--file", self.conf)
        return self

    def swanctl(self, cmd, *args, check=True, timeout=60):
        r = self.lab.run(self.role, "swanctl", cmd, "--uri", self.uri, *args, timeout=timeout,
                         env=self.env)
        if check and r.returncode != 0:
            raise AssertionError(f"swanctl {cmd} {' '.join(args)} (exit {r.returncode}):\n"
                                 f"{r.stdout}\n--- charon.log ---\n{read(self.log)[-3000:]}")
        return r.stdout

    def initiate(self, conn, child, timeout=30):
        out = self.swanctl("--initiate", "--ike", conn, "--child", child, "--timeout",
                           str(timeout), timeout=timeout + 30)
        assert f"CHILD_SA {child}{{" in out and "established" in out, out
        return out

    def sas(self, conn=None):
        return self.swanctl("--list-sas", *(["--ike", conn] if conn else []))

    def crash(self):
        """SIGKILL: charon goes without a word (no DELETE); its TUN device
        and routes go with it."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# --- a test program -----------------------------------------------------------


def cleanup_all(*steps):
    """Run every step whatever the others did; False when one failed."""
    ok = True
    for step in steps:
        try:
            step()
        except Exception as e:
            print(f"teardown: {e}", flush=True)
            ok = False
    return ok


def main(setup, steps, teardown, diagnostics, needs=missing_strongswan):
    """Root and what the test needs, setup, the steps (harness.run: the
    step names given on the command line, or all), diagnostics when
    something failed, teardown whatever happened (also on the SIGTERM of a
    test runner's timeout): the exit status."""
    why = cannot_run(os.path.basename(sys.argv[0]), needs)
    if why:
        print(why)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    start = time.monotonic()
    rc = 1
    try:
        setup()
        print(f"setup ({time.monotonic() - start:.1f} s)", flush=True)
        rc = run(steps)
    except (Exception, SystemExit):
        traceback.print_exc()
        print("0 passed, 1 failed")
        rc = 1
    finally:
        if rc:
            try:
                diagnostics()
            except Exception as e:
                print(f"diagnostics: {e}", flush=True)
        if not teardown():
            rc = 1
    print(f"total {time.monotonic() - start:.1f} s")
    return rc
