"""NETCONF test lab (reference/netconf.md section 5): a private network and
mount namespace made for the run (`unshare -n -m`), loopback up, a tmpfs
on /run for sshd's privilege-separation directory, mgd and fwdd under a
temporary root, and two sshd instances from a private configuration whose
`netconf` subsystem is the front end: port 830 advertises base:1.1
(chunked framing), port 831 base:1.0 only (end-of-message framing).
Everything started here is stopped by pid; the namespace dies with the run.
"""
import os
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration"))
from harness import Appliance, Daemon, exe  # noqa: E402
from mgdclient import wait_for  # noqa: E402

PORT11, PORT10 = 830, 831


def enter_namespace():
    """Re-run this script inside a fresh net+mount namespace (once)."""
    if os.environ.get("NC_LAB_NS") == "1":
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run"], check=True)
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        return
    env = dict(os.environ, NC_LAB_NS="1")
    os.execvpe("unshare", ["unshare", "-n", "-m", "--propagation", "private",
                           "/usr/bin/python3", os.path.abspath(sys.argv[0])] + sys.argv[1:], env)


def _accepts(port):
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


class Lab:
    def __init__(self):
        self.app = Appliance().start_mgd()
        self.fwdd = self.app.start([exe("fwdd/fwdd"), "--root", self.app.root], "fwdd")
        self.dir = tempfile.mkdtemp(prefix="nclab-", dir="/tmp")
        self.key = os.path.join(self.dir, "clientkey")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        os.path.join(self.dir, "hostkey")], check=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.key],
                       check=True)
        os.rename(self.key + ".pub", os.path.join(self.dir, "authorized_keys"))
        self.sshd = []
        for port, base in ((PORT11, "1.1"), (PORT10, "1.0")):
            conf = os.path.join(self.dir, f"sshd_config.{port}")
            with open(conf, "w") as f:
                f.write(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {self.dir}/hostkey
PidFile {self.dir}/sshd.{port}.pid
AuthorizedKeysFile {self.dir}/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem netconf {exe("mgd/netconf/netconf")} --root {self.app.root} --cli {exe("cli/cli")} --base {base}
""")
            d = Daemon(["/usr/sbin/sshd", "-D", "-e", "-f", conf],
                       os.path.join(self.dir, f"sshd.{port}.log"))
            self.sshd.append(d)
            wait_for(lambda: _accepts(port) or not d.alive(), what=f"sshd on {port}")
            assert d.alive(), open(d.log).read()
        # fwdd answers get-chassis-inventory (serial number) once registered
        wait_for(lambda: not self.app.client().command("show chassis hardware").error,
                 what="fwdd registered with mgd")

    def client(self):
        return self.app.client()

    def cleanup(self):
        for d in self.sshd:
            d.stop()
        self.app.cleanup()
        subprocess.run(["rm", "-rf", self.dir])
