#!/usr/bin/env python3
"""kmd's trace files through mgd (kmd/trace.c): the daemon of
test_kmd_daemon.py (mgd, build/kmd/kmd, ikepeer) writes its events to
ROOT/log/kmd (mode 0600) and `show log kmd` shows them; a commit of
`services ipsec-vpn traceoptions` moves the trace to the file it names
(with kmd's detail lines under flag all) and `show log NAME` shows it;
`show services ipsec-vpn ike negotiation-failures` and `ike statistics`
answer through mgd; the CLI prints nothing for the clear commands; the pre-shared key is in no file under the root."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../integration"))
from harness import configure, exe, run  # noqa: E402
from mgdclient import wait_for  # noqa: E402
from test_kmd_daemon import no_secret_under, setup, stop_kmd  # noqa: E402


def read(path):
    try:
        return open(path).read()
    except OSError:
        return ""


def test_trace_files():
    a, c, kmd = setup()
    try:
        default = os.path.join(a.root, "log", "kmd")
        wait_for(lambda: "established in service set SG1" in read(default), what="ROOT/log/kmd")
        assert os.stat(default).st_mode & 0o777 == 0o600
        r = c.command("show log kmd")
        assert not r.error, r.raw
        assert "established in service set SG1" in r.raw, r.raw[-2000:]

        r = configure(c, "set services ipsec-vpn traceoptions file kmd-trace size 100k files 2",
                      "set services ipsec-vpn traceoptions flag all")
        assert r.output == "commit complete\n", r.output
        trace = os.path.join(a.root, "log", "kmd-trace")
        wait_for(lambda: os.path.exists(trace), what="the traceoptions file")
        r = c.command("clear services ipsec-vpn ike security-associations")
        assert not r.error, r.raw
        # the CLI prints nothing for a clear, as Junos (no reply element)
        for what in ("ike security-associations 192.0.2.99", "ipsec security-associations"):
            out = subprocess.run([exe("cli/cli"), "--root", a.root, "-c",
                                  "clear services ipsec-vpn " + what], capture_output=True,
                                 text=True, timeout=30)
            assert out.returncode == 0 and out.stdout == "" and out.stderr == "", out
        wait_for(lambda: "cleared by the operator" in read(trace), what="a line in kmd-trace")
        assert os.stat(trace).st_mode & 0o777 == 0o600
        r = c.command("show log kmd-trace")
        assert not r.error, r.raw
        assert "deleted: cleared by the operator" in r.raw, r.raw[-2000:]
        assert "cleared by the operator" not in read(default)

        r = c.command("show services ipsec-vpn ike negotiation-failures")
        assert not r.error, r.raw
        assert r.find("ike-negotiation-failures-information") is not None, r.raw
        # (ikepeer's first MM1 may have come before kmd had its configuration)
        shown = len(r.xml.findall(".//ike-negotiation-failure"))
        assert r.text("ike-failures-shown") == str(shown), r.raw
        r = c.command("show services ipsec-vpn ike statistics")
        assert not r.error, r.raw
        assert r.text("ike-global-ike-sas-deleted") == "1", r.raw
        stop_kmd(kmd)
        no_secret_under(a.root)
    finally:
        a.cleanup()


if __name__ == "__main__":
    sys.exit(run([test_trace_files]))
