#!/usr/bin/env python3
"""OpenSG (mgd + kmd + fwdd) against a real strongSwan 5.9.8 initiator,
with traffic: the whole appliance, not a stand-in (meson test
fwdd_strongswan).  Needs root, network namespaces and strongswan-charon,
strongswan-swanctl, libcharon-extra-plugins (tests/deps.txt).

  python3 tests/fwdd/interop_strongswan.py [BUILD]     (default: build)

Namespaces (tests/fwdd/lab.py Topo): the appliance A (fwdd owning p0 toward
the LAN host a1 10.1.1.1 and p1 toward the peer), the peer S (charon with
kernel-libipsec: its own userland ESP, which forces NAT-T; ports 5500/5501,
so kmd sees a NAT and UDP encapsulation to port 5501).  A runs
docs/examples/sg1.conf (dynamic peers, shared pool ms-1/0/0.1 in VRF
vrf-n1).  Passes when charon establishes the CHILD_SA, S pings a1 through
the tunnel, 1 MB of TCP each way keeps its SHA-256, `show route table
vrf-n1.inet.0` lists the Static/1 reverse route and `show services
ipsec-vpn ipsec statistics` counts the packets without errors; then the
peer's DELETE removes route and tunnel."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "../.."))
GW, PEER = "203.0.113.1", "198.51.100.7"
NETTOOL = os.path.join(HERE, "nettool.py")

STRONGSWAN_CONF = """charon {
  port = 5500
  port_nat_t = 5501
  load_modular = no
  load = random nonce aes sha1 sha2 md5 hmac gmp openssl kdf pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
  install_routes = yes
  plugins { vici { socket = unix://DIR/charon.vici } }
  filelog { ss { path = DIR/charon.log
                 default = 1
                 ike = 2
                 flush_line = yes } }
}
"""
SWANCTL_CONF = """connections { sg1 {
  version = 1
  aggressive = no
  local_addrs = PEER
  remote_addrs = GW
  remote_port = 500
  proposals = aes128-sha1-modp2048
  local { auth = psk
          id = PEER }
  remote { auth = psk
           id = GW }
  children { net { local_ts = 10.2.2.0/24
                   remote_ts = 10.1.1.0/24
                   esp_proposals = aes128-sha1-modp2048 } }
} }
secrets { ike-1 { secret = opensg-lab-psk } }
"""


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(SRC, "build"))
    os.environ["OPENSG_BUILD"] = build
    sys.path.insert(0, os.path.join(SRC, "tests/integration"))
    sys.path.insert(0, HERE)
    from harness import Appliance, exe
    from lab import Topo
    from mgdclient import wait_for
    if shutil.which("swanctl") is None or not os.path.exists("/usr/lib/ipsec/charon"):
        sys.exit("needs strongswan-charon, strongswan-swanctl, libcharon-extra-plugins")
    d = tempfile.mkdtemp(prefix="fwdd-interop-")
    for sub in ("x509", "x509ca", "private", "rsa", "ecdsa", "pkcs8", "pubkey"):
        os.makedirs(os.path.join(d, "swanctl", sub))
    open(os.path.join(d, "strongswan.conf"), "w").write(STRONGSWAN_CONF.replace("DIR", d))
    conf = os.path.join(d, "swanctl", "swanctl.conf")
    open(conf, "w").write(SWANCTL_CONF.replace("PEER", PEER).replace("GW", GW))
    env = dict(os.environ, STRONGSWAN_CONF=os.path.join(d, "strongswan.conf"))
    topo = Topo()
    a = None
    procs = []
    ok = False
    try:
        nsa, nss, nsh = topo.ns("a"), topo.ns("s"), topo.ns("a1")
        topo.veth(nsa, "p0", nsh, "eth0", up1=False)
        topo.veth(nsa, "p1", nss, "eth0", up1=False)
        topo.host(nsh, "eth0", "10.1.1.1/24", "10.1.1.254")
        topo.run(nss, "sh", "-ec", f"ip addr add 203.0.113.254/24 dev eth0; "
                 f"ip addr add {PEER}/32 dev lo; ip addr add 10.2.2.1/32 dev lo", check=True)
        a = Appliance().start_mgd()
        c = a.client()
        c.configure()
        sg1 = open(os.path.join(SRC, "docs/examples/sg1.conf")).read()
        assert c.edit("load override terminal", input=sg1).output == "load complete\n"
        assert c.edit("commit").output.endswith("commit complete\n")
        c.exit_config()
        a.start(topo.exec_argv(nsa, [exe("fwdd/fwdd"), "--root", a.root, "--port",
                                     "ge-0/0/0=p0", "--port", "ge-0/0/1=p1"]), "fwdd")
        wait_for(lambda: os.path.exists(os.path.join(a.root, "fwdd.sock")), what="fwdd")
        kmd = a.start([exe("kmd/kmd"), "--root", a.root, "--debug"], "kmd")
        for f in ("/run/charon.pid", "/var/run/charon.pid"):  # a stale one stops charon
            if os.path.exists(f):
                os.unlink(f)
        procs.append(subprocess.Popen(topo.exec_argv(nss, ["/usr/lib/ipsec/charon"]), env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        uri = f"unix://{d}/charon.vici"
        wait_for(lambda: os.path.exists(f"{d}/charon.vici"), what="charon")
        subprocess.run(topo.exec_argv(nss, ["swanctl", "--load-all", "--uri", uri, "--file",
                                            conf]), env=env, check=True, capture_output=True)
        r = subprocess.run(topo.exec_argv(nss, ["swanctl", "--initiate", "--uri", uri, "--child",
                                                "net", "--timeout", "30"]),
                           env=env, capture_output=True, text=True)
        assert "CHILD_SA net{1} established" in r.stdout, r.stdout[-2000:]

        def tool(ns, *args):
            out = topo.run(ns, sys.executable, NETTOOL, *args, timeout=120).stdout
            return json.loads(out.strip().splitlines()[-1])

        def ping(ns, dst):
            return all(x.get("type") == 0 for x in tool(ns, "ping", dst)["results"])

        wait_for(lambda: ping(nss, "10.1.1.1"), timeout=20, what="S pings a1 through the tunnel")
        assert ping(nsh, "10.2.2.1"), "a1 pings S"
        for srv_ns, cli_ns, dst in ((nsh, nss, "10.1.1.1"), (nss, nsh, "10.2.2.1")):
            srv = topo.popen(srv_ns, sys.executable, NETTOOL, "serve", "5300")
            sent = tool(cli_ns, "send", dst, "5300", str(1 << 20))
            got = json.loads(srv.communicate(timeout=120)[0].strip().splitlines()[-1])
            assert got["sha256"] == sent["sha256"] and got["bytes"] == 1 << 20, (got, sent)
        x = c.command("show route table vrf-n1.inet.0").raw
        assert "<rt-destination>10.2.2.0/24</rt-destination>" in x, x
        x = c.command("show services ipsec-vpn ipsec statistics")
        assert int(x.text("esp-decrypted-packets")) > 700, x.raw
        assert x.text("esp-authentication-failures") == "0", x.raw
        subprocess.run(topo.exec_argv(nss, ["swanctl", "--terminate", "--uri", uri, "--ike",
                                            "sg1"]), env=env, capture_output=True)
        wait_for(lambda: "10.2.2.0/24" not in c.command("show route table vrf-n1.inet.0").raw,
                 what="the reverse route removed after DELETE")
        assert kmd.stop() == 0
        ok = True
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait()
        if a:
            if not ok:
                for n in ("fwdd.out", "kmd.out"):
                    try:
                        print(f"--- {n}\n" + open(os.path.join(a.root, n)).read()[-4000:])
                    except OSError:
                        pass
                try:
                    print("--- charon.log\n" + open(f"{d}/charon.log").read()[-4000:])
                except OSError:
                    pass
            a.cleanup()
        topo.down()
        shutil.rmtree(d, ignore_errors=True)
    print("strongSwan interop with fwdd: " + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
