"""What the interop tests (tests/interop/) and the appliance image's VPN
test (tests/images/test_vpn.py) share: network namespaces made for the run,
the ISP topology of docs/interop.md, one strongSwan charon per run, and the
probes of netprobe.py (ping, TCP with SHA-256).  Stdlib only; root.

  lan 10.1.1.1/24 -- app: ge0 (ge-0/0/0)
                          ge1 (ge-0/0/1) -- isp: router
                              203.0.113.254/24 | 198.51.100.254/24 -- peer
                                                   PEER/24, 10.2.2.1/32 on lo
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration"))
from mgdclient import wait_for  # noqa: E402

PY = sys.executable
PROBE = os.path.join(HERE, "netprobe.py")
CHARON = "/usr/lib/ipsec/charon"
SWANCTL_DIRS = ("x509", "x509ca", "x509aa", "x509ocsp", "x509crl", "x509ac", "pubkey",
                "private", "rsa", "ecdsa", "bliss", "pkcs8", "pkcs12")
LAN_HOST, PEER_HOST = "10.1.1.1", "10.2.2.1"


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


class Lab:
    """Namespaces with names unique to the run, deleted by down() whatever
    happened; veth pairs made directly in their namespaces."""

    def __init__(self, prefix, roles):
        tag = "%x%04x" % (os.getpid() % 0xFFFF, int.from_bytes(os.urandom(2), "big"))
        self.tag = tag
        self.ns = {r: f"{prefix}{tag}{r}" for r in roles}
        self.made = []

    def add(self, role):
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

    def down(self):
        for ns in reversed(self.made):
            sh("ip", "netns", "del", ns, check=False)
        self.made = []

    def argv(self, role, *argv):
        return ["ip", "netns", "exec", self.ns[role]] + list(argv)

    def run(self, role, *argv, check=False, timeout=60, env=None):
        return sh(*self.argv(role, *argv), check=check, timeout=timeout, env=env)


def isp_lab(prefix, peer_role, peer_addr):
    """Lab(prefix) with the roles app, lan, isp and peer_role wired as in
    the module's picture: the appliance's ports are the veths ge0 and ge1
    in "app"; nothing routes 10.1.1.0/24 and 10.2.2.0/24 to each other."""
    lab = Lab(prefix, ("app", "lan", "isp", peer_role))
    try:
        for r in ("app", "lan", "isp", peer_role):
            lab.add(r)
        lab.veth("app", "ge0", "lan", "eth0")
        lab.veth("app", "ge1", "isp", "eth0")
        lab.veth("isp", "eth1", peer_role, "eth0")
        lab.addr("lan", "eth0", LAN_HOST + "/24")
        lab.addr("isp", "eth0", "203.0.113.254/24")
        lab.addr("isp", "eth1", "198.51.100.254/24")
        lab.addr(peer_role, "eth0", peer_addr + "/24")
        lab.ip("lan", "route", "add", "default", "via", "10.1.1.254")
        lab.ip(peer_role, "addr", "add", PEER_HOST + "/32", "dev", "lo")
        lab.ip(peer_role, "route", "add", "default", "via", "198.51.100.254")
        lab.run("isp", "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward", check=True)
    except Exception:
        lab.down()
        raise
    return lab


def cannot_run_strongswan(test):
    """Why `test` cannot run a strongSwan peer here (not root, strongSwan
    not installed), as a message; "" when it can."""
    if os.geteuid() != 0:
        return f"{test} needs root (network namespaces)"
    missing = [p for p in (CHARON, shutil.which("swanctl") or "/usr/sbin/swanctl",
                           "/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so")
               if not os.path.exists(p)]
    return ("missing " + ", ".join(missing) + ": install strongswan-charon strongswan-swanctl "
            "libcharon-extra-plugins (tests/deps.txt)") if missing else ""


class PeerDaemon:
    """A peer's daemon (self.proc) with a private directory (self.dir):
    stop() ends it (TERM, then KILL after stop_timeout s), cleanup() also
    removes the directory."""

    proc = dir = None
    stop_timeout = 15

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # the daemon itself (sh and unshare exec it)
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
    """One charon in namespace `role` of `lab`, with its own strongswan.conf
    and swanctl.conf (tests/interop/*.conf.in with `subst` applied), VICI
    socket and a private /run (its pid file)."""

    def __init__(self, lab, role, subst):
        self.lab, self.role = lab, role
        self.dir = tempfile.mkdtemp(prefix=f"osg-interop-{role}-", dir="/tmp")
        self.conf = os.path.join(self.dir, "swanctl", "swanctl.conf")
        self.log = os.path.join(self.dir, "charon.log")
        self.uri = "unix://" + os.path.join(self.dir, "charon.vici")
        self.proc = None
        for sub in SWANCTL_DIRS:
            os.makedirs(os.path.join(self.dir, "swanctl", sub))
        os.makedirs(os.path.join(self.dir, "run"))
        subst = dict(subst, **{"@DIR@": self.dir})
        for name, dst in (("strongswan.conf.in", os.path.join(self.dir, "strongswan.conf")),
                          ("swanctl.conf.in", self.conf)):
            text = read(os.path.join(HERE, name))
            for k, v in subst.items():
                text = text.replace(k, v)
            with open(dst, "w") as f:
                f.write(text)
        self.env = dict(os.environ, STRONGSWAN_CONF=os.path.join(self.dir, "strongswan.conf"))

    def start(self):
        script = f"mount --bind {self.dir}/run /run && exec {CHARON}"
        with open(self.dir + "/charon.out", "wb") as out:
            self.proc = subprocess.Popen(
                self.lab.argv(self.role, "unshare", "--mount", "--propagation", "private", "sh",
                              "-c", script), env=self.env, stdout=out, stderr=subprocess.STDOUT)
        vici = os.path.join(self.dir, "charon.vici")
        wait_for(lambda: os.path.exists(vici) or self.proc.poll() is not None, what="charon")
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


# --- netprobe.py in a namespace --------------------------------------------


def probe(lab, role, *args, timeout=60):
    r = lab.run(role, PY, PROBE, *args, timeout=timeout)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise AssertionError(f"netprobe {args} in {role}: {r.stdout}")


def ping(lab, role, dst, source=None, count=1, timeout=2):
    """(every probe answered, the per-probe results)."""
    args = ["ping", dst, "--count", str(count), "--timeout", str(timeout)]
    if source:
        args += ["--source", source]
    res = probe(lab, role, *args)["results"]
    return all(x.get("type") == 0 for x in res), res


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
