#!/usr/bin/env python3
"""Two things of kmd and fwdd against a real strongSwan 5.9.8 peer
(kernel-libipsec, NAT-T forced), docs/interop.md ("Inner IPv6, lo0"):

  - inner IPv6 over the IPv4 tunnel: an explicit IPv6 allowed-proxy-pair,
    charon's child with IPv6 traffic selectors (IDs of type
    IPV6_ADDR_SUBNET), the dynamic rule and the reverse route in
    vrf-n1.inet6.0, ICMPv6 echo and 1 MiB of TCP over IPv6 each way
    through fwdd's ESP, an IPv4 child under the same IKE SA beside it;
  - a local-gateway that is no interface's address on the outside: lo0.0
    192.0.2.1/32, routed to the appliance's outside address by the ISP
    router; IKE (500, then 4500) and ESP in UDP to and from it.

  lan 10.1.1.1/24, 2001:db8:1::1/64 -- app: fwdd ge-0/0/0 10.1.1.254/24, 2001:db8:1::fe/64
                                                ge-0/0/1 203.0.113.1/24, lo0.0 192.0.2.1/32
        -- isp: 203.0.113.254/24 (192.0.2.1/32 via 203.0.113.1) | 198.51.100.254/24
        -- sg2: charon 198.51.100.7, lo 10.2.2.1/32 and 2001:db8:2::1/128

Each step prints one line; every wait polls with a deadline.  Root and the
strongSwan packages of tests/deps.txt.

  test_strongswan_v6_lo0.py [STEP_FUNCTION ...]     (OPENSG_BUILD: the build dir)
"""
import subprocess
import sys

from osglab import (GW, GW_LAN, LAN_HOST, PEER, PEER_HOST, PEER_LAN, PROBE, PSK, PY, SG1_CONF,
                    OpenSG, StrongSwan, cleanup_all, isp_lab, main, ping, read, say, tcp)
from mgdclient import wait_for  # noqa: E402  (osglab put tests/integration on the path)

LAN6_HOST, LAN6 = "2001:db8:1::1", "2001:db8:1::/64"
PEER6_HOST, PEER6 = "2001:db8:2::1", "2001:db8:2::/64"
LO0_GW = "192.0.2.1"  # lo0.0: the appliance's own /32, no interface's subnet
XFER = 1 << 20


def conn(name, gw, children):
    return f"""  {name} {{
    version = 1
    aggressive = no
    local_addrs = {PEER}
    remote_addrs = {gw}
    proposals = aes128-sha1-modp2048
    local {{
      auth = psk
      id = {PEER}
    }}
    remote {{
      auth = psk
      id = {gw}
    }}
    children {{
{children}    }}
  }}
"""


def child(name, local_ts, remote_ts):
    return f"""      {name} {{
        local_ts = {local_ts}
        remote_ts = {remote_ts}
        esp_proposals = aes128-sha1-modp2048
      }}
"""


def swanctl_conf():
    """sg2 toward 203.0.113.1 with an IPv6 child and an IPv4 one; sg2-lo0
    toward the lo0 address with an IPv4 child."""
    return ("connections {\n" +
            conn("sg2", GW, child("lan6", PEER6, LAN6) + child("lan", PEER_LAN, GW_LAN)) +
            conn("sg2-lo0", LO0_GW, child("lo0-lan", PEER_LAN, GW_LAN)) +
            f"}}\nsecrets {{\n  ike-any {{\n    secret = {PSK}\n  }}\n}}\n")


def appliance_conf():
    """sg1.conf with IPv6 on the LAN port and on the inside unit, and an
    IPv6 allowed-proxy-pair (the default pair is IPv4 only)."""
    text = read(SG1_CONF)
    pairs = [("                address 10.1.1.254/24;\n            }\n",
              "                address 10.1.1.254/24;\n            }\n"
              f"            family inet6 {{\n                address 2001:db8:1::fe/64;\n"
              "            }\n"),
             ("            family inet;\n            service-domain inside;\n",
              "            family inet;\n            family inet6;\n"
              "            service-domain inside;\n"),
             ("remote 10.3.3.0/24 local 10.1.1.0/24;\n",
              f"remote 10.3.3.0/24 local 10.1.1.0/24;\n"
              f"                    remote {PEER6} local {LAN6};\n")]
    for old, new in pairs:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


LAB = OSG = SS = None


def vrf6_routes():
    return OSG.vrf_routes("vrf-n1.inet6.0")


def sa_for(remote_id_part):
    return [s for s in OSG.ipsec_sas() if remote_id_part in s.get("sa-remote-identity", "")]


def tcp_both_ways(lan_host, peer_host):
    got = tcp(LAB, "sg2", peer_host, "lan", peer_host, XFER, source=lan_host)
    assert got["bytes"] == XFER and got["peer"] == lan_host, got
    got = tcp(LAB, "lan", lan_host, "sg2", lan_host, XFER, source=peer_host)
    assert got["bytes"] == XFER and got["peer"] == peer_host, got
    say(f"{lan_host} <-> {peer_host}: {XFER} bytes each way, SHA-256 equal")


# --- steps ---------------------------------------------------------------


def test_1_no_ipv6_path_before_the_tunnel():
    r = OSG.show("show route table vrf-n1.inet6.0")
    assert PEER6 not in vrf6_routes(), vrf6_routes()
    ok, res = ping(LAB, "lan", PEER6_HOST)
    assert not ok, res
    say(f"lan -> {PEER6_HOST}: {res[0]}; vrf-n1.inet6.0 has " +
        ", ".join(x.findtext("rt-destination") for x in r.xml.iter("rt")))


def test_2_ipv6_child_established():
    """charon's lan6 child (IPv6 selectors over IPv4 IKE): kmd's tunnel
    with IPv6 proxies, the reverse route in vrf-n1.inet6.0."""
    out = SS.initiate("sg2", "lan6")
    assert PEER6 in out and LAN6 in out, out
    log = OSG.kmd_log()
    assert f"remote {PEER6} local {LAN6}) established: esp aes-128-cbc hmac-sha1-96 PFS" in log, \
        log[-3000:]
    routes = vrf6_routes()
    assert routes.get(PEER6) == ("Static", "1", "ms-1/0/0.1"), routes
    sas = sa_for("ipv6_subnet")
    assert len(sas) == 1, OSG.ipsec_sas()
    s = sas[0]
    assert s["sa-remote-identity"] == f"ipv6_subnet(any:0,[0..31]={PEER6})", s
    assert s["sa-local-identity"] == f"ipv6_subnet(any:0,[0..31]={LAN6})", s
    assert s["sa-local-gateway"] == GW and s["sa-remote-gateway"] == PEER, s
    say(f"kmd: {s['sa-remote-identity']} <-> {s['sa-local-identity']} on {s['sa-inside-interface']}")


def test_3_ipv6_ping_and_tcp_through_esp():
    wait_for(lambda: ping(LAB, "sg2", LAN6_HOST, source=PEER6_HOST)[0], timeout=20,
             what=f"{PEER6_HOST} -> {LAN6_HOST}")
    ok, res = ping(LAB, "lan", PEER6_HOST, count=3)
    assert ok and all(x["from"] == PEER6_HOST for x in res), res
    tcp_both_ways(LAN6_HOST, PEER6_HOST)
    t = OSG.esp_tunnels()
    assert len(t) == 1, t
    for k in ("esp-encrypted-bytes", "esp-decrypted-bytes"):
        assert int(t[0][k]) > XFER, (k, t)
    for k in ("esp-authentication-failures", "replay-errors", "esp-decryption-failures",
              "bad-headers", "bad-trailers"):
        assert t[0].get(k, "0") == "0", (k, t)


def test_4_ipv4_child_beside_it():
    """The IPv4 child under the same IKE SA: a second tunnel; both carry
    their family."""
    SS.initiate("sg2", "lan")
    wait_for(lambda: len(OSG.ipsec_sas()) == 2, timeout=20, what="two tunnels")
    assert len(OSG.ike_sas()) == 1, OSG.ike_sas()
    assert OSG.vrf_routes().get(PEER_LAN) == ("Static", "1", "ms-1/0/0.1"), OSG.vrf_routes()
    wait_for(lambda: ping(LAB, "sg2", LAN_HOST, source=PEER_HOST)[0], timeout=20,
             what=f"{PEER_HOST} -> {LAN_HOST}")
    assert ping(LAB, "lan", PEER6_HOST)[0] and ping(LAB, "lan", PEER_HOST)[0]


def test_5_delete_leaves_nothing():
    at = len(OSG.fwdd_log())
    SS.swanctl("--terminate", "--ike", "sg2", "--timeout", "10")
    wait_for(lambda: not OSG.ipsec_sas() and not OSG.ike_sas() and PEER6 not in vrf6_routes(),
             timeout=20, what="both tunnels and the IKE SA gone")
    OSG.nothing_left(dests=(PEER_LAN,), since=at)
    assert not ping(LAB, "lan", PEER6_HOST)[0]


class Sniff:
    """netprobe sniff on the ISP router's link to the appliance."""

    def __init__(self):
        self.p = subprocess.Popen(LAB.argv("isp", PY, PROBE, "sniff", "eth0"),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        assert line.strip() == "LISTENING", line

    def stop(self):
        import json
        out, _ = self.p.communicate(input="", timeout=30)
        return json.loads(out.strip().splitlines()[-1])


SNIFF = None


def test_6_lo0_local_gateway_established():
    """lo0.0 192.0.2.1/32 becomes SG1's local-gateway (a commit; the ISP
    router routes it to 203.0.113.1); sg2-lo0 connects to it."""
    global SNIFF
    OSG.commit("set interfaces lo0 unit 0 family inet address 192.0.2.1/32",
               f"set services service-set SG1 ipsec-vpn-options local-gateway {LO0_GW}")
    r = OSG.show("show route table inet.0")
    local = [rt for rt in r.xml.iter("rt") if rt.findtext("rt-destination") == LO0_GW + "/32"]
    assert local and "Local" in [e.findtext("protocol-name") for e in local[0].iter("rt-entry")], \
        r.raw
    SNIFF = Sniff()
    SS.initiate("sg2-lo0", "lo0-lan")
    ike = OSG.ike_sas()
    assert len(ike) == 1 and ike[0]["ike-sa-remote-address"] == PEER, ike
    assert ike[0]["ike-sa-local-address"] == LO0_GW, ike
    log = OSG.kmd_log()
    assert f"with {PEER}:4500 (id {PEER}) established in service set SG1" in log, log[-3000:]
    sas = OSG.ipsec_sas()
    assert len(sas) == 1 and sas[0]["sa-local-gateway"] == LO0_GW, sas
    assert sas[0]["sa-udp-encapsulate"] == "Enabled", sas
    out = SS.sas("sg2-lo0")
    assert f"remote '{LO0_GW}' @ {LO0_GW}[4500]" in out and "TUNNEL-in-UDP" in out, out
    say(f"charon: remote '{LO0_GW}' @ {LO0_GW}[4500], TUNNEL-in-UDP")


def test_7_lo0_traffic_and_the_wire():
    wait_for(lambda: ping(LAB, "sg2", LAN_HOST, source=PEER_HOST)[0], timeout=20,
             what=f"{PEER_HOST} -> {LAN_HOST} through the lo0 gateway")
    ok, res = ping(LAB, "lan", PEER_HOST, count=2)
    assert ok, res
    tcp_both_ways(LAN_HOST, PEER_HOST)
    counts = SNIFF.stop()
    say(f"isp eth0: {counts}")
    lo = counts.get(LO0_GW, {})
    assert lo.get("ike_500", 0) == 2 and lo.get("ike_4500", 0) >= 2, counts  # MM2, MM4; MM6, QM2
    assert lo.get("esp_udp_4500", 0) >= XFER // 1460, counts
    gw = counts.get(GW, {})
    assert not gw.get("esp_udp_4500") and not gw.get("ike_4500") and not gw.get("ike_500"), counts
    assert counts.get(PEER, {}).get("esp_udp_4500", 0) >= XFER // 1460, counts


def test_8_lo0_delete_and_stop():
    at = len(OSG.fwdd_log())
    SS.swanctl("--terminate", "--ike", "sg2-lo0", "--timeout", "10")
    wait_for(lambda: not OSG.ipsec_sas() and not OSG.ike_sas(), timeout=20, what="nothing left")
    OSG.nothing_left(dests=(PEER_LAN,), since=at)
    for d, name in ((OSG.kmd, "kmd"), (OSG.fwdd, "fwdd")):
        rc = d.stop()
        assert rc == 0, f"{name} exited {rc} on SIGTERM:\n" + read(d.log)[-3000:]
    assert PSK not in OSG.kmd_log()


STEPS = [test_1_no_ipv6_path_before_the_tunnel, test_2_ipv6_child_established,
         test_3_ipv6_ping_and_tcp_through_esp, test_4_ipv4_child_beside_it,
         test_5_delete_leaves_nothing, test_6_lo0_local_gateway_established,
         test_7_lo0_traffic_and_the_wire, test_8_lo0_delete_and_stop]


def setup():
    global LAB, OSG, SS

    LAB = isp_lab("os6")
    LAB.addr("lan", "eth0", LAN6_HOST + "/64")
    LAB.ip("lan", "-6", "route", "add", "default", "via", "2001:db8:1::fe")
    LAB.ip("sg2", "addr", "add", PEER6_HOST + "/128", "dev", "lo")
    LAB.ip("isp", "route", "add", LO0_GW + "/32", "via", GW)
    SS = StrongSwan(LAB, "sg2", swanctl_conf())
    OSG = OpenSG(LAB, appliance_conf()).start()
    SS.start()
    say("namespaces " + " ".join(LAB.made))


def teardown():
    if SNIFF and SNIFF.p.poll() is None:
        SNIFF.p.kill()
    return cleanup_all(lambda: SS and SS.cleanup(), lambda: OSG and OSG.cleanup(),
                       lambda: LAB and LAB.down())


def diagnostics():
    print(f"--- kmd.out (end) ---\n{OSG.kmd_log()[-6000:] if OSG else ''}", flush=True)
    print(f"--- fwdd.out (end) ---\n{OSG.fwdd_log()[-3000:] if OSG else ''}", flush=True)
    if SS:
        print(f"--- charon.log (end) ---\n{read(SS.log)[-4000:]}", flush=True)
    if LAB:
        for role in ("sg2", "lan"):
            r = LAB.run(role, "sh", "-c", "ip -6 addr; ip -6 route show table all")
            print(f"--- {role} ip -6 ---\n{r.stdout}", flush=True)


if __name__ == "__main__":
    sys.exit(main(setup, STEPS, teardown, diagnostics))
