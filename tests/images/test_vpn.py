#!/usr/bin/env python3
"""The appliance image (images/, docs/image.md) as a VPN gateway, under
qemu (TCG), configured only through its serial console, against a real
strongSwan peer (docs/interop.md's peer and topology):

  lan 10.1.1.1/24 -- ge0 )br0( tge0 == ge-0/0/0 10.1.1.254/24    appliance
                                   ge-0/0/1 203.0.113.1/24 == tge1 )br1( ge1 --
  isp: router 203.0.113.254/24 | 198.51.100.254/24 -- sg2: charon 198.51.100.7/24,
                                                       10.2.2.1/32 on lo
  (tfxp 10.0.2.1/24 == fxp0 10.0.2.15/24)

The namespace "app" holds qemu's taps (tfxp, tge0, tge1) and bridges each
ge tap to a veth towards its neighbour; nothing routes 10.1.1.0/24 and
10.2.2.0/24 to each other except the tunnel.  charon runs kernel-libipsec
(the host kernel has no ESP), so NAT-T is forced: IKE floats to UDP 4500
and ESP travels in UDP 4500 (fwdd's ESP is its own, in user space).

1. the image (images/imagebuild.build(): built once, shared with the
   `image` test through its input hash and lock);
2. boot the qcow2 image (overlay) with a blank configuration disk; root
   logs in on the console;
3. `configure`, `load override terminal` with docs/examples/sg1.conf
   typed on the console, fxp0's address, `commit`;
4. no path between the LANs before the tunnel (fwdd answers the LAN host
   with network unreachable);
5. charon initiates (IKEv1 main mode, PSK, PFS group14): established,
   NAT-T;
6. ping both ways; 1 MiB of TCP each way, SHA-256 compared;
7. on the console: `show services ipsec-vpn ipsec security-associations`
   lists the tunnel with the peer's address and charon's SPIs (inbound
   = charon's outbound), `... ike security-associations` the IKE SA,
   `... ipsec statistics` more than 1 MiB each way;
8. `request system power-off` with the tunnel up: kmd's DELETE reaches
   charon, qemu exits 0;
9. the pre-shared key never appeared on the console.

Prints `N passed, M failed`; every wait has a deadline; namespaces, qemu
and charon are removed whatever happens (SIGTERM included).  Root;
qemu-system-x86, strongswan-charon, strongswan-swanctl,
libcharon-extra-plugins (tests/deps.txt).
"""
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, os.path.join(SRC, "images"))
sys.path.insert(0, os.path.join(SRC, "tests", "interop"))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
import imagetest  # noqa: E402
from appliance import Appliance  # noqa: E402
from mgdclient import wait_for  # noqa: E402
from osglab import (GW, LAN_HOST, PEER, PEER_HOST, PSK, StrongSwan, cannot_run,  # noqa: E402
                    isp_lab, ping, read, sg2_swanctl, sh, tcp)

GW_LAN_ADDR = "10.1.1.254"
HOST_FXP, GUEST_FXP = "10.0.2.1", "10.0.2.15"
XFER = 1 << 20

S = {}  # state shared by the steps: manifest, lab, charon, appliance, SPIs


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def peer_ping():
    return ping(S["lab"], "sg2", LAN_HOST, source=PEER_HOST)


def lan_ping(count=1):
    return ping(S["lab"], "lan", PEER_HOST, count=count)


# ---------------------------------------------------------------- steps


def test_image():
    S["m"] = imagetest.build()


def test_boot_and_login():
    cfg = S["cfg"] = imagetest.blank_config(S["work"])
    ns = S["lab"].ns["app"]
    a = S["app"] = Appliance(S["m"], boot="disk", disk="qcow2", config=cfg, name="vpn", rng=True,
                             nics=[("tap", ns, "tfxp"), ("tap", ns, "tge0"), ("tap", ns, "tge1")])
    a.start()
    t_login, _ = a.login("root", timeout=150)
    check(not a.problems(), "boot problems on the console:\n" + "\n".join(a.problems()))
    out = a.cli("show interfaces terse")
    for port in ("ge-0/0/0", "ge-0/0/1"):
        check(re.search(rf"^{port}\s", out, re.M), f"no {port}:\n{out}")
    print(f"     login prompt {t_login:.1f} s after qemu started", flush=True)


def test_configure_sg1_on_the_console():
    a = S["app"]
    out = a.cli("configure")
    check("Entering configuration mode" in out, out)
    out = a.load(read(os.path.join(SRC, "docs/examples/sg1.conf")))
    check(re.search(r"^load complete$", out, re.M), f"load override terminal:\n{out}")
    print("     load override terminal (docs/examples/sg1.conf): "
          + " / ".join(ln for ln in out.splitlines() if ln.strip()),
          flush=True)
    line = f"set interfaces fxp0 unit 0 family inet address {GUEST_FXP}/24"
    out = a.cli(line)
    check("error" not in out, f"{line}:\n{out}")
    out = a.cli("commit", timeout=90)
    check("commit complete" in out, f"commit:\n{out}")
    a.cli("exit")
    check(a.prompt == "root@sg1> ", f"prompt after the commit: {a.prompt!r}")


def test_no_path_before_the_tunnel():
    # fwdd applied the commit: the LAN host's probe to the peer's LAN gets
    # network unreachable from ge-0/0/0 (no route in vrf-n1 yet)
    wait_for(lambda: lan_ping()[1][0].get("from") == GW_LAN_ADDR, timeout=60,
               what="fwdd answering the LAN host")
    ok, res = lan_ping()
    check(not ok and res[0].get("type") == 3, res)
    ok, res = peer_ping()
    check(not ok, res)


def test_tunnel_up():
    ss = S["ss"]
    out = ss.swanctl("--initiate", "--ike", "sg2", "--child", "lan", "--timeout", "90",
                     timeout=120)
    check("CHILD_SA lan{" in out and "established" in out, out)
    sas = ss.swanctl("--list-sas", "--ike", "sg2")
    print("     " + "\n     ".join(sas.strip().splitlines()), flush=True)
    check("ESTABLISHED, IKEv1" in sas, sas)
    check(f"{GW}[4500]" in sas and f"{PEER}[4500]" in sas, "IKE did not float to 4500:\n" + sas)
    check("INSTALLED, TUNNEL-in-UDP" in sas, "no UDP-encapsulated tunnel:\n" + sas)
    m = re.search(r"in  ([0-9a-f]{8}),.*\n\s*out ([0-9a-f]{8}),", sas)
    check(m, sas)
    S["spi"] = {"peer_in": int(m.group(1), 16), "peer_out": int(m.group(2), 16)}


def test_ping_both_ways():
    wait_for(lambda: peer_ping()[0], timeout=30, what="peer LAN -> LAN host ping")
    ok, res = lan_ping(count=3)
    check(ok and all(x["from"] == PEER_HOST for x in res), res)


def test_tcp_1mb_both_ways():
    lab = S["lab"]
    for srv, bind, cli, dst, src, peer in (("lan", LAN_HOST, "sg2", LAN_HOST, PEER_HOST,
                                            PEER_HOST),
                                           ("sg2", PEER_HOST, "lan", PEER_HOST, None, LAN_HOST)):
        t0 = time.monotonic()
        got = tcp(lab, srv, bind, cli, dst, XFER, source=src, timeout=120)
        check(got["peer"] == peer, got)
        print(f"     {peer} -> {dst}: {got['bytes']} bytes, SHA-256 equal "
              f"({time.monotonic() - t0:.1f} s)", flush=True)


def test_show_sas_on_the_console():
    a, spi = S["app"], S["spi"]
    out = a.cli("show services ipsec-vpn ipsec security-associations")
    print("     " + "\n     ".join(out.splitlines()), flush=True)
    check(re.search(r"^Service set: SG1\b", out, re.M), out)
    check(re.search(rf"Local gateway: {re.escape(GW)}, Remote gateway: {re.escape(PEER)}$", out,
                    re.M), f"no tunnel with {PEER}:\n{out}")
    check(re.search(r"IPSec inside interface: ms-1/0/0\.1$", out, re.M), out)
    got = {d: int(n) for d, n in re.findall(r"^\s+(inbound|outbound)\s+(\d+)\s", out, re.M)}
    # the appliance's inbound SA is charon's outbound one, and the reverse
    check(got == {"inbound": spi["peer_out"], "outbound": spi["peer_in"]},
          f"SPIs on the console {got}, charon in {spi['peer_in']:08x} out "
          f"{spi['peer_out']:08x}:\n{out}")
    out = a.cli("show services ipsec-vpn ike security-associations")
    check(re.search(rf"^{re.escape(PEER)}\s+Matured\s+[0-9a-f]{{16}}\s+[0-9a-f]{{16}}\s+Main",
                    out, re.M), f"IKE SA:\n{out}")
    out = a.cli("show services ipsec-vpn ipsec statistics")
    for what in ("Encrypted bytes", "Decrypted bytes"):
        m = re.search(rf"^\s+{what}:\s+(\d+)$", out, re.M)
        check(m and int(m.group(1)) > XFER, f"{what}:\n{out}")


def test_power_off_deletes_the_tunnel():
    a, ss = S["app"], S["ss"]
    mark = len(a.clean)
    a.cli("request system power-off", confirm="yes", prompt=False)
    check(a.wait_exit(90) == 0, "qemu exit status")
    check(re.search(r"opensg: stopped kmd fwdd", a.clean[mark:]),
          f"the daemons were not stopped:{a.tail()}")
    # kmd sent its DELETEs before fwdd stopped
    wait_for(lambda: "sg2:" not in ss.swanctl("--list-sas"), timeout=30,
               what="charon removing the tunnel on the appliance's DELETE")


def test_key_not_on_the_console():
    text = S["app"].clean
    for n in (PSK, PSK.encode().hex(), PSK.encode().hex().upper()):
        check(n not in text, "the pre-shared key is on the console")


STEPS = [test_image, test_boot_and_login, test_configure_sg1_on_the_console,
         test_no_path_before_the_tunnel, test_tunnel_up, test_ping_both_ways,
         test_tcp_1mb_both_ways, test_show_sas_on_the_console,
         test_power_off_deletes_the_tunnel, test_key_not_on_the_console]
NEEDED = STEPS[:5]  # a failure there stops the run


def setup():
    t0 = time.monotonic()
    lab = S["lab"] = isp_lab("osq")
    # qemu's taps in "app": fxp0 on its own, the ge ports bridged to the veths
    lab.ip("app", "tuntap", "add", "dev", "tfxp", "mode", "tap")
    lab.addr("app", "tfxp", f"{HOST_FXP}/24")
    for br, veth, tap in (("br0", "ge0", "tge0"), ("br1", "ge1", "tge1")):
        lab.ip("app", "link", "add", br, "type", "bridge")
        lab.ip("app", "tuntap", "add", "dev", tap, "mode", "tap")
        for dev in (veth, tap):
            lab.ip("app", "link", "set", dev, "master", br, "up")
        lab.ip("app", "link", "set", br, "up")
    S["ss"] = StrongSwan(lab, "sg2", sg2_swanctl())
    S["ss"].start()
    print(f"setup ({time.monotonic() - t0:.1f} s): namespaces {' '.join(lab.made)}", flush=True)


def diagnostics():
    """The daemons' logs from the configuration disk, charon's log."""
    if "cfg" in S:
        for name in ("kmd", "fwdd", "mgd"):
            r = sh("debugfs", "-R", f"cat /log/{name}.log", S["cfg"], check=False)
            print(f"--- {name}.log (end) ---\n{r.stdout[-3000:]}", flush=True)
    if "ss" in S:
        print(f"--- charon.log (end) ---\n{read(S['ss'].log)[-4000:]}", flush=True)


def teardown(failed):
    if failed:
        diagnostics()
    if "ss" in S:
        S.pop("ss").cleanup()
    if "lab" in S:
        S.pop("lab").down()


def main():
    why = cannot_run("the VPN image test")
    if why:
        print(why)
        return 1
    return imagetest.main(S, STEPS, NEEDED, "vpn", setup=setup, teardown=teardown)


if __name__ == "__main__":
    sys.exit(main())
