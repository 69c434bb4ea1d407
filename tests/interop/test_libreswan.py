#!/usr/bin/env python3
"""The seed feature against libreswan 4.10 (Debian 12's pluto, an IKEv1
main-mode PSK initiator) as a dynamic peer of the appliance configured with
docs/examples/sg1.conf (mgd, kmd --debug, fwdd with its real ports).
docs/interop.md ("libreswan") describes both tests.

libreswan conflicts with the strongSwan packages, so it is never
installed: `apt-get download libreswan` into a cache directory
($OPENSG_LIBRESWAN_CACHE, default BUILD/libreswan-cache) and `dpkg-deb -x`.

  test_libreswan.py host  [STEP ...]
      pluto on the host, in a network namespace "peer" behind a Linux
      router, raw IKE on UDP 500, no NAT:

        lan 10.1.1.1/24 -- app: fwdd ge-0/0/0 10.1.1.254/24
                                     ge-0/0/1 203.0.113.1/24 -- isp: router
                                         203.0.113.254/24 | 198.51.100.254/24 -- peer: pluto
                                                               198.51.100.7/24, 10.2.2.1/32 on lo

      pluto runs in a private mount namespace where the unpacked
      usr/libexec is bind-mounted over /usr/libexec (its compiled-in paths
      to addconn and _updown).  Main mode completes (kmd's log, the IKE
      show through mgd, MM1/MM2 on the wire with proposal number 0); QM1
      and QM2 are exchanged and fwdd holds kmd's inbound SA.  Then, by what
      the host kernel can do (probed in a scratch namespace with `ip xfrm
      state add ... proto esp`): with ESP, QM3, the tunnel and pings; without
      (the normal case here), pluto cannot install its SAs and never sends
      QM3, and the half-done quick mode leaves no outbound SA, rule or route:
        - with PFS (sg1.conf as it is): pluto's quick mode goes idle (no
          retransmission) until the kernel expires the SPI pluto allocated
          (30 s); kmd undoes it at its own 30 s limit;
        - without PFS (removed from ipsec-policy ipsec-dyn by a commit):
          pluto retransmits QM1 (0.5, 1, 2, 4 s), kmd answers every copy
          with the bytes of its QM2, pluto gives up (retransmit-timeout 6 s),
          the test deletes the connection and kmd undoes the quick mode on
          pluto's DELETE of the IKE SA.

  test_libreswan.py guest [STEP ...]
      pluto inside a qemu guest running Debian's kernel (esp4):

        lan 10.1.1.1/24 -- app: fwdd ge-0/0/0 10.1.1.254/24
                                     ge-0/0/1 203.0.113.1/24 -- wan: br0 -- tap0 -- guest:
                                                          eth0 203.0.113.7/24, osglan 10.2.2.1/24

      main mode + quick mode with PFS group14 and raw ESP (IP protocol 50,
      no NAT-T), ping and 1 MiB of TCP (SHA-256) both ways between 10.2.2.1
      and 10.1.1.1, the SAs and the reverse route through mgd, the wire,
      the peer's DELETE; then the same with AH (an ipsec-proposal with
      protocol ah committed, pluto's phase2=ah: IP protocol 51).  libreswan
      4.x has no AH+ESP bundle, so bundles are tested with tests/ikeinit.

Each step prints one line, then `N passed, M failed`; every wait polls
with a deadline; namespaces, qemu and pluto are removed whatever happens
(SIGTERM included).  Root; iproute2, qemu-system-x86 (guest), certutil
(libnss3-tools) and libreswan's libraries (libldns3, libunbound8, ...:
tests/deps.txt).
"""
import fcntl
import glob
import json
import os
import re
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from osglab import (GW, GW_LAN, HERE, LAN_HOST, PEER_HOST, PEER_LAN, PSK, SRC, Lab, OpenSG,
                    PeerDaemon, cleanup_all, isp_lab, probe, read, receive, say, sh)
import osglab
sys.path.insert(0, os.path.join(HERE, "../vm"))
from mgdclient import wait_for  # noqa: E402  (osglab put tests/integration on the path)

HOST_PEER = "198.51.100.7"   # pluto on the host, behind the ISP router (sg2's place)
GUEST_PEER = "203.0.113.7"   # pluto in the guest, on the WAN bridge
XFER = 1 << 20
GIVEUP = 6                   # s of QM1 retransmissions before pluto gives up (sg2-nopfs)
EXCH_MM, EXCH_INFO, EXCH_QM = 2, 5, 32
LIBDIR = "/usr/lib/x86_64-linux-gnu"
# what NSS dlopens (ldd does not see them): copied to the guest next to libnss3
NSS_MODULES = ("libsoftokn3.so", "libfreeblpriv3.so", "libfreebl3.so", "libnssdbm3.so")
LIBS_HINT = ("libreswan's libraries are missing on the host: apt-get install libldns3 "
             "libunbound8 libcurl3-nss libevent-pthreads-2.1-7 libldap-2.5-0 libnss3 "
             "(tests/deps.txt)")


# --- libreswan, unpacked from its .deb ------------------------------------


def cache_dir():
    d = os.environ.get("OPENSG_LIBRESWAN_CACHE") or os.path.join(
        os.environ.get("OPENSG_BUILD") or os.path.join(SRC, "build"), "libreswan-cache")
    os.makedirs(d, exist_ok=True)
    return d


def fetch_deb(cache):
    """The libreswan .deb: $OPENSG_LIBRESWAN_DEB, or the cached one while
    /var/lib/apt/lists has not changed, or a fresh `apt-get download`."""
    if os.environ.get("OPENSG_LIBRESWAN_DEB"):
        return os.environ["OPENSG_LIBRESWAN_DEB"]
    memo = os.path.join(cache, "resolved.json")
    try:
        stamp = os.stat("/var/lib/apt/lists").st_mtime_ns
    except OSError:
        stamp = None
    try:
        with open(memo) as f:
            m = json.load(f)
        deb = os.path.join(cache, m["deb"])
        if m["stamp"] == stamp and os.path.exists(deb):
            return deb
    except (OSError, ValueError, KeyError):
        pass
    before = set(glob.glob(os.path.join(cache, "libreswan_*.deb")))
    r = sh("apt-get", "download", "libreswan", check=False, cwd=cache, timeout=120)
    if r.returncode != 0 and not before and os.geteuid() == 0:
        sh("apt-get", "update", "-qq", check=False, timeout=300)  # empty lists (fresh machine)
        r = sh("apt-get", "download", "libreswan", check=False, cwd=cache, timeout=120)
    debs = sorted(glob.glob(os.path.join(cache, "libreswan_*.deb")), key=os.path.getmtime)
    if not debs:
        raise RuntimeError("apt-get download libreswan failed:\n" + r.stdout)
    deb = debs[-1]  # the one just downloaded, or the newest cached one without apt
    if r.returncode == 0:
        with open(memo + ".tmp", "w") as f:
            json.dump({"stamp": stamp, "deb": os.path.basename(deb)}, f)
        os.rename(memo + ".tmp", memo)
    return deb


def libreswan():
    """(root of the unpacked package, version); one at a time (flock)."""
    cache = cache_dir()
    with open(os.path.join(cache, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        deb = fetch_deb(cache)
        ver = sh("dpkg-deb", "-f", deb, "Version").stdout.strip()
        root = os.path.join(cache, "libreswan_" + ver)
        if not os.path.exists(os.path.join(root, "usr/libexec/ipsec/pluto")):
            tmp = root + ".tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            sh("dpkg-deb", "-x", deb, tmp)
            shutil.rmtree(root, ignore_errors=True)
            os.rename(tmp, root)
        for old in glob.glob(os.path.join(cache, "libreswan_*")):  # earlier versions
            if old not in (root, deb) and not old.endswith(".tmp"):
                if os.path.isdir(old):
                    shutil.rmtree(old, ignore_errors=True)
                elif os.environ.get("OPENSG_LIBRESWAN_DEB") is None:
                    os.unlink(old)
    return root, ver


def missing_libs(root):
    out = []
    for b in ("pluto", "addconn", "whack"):
        r = sh("ldd", os.path.join(root, "usr/libexec/ipsec", b), check=False)
        out += re.findall(r"^\s*(\S+) => not found", r.stdout, re.M)
    return sorted(set(out))


def nss_db(path):
    """An empty NSS database (pluto opens it even for PSK only)."""
    os.makedirs(path, exist_ok=True)
    sh("certutil", "-N", "-d", "sql:" + path, "--empty-password")


def pluto_conf(d, peer, log, debug=None):
    text = read(os.path.join(HERE, "libreswan.conf.in"))
    subst = {"@DIR@": d, "@LOG@": log, "@PEER@": peer, "@PEER_LAN@": PEER_LAN,
             "@PEER_HOST@": PEER_HOST, "@GW@": GW, "@GW_LAN@": GW_LAN,
             "@GIVEUP@": f"{GIVEUP}s",
             "@DEBUG@": debug or os.environ.get("OPENSG_PLUTO_DEBUG", "none")}
    for k, v in subst.items():
        text = text.replace(k, v)
    assert "@" not in text.replace("@PSK", ""), text
    return text, f'{peer} {GW} : PSK "{PSK}"\n'


# --- a capture of IKE and ESP on one interface ----------------------------


class Capture:
    """AF_PACKET (all frames, both directions) on IFACE in namespace NS,
    read by a thread: every IKE message (UDP 500, UDP 4500 after the
    non-ESP marker) with its header and bytes, and ESP (raw or in UDP 4500)
    and AH (kind "ah") counted per source and SPI."""

    def __init__(self, ns, iface):
        from guest import netns_socket
        self.sock = netns_socket(ns, socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3),
                                 bind=(iface, 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.ike = []      # dicts: t, src, dst, port, exch, msgid, icookie, rcookie, data
        self.esp = {}      # (src, kind) -> {spi: packets}
        self.frags = {}    # src -> IPv4 fragments
        self.lock = threading.Lock()
        self.done = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.done:
            if not select.select([self.sock], [], [], 0.1)[0]:
                continue
            try:
                while True:
                    self._frame(self.sock.recv(65535, socket.MSG_DONTWAIT))
            except BlockingIOError:
                pass
            except OSError:
                return

    def _frame(self, f):
        if len(f) < 34 or f[12:14] != b"\x08\x00":
            return
        ip = f[14:]
        ihl = (ip[0] & 15) * 4
        src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
        frag = struct.unpack("!H", ip[6:8])[0]
        if frag & 0x3FFF:  # MF or an offset: count the fragments of each source
            with self.lock:
                self.frags[src] = self.frags.get(src, 0) + 1
        if frag & 0x1FFF:
            return  # a later fragment
        if ip[9] == 50:
            self._esp(src, "raw", ip[ihl:ihl + 4])
            return
        if ip[9] == 51:  # AH: the SPI after next header, length, reserved
            self._esp(src, "ah", ip[ihl + 4:ihl + 8])
            return
        if ip[9] != 17 or len(ip) < ihl + 8:
            return
        sport, dport, ulen = struct.unpack("!HHH", ip[ihl:ihl + 6])
        body = ip[ihl + 8:ihl + ulen]
        port = 500 if 500 in (sport, dport) else 4500 if 4500 in (sport, dport) else None
        if port == 4500:
            if body == b"\xff":
                return
            if body[:4] != b"\0\0\0\0":
                self._esp(src, "udp", body[:4])
                return
            body = body[4:]
        if port is None or len(body) < 28:
            return
        with self.lock:
            self.ike.append({"t": time.monotonic(), "src": src, "dst": dst, "port": port,
                             "icookie": body[:8].hex(), "rcookie": body[8:16].hex(),
                             "np": body[16], "exch": body[18], "flags": body[19],
                             "msgid": struct.unpack("!I", body[20:24])[0], "data": bytes(body)})

    def _esp(self, src, kind, spi):
        if len(spi) < 4:
            return
        spi = struct.unpack("!I", spi)[0]
        with self.lock:
            d = self.esp.setdefault((src, kind), {})
            d[spi] = d.get(spi, 0) + 1

    def messages(self, **match):
        with self.lock:
            return [m for m in self.ike if all(m[k] == v for k, v in match.items())]

    def esp_count(self, src, kind):
        with self.lock:
            return sum(self.esp.get((src, kind), {}).values())

    def esp_spis(self, src, kind):
        with self.lock:
            return dict(self.esp.get((src, kind), {}))

    def stop(self):
        self.done = True
        self.thread.join(2)
        self.sock.close()


def sa_proposal(data):
    """(proposal number, protocol, [transform numbers]) of the first
    proposal of an unencrypted message whose first payload is an SA."""
    if data[16] != 1:  # next payload: SA
        raise AssertionError(f"first payload {data[16]}, not SA")
    sa = data[28:]
    prop = sa[12:]
    pnum, proto, spisize, ntrans = prop[4], prop[5], prop[6], prop[7]
    off, nums = 8 + spisize, []
    for _ in range(ntrans):
        t = prop[off:]
        nums.append(t[4])
        off += struct.unpack("!H", t[2:4])[0]
    return pnum, proto, nums


def kernel_has_esp(tag):
    """Whether this kernel takes an ESP state (in a scratch namespace, with
    documentation addresses: nothing is sent); (bool, what ip said)."""
    ns = f"osl{tag}x"
    sh("ip", "netns", "add", ns)
    try:
        r = sh("ip", "-n", ns, "xfrm", "state", "add", "src", "192.0.2.1", "dst", "192.0.2.2",
               "proto", "esp", "spi", "0x1000", "reqid", "1", "mode", "tunnel",
               "enc", "cbc(aes)", "0x" + "11" * 16, "auth-trunc", "hmac(sha1)", "0x" + "22" * 20,
               "96", check=False)
        return r.returncode == 0, r.stdout.strip()
    finally:
        sh("ip", "netns", "del", ns, check=False)


def lan_ping(lab, count=1):
    res = probe(lab, "lan", "ping", PEER_HOST, "--count", str(count), "--timeout", "2")["results"]
    return all(x.get("type") == 0 for x in res), res


def check_main_mode(cap, peer):
    """MM1..MM6 on the wire: three messages each way, MM1 with proposal
    number 0 (libreswan's), MM2 echoing it with one transform."""
    mm_in = cap.messages(src=peer, exch=EXCH_MM, port=500)
    mm_out = cap.messages(src=GW, exch=EXCH_MM, port=500)
    assert len({m["data"] for m in mm_in}) == 3, [len(m["data"]) for m in mm_in]
    assert len({m["data"] for m in mm_out}) == 3, [len(m["data"]) for m in mm_out]
    p1, proto1, t1 = sa_proposal(mm_in[0]["data"])
    p2, proto2, t2 = sa_proposal(mm_out[0]["data"])
    say(f"MM1: proposal {p1}, transforms {t1}; MM2: proposal {p2}, transforms {t2}")
    assert p1 == 0 and p2 == 0 and proto1 == proto2 == 1, (p1, p2)
    assert len(t2) == 1 and t2[0] in t1, (t1, t2)
    assert mm_out[0]["rcookie"] != "0" * 16 and mm_in[0]["rcookie"] == "0" * 16
    return mm_in[0]["icookie"], mm_out[0]["rcookie"]


def check_ike_show(osg, peer):
    sas = osg.ike_sas()
    assert len(sas) == 1, sas
    s = sas[0]
    assert s["ike-sa-remote-address"] == peer and s["ike-sa-state"] == "matured", s
    assert s["ike-sa-service-set-name"] == "SG1" and s["ike-sa-local-address"] == GW, s
    assert s["ike-sa-local-port"] == "500" and s["ike-sa-remote-port"] == "500", s
    assert s["ike-sa-remote-identity"] == peer and s["ike-sa-dhgroup"] == "14", s
    return s


# ===========================================================================
# test 1: pluto on the host
# ===========================================================================


class HostPluto(PeerDaemon):
    """pluto in the peer's namespace, with a private mount namespace where
    the unpacked usr/libexec covers /usr/libexec (pluto execs
    /usr/libexec/ipsec/addconn and _updown), and a directory of its own
    (configuration, secrets, NSS database, control socket, log)."""

    stop_timeout = 10

    def __init__(self, lab, role, root, peer):
        self.lab, self.role, self.root = lab, role, root
        self.bin = os.path.join(root, "usr/libexec/ipsec")
        self.dir = tempfile.mkdtemp(prefix="osg-interop-pluto-", dir="/tmp")
        self.log = os.path.join(self.dir, "pluto.log")
        self.conf = os.path.join(self.dir, "ipsec.conf")
        self.secrets = os.path.join(self.dir, "ipsec.secrets")
        self.ctl = os.path.join(self.dir, "run/pluto.ctl")
        self.proc = None
        for sub in ("run", "ipsec.d"):
            os.makedirs(os.path.join(self.dir, sub))
        nss_db(os.path.join(self.dir, "nss"))
        conf, secrets = pluto_conf(self.dir, peer, self.log)
        with open(self.conf, "w") as f:
            f.write(conf)
        with open(self.secrets, "w") as f:
            f.write(secrets)
        os.chmod(self.secrets, 0o600)

    def start(self):
        d = self.dir
        pluto = (f"{self.bin}/pluto --nofork --config {d}/ipsec.conf --rundir {d}/run "
                 f"--nssdir {d}/nss --secretsfile {d}/ipsec.secrets --ipsecdir {d}/ipsec.d "
                 "--no-dnssec --nhelpers 1")
        script = f"mount --bind {self.root}/usr/libexec /usr/libexec && exec {pluto}"
        self.proc = subprocess.Popen(
            self.lab.argv(self.role, "unshare", "--mount", "--propagation", "private", "sh", "-c",
                          script), stdout=open(d + "/pluto.out", "wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        wait_for(lambda: ('"sg2-nopfs": added IKEv1 connection' in read(self.log) and
                          os.path.exists(self.ctl)) or self.proc.poll() is not None,
                 timeout=30, what="pluto listening with its connections")
        assert self.proc.poll() is None, read(d + "/pluto.out") + read(self.log)[-3000:]

    def whack(self, *args, check=True):
        r = self.lab.run(self.role, f"{self.bin}/whack", "--ctlsocket", self.ctl, *args,
                         timeout=30)
        if check and r.returncode != 0:
            raise AssertionError(f"whack {' '.join(args)} (exit {r.returncode}):\n{r.stdout}")
        return r.stdout



class Host:
    lab = osg = pluto = cap = None
    esp = False
    qm = {}  # the current quick mode: msgid, QM1 and QM2 bytes, time of QM1
    mark = 0.0
    kmd_at = 0


H = Host()


def host_setup(root):
    H.lab = lab = isp_lab("osl", "peer", HOST_PEER)
    H.pluto = HostPluto(lab, "peer", root, HOST_PEER)
    H.osg = OpenSG(lab).start()
    H.pluto.start()


def keep_logs(files):
    """$OPENSG_INTEROP_KEEP=DIR: copy the logs there before they go."""
    dest = os.environ.get("OPENSG_INTEROP_KEEP")
    if not dest:
        return
    os.makedirs(dest, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(dest, name), "w") as f:
            f.write(data)


def host_teardown():
    if H.cap:
        H.cap.stop()
    keep_logs({"kmd.out": H.osg.kmd_log() if H.osg else "",
               "fwdd.out": H.osg.fwdd_log() if H.osg else "",
               "pluto.log": read(H.pluto.log) if H.pluto else ""})
    return cleanup_all(lambda: H.pluto and H.pluto.cleanup(), lambda: H.osg and H.osg.cleanup(),
                       lambda: H.lab and H.lab.down())


def host_diagnostics():
    for name, text in (("kmd.out", H.osg.kmd_log() if H.osg else ""),
                       ("fwdd.out", H.osg.fwdd_log() if H.osg else ""),
                       ("pluto.log", read(H.pluto.log) if H.pluto else "")):
        print(f"--- {name} (end) ---\n{text[-5000:]}", flush=True)
    if H.cap:
        print("--- IKE on isp eth0 ---", flush=True)
        t0 = H.cap.ike[0]["t"] if H.cap.ike else 0
        for m in H.cap.messages():
            print(f"  {m['t'] - t0:7.3f} {m['src']:>15} -> {m['dst']:<15} :{m['port']} exch "
                  f"{m['exch']:2} msgid {m['msgid']:08x} len {len(m['data'])}", flush=True)


def host_test_1_kernel_esp():
    H.esp, what = kernel_has_esp(H.lab.tag)
    say("the host kernel " + ("has ESP: expect QM3 and traffic" if H.esp else
                              f"has no ESP ({what}): expect no QM3"))
    # a first look: nothing between the LANs yet
    wait_for(lambda: lan_ping(H.lab)[1][0].get("type") == 3, what="fwdd answering the LAN host")
    assert H.osg.ike_sas() == [] and H.osg.esp_tunnels() == []


def host_test_2_main_mode():
    H.cap = Capture(H.lab.ns["isp"], "eth0")  # the ISP router's link to the appliance
    H.pluto.whack("--name", "sg2", "--initiate", "--asynchronous")
    line = wait_for(lambda: re.search(
        rf"IKE SA \S+ with {HOST_PEER}:500 \(id {HOST_PEER}\) established in service set SG1: "
        r"aes-128-cbc sha1 group14[^\n]*", H.osg.kmd_log()), timeout=30, what="kmd: IKE SA")
    say("kmd: " + line.group(0))
    m = wait_for(lambda: re.search(r'"sg2" #\d+: IKE SA established[^\n]*', read(H.pluto.log)),
                 timeout=10, what="pluto: IKE SA established")
    say("pluto: " + m.group(0))
    assert "group=MODP2048" in m.group(0) and "AES_CBC_128" in m.group(0), m.group(0)
    check_ike_show(H.osg, HOST_PEER)
    wait_for(lambda: len(H.cap.messages(src=GW, exch=EXCH_MM)) >= 3, what="MM6 on the wire")
    check_main_mode(H.cap, HOST_PEER)
    assert not H.cap.messages(port=4500), "IKE on 4500: NAT-T without NAT"


def qm_exchange(cap, peer, after=0.0):
    """(msgid, QM1, QM2) of the first quick mode seen after `after`."""
    def seen():
        qm1 = [m for m in cap.messages(src=peer, exch=EXCH_QM) if m["t"] >= after]
        if not qm1:
            return None
        qm2 = cap.messages(src=GW, exch=EXCH_QM, msgid=qm1[0]["msgid"])
        return (qm1[0]["msgid"], qm1[0], qm2[0]) if qm2 else None
    return wait_for(seen, timeout=20, what="QM1 and QM2 on the wire")


def host_test_3_quick_mode_qm1_qm2():
    msgid, qm1, qm2 = qm_exchange(H.cap, HOST_PEER)
    H.qm = {"msgid": msgid, "qm1": qm1["data"], "qm2": qm2["data"], "t": qm1["t"]}
    say(f"QM1 msgid {msgid:08x} ({len(qm1['data'])} bytes), QM2 "
        f"{(qm2['t'] - qm1['t']) * 1000:.0f} ms later ({len(qm2['data'])} bytes)")
    assert qm1["flags"] & 1 and qm2["flags"] & 1, "quick mode in clear"
    assert qm1["icookie"] == qm2["icookie"] and qm1["rcookie"] == qm2["rcookie"]
    # kmd sends QM2 only once fwdd has taken the inbound SA: fwdd holds SAs
    # for a tunnel to the peer, which kmd does not list as up
    t = H.osg.esp_tunnels()
    assert len(t) == 1 and t[0]["sa-remote-gateway"] == HOST_PEER, t
    assert t[0]["esp-encrypted-packets"] == "0", t
    if not H.esp:
        assert H.osg.ipsec_sas() == [], H.osg.ipsec_sas()


def pluto_sa_failure(conn):
    """pluto's log line saying the kernel refused its SA."""
    return wait_for(lambda: re.search(rf'ERROR: "{conn}" #\d+: netlink response for Add SA[^\n]*',
                                      read(H.pluto.log)), timeout=10,
                    what=f"{conn}: pluto failing to install its SAs")


def nothing_outbound(n_tunnels=1):
    """A quick mode that went no further than QM2: fwdd holds kmd's inbound
    SA (an idle tunnel in its statistics) but kmd lists no IPsec SA, vrf-n1
    has no reverse route, the LAN host's ping to the peer's LAN finds no
    route, and no ESP left the appliance."""
    assert H.osg.ipsec_sas() == [], H.osg.ipsec_sas()
    assert PEER_LAN not in H.osg.vrf_routes(), H.osg.vrf_routes()
    ok, res = lan_ping(H.lab)
    assert not ok and res[0].get("type") == 3 and res[0].get("from") == "10.1.1.254", res
    assert H.cap.esp_count(GW, "raw") == 0 and H.cap.esp_count(GW, "udp") == 0
    assert re.search(rf"tunnel \d+ with {HOST_PEER}[^\n]* established", H.osg.kmd_log()) is None
    t = H.osg.esp_tunnels()
    assert len(t) == n_tunnels and all(x["esp-encrypted-packets"] == "0" for x in t), t


def no_qm3(msgid, qm1):
    """Every quick-mode message of the peer under msgid is QM1 itself."""
    mine = H.cap.messages(src=HOST_PEER, exch=EXCH_QM, msgid=msgid)
    assert mine and all(m["data"] == qm1 for m in mine), \
        f"{len(mine)} messages under {msgid:08x}, not all QM1: QM3?"
    return len(mine)


def host_test_4_with_pfs_pluto_stalls_both_expire():
    """Without ESP in the kernel pluto cannot install its SAs; since PFS
    makes it handle QM2 in its DH helper (which drops the retransmission
    timer), its quick mode then stays idle: no QM3, no retransmission.
    pluto drops it silently when the kernel expires the larval SA of the
    SPI it allocated (30 s), kmd at its own limit (30 s from QM1): fwdd's
    inbound SA goes, the IKE SA stays until pluto deletes it."""
    if H.esp:
        return host_esp_tunnel()
    say("pluto: " + pluto_sa_failure("sg2").group(0))
    m = wait_for(lambda: re.search(r'"sg2" #\d+: state transition function for STATE_QUICK_I1 '
                                   r'had internal error', read(H.pluto.log)),
                 timeout=5, what="pluto: quick mode failed")
    say("pluto: " + m.group(0))
    nothing_outbound()
    line = wait_for(lambda: re.search(
        rf"tunnel \d+ with {HOST_PEER} \(id {HOST_PEER}, service set SG1, remote {PEER_LAN} "
        rf"local {GW_LAN}\) refused: no QM3 within \d+ s", H.osg.kmd_log()), timeout=40,
        what="kmd: quick mode expired")
    say(f"kmd ({time.monotonic() - H.qm['t']:.1f} s after QM1): " + line.group(0))
    m = wait_for(lambda: re.search(r'"sg2" #\d+: deleting state \(STATE_QUICK_I1\)[^\n]*',
                                   read(H.pluto.log)), timeout=10, what="pluto dropping QM")
    why = re.search(r'"sg2" #\d+: received hard EXPIRE for inbound SPI \S+', read(H.pluto.log))
    say("pluto: " + (why.group(0) + "; " if why else "") + m.group(0))
    n = no_qm3(H.qm["msgid"], H.qm["qm1"])
    assert n == 1, f"{n} copies of QM1: pluto retransmitted"
    assert len(H.cap.messages(src=GW, exch=EXCH_QM, msgid=H.qm["msgid"])) == 1
    wait_for(lambda: not H.osg.esp_tunnels(), what="fwdd: the inbound SA released")
    assert H.osg.ipsec_sas() == [] and PEER_LAN not in H.osg.vrf_routes()
    sas = H.osg.ike_sas()
    assert [s["ike-sa-state"] for s in sas] == ["matured"], sas
    at, t = len(H.osg.kmd_log()), time.monotonic()
    H.pluto.whack("--name", "sg2", "--delete")
    wait_for(lambda: re.search(r"IKE SA \S+ with [^\n]* deleted: the peer sent DELETE",
                               H.osg.kmd_log()[at:]), what="kmd: IKE SA deleted")
    wait_for(lambda: [m for m in H.cap.messages(src=HOST_PEER, exch=EXCH_INFO) if m["t"] >= t],
             timeout=5, what="pluto's DELETE on the wire")
    wait_for(lambda: not H.osg.ike_sas(), what="no IKE SA left")
    H.osg.nothing_left()


def host_esp_tunnel(conn="sg2"):
    """A host kernel with ESP: QM3, the tunnel, pings both ways; then the
    peer's DELETE removes everything."""
    line = wait_for(lambda: re.search(
        rf"tunnel \d+ with {HOST_PEER} \(id {HOST_PEER}, service set SG1, remote {PEER_LAN} "
        rf"local {GW_LAN}\) established[^\n]*", H.osg.kmd_log()[H.kmd_at:]), timeout=20,
        what="kmd: tunnel established")
    say("kmd: " + line.group(0))
    assert len(H.osg.ipsec_sas()) == 1
    assert H.osg.vrf_routes().get(PEER_LAN) == ("Static", "1", "ms-1/0/0.1")
    wait_for(lambda: lan_ping(H.lab)[0], timeout=20, what="ping through the tunnel")
    res = probe(H.lab, "peer", "ping", LAN_HOST, "--source", PEER_HOST, "--count", "3")
    assert all(x.get("type") == 0 for x in res["results"]), res
    assert H.cap.esp_count(GW, "raw") >= 3 and H.cap.esp_count(HOST_PEER, "raw") >= 3
    at = len(H.osg.kmd_log())
    H.pluto.whack("--name", conn, "--delete")
    wait_for(lambda: "deleted: the peer sent DELETE" in H.osg.kmd_log()[at:],
             what="kmd: tunnel deleted")
    wait_for(lambda: not H.osg.ike_sas() and not H.osg.esp_tunnels(), what="nothing left")
    H.osg.nothing_left()


def host_test_5_without_pfs_qm1_answered_from_cache():
    """PFS removed from ipsec-policy ipsec-dyn (a commit through mgd) and
    pluto's sg2-nopfs: pluto keeps retransmitting QM1 after failing to
    install its SAs; kmd answers each copy with the very bytes of its QM2
    (its retransmission cache) and installs nothing more."""
    c = H.osg.client
    c.configure()
    r = c.edit("delete services ipsec-vpn ipsec policy ipsec-dyn perfect-forward-secrecy")
    assert not r.error, r.output
    r = c.edit("commit")
    assert r.output.endswith("commit complete\n"), r.output
    c.exit_config()
    H.mark, H.kmd_at = time.monotonic(), len(H.osg.kmd_log())
    H.pluto.whack("--name", "sg2-nopfs", "--initiate", "--asynchronous")
    msgid, qm1, qm2 = qm_exchange(H.cap, HOST_PEER, after=H.mark)
    H.qm = {"msgid": msgid, "qm1": qm1["data"], "qm2": qm2["data"], "t": qm1["t"]}
    say(f"QM1 msgid {msgid:08x} ({len(qm1['data'])} bytes, no KE), QM2 "
        f"{(qm2['t'] - qm1['t']) * 1000:.0f} ms later ({len(qm2['data'])} bytes)")
    if H.esp:
        return host_esp_tunnel("sg2-nopfs")
    say("pluto: " + pluto_sa_failure("sg2-nopfs").group(0))

    def answered():
        qm1s = H.cap.messages(src=HOST_PEER, exch=EXCH_QM, msgid=msgid)
        qm2s = H.cap.messages(src=GW, exch=EXCH_QM, msgid=msgid)
        return len(qm1s) >= 3 and len(qm2s) == len(qm1s) and (qm1s, qm2s)
    qm1s, qm2s = wait_for(answered, timeout=GIVEUP + 5, what="two retransmissions of QM1, "
                          "each answered")
    assert all(m["data"] == H.qm["qm1"] for m in qm1s), "a retransmission differs (QM3?)"
    assert all(m["data"] == H.qm["qm2"] for m in qm2s), "kmd's answers differ from its QM2"
    for a, b in zip(qm1s, qm2s):  # each answer follows its retransmission
        assert b["t"] >= a["t"], (a["t"], b["t"])
    nothing_outbound()


def host_test_6_pluto_gives_up_then_delete_undoes_the_quick_mode():
    """pluto gives up its quick mode after GIVEUP s of retransmissions (every
    copy answered, none of them QM3); then the test deletes the connection
    while kmd still waits for QM3: pluto's DELETE of its IKE SA makes kmd
    undo the quick mode at once."""
    if H.esp:
        return
    msgid = H.qm["msgid"]
    gave_up = wait_for(lambda: re.search(r'"sg2-nopfs" #\d+: STATE_QUICK_I1: \d+ second timeout '
                                         r'exceeded after (\d+) retransmits[^\n]*',
                                         read(H.pluto.log)),
                       timeout=GIVEUP + 10, what="pluto giving up")
    say(f"pluto ({time.monotonic() - H.qm['t']:.1f} s after QM1): " + gave_up.group(0))
    n = int(gave_up.group(1)) + 1
    wait_for(lambda: len(H.cap.messages(src=GW, exch=EXCH_QM, msgid=msgid)) == n,
             timeout=5, what=f"kmd's {n} answers")
    assert no_qm3(msgid, H.qm["qm1"]) == n, (n, no_qm3(msgid, H.qm["qm1"]))
    qm1s = H.cap.messages(src=HOST_PEER, exch=EXCH_QM, msgid=msgid)
    qm2s = H.cap.messages(src=GW, exch=EXCH_QM, msgid=msgid)
    t0 = qm1s[0]["t"]
    say("QM1 at " + ", ".join(f"{m['t'] - t0:.2f}" for m in qm1s) + " s; QM2 at " +
        ", ".join(f"{m['t'] - t0:.2f}" for m in qm2s) + " s")
    assert all(m["data"] == H.qm["qm2"] for m in qm2s), "kmd's answers differ from its QM2"
    assert "no QM3 within" not in H.osg.kmd_log()[H.kmd_at:], "kmd's limit already passed"
    assert len(H.osg.esp_tunnels()) == 1, "fwdd no longer holds the inbound SA"
    at = len(H.osg.kmd_log())
    H.pluto.whack("--name", "sg2-nopfs", "--delete")
    line = wait_for(lambda: re.search(
        rf"tunnel \d+ with {HOST_PEER} \(id {HOST_PEER}, service set SG1, remote {PEER_LAN} "
        rf"local {GW_LAN}\) refused: its IKE SA went away during quick mode",
        H.osg.kmd_log()[at:]), what="kmd: the quick mode undone")
    say("kmd: " + line.group(0))
    assert re.search(r"IKE SA \S+ with [^\n]* deleted: the peer sent DELETE",
                     H.osg.kmd_log()[at:]), H.osg.kmd_log()[at:]
    wait_for(lambda: not H.osg.ike_sas() and not H.osg.esp_tunnels(), what="nothing left")
    H.osg.nothing_left()


def host_test_7_daemons_stop_cleanly():
    log = H.osg.kmd_log()
    assert PSK not in log and PSK.encode().hex() not in log
    H.pluto.stop()
    for d, name in ((H.osg.kmd, "kmd"), (H.osg.fwdd, "fwdd")):
        rc = d.stop()
        assert rc == 0, f"{name} exited {rc} on SIGTERM:\n" + read(d.log)[-3000:]


HOST_STEPS = [host_test_1_kernel_esp, host_test_2_main_mode, host_test_3_quick_mode_qm1_qm2,
              host_test_4_with_pfs_pluto_stalls_both_expire,
              host_test_5_without_pfs_qm1_answered_from_cache,
              host_test_6_pluto_gives_up_then_delete_undoes_the_quick_mode,
              host_test_7_daemons_stop_cleanly]


# ===========================================================================
# test 2: pluto in a qemu guest
# ===========================================================================


GUEST_PLUTO = ("/usr/libexec/ipsec/pluto --nofork --config /etc/ipsec.conf --rundir /run/pluto "
               "--nssdir /etc/ipsec.d/nss --secretsfile /etc/ipsec.secrets --ipsecdir /etc/ipsec.d "
               "--no-dnssec --nhelpers 1")
GUEST_WHACK = "/usr/libexec/ipsec/whack --ctlsocket /run/pluto/pluto.ctl"
GUEST_LOG = "/var/log/pluto.log"


class Vm:
    lab = osg = g = cap = None
    work = None
    spis = {}


V = Vm()


def guest_payload(root):
    """binaries= and files= of the guest: pluto, addconn, whack (with their
    ldd closure), the _updown scripts, the NSS modules NSS dlopens (next to
    libnss3, with their closure: libsqlite3 ...), the configuration and an
    NSS database made here with certutil."""
    ipsec = os.path.join(root, "usr/libexec/ipsec")
    binaries = {f"/usr/libexec/ipsec/{b}": os.path.join(ipsec, b)
                for b in ("pluto", "addconn", "whack")}
    files = {f"/usr/libexec/ipsec/{s}": ("host", os.path.join(ipsec, s))
             for s in ("_updown", "_updown.xfrm")}
    for lib in NSS_MODULES:
        binaries[f"/lib/x86_64-linux-gnu/{lib}"] = os.path.join(LIBDIR, lib)
        chk = os.path.join(LIBDIR, lib[:-3] + ".chk")
        if os.path.exists(chk):
            files[f"/lib/x86_64-linux-gnu/{os.path.basename(chk)}"] = ("host", chk)
    V.work = tempfile.mkdtemp(prefix="osg-interop-guest-", dir="/tmp")
    nss_db(os.path.join(V.work, "nss"))
    conf, secrets = pluto_conf("/run/pluto", GUEST_PEER, GUEST_LOG)
    files["/etc/ipsec.d/nss"] = ("tree", os.path.join(V.work, "nss"))
    files["/etc/ipsec.conf"] = conf
    files["/etc/ipsec.secrets"] = secrets
    return binaries, files


def guest_setup(root):
    from guest import Guest

    def build(lab):
        for r in ("app", "lan", "wan"):
            lab.add(r)
        lab.ip("wan", "link", "add", "br0", "type", "bridge")
        lab.ip("wan", "link", "set", "br0", "up")
        lab.veth("app", "ge0", "lan", "eth0")
        lab.veth("app", "ge1", "wan", "w1")
        lab.ip("wan", "link", "set", "w1", "master", "br0", "up")
        lab.addr("lan", "eth0", LAN_HOST + "/24")
        lab.ip("lan", "route", "add", "default", "via", "10.1.1.254")
    V.lab = lab = Lab("osv", ()).build(build)
    binaries, files = guest_payload(root)
    V.osg = OpenSG(lab).start()
    V.g = Guest(ns=lab.ns["wan"], tap="tap0", bridge="br0", addr=GUEST_PEER + "/24",
                lan=PEER_HOST + "/24", binaries=binaries, files=files, name="libreswan")
    V.g.start(timeout=90)
    say(f"guest: image {V.g.timings.get('image')} s, boot {V.g.timings.get('boot')} s")


def guest_teardown():
    if V.cap:
        V.cap.stop()
    if os.environ.get("OPENSG_INTEROP_KEEP"):
        keep_logs({"kmd.out": V.osg.kmd_log() if V.osg else "",
                   "fwdd.out": V.osg.fwdd_log() if V.osg else "",
                   "pluto.log": guest_log() if V.g and V.g.alive() else "",
                   "console.log": V.g.console if V.g else ""})
    return cleanup_all(lambda: V.g and V.g.stop(), lambda: V.osg and V.osg.cleanup(),
                       lambda: V.lab and V.lab.down(),
                       lambda: V.work and shutil.rmtree(V.work, ignore_errors=True))


def guest_log():
    try:
        return V.g.run(f"cat {GUEST_LOG} /tmp/pluto.out 2>/dev/null", check=False).out
    except Exception as e:  # the guest may be gone
        return f"({e})"


def guest_diagnostics():
    print(f"--- kmd.out (end) ---\n{V.osg.kmd_log()[-5000:] if V.osg else ''}", flush=True)
    print(f"--- fwdd.out (end) ---\n{V.osg.fwdd_log()[-3000:] if V.osg else ''}", flush=True)
    if V.g and V.g.alive():
        print(f"--- guest pluto.log (end) ---\n{guest_log()[-5000:]}", flush=True)
        r = V.g.run("ip -s xfrm state; ip xfrm policy; ip route; ip route show table all | "
                    "grep -v '^local'", check=False)
        print(f"--- guest xfrm and routes ---\n{r.out}", flush=True)
    if V.g:
        print(V.g.tail(20), flush=True)


def guest_test_1_pluto_starts():
    r = V.g.run("lsmod | grep -c -E '^(esp4|xfrm_user|authenc) '", check=False)
    assert r.out.strip() == "3", "esp4/xfrm_user/authenc not loaded:\n" + r.out
    V.g.spawn("mkdir -p /run/pluto /var/log && exec " + GUEST_PLUTO, "/tmp/pluto.out")
    V.g.poll(f"cat {GUEST_LOG} /tmp/pluto.out 2>/dev/null; test -S /run/pluto/pluto.ctl && "
             "echo CTL-READY", r'"sg2": added IKEv1 connection(.|\n)*CTL-READY', timeout=60)
    out = guest_log()
    m = re.search(r"Starting Pluto \(Libreswan Version (\S+)", out)
    say("guest: pluto " + (m.group(1) if m else "?") + ", NSS " +
        ("initialized" if "NSS crypto library initialized" in out else "?"))
    r = lan_ping(V.lab)  # no path before the tunnel
    assert not r[0] and r[1][0].get("type") == 3 and r[1][0].get("from") == "10.1.1.254", r
    r = V.g.run(f"ping -c 1 -W 2 -I {PEER_HOST} {LAN_HOST}", timeout=10, check=False)
    assert r.rc != 0, r.out


def guest_test_2_main_and_quick_mode():
    V.cap = Capture(V.lab.ns["wan"], "w1")  # between fwdd's WAN port and the bridge
    t0 = time.monotonic()
    V.g.run(f"{GUEST_WHACK} --name sg2 --initiate --asynchronous")
    V.g.poll(f"grep -h 'IPsec SA established' {GUEST_LOG}", r"IPsec SA established", timeout=60,
             interval=0.3)
    say(f"established {time.monotonic() - t0:.1f} s after whack --initiate")
    out = guest_log()
    for pat in (r'"sg2" #\d+: IKE SA established[^\n]*', r'"sg2" #\d+: IPsec SA established[^\n]*'):
        m = re.search(pat, out)
        assert m, out[-3000:]
        say("pluto: " + m.group(0))
    est = re.search(r'IPsec SA established tunnel mode \{ESP=>0x([0-9a-f]{8}) <0x([0-9a-f]{8}) '
                    r'xfrm=AES_CBC_128-HMAC_SHA1_96 ', out)
    assert est, "not tunnel mode ESP with AES-128 and HMAC-SHA1-96:\n" + out[-2000:]
    assert re.search(r'"sg2" #\d+: initiating Quick Mode [^\n]*\+PFS\+[^\n]*'
                     r'proposal=AES_CBC_128-HMAC_SHA1_96-MODP2048 pfsgroup=MODP2048', out), out
    V.spis = {"guest_out": int(est.group(1), 16), "guest_in": int(est.group(2), 16)}
    assert "NAT" not in est.group(0)
    log = V.osg.kmd_log()
    m = re.search(rf"IKE SA \S+ with {GUEST_PEER}:500 \(id {GUEST_PEER}\) established in service "
                  r"set SG1: aes-128-cbc sha1 group14[^\n]*", log)
    assert m, log[-3000:]
    say("kmd: " + m.group(0))
    m = re.search(rf"tunnel \d+ with {GUEST_PEER} \(id {GUEST_PEER}, service set SG1, remote "
                  rf"{PEER_LAN} local {GW_LAN}\) established: esp aes-128-cbc hmac-sha1-96 PFS, "
                  r"inside ms-1/0/0.1[^\n]*", log)
    assert m, log[-3000:]
    say("kmd: " + m.group(0))
    assert "UDP-encapsulated" not in m.group(0)
    x = V.g.run("ip xfrm state").out
    assert x.count("proto esp") == 2 and "encap" not in x, x
    check_main_mode(V.cap, GUEST_PEER)
    assert len({m["data"] for m in V.cap.messages(src=GUEST_PEER, exch=EXCH_QM)}) == 2  # QM1, QM3
    assert len(V.cap.messages(src=GW, exch=EXCH_QM)) == 1  # QM2


def guest_test_3_ping_both_ways():
    r = V.g.run(f"ping -c 3 -W 3 -I {PEER_HOST} {LAN_HOST}", timeout=30, check=False)
    assert r.rc == 0 and "3 packets received" in r.out, r.out
    ok, res = lan_ping(V.lab, count=3)
    assert ok and all(x["from"] == PEER_HOST for x in res), res


def guest_test_4_tcp_1mb_lan_to_guest():
    pid = V.g.spawn("sh -c 'exec nc -l -p 5202 >/tmp/rx'", "/tmp/nc-l.out")
    t0 = time.monotonic()
    sent = probe(V.lab, "lan", "send", PEER_HOST, "5202", str(XFER), "--timeout", "90",
                 timeout=120)
    took = time.monotonic() - t0
    V.g.poll(f"kill -0 {pid} 2>/dev/null || echo NC-DONE", "NC-DONE", timeout=20, interval=0.2)
    r = V.g.run("wc -c < /tmp/rx; sha256sum /tmp/rx").out.split()
    say(f"10.1.1.1 -> 10.2.2.1: {int(r[0])} bytes in {took:.1f} s")
    assert int(r[0]) == XFER and r[1] == sent["sha256"], (r, sent)


def guest_test_4_tcp_1mb_guest_to_lan():
    def send():
        r = V.g.run(f"head -c {XFER} /dev/urandom > /tmp/tx && sha256sum /tmp/tx && "
                    f"nc {LAN_HOST} 5201 < /tmp/tx", timeout=120)
        return r.out.split()[0]
    t0 = time.monotonic()
    got = receive(V.lab, "lan", LAN_HOST, send, XFER)
    say(f"10.2.2.1 -> 10.1.1.1: {got['bytes']} bytes in {time.monotonic() - t0:.1f} s")
    assert got["peer"] == PEER_HOST, got


def guest_test_5_on_the_wire_raw_esp():
    n_gw, n_peer = V.cap.esp_count(GW, "raw"), V.cap.esp_count(GUEST_PEER, "raw")
    say(f"w1: raw ESP {n_gw} packets from {GW} (SPIs {list(map(hex, V.cap.esp_spis(GW, 'raw')))}),"
        f" {n_peer} from {GUEST_PEER} (SPIs "
        f"{list(map(hex, V.cap.esp_spis(GUEST_PEER, 'raw')))}); IKE on UDP 500 only")
    for n in (n_gw, n_peer):
        assert n >= XFER // 1460, (n_gw, n_peer)
    assert set(V.cap.esp_spis(GUEST_PEER, "raw")) == {V.spis["guest_out"]}
    assert set(V.cap.esp_spis(GW, "raw")) == {V.spis["guest_in"]}
    assert V.cap.esp_count(GW, "udp") == 0 and V.cap.esp_count(GUEST_PEER, "udp") == 0
    say(f"w1: IPv4 fragments {V.cap.frags}")
    assert not V.cap.messages(port=4500), "IKE on UDP 4500"


def guest_test_6_show_through_mgd():
    osg = V.osg
    check_ike_show(osg, GUEST_PEER)
    sas = osg.ipsec_sas()
    assert len(sas) == 1, sas
    s = sas[0]
    assert s["svc-set-name"] == "SG1" and s["sa-remote-gateway"] == GUEST_PEER, s
    assert s["sa-local-gateway"] == GW and s["sa-inside-interface"] == "ms-1/0/0.1", s
    assert s.get("sa-udp-encapsulate", "Disabled") != "Enabled", s
    # kmd's inbound SA is the guest's outbound one, and the reverse
    assert s["spis"] == {"inbound": V.spis["guest_out"], "outbound": V.spis["guest_in"]}, \
        (s["spis"], V.spis)
    routes = osg.vrf_routes()
    assert routes.get(PEER_LAN) == ("Static", "1", "ms-1/0/0.1"), routes
    t = osg.esp_tunnels()
    assert len(t) == 1 and t[0]["sa-remote-gateway"] == GUEST_PEER, t
    for k in ("esp-encrypted-bytes", "esp-decrypted-bytes"):
        assert int(t[0][k]) > XFER, (k, t)
    for k in ("esp-authentication-failures", "replay-errors", "esp-decryption-failures",
              "bad-headers", "bad-trailers"):
        assert t[0].get(k, "0") == "0", (k, t)
    cli = osg.cli("show services ipsec-vpn ipsec security-associations")
    say("cli: " + "\n".join(ln for ln in cli.splitlines() if ln.strip())[:900])
    assert GUEST_PEER in cli and re.search(rf"inbound\s+{V.spis['guest_out']}\s", cli) and \
        re.search(rf"outbound\s+{V.spis['guest_in']}\s", cli), cli  # decimal SPIs
    r = osg.cli("show route table vrf-n1.inet.0")
    assert PEER_LAN in r, r
    # the guest's kernel counted the same traffic
    x = V.g.run("ip -s xfrm state").out
    got = [int(b) for b in re.findall(r"lifetime current:\s*\n\s*(\d+)\(bytes\)", x)]
    assert len(got) == 2 and min(got) > XFER, x


def guest_test_7_peer_delete():
    at = len(V.osg.kmd_log())
    V.g.run(f"{GUEST_WHACK} --name sg2 --delete")
    line = wait_for(lambda: re.search(r"tunnel \d+ [^\n]* deleted: the peer sent DELETE",
                                      V.osg.kmd_log()[at:]), what="kmd: tunnel deleted")
    say("kmd: " + line.group(0))
    wait_for(lambda: not V.osg.ike_sas() and not V.osg.esp_tunnels() and
             PEER_LAN not in V.osg.vrf_routes(), what="nothing left in kmd and fwdd")
    V.osg.nothing_left()
    assert "proto esp" not in V.g.run("ip xfrm state").out
    ok, res = lan_ping(V.lab)
    assert not ok and res[0].get("type") == 3, res


AH_PROPOSAL = ("set services ipsec-vpn ipsec proposal ah-sha1 protocol ah",
               "set services ipsec-vpn ipsec proposal ah-sha1 authentication-algorithm "
               "hmac-sha1-96",
               "set services ipsec-vpn ipsec policy ipsec-dyn proposals ah-sha1")


def guest_test_8_ah_main_and_quick_mode():
    """AH with PFS: an ipsec-proposal with protocol ah committed into
    ipsec-dyn; pluto's sg2-ah (phase2=ah, ah=sha1;modp2048)."""
    assert "ah4" in V.g.run("lsmod").out.split(), "ah4 not loaded in the guest"
    assert '"sg2-ah": added IKEv1 connection' in guest_log(), guest_log()[-2000:]
    V.osg.commit(*AH_PROPOSAL)
    at, t0 = len(V.osg.kmd_log()), time.monotonic()
    V.g.run(f"{GUEST_WHACK} --name sg2-ah --initiate --asynchronous")
    V.g.poll(f"grep -h 'sg2-ah.*IPsec SA established' {GUEST_LOG}", r"IPsec SA established",
             timeout=60, interval=0.3)
    say(f"AH established {time.monotonic() - t0:.1f} s after whack --initiate")
    out = guest_log()
    est = re.search(r'"sg2-ah" #\d+: IPsec SA established tunnel mode \{AH=>0x([0-9a-f]{8}) '
                    r'<0x([0-9a-f]{8}) xfrm=HMAC_SHA1_96[^\n]*', out)
    assert est, "not tunnel mode AH with HMAC-SHA1-96:\n" + out[-2000:]
    say("pluto: " + est.group(0))
    V.spis = {"guest_out": int(est.group(1), 16), "guest_in": int(est.group(2), 16)}
    m = re.search(rf"tunnel \d+ with {GUEST_PEER} \(id {GUEST_PEER}, service set SG1, remote "
                  rf"{PEER_LAN} local {GW_LAN}\) established: ah none hmac-sha1-96 PFS, "
                  r"inside ms-1/0/0.1[^\n]*", V.osg.kmd_log()[at:])
    assert m, V.osg.kmd_log()[at:][-3000:]
    say("kmd: " + m.group(0))
    x = V.g.run("ip xfrm state").out
    assert x.count("proto ah") == 2 and "proto esp" not in x, x


def guest_test_9_ah_ping_and_tcp_both_ways():
    guest_test_3_ping_both_ways()
    guest_test_4_tcp_1mb_lan_to_guest()
    guest_test_4_tcp_1mb_guest_to_lan()


def guest_test_10_ah_on_the_wire_and_through_mgd():
    n_gw, n_peer = V.cap.esp_count(GW, "ah"), V.cap.esp_count(GUEST_PEER, "ah")
    say(f"w1: AH {n_gw} packets from {GW}, {n_peer} from {GUEST_PEER}")
    for n in (n_gw, n_peer):
        assert n >= XFER // 1460, (n_gw, n_peer)
    assert set(V.cap.esp_spis(GUEST_PEER, "ah")) == {V.spis["guest_out"]}
    assert set(V.cap.esp_spis(GW, "ah")) == {V.spis["guest_in"]}
    sas = V.osg.ipsec_sas()
    assert len(sas) == 1 and sas[0]["sa-protocol"] == "AH", sas
    assert sas[0]["spis"] == {"inbound": V.spis["guest_out"], "outbound": V.spis["guest_in"]}, sas
    t = V.osg.esp_tunnels()
    assert len(t) == 1 and t[0]["sa-remote-gateway"] == GUEST_PEER, t
    for k in ("ah-input-bytes", "ah-output-bytes"):
        assert int(t[0][k]) > XFER, (k, t)
    for k in ("ah-authentication-failures", "replay-errors", "bad-headers"):
        assert t[0].get(k, "0") == "0", (k, t)
    x = V.g.run("ip -s xfrm state").out
    got = [int(b) for b in re.findall(r"lifetime current:\s*\n\s*(\d+)\(bytes\)", x)]
    assert len(got) == 2 and min(got) > XFER, x


def guest_test_11_ah_peer_delete():
    at = len(V.osg.kmd_log())
    V.g.run(f"{GUEST_WHACK} --name sg2-ah --delete")
    line = wait_for(lambda: re.search(r"tunnel \d+ [^\n]* deleted: the peer sent DELETE",
                                      V.osg.kmd_log()[at:]), what="kmd: AH tunnel deleted")
    say("kmd: " + line.group(0))
    wait_for(lambda: not V.osg.ike_sas() and not V.osg.esp_tunnels() and
             PEER_LAN not in V.osg.vrf_routes(), what="nothing left in kmd and fwdd")
    V.osg.nothing_left()
    assert "proto ah" not in V.g.run("ip xfrm state").out


def guest_test_12_daemons_stop_cleanly():
    for d, name in ((V.osg.kmd, "kmd"), (V.osg.fwdd, "fwdd")):
        rc = d.stop()
        assert rc == 0, f"{name} exited {rc} on SIGTERM:\n" + read(d.log)[-3000:]
    assert PSK not in V.osg.kmd_log()


GUEST_STEPS = [guest_test_1_pluto_starts, guest_test_2_main_and_quick_mode,
               guest_test_3_ping_both_ways, guest_test_4_tcp_1mb_lan_to_guest,
               guest_test_4_tcp_1mb_guest_to_lan, guest_test_5_on_the_wire_raw_esp,
               guest_test_6_show_through_mgd, guest_test_7_peer_delete,
               guest_test_8_ah_main_and_quick_mode, guest_test_9_ah_ping_and_tcp_both_ways,
               guest_test_10_ah_on_the_wire_and_through_mgd, guest_test_11_ah_peer_delete,
               guest_test_12_daemons_stop_cleanly]


# ===========================================================================


def prepare():
    """libreswan unpacked, what it needs on the host: its root."""
    if shutil.which("certutil") is None:
        raise RuntimeError("certutil not found: apt-get install libnss3-tools (tests/deps.txt)")
    root, ver = libreswan()
    libs = missing_libs(root)
    if libs:
        raise RuntimeError(f"{', '.join(libs)} not found: {LIBS_HINT}")
    say(f"libreswan {ver} from {root}")
    return root


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else ""
    if which not in ("host", "guest"):
        print(__doc__)
        return 2
    del sys.argv[1]  # harness.run() reads the step names that remain
    setup, steps, teardown, diagnostics = {
        "host": (host_setup, HOST_STEPS, host_teardown, host_diagnostics),
        "guest": (guest_setup, GUEST_STEPS, guest_teardown, guest_diagnostics)}[which]
    return osglab.main(lambda: setup(prepare()), steps, teardown, diagnostics, needs=None)


if __name__ == "__main__":
    sys.exit(main())
