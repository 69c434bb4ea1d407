#!/usr/bin/env python3
"""NETCONF over SSH to the booted appliance image (images/, docs/image.md,
docs/netconf.md): ncclient through a qemu port forward.

  host 127.0.0.1:P830  --slirp hostfwd-->  fxp0 10.0.2.15:830   sshd (netconf)
  host 127.0.0.1:P1830 --slirp hostfwd-->  fxp0 10.0.2.15:1830

1. the image (images/imagebuild.build(): built once, shared with the other
   `image` tests through its input hash and lock);
2. boot the qcow2 image (overlay) with a blank configuration disk, fxp0 on
   qemu's user-mode network with the two forwards; root logs in on the
   console; host name vm1, fxp0 10.0.2.15/24, a super-user `nc` with a
   password ($6$ from `openssl passwd -6`) and a super-user `nckey` with
   only an SSH key (`ssh-ed25519`, a throwaway key made by ssh-keygen in
   the test's temporary directory), commit: fxp0 answers, but 830 is
   closed (no `system services netconf` yet);
3. `set system services netconf ssh`, commit: sshd's banner comes
   through the forward;
4. a wrong password and root (no password configured) are refused;
   nckey logs in with its key (ncclient key_filename: sshd reads
   /etc/ssh/authorized_keys/nckey, written from the configuration) and
   gets the configuration, but not with a password, and nc's login does
   not take nckey's key;
5. ncclient (Junos device handler) as nc: the Junos capability,
   get-config (host name vm1), lock, load-configuration (text and set),
   commit; while the session holds the lock the console's `show system
   users` lists nc on tty netconf from 10.0.2.2 (slirp's host), doing
   `configure`; unlock, close; on the console `show configuration` has
   the changes and `show system commit` says `by nc via netconf`;
6. with a session open on 830, `set system services netconf ssh port
   1830`, commit: 830 closes, 1830 serves NETCONF, the open session still
   answers; `delete system services netconf`, commit: sshd stops;
7. `request system power-off`: qemu exits 0; the host key ncclient saw is
   the one on the configuration disk (ROOT/ssh, read with debugfs), so the
   fingerprint survives reboots; no daemon restarts or complaints on the
   console; sshd's logs on the disk show that the NETCONF commit did not
   restart it, accepted nckey's public key, and hold no password.

Prints `N passed, M failed`; qemu is stopped whatever happens (SIGTERM
included).  qemu-system-x86, python3-ncclient (/usr/bin/python3),
e2fsprogs (debugfs), openssl; no root needed (user-mode networking).
"""
import os
import re
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, os.path.join(SRC, "images"))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
import imagetest  # noqa: E402
from appliance import Appliance  # noqa: E402
from mgdclient import wait_for  # noqa: E402

from ncclient import manager  # noqa: E402
from ncclient.transport.errors import AuthenticationError  # noqa: E402

USER, PASSWORD = "nc", "Netconf-test1"
KEY_USER = "nckey"  # a second user that logs in with an SSH key only
GUEST_FXP = "10.0.2.15"
SLIRP_HOST = "10.0.2.2"  # where forwarded connections come from in the guest

S = {}  # state shared by the steps: manifest, ports, appliance, host key


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def banner(port):
    """What the forwarded port says first: sshd's banner; b"" when the
    guest refuses (slirp accepts on the host, then closes); None when
    nothing comes within 10 s."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            return s.recv(64)
    except socket.timeout:
        return None
    except OSError:
        return b""


def serves_ssh(port):
    return (banner(port) or b"").startswith(b"SSH-2.0-")


def connect(port, user=USER, password=PASSWORD, key=None):
    return manager.connect(host="127.0.0.1", port=port, username=user, password=password,
                           key_filename=key, hostkey_verify=False, allow_agent=False,
                           look_for_keys=False, device_params={"name": "junos"}, timeout=120)


def configure(*lines):
    """Configuration mode on the console: the lines, commit, exit."""
    a = S["app"]
    check("Entering configuration mode" in a.cli("configure"), "configure")
    for line in lines:
        out = a.cli(line)
        check("error" not in out, f"{line}:\n{out}")
    out = a.cli("commit", timeout=90)
    check("commit complete" in out, f"commit:\n{out}")
    a.cli("exit")


# ---------------------------------------------------------------- steps


def test_image():
    S["m"] = imagetest.build()


def test_boot_and_configure_without_netconf():
    cfg = S["cfg"] = imagetest.blank_config(S["work"])
    p830, p1830 = S["p830"], S["p1830"] = free_port(), free_port()
    fwd = f"hostfwd=tcp:127.0.0.1:{p830}-:830,hostfwd=tcp:127.0.0.1:{p1830}-:1830"
    a = S["app"] = Appliance(S["m"], boot="disk", disk="qcow2", config=cfg, name="netconf",
                             rng=True, nics=[("user", fwd)])
    a.start()
    t_login, _ = a.login("root", timeout=150)
    check(not a.problems(), "boot problems on the console:\n" + "\n".join(a.problems()))
    print(f"     login prompt {t_login:.1f} s after qemu started; 830 -> {p830}, "
          f"1830 -> {p1830}", flush=True)
    h = subprocess.run(["openssl", "passwd", "-6", "-salt", "osgnc123", PASSWORD],
                       capture_output=True, text=True, check=True).stdout.strip()
    key = S["key"] = os.path.join(S["work"], "nckey")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "nckey@test", "-f",
                    key], check=True)
    with open(key + ".pub") as f:
        pub = f.read().strip()
    configure("set system host-name vm1",
              f"set interfaces fxp0 unit 0 family inet address {GUEST_FXP}/24",
              f"set system login user {USER} class super-user",
              f'set system login user {USER} authentication encrypted-password "{h}"',
              f"set system login user {KEY_USER} class super-user",
              f'set system login user {KEY_USER} authentication ssh-ed25519 "{pub}"')
    check(a.prompt == "root@vm1> ", f"prompt after the commit: {a.prompt!r}")
    # fxp0 has its address (the guest's kernel answers): 830 is closed
    wait_for(lambda: banner(p830) is not None, timeout=30, what="fxp0 answering")
    check(banner(p830) == b"", "something answers on 830 without system services netconf")


def test_configure_netconf_on_the_console():
    configure("set system services netconf ssh")
    # the commit hook writes the accounts, makes the host keys, starts sshd
    wait_for(lambda: serves_ssh(S["p830"]), timeout=60, what="sshd's banner through the forward")
    print(f"     {banner(S['p830']).strip().decode()}", flush=True)


def test_wrong_password_and_root_refused():
    for user, password in ((USER, PASSWORD + "x"), ("root", ""), ("root", PASSWORD)):
        try:
            connect(S["p830"], user, password).close_session()
        except AuthenticationError:
            continue
        raise AssertionError(f"{user} logged in with {password!r}")


def test_key_login():
    with connect(S["p830"], KEY_USER, None, key=S["key"]) as m:
        check(host_name(m) == "vm1", "get-config over a key login")
    for user, password, key in ((KEY_USER, "", None), (KEY_USER, PASSWORD, None),
                                (USER, None, S["key"])):
        try:
            connect(S["p830"], user, password, key=key).close_session()
        except AuthenticationError:
            continue
        raise AssertionError(f"{user} logged in with password {password!r}, key {key}")


def test_ncclient_session():
    a = S["app"]
    with connect(S["p830"]) as m:
        check("http://xml.juniper.net/netconf/junos/1.0" in m.server_capabilities,
              list(m.server_capabilities))
        key = m._session._transport.get_remote_server_key()
        S["hostkey"] = (key.get_name(), key.get_base64())
        conf = m.get_config("running")
        names = conf.xpath("//configuration/system/host-name")
        check(names and names[0].text == "vm1", conf)
        m.lock("candidate")
        m.load_configuration(format="text", config="system { host-name vm2; }")
        m.load_configuration(action="set", config=[
            f'set system login user {USER} full-name "NETCONF through qemu"'])
        m.commit()
        out = a.cli("show system users")
        print("     " + "\n     ".join(out.splitlines()), flush=True)
        check(re.search(rf"^{USER}\s+netconf\s+{re.escape(SLIRP_HOST)}\s.*\sconfigure$", out,
                        re.M), f"no netconf session of {USER} in show system users:\n{out}")
        m.unlock("candidate")
    out = a.cli("show configuration system host-name")
    check(out.strip() == "host-name vm2;", out)
    out = a.cli(f"show configuration system login user {USER} full-name")
    check('full-name "NETCONF through qemu";' in out, out)
    out = a.cli("show system commit")
    first = out.strip().splitlines()[0]
    check(re.search(rf"^0\s.* by {USER} via netconf$", first), f"show system commit:\n{out}")


def host_name(m):
    names = m.get_config("running").xpath("//configuration/system/host-name")
    return names[0].text if names else None


def test_port_change_and_removal():
    p830, p1830 = S["p830"], S["p1830"]
    with connect(p830) as old:
        configure("set system services netconf ssh port 1830")
        wait_for(lambda: serves_ssh(p1830), timeout=60, what="sshd on 1830")
        check(banner(p830) == b"", "830 still open after the port moved to 1830")
        # sshd's restart ended its listener only
        check(host_name(old) == "vm2", "the session opened on 830")
    with connect(p1830) as m:
        check(host_name(m) == "vm2", "a session on 1830")
    configure("delete system services netconf")
    wait_for(lambda: banner(p1830) == b"", timeout=60, what="sshd stopping")
    check(banner(p830) == b"", "830 open without system services netconf")


def test_power_off_host_key_on_the_disk():
    a = S["app"]
    a.cli("request system power-off", confirm="yes", prompt=False)
    check(a.wait_exit(90) == 0, "qemu exit status")
    bad = [ln for ln in a.clean.splitlines()
           if "exited (status" in ln or "opensg: netconf:" in ln or "cannot write" in ln]
    check(not bad, "on the console:\n" + "\n".join(bad))
    kind, b64 = S["hostkey"]
    name = {"ssh-ed25519": "ed25519", "ecdsa-sha2-nistp256": "ecdsa"}.get(kind)
    check(name, f"host key type {kind}")
    r = subprocess.run(["debugfs", "-R", f"cat /ssh/ssh_host_{name}_key.pub", S["cfg"]],
                       capture_output=True, text=True)
    words = r.stdout.split()
    check(words[:2] == [kind, b64], f"ncclient saw {kind} {b64}; on the disk:\n{r.stdout}")
    logs = {n: subprocess.run(["debugfs", "-R", f"cat /log/{n}", S["cfg"]], capture_output=True,
                              text=True).stdout for n in ("sshd.log.0", "sshd.log")}
    check(all(PASSWORD not in t for t in logs.values()), "the password is in sshd's log")
    # sshd.log.0 is the sshd on 830 (the port change restarted it): one
    # instance from the refused logins to the session kept across the
    # port change, so the NETCONF commit in between did not restart it
    old = logs["sshd.log.0"]
    check(old.count("Server listening on 10.0.2.15 port 830") == 1 and
          f"Failed password for {USER}" in old and
          old.count(f"Accepted password for {USER} from {SLIRP_HOST}") == 2 and
          f"Accepted publickey for {KEY_USER} from {SLIRP_HOST}" in old,
          f"sshd.log.0:\n{old}")
    check("Server listening on 10.0.2.15 port 1830" in logs["sshd.log"], logs["sshd.log"])


STEPS = [test_image, test_boot_and_configure_without_netconf,
         test_configure_netconf_on_the_console, test_wrong_password_and_root_refused,
         test_key_login, test_ncclient_session, test_port_change_and_removal,
         test_power_off_host_key_on_the_disk]
NEEDED = STEPS[:3]  # a failure there stops the run


def diagnostics():
    if "cfg" in S:
        for name in ("sshd.log", "sshd.log.0", "mgd.log"):
            r = subprocess.run(["debugfs", "-R", f"cat /log/{name}", S["cfg"]],
                               capture_output=True, text=True)
            print(f"--- {name} (end) ---\n{r.stdout[-3000:]}", flush=True)


def main():
    return imagetest.main(S, STEPS, NEEDED, "netconf",
                          teardown=lambda failed: failed and diagnostics())


if __name__ == "__main__":
    sys.exit(main())
