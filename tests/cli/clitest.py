"""Helpers of the CLI tests: run build/cli/cli against a real mgd under a
temporary --root (tests/integration/harness.py), normalize what changes
from run to run (times, the kernel release, the version, pids, ttys), and
compare with transcripts.

A transcript (transcripts/*.txt) is exactly what the CLI prints when its
standard input is not a terminal; the input is derived from it:
  - the text after a prompt `user@host> ` / `user@host# `;
  - the answer after a `[yes,no] (yes|no) ` question;
  - the lines after `[Type ^D at a new line to end input]` up to `^D`.
Directives on the first lines (not part of the transcript):
  #! setup LINE      configure LINE and commit before the CLI starts
  #! dirty LINE      another session holds LINE uncommitted meanwhile
  #! as nobody       run the CLI as user nobody (setpriv)
  #! status N        expected exit status (default 0)
  #! env NAME=VALUE  environment of mgd
"""
import difflib
import json
import os
import platform
import pwd
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration"))
from harness import Appliance, SRC, configure, exe  # noqa: E402,F401

PROMPT = re.compile(r"^[a-z_][\w-]*@[\w.-]+[>#] ")
QUESTION = re.compile(r"^.*\[yes,no\] \((?:yes|no)\) ")
LOAD = "[Type ^D at a new line to end input]"


def cli_path():
    return exe("cli/cli")


def sanitized():
    """Whether the build under test uses ASan/UBSan (they slow every start)."""
    build = os.path.dirname(os.path.dirname(cli_path()))
    try:
        with open(os.path.join(build, "meson-info", "intro-buildoptions.json")) as f:
            opts = {o["name"]: o["value"] for o in json.load(f)}
    except OSError:
        return True
    return opts.get("b_sanitize", "none") not in ("none", "")


def project_version():
    with open(os.path.join(SRC, "meson.build")) as f:
        return re.search(r"version\s*:\s*'([^']+)'", f.read()).group(1)


def normalize(text):
    text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z]+", "YYYY-MM-DD hh:mm:ss TZ", text)
    text = re.sub(r"\((?:\d+w)?(?:\d+d )?\d\d:\d\d(?::\d\d)? ago\)", "(hh:mm:ss ago)", text)
    text = re.sub(r'junos:(commit-|changed-)?seconds="\d+"', r'junos:\1seconds="N"', text)
    text = re.sub(r'"junos:seconds" : "\d+"', '"junos:seconds" : "N"', text)
    text = re.sub(r"( \d|\d\d):\d\d[AP]M", "hh:mmXM", text)
    text = re.sub(r"  up .*?, (\d+ users?)", r"  up UPTIME, \1", text)
    text = re.sub(r"terminal \S+ \(pid \d+\)", "terminal TTY (pid N)", text)
    text = re.sub(r"^(    DRAM +)\d+ MB$", r"\1N MB", text, flags=re.M)
    text = re.sub(r"^(    Uptime +)\S.*$", r"\1UPTIME", text, flags=re.M)
    text = re.sub(r"^ {35}( +\d+\.\d\d){3}$", "    L1 L5 L15", text, flags=re.M)
    text = re.sub(r"(?<![\d.])" + re.escape(project_version()) + r"(?![\d.])", "VERSION", text)
    # show version's Junos-shaped release (mgd/oper.c junos_version: A.B.C -> A.BRC)
    a, b, c = (project_version().split(".") + ["0", "0"])[:3]
    text = re.sub(r"(?<![\d.])" + re.escape(f"{a}.{b}R{c}") + r"(?![\d.])", "VERSION", text)
    return text.replace(platform.release(), "KERNEL")


def inputs_of(transcript):
    """The lines typed in a transcript."""
    out, loading = [], False
    for line in transcript.split("\n"):
        if loading:
            out.append(line)
            loading = line != "^D"
            continue
        m = PROMPT.match(line) or QUESTION.match(line)
        if m:
            out.append(line[m.end():])
        elif line == LOAD:
            loading = True
    return "\n".join(out) + "\n"


def as_user(name):
    u = pwd.getpwnam(name)
    return ["setpriv", f"--reuid={u.pw_uid}", f"--regid={u.pw_gid}", "--clear-groups"]


def run_cli(root, stdin="", args=(), user=None, timeout=60):
    argv = (as_user(user) if user else []) + [cli_path(), "--root", root, *args]
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout)


def diff(expected, actual):
    return "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                        "expected", "actual"))


def run_transcript(path):
    with open(path) as f:
        text = f.read()
    directives = []
    while text.startswith("#! "):
        line, _, text = text.partition("\n")
        directives.append(line[3:].split(" ", 1))
    env = dict(d[1].split("=", 1) for d in directives if d[0] == "env")
    a = Appliance(env=env).start_mgd()
    holder = None
    try:
        for d in directives:
            if d[0] == "setup":
                c = a.client()
                r = configure(c, d[1])
                assert r.output == "commit complete\n", r.output
                c.close()
        for d in directives:
            if d[0] == "dirty":
                holder = a.client()
                assert not holder.configure().error
                assert not holder.edit(d[1]).error
        user = next((d[1] for d in directives if d[0] == "as"), None)
        status = int(next((d[1] for d in directives if d[0] == "status"), "0"))
        out = run_cli(a.root, inputs_of(text), user=user)
        actual = normalize(out.stdout)
        assert actual == text, f"{os.path.basename(path)}:\n{diff(text, actual)}{out.stderr}"
        assert out.returncode == status, (out.returncode, out.stderr)
        assert out.stderr == "", out.stderr
    finally:
        if holder:
            holder.close()
        a.cleanup()
