#!/usr/bin/env python3
"""Several real strongSwan 5.9.8 peers against one appliance at once:
two peers with traffic through both (one with an FQDN identity), a peer
that returns from a new address with INITIAL-CONTACT, DPD answered and
the peer's dpd_action when kmd stops answering, tunnels distributed over
two ms- PICs sharing an access profile, and a dedicated pool exhausted.
docs/interop.md ("Several peers") describes it.

  lan (10.1.1.1/24) -- app: fwdd ge-0/0/0 10.1.1.254/24, ge-0/0/1 203.0.113.1/24 -- isp
  isp eth1 198.51.100.254/24 -- sg2:  charon, 198.51.100.7, lo 10.2.2.1        (id its address)
  isp eth2 198.18.3.254/24   -- sg3:  charon, 198.18.3.7 and .8, lo 10.3.3.1   (id sg3.example.net)
  isp eth3 198.18.4.254/24   -- many: charon, 198.18.4.11-15, lo 10.4.N.1      (id dN.example.net)

Each charon runs in its own namespace with its own directory, VICI socket
and private /run (osglab.StrongSwan), with kernel-libipsec (NAT-T forced).
Every wait polls with a deadline.  Needs root and the strongSwan packages
of tests/deps.txt.

  test_strongswan_peers.py [STEP_FUNCTION ...]     (OPENSG_BUILD: the build dir)
"""
import re
import signal
import sys
import threading

from osglab import (GW, GW_LAN, LAN_HOST, PSK, Lab, OpenSG, StrongSwan, cleanup_all, main, ping,
                    read, say, SG1_CONF)
from mgdclient import wait_for  # noqa: E402  (osglab put tests/integration on the path)

SG2, SG2_LAN, SG2_HOST = "198.51.100.7", "10.2.2.0/24", "10.2.2.1"
SG3_OLD, SG3_NEW, SG3_LAN, SG3_HOST = "198.18.3.7", "198.18.3.8", "10.3.3.0/24", "10.3.3.1"
SG3_ID = "sg3.example.net"
MANY = {n: (f"198.18.4.{10 + n}", f"d{n}.example.net", f"10.4.{n}.0/24", f"10.4.{n}.1")
        for n in range(1, 6)}  # n: (address, identity, LAN, host)
DPD_DELAY, DPD_TIMEOUT = 2, 4  # s (charon's defaults: 30 s and 150 s)
RETRANSMIT = """retransmit_tries = 2
  retransmit_timeout = 1.0
  retransmit_base = 1.4"""


def conn(name, addr, ident, lan, ike_extra="", child_extra=""):
    """An IKEv1 main-mode PSK connection toward SG1 with one child
    (NAME-lan); `unique = replace` makes charon send INITIAL-CONTACT when
    it holds no IKE SA with the appliance's identity."""
    return f"""  {name} {{
    version = 1
    aggressive = no
    unique = replace
    local_addrs = {addr}
    remote_addrs = {GW}
    proposals = aes128-sha1-modp2048
    {ike_extra}
    local {{
      auth = psk
      id = {ident}
    }}
    remote {{
      auth = psk
      id = {GW}
    }}
    children {{
      {name}-lan {{
        local_ts = {lan}
        remote_ts = {GW_LAN}
        esp_proposals = aes128-sha1-modp2048
        {child_extra}
      }}
    }}
  }}
"""


def swanctl_conf(*conns):
    """The connections and one wildcard secret (every identity uses the
    lab's key)."""
    return "connections {\n" + "".join(conns) + "}\nsecrets {\n  ike-any {\n" \
        f"    secret = {PSK}\n  }}\n}}\n"


def appliance_conf():
    """sg1.conf with 10.4.0.0/16 among the allowed remote proxies and an
    explicit remote-id list instead of any-remote-id: sg2's address and
    the FQDNs of sg3 and the `many` peers."""
    text = read(SG1_CONF)
    pair = "remote 10.3.3.0/24 local 10.1.1.0/24;\n"
    assert pair in text and "any-remote-id;" in text
    text = text.replace(pair, pair + "                    remote 10.4.0.0/16 local 10.1.1.0/24;\n")
    ids = " ".join([SG3_ID] + [m[1] for m in MANY.values()])
    return text.replace("any-remote-id;", f"ipv4_addr {SG2};\n                    fqdn [ {ids} ];")


LAB = OSG = SS2 = SS3 = SSM = None


def kmd_log():
    return OSG.kmd_log() if OSG else ""


def tunnels_to(addr):
    return [s for s in OSG.ipsec_sas() if s["sa-remote-gateway"] == addr]


def wait_tunnels(n, what):
    wait_for(lambda: len(OSG.ipsec_sas()) == n, timeout=20, what=what)


def terminate(ss, name):
    ss.swanctl("--terminate", "--ike", name, "--timeout", "10")


def peer_pings(role, host):
    """host -> the LAN host and the LAN host -> host, 2 probes each."""
    wait_for(lambda: ping(LAB, role, LAN_HOST, source=host)[0], timeout=20,
             what=f"{host} -> {LAN_HOST}")
    ok, res = ping(LAB, "lan", host, count=2)
    assert ok and all(x["from"] == host for x in res), res


def per_pic():
    """Tunnels per service set (PIC) as kmd shows them (inside interface)
    and as fwdd counts its tunnels (service set of each)."""
    kmd, fwdd = {}, {}
    for s in OSG.ipsec_sas():
        key = (s["svc-set-name"], s["sa-inside-interface"].rsplit(".", 1)[0])
        kmd[key] = kmd.get(key, 0) + 1
    for t in OSG.esp_tunnels():
        key = (t["svc-set-name"], t["interface-name"])
        fwdd[key] = fwdd.get(key, 0) + 1
    return kmd, fwdd


# --- steps ---------------------------------------------------------------


def test_1_two_peers_at_once():
    """sg2 and sg3 initiate at the same moment; both tunnels up, traffic
    through both, each identity shown."""
    outs, errs = {}, []

    def go(ss, name):
        try:
            outs[name] = ss.initiate(name, name + "-lan")
        except Exception as e:
            errs.append(e)
    threads = [threading.Thread(target=go, args=a) for a in ((SS2, "sg2"), (SS3, "sg3"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert not errs, errs
    wait_tunnels(2, "kmd lists both tunnels")
    ike = {s["ike-sa-remote-address"]: s for s in OSG.ike_sas()}
    assert set(ike) == {SG2, SG3_OLD}, ike
    assert ike[SG2]["ike-sa-remote-identity"] == SG2, ike
    assert ike[SG3_OLD]["ike-sa-remote-identity"] == SG3_ID, ike
    assert all(s["ike-sa-state"] == "matured" for s in ike.values()), ike
    routes = OSG.vrf_routes()
    for lan in (SG2_LAN, SG3_LAN):
        assert routes.get(lan) == ("Static", "1", "ms-1/0/0.1"), routes
    peer_pings("sg2", SG2_HOST)
    peer_pings("sg3", SG3_HOST)
    esp = {t["sa-remote-gateway"]: t for t in OSG.esp_tunnels()}
    assert set(esp) == {SG2, SG3_OLD}, esp
    for t in esp.values():
        assert int(t["esp-encrypted-packets"]) >= 2 and int(t["esp-decrypted-packets"]) >= 2, t
    assert re.search(rf"IKE SA \S+ with {SG3_OLD}:4500 \(id {SG3_ID}\) established", kmd_log())


def test_1_unlisted_fqdn_refused():
    """An FQDN that the ike-policy's remote-id list does not name: refused
    at MM5 with the reason in negotiation-failures; the two tunnels stay."""
    SS3.swanctl("--initiate", "--ike", "stranger", "--child", "stranger-lan", "--timeout", "2",
                check=False, timeout=30)
    reason = "identity not allowed by the ike-policy remote-id: stranger.example.net"
    wait_for(lambda: reason in kmd_log(), what="kmd refuses stranger.example.net")
    fails = [f for f in OSG.failures(SG3_OLD) if f["ike-failure-reason"] == reason]
    assert fails and fails[0]["ike-failure-exchange"] == "MM5", OSG.failures(SG3_OLD)
    assert fails[0]["ike-failure-notify"] == "INVALID-ID-INFORMATION", fails
    SS3.swanctl("--terminate", "--ike", "stranger", "--force", "--timeout", "5", check=False)
    assert len(OSG.ipsec_sas()) == 2 and len(OSG.ike_sas()) == 2


def test_2_peer_returns_from_new_address():
    """sg3 crashes (SIGKILL: no DELETE), comes back from 198.18.3.8 with
    the same identity and proxies; its MM5 carries INITIAL-CONTACT; kmd
    drops the old IKE SA and tunnel (fwdd's SAs too) and the new tunnel
    carries the traffic; sg2 is untouched."""
    old = tunnels_to(SG3_OLD)
    assert len(old) == 1, OSG.ipsec_sas()
    sg2_spis = tunnels_to(SG2)[0]["spis"]
    at = len(kmd_log())
    SS3.crash()
    SS3.start()
    SS3.initiate("sg3-moved", "sg3-moved-lan")
    wait_for(lambda: tunnels_to(SG3_NEW) and not tunnels_to(SG3_OLD), timeout=20,
             what="the tunnel from the new address replaces the old one")
    log = kmd_log()[at:]
    assert re.search(rf"IKE SA \S+ with {SG3_NEW}:4500 \(id {SG3_ID}\) established in service set "
                     r"SG1: [^\n]*initial contact", log), log[-3000:]
    m = re.search(rf"tunnel \d+ with {SG3_OLD} [^\n]*deleted: INITIAL-CONTACT from the same "
                  r"identity", log)
    assert m, log[-3000:]
    say("kmd: " + m.group(0))
    ike = {s["ike-sa-remote-address"]: s for s in OSG.ike_sas()}
    assert set(ike) == {SG2, SG3_NEW}, ike  # the old IKE SA went too
    assert ike[SG3_NEW]["ike-sa-remote-identity"] == SG3_ID, ike
    new = tunnels_to(SG3_NEW)[0]
    assert new["spis"]["inbound"] != old[0]["spis"]["inbound"], (new, old)
    esp = {t["sa-remote-gateway"] for t in OSG.esp_tunnels()}
    assert esp == {SG2, SG3_NEW}, esp  # fwdd holds nothing for the old address
    assert OSG.vrf_routes().get(SG3_LAN) == ("Static", "1", "ms-1/0/0.1")
    assert tunnels_to(SG2)[0]["spis"] == sg2_spis
    peer_pings("sg3", SG3_HOST)
    peer_pings("sg2", SG2_HOST)


def dpd_counters():
    sas, glob = OSG.ike_stats()
    mine = [s for s in sas if s.get("ike-sa-remote-address") == SG2]
    assert len(mine) == 1, sas
    s = mine[0]
    return (int(s["ike-sa-dpd-request-payloads-received"]),
            int(s["ike-sa-dpd-response-payloads-sent"]), int(glob["ike-global-dpd-responses-sent"]))


def test_3_dpd_answered():
    """sg2 sends R-U-THERE every 2 s (dpd_delay); kmd answers each: its
    counters move, charon logs the R-U-THERE-ACKs."""
    wait_for(lambda: dpd_counters()[0] >= 2, timeout=20, what="two R-U-THEREs at kmd")
    req, resp, glob = dpd_counters()
    assert resp >= req - 1 and resp >= 1 and glob >= resp, (req, resp, glob)
    wait_for(lambda: len(re.findall(r"parsed INFORMATIONAL_V1 request \d+ \[ HASH "
                                    r"N\(DPD_ACK\) \]", read(SS2.log))) >= 2,
             timeout=20, what="charon logs two R-U-THERE-ACKs")
    say(f"kmd: {req} R-U-THERE received, {resp} R-U-THERE-ACK sent")


def test_3_dpd_action_when_kmd_stops():
    """kmd stopped (SIGSTOP): sg2's R-U-THEREs go unanswered; after
    dpd_timeout charon enforces dpd_action = restart: its SAs go without a
    DELETE (the peer is presumed dead) and it initiates again.  kmd
    continues (SIGCONT), answers the queued MM1, and the new tunnel
    (INITIAL-CONTACT) replaces the one kmd still held; sg3 is untouched."""
    old = tunnels_to(SG2)
    assert len(old) == 1, OSG.ipsec_sas()
    at, kat = len(read(SS2.log)), len(kmd_log())
    OSG.kmd.proc.send_signal(signal.SIGSTOP)
    try:
        wait_for(lambda: "DPD check timed out, enforcing DPD action" in read(SS2.log)[at:],
                 timeout=DPD_DELAY + DPD_TIMEOUT + 20, what="charon's DPD timeout")
    finally:
        OSG.kmd.proc.send_signal(signal.SIGCONT)
    log = read(SS2.log)[at:]
    for what in (r"DPD check timed out[^\n]*", r"restarting CHILD_SA sg2-lan[^\n]*",
                 r"initiating Main Mode IKE_SA sg2\[\d+\][^\n]*"):
        m = re.search(what, log)
        assert m, (what, log[-3000:])
        say("charon: " + m.group(0))
    wait_for(lambda: [t for t in tunnels_to(SG2) if t["spis"] != old[0]["spis"]] and
             len(tunnels_to(SG2)) == 1, timeout=30, what="sg2's new tunnel replaces the old")
    klog = kmd_log()[kat:]
    gone = re.search(rf"tunnel \d+ with {SG2} [^\n]*deleted: [^\n]*", klog)
    assert gone, klog[-3000:]
    say("kmd: " + gone.group(0))
    assert re.search(rf"IKE SA \S+ with {SG2}:4500 \(id {SG2}\) established [^\n]*initial "
                     r"contact", klog), klog[-3000:]
    assert [s["ike-sa-remote-address"] for s in OSG.ike_sas()].count(SG2) == 1
    assert {t["sa-remote-gateway"] for t in OSG.esp_tunnels()} == {SG2, SG3_NEW}
    peer_pings("sg2", SG2_HOST)
    peer_pings("sg3", SG3_HOST)


def test_3_both_leave():
    terminate(SS2, "sg2")
    terminate(SS3, "sg3-moved")
    wait_for(lambda: not OSG.ike_sas() and not OSG.ipsec_sas(), what="sg2 and sg3 gone")
    OSG.nothing_left((SG2_LAN, SG3_LAN))


def test_4_distribution_over_two_pics():
    """A second PIC, ms-2/0/0, with service set SG2 sharing access profile
    dyn-peers and the local gateway with SG1: each new tunnel goes to the
    least loaded PIC; deletions move the balance; counts from kmd's and
    fwdd's show output."""
    OSG.commit("set interfaces ms-2/0/0 unit 1 family inet",
               "set interfaces ms-2/0/0 unit 1 service-domain inside",
               "set interfaces ms-2/0/0 unit 1 dial-options ipsec-interface-id dyn-pool",
               "set interfaces ms-2/0/0 unit 1 dial-options shared",
               "set interfaces ms-2/0/0 unit 2 family inet",
               "set interfaces ms-2/0/0 unit 2 service-domain outside",
               "set routing-instances vrf-n1 interface ms-2/0/0.1",
               "set services service-set SG2 next-hop-service inside-service-interface "
               "ms-2/0/0.1",
               "set services service-set SG2 next-hop-service outside-service-interface "
               "ms-2/0/0.2",
               "set services service-set SG2 ipsec-vpn-options local-gateway " + GW,
               "set services service-set SG2 ipsec-vpn-options ike-access-profile dyn-peers")
    want = {}
    for n, pic in ((1, "SG1"), (2, "SG2"), (3, "SG1"), (4, "SG2")):
        SSM.initiate(f"d{n}", f"d{n}-lan")
        want[pic] = want.get(pic, 0) + 1
        wait_tunnels(n, f"kmd lists d{n}'s tunnel")
        t = tunnels_to(MANY[n][0])[0]
        assert t["svc-set-name"] == pic, (n, t)
        check_counts(want)
    for n in range(1, 5):
        peer_pings("many", MANY[n][3])
    say(f"after 4: {per_pic()[0]}")
    for n in (1, 3):  # both on SG1
        terminate(SSM, f"d{n}")
    wait_tunnels(2, "d1 and d3 gone")
    check_counts({"SG2": 2})
    SSM.initiate("d5", "d5-lan")
    wait_tunnels(3, "kmd lists d5's tunnel")
    assert tunnels_to(MANY[5][0])[0]["svc-set-name"] == "SG1"
    check_counts({"SG1": 1, "SG2": 2})
    peer_pings("many", MANY[5][3])
    terminate(SSM, "d2")
    wait_tunnels(2, "d2 gone")
    check_counts({"SG1": 1, "SG2": 1})
    say(f"after deletions and d5: {per_pic()[0]}")
    for n in (4, 5):
        terminate(SSM, f"d{n}")
    wait_for(lambda: not OSG.ike_sas() and not OSG.ipsec_sas(), what="every tunnel gone")
    OSG.nothing_left([m[2] for m in MANY.values()])


def check_counts(want):
    pics = {"SG1": "ms-1/0/0", "SG2": "ms-2/0/0"}
    kmd, fwdd = per_pic()
    assert kmd == {(s, pics[s]): n for s, n in want.items()}, (kmd, want)
    assert fwdd == kmd, (fwdd, kmd)
    ike = {}
    for s in OSG.ike_sas():
        ike[s["ike-sa-service-set-name"]] = ike.get(s["ike-sa-service-set-name"], 0) + 1
    assert ike == want, (ike, want)


def test_5_dedicated_pool_exhausted():
    """SG2 goes; dyn-pool becomes dedicated with two units (ms-1/0/0.1 and
    .3): two tunnels take one each, the third peer is refused at QM1 with
    the reason in negotiation-failures; once a unit is free it connects."""
    OSG.commit("delete services service-set SG2", "delete interfaces ms-2/0/0",
               "delete routing-instances vrf-n1 interface ms-2/0/0.1",
               "set interfaces ms-1/0/0 unit 1 dial-options dedicated",
               "set interfaces ms-1/0/0 unit 3 family inet",
               "set interfaces ms-1/0/0 unit 3 service-domain inside",
               "set interfaces ms-1/0/0 unit 3 dial-options ipsec-interface-id dyn-pool",
               "set interfaces ms-1/0/0 unit 3 dial-options dedicated",
               "set routing-instances vrf-n1 interface ms-1/0/0.3")
    for n in (1, 2):
        SSM.initiate(f"d{n}", f"d{n}-lan")
        wait_tunnels(n, f"kmd lists d{n}'s tunnel")
    units = {s["sa-inside-interface"] for s in OSG.ipsec_sas()}
    assert units == {"ms-1/0/0.1", "ms-1/0/0.3"}, units
    routes = OSG.vrf_routes()
    for n in (1, 2):
        t = tunnels_to(MANY[n][0])[0]
        assert routes.get(MANY[n][2]) == ("Static", "1", t["sa-inside-interface"]), routes
    reason = "pool dyn-pool of service set SG1 is exhausted"
    out = SSM.swanctl("--initiate", "--ike", "d3", "--child", "d3-lan", "--timeout", "10",
                      check=False, timeout=40)
    assert "d3-lan" not in out or "failed" in out, out
    wait_for(lambda: reason in kmd_log(), what="kmd refuses d3 at QM1")
    fails = [f for f in OSG.failures(MANY[3][0]) if f["ike-failure-reason"] == reason]
    assert fails, OSG.failures(MANY[3][0])
    f = fails[0]
    assert f["ike-failure-exchange"] == "QM1" and f["ike-failure-service-set-name"] == "SG1", f
    assert f["ike-failure-notify"] == "NO-PROPOSAL-CHOSEN", f
    assert f["ike-failure-remote-identity"] == MANY[3][1], f
    say(f"negotiation-failures {MANY[3][0]}: {f['ike-failure-exchange']} "
        f"{f['ike-failure-notify']}: {f['ike-failure-reason']}")
    assert len(OSG.ipsec_sas()) == 2 and MANY[3][2] not in OSG.vrf_routes()
    SSM.swanctl("--terminate", "--ike", "d3", "--force", "--timeout", "5", check=False)
    since = len(OSG.fwdd_log())  # fwdd logged its refusal of the third unit
    freed = tunnels_to(MANY[1][0])[0]["sa-inside-interface"]
    terminate(SSM, "d1")
    wait_tunnels(1, "d1 gone")
    SSM.initiate("d3", "d3-lan")
    wait_tunnels(2, "kmd lists d3's tunnel")
    assert tunnels_to(MANY[3][0])[0]["sa-inside-interface"] == freed
    peer_pings("many", MANY[3][3])
    for n in (2, 3):
        terminate(SSM, f"d{n}")
    wait_for(lambda: not OSG.ike_sas() and not OSG.ipsec_sas(), what="every tunnel gone")
    OSG.nothing_left([m[2] for m in MANY.values()], since)


def test_6_static_peer_without_access_profile():
    """d5's address becomes the remote-gateway of a static rule term of a
    service set SGS (ms-3/0/0) that has no ike-access-profile, with a
    static route in vrf-n1 to its LAN via ms-3/0/0.1: d5 initiates and is
    bound to SGS (the term's ike-policy key, ipsec-policy ipsec-dyn, proxy
    pair from the term), its tunnel is on the inside unit, show names the
    rule and term, and traffic passes both ways through the static rule."""
    addr, ident, lan, host = MANY[5]
    OSG.commit("set interfaces ms-3/0/0 unit 1 family inet",
               "set interfaces ms-3/0/0 unit 1 service-domain inside",
               "set interfaces ms-3/0/0 unit 2 family inet",
               "set interfaces ms-3/0/0 unit 2 service-domain outside",
               "set routing-instances vrf-n1 interface ms-3/0/0.1",
               f"set routing-instances vrf-n1 routing-options static route {lan} next-hop "
               "ms-3/0/0.1",
               "set services service-set SGS next-hop-service inside-service-interface "
               "ms-3/0/0.1",
               "set services service-set SGS next-hop-service outside-service-interface "
               "ms-3/0/0.2",
               f"set services service-set SGS ipsec-vpn-options local-gateway {GW}",
               "set services service-set SGS ipsec-vpn-rules to-d5",
               f"set services ipsec-vpn ike policy ike-static pre-shared-key ascii-text {PSK}",
               f"set services ipsec-vpn rule to-d5 term t1 from source-address {GW_LAN}",
               f"set services ipsec-vpn rule to-d5 term t1 from destination-address {lan}",
               f"set services ipsec-vpn rule to-d5 term t1 then remote-gateway {addr}",
               "set services ipsec-vpn rule to-d5 term t1 then dynamic ike-policy ike-static",
               "set services ipsec-vpn rule to-d5 term t1 then dynamic ipsec-policy ipsec-dyn",
               "set services ipsec-vpn rule to-d5 match-direction input")
    SSM.initiate("d5", "d5-lan")
    wait_tunnels(1, "kmd lists d5's tunnel")
    t = tunnels_to(addr)[0]
    assert (t["svc-set-name"], t["sa-rule-name"], t["sa-term-name"], t["sa-inside-interface"]) \
        == ("SGS", "to-d5", "t1", "ms-3/0/0.1"), t
    ike = OSG.ike_sas()
    assert [(s["ike-sa-service-set-name"], s["ike-sa-remote-identity"]) for s in ike] == \
        [("SGS", ident)], ike
    assert re.search(rf"MM1 from {addr}:500: service set SGS \(static peer\)", kmd_log())
    assert [(e["svc-set-name"], e["interface-name"]) for e in OSG.esp_tunnels()] == \
        [("SGS", "ms-3/0/0")]
    assert OSG.vrf_routes().get(lan, ("",))[2] == "ms-3/0/0.1"  # the configured route
    peer_pings("many", host)
    terminate(SSM, "d5")
    wait_for(lambda: not OSG.ike_sas() and not OSG.ipsec_sas(), what="d5 gone")
    assert OSG.esp_tunnels() == []


def test_7_daemons_stop_cleanly():
    for d, name in ((OSG.kmd, "kmd"), (OSG.fwdd, "fwdd")):
        rc = d.stop()
        assert rc == 0, f"{name} exited {rc} on SIGTERM:\n" + read(d.log)[-3000:]
    for text in OSG.shown:
        assert PSK not in text


STEPS = [test_1_two_peers_at_once, test_1_unlisted_fqdn_refused,
         test_2_peer_returns_from_new_address, test_3_dpd_answered,
         test_3_dpd_action_when_kmd_stops, test_3_both_leave, test_4_distribution_over_two_pics,
         test_5_dedicated_pool_exhausted, test_6_static_peer_without_access_profile,
         test_7_daemons_stop_cleanly]


def setup():
    global LAB, OSG, SS2, SS3, SSM

    def build(lab):
        lab.appliance_side()
        lab.peer("sg2", "eth1", "198.51.100", [SG2], [SG2_HOST])
        lab.peer("sg3", "eth2", "198.18.3", [SG3_OLD, SG3_NEW], [SG3_HOST])
        lab.peer("many", "eth3", "198.18.4", [m[0] for m in MANY.values()],
                 [m[3] for m in MANY.values()])
    LAB = Lab("osp", ()).build(build)
    dpd = (f"dpd_delay = {DPD_DELAY}s\n    dpd_timeout = {DPD_TIMEOUT}s", "dpd_action = restart")
    SS2 = StrongSwan(LAB, "sg2", swanctl_conf(conn("sg2", SG2, SG2, SG2_LAN, *dpd)), RETRANSMIT)
    SS3 = StrongSwan(LAB, "sg3", swanctl_conf(
        conn("sg3", SG3_OLD, SG3_ID, SG3_LAN), conn("sg3-moved", SG3_NEW, SG3_ID, SG3_LAN),
        conn("stranger", SG3_OLD, "stranger.example.net", SG3_LAN)), RETRANSMIT)
    SSM = StrongSwan(LAB, "many", swanctl_conf(
        *[conn(f"d{n}", a, i, lan) for n, (a, i, lan, _) in MANY.items()]), RETRANSMIT)
    OSG = OpenSG(LAB, appliance_conf()).start()
    for ss in (SS2, SS3, SSM):
        ss.start()
    say("namespaces " + " ".join(LAB.made))


def teardown():
    return cleanup_all(*[lambda s=s: s and s.cleanup() for s in (SS2, SS3, SSM)],
                       lambda: OSG and OSG.cleanup(), lambda: LAB and LAB.down())


def diagnostics():
    print(f"--- kmd.out (end) ---\n{kmd_log()[-6000:]}", flush=True)
    print(f"--- fwdd.out (end) ---\n{OSG.fwdd_log()[-2000:] if OSG else ''}", flush=True)
    for ss in (SS2, SS3, SSM):
        if ss:
            print(f"--- charon.log of {ss.role} (end) ---\n{read(ss.log)[-3000:]}", flush=True)


if __name__ == "__main__":
    sys.exit(main(setup, STEPS, teardown, diagnostics))
