"""Network namespaces for the fwdd integration tests.

An "appliance" namespace holds the ports fwdd owns (p0, p1, ...); each
host namespace holds the other end of one veth pair (eth0), created
directly in its namespace, with its address, a default route via the
appliance, and extra addresses on lo.  Names carry a tag unique to the
run; down() deletes every namespace even after a failure (the veths go
with them).  Links are MTU 1500 and the hosts keep the kernel's default
offloads."""
import os
import subprocess

from mgdclient import wait_for  # noqa: F401  (re-exported for the tests)


def sh(*argv, check=True, timeout=30):
    r = subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {r.stdout}")
    return r


class Host:
    def __init__(self, name, port, addr, gw, extra=(), addr6=None, gw6=None):
        self.name, self.port, self.addr, self.gw, self.extra = name, port, addr, gw, extra
        self.addr6, self.gw6 = addr6, gw6
        self.ns = None
        self.ip = addr.split("/")[0]


class Lab:
    def __init__(self, hosts):
        self.tag = "%x%04x" % (os.getpid() % 0xFFFF, int.from_bytes(os.urandom(2), "big"))
        self.app = f"osg{self.tag}a"
        self.hosts = {h.name: h for h in hosts}
        self.made = []

    def up(self):
        try:
            sh("ip", "netns", "add", self.app)
            self.made.append(self.app)
            sh("ip", "-n", self.app, "link", "set", "lo", "up")
            for i, h in enumerate(self.hosts.values()):
                h.ns = f"osg{self.tag}{h.name}"
                sh("ip", "netns", "add", h.ns)
                self.made.append(h.ns)
                sh("ip", "-n", self.app, "link", "add", f"p{i}", "mtu", "1500", "type", "veth",
                   "peer", "name", "eth0", "netns", h.ns)
                sh("ip", "-n", h.ns, "link", "set", "lo", "up")
                sh("ip", "-n", h.ns, "link", "set", "eth0", "mtu", "1500", "up")
                sh("ip", "-n", h.ns, "addr", "add", h.addr, "dev", "eth0")
                for a in h.extra:
                    sh("ip", "-n", h.ns, "addr", "add", a, "dev", "lo")
                sh("ip", "-n", h.ns, "route", "add", "default", "via", h.gw)
                if h.addr6:  # nodad: usable at once
                    sh("ip", "-n", h.ns, "addr", "add", h.addr6, "dev", "eth0", "nodad")
                    sh("ip", "-n", h.ns, "-6", "route", "add", "default", "via", h.gw6)
                h.appif = f"p{i}"
        except Exception:
            self.down()
            raise
        return self

    def down(self):
        for ns in reversed(self.made):
            sh("ip", "netns", "del", ns, check=False)
        self.made = []

    def port_args(self):
        return [a for h in self.hosts.values() for a in ("--port", f"{h.port}={h.appif}")]

    def exec_argv(self, host, argv):
        ns = self.app if host is None else self.hosts[host].ns
        return ["ip", "netns", "exec", ns] + list(argv)

    def run(self, host, *argv, timeout=60, check=False):
        return sh(*self.exec_argv(host, argv), check=check, timeout=timeout)

    def popen(self, host, *argv):
        return subprocess.Popen(self.exec_argv(host, argv), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)


class Topo:
    """Any number of namespaces joined by veth pairs (MTU 1500, the kernel's
    default offloads) and bridges, for the two-appliance IPsec tests.  Names
    are osg<tag><short>; down() deletes every namespace even after a
    failure."""

    def __init__(self):
        self.tag = "%x%04x" % (os.getpid() % 0xFFFF, int.from_bytes(os.urandom(2), "big"))
        self.made = []

    def name(self, short):
        return f"osg{self.tag}{short}"

    def ns(self, short):
        n = self.name(short)
        sh("ip", "netns", "add", n)
        self.made.append(n)
        sh("ip", "-n", n, "link", "set", "lo", "up")
        return n

    def veth(self, ns1, if1, ns2, if2, up1=True, up2=True):
        sh("ip", "-n", ns1, "link", "add", if1, "mtu", "1500", "type", "veth", "peer", "name",
           if2, "netns", ns2)
        if up1:
            sh("ip", "-n", ns1, "link", "set", if1, "up")
        if up2:
            sh("ip", "-n", ns2, "link", "set", if2, "up")

    def host(self, ns, ifname, addr, gw):
        sh("ip", "-n", ns, "addr", "add", addr, "dev", ifname)
        sh("ip", "-n", ns, "route", "add", "default", "via", gw)

    def bridge(self, ns, name, ports, addr=None):
        sh("ip", "-n", ns, "link", "add", name, "type", "bridge")
        for p in ports:
            sh("ip", "-n", ns, "link", "set", p, "master", name)
        sh("ip", "-n", ns, "link", "set", name, "up")
        if addr:
            sh("ip", "-n", ns, "addr", "add", addr, "dev", name)

    def down(self):
        for n in reversed(self.made):
            sh("ip", "netns", "del", n, check=False)
        self.made = []

    @staticmethod
    def exec_argv(ns, argv):
        return ["ip", "netns", "exec", ns] + list(argv)

    def run(self, ns, *argv, timeout=60, check=False):
        return sh(*self.exec_argv(ns, argv), check=check, timeout=timeout)

    def popen(self, ns, *argv):
        return subprocess.Popen(self.exec_argv(ns, argv), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
