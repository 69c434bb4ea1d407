#!/usr/bin/env python3
"""kmd as a daemon: mgd under a temporary root with docs/examples/sg1.conf
committed, build/kmd/kmd --debug, and ikepeer (tests/ikeinit) standing in
for fwdd with a dynamic peer behind it.  The peer's main and quick modes
complete through the punt path; `show services ipsec-vpn ike|ipsec
security-associations` through mgd list the tunnel; fwdd saw the pool, SA,
rule and route requests in the order DESIGN.md gives; the peer's DELETE and
a commit that removes the service set tear everything down; kmd exits 0 on
SIGTERM (ASan/LSan clean); the pre-shared key is in no file under the root.
Every wait polls with a deadline."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../integration"))
from harness import SRC, Appliance, configure, exe, run  # noqa: E402
from mgdclient import wait_for  # noqa: E402

SG1 = open(os.path.join(SRC, "docs/examples/sg1.conf")).read()
PSK = "opensg-lab-psk"


def peer_log(a):
    try:
        return open(os.path.join(a.root, "peer.log")).read()
    except OSError:
        return ""


def setup(kmd_args=()):
    a = Appliance().start_mgd()
    c = a.client()
    c.configure()
    r = c.edit("load override terminal", input=SG1)
    assert r.output == "load complete\n", r.output
    r = c.edit("commit")
    assert r.output == "commit complete\n", r.output
    c.exit_config()
    a.start([exe("tests/ikeinit/ikepeer"), "--root", a.root, "--psk", PSK, "--log",
             os.path.join(a.root, "peer.log")], "ikepeer")
    wait_for(lambda: "LISTENING" in peer_log(a), what="ikepeer listening")
    kmd = a.start([exe("kmd/kmd"), "--root", a.root, "--debug"] + list(kmd_args), "kmd")
    wait_for(lambda: "ESTABLISHED" in peer_log(a) or not kmd.alive(), timeout=60,
             what="the tunnel")
    assert kmd.alive(), open(kmd.log).read()[-3000:]
    return a, c, kmd


def requests(a):
    return [ln for ln in peer_log(a).splitlines() if not ln.startswith("REQ SEND")]


def index(lines, prefix, start=0):
    for n in range(start, len(lines)):
        if lines[n].startswith(prefix):
            return n
    raise AssertionError(f"no '{prefix}' after line {start}:\n" + "\n".join(lines))


def no_secret_under(root):
    for d, _, files in os.walk(root):
        for f in files:
            path = os.path.join(d, f)
            try:
                data = open(path, "rb").read()
            except OSError:
                continue
            assert PSK.encode() not in data, f"the pre-shared key is in {path}"
            assert PSK.encode().hex().encode() not in data, f"the key (hex) is in {path}"


def stop_kmd(kmd):
    rc = kmd.stop()
    assert rc == 0, f"kmd exited {rc} on SIGTERM:\n" + open(kmd.log).read()[-3000:]


def test_tunnel_show_delete():
    a, c, kmd = setup()
    try:
        r = c.command("show services ipsec-vpn ike security-associations")
        assert not r.error, r.raw
        assert r.text("ike-sa-remote-address") == "198.51.100.7", r.raw
        assert r.text("ike-sa-state") == "matured", r.raw
        r = c.command("show services ipsec-vpn ipsec security-associations detail")
        assert not r.error, r.raw
        assert r.text("svc-set-name") == "SG1", r.raw
        assert r.text("sa-remote-gateway") == "198.51.100.7", r.raw
        assert r.text("sa-inside-interface") == "ms-1/0/0.1", r.raw
        assert PSK not in r.raw

        full = peer_log(a).splitlines()
        lines = requests(a)
        pool = index(lines, "REQ POOL_RESERVE SG1 dyn-pool")
        sa_in = index(lines, "REQ SA_ADD in", pool)
        sa_out = index(lines, "REQ SA_ADD out", sa_in)
        rule = index(lines, "REQ RULE_ADD 10.1.1.0/24 10.2.2.0/24", sa_out)
        index(lines, "REQ ROUTE_ADD vrf-n1 10.2.2.0/24 ms-1/0/0.1 1", rule)
        # QM2 left kmd only after the inbound SA was requested
        qm1_done = index(full, "MAIN MODE DONE")
        first_send = index(full, "REQ SEND", qm1_done)
        assert index(full, "REQ SA_ADD in", qm1_done) < first_send, "\n".join(full)

        open(os.path.join(a.root, "ikepeer.delete"), "w").close()
        wait_for(lambda: "REQ POOL_RELEASE" in peer_log(a), what="teardown")
        lines = requests(a)
        sent = index(lines, "SENT DELETE")
        route = index(lines, "REQ ROUTE_DEL vrf-n1 10.2.2.0/24", sent)
        rule = index(lines, "REQ RULE_DEL", route)
        sa_out = index(lines, "REQ SA_DEL out", rule)
        sa_in = index(lines, "REQ SA_DEL in", sa_out)
        index(lines, "REQ POOL_RELEASE ms-1/0/0.1", sa_in)

        def ike_gone():
            r = c.command("show services ipsec-vpn ike security-associations")
            return r.find("ike-security-associations-block") is None
        wait_for(ike_gone, what="IKE SA deleted")
        log = open(kmd.log).read()
        assert "established" in log and "deleted: the peer sent DELETE" in log, log[-3000:]
        stop_kmd(kmd)
        no_secret_under(a.root)
    finally:
        a.cleanup()


def test_commit_removes_tunnel():
    a, c, kmd = setup()
    try:
        r = configure(c, "delete services service-set SG1")
        assert r.output == "commit complete\n", r.output
        wait_for(lambda: "REQ POOL_RELEASE" in peer_log(a) and "GOT DELETE isakmp" in peer_log(a),
                 what="teardown after the commit")
        assert "GOT DELETE esp" in peer_log(a)
        log = open(kmd.log).read()
        assert "its service set was removed from the configuration" in log, log[-3000:]
        stop_kmd(kmd)
        no_secret_under(a.root)
    finally:
        a.cleanup()


def test_key_log_opt_in():
    a, c, kmd = setup(["--key-log"])
    try:
        path = os.path.join(a.root, "log", "kmd-keys.log")
        wait_for(lambda: os.path.exists(path) and "uat:esp_sa" in open(path).read(),
                 what="key log")
        assert os.stat(path).st_mode & 0o777 == 0o600
        text = open(path).read()
        assert "uat:ikev1_decryption_table:" in text and PSK not in text
        stop_kmd(kmd)
    finally:
        a.cleanup()


if __name__ == "__main__":
    sys.exit(run([test_tunnel_show_delete, test_commit_removes_tunnel, test_key_log_opt_in]))
