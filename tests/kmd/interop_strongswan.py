#!/usr/bin/env python3
"""kmd against a real strongSwan 5.9.8 initiator (manual check, not in the
meson suite: it needs root, network namespaces and the Debian packages
strongswan-charon, strongswan-swanctl and libcharon-extra-plugins).

  python3 tests/kmd/interop_strongswan.py [BUILD]     (default: build)

mgd with docs/examples/sg1.conf committed and build/kmd/kmd run on the host;
in a network namespace, charon (kernel-libipsec, which forces NAT-T, ports
5500/5501) initiates to 203.0.113.1 and this script, run a second time
with --bridge inside the namespace, plays fwdd: UDP 500/4500 on
203.0.113.1 punted to kmd over ROOT/fwdd.sock (non-ESP marker removed),
kmd's datagrams sent back, every other request answered OK.  Passes when
charon reports the CHILD_SA established, kmd shows the tunnel, DPD is
answered and the DELETEs tear it down.  Facts: shared/reference/peers.md."""
import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

GW, PEER, NS = "203.0.113.1", "198.51.100.7", "kmd-interop"
HDR = struct.Struct("=IHHII")
DGRAM = struct.Struct("=128s128s BB2x16s BB2x16s HHI")
MAGIC = 0x4F534731
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "../.."))

STRONGSWAN_CONF = """charon {
  port = 5500
  port_nat_t = 5501
  load_modular = no
  load = random nonce aes sha1 sha2 md5 hmac gmp openssl kdf pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
  install_routes = no
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
  dpd_delay = 1s
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


def bridge(root):
    """Inside the namespace: fake fwdd between UDP and kmd's socket."""
    path = os.path.join(root, "fwdd.sock")
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(1)
    udp = {}
    for port in (500, 4500):
        udp[port] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp[port].bind((GW, port))
    conn, buf = None, b""

    def send(t, id_, payload):
        conn.sendall(HDR.pack(MAGIC, t, 0, id_, len(payload)) + payload)

    def ok(id_, extra=b""):
        send(120, id_, struct.pack("=I128s", 0, b"") + extra)

    while True:
        r, _, _ = select.select([ls, *udp.values()] + ([conn] if conn else []), [], [], 1)
        for s in r:
            if s is ls:
                conn, _ = ls.accept()
            elif s in udp.values():
                data, (src, sport) = s.recvfrom(65535)
                dport = 500 if s is udp[500] else 4500
                if dport == 4500:
                    if len(data) < 4 or data[:4] != b"\0\0\0\0":
                        continue  # keepalive or ESP: fwdd's business
                    data = data[4:]
                if conn:
                    a = lambda x: socket.inet_aton(x) + b"\0" * 12  # noqa: E731
                    d = DGRAM.pack(b"", b"ge-0/0/1.0", 2, 32, a(src), 2, 32, a(GW), sport, dport,
                                   len(data))
                    send(121, 0, d + data)
            else:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
                while len(buf) >= 16:
                    _, t, _, id_, ln = HDR.unpack(buf[:16])
                    if len(buf) < 16 + ln:
                        break
                    p, buf = buf[16:16 + ln], buf[16 + ln:]
                    if t == 101:  # FWD_SEND
                        f = DGRAM.unpack(p[:DGRAM.size])
                        pkt = p[DGRAM.size:]
                        sport, dport = f[8], f[9]
                        if sport == 4500:
                            pkt = b"\0\0\0\0" + pkt
                        udp[4500 if sport == 4500 else 500].sendto(
                            pkt, (socket.inet_ntoa(f[7][:4]), dport))
                        ok(id_)
                    elif t == 108:  # FWD_POOL_RESERVE: the unit
                        pool = bytearray(p)
                        pool[256:384] = b"ms-1/0/0.1".ljust(128, b"\0")
                        ok(id_, bytes(pool))
                    else:
                        ok(id_)


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(SRC, "build"))
    os.environ["OPENSG_BUILD"] = build
    sys.path.insert(0, os.path.join(SRC, "tests/integration"))
    from harness import Appliance, exe
    from mgdclient import wait_for
    if shutil.which("swanctl") is None or not os.path.exists("/usr/lib/ipsec/charon"):
        sys.exit("needs strongswan-charon, strongswan-swanctl, libcharon-extra-plugins")
    d = tempfile.mkdtemp(prefix="kmd-interop-")
    for sub in ("x509", "x509ca", "private", "rsa", "ecdsa", "pkcs8", "pubkey"):
        os.makedirs(os.path.join(d, "swanctl", sub))
    open(os.path.join(d, "strongswan.conf"), "w").write(STRONGSWAN_CONF.replace("DIR", d))
    open(os.path.join(d, "swanctl", "swanctl.conf"), "w").write(
        SWANCTL_CONF.replace("PEER", PEER).replace("GW", GW))
    ns = ["ip", "netns", "exec", NS]
    subprocess.run(f"ip netns del {NS} 2>/dev/null; ip netns add {NS}", shell=True, check=True)
    subprocess.run(ns + ["sh", "-ec", f"ip link set lo up; ip addr add {GW}/32 dev lo; "
                         f"ip addr add {PEER}/32 dev lo; ip addr add 10.2.2.1/24 dev lo; "
                         "ip link add v0 type veth peer name v1; ip link set v0 up; "
                         "ip link set v1 up; ip route add default dev v0"], check=True)
    a = Appliance().start_mgd()
    procs = []
    env = dict(os.environ, STRONGSWAN_CONF=os.path.join(d, "strongswan.conf"))
    ok = False
    try:
        c = a.client()
        c.configure()
        c.edit("load override terminal", input=open(os.path.join(SRC, "docs/examples/sg1.conf")).read())
        assert c.edit("commit").output == "commit complete\n"
        c.exit_config()
        procs.append(subprocess.Popen(ns + [sys.executable, __file__, "--bridge", a.root]))
        wait_for(lambda: os.path.exists(os.path.join(a.root, "fwdd.sock")), what="bridge")
        kmd = a.start([exe("kmd/kmd"), "--root", a.root, "--debug"], "kmd")
        for f in ("/run/charon.pid", "/var/run/charon.pid"):
            if os.path.exists(f):
                os.unlink(f)
        procs.append(subprocess.Popen(ns + ["/usr/lib/ipsec/charon"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        uri = f"unix://{d}/charon.vici"
        wait_for(lambda: os.path.exists(f"{d}/charon.vici"), what="charon")
        conf = os.path.join(d, "swanctl", "swanctl.conf")
        subprocess.run(ns + ["swanctl", "--load-all", "--uri", uri, "--file", conf], env=env,
                       check=True, capture_output=True)
        r = subprocess.run(ns + ["swanctl", "--initiate", "--uri", uri, "--child", "net",
                                 "--timeout", "30"], env=env, capture_output=True, text=True)
        print(r.stdout[-1500:])
        assert "CHILD_SA net{1} established" in r.stdout, "strongSwan did not establish"
        x = c.command("show services ipsec-vpn ipsec security-associations").raw
        assert "<sa-remote-gateway>198.51.100.7</sa-remote-gateway>" in x, x
        wait_for(lambda: "DPD_ACK" in open(f"{d}/charon.log").read(), what="DPD answered")
        subprocess.run(ns + ["swanctl", "--terminate", "--uri", uri, "--ike", "sg1"], env=env,
                       capture_output=True)
        wait_for(lambda: "deleted: the peer sent DELETE" in open(kmd.log).read(), what="DELETE")
        assert kmd.stop() == 0
        print(open(kmd.log).read())
        ok = True
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait()
        a.cleanup()
        subprocess.run(f"ip netns del {NS}", shell=True)
        shutil.rmtree(d, ignore_errors=True)
    print("strongSwan interop: " + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--bridge":
        bridge(sys.argv[2])
    else:
        sys.exit(main())
