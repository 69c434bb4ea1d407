#!/usr/bin/env python3
"""mgd through its socket, under a temporary --root: sessions, locks,
commit variants, confirmed-commit expiry, rollback, history, login
classes, durable storage."""
import os
import pwd
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Appliance, SRC, configure, exe, run  # noqa: E402
from mgdclient import wait_for  # noqa: E402


def appliance(env=None):
    return Appliance(env=env).start_mgd()


def test_fresh_root_is_factory_default():
    a = appliance()
    try:
        c = a.client()
        r = c.command("show configuration")
        text = r.text("configuration-text")
        assert "host-name opensg;" in text, text
        assert text.startswith("## Last commit: "), text
        h = c.command("show system commit").xml.findall(".//commit-history")
        assert len(h) == 1 and h[0].findtext("client") == "other", r.raw
        # durable files are private
        db = os.path.join(a.root, "db")
        assert stat.S_IMODE(os.stat(db).st_mode) == 0o700
        for f in os.listdir(os.path.join(db, "history")):
            assert stat.S_IMODE(os.stat(os.path.join(db, "history", f)).st_mode) == 0o600, f
    finally:
        a.cleanup()


def test_set_check_commit_show():
    a = appliance()
    try:
        c = a.client()
        r = c.configure()
        assert r.output.strip() == "Entering configuration mode", r.output
        assert not c.edit("set system host-name sg1").error
        r = c.edit("show system", display="compare0")
        assert r.output == "[edit system]\n-   host-name opensg;\n+   host-name sg1;\n", r.output
        r = c.edit("commit check")
        assert r.output == "configuration check succeeds\n", r.output
        # commit check does not commit
        assert "opensg" in c.command("show configuration system host-name").text(
            "configuration-text")
        r = c.edit('commit comment "first change" and-quit')
        assert r.output == "commit complete\nExiting configuration mode\n", r.output
        assert r.text("mode") == "operational"
        text = c.command("show configuration system").text("configuration-text")
        assert text == "host-name sg1;\nsyslog {\n    file messages {\n        any notice;\n    }\n" \
                       "    file interactive-commands {\n        interactive-commands any;\n" \
                       "    }\n}\n", text
        h = c.command("show system commit").xml.findall(".//commit-history")
        assert h[0].findtext("log") == "first change" and h[0].findtext("client") == "cli"
        r = c.command("show configuration", display="set")
        assert "set system host-name sg1\n" in r.text("configuration-set")
    finally:
        a.cleanup()


def test_errors_keep_candidate_and_committed():
    a = appliance()
    try:
        c = a.client()
        c.configure()
        r = c.edit("set interfaces ge-0/0/0 unit 0 family inet address 10.1.1.300/24")
        assert r.error and r.text("error-column") == "51", r.raw
        assert "invalid value '300' in ip address" in r.output
        r = c.edit("set servics")
        assert r.error and r.output == "syntax error.\n" and r.text("error-column") == "4"
        r = c.edit("bogus")
        assert r.error and "syntax error, expecting <command>." in r.output
        # a seed check fails the commit with the Junos shape
        c.edit("set services service-set SG1 next-hop-service inside-service-interface ms-1/0/0.1")
        c.edit("set services service-set SG1 next-hop-service outside-service-interface "
               "ms-1/0/0.2")
        c.edit("set services service-set SG1 ipsec-vpn-options local-gateway 203.0.113.1")
        c.edit("set services service-set SG1 ipsec-vpn-options ike-access-profile nope")
        r = c.edit("commit")
        assert r.error, r.output
        assert "[edit services service-set SG1 ipsec-vpn-options]\n" \
               "  'ike-access-profile nope'\n" in r.output, r.output
        assert r.output.endswith("error: configuration check-out failed\n"), r.output
        # nothing committed, the candidate still has the change
        assert "service-set" not in c.command("show configuration").text("configuration-text")
        assert "service-set SG1" in c.edit("show services").output
        assert len(c.command("show system commit").xml.findall(".//commit-history")) == 1
    finally:
        a.cleanup()


def test_delete_edit_up_top_and_questions():
    a = appliance()
    try:
        c = a.client()
        c.configure()
        r = c.edit("edit interfaces ge-0/0/0 unit 0")
        assert r.text("edit-path") == "interfaces ge-0/0/0 unit 0", r.raw
        c.edit("set description lan")
        c.edit("up 2")
        assert c.edit("show").text("edit-path") == "interfaces"
        assert "unit 0 {\n        description lan;" in c.edit("show").output
        c.edit("top")
        r = c.edit("delete system host-name")
        assert not r.error and r.output == ""
        r = c.edit("delete system host-name")
        assert r.output == "warning: statement not found\n", r.output
        r = c.edit("delete")
        assert r.find("confirm") is not None and "This will delete the entire configuration" in \
            r.output
        r = c.edit("delete", confirmed="no")
        assert "interfaces" in c.edit("show").output
        r = c.edit("exit")
        assert r.find("confirm").get("prompt") == "Exit with uncommitted changes? [yes,no] (yes) "
        r = c.exit_config()
        assert "Exiting configuration mode" in r.output
        # the shared candidate keeps the changes
        r = c.configure()
        assert "The configuration has been changed but not committed" in r.output
        r = c.edit("rollback 0")
        assert r.output == "load complete\n"
        r = c.edit("rollback 60")
        assert r.error and "error: invalid rollback value: 60" in r.output, r.output
    finally:
        a.cleanup()


def test_private_and_exclusive():
    a = appliance()
    try:
        c1, c2 = a.client(), a.client()
        c1.configure()
        c1.edit("set system host-name dirty")
        r = c2.configure("private")
        assert r.error and "error: shared configuration database modified" in r.output, r.output
        assert "Users currently editing the configuration:" in r.output
        r = c2.configure("exclusive")
        assert r.error and "error: configuration database modified" in r.output
        c1.edit("rollback 0")
        c1.exit_config()
        r = c2.configure("exclusive")
        assert not r.error and "warning: uncommitted changes will be discarded on exit" in r.output
        c1.configure()
        r = c1.edit("set system host-name other")
        assert r.error and "locked" in r.output, r.output
        c2.edit("set system host-name excl")
        r = c2.edit("exit")
        assert "warning: Auto rollback on exiting 'configure exclusive'" in r.output
        r = c2.exit_config()
        assert "warning: discarding uncommitted changes" in r.output
        assert "excl" not in c1.edit("show system").output
        # private: first commit wins
        c1.exit_config()
        r = c2.configure("private")
        assert not r.error, r.output
        c2.edit("set system host-name priv")
        c1.configure()
        configure_r = c1.edit("set system host-name shared")
        assert not configure_r.error
        assert c1.edit("commit").output == "commit complete\n"
        r = c2.edit("commit")
        assert r.error and "configuration database modified" in r.output, r.output
    finally:
        a.cleanup()


def test_rollback_history_and_compare():
    a = appliance()
    try:
        c = a.client()
        for i in range(3):
            r = configure(c, f"set system host-name h{i}")
            assert r.output == "commit complete\n", r.output
        r = c.command("show system rollback 1 compare 0")
        out = r.text("configuration-output")
        # from rollback 0 (the base, as in "show | compare rollback N") to rollback 1
        assert out == "[edit system]\n-   host-name h2;\n+   host-name h1;\n", out
        c.configure()
        assert c.edit("rollback 2").output == "load complete\n"
        assert c.edit("commit").output == "commit complete\n"
        c.exit_config()
        assert "host-name h0;" in c.command("show configuration system").text(
            "configuration-text")
        # the history is capped at 50
        for i in range(52):
            configure(c, f"set system host-name n{i}")
        h = c.command("show system commit").xml.findall(".//commit-history")
        assert len(h) == 50, len(h)
        # each listed commit has its file (full or delta); older files stay
        # only while a listed delta needs them
        files = os.listdir(os.path.join(a.root, "db", "history"))
        stored = [f for f in files if f.endswith(".conf") or f.endswith(".delta")]
        index = open(os.path.join(a.root, "db", "history", "index")).read().splitlines()
        assert len(index) == 50, index
        for line in index:
            seq = line.split("\t")[0]
            assert f"r{seq}.conf" in stored or f"r{seq}.delta" in stored, (seq, stored)
        assert 50 <= len(stored) < 50 + 16, stored
        r = c.command("show system rollback 49")
        assert r.text("configuration-output"), r.raw
        r = c.command("show system rollback 50")
        assert r.error, r.raw
    finally:
        a.cleanup()


def test_commit_confirmed_expires():
    a = appliance(env={"OPENSG_MINUTE_SECONDS": "1"})
    try:
        c = a.client()
        configure(c, "set system host-name base")
        c.configure()
        c.edit("set system host-name trial")
        r = c.edit("commit confirmed 2")
        assert r.output == "commit confirmed will be automatically rolled back in 2 minutes " \
                           "unless confirmed\ncommit complete\n", r.output
        h = c.command("show system commit").xml.findall(".//commit-history")
        assert h[0].findtext("commit-confirmed") == "rollback pending"
        assert h[0].findtext("comment") == "commit confirmed, rollback in 2mins"
        wait_for(lambda: "host-name base;" in c.command("show configuration system").text(
            "configuration-text"), what="automatic rollback")
        h = c.command("show system commit").xml.findall(".//commit-history")
        assert h[0].findtext("user") == "root" and h[0].findtext("client") == "other"
    finally:
        a.cleanup()


def test_commit_confirmed_is_confirmed_by_commit_check():
    # A "minute" of 3 s: commit check must reach mgd before the rollback
    # would fire, even on a loaded machine; then watch past the deadline.
    a = appliance(env={"OPENSG_MINUTE_SECONDS": "3"})
    try:
        c = a.client()
        c.configure()
        c.edit("set system host-name keep")
        c.edit("commit confirmed 1")
        assert c.edit("commit check").output == "configuration check succeeds\n"
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            assert "keep" in c.command("show configuration system").text("configuration-text")
            time.sleep(0.2)
        assert os.path.exists(os.path.join(a.root, "db", "confirmed")) is False
    finally:
        a.cleanup()


def test_confirmed_deadline_survives_restart():
    a = appliance(env={"OPENSG_MINUTE_SECONDS": "2"})
    try:
        c = a.client()
        configure(c, "set system host-name base")
        c.configure()
        c.edit("set system host-name trial")
        c.edit("commit confirmed 1")
        c.close()
        assert a.mgd.stop() == 0
        a.start_mgd()
        c = a.client()
        assert "trial" in c.command("show configuration system").text("configuration-text")
        wait_for(lambda: "host-name base;" in c.command("show configuration system").text(
            "configuration-text"), what="rollback after restart")
    finally:
        a.cleanup()


def test_login_classes():
    a = appliance()
    try:
        nobody = pwd.getpwnam("nobody")
        probe = os.path.join(SRC, "tests/integration/probe_as.py")

        def as_nobody(*lines):
            out = subprocess.run(["setpriv", f"--reuid={nobody.pw_uid}",
                                  f"--regid={nobody.pw_gid}", "--clear-groups", sys.executable,
                                  probe, a.root, *lines], capture_output=True, text=True,
                                 timeout=30)
            assert out.returncode == 0, out.stderr
            return out.stdout
        out = as_nobody("command:show version")
        assert "error: permission denied" in out, out
        c = a.client()
        configure(c, "set system login user nobody class read-only")
        out = as_nobody("command:show version", "command:configure")
        assert "<software-information>" in out, out
        assert out.count("error: permission denied") == 1, out
        # a raw open-configuration from the read-only uid is refused by mgd itself
        out = as_nobody("rpc:<open-configuration/>")
        assert "error: permission denied" in out, out
        configure(c, "set system login user nobody class super-user")
        out = as_nobody("command:configure")
        assert "Entering configuration mode" in out, out
    finally:
        a.cleanup()


def test_load_and_save():
    a = appliance()
    try:
        c = a.client()
        c.configure()
        r = c.edit("load override terminal",
                   input="system {\n    host-name loaded;\n}\ninterfaces {\n    lo0 {\n"
                         "        unit 0 {\n            family inet {\n"
                         "                address 127.0.0.1/32;\n            }\n        }\n"
                         "    }\n}\n")
        assert r.output == "load complete\n", r.output
        r = c.edit("load merge terminal", input="system { host-name x; bogus 1; }\n")
        assert r.error and "the candidate is unchanged" in r.output, r.output
        assert "loaded" in c.edit("show system").output
        r = c.edit("load set terminal", input="set system host-name viaset\n")
        assert r.output == "load complete\n"
        r = c.edit("save backup.conf")
        assert r.output.startswith("Wrote ") and "'backup.conf'" in r.output, r.output
        assert c.edit("commit").output == "commit complete\n"
        r = c.edit("load override backup.conf")
        assert r.output == "load complete\n", r.output
        r = c.edit("save ../escape.conf")
        assert r.error
    finally:
        a.cleanup()


def test_rescue_configuration():
    a = appliance()
    try:
        c = a.client()
        configure(c, "set system host-name rescued")
        r = c.command("request system configuration rescue save")
        assert not r.error, r.raw
        h = c.command("show system commit").xml.findall(".//commit-history")
        assert h[-1].findtext("sequence-number") == "rescue", r.raw
        configure(c, "set system host-name later")
        c.configure()
        assert c.edit("rollback rescue").output == "load complete\n"
        assert c.edit("commit").output == "commit complete\n"
        c.exit_config()
        assert "rescued" in c.command("show configuration system").text("configuration-text")
        assert not c.command("request system configuration rescue delete").error
        c.configure()
        r = c.edit("rollback rescue")
        assert r.error and "rescue configuration is not set" in r.output, r.output
    finally:
        a.cleanup()


def test_files_and_logs():
    a = appliance()
    try:
        c = a.client()
        c.configure()
        assert c.edit("save saved.conf").output.startswith("Wrote ")
        c.exit_config()
        r = c.command("file list")
        assert "saved.conf" in [e.text for e in r.xml.iter("file-name")], r.raw
        r = c.command("file show saved.conf")
        assert "host-name opensg;" in r.text("file-content"), r.raw
        with open(os.path.join(a.root, "log", "messages"), "w") as f:
            f.write("Nov 29 08:00:00 sg1 mgd: commit complete\n")
        r = c.command("show log messages")
        assert "commit complete" in r.text("file-content"), r.raw
        assert c.command("file show ../../etc/passwd").error
        assert c.command("show log nonexistent").error
        r = c.command("file list log")
        assert "messages" in [e.text for e in r.xml.iter("file-name")], r.raw
    finally:
        a.cleanup()


def test_reboot_and_power_off():
    a = appliance()
    try:
        c = a.client()
        r = c.command("request system reboot")
        assert r.find("confirm").get("prompt") == "Reboot the system ? [yes,no] (no) ", r.raw
        pid = int(open(os.path.join(a.root, "mgd.pid")).read())
        r = c.rpc('<command confirmed="yes">request system reboot</command>')
        assert "Shutdown NOW!" in r.output, r.raw
        # on a host, mgd starts again in place with the committed configuration
        wait_for(lambda: a._connects(os.path.join(a.root, "mgd.sock")) and
                 int(open(os.path.join(a.root, "mgd.pid")).read() or 0) == pid,
                 what="mgd back after reboot")
        c = a.client()
        assert "host-name opensg;" in c.command("show configuration").text("configuration-text")
        r = c.rpc('<command confirmed="yes">request system power-off</command>')
        assert "Power Off NOW!" in r.output, r.raw
        assert a.mgd.wait_exit() == 0
    finally:
        a.cleanup()


def test_socket_path_too_long():
    base = "/tmp/" + "d" * 120
    os.makedirs(base, exist_ok=True)
    try:
        out = subprocess.run([exe("mgd/mgd"), "--root", base], capture_output=True, text=True,
                             timeout=30)
        assert out.returncode != 0 and "too deep" in out.stderr, out.stderr
    finally:
        subprocess.run(["rm", "-rf", base])


if __name__ == "__main__":
    sys.exit(run([v for k, v in sorted(globals().items()) if k.startswith("test_")]))
