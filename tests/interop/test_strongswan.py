#!/usr/bin/env python3
"""The seed feature against a real, independently written peer: strongSwan
5.9.8 (charon with kernel-libipsec: userland ESP on a TUN device, which
forces NAT-T, so IKE floats to UDP 4500 and ESP travels in UDP 4500,
RFC 3948) as a dynamic peer, from an address nothing in OpenSG's
configuration names, against the appliance configured with
docs/examples/sg1.conf.  docs/interop.md describes it.

  lan (10.1.1.1/24)  --  app: fwdd  ge-0/0/0 10.1.1.254/24
                                    ge-0/0/1 203.0.113.1/24  --  isp: a plain Linux router
                                        203.0.113.254/24 | 198.51.100.254/24  --  sg2: charon
                                                              198.51.100.7/24, 10.2.2.1/32 on lo

mgd, kmd (--debug) and fwdd (in the appliance namespace) under one
temporary --root; nothing routes 10.1.1.0/24 and 10.2.2.0/24 to each other
except the tunnel, so traffic that passes went through fwdd's ESP.  Steps:
no path before the tunnel; main + quick mode with NAT-T; ping and 1 MB of
TCP (SHA-256) both ways; on the ISP router's wire, IKE on 500 then 4500
and ESP in UDP 4500 only; ESP counters, SAs and the reverse route through
mgd; the peer's DELETE removes everything; four refusals with their reason
and no state; the peer rekeying its CHILD_SA and reauthenticating its IKE
SA; the pre-shared key nowhere.  Every wait polls with a
deadline.  Needs root, iproute2 and strongswan-charon, strongswan-swanctl,
libcharon-extra-plugins (tests/deps.txt).

  test_strongswan.py [STEP_FUNCTION ...]     (OPENSG_BUILD: the build dir)
"""
import json
import os
import re
import subprocess
import sys

from osglab import (GW, GW_LAN, LAN_HOST, PEER, PEER_HOST, PEER_LAN, PROBE, PSK, PY, SRC, OpenSG,
                    StrongSwan, cleanup_all, isp_lab, main, ping, read, sg2_swanctl, tcp)
from mgdclient import wait_for  # noqa: E402  (osglab put tests/integration on the path)

XFER = 1 << 20

LAB = OSG = SS = SNIFF = None
SPIS = {}


# --- helpers -------------------------------------------------------------


def kmd_log():
    return OSG.kmd_log() if OSG else ""


def fwdd_log():
    return OSG.fwdd_log() if OSG else ""


def ike_sas():
    return OSG.ike_sas()


def ipsec_sas():
    return OSG.ipsec_sas()


def esp_tunnels():
    return OSG.esp_tunnels()


def vrf_routes():
    return OSG.vrf_routes()


def peer_ping():
    return ping(LAB, "sg2", LAN_HOST, source=PEER_HOST)


def lan_ping():
    return ping(LAB, "lan", PEER_HOST)


def no_path():
    """Neither LAN reaches the other: the peer's probes go nowhere, the
    LAN host's get network unreachable from fwdd (no route in vrf-n1)."""
    ok, res = peer_ping()
    assert not ok, res
    ok, res = lan_ping()
    assert not ok and res[0].get("type") == 3 and res[0].get("from") == "10.1.1.254", res


def nothing_installed(extra_dest=None):
    assert ipsec_sas() == [], "IPsec SAs left"
    assert esp_tunnels() == [], "fwdd still holds a tunnel"
    routes = vrf_routes()
    for d in (PEER_LAN, extra_dest):
        assert d not in routes, routes


def refusal(conn, reason_re, ike_left):
    """Initiate conn, wait for kmd's refusal line; nothing installed; then
    the peer gives up (its IKE SA terminated) and kmd holds nothing."""
    start = len(kmd_log())
    SS.swanctl("--initiate", "--ike", conn, "--child", conn + "-lan", "--timeout", "1",
               check=False, timeout=30)
    line = wait_for(lambda: re.search(reason_re, kmd_log()[start:]), timeout=20,
                    what=f"kmd's refusal of {conn}")
    print(f"     kmd: {line.group(0)}", flush=True)
    assert PEER in line.group(0), line.group(0)
    nothing_installed("10.9.9.0/24")
    sas = ike_sas()
    if ike_left:  # main mode completed: the IKE SA stays until the peer deletes it
        assert [s["ike-sa-state"] for s in sas] == ["matured"], sas
    else:
        assert sas == [], sas
    SS.swanctl("--terminate", "--ike", conn, "--force", "--timeout", "5", check=False)
    wait_for(lambda: not ike_sas(), what="no IKE SA left")
    wait_for(lambda: f"{conn}:" not in SS.swanctl("--list-sas"), what="strongSwan gave up")


# --- steps ---------------------------------------------------------------


def test_1_no_path_before_the_tunnel():
    sg1 = read(os.path.join(SRC, "docs/examples/sg1.conf"))
    assert PEER not in sg1 and PEER_LAN.split("/")[0] in sg1  # a dynamic peer, an allowed LAN
    wait_for(lambda: lan_ping()[1][0].get("type") == 3, what="fwdd answering the LAN host")
    no_path()
    assert ike_sas() == [] and ipsec_sas() == []


def test_2_main_and_quick_mode_with_natt():
    global SNIFF  # on the ISP router's side of the appliance, until the traffic is done
    SNIFF = subprocess.Popen(LAB.argv("isp", PY, PROBE, "sniff", "eth0"), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = SNIFF.stdout.readline()
    assert line.strip() == "LISTENING", line + SNIFF.stdout.read()
    out = SS.swanctl("--initiate", "--ike", "sg2", "--child", "lan", "--timeout", "30")
    assert "CHILD_SA lan{" in out and "established" in out, out
    sas = SS.swanctl("--list-sas", "--ike", "sg2")
    print("     " + "\n     ".join(sas.strip().splitlines()), flush=True)
    assert "ESTABLISHED, IKEv1" in sas, sas
    assert f"{GW}[4500]" in sas and f"{PEER}[4500]" in sas, "IKE did not float to 4500:\n" + sas
    assert "INSTALLED, TUNNEL-in-UDP" in sas, "no UDP-encapsulated tunnel:\n" + sas
    assert "AES_CBC-128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048" in sas, sas
    assert "ESP:AES_CBC-128/HMAC_SHA1_96/MODP_2048" in sas, sas  # PFS group14
    m = re.search(r"in  ([0-9a-f]{8}),.*\n\s*out ([0-9a-f]{8}),", sas)
    assert m, sas
    SPIS.update(peer_in=int(m.group(1), 16), peer_out=int(m.group(2), 16))
    tunnel_re = (rf"tunnel \d+ with {PEER} \(id {PEER}, service set SG1, remote {PEER_LAN} "
                 rf"local {GW_LAN}\) established: esp aes-128-cbc hmac-sha1-96 PFS, inside "
                 r"ms-1/0/0.1, [^\n]*UDP-encapsulated")
    # strongSwan reports the tunnel once QM3 is sent: kmd logs it on receipt
    wait_for(lambda: re.search(tunnel_re, kmd_log()), timeout=20, what="kmd logs the tunnel")
    log = kmd_log()
    assert re.search(rf"IKE SA \S+ with {PEER}:4500 \(id {PEER}\) established in service set SG1:"
                     r" aes-128-cbc sha1 group14, [^\n]*NAT-T", log), log[-3000:]


def test_3_ping_both_ways():
    wait_for(lambda: peer_ping()[0], timeout=20, what="peer LAN -> LAN host ping")
    ok, res = peer_ping()
    assert ok and res[0]["from"] == LAN_HOST, res
    ok, res = ping(LAB, "lan", PEER_HOST, count=3)
    assert ok and all(x["from"] == PEER_HOST for x in res), res


def test_3_tcp_1mb_both_ways():
    got = tcp(LAB, "lan", LAN_HOST, "sg2", LAN_HOST, XFER, source=PEER_HOST)
    assert got["peer"] == PEER_HOST, got
    got = tcp(LAB, "sg2", PEER_HOST, "lan", PEER_HOST, XFER)
    assert got["peer"] == LAN_HOST, got


def test_3_on_the_wire_ike_and_esp_in_udp_4500():
    """What the ISP router carried since step 2: main mode on 500, then IKE
    and ESP on 4500 (RFC 3948), both ways, and no raw ESP at all."""
    assert SNIFF, "the capture starts in test_2_main_and_quick_mode_with_natt"
    out, _ = SNIFF.communicate(timeout=30)  # closing its stdin stops it
    n = json.loads(out.strip().splitlines()[-1])
    print(f"     isp eth0: from {PEER} {n.get(PEER)}, from {GW} {n.get(GW)}", flush=True)
    peer, gw = n.get(PEER, {}), n.get(GW, {})
    assert peer.get("ike_500", 0) >= 2 and gw.get("ike_500", 0) >= 2, n  # MM1-MM4
    assert peer.get("ike_4500", 0) >= 3 and gw.get("ike_4500", 0) >= 2, n  # MM5-MM6, QM1-QM3
    for who in (peer, gw):
        assert who.get("esp_udp_4500", 0) >= XFER // 1460, n
    assert all("raw_esp" not in v for v in n.values()), n


def test_4_show_sas_and_reverse_route():
    sas = ike_sas()
    assert len(sas) == 1, sas
    s = sas[0]
    assert s["ike-sa-remote-address"] == PEER and s["ike-sa-state"] == "matured", s
    assert s["ike-sa-service-set-name"] == "SG1" and s["ike-sa-local-address"] == GW, s
    assert s["ike-sa-local-port"] == "4500" and s["ike-sa-remote-port"] == "4500", s  # NAT-T
    assert s["ike-sa-remote-identity"] == PEER and s["ike-sa-dhgroup"] == "14", s
    sas = ipsec_sas()
    assert len(sas) == 1, sas
    s = sas[0]
    assert s["svc-set-name"] == "SG1" and s["sa-remote-gateway"] == PEER, s
    assert s["sa-local-gateway"] == GW and s["sa-inside-interface"] == "ms-1/0/0.1", s
    assert s["sa-udp-encapsulate"] == "Enabled" and s["sa-udp-dst-port"] == "4500", s
    print(f"     identities: local {s['sa-local-identity']}, remote {s['sa-remote-identity']}",
          flush=True)
    if SPIS:  # kmd's inbound SA is the peer's outbound one, and the reverse
        assert s["spis"] == {"inbound": SPIS["peer_out"], "outbound": SPIS["peer_in"]}, \
            (s["spis"], SPIS)
    routes = vrf_routes()
    assert routes.get(PEER_LAN) == ("Static", "1", "ms-1/0/0.1"), routes
    for cmd in ("show services ipsec-vpn ike security-associations detail",
                "show services ipsec-vpn ipsec security-associations extensive",
                "show route table vrf-n1.inet.0"):  # as the CLI renders them
        OSG.cli(cmd)


def test_4_esp_counters_moved():
    t = esp_tunnels()
    assert len(t) == 1 and t[0]["sa-remote-gateway"] == PEER, t
    for k in ("esp-encrypted-packets", "esp-decrypted-packets"):
        assert int(t[0][k]) >= XFER // 1460, (k, t)  # 1 MB each way, 1460 bytes a segment at most
    for k in ("esp-encrypted-bytes", "esp-decrypted-bytes"):
        assert int(t[0][k]) > XFER, (k, t)
    for k in ("esp-authentication-failures", "replay-errors", "esp-decryption-failures",
              "bad-headers", "bad-trailers"):
        assert t[0].get(k, "0") == "0", (k, t)
    sas = SS.swanctl("--list-sas", "--ike", "sg2")
    n = [int(x) for x in re.findall(r"(\d+) bytes", sas)]
    assert len(n) >= 2 and min(n[:2]) > XFER, "strongSwan's counters:\n" + sas


def test_5_peer_delete_removes_everything():
    log_at = len(fwdd_log())
    SS.swanctl("--terminate", "--ike", "sg2", "--timeout", "10")
    wait_for(lambda: "deleted: the peer sent DELETE" in kmd_log(), what="kmd: DELETE")
    wait_for(lambda: not ike_sas() and not ipsec_sas() and not esp_tunnels() and
             PEER_LAN not in vrf_routes(), what="show outputs empty, route gone")
    assert vrf_routes() == {k: v for k, v in vrf_routes().items() if v[0] in ("Direct", "Local")}
    # every release (route, rule, SAs, pool unit) was accepted by fwdd
    refused = [ln for ln in fwdd_log()[log_at:].splitlines() if "kmd request" in ln]
    assert not refused, refused
    assert "fwdd: release for tunnel" not in kmd_log(), kmd_log()[-3000:]
    assert "sg2:" not in SS.swanctl("--list-sas")
    no_path()


def test_6_refused_wrong_psk():
    refusal("wrongpsk", r"IKE with \S+ refused at MM5 \(service set SG1, key from access "
            r"profile dyn-peers\): [^\n]*(pre-shared keys differ|HASH)[^\n]*", ike_left=False)


def test_6_refused_proxy_pair_not_allowed():
    refusal("badproxy", r"tunnel with \S+ \(id \S+, service set SG1\) refused: proxy pair remote "
            r"10\.9\.9\.0/24 local 10\.1\.1\.0/24 is not within an allowed-proxy-pair of access "
            r"profile dyn-peers[^\n]*", ike_left=True)


def test_6_refused_no_acceptable_proposal():
    refusal("badprop", r"IKE from \S+ refused at MM1 \(service set SG1\): no acceptable "
            r"proposal[^\n]*", ike_left=False)


def test_6_refused_pfs_not_offered():
    refusal("nopfs", r"tunnel with \S+ \(id \S+, service set SG1\) refused: [^\n]*PFS group14 "
            r"required by ipsec-policy ipsec-dyn but not offered[^\n]*", ike_left=True)


def test_6_nothing_left_the_peer_comes_back():
    out = SS.swanctl("--initiate", "--ike", "sg2", "--child", "lan", "--timeout", "30")
    assert "CHILD_SA lan{" in out and "established" in out, out
    # strongSwan reports the tunnel once QM3 is sent: kmd may not have it yet
    wait_for(lambda: len(ike_sas()) == 1 and len(ipsec_sas()) == 1, timeout=20,
             what="kmd lists the new tunnel")
    wait_for(lambda: peer_ping()[0], timeout=20, what="ping through the new tunnel")
    SS.swanctl("--terminate", "--ike", "sg2", "--timeout", "10")
    wait_for(lambda: not ike_sas() and not ipsec_sas() and not esp_tunnels() and
             PEER_LAN not in vrf_routes(), what="teardown")


def ipsec_spis():
    """kmd's IPsec SAs: {(direction, SPI), ...} over every tunnel."""
    r = OSG.show("show services ipsec-vpn ipsec security-associations detail")
    return {(sa.findtext("sa-direction"), int(sa.findtext("sa-spi")))
            for sa in r.xml.iter("security-associations")}


def peer_view(conn):
    """charon's IKE SAs of conn (their initiator cookies) and its installed
    CHILD_SAs as kmd should hold them: {("inbound", its out SPI),
    ("outbound", its in SPI), ...}."""
    sas = SS.swanctl("--list-sas", "--ike", conn)
    ikes = re.findall(rf"{conn}: #\d+, \w+, IKEv1, ([0-9a-f]{{16}})_i", sas)
    spis = set()
    for i, o in re.findall(r"INSTALLED.*\n.*\n\s*in  ([0-9a-f]{8}),.*\n\s*out ([0-9a-f]{8}),",
                           sas):
        spis |= {("inbound", int(o, 16)), ("outbound", int(i, 16))}
    return ikes, spis


def same_view(conn):
    """One IKE SA and one tunnel on each side, the same ones; else None."""
    ikes, spis = peer_view(conn)
    kmd_ikes = [s["ike-sa-initiator-cookie"] for s in ike_sas()]
    mine = ipsec_spis()
    if len(ikes) == 1 and kmd_ikes == ikes and len(spis) == 2 and mine == spis:
        return ikes[0], spis
    return None


def test_6_peer_rekeys_and_reauthenticates():
    """charon's "rekey" connection: its CHILD_SA rekeyed every 6 s (a new
    quick mode on the same IKE SA: kmd replaces the tunnel's SAs), its IKE
    SA reauthenticated after 16 s (a new main mode and quick mode, then the
    old IKE SA deleted): after each, both sides hold the same SAs and
    traffic passes."""
    out = SS.swanctl("--initiate", "--ike", "rekey", "--child", "rekey-lan", "--timeout", "30")
    assert "CHILD_SA rekey-lan{" in out and "established" in out, out
    ike, first = wait_for(lambda: same_view("rekey"), timeout=20, what="kmd lists the tunnel")
    wait_for(lambda: peer_ping()[0], timeout=20, what="ping through the tunnel")
    _, spis = wait_for(lambda: (v := same_view("rekey")) and v[0] == ike and v[1] != first and v,
                       timeout=30, what="the CHILD_SA rekeyed on both sides, same IKE SA")
    print(f"     rekeyed on IKE SA {ike}: {sorted(first)} -> {sorted(spis)}", flush=True)
    spi_in = next(spi for d, spi in spis if d == "inbound")
    assert re.search(rf"tunnel \d+ with {PEER} [^\n]* deleted: replaced by tunnel \d+\n[^\n]*"
                     rf"established: [^\n]*SPI in {spi_in:08x} ", kmd_log()), kmd_log()[-3000:]
    wait_for(lambda: peer_ping()[0], timeout=20, what="ping through the rekeyed tunnel")
    ike2, spis = wait_for(lambda: (v := same_view("rekey")) and v[0] != ike and v, timeout=40,
                          what="the IKE SA reauthenticated, the old one deleted on both sides")
    print(f"     reauthenticated: IKE SA {ike} -> {ike2}, {sorted(spis)}", flush=True)
    # charon deletes the old IKE SA, or kmd does when its lifetime (26 s:
    # charon's rekey_time + over_time) ends first
    assert re.search(rf"IKE SA {ike}:[^\n]* deleted: (the peer sent DELETE|lifetime expired)",
                     kmd_log()), kmd_log()[-3000:]
    wait_for(lambda: peer_ping()[0], timeout=20, what="ping after the reauthentication")
    t = esp_tunnels()
    assert len(t) == 1 and int(t[0]["esp-decrypted-packets"]) > 0, t
    SS.swanctl("--terminate", "--ike", "rekey", "--timeout", "10")
    wait_for(lambda: not ike_sas() and not ipsec_sas() and not esp_tunnels() and
             PEER_LAN not in vrf_routes(), what="teardown")


def test_7_key_nowhere():
    """kmd ran with --debug (its highest level) all along; stop the daemons
    so that every log is complete, then search everything."""
    OSG.show("show configuration access")
    OSG.show("show log messages", check=False)  # no syslog file yet: an error, still searched
    for d, name in ((OSG.kmd, "kmd"), (OSG.fwdd, "fwdd")):
        rc = d.stop()
        assert rc == 0, f"{name} exited {rc} on SIGTERM:\n" + read(d.log)[-3000:]
    assert "MM1 from" in kmd_log() and "NAT-D:" in kmd_log(), "kmd was not at debug level"
    needles = (PSK.encode(), PSK.encode().hex().encode(), PSK.encode().hex().upper().encode())
    for i, text in enumerate(OSG.shown):
        for n in needles:
            assert n not in text.encode(), f"the key is in show output {i}:\n{text[:2000]}"
    seen = 0
    for d, _, files in os.walk(OSG.app.root):
        for f in files:
            path = os.path.join(d, f)
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError:
                continue
            seen += 1
            for n in needles:
                assert n not in data, f"the key is in {path}"
    assert seen >= 3 and os.path.getsize(OSG.kmd.log) > 0 and os.path.getsize(OSG.app.mgd.log) > 0


STEPS = [test_1_no_path_before_the_tunnel, test_2_main_and_quick_mode_with_natt,
         test_3_ping_both_ways, test_3_tcp_1mb_both_ways,
         test_3_on_the_wire_ike_and_esp_in_udp_4500, test_4_show_sas_and_reverse_route,
         test_4_esp_counters_moved, test_5_peer_delete_removes_everything,
         test_6_refused_wrong_psk, test_6_refused_proxy_pair_not_allowed,
         test_6_refused_no_acceptable_proposal, test_6_refused_pfs_not_offered,
         test_6_nothing_left_the_peer_comes_back, test_6_peer_rekeys_and_reauthenticates,
         test_7_key_nowhere]


def setup():
    global LAB, OSG, SS
    LAB = isp_lab("osi")
    SS = StrongSwan(LAB, "sg2", sg2_swanctl())
    OSG = OpenSG(LAB).start()
    SS.start()


def teardown():
    """Everything goes whatever happened; False when mgd did not exit 0."""
    if SNIFF and SNIFF.poll() is None:
        SNIFF.kill()
        SNIFF.wait()
    return cleanup_all(lambda: SS and SS.cleanup(), lambda: OSG and OSG.cleanup(),
                       lambda: LAB and LAB.down())


def diagnostics():
    for name, text in (("kmd.out", kmd_log()), ("fwdd.out", fwdd_log()),
                       ("charon.log", read(SS.log) if SS else "")):
        print(f"--- {name} (end) ---\n{text[-4000:]}", flush=True)


if __name__ == "__main__":
    sys.exit(main(setup, STEPS, teardown, diagnostics))
