#!/usr/bin/env python3
"""The README's first command, images/run-local, as a user runs it: mgd,
fwdd and kmd started with docs/examples/sg1.conf, the namespace lab with
its strongSwan peer SG2 (which initiates), and the CLI, here fed from a
pipe.  Checks that SG2's tunnel is up (the CLI's IKE and IPsec SA shows)
and that quitting the CLI stops
everything and removes the lab's namespaces.  Then on a terminal (tmux):
Ctrl-C at the CLI's prompt reaches the CLI only (the daemons run in
sessions of their own), so the next command is still answered.  The namespaces carry a
prefix unique to the run (OPENSG_LAB_PREFIX); the build is the test's
(OPENSG_BUILD)."""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
sys.path.insert(0, os.path.join(SRC, "tests", "cli"))
from harness import run  # noqa: E402
from test_tmux import Tmux  # noqa: E402

COMMANDS = """show services ipsec-vpn ike security-associations
show services ipsec-vpn ipsec security-associations
exit
"""


def namespaces():
    return subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE, text=True).stdout


def charon_log(root):
    path = os.path.join(root, "sg2", "charon.out")
    return open(path).read() if os.path.exists(path) else "(no charon.out: charon did not start)"


def test_run_local():
    if os.geteuid() != 0 or not os.path.exists("/usr/lib/ipsec/charon"):
        print("needs root and strongSwan (tests/deps.txt)")
        sys.exit(1)
    prefix = "osgrl%x" % (os.getpid() % 0xFFFF)
    root = tempfile.mkdtemp(prefix="osg-run-local-", dir="/tmp")
    env = dict(os.environ, OPENSG_LAB_PREFIX=prefix)
    try:
        r = subprocess.run([os.path.join(SRC, "images", "run-local"), root], input=COMMANDS,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                           timeout=300)
        out = r.stdout
        assert r.returncode == 0, out
        assert f"lab: SG2 (strongSwan, netns {prefix}-sg2, 198.51.100.7) has a tunnel" in out, \
            out + "\n--- charon ---\n" + charon_log(root)
        ike = out.split("show services ipsec-vpn ike security-associations", 1)[1]
        assert "198.51.100.7" in ike and "Matured" in ike, out
        ipsec = out.split("show services ipsec-vpn ipsec security-associations", 1)[1]
        assert "Remote gateway: 198.51.100.7" in ipsec and "inbound" in ipsec, out
        left = [n for n in namespaces().split() if n.startswith(prefix)]
        assert not left, left
    finally:
        for ns in namespaces().split():
            if ns.startswith(prefix + "-"):
                subprocess.run(["ip", "netns", "del", ns])
        shutil.rmtree(root, ignore_errors=True)


def test_ctrl_c_reaches_the_cli_only():
    prefix = "osgrc%x" % (os.getpid() % 0xFFFF)
    root = tempfile.mkdtemp(prefix="osg-run-local-", dir="/tmp")
    env = ["env", f"OPENSG_LAB_PREFIX={prefix}"]
    if os.environ.get("OPENSG_BUILD"):
        env.append("OPENSG_BUILD=" + os.environ["OPENSG_BUILD"])
    t = Tmux(env + [os.path.join(SRC, "images", "run-local"), root], width=150, height=50)
    try:
        t.wait(r"^root@sg1> $", "the CLI's prompt")
        t.keys("C-c")
        t.type("show services ipsec-vpn ike security-associations")
        t.keys("Enter")
        s = t.wait(r"^198\.51\.100\.7 +Matured [^\n]*\n+root@sg1> $", "the IKE SA")
        assert "lost the connection" not in s, s
        t.type("exit")
        t.keys("Enter")
        t.wait(r"^\[cli exited 0\]$")
        left = [n for n in namespaces().split() if n.startswith(prefix)]
        assert not left, left
    finally:
        t.close()
        for ns in namespaces().split():
            if ns.startswith(prefix + "-"):
                subprocess.run(["ip", "netns", "del", ns])
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(run([test_run_local, test_ctrl_c_reaches_the_cli_only]))
