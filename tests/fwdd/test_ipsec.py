#!/usr/bin/env python3
"""fwdd's ESP data plane end to end: two OpenSG appliances A and B (two mgd
under two temporary roots, two fwdd, each in its own network namespace)
joined through a WAN namespace W (a Linux bridge; the captures and the
injected packets are W's), each with a LAN host behind it (a1
203.0.113.1, b1 198.51.100.1).  MTU 1500 everywhere, hosts with the
kernel's default offloads.

- Manual-SA tunnels (no kmd): seven short runs cover des-cbc, 3des-cbc,
  aes-128/192/256-cbc, hmac-md5-96, hmac-sha1-96 and hmac-sha-256-128, and
  aes-128/256-gcm (RFC 4106, no authentication), raw ESP and ESP in UDP
  4500 (udp-encapsulate); each run pings both ways,
  moves 1 MB of TCP (SHA-256 checked), and tshark, given the keys, decrypts
  every ESP packet captured on the WAN with its ICV check passing.
- AH (hmac-sha1-96) and AH+ESP bundles (aes-128-cbc inside
  hmac-sha-256-128, aes-128-gcm inside hmac-md5-96): ping both ways and 1 MB
  of TCP (SHA-256); every packet between the gateways is AH, its ICV
  recomputed with Python's hmac (tshark cannot check AH ICVs); tshark
  decrypts the ESP inside the bundles; AH and ESP statistics agree; a
  replayed and a tampered AH packet are counted.
- A replayed and a tampered packet injected from W (raw socket) are
  dropped and counted in `show services ipsec-vpn ipsec statistics`
  (cleared first with `clear services ipsec-vpn ipsec statistics`), in XML
  and as the CLI prints it.
- Known answers: the ESP packets of shared/vectors/ikev1/*/ikev1-mm-qm.pcap,
  replayed from W to A configured with the SPIs and keys of keys.txt,
  decrypt in fwdd: the inner echo requests reach a1, and again they are
  replays.
- kmd's interface (tests/fwdd/fwdipc.py stands in for kmd): pool unit,
  SAs, dynamic rule and a reverse route in a VRF make traffic flow to B's
  manual side; lifetimes raise FWD_SA_EVENT; FWD_SEND leaves with the
  non-ESP marker; IKE is punted; on disconnection every trace goes (route,
  tunnel, traffic); removing the service set sends FWD_SA_GONE.

Every wait polls with a deadline."""
import json
import os
import re
import secrets
import shutil
import signal
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration"))
sys.path.insert(0, HERE)
from harness import SRC, Appliance, exe, run  # noqa: E402
from lab import Topo, wait_for  # noqa: E402
import fwdipc as K  # noqa: E402
from ahwire import AH_HASH, ah_icv_good  # noqa: E402

NETTOOL = os.path.join(HERE, "nettool.py")
PY = sys.executable
VECTORS = os.path.join(SRC, "../shared/vectors/ikev1")
XFER = 1 << 20

TOPO = None
NS = {}
APPS = {}
FWDD = {}
TMP = tempfile.mkdtemp(prefix="osg-ipsec-")

TSHARK_ENC = {"des-cbc": "DES-CBC [RFC2405]", "3des-cbc": "TripleDES-CBC [RFC2451]",
              "aes-128-cbc": "AES-CBC [RFC3602]", "aes-192-cbc": "AES-CBC [RFC3602]",
              "aes-256-cbc": "AES-CBC [RFC3602]",
              "aes-128-gcm": "AES-GCM with 16 octet ICV [RFC4106]"}
TSHARK_ENC["aes-256-gcm"] = TSHARK_ENC["aes-128-gcm"]
TSHARK_AUTH = {"hmac-md5-96": "HMAC-MD5-96 [RFC2403]", "hmac-sha1-96": "HMAC-SHA-1-96 [RFC2404]",
               "hmac-sha-256-128": "HMAC-SHA-256-128 [RFC4868]", None: "NULL"}
KEYLEN = {"des-cbc": 8, "3des-cbc": 24, "aes-128-cbc": 16, "aes-192-cbc": 24, "aes-256-cbc": 32,
          "hmac-md5-96": 16, "hmac-sha1-96": 20, "hmac-sha-256-128": 32, None: 0,
          "aes-128-gcm": 20, "aes-256-gcm": 36}  # GCM: the key, then the 4-byte salt

# side: LAN address, WAN address, LAN prefix, remote LAN prefix, remote gateway
SIDES = {"a": ("203.0.113.254/24", "198.18.0.1/24", "203.0.113.0/24", "198.51.100.0/24",
               "198.18.0.2"),
         "b": ("198.51.100.254/24", "198.18.0.2/24", "198.51.100.0/24", "203.0.113.0/24",
               "198.18.0.1")}

INTERFACES = """interfaces {
    ge-0/0/0 { unit 0 { family inet { address %s; } } }
    ge-0/0/1 { unit 0 { family inet { address %s; } } }
    ms-1/0/0 {
        unit 0 { family inet; }
        unit 1 { family inet; service-domain inside; %s}
        unit 2 { family inet; service-domain outside; }
    }
}
"""


def manual_dir(name, spi, enc, ekey, auth, akey, proto="esp", aux=None):
    """auth None: no authentication (AES-GCM); enc None: none (AH); aux:
    the ESP SPI of a bundle (auxiliary-spi)."""
    a = f"authentication {{ algorithm {auth}; key hexadecimal {akey.hex()}; }} " if auth else ""
    e = f"encryption {{ algorithm {enc}; key hexadecimal {ekey.hex()}; }} " if enc else ""
    x = f"auxiliary-spi {aux}; " if aux else ""
    return f"direction {name} {{ protocol {proto}; spi {spi}; {x}{a}{e}}}"


def manual_config(side, sa_in, sa_out, opts="", lan=None, rlan=None, rgw=None):
    """A configuration with one static term of manual SAs. sa_in / sa_out:
    (spi, enc, ekey, auth, akey)."""
    laddr, waddr, llan, rl, rg = SIDES[side]
    lan, rlan, rgw = lan or llan, rlan or rl, rgw or rg
    return (INTERFACES % (laddr, waddr, "") + f"""
routing-options {{ static {{ route {rlan} next-hop ms-1/0/0.1; }} }}
services {{
    service-set SS1 {{
        next-hop-service {{
            inside-service-interface ms-1/0/0.1;
            outside-service-interface ms-1/0/0.2;
        }}
        ipsec-vpn-options {{ local-gateway {waddr.split('/')[0]}; {opts} }}
        ipsec-vpn-rules R1;
    }}
    ipsec-vpn {{
        rule R1 {{
            term T1 {{
                from {{ source-address {lan}; destination-address {rlan}; }}
                then {{
                    remote-gateway {rgw};
                    manual {{ {manual_dir("inbound", *sa_in)} {manual_dir("outbound", *sa_out)} }}
                }}
            }}
            match-direction input;
        }}
    }}
}}
""")


def commit(side, text):
    c = APPS[side].client()
    r = c.configure()
    assert not r.error, r.output
    r = c.edit("load override terminal", input=text)
    assert r.output == "load complete\n", r.output
    r = c.edit("commit")
    assert r.output.endswith("commit complete\n"), r.output
    c.exit_config()
    c.close()


def show(side, cmd):
    c = APPS[side].client()
    try:
        r = c.command(cmd)
        assert not r.error, r.raw
        return r
    finally:
        c.close()


def tunnels(side):
    r = show(side, "show services ipsec-vpn ipsec statistics")
    out = []
    for t in r.xml.iter("ipsec-tunnel-statistics"):
        d = {e.tag: e.text for sub in t for e in (list(sub) or [sub])}
        out.append(d)
    return out


def setup():
    global TOPO
    if shutil.which("tshark") is None:
        raise RuntimeError("tshark is not installed (tests/deps.txt)")
    TOPO = Topo()
    try:
        for n in ("a", "b", "w", "a1", "b1"):
            NS[n] = TOPO.ns(n)
        for side in "ab":
            TOPO.veth(NS[side], "p0", NS[side + "1"], "eth0", up1=False)
            TOPO.veth(NS[side], "p1", NS["w"], "w" + side, up1=False)
        TOPO.bridge(NS["w"], "br0", ["wa", "wb"], "198.18.0.9/24")
        TOPO.host(NS["a1"], "eth0", "203.0.113.1/24", "203.0.113.254")
        TOPO.host(NS["b1"], "eth0", "198.51.100.1/24", "198.51.100.254")
        for side in "ab":
            APPS[side] = Appliance().start_mgd()
            commit(side, INTERFACES % (SIDES[side][0], SIDES[side][1], ""))
            FWDD[side] = APPS[side].start(TOPO.exec_argv(NS[side], [
                exe("fwdd/fwdd"), "--root", APPS[side].root, "--port", "ge-0/0/0=p0", "--port",
                "ge-0/0/1=p1"]), "fwdd")
        for side in "ab":
            wait_for(lambda: FWDD[side].alive() and os.path.exists(
                os.path.join(APPS[side].root, "fwdd.pid")), what=f"fwdd {side}")
            wait_for(lambda: not show(side, "show route table inet.0").error, what="routes")
    except Exception:
        teardown()
        raise


def teardown():
    try:
        for a in APPS.values():
            a.cleanup()
    finally:
        if TOPO:
            TOPO.down()
        shutil.rmtree(TMP, ignore_errors=True)


def logs():
    out = ""
    for side, a in APPS.items():
        try:
            out += f"--- fwdd {side}\n" + open(os.path.join(a.root, "fwdd.out")).read()[-3000:]
        except OSError:
            pass
    return out


def tool(ns, *args, timeout=60):
    r = TOPO.run(NS[ns], PY, NETTOOL, *args, timeout=timeout)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise AssertionError(f"nettool {args}: {r.stdout}")


def ping_ok(ns, dst, count=1):
    res = tool(ns, "ping", dst, "--count", str(count))["results"]
    return all(x.get("type") == 0 for x in res), res


def transfer(src, dst_ns, dst, port):
    srv = TOPO.popen(NS[dst_ns], PY, NETTOOL, "serve", str(port), "--timeout", "60")
    sent = tool(src, "send", dst, str(port), str(XFER), "--timeout", "60", timeout=120)
    out, _ = srv.communicate(timeout=120)
    got = json.loads(out.strip().splitlines()[-1])
    assert got["bytes"] == XFER and got["sha256"] == sent["sha256"], (got, sent)


class Capture:
    """Frames on W's port toward A (both directions), as a pcap."""

    def __init__(self, name, until=None):
        self.file = os.path.join(TMP, name + ".pcap")
        self.p = TOPO.popen(NS["w"], PY, NETTOOL, "capture", "wa", self.file, "--timeout", "120",
                            *(["--until", until.hex()] if until else []))
        wait_for(lambda: os.path.exists(self.file + ".ready"), what="capture ready")

    def wait(self):
        """The capture of a given frame ended by itself."""
        out, _ = self.p.communicate(timeout=30)
        return read_pcap(self.file)

    def stop(self):
        open(self.file + ".stop", "w").close()
        out, _ = self.p.communicate(timeout=30)
        return json.loads(out.strip().splitlines()[-1])["frames"]


def tshark_esp(pcap, sas):
    """Every ESP packet of pcap, decrypted with sas [(src, dst, spi, enc,
    ekey, auth, akey)]: (spi, seq, icv_good, inner ICMP type) each."""
    argv = ["tshark", "-n", "-r", pcap, "-o", "esp.enable_encryption_decode:TRUE", "-o",
            "esp.enable_authentication_check:TRUE"]
    for src, dst, spi, enc, ekey, auth, akey in sas:
        argv += ["-o", f'uat:esp_sa:"IPv4","{src}","{dst}","0x{spi:08x}","{TSHARK_ENC[enc]}",'
                       f'"0x{ekey.hex()}","{TSHARK_AUTH[auth]}","0x{akey.hex()}"']
    argv += ["-Y", "esp", "-T", "fields", "-E", "separator=,", "-e", "esp.spi", "-e",
             "esp.sequence", "-e", "esp.icv_good", "-e", "icmp.type"]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    rows = []
    for line in r.stdout.splitlines():
        spi, seq, good, icmp = (line.split(",") + ["", "", "", ""])[:4]
        rows.append((int(spi, 16), int(seq or 0), good in ("1", "True"), icmp))
    return rows


# --- manual tunnels --------------------------------------------------------

RUNS = [("des-cbc", "hmac-md5-96", ""), ("3des-cbc", "hmac-sha1-96", "udp-encapsulate;"),
        ("aes-128-cbc", "hmac-sha-256-128", ""), ("aes-192-cbc", "hmac-md5-96",
                                                  "udp-encapsulate;"),
        ("aes-256-cbc", "hmac-sha1-96", ""), ("aes-256-gcm", None, "udp-encapsulate;"),
        ("aes-128-gcm", None, "")]  # the last run's SAs are replayed and tampered with
LAST = {}


def manual_pair(n, enc, auth, opts):
    """Configure A and B with fresh SPIs and keys; the SAs as tshark wants them."""
    ab = (0x1000 + 16 * n + 1, enc, secrets.token_bytes(KEYLEN[enc]), auth,
          secrets.token_bytes(KEYLEN[auth]))
    ba = (0x1000 + 16 * n + 2, enc, secrets.token_bytes(KEYLEN[enc]), auth,
          secrets.token_bytes(KEYLEN[auth]))
    commit("a", manual_config("a", ba, ab, opts))
    commit("b", manual_config("b", ab, ba, opts))
    return [("198.18.0.1", "198.18.0.2") + ab, ("198.18.0.2", "198.18.0.1") + ba]


def one_run(n, enc, auth, opts):
    sas = manual_pair(n, enc, auth, opts)
    cap = Capture(f"run{n}")
    try:
        wait_for(lambda: ping_ok("a1", "198.51.100.1")[0], timeout=20,
                 what=f"a1 ping b1 ({enc} {auth} {opts})")
        ok, res = ping_ok("b1", "203.0.113.1", count=2)
        assert ok, res
        assert res[0]["ttl"] == 62, res  # two routers: A and B
    finally:
        frames = cap.stop()
    rows = tshark_esp(cap.file, sas)
    spis = {s[2] for s in sas}
    assert frames > 0 and len(rows) >= 4, (frames, rows)
    assert all(r[0] in spis and r[2] for r in rows), rows  # every ICV good
    assert {r[0] for r in rows} == spis, rows  # both directions
    assert {"0", "8"} <= {r[3] for r in rows}, rows  # decrypted: echo and reply
    transfer("a1", "b1", "198.51.100.1", 5100 + n)
    t = tunnels("a")
    assert len(t) == 1 and int(t[0]["esp-encrypted-packets"]) > 700, t
    assert t[0]["sa-remote-gateway"] == "198.18.0.2", t
    LAST["sas"] = sas


def test_manual_tunnels_every_transform():
    for n, (enc, auth, opts) in enumerate(RUNS):
        one_run(n, enc, auth, opts)


def test_replayed_and_tampered_packets_are_dropped_and_counted():
    sas = LAST["sas"]
    r = show("b", "clear services ipsec-vpn ipsec statistics")
    assert not r.error
    t = tunnels("b")[0]
    assert t["replay-errors"] == "0" and t["esp-decrypted-packets"] == "0", t
    cap = Capture("replay")
    try:
        ok, res = ping_ok("a1", "198.51.100.1")
        assert ok, res
    finally:
        cap.stop()
    esp = [p for p in read_pcap(cap.file) if p[12:16] == bytes([198, 18, 0, 1]) and
           p[16:20] == bytes([198, 18, 0, 2]) and p[9] == 50]
    assert esp, "no ESP from A to B captured"
    tool("w", "inject", esp[0].hex())
    wait_for(lambda: tunnels("b")[0]["replay-errors"] == "1", what="replay counted")
    bad = bytearray(esp[0])
    bad[24:28] = struct.pack("!I", 0x7FFFFFFF)  # a sequence number the window accepts
    bad[-20] ^= 0x5A
    tool("w", "inject", bytes(bad).hex())
    wait_for(lambda: tunnels("b")[0]["esp-authentication-failures"] == "1",
             what="tampered packet counted")
    t = tunnels("b")[0]
    assert t["esp-decrypted-packets"] == "1" and t["bad-headers"] == "0", t
    cli = subprocess.run([exe("cli/cli"), "--root", APPS["b"].root, "-c",
                          "show services ipsec-vpn ipsec statistics"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=30)
    assert "PIC: ms-1/0/0, Service set: SS1" in cli.stdout, cli.stdout
    assert "Replay errors: 1" in cli.stdout, cli.stdout
    assert "ESP authentication failures: 1" in cli.stdout, cli.stdout
    ok, res = ping_ok("a1", "198.51.100.1")  # the window did not move
    assert ok, res
    assert len(sas) == 2


# --- AH and AH+ESP bundles ----------------------------------------------------

# (protocol, cipher of the bundle's ESP, AH integrity)
AH_RUNS = [("ah", None, "hmac-sha1-96"), ("bundle", "aes-128-cbc", "hmac-sha-256-128"),
           ("bundle", "aes-128-gcm", "hmac-md5-96")]
def ah_sa(n, k, proto, enc, auth):
    spi = 0x2000 + 16 * n + k
    return (spi, enc, secrets.token_bytes(KEYLEN[enc]), auth, secrets.token_bytes(KEYLEN[auth]),
            proto, spi + 8 if proto == "bundle" else None)


def ah_run(n, proto, enc, auth):
    ab, ba = ah_sa(n, 1, proto, enc, auth), ah_sa(n, 2, proto, enc, auth)
    commit("a", manual_config("a", ba, ab))
    commit("b", manual_config("b", ab, ba))
    what = f"{proto} {enc or ''} {auth}"
    cap = Capture(f"ah{n}")
    try:
        wait_for(lambda: ping_ok("a1", "198.51.100.1")[0], timeout=20, what=f"a1 ping b1 ({what})")
        ok, res = ping_ok("b1", "203.0.113.1", count=2)
        assert ok and res[0]["ttl"] == 62, res
        transfer("a1", "b1", "198.51.100.1", 5300 + n)
    finally:
        cap.stop()
    pkts = read_pcap(cap.file)
    wan = (bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
    between = [p for p in pkts if p[12:16] in wan and p[16:20] in wan and p[9] != 1]
    assert between and all(p[9] == 51 for p in between), {p[9] for p in between}
    assert not [p for p in pkts if 203 in (p[12], p[16])], "LAN traffic in clear on the WAN"
    keys = {ab[0]: ab, ba[0]: ba}
    for p in between:
        hl = (p[0] & 15) * 4
        sa = keys[struct.unpack_from("!I", p, hl + 4)[0]]
        assert ah_icv_good(p, auth, sa[4]), f"bad AH ICV: {p[:64].hex()}"
        if proto == "bundle":  # next header ESP, the bundle's ESP SPI
            assert p[hl] == 50 and struct.unpack_from("!I", p, hl + 12 + AH_HASH[auth][1])[0] \
                == sa[6], p[:64].hex()
        else:
            assert p[hl] == 4, p[:64].hex()
    if proto == "bundle":  # tshark decrypts the ESP inside the AH
        rows = tshark_esp(cap.file, [("198.18.0.1", "198.18.0.2", ab[6], enc, ab[2], None, b""),
                                     ("198.18.0.2", "198.18.0.1", ba[6], enc, ba[2], None, b"")])
        assert len(rows) == len(between), (len(rows), len(between))
        assert {"0", "8"} <= {r[3] for r in rows}, rows[:10]
        if enc.endswith("gcm"):
            assert all(r[2] for r in rows), rows[:10]  # every GCM tag good
    ta, tb = tunnels("a")[0], tunnels("b")[0]
    out, inp = int(ta["ah-output-packets"]), int(tb["ah-input-packets"])
    assert out > 700 and inp == out and int(ta["ah-input-packets"]) > 0, (ta, tb)
    assert int(ta["ah-output-bytes"]) > XFER, ta
    if proto == "bundle":
        assert ta["esp-encrypted-packets"] == ta["ah-output-packets"], ta
        assert tb["esp-decrypted-packets"] == tb["ah-input-packets"], tb
    else:
        assert ta["esp-encrypted-packets"] == "0", ta
    for t in (ta, tb):
        for k in ("ah-authentication-failures", "replay-errors", "esp-authentication-failures",
                  "bad-headers", "bad-trailers"):
            assert t[k] == "0", t
    return between[-1], keys, bytes_used("a")


def bytes_used(side):
    """What the service-sets summary says A's PIC holds (its SAs included)."""
    r = show(side, "show services service-sets summary")
    used = [int(e.findtext("service-set-service-type-entry/service-set-bytes-used"))
            for e in r.xml.iter("service-set-summary-information-entry")]
    assert len(used) == 1, r.raw
    return used[0]


def test_ah_and_bundles():
    used = []
    for n, (proto, enc, auth) in enumerate(AH_RUNS):
        last, keys, u = ah_run(n, proto, enc, auth)
        used.append(u)
    # a bundle's ESP SAs and transforms count beside its AH SAs
    assert used[1] > used[0] and used[2] > used[0], used
    # the last bundle: a replay and a tampered packet, counted by B and shown
    r = show("b", "clear services ipsec-vpn ipsec statistics")
    assert not r.error
    tool("w", "inject", last.hex())
    wait_for(lambda: tunnels("b")[0]["replay-errors"] == "1", what="AH replay counted")
    bad = bytearray(last)
    bad[28:32] = struct.pack("!I", 0x7FFFFFFF)  # the AH sequence number
    tool("w", "inject", bytes(bad).hex())
    wait_for(lambda: tunnels("b")[0]["ah-authentication-failures"] == "1",
             what="tampered AH counted")
    cli = subprocess.run([exe("cli/cli"), "--root", APPS["b"].root, "-c",
                          "show services ipsec-vpn ipsec statistics"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=30)
    assert "AH authentication failures: 1, Replay errors: 1" in cli.stdout, cli.stdout
    assert len(keys) == 2


# --- known answers from the captured vectors --------------------------------


def read_pcap(path):
    """IPv4 packets of a pcap or pcapng file of Ethernet frames."""
    data = open(path, "rb").read()
    frames = []
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        off = 0
        while off + 12 <= len(data):
            btype, blen = struct.unpack_from("=II", data, off)
            if btype == 6:
                caplen = struct.unpack_from("=I", data, off + 20)[0]
                frames.append(data[off + 28:off + 28 + caplen])
            off += blen
    else:
        off = 24
        while off + 16 <= len(data):
            caplen = struct.unpack_from("=I", data, off + 8)[0]
            frames.append(data[off + 16:off + 16 + caplen])
            off += 16 + caplen
    return [f[14:] for f in frames if len(f) > 34 and f[12:14] == b"\x08\x00"]


def parse_keys(folder):
    text = open(os.path.join(folder, "keys.txt")).read()
    k = {}
    m = re.search(r"^initiator (\S+) .* responder (\S+) ", text, re.M)
    k["initiator"], k["responder"] = m.group(1), m.group(2)
    m = re.search(r"^proxy-ids: (\S+) \(initiator\) <-> (\S+) \(responder\)", text, re.M)
    k["iproxy"], k["rproxy"] = m.group(1), m.group(2)
    m = re.search(r"^ESP proposal: \S+ \(([^,]+), ([^)]+)\)", text, re.M)
    k["enc"] = {"AES-CBC-128": "aes-128-cbc", "3DES-CBC": "3des-cbc"}[m.group(1)]
    k["auth"] = {"HMAC-SHA1-96": "hmac-sha1-96", "HMAC-MD5-96": "hmac-md5-96",
                 "HMAC-SHA2-256-128": "hmac-sha-256-128"}[m.group(2)]
    for role in ("initiator", "responder"):
        for what in ("encryption", "integrity"):
            m = re.search(rf"^{what} {role} key\s*= (\S+)", text, re.M)
            if m is None:
                return None  # no ESP keys logged (libreswan-natt-no-qm3)
            k[f"{what}-{role}"] = bytes.fromhex(m.group(1))
    for spi, src, dst, role in re.findall(
            r"^ESP SA spi=0x(\S+) (\S+) -> (\S+) uses the '(\w+)' keys", text, re.M):
        d = "in" if dst == k["responder"] else "out"
        k[d] = (int(spi, 16), k["enc"], k[f"encryption-{role}"], k["auth"],
                k[f"integrity-{role}"])
    return k


def icmp_in_echos(ns):
    lines = [ln.split() for ln in TOPO.run(NS[ns], "cat", "/proc/net/snmp").stdout.splitlines()
             if ln.startswith("Icmp:")]
    return int(lines[1][lines[0].index("InEchos")])


def test_known_answers_from_the_vectors():
    folders = sorted(d for d in os.listdir(VECTORS) if
                     os.path.exists(os.path.join(VECTORS, d, "ikev1-mm-qm.pcap")))
    done = 0
    for d in folders:
        k = parse_keys(os.path.join(VECTORS, d))
        if k is None:
            continue
        pkts = read_pcap(os.path.join(VECTORS, d, "ikev1-mm-qm.pcap"))
        resp = bytes(map(int, k["responder"].split(".")))
        esp = [p for p in pkts if p[16:20] == resp and (p[9] == 50 or (
            p[9] == 17 and p[22:24] == b"\x11\x94" and p[28:32] != b"\0\0\0\0"))]
        assert esp, d
        udp = esp[0][9] == 17
        commit("a", manual_config("a", k["in"], k["out"], "udp-encapsulate;" if udp else "",
                                  lan=k["rproxy"], rlan=k["iproxy"], rgw=k["initiator"]))
        before = icmp_in_echos("a1")
        tool("w", "inject", *[p.hex() for p in esp])
        wait_for(lambda: tunnels("a") and tunnels("a")[0]["esp-decrypted-packets"] ==
                 str(len(esp)), what=f"{d}: {len(esp)} packets decrypted")
        wait_for(lambda: icmp_in_echos("a1") - before == len(esp), what=f"{d}: echoes at a1")
        tool("w", "inject", *[p.hex() for p in esp])  # again: replays
        wait_for(lambda: tunnels("a")[0]["replay-errors"] == str(len(esp)),
                 what=f"{d}: replays counted")
        t = tunnels("a")[0]
        assert t["esp-authentication-failures"] == "0" and t["bad-trailers"] == "0", (d, t)
        assert icmp_in_echos("a1") - before == len(esp), d
        done += 1
    assert done >= 6, done


# --- kmd's interface ---------------------------------------------------------

# kmd's side of a dynamic service set: the access profile and the IKE and
# IPsec policies (test_ams.py uses them too)
DYN_ACCESS = """
access {
    profile dyn-peers {
        client * {
            ike {
                allowed-proxy-pair { remote 198.51.100.0/24 local 203.0.113.0/24; }
                pre-shared-key ascii-text "opensg-lab-psk";
                ike-policy ike-dyn;
                interface-id dyn-pool;
                ipsec-policy ipsec-dyn;
            }
        }
    }
}
"""
DYN_VPN = """
    ipsec-vpn {
        ike {
            proposal p1 { authentication-method pre-shared-keys; dh-group group14;
                authentication-algorithm sha1; encryption-algorithm aes-128-cbc; }
            policy ike-dyn { mode main; proposals p1; remote-id { any-remote-id; } }
        }
        ipsec {
            proposal e1 { protocol esp; authentication-algorithm hmac-sha1-96;
                encryption-algorithm aes-128-cbc; }
            policy ipsec-dyn { proposals e1; }
        }
    }
"""

POOL_CONFIG = INTERFACES % ("203.0.113.254/24", "198.18.0.1/24",
                            "dial-options { ipsec-interface-id dyn-pool; shared; } ") + DYN_ACCESS + """
services {
    service-set SS1 {
        next-hop-service {
            inside-service-interface ms-1/0/0.1;
            outside-service-interface ms-1/0/0.2;
        }
        ipsec-vpn-options { local-gateway 198.18.0.1; ike-access-profile dyn-peers; }
    }""" + DYN_VPN + """}
routing-instances {
    vrf-n1 {
        instance-type vrf;
        interface ge-0/0/0.0;
        interface ms-1/0/0.1;
        route-distinguisher 65000:1;
        vrf-target target:65000:1;
    }
}
"""

EKEY, AKEY = bytes(range(16)), bytes(range(100, 120))
IN_SA = (0xA0000001, "aes-128-cbc", EKEY, "hmac-sha1-96", AKEY)
OUT_SA = (0xB0000001, "aes-128-cbc", EKEY, "hmac-sha1-96", AKEY)


def kmd_install(k, tunnel, soft_s=0, hard_s=0):
    st, msg, data = k.request(K.POOL_RESERVE, K.pool("SS1", "dyn-pool", tunnel))
    assert st == K.OK, msg
    unit = K.cstr(K.POOL.unpack(data)[2])
    assert unit == "ms-1/0/0.1", unit
    for d, s in ((K.DIR_IN, IN_SA), (K.DIR_OUT, OUT_SA)):
        spi, enc, ekey, auth, akey = s
        st, msg, _ = k.request(K.SA_ADD, K.sa(
            "SS1", unit, tunnel, spi, d, enc, ekey, auth, akey, "198.18.0.1", "198.18.0.2",
            "203.0.113.0/24", "198.51.100.0/24", soft_s=soft_s, hard_s=hard_s))
        assert st == K.OK, msg
    st, msg, _ = k.request(K.RULE_ADD, K.rule("SS1", unit, tunnel, "203.0.113.0/24",
                                              "198.51.100.0/24"))
    assert st == K.OK, msg
    st, msg, _ = k.request(K.ROUTE_ADD, K.route("vrf-n1", unit, "198.51.100.0/24", tunnel))
    assert st == K.OK, msg


def vrf_routes():
    r = show("a", "show route table vrf-n1.inet.0")
    return {rt.findtext("rt-destination"): rt for rt in r.xml.iter("rt")}


def test_kmd_interface():
    commit("a", POOL_CONFIG)
    commit("b", manual_config("b", OUT_SA, IN_SA))
    k = K.Kmd(APPS["a"].root)
    try:
        assert k.hello()[0] == K.OK
        kmd_install(k, 7, soft_s=1, hard_s=2)
        wait_for(lambda: ping_ok("a1", "198.51.100.1")[0], timeout=20, what="a1 ping b1")
        transfer("b1", "a1", "203.0.113.1", 5200)
        rt = vrf_routes()["198.51.100.0/24"].find("rt-entry")
        assert rt.findtext("protocol-name") == "Static" and rt.findtext("preference") == "1"
        assert rt.findtext("nh/via") == "ms-1/0/0.1"
        t = tunnels("a")
        assert len(t) == 1 and t[0]["sa-tunnel-index"] == "7", t
        assert int(t[0]["esp-decrypted-packets"]) > 700, t
        st, msg, data = k.request(K.SA_STATS, K.sa_ref("SS1", IN_SA[0], K.DIR_IN))
        assert st == K.OK and K.COUNTERS.unpack(data)[1] > 700, (st, msg)
        # lifetimes: soft then hard, for both SAs
        wait_for(lambda: {K.EVENT.unpack(b)[1] for t_, b in k.poll() if t_ == K.SA_EVENT} >=
                 {K.EV_SOFT_TIME, K.EV_HARD_TIME}, timeout=10, what="lifetime events")
        # FWD_SEND from the local gateway, on 4500 with the non-ESP marker
        cap = Capture("send", until=b"\0\0\0\0hello")
        d = K.DGRAM.pack(b"", b"", K.addr("198.18.0.1"), K.addr("198.18.0.2"), 4500, 4500, 5)
        assert k.request(K.SEND, d, b"hello")[0] == K.OK
        assert any(p[9] == 17 and p[20:24] == b"\x11\x94\x11\x94" and
                   p[28:37] == b"\0\0\0\0hello" for p in cap.wait())
        # IKE to the gateway is punted with its metadata
        ike = (struct.pack("!BBHHHBBH4s4s", 0x45, 0, 44, 1, 0, 64, 17, 0, bytes([198, 18, 0, 2]),
                           bytes([198, 18, 0, 1])) + struct.pack("!HHHH", 500, 500, 24, 0) +
               bytes(range(16)))
        tool("w", "inject", ike.hex())
        wait_for(lambda: [b for t_, b in k.poll() if t_ == K.PUNT], what="FWD_PUNT")
        punt = [b for t_, b in k.events if t_ == K.PUNT][0]
        inst, ingress, src, dst, sport, dport, n = K.DGRAM.unpack(punt[:K.DGRAM.size])
        assert (K.cstr(ingress), sport, dport, n) == ("ge-0/0/1.0", 500, 500, 16), punt
    finally:
        k.close()
    # kmd gone: no route, no tunnel, no traffic
    wait_for(lambda: "198.51.100.0/24" not in vrf_routes(), what="kmd route flushed")
    assert tunnels("a") == []
    ok, res = ping_ok("a1", "198.51.100.1")
    assert not ok, res
    # a new connection starts from empty; a removed service set says FWD_SA_GONE
    k = K.Kmd(APPS["a"].root)
    try:
        assert k.hello()[0] == K.OK
        assert k.request(K.SA_STATS, K.sa_ref("SS1", IN_SA[0], K.DIR_IN))[0] == K.ERR_NOENT
        kmd_install(k, 8)
        commit("a", INTERFACES % (SIDES["a"][0], SIDES["a"][1], ""))
        wait_for(lambda: len([b for t_, b in k.poll() if t_ == K.SA_GONE]) == 2,
                 what="FWD_SA_GONE")
    finally:
        k.close()


def test_zz_clean_exit():
    for side in "ab":
        rc = FWDD[side].stop()
        assert rc == 0, f"fwdd {side} exited {rc}:\n{logs()}"


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("the IPsec integration tests need root (network namespaces)")
        sys.exit(1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    rc = 1
    try:
        setup()
        rc = run([v for k_, v in sorted(globals().items()) if k_.startswith("test_")])
    except Exception:
        import traceback
        traceback.print_exc()
    finally:
        if rc:
            print(logs())
        teardown()
    sys.exit(rc)
