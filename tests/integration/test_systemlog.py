#!/usr/bin/env python3
"""mgd's system log (mgd/systemlog.h, docs/mgd.md "System log"): the
factory default's files `messages` (any notice) and
`interactive-commands` exist from the start; a commit is logged as
UI_COMMIT and UI_COMMIT_COMPLETED, configuration mode as
UI_DBASE_LOGIN_EVENT / LOGOUT, every line typed in the CLI as
UI_CMDLINE_READ_LINE with a secret value replaced; a daemon's warning
(the test back-end refusing a commit) reaches `messages` under its name
and pid; a file of `daemon any` with `match` takes only matching lines;
`archive size` rotates; a deactivated file is not written, one from a
group is; `show log NAME` shows them; the pre-shared key is in no file."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Appliance, configure, exe, run  # noqa: E402
from mgdclient import wait_for  # noqa: E402
from test_daemons import start_backends  # noqa: E402

KEY = "systemlog-test-key"
LEAKS = ("LEAKA", "LEAKB", "0x0102feed")
LINE = r"^[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d  %s %s\[\d+\]: %s$"


def read(a, name):
    try:
        return open(os.path.join(a.root, "log", name)).read()
    except OSError:
        return None


def cli(a, text):
    return subprocess.run([exe("cli/cli"), "--root", a.root], input=text, capture_output=True,
                          text=True, timeout=60).stdout


def test_system_log():
    a = Appliance().start_mgd()
    try:
        c = a.client()
        assert read(a, "messages") == "" and read(a, "interactive-commands") == ""
        r = c.command("show log messages")
        assert not r.error, r.raw
        start_backends(a)
        out = cli(a, "configure\n"
                     "set system syslog file daemons daemon any\n"
                     "set system syslog file daemons match refused\n"
                     "set system syslog file small interactive-commands any\n"
                     "set system syslog file small archive size 4k files 2\n"
                     "set system syslog file inert any any\n"
                     "deactivate system syslog file inert\n"
                     f'set access profile p client * ike pre-shared-key ascii-text "{KEY}"\n'
                     "set access profile p client * ike pre-shared-key as LEAKA\n"
                     "set access profile p client * ike pre-shared-key a LEAKB extra\n"
                     "edit access profile p client * ike pre-shared-key\n"
                     "set he 0x0102feed\n"
                     "top\n"
                     "set system host-name as-1\n"
                     "set system ?\n"
                     "delete access\n"
                     "delete system host-name\n"
                     'commit comment "syslog test" and-quit\n')
        assert "commit complete" in out, out
        assert read(a, "inert") is None  # deactivated: no file
        msgs = read(a, "messages")
        for what in (r"UI_DBASE_LOGIN_EVENT: User '\w+' entering configuration mode",
                     r"UI_COMMIT: User '\w+' requested 'commit' operation \(comment: syslog test\)",
                     r"UI_COMMIT_COMPLETED: commit complete",
                     r"UI_DBASE_LOGOUT_EVENT: User '\w+' exiting configuration mode"):
            assert re.search(LINE % (r"\S+", "mgd", what), msgs, re.M), (what, msgs)
        assert "UI_CMDLINE_READ_LINE" not in msgs, msgs  # info: not in "any notice"
        cmds = read(a, "interactive-commands")
        assert re.search(LINE % ("opensg", "mgd", r"UI_CMDLINE_READ_LINE: User '\w+', command "
                                 r"'set system syslog file daemons daemon any '"), cmds, re.M), cmds
        assert ("pre-shared-key ascii-text <secret removed> '" in cmds and
                "command 'commit comment \"syslog test\" and-quit '" in cmds), cmds
        # abbreviated secret keywords, a line that does not parse, a value
        # set at the secret's own level: masked; a value that is no secret
        # is not; the CLI's own requests (names for "?") are not lines
        assert "pre-shared-key as <secret removed> '" in cmds, cmds
        assert "pre-shared-key a <secret removed> <secret removed> '" in cmds, cmds
        assert "command 'set he <secret removed> '" in cmds, cmds
        assert "command 'set system host-name as-1 '" in cmds, cmds
        assert "command 'show '" not in cmds and "command 'show system commit '" not in cmds, cmds
        assert all(leak not in cmds for leak in LEAKS), cmds
        # a daemon's warning, under its name and pid; only matching lines in "daemons"
        open(os.path.join(a.root, "refuse-prepare"), "w").write("not today\n")
        out = cli(a, "configure\nset routing-options static route 10.9.0.0/16 discard\ncommit\n"
                     "rollback 0\nexit\n")
        assert "not today" in out, out
        pids = {str(d.proc.pid) for d in a.others}
        msgs = wait_for(lambda: (m := read(a, "messages")) and "prepare refused" in m and m,
                        what="the back-end's line in messages")
        m = re.search(r"^.{15}  opensg (kmd|fwdd)\[(\d+)\]: prepare refused: not today$", msgs,
                      re.M)
        assert m and m.group(2) in pids, (msgs, pids)
        daemons = read(a, "daemons")
        assert "prepare refused: not today" in daemons, daemons
        assert all("refused" in ln for ln in daemons.splitlines()), daemons
        os.unlink(os.path.join(a.root, "refuse-prepare"))
        # rotation at 4k, two archives kept
        cli(a, "".join(f"show system uptime {i}\n" for i in range(120)))
        assert os.path.exists(os.path.join(a.root, "log", "small.1"))
        assert not os.path.exists(os.path.join(a.root, "log", "small.2"))
        assert os.path.getsize(os.path.join(a.root, "log", "small")) <= 4096
        # a file from a group
        out = cli(a, "configure\nset groups G system syslog file viagroup any any\n"
                     "set apply-groups G\ncommit and-quit\n")
        assert "commit complete" in out and read(a, "viagroup") is not None, out
        r = c.command("show log interactive-commands")
        assert not r.error and "UI_CMDLINE_READ_LINE" in r.raw, r.raw
        for d, _, files in os.walk(a.root):
            for f in files:
                if not os.path.isfile(os.path.join(d, f)) or f.endswith(".sock"):
                    continue
                with open(os.path.join(d, f), "rb") as fh:
                    data = fh.read()
                    for k in (KEY,) + LEAKS:
                        assert k.encode() not in data, (k, os.path.join(d, f))
    finally:
        a.cleanup()


if __name__ == "__main__":
    sys.exit(run([test_system_log]))
