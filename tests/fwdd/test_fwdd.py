#!/usr/bin/env python3
"""fwdd end to end: mgd under a temporary --root, fwdd in its own network
namespace ("appliance") owning four veth ports, four host namespaces
behind them (two in inet.0, two in the VRF vrf1).  Checks: no kernel
address on the ports, ping both ways through the appliance and to its own
addresses, a 2 MB TCP transfer each way with SHA-256, static routes
(inet.0 and VRF), VRF isolation, ICMP time exceeded / unreachable /
fragmentation needed, IPv6 (neighbour discovery, echo, forwarding, ICMPv6
errors, 1 MB of TCP), the service set that drops what matches no rule,
show route / interfaces / arp / chassis hardware through mgd, ping and
traceroute originated by fwdd, a commit that changes the tables, and a
clean exit.  Every wait polls with a deadline."""
import json
import os
import re
import signal
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration"))
sys.path.insert(0, HERE)
from harness import Appliance, configure, exe, run  # noqa: E402
from lab import Host, Lab, wait_for  # noqa: E402
from mgdclient import CANCEL, CHUNK, REPLY, RPC  # noqa: E402

NETTOOL = os.path.join(HERE, "nettool.py")
PY = sys.executable
XFER = 2 << 20

CONFIG = """
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 10.1.1.254/24; }
                        family inet6 { address 2001:db8:1::fe/64; } } }
    ge-0/0/1 { mtu 1414; unit 0 { family inet { address 10.2.2.254/24; }
                                  family inet6 { address 2001:db8:2::fe/64; } } }
    ge-0/0/2 { unit 0 { family inet { address 10.3.3.254/24; } } }
    ge-0/0/3 { unit 0 { family inet { address 10.4.4.254/24; } } }
    ge-0/0/9 { unit 0 { family inet { address 10.99.99.254/24; } } }
    ms-1/0/0 {
        unit 0 { family inet; }
        unit 1 { family inet; service-domain inside; }
        unit 2 { family inet; service-domain outside; }
    }
}
routing-options {
    static {
        route 192.0.2.0/24 next-hop 10.2.2.1;
        route 10.9.9.0/24 next-hop ms-1/0/0.1;
    }
}
services {
    service-set SS1 {
        next-hop-service {
            inside-service-interface ms-1/0/0.1;
            outside-service-interface ms-1/0/0.2;
        }
        ipsec-vpn-options { local-gateway 10.2.2.254; }
    }
}
routing-instances {
    vrf1 {
        instance-type vrf;
        interface ge-0/0/2.0;
        interface ge-0/0/3.0;
        route-distinguisher 65000:1;
        vrf-target target:65000:1;
        routing-options { static { route 198.51.100.0/24 next-hop 10.4.4.1; } }
    }
}
"""

LAB = None
APP = None
FWDD = None


def setup():
    global LAB, APP, FWDD
    LAB = Lab([Host("h1", "ge-0/0/0", "10.1.1.1/24", "10.1.1.254",
                    addr6="2001:db8:1::1/64", gw6="2001:db8:1::fe"),
               Host("h2", "ge-0/0/1", "10.2.2.1/24", "10.2.2.254", ["192.0.2.1/32"],
                    addr6="2001:db8:2::1/64", gw6="2001:db8:2::fe"),
               Host("h3", "ge-0/0/2", "10.3.3.1/24", "10.3.3.254"),
               Host("h4", "ge-0/0/3", "10.4.4.1/24", "10.4.4.254", ["198.51.100.1/32"])]).up()
    APP = Appliance().start_mgd()
    c = APP.client()
    c.configure()
    r = c.edit("load merge terminal", input=CONFIG)
    assert r.output == "load complete\n", r.output
    r = c.edit("commit")
    assert r.output.endswith("commit complete\n"), r.output
    c.exit_config()
    FWDD = APP.start(LAB.exec_argv(None, [exe("fwdd/fwdd"), "--root", APP.root] +
                                   LAB.port_args()), "fwdd")
    wait_for(lambda: routes_ready(c) or not FWDD.alive(), what="fwdd configured")
    assert FWDD.alive(), fwdd_log()


def routes_ready(c):
    r = c.command("show route table inet.0")
    return not r.error and r.find("route-table") is not None


def teardown():
    try:
        if APP:
            APP.cleanup()
    finally:
        if LAB:
            LAB.down()


def fwdd_log():
    try:
        return open(os.path.join(APP.root, "fwdd.out")).read()[-4000:]
    except OSError:
        return ""


def tool(host, *args, timeout=60):
    r = LAB.run(host, PY, NETTOOL, *args, timeout=timeout)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise AssertionError(f"nettool {args}: {r.stdout}")


def ping_ok(host, dst, **kw):
    args = ["ping", dst]
    for k, v in kw.items():
        args += [f"--{k}"] if v is True else [f"--{k}", str(v)]
    res = tool(host, *args)["results"]
    return all(x.get("type") in (0, 129) for x in res), res


def wait_ping(host, dst):
    """The first packets wait for ARP: poll until an answer."""
    return wait_for(lambda: ping_ok(host, dst)[0], timeout=20, what=f"{host} ping {dst}")


# --- the ports ---------------------------------------------------------


def test_ports_have_no_kernel_address():
    for h in LAB.hosts.values():
        out = LAB.run(None, "ip", "addr", "show", "dev", h.appif, check=True).stdout
        assert " inet " not in out and "inet6" not in out, out
        assert ",UP" in out or "<UP" in out or "UP," in out, out


def test_appliance_answers_ping():
    wait_ping("h1", "10.1.1.254")
    ok, res = ping_ok("h1", "10.2.2.254")  # another interface's address
    assert ok, res
    wait_ping("h3", "10.3.3.254")


def test_ping_through_both_ways():
    wait_ping("h1", "10.2.2.1")
    ok, res = ping_ok("h2", "10.1.1.1", count=3)
    assert ok, res
    assert res[0]["ttl"] == 63, res  # one router on the way


def test_tcp_transfer_both_ways():
    for server, client, dst in (("h2", "h1", "10.2.2.1"), ("h1", "h2", "10.1.1.1")):
        srv = LAB.popen(server, PY, NETTOOL, "serve", "5001")
        sent = tool(client, "send", dst, "5001", str(XFER), timeout=120)
        out, _ = srv.communicate(timeout=120)
        got = json.loads(out.strip().splitlines()[-1])
        assert got["bytes"] == XFER and got["sha256"] == sent["sha256"], (got, sent)


def test_static_route():
    ok, res = ping_ok("h1", "192.0.2.1")
    assert ok, res


def test_vrf_isolation_and_static_route():
    wait_ping("h3", "10.4.4.1")  # same VRF
    ok, res = ping_ok("h3", "198.51.100.1")  # VRF static route
    assert ok, res
    ok, res = ping_ok("h3", "10.1.1.1")  # inet.0 host: not routed from vrf1
    assert res[0].get("type") == 3 and res[0]["code"] == 0, res
    assert res[0]["from"] == "10.3.3.254", res
    ok, res = ping_ok("h1", "10.3.3.1")  # and not the other way either
    assert res[0].get("type") == 3, res


def test_icmp_errors():
    ok, res = ping_ok("h1", "10.2.2.1", ttl=1)
    assert res[0].get("type") == 11 and res[0]["from"] == "10.1.1.254", res
    ok, res = ping_ok("h1", "203.0.113.9")  # no route, no default
    assert res[0].get("type") == 3 and res[0]["code"] == 0, res
    r = tool("h1", "udp", "10.2.2.1", "33434", "--ttl", "1")
    assert r.get("type") == 11, r
    r = tool("h1", "udp", "10.1.1.254", "33434")  # to the appliance: port unreachable
    assert r.get("type") == 3 and r["code"] == 3, r
    # ge-0/0/1 has media MTU 1414, IP MTU 1400: a 1450-byte DF packet cannot pass
    ok, res = ping_ok("h1", "10.2.2.1", size=1422, df=True)
    assert res[0].get("type") == 3 and res[0]["code"] == 4 and res[0]["mtu"] == 1400, res
    ok, res = ping_ok("h1", "10.2.2.1", size=1422)  # fragmented, reassembled by h2
    assert ok, res


def test_ipv6():
    """Neighbor discovery, echo, forwarding and ICMPv6 errors."""
    wait_for(lambda: ping_ok("h1", "2001:db8:1::fe")[0], what="h1 ping6 appliance")
    wait_for(lambda: ping_ok("h1", "2001:db8:2::1")[0], what="h1 ping6 h2")
    ok, res = ping_ok("h2", "2001:db8:1::1", count=2)
    assert ok, res
    ok, res = ping_ok("h1", "2001:db8:2::1", ttl=1)
    assert res[0].get("type") == 3 and res[0]["from"] == "2001:db8:1::fe", res
    ok, res = ping_ok("h1", "2001:db8:99::1")
    assert res[0].get("type") == 1 and res[0]["code"] == 0, res
    ok, res = ping_ok("h1", "2001:db8:2::1", size=1400)  # IP MTU 1400 toward h2
    assert res[0].get("type") == 2 and res[0]["mtu"] == 1400, res
    srv = LAB.popen("h2", PY, NETTOOL, "serve", "5002")
    sent = tool("h1", "send", "2001:db8:2::1", "5002", str(1 << 20), timeout=120)
    out, _ = srv.communicate(timeout=120)
    got = json.loads(out.strip().splitlines()[-1])
    assert got["bytes"] == 1 << 20 and got["sha256"] == sent["sha256"], (got, sent)
    r = APP.client().command("show route table inet6.0")
    rts = {rt.findtext("rt-destination"): rt for rt in r.xml.iter("rt")}
    assert rts["2001:db8:1::/64"].findtext("rt-entry/protocol-name") == "Direct", r.raw
    assert rts["2001:db8:1::fe/128"].findtext("rt-entry/nh-type") == "Local", r.raw


def test_service_set_drops_what_matches_no_rule():
    def drops():
        r = APP.client().command("show interfaces ms-1/0/0")
        return int(r.text("input-drops") or 0)

    before = drops()
    r = tool("h1", "udp", "10.9.9.9", "9", "--timeout", "0.5")
    assert r.get("timeout"), r  # dropped silently, never forwarded
    wait_for(lambda: drops() > before, what="service-set drop counted")


# --- operational commands through mgd -----------------------------------


def test_show_route():
    c = APP.client()
    r = c.command("show route table inet.0")
    assert not r.error, r.raw
    tables = r.xml.findall(".//route-table")
    assert [t.findtext("table-name") for t in tables] == ["inet.0"], r.raw
    rts = {rt.findtext("rt-destination"): rt for rt in tables[0].findall("rt")}
    assert rts["10.1.1.0/24"].findtext("rt-entry/protocol-name") == "Direct"
    assert rts["10.1.1.0/24"].findtext("rt-entry/nh/via") == "ge-0/0/0.0"
    assert rts["10.1.1.254/32"].findtext("rt-entry/nh-type") == "Local"
    assert rts["10.1.1.254/32"].findtext("rt-entry/nh/nh-local-interface") == "ge-0/0/0.0"
    st = rts["192.0.2.0/24"].find("rt-entry")
    assert st.findtext("protocol-name") == "Static" and st.findtext("preference") == "5"
    assert st.find("nh/selected-next-hop") is not None
    assert st.findtext("nh/to") == "10.2.2.1" and st.findtext("nh/via") == "ge-0/0/1.0"
    assert rts["10.9.9.0/24"].findtext("rt-entry/nh/via") == "ms-1/0/0.1"
    assert rts["10.1.1.0/24"].findtext("rt-entry/active-tag") == "*"
    age = rts["10.1.1.0/24"].find("rt-entry/age")
    assert re.fullmatch(r"\d\d:\d\d:\d\d", age.text), age.text
    assert int(age.get("{http://xml.juniper.net/junos/*/junos}seconds")) >= 0
    assert "10.3.3.0/24" not in rts and "10.99.99.0/24" not in rts  # VRF; port down
    assert tables[0].findtext("destination-count") == str(len(rts))
    r = c.command("show route table vrf1.inet.0")
    names = [t.findtext("table-name") for t in r.xml.findall(".//route-table")]
    assert names == ["vrf1.inet.0"], r.raw
    dests = [x.text for x in r.xml.iter("rt-destination")]
    assert "10.3.3.0/24" in dests and "198.51.100.0/24" in dests, dests
    r = c.command("show route 10.1.1.77")  # longest match
    assert [x.text for x in r.xml.iter("rt-destination")] == ["10.1.1.0/24"], r.raw
    r = c.command("show route 10.1.1.0/24 exact")
    assert [x.text for x in r.xml.iter("rt-destination")] == ["10.1.1.0/24"], r.raw
    r = c.command("show route")
    names = [t.findtext("table-name") for t in r.xml.findall(".//route-table")]
    assert names == ["inet.0", "vrf1.inet.0", "inet6.0"], names
    r = c.command("show route protocol static table inet.0")
    assert not r.error, r.raw
    protos = {x.text for x in r.xml.iter("protocol-name")}
    dests = [x.text for x in r.xml.iter("rt-destination")]
    assert protos == {"Static"} and "192.0.2.0/24" in dests and "10.1.1.0/24" not in dests, r.raw
    r = c.command("show route protocol bgp")
    assert not r.error and r.xml.find(".//route-table") is None, r.raw
    r = c.command("show route protocol direct 10.1.1.0/24 exact")
    assert [x.text for x in r.xml.iter("protocol-name")] == ["Direct"], r.raw


def test_show_interfaces_terse():
    c = APP.client()
    r = c.command("show interfaces terse")
    assert not r.error, r.raw
    phys = {p.findtext("name"): p for p in r.xml.iter("physical-interface")}
    assert phys["ge-0/0/0"].findtext("oper-status") == "up"
    assert phys["ge-0/0/9"].findtext("oper-status") == "down"  # no --port maps it
    lo = phys["ge-0/0/0"].find("logical-interface")
    assert lo.findtext("name") == "ge-0/0/0.0"
    assert lo.findtext("address-family/address-family-name") == "inet"
    assert lo.findtext("address-family/interface-address/ifa-local") == "10.1.1.254/24"
    assert phys["ms-1/0/0"].findtext("oper-status") == "up"
    r = c.command("show interfaces ge-0/0/0")
    p = r.find("physical-interface")
    assert p.findtext("link-level-type") == "Ethernet" and p.findtext("mtu") == "1514"
    assert re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", p.findtext("current-physical-address"))
    assert int(p.findtext("traffic-statistics/input-packets")) > 0
    ifa = p.find("logical-interface/address-family/interface-address")
    assert ifa.findtext("ifa-local") == "10.1.1.254" and ifa.findtext("ifa-destination") == \
        "10.1.1/24", r.raw


def test_show_arp():
    wait_ping("h1", "10.2.2.1")
    mac = LAB.run("h1", "cat", "/sys/class/net/eth0/address", check=True).stdout.strip()
    r = APP.client().command("show arp")
    ents = {e.findtext("ip-address"): e for e in r.xml.iter("arp-table-entry")}
    assert ents["10.1.1.1"].findtext("mac-address") == mac, r.raw
    assert ents["10.1.1.1"].findtext("interface-name") == "ge-0/0/0.0"
    assert r.text("arp-entry-count") == str(len(ents))


def test_show_chassis_hardware():
    r = APP.client().command("show chassis hardware")
    mods = {m.findtext("name"): m for m in r.xml.iter("chassis-module")}
    assert "FPC 0" in mods and "FPC 1" in mods, r.raw
    pic = mods["FPC 1"].find("chassis-sub-module")
    assert pic.findtext("name") == "PIC 0" and pic.findtext("description") == "MS-MPC-PIC"
    assert pic.findtext("interface-name") == "ms-1/0/0"


def test_ping_and_traceroute_from_the_appliance():
    c = APP.client()
    r = c.command("ping 10.1.1.1 count 2")
    assert not r.error, r.raw
    assert r.chunks[0].startswith("PING 10.1.1.1 (10.1.1.1): 56 data bytes"), r.chunks
    assert sum("bytes from 10.1.1.1: icmp_seq=" in x for x in r.chunks) == 2, r.chunks
    assert r.text("responses-received") == "2" and r.find("ping-success") is not None
    r = c.command("ping 10.4.4.1 routing-instance vrf1 count 1")
    assert r.text("responses-received") == "1", (r.chunks, r.raw)
    r = c.command("ping 10.4.4.1 count 1")  # not in inet.0
    assert r.text("responses-received") == "0", (r.chunks, r.raw)
    assert any("No route to host" in x for x in r.chunks), r.chunks
    r = c.command("ping 10.2.2.254 count 1")  # its own address
    assert r.text("responses-received") == "1", (r.chunks, r.raw)
    r = c.command("traceroute 192.0.2.1")
    assert not r.error, r.raw
    assert r.chunks[0].startswith("traceroute to 192.0.2.1"), r.chunks
    assert re.match(r" 1  192\.0\.2\.1 \(192\.0\.2\.1\)  [0-9.]+ ms", r.chunks[1]), r.chunks
    assert r.find("traceroute-success") is not None, r.raw


def test_ping_cancel():
    """A ping without count runs until mgd cancels it (Ctrl-C in the CLI)."""
    c = APP.client()
    id_ = c.send(RPC, "<rpc><command>ping 10.1.1.1</command></rpc>")
    lines = []
    while len(lines) < 3:  # the PING line and two replies, a second apart
        type_, _, rid, payload = c.recv()
        assert type_ == CHUNK and rid == id_, (type_, payload)
        lines.append(payload)
    c.send(CANCEL, "", id_=id_)
    while True:
        type_, _, rid, _ = c.recv()
        assert rid == id_
        if type_ == REPLY:
            break
    assert "icmp_seq=1" in lines[2], lines
    assert not c.command("show route 10.1.1.1").error  # fwdd still answers


def test_commit_rebuilds_tables():
    c = APP.client()
    r = configure(c, "set routing-options static route 203.0.113.0/24 next-hop 10.1.1.1")
    assert r.output.endswith("commit complete\n"), r.output
    r = c.command("show route 203.0.113.0/24 exact")
    assert r.text("rt-destination") == "203.0.113.0/24", r.raw
    assert r.text("to") == "10.1.1.1", r.raw
    r = configure(c, "delete routing-options static route 203.0.113.0/24")
    r = c.command("show route 203.0.113.0/24 exact")
    assert r.find("rt-destination") is None, r.raw


def test_kmd_socket():
    """fwdd.sock: FWD_HELLO answered, malformed requests refused, bad
    framing closes the connection (the requests themselves: test_ipsec.py)."""
    hdr = struct.Struct("=IHHII")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(os.path.join(APP.root, "fwdd.sock"))

    def request(type_, payload, id_):
        s.sendall(hdr.pack(0x4F534731, type_, 0, id_, len(payload)) + payload)
        h = s.recv(hdr.size, socket.MSG_WAITALL)
        magic, t, _, rid, n = hdr.unpack(h)
        body = s.recv(n, socket.MSG_WAITALL)
        assert (magic, t, rid, n) == (0x4F534731, 120, id_, 132), (magic, t, rid, n)
        return struct.unpack("=I", body[:4])[0], body[4:].split(b"\0")[0].decode()

    assert request(100, struct.pack("=II", 1, os.getpid()), 1) == (0, "")
    assert request(100, struct.pack("=II", 99, 1), 2)[0] == 1  # wrong version
    assert request(100, b"\0", 3)[0] == 1  # short
    assert request(106, bytes(284), 4)[0] == 1  # FWD_ROUTE_ADD of nothing: invalid
    assert request(106, bytes(10), 5)[0] == 1
    s.sendall(b"garbage garbage garbage")
    assert s.recv(1) == b""  # closed
    s.close()


def test_zz_clean_exit():
    rc = FWDD.stop()
    assert rc == 0, f"fwdd exited {rc}:\n{fwdd_log()}"


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("fwdd integration tests need root (network namespaces)")
        sys.exit(1)
    # a test runner's timeout sends SIGTERM: still delete the namespaces
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    setup_ok = False
    rc = 1
    try:
        setup()
        setup_ok = True
        rc = run([v for k, v in sorted(globals().items()) if k.startswith("test_")])
    except Exception:
        import traceback
        traceback.print_exc()
        rc = 1
    finally:
        if not setup_ok or rc:
            print(fwdd_log() if APP else "")
        teardown()
    sys.exit(rc)
