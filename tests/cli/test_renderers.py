#!/usr/bin/env python3
"""The CLI's renderers of the replies of fwdd and kmd (docs/cli.md,
"Replies of the daemons"), against a real mgd whose fwdd and kmd are the
test back-end (tests/backend) serving fixture replies.

A fixture set is a directory: fixtures/ and fixtures/alt/ (the replies
that answer the same RPCs differently: terse interfaces, detail SAs, a
ping without answer).  In it, RPC.xml is the reply to RPC (RPC.stream:
lines streamed before it), and every *.txt is a transcript (clitest.py):
exactly what the CLI prints with standard input not a terminal, written
from Junos's layouts (reference/junos.md 4.2-4.6 and docs/cli.md).  Each
command of a transcript is also run with `cli -c` and must print the same
output."""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clitest import Appliance, PROMPT, diff, exe, inputs_of, run_cli  # noqa: E402
from harness import SRC, run  # noqa: E402
from mgdclient import wait_for  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
SETS = [FIXTURES, os.path.join(FIXTURES, "alt")]
NS = '<rpc-reply xmlns:junos="http://xml.juniper.net/junos/*/junos">'


def start(fixtures):
    """mgd, and the back-end as fwdd and kmd serving the fixture set."""
    a = Appliance().start_mgd()
    for name in ("fwdd", "kmd"):
        a.start([exe("tests/backend/backend"), "--root", a.root, "--name", name,
                 "--fixtures", fixtures], "backend-" + name)
    wait_for(lambda: all(os.path.exists(os.path.join(a.root, f"backend-{n}.conf"))
                         for n in ("fwdd", "kmd")), what="fwdd and kmd registered")
    return a


def commands(transcript):
    """(command, output) of each prompt of a transcript, the output
    without the blank line that precedes the next prompt."""
    out, cmd, lines = [], None, []
    for line in transcript.split("\n"):
        m = PROMPT.match(line)
        if m:
            if cmd is not None:
                out.append((cmd, "\n".join(lines[:-1]) + "\n" if lines[:-1] else ""))
            cmd, lines = line[m.end():], []
        elif cmd is not None:
            lines.append(line)
    return [(c, o) for c, o in out if c != "exit"]


def check_set(fixtures):
    texts = sorted(glob.glob(os.path.join(fixtures, "*.txt")))
    assert texts, fixtures
    a = start(fixtures)
    failures = []
    try:
        for path in texts:
            name = os.path.relpath(path, FIXTURES)
            text = open(path).read()
            r = run_cli(a.root, inputs_of(text))
            if (r.stdout, r.stderr, r.returncode) != (text, "", 0):
                failures.append(f"{name} (status {r.returncode}):\n{diff(text, r.stdout)}"
                                f"{r.stderr}")
                continue
            for cmd, want in commands(text):
                r = run_cli(a.root, args=("-c", cmd))
                if (r.stdout, r.returncode) != (want, 0):
                    failures.append(f"{name}: cli -c '{cmd}':\n{diff(want, r.stdout)}{r.stderr}")
                if "display xml" not in cmd and re.search(r"^\s*<", want, re.M):
                    failures.append(f"{name}: '{cmd}' printed XML, not a rendering")
    finally:
        a.cleanup()
    assert not failures, "\n".join(failures)


def test_standard_replies():
    check_set(SETS[0])


def test_alternate_replies():
    check_set(SETS[1])


def daemon_replies():
    """(rpc, reply root) of every command fwdd and kmd answer (schema/op)."""
    found = []
    for owner in ("fwdd", "kmd"):
        text = open(os.path.join(SRC, "schema/op", owner + ".xsd")).read()
        found += re.findall(r"<o:rpc>([^<]+)</o:rpc><o:reply>([^<]+)</o:reply>", text)
    return found


def test_every_daemon_reply_has_a_fixture():
    """Each reply fwdd and kmd give (but the empty replies of clear) is
    served by a fixture whose root is the schema's o:reply, wrapped as
    Junos wraps it, and is rendered by some transcript."""
    replies = daemon_replies()
    assert len(replies) >= 12, replies
    transcripts = "".join(open(p).read() for s in SETS for p in glob.glob(os.path.join(s, "*.txt")))
    for rpc, root in replies:
        if rpc.startswith("clear-"):
            continue
        paths = [os.path.join(s, rpc + ".xml") for s in SETS
                 if os.path.exists(os.path.join(s, rpc + ".xml"))]
        assert paths, f"no fixture for {rpc}"
        for p in paths:
            body = open(p).read()
            assert body.startswith(NS + "\n<" + root + ">") or \
                body.startswith(NS + "\n<" + root + " "), (p, root)
            assert body.rstrip().endswith("</rpc-reply>"), p
    for cmd in ("show route", "show interfaces", "show interfaces terse", "show arp",
                "show chassis hardware", "ping ", "traceroute ",
                "show services service-sets summary", "show services ipsec-vpn ipsec statistics",
                "show services ipsec-vpn ipsec security-associations",
                "show services ipsec-vpn ipsec security-associations detail",
                "show services ipsec-vpn ike security-associations",
                "show services ipsec-vpn ike security-associations detail",
                "show services ipsec-vpn ike statistics"):
        assert "> " + cmd in transcripts, cmd


if __name__ == "__main__":
    sys.exit(run([v for k, v in sorted(globals().items()) if k.startswith("test_")]))
