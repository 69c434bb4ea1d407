#!/usr/bin/env python3
"""The CLI with standard input not a terminal, against a real mgd under a
temporary --root: every transcripts/*.txt (see clitest.py), plus -c mode,
files written by `| save`, help lists that grow with the schema and exit
statuses.  (The start-up time is measured by bench/cli/startup.py.)"""
import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clitest  # noqa: E402
from clitest import Appliance, configure, normalize, run_cli, run_transcript  # noqa: E402
from harness import run  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def transcript_test(path):
    def t():
        run_transcript(path)
    t.__name__ = "test_transcript_" + os.path.splitext(os.path.basename(path))[0]
    return t


def appliance():
    return Appliance().start_mgd()


def test_oneshot():
    a = appliance()
    try:
        r = run_cli(a.root, args=("-c", "show version | match Hostname"))
        assert (r.returncode, r.stdout, r.stderr) == (0, "Hostname: opensg\n", ""), r
        cases = {
            "show servics": "error: syntax error, expecting <command>: servics\n",
            "foo": "error: unknown command: foo\n",
            "show version | match": "error: missing argument\n",
            "show version | frobnicate": "error: syntax error, expecting <command>: frobnicate\n",
            "configure private bogus": "error: syntax error, expecting <command>: bogus\n",
        }
        for cmd, want in cases.items():
            r = run_cli(a.root, args=("-c", cmd))
            assert r.returncode == 1 and r.stdout == want, (cmd, r)
        r = run_cli(a.root, args=("-c", "show system commit"))
        assert normalize(r.stdout) == "0   YYYY-MM-DD hh:mm:ss TZ by root via other\n" \
                                      "    factory-default configuration\n", r.stdout
        # -c never reads standard input
        r = run_cli(a.root, stdin="configure\n", args=("-c", "show configuration | count"))
        assert r.stdout == "Count: 12 lines\n", r.stdout
    finally:
        a.cleanup()


def test_no_daemon():
    r = run_cli("/tmp/osg-no-such-root", args=("-c", "show version"))
    assert r.returncode == 1 and "could not connect to the management daemon" in r.stderr, r


def test_save_files():
    a = appliance()
    try:
        r = run_cli(a.root, "show configuration | save saved.txt\n"
                            "show configuration | display set | append saved.txt\n"
                            "show version | match Model | tee tee.txt\n"
                            "show version | save ../escape.txt\n")
        home = os.path.join(a.root, "home", "root")
        text = open(os.path.join(home, "saved.txt")).read()
        assert text.startswith("## Last commit: ") and text.endswith(
            "set system syslog file interactive-commands interactive-commands any\n"), text
        assert open(os.path.join(home, "tee.txt")).read() == "Model: opensg\n"
        assert "Model: opensg\n" in r.stdout
        assert "error: invalid file name '../escape.txt'" in r.stdout, r.stdout
        assert not os.path.exists(os.path.join(a.root, "home", "escape.txt"))
    finally:
        a.cleanup()


def test_help_lists_follow_the_schema():
    """Top-level lists grow with later issues: check their shape and the
    entries this issue knows, not the whole list."""
    a = appliance()
    try:
        r = run_cli(a.root, "?\nshow ?\nconfigure\nset ?\ndelete ?\n")
        out = r.stdout
        for line in ["root@opensg> ?\nPossible completions:\n",
                     "\n  configure            Manipulate software configuration information\n",
                     "\n  exit                 Exit the management session\n",
                     "\n  quit                 Exit the management session\n",
                     "\n  set                  Set CLI properties, date/time, craft interface "
                     "message\n",
                     "\n  show                 Show system information\n",
                     "root@opensg> show ?\nPossible completions:\n",
                     "\n  cli                  Show command-line interface settings\n",
                     "\n  configuration        Show current configuration\n",
                     "\n  system               Show system information\n",
                     "\n  version              Show software process revision levels\n",
                     "root@opensg# set ?\nPossible completions:\n",
                     "\n> interfaces           Interface configuration\n",
                     "\n+ apply-groups         Groups from which to inherit configuration data\n",
                     "\n> system               System parameters\n",
                     "root@opensg# delete ?\nPossible completions:\n  <[Enter]>            "
                     "Execute this command\n"]:
            assert line in out, (line, out)
        # each list is sorted after <[Enter]> and values
        for block in out.split("Possible completions:\n")[1:]:
            names = [ln[2:22].strip() for ln in block.split("\n")
                     if ln[:1] in " >+" and len(ln) > 2 and ln[2] not in "<|"]
            names = [n for n in names if n and not n.startswith("[")]
            assert names == sorted(names), names
    finally:
        a.cleanup()


def test_ambiguous_and_abbreviations():
    a = appliance()
    try:
        r = run_cli(a.root, "configure\nsh syst host\nsta\nrun sh sys comm | count\n"
                            "comm ch\nex conf\n")
        out = normalize(r.stdout)
        assert "root@opensg# sh syst host\nhost-name opensg;\n" in out, out
        assert "root@opensg# sta\nUsers currently editing the configuration:\n" in out, out
        assert "root@opensg# run sh sys comm | count\nCount: 2 lines\n" in out, out
        assert "root@opensg# comm ch\nconfiguration check succeeds\n" in out, out
        assert out.endswith("root@opensg# ex conf\nExiting configuration mode\n"), out
        assert r.returncode == 0, r
    finally:
        a.cleanup()


def test_exit_status_and_confirm_default():
    """End of input answers a question with its default."""
    a = appliance()
    try:
        c = a.client()
        r = run_cli(a.root, "configure\nset system host-name eof\nexit")
        assert r.returncode == 0, r
        assert r.stdout.endswith("Exit with uncommitted changes? [yes,no] (yes) \n"
                                 "Exiting configuration mode\n"), r.stdout
        # the shared candidate keeps the change (Junos: shared mode)
        c.configure()
        assert "host-name eof;" in c.edit("show system").output
        c.close()
        r = run_cli(a.root, "show version\n")
        assert r.returncode == 0
        r = run_cli(a.root, "show version\nshow bogus\nshow version\n")
        assert r.returncode == 1 and r.stdout.count("Hostname: opensg") == 2, r
    finally:
        a.cleanup()


def test_load_terminal_ends():
    """load ... terminal input ends at a line ^D, a 0x04 byte or the end."""
    a = appliance()
    try:
        r = run_cli(a.root, "configure\nload merge terminal\nsystem { host-name a1; }\n\x04\n"
                            "show system host-name\nload merge terminal\n"
                            "system { host-name a2; }\n")
        assert r.stdout.count("load complete") == 2, r.stdout
        assert "host-name a1;" in r.stdout
        c = a.client()
        c.configure()
        assert "host-name a2;" in c.edit("show system").output
    finally:
        a.cleanup()


def crypt_matches(password, stored):
    """Whether stored ($6$SALT$HASH) is the SHA-512 crypt of password."""
    salt = stored.split("$")[2]
    h = subprocess.run(["openssl", "passwd", "-6", "-salt", salt, password], capture_output=True,
                       text=True, check=True).stdout.strip()
    return h == stored


def test_plain_text_password_standard_input():
    """set ... plain-text-password with standard input not a terminal: the
    two lines after it are the password and its retyping, never printed;
    Junos's rules and a mismatch refuse it and change nothing; what is
    stored is encrypted-password, the SHA-512 crypt of the password.  Loads
    that hold plain-text-password (text, XML, JSON, set) are refused."""
    pw = "Sg-pass1"
    typed = ["configure",
             "set system root-authentication plain-text-password", "abc",
             "set system root-authentication plain-text-password", "abcdefgh",
             "set system login user bob class operator authentication plain-text-password",
             pw, pw + "x",
             "show | compare",
             "edit system login user bob",
             "set authentication plain-text-password", pw, pw,
             "top",
             "set system root-authentication plain-text-password", pw, pw,
             "load merge terminal",
             "system { login { user carol { authentication { plain-text-password; } } } }", "^D",
             "load merge terminal",
             "<configuration><system><root-authentication><plain-text-password/>"
             "</root-authentication></system></configuration>", "^D",
             "load merge terminal",
             '{"configuration": {"system": {"root-authentication": '
             '{"plain-text-password": [null]}}}}', "^D",
             "load set terminal", "set system login user dave authentication plain-text-password",
             "^D",
             "commit"]
    a = appliance()
    try:
        r = run_cli(a.root, "\n".join(typed) + "\n")
        assert pw not in r.stdout and "abcdefgh" not in r.stdout, r.stdout
        assert r.returncode == 1, r  # the refusals
        out = normalize(r.stdout)
        expect = [
            "root@opensg# set system root-authentication plain-text-password\n"
            "New password:\nerror: minimum password length is 6\n\n[edit]\n",
            "root@opensg# set system root-authentication plain-text-password\n"
            "New password:\nerror: require change of case, digits or punctuation\n\n[edit]\n",
            "root@opensg# set system login user bob class operator authentication "
            "plain-text-password\nNew password:\nRetype new password:\n"
            "error: Passwords are not equal; aborting\n\n[edit]\n",
            # nothing was set by the refused lines (not even bob's class)
            "root@opensg# show | compare\n\n[edit]\n",
            "root@opensg# set authentication plain-text-password\n"
            "New password:\nRetype new password:\n\n[edit system login user bob]\n",
            "root@opensg# set system root-authentication plain-text-password\n"
            "New password:\nRetype new password:\n\n[edit]\n",
            "terminal:1:(47) [edit system login user carol authentication] "
            "'plain-text-password': plain-text-password is typed in the CLI only (it prompts "
            "for the password); give encrypted-password instead\n"
            "error: configuration not loaded (1 errors); the candidate is unchanged\n",
            "terminal:1:(0) [edit system root-authentication] 'plain-text-password': typed in "
            "the CLI only (it prompts for the password); give encrypted-password instead\n"
            "error: configuration not loaded (1 errors); the candidate is unchanged\n",
            "terminal:1:(0) plain-text-password is typed in the CLI only (it prompts for the "
            "password); give encrypted-password instead\nload complete (1 errors)\n",
            "root@opensg# commit\ncommit complete\n",
        ]
        for e in expect:
            assert e in out, f"missing:\n{e}\nin:\n{out}"
        assert out.count("terminal:1:(0) [edit system root-authentication]") == 2, out
        c = a.client()
        text = c.command("show configuration system").text("configuration-text")
        hashes = re.findall(r'^ +encrypted-password "(\$6\$[^"]+)"; ## SECRET-DATA$', text, re.M)
        assert len(hashes) == 2 and hashes[0] != hashes[1], text  # random salts
        assert all(crypt_matches(pw, h) for h in hashes), text
        assert "plain-text-password" not in text and "carol" not in text and "dave" not in text
        c.close()
    finally:
        a.cleanup()


TESTS = [transcript_test(p) for p in sorted(glob.glob(os.path.join(HERE, "transcripts", "*.txt")))]
TESTS += [v for k, v in sorted(globals().items()) if k.startswith("test_")]

if __name__ == "__main__":
    sys.exit(run(TESTS))
