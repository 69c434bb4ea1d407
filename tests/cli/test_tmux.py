#!/usr/bin/env python3
"""The interactive CLI on a real terminal: tmux (a private server on its own
socket) runs cli against a real mgd; keys go in with send-keys, the screen
comes back with capture-pane, polled with deadlines.  Covers TAB on a
unique and an ambiguous prefix, `?` at a word boundary and mid-word,
history (up arrow), Ctrl-C (on a line and in `load ... terminal`), the pager, a caret error, a full configure /
set / commit / show cycle, `set ... plain-text-password` (prompts without
echo), and a read-only user refused `configure`."""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clitest  # noqa: E402
from clitest import Appliance, as_user, cli_path, configure  # noqa: E402
from harness import run  # noqa: E402

TIMEOUT = 30 if clitest.sanitized() else 10


class Tmux:
    def __init__(self, argv, width=100, height=30):
        self.dir = tempfile.mkdtemp(prefix="osg-tmux-", dir="/tmp")
        self.sock = os.path.join(self.dir, "sock")
        # the exit status stays on the screen after cli ends
        cmd = shlex.join(argv) + '; echo "[cli exited $?]"'
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", str(width), "-y",
                  str(height), cmd, ";", "set-option", "-t", "t", "remain-on-exit", "on")

    def tmux(self, *args):
        return subprocess.run(["tmux", "-S", self.sock, *args], capture_output=True, text=True,
                              timeout=20, check=True).stdout

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "t", *keys)

    def type(self, text):
        self.tmux("send-keys", "-t", "t", "-l", text)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-N", "-t", "t", "-S", "-2000")

    def wait(self, pattern, what=None):
        """Poll the screen until the regular expression matches."""
        deadline = time.monotonic() + TIMEOUT
        delay = 0.01
        while True:
            s = self.screen()
            m = re.search(pattern, s, re.M)
            if m:
                return s
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or pattern!r}; screen:\n{s}")
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def close(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], capture_output=True, timeout=20)
        shutil.rmtree(self.dir, ignore_errors=True)


def last_line(screen):
    lines = [ln for ln in screen.rstrip("\n").split("\n")]
    return lines[-1] if lines else ""


def session(a, user=None):
    argv = (as_user(user) if user else []) + [cli_path(), "--root", a.root]
    t = Tmux(argv)
    try:
        t.wait(r"@opensg> $", "the prompt")
    except BaseException:
        t.close()
        raise
    return t


def test_completion_help_history():
    a = Appliance().start_mgd()
    t = None
    try:
        t = session(a)
        # TAB on a unique prefix completes the word and adds a space
        t.type("sh")
        t.keys("Tab")
        t.wait(r"^root@opensg> show $")
        t.type("system com")
        t.keys("Tab")
        t.wait(r"^root@opensg> show system commit $")
        t.keys("C-u")
        # TAB on an ambiguous prefix lists the candidates, line kept
        t.type("show system u")
        t.keys("Tab")
        s = t.wait(r"^  users  .*\n^root@opensg> show system u$")
        assert "Possible completions:\n  uptime               Show time since the system " \
               "rebooted and processes started\n  users                Show users who are " \
               "currently logged in\nroot@opensg> show system u" in s, s
        # ? mid-word
        t.type("p?")
        s = t.wait(r"^root@opensg> show system up\?\nPossible completions:\n  uptime  .*\n"
                   r"^root@opensg> show system up$")
        # ? at a word boundary, then Enter runs what is on the line
        t.keys("C-u")
        t.type("show system rollback ?")
        s = t.wait(r"^  \|                    Pipe through a command\n"
                   r"^root@opensg> show system rollback $")
        assert "Possible completions:\n  <[Enter]>            Execute this command\n" \
               "  <rollback>           Index of rollback configuration (0..49)\n" \
               "  compare              Compare two rollback configurations\n" in s, s
        t.keys("C-u")
        t.type("show system uptime")
        t.keys("Enter")
        t.wait(r"^Last configured: .* by root\n\nroot@opensg> $")
        # history: the up arrow recalls it
        t.keys("Up")
        t.wait(r"^root@opensg> show system uptime$")
        # Ctrl-C abandons the line
        t.keys("C-c")
        t.wait(r"^root@opensg> show system uptime\s*\n^root@opensg> $")
        # a caret error, aligned with the input including the prompt
        t.type("show servics")
        t.keys("Enter")
        t.wait(r"^root@opensg> show servics\n {18}\^\nsyntax error, expecting <command>\.\n\n"
               r"root@opensg> $")
        t.type("exit")
        t.keys("Enter")
        t.wait(r"^\[cli exited 1\]$")
    finally:
        if t:
            t.close()
        a.cleanup()


def test_pager():
    a = Appliance().start_mgd()
    t = None
    try:
        t = session(a)
        t.type("set cli screen-length 10")
        t.keys("Enter")
        t.wait(r"^Screen length set to 10\n\nroot@opensg> $")
        t.type("show configuration | display xml")
        t.keys("Enter")
        s = t.wait(r"^---\(more\)---$")
        # 9 lines, then the more prompt on the 10th
        page = s.split("root@opensg> show configuration | display xml\n")[1]
        page = page.split("---(more)---")[0]
        # (a long line wraps: it takes two of the rows)
        assert page.count("\n") == 9 and page.startswith("<rpc-reply"), page
        t.keys("Enter")  # one more line
        s = t.wait(r"<contents>\n +<name>any</name>\n---\(more\)---$")
        assert s.count("---(more)---") == 1, s  # the prompt is erased before going on
        t.keys("Space")  # a screenful: 9 more lines
        s = t.wait(r"<name>any</name>\n(.*\n){9}---\(more\)---$")
        t.keys("q")
        s = t.wait(r"^root@opensg> $")
        assert "</rpc-reply>" not in s, s
        # | no-more and screen-length 0 do not page
        t.type("show configuration | display xml | no-more")
        t.keys("Enter")
        t.wait(r"^</rpc-reply>\n\nroot@opensg> $")
        t.type("set cli screen-length 0")
        t.keys("Enter")
        t.type("show configuration | display xml")
        t.keys("Enter")
        s = t.wait(r"^</rpc-reply>\n\nroot@opensg> $")
        # every more prompt was erased when answered; none came after
        assert "---(more)---" not in s, s
    finally:
        if t:
            t.close()
        a.cleanup()


def test_configure_cycle():
    a = Appliance().start_mgd()
    t = None
    try:
        t = session(a)
        t.type("configure")
        t.keys("Enter")
        t.wait(r"^Entering configuration mode\n\n\[edit\]\nroot@opensg# $")
        # space completes a unique keyword prefix
        t.type("set sys host tmux-sg")
        t.wait(r"^root@opensg# set system host-name tmux-sg$")
        t.keys("Enter")
        t.wait(r"^root@opensg# set system host-name tmux-sg\n\n\[edit\]\nroot@opensg# $")
        t.type("edit system")
        t.keys("Enter")
        t.wait(r"^\[edit system\]\nroot@opensg# $")
        t.type("set ?")
        s = t.wait(r"^> syslog  .*\n\[edit system\]\nroot@opensg# set $")
        assert "\n  host-name            Hostname for this router\n" in s, s
        t.keys("C-u")
        t.type("top")
        t.keys("Enter")
        t.wait(r"^root@opensg# top\s*\n\n\[edit\]\nroot@opensg# $")
        # Ctrl-C in the text of `load ... terminal` abandons the load
        t.type("load merge terminal")
        t.keys("Enter")
        t.wait(r"^\[Type \^D at a new line to end input\]\n$")
        t.type("system { host-name lost; }")
        t.keys("Enter")
        t.keys("C-c")
        t.wait(r"host-name lost; \}\n(\^C)?\s*\n\[edit\]\nroot@opensg# $", "the load abandoned")
        t.type("show system host-name")
        t.keys("Enter")
        t.wait(r"^root@opensg# show system host-name\nhost-name tmux-sg;\n\n\[edit\]\nroot@opensg# $")
        t.type("commit")
        t.keys("Enter")
        t.wait(r"^commit complete\n\n\[edit\]\nroot@tmux-sg# $")
        t.type("show system host-name")
        t.keys("Enter")
        t.wait(r"^host-name tmux-sg;\n\n\[edit\]\nroot@tmux-sg# $")
        t.type("exit")
        t.keys("Enter")
        t.wait(r"^Exiting configuration mode\n\nroot@tmux-sg> $")
        t.type("show configuration system host-name")
        t.keys("Enter")
        t.wait(r"^host-name tmux-sg;\n\nroot@tmux-sg> $")
        t.keys("C-d")
        t.wait(r"^\[cli exited 0\]$")
    finally:
        if t:
            t.close()
        a.cleanup()


def test_plain_text_password():
    """set ... plain-text-password on a terminal: `?` and TAB offer it; the
    prompts read without echo (the password never reaches the screen); a
    mismatch is refused; history holds the command only; the stored value
    is a $6$ crypt, shown with ## SECRET-DATA."""
    a = Appliance().start_mgd()
    t = None
    pw = "Tmux-pw42"
    try:
        t = session(a)
        t.type("configure")
        t.keys("Enter")
        t.wait(r"^\[edit\]\nroot@opensg# $")
        t.type("set system root-authentication ?")
        s = t.wait(r"^root@opensg# set system root-authentication $")
        assert "\n  plain-text-password  Prompt for plain text password (autoencrypted)\n" in s, s
        assert "\n+ ssh-ed25519          Secure shell (ssh) EDDSA public key string\n" in s, s
        t.type("pl")
        t.keys("Tab")
        t.wait(r"^root@opensg# set system root-authentication plain-text-password $")
        t.keys("Enter")
        t.wait(r"^New password:$")
        t.type(pw)
        t.keys("Enter")
        t.wait(r"^Retype new password:$")
        t.type(pw + "x")
        t.keys("Enter")
        t.wait(r"^New password:\nRetype new password:\nerror: Passwords are not equal; aborting\n"
               r"\n\[edit\]\nroot@opensg# $")
        t.keys("Up")
        t.wait(r"^root@opensg# set system root-authentication plain-text-password ?$")
        t.keys("Enter")
        t.wait(r"^New password:$")
        t.type(pw)
        t.keys("Enter")
        t.wait(r"^Retype new password:$")
        t.type(pw)
        t.keys("Enter")
        t.wait(r"^New password:\nRetype new password:\n\n\[edit\]\nroot@opensg# $")
        t.type("commit and-quit")
        t.keys("Enter")
        t.wait(r"^Exiting configuration mode\n\nroot@opensg> $")
        t.type("show configuration system")
        t.keys("Enter")
        t.wait(r"^root@opensg> $")
        s = t.tmux("capture-pane", "-p", "-J", "-t", "t", "-S", "-2000")  # wrapped lines joined
        m = re.search(r'^    encrypted-password "(\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86})"; '
                      r"## SECRET-DATA$", s, re.M)
        assert m, s
        salt = m.group(1).split("$")[2]
        h = subprocess.run(["openssl", "passwd", "-6", "-salt", salt, pw], capture_output=True,
                           text=True, check=True).stdout.strip()
        assert h == m.group(1), (h, m.group(1))
        # nothing on the screen (scrollback included) ever showed it
        assert pw not in t.screen(), t.screen()
    finally:
        if t:
            t.close()
        a.cleanup()


def test_read_only_user_refused_configure():
    a = Appliance().start_mgd()
    t = None
    try:
        c = a.client()
        assert configure(c, "set system login user nobody class read-only").output == \
            "commit complete\n"
        c.close()
        t = session(a, user="nobody")
        t.type("configure")
        t.keys("Enter")
        t.wait(r"^nobody@opensg> configure\nerror: permission denied\n\nnobody@opensg> $")
        t.type("show system commit")
        t.keys("Enter")
        t.wait(r"^0   .* by root via cli\n")
        t.type("quit")
        t.keys("Enter")
        t.wait(r"^\[cli exited 1\]$")
    finally:
        if t:
            t.close()
        a.cleanup()


if __name__ == "__main__":
    sys.exit(run([v for k, v in sorted(globals().items()) if k.startswith("test_")]))
