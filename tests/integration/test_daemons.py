#!/usr/bin/env python3
"""mgd and its daemons, with the test back-end standing in for kmd and
fwdd: views by schema ownership, the full view on connect, the diff at
each commit, two-phase refusal (nothing applied anywhere), forwarded
operational requests with streaming and cancel, a daemon that is not
running, and the resynchronization after a crash between apply and
persist."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import SRC, Appliance, configure, exe, run  # noqa: E402
from mgdclient import CANCEL, CHUNK, REPLY, RPC, wait_for  # noqa: E402

SG1 = open(os.path.join(SRC, "docs/examples/sg1.conf")).read()


def view(a, name):
    try:
        return open(os.path.join(a.root, f"backend-{name}.conf")).read()
    except OSError:
        return None


def start_backends(a, fixtures=None):
    for name in ("fwdd", "kmd"):
        argv = [exe("tests/backend/backend"), "--root", a.root, "--name", name,
                "--log", os.path.join(a.root, f"backend-{name}.log")]
        if fixtures:
            argv += ["--fixtures", fixtures]
        a.start(argv, "backend-" + name)
    wait_for(lambda: view(a, "fwdd") is not None and view(a, "kmd") is not None,
             what="full views on connect")


def sg1_appliance():
    a = Appliance().start_mgd()
    c = a.client()
    c.configure()
    r = c.edit("load override terminal", input=SG1)
    assert r.output == "load complete\n", r.output
    r = c.edit("commit")
    assert r.output == "commit complete\n", r.output
    c.exit_config()
    return a, c


def test_views_follow_ownership():
    a, c = sg1_appliance()
    try:
        start_backends(a)
        fwdd, kmd = view(a, "fwdd"), view(a, "kmd")
        # fwdd owns interfaces, routing, service sets; not access or IKE
        assert "ge-0/0/0 {" in fwdd and "route 0.0.0.0/0" in fwdd and "service-set SG1" in fwdd
        assert "access {" not in fwdd and "ike {" not in fwdd and "system {" not in fwdd, fwdd
        # kmd owns access and ipsec-vpn ike/ipsec, reads interfaces and service sets
        assert "profile dyn-peers" in kmd and "proposal ike-aes128-sha1-g14" in kmd
        assert "ms-1/0/0 {" in kmd and "service-set SG1" in kmd, kmd
        assert "routing-options" not in kmd, kmd
    finally:
        a.cleanup()


def test_commit_sends_diffs():
    a, c = sg1_appliance()
    try:
        start_backends(a)
        before_kmd = view(a, "kmd")
        r = configure(c, "set interfaces ge-0/0/0 description lan-side",
                      "delete routing-options static route 0.0.0.0/0")
        assert r.output == "commit complete\n", r.output
        wait_for(lambda: 'description lan-side;' in view(a, "fwdd"), what="fwdd applied")
        assert "route 0.0.0.0/0" not in view(a, "fwdd")
        # kmd reads interfaces: it gets the change too
        assert 'description lan-side;' in view(a, "kmd")
        assert view(a, "kmd") != before_kmd
        # a change nobody else owns reaches nobody
        log = open(os.path.join(a.root, "backend-kmd.log")).read()
        configure(c, "set system host-name sg1-new")
        assert open(os.path.join(a.root, "backend-kmd.log")).read() == log
    finally:
        a.cleanup()


def test_refusal_applies_nothing():
    a, c = sg1_appliance()
    try:
        start_backends(a)
        fwdd, kmd = view(a, "fwdd"), view(a, "kmd")
        with open(os.path.join(a.root, "refuse-prepare"), "w") as f:
            f.write("out of service-set memory on ms-1/0/0\n")
        c.configure()
        c.edit("set interfaces ge-0/0/0 description refused")
        r = c.edit("commit")
        assert r.error, r.output
        assert "out of service-set memory on ms-1/0/0" in r.output, r.output
        assert r.output.endswith("error: configuration check-out failed\n"), r.output
        assert view(a, "fwdd") == fwdd and view(a, "kmd") == kmd
        assert "refused" not in c.command("show configuration interfaces").text(
            "configuration-text")
        for name in ("fwdd", "kmd"):
            log = open(os.path.join(a.root, f"backend-{name}.log")).read()
            assert log.strip().splitlines()[-1] in ("abort", "prepare refused: out of service-set "
                                                    "memory on ms-1/0/0"), log
        os.unlink(os.path.join(a.root, "refuse-prepare"))
        r = c.edit("commit")
        assert r.output == "commit complete\n", r.output
        wait_for(lambda: "description refused;" in view(a, "fwdd"), what="apply after refusal")
    finally:
        a.cleanup()


def test_forwarded_requests_and_streams():
    fixtures = os.path.join(SRC, "tests/integration/fixtures")
    a, c = sg1_appliance()
    try:
        r = c.command("show route")
        assert r.error and "error: the fwdd subsystem is not running" in r.output, r.raw
        start_backends(a, fixtures)
        r = c.command("show route table vrf-n1.inet.0")
        assert not r.error and r.find("route-information") is not None, r.raw
        assert r.text("table-name") == "vrf-n1.inet.0", r.raw
        r = c.command("show services ipsec-vpn ike security-associations")
        assert r.find("ike-security-associations-information") is not None, r.raw
        r = c.command("ping 10.1.1.1 count 3")
        assert len(r.chunks) == 3 and r.find("ping-results") is not None, r
        # cancel a stream: the chunks stop and the request ends
        id_ = c.send(RPC, "<rpc><command>ping 10.1.1.1 count 5</command></rpc>")
        type_, _, rid, _ = c.recv()
        assert type_ == CHUNK and rid == id_
        c.send(CANCEL, "", id_=id_)
        while True:  # chunks already on their way, then the end of the request
            type_, _, rid, _ = c.recv()
            assert rid == id_
            if type_ == REPLY:
                break
        wait_for(lambda: "cancel" in open(os.path.join(a.root, "backend-fwdd.log")).read(),
                 what="cancel reaches the daemon")
        # the connection still serves
        c2 = a.client()
        assert not c2.command("show version").error
        assert not c.command("show version").error
    finally:
        a.cleanup()


def test_daemon_restart_gets_full_view():
    a, c = sg1_appliance()
    try:
        start_backends(a)
        fwdd = a.others[0]
        fwdd.stop()
        os.unlink(os.path.join(a.root, "backend-fwdd.conf"))
        configure(c, "set interfaces ge-0/0/0 description while-away")
        a.start([exe("tests/backend/backend"), "--root", a.root, "--name", "fwdd"],
                "backend-fwdd2")
        wait_for(lambda: view(a, "fwdd") and "while-away" in view(a, "fwdd"),
                 what="full view after reconnect")
    finally:
        a.cleanup()


def test_crash_between_apply_and_persist_resyncs():
    a, c = sg1_appliance()
    try:
        c.close()
        a.mgd.stop()
        a.start_mgd(env={"OPENSG_CRASH_AT": "between-apply-persist"})
        start_backends(a)
        c = a.client()
        c.configure()
        c.edit("set interfaces ge-0/0/0 description applied-not-persisted")
        try:
            c.edit("commit")
            raise AssertionError("commit answered")
        except (ConnectionError, OSError):
            pass
        assert a.mgd.wait_exit() == 99
        # the daemons applied the new configuration...
        assert "applied-not-persisted" in view(a, "fwdd")
        a.start_mgd()
        # ...and are brought back to what is durable when mgd returns
        wait_for(lambda: "applied-not-persisted" not in view(a, "fwdd"), what="resync")
        c = a.client()
        assert "applied-not-persisted" not in c.command("show configuration").text(
            "configuration-text")
        assert not os.path.exists(os.path.join(a.root, "db", "journal"))
    finally:
        a.cleanup()


if __name__ == "__main__":
    sys.exit(run([v for k, v in sorted(globals().items()) if k.startswith("test_")]))
