#!/usr/bin/env python3
"""An AMS bundle end to end: appliance A's service set SS1 lives on ams0,
whose members are mams-1/0/0 and mams-2/0/0; each member PIC runs on its
own worker thread in fwdd.  tests/fwdd/fwdipc.py stands in for kmd and
installs four tunnels (shared pool unit ams0.1, SAs, rule, reverse route)
to appliance B, which holds the mirror SAs as four manual terms; LAN host
b1 answers on one address per tunnel.  The two appliances and the
namespaces are test_ipsec.py's (its setup() and helpers).

- Steering: fwdd gives each new tunnel to the member owning the fewest
  tunnels (docs/fwdd.md), so tunnels 20 and 22 belong to mams-1/0/0 and
  21 and 23 to mams-2/0/0.  Pings from a1 through every tunnel come back
  (encrypted on A by the owner's worker, decrypted by it too), and
  `show services ipsec-vpn ipsec statistics` lists each member's tunnels
  in its own block with their packet counts.
- `show services service-sets summary`, as the CLI prints it, against the
  expected text with the measured figures (bytes, CPU) masked: one row per
  PIC, each member serving the bundle's one service set.  In XML the
  bytes grow with the tunnels a member owns, and each member's worker has
  used CPU time (the OpenSG element service-set-cpu-time, nanoseconds of
  CLOCK_THREAD_CPUTIME_ID).
Every wait polls with a deadline."""
import os
import re
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_ipsec as T  # noqa: E402
import fwdipc as K  # noqa: E402
from harness import exe, run  # noqa: E402
from lab import wait_for  # noqa: E402

NTUN = 4

AMS_CONFIG = """interfaces {
    ge-0/0/0 { unit 0 { family inet { address 203.0.113.254/24; } } }
    ge-0/0/1 { unit 0 { family inet { address 198.18.0.1/24; } } }
    mams-1/0/0 { unit 0 { family inet; } }
    mams-2/0/0 { unit 0 { family inet; } }
    ams0 {
        load-balancing-options { member-interface mams-1/0/0; member-interface mams-2/0/0; }
        unit 0 { family inet; }
        unit 1 {
            family inet;
            service-domain inside;
            dial-options { ipsec-interface-id dyn-pool; shared; }
        }
        unit 2 { family inet; service-domain outside; }
    }
}
""" + T.DYN_ACCESS + """
services {
    service-set SS1 {
        next-hop-service { inside-service-interface ams0.1; outside-service-interface ams0.2; }
        ipsec-vpn-options { local-gateway 198.18.0.1; ike-access-profile dyn-peers; }
    }""" + T.DYN_VPN + """}
"""


def keys(i):
    return bytes([0x10 + i] * 16), bytes([0x40 + i] * 20)


def b_config():
    """B: one manual term per tunnel, from its /28 of b1's addresses."""
    terms = ""
    for i in range(NTUN):
        ek, ak = keys(i)
        sa_in = (0xA100 + i, "aes-128-cbc", ek, "hmac-sha1-96", ak)   # A's outbound
        sa_out = (0xB100 + i, "aes-128-cbc", ek, "hmac-sha1-96", ak)  # A's inbound
        terms += f"""
            term T{i} {{
                from {{ source-address 198.51.100.{16 * i}/28; destination-address 203.0.113.0/24; }}
                then {{
                    remote-gateway 198.18.0.1;
                    manual {{ {T.manual_dir("inbound", *sa_in)} {T.manual_dir("outbound", *sa_out)} }}
                }}
            }}"""
    return T.INTERFACES % ("198.51.100.254/24", "198.18.0.2/24", "") + f"""
routing-options {{ static {{ route 203.0.113.0/24 next-hop ms-1/0/0.1; }} }}
services {{
    service-set SS1 {{
        next-hop-service {{
            inside-service-interface ms-1/0/0.1;
            outside-service-interface ms-1/0/0.2;
        }}
        ipsec-vpn-options {{ local-gateway 198.18.0.2; }}
        ipsec-vpn-rules R1;
    }}
    ipsec-vpn {{ rule R1 {{ {terms} match-direction input; }} }}
}}
"""


def install(k, i):
    tunnel = 20 + i
    st, msg, data = k.request(K.POOL_RESERVE, K.pool("SS1", "dyn-pool", tunnel))
    assert st == K.OK, msg
    unit = K.cstr(K.POOL.unpack(data)[2])
    assert unit == "ams0.1", unit
    ek, ak = keys(i)
    remote = f"198.51.100.{16 * i}/28"
    for d, spi in ((K.DIR_IN, 0xB100 + i), (K.DIR_OUT, 0xA100 + i)):
        st, msg, _ = k.request(K.SA_ADD, K.sa("SS1", unit, tunnel, spi, d, "aes-128-cbc", ek,
                                              "hmac-sha1-96", ak, "198.18.0.1", "198.18.0.2",
                                              "203.0.113.0/24", remote))
        assert st == K.OK, msg
    st, msg, _ = k.request(K.RULE_ADD, K.rule("SS1", unit, tunnel, "203.0.113.0/24", remote))
    assert st == K.OK, msg
    st, msg, _ = k.request(K.ROUTE_ADD, K.route("", unit, remote, tunnel))
    assert st == K.OK, msg


def blocks():
    """{PIC: {tunnel index: (encrypted, decrypted packets)}} of SS1."""
    r = T.show("a", "show services ipsec-vpn ipsec statistics")
    out = {}
    for b in r.xml.iter("ipsec-statistics-block"):
        assert b.findtext("svc-set-name") == "SS1"
        pic = out.setdefault(b.findtext("interface-name"), {})
        for t in b.iter("ipsec-tunnel-statistics"):
            pic[int(t.findtext("sa-tunnel-index"))] = (
                int(t.findtext("esp-statistics/esp-encrypted-packets")),
                int(t.findtext("esp-statistics/esp-decrypted-packets")))
    return out


def summary_xml():
    r = T.show("a", "show services service-sets summary")
    return {e.findtext("interface-name"): e.find("service-set-service-type-entry")
            for e in r.xml.iter("service-set-summary-information-entry")}


SUMMARY_EXPECTED = """\
             Service sets                                                 CPU
Interface    configured      Bytes used         Policy bytes used        utilization
mams-1/0/0        1                   N (N.NN%)          N (N.NN%)       N.NN %
mams-2/0/0        1                   N (N.NN%)          N (N.NN%)       N.NN %
"""


def mask(text):
    """The measured figures of the summary as N, keeping the columns' widths."""
    def row(m):
        line = m.group(0)
        line = re.sub(r"(?<= )\d+(?= \()", lambda x: " " * (len(x.group(0)) - 1) + "N", line)
        line = re.sub(r"\( ?\d+\.\d\d%\)", "(N.NN%)", line)
        return re.sub(r"\d+\.\d\d %$", lambda x: " " * (len(x.group(0)) - 6) + "N.NN %", line)
    return re.sub(r"(?m)^(ms|mams)-\S+ .*$", row, text)


def test_ams_bundle_steers_tunnels_to_members():
    T.commit("a", AMS_CONFIG)
    T.commit("b", b_config())
    for i in range(1, NTUN):
        T.TOPO.run(T.NS["b1"], "ip", "addr", "add", f"198.51.100.{16 * i + 1}/24", "dev", "eth0",
                   check=True)
    before = summary_xml()
    assert set(before) == {"mams-1/0/0", "mams-2/0/0"}, before
    k = K.Kmd(T.APPS["a"].root)
    try:
        assert k.hello()[0] == K.OK
        for i in range(NTUN):
            install(k, i)
        for i in range(NTUN):
            dst = f"198.51.100.{16 * i + 1}"
            wait_for(lambda: T.ping_ok("a1", dst)[0], timeout=20, what=f"a1 ping {dst}")
            ok, res = T.ping_ok("a1", dst, count=3)
            assert ok, res
        got = blocks()
        assert set(got) == {"mams-1/0/0", "mams-2/0/0"}, got
        assert set(got["mams-1/0/0"]) == {20, 22}, got
        assert set(got["mams-2/0/0"]) == {21, 23}, got
        for pic, tun in got.items():
            for idx, (enc, dec) in tun.items():
                assert enc >= 4 and dec >= 4, (pic, idx, enc, dec)
        # the summary as the CLI prints it, measured figures masked
        cli = subprocess.run([exe("cli/cli"), "--root", T.APPS["a"].root, "-c",
                              "show services service-sets summary"], stdout=subprocess.PIPE,
                             text=True, timeout=30)
        assert cli.returncode == 0, cli.stdout
        assert mask(cli.stdout) == SUMMARY_EXPECTED, cli.stdout
        after = summary_xml()
        for pic in ("mams-1/0/0", "mams-2/0/0"):
            e0, e1 = before[pic], after[pic]
            assert e1.findtext("service-sets-configured") == "1"
            assert int(e1.findtext("service-set-bytes-used")) > int(
                e0.findtext("service-set-bytes-used")), pic
            assert int(e1.findtext("service-set-cpu-time")) > 0, pic
            assert re.fullmatch(r"\d+\.\d\d %", e1.findtext("service-set-cpu-utilization"))
    finally:
        k.close()
    wait_for(lambda: blocks() == {}, what="kmd's tunnels flushed")


def test_zz_clean_exit():
    T.test_zz_clean_exit()


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("the AMS integration test needs root (network namespaces)")
        sys.exit(1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    rc = 1
    try:
        T.setup()
        rc = run([v for k_, v in sorted(globals().items()) if k_.startswith("test_")])
    except Exception:
        import traceback
        traceback.print_exc()
    finally:
        if rc:
            print(T.logs())
        T.teardown()
    sys.exit(rc)
