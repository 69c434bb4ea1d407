"""A qemu guest running Debian's stock kernel, for tests that need a real
Linux IPsec peer (the host kernel has no ESP).  Stdlib only; run as root.

    from guest import Guest
    with Guest(ns="osgwan", tap="tap0", addr="198.18.0.2/24", gw="198.18.0.1",
               lan="10.9.9.1/24", host_addr="198.18.0.1/24") as g:
        g.run("ip xfrm state add ...")          # through the command agent
        out = g.run("ping -c 1 10.8.8.1", check=False)

The test owns the network namespace `ns`; Guest creates the tap `tap` in
it (with `host_addr` on it, or enslaved to the bridge `bridge` of that
namespace), runs qemu inside it, and removes the tap and stops qemu (by
pid) on stop()/exit, even after a failure.  docs/vm-guest.md has the
details: kernel command line (osg.*), the overlay, the agent protocol,
timings.
"""
import base64
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import vmbuild  # noqa: E402

QEMU = os.environ.get("OPENSG_QEMU", "qemu-system-x86_64")
CLONE_NEWNET = 0x40000000


class GuestError(Exception):
    pass


def sh(*argv, check=True, timeout=30):
    r = subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise GuestError(f"{' '.join(argv)}: {r.stdout.strip()}")
    return r


def image(force=False):
    """The cached guest image's manifest (builds it the first time)."""
    try:
        return vmbuild.build(force=force)
    except RuntimeError as e:
        raise GuestError(str(e)) from None


def in_netns(ns, fn, *args):
    """Call fn(*args) in a thread that has entered network namespace `ns`;
    return its result.  Sockets made there stay in that namespace."""
    box = {}

    def body():
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns {ns}")
            finally:
                os.close(fd)
            box["r"] = fn(*args)
        except BaseException as e:  # re-raised in the caller
            box["e"] = e

    t = threading.Thread(target=body)
    t.start()
    t.join()
    if "e" in box:
        raise box["e"]
    return box["r"]


def netns_socket(ns, family, type_, proto=0, bind=None):
    """A socket created (and bound, if `bind` is given) inside `ns`."""
    def make():
        s = socket.socket(family, type_, proto)
        if bind is not None:
            s.bind(bind)
        return s
    return in_netns(ns, make)


class Result:
    def __init__(self, rc, out):
        self.rc, self.out = rc, out

    def __repr__(self):
        return f"Result(rc={self.rc}, out={self.out!r})"


class Guest:
    """One qemu guest.  Arguments:

    ns, tap        namespace (must exist) and name of the tap made in it
    addr, gw       eth0's address(es) (str or list, IPv4 and/or IPv6) and
                   default gateway (gw6 for IPv6) -> osg.addr / osg.gw
    lan            address(es) on the dummy interface `osglan` (osg.lan)
    host_addr      address(es) for the tap on the host side, or
    bridge         a bridge in `ns` to enslave the tap to
    script         shell text run by /init after the network is up
                   (/osg/script); the guest powers off when it ends and
                   wait_exit() returns its exit status.  Without a script
                   the guest runs until stop() (use run() to drive it).
    files          {guest path: bytes | str | ("host", path)} added to the
                   initramfs overlay (("tree", dir) copies a directory)
    binaries       host binaries copied with their ldd closure
                   ([path] or {guest path: host path})
    modules        extra modules to modprobe at boot (osg.mods)
    share          host directory shared over virtio-9p at /mnt/host
    cmdline_extra  more kernel command line
    agent          start the command agent on ttyS1 (run(), put(), get())
    offload        False (default): the virtio NIC has no checksum/TSO
                   offloads, so frames on the tap are complete and
                   checksummed (what fwdd's AF_PACKET ports expect)
    mem, mac, mtu, name, workdir, keep (keep workdir after stop)
    """

    def __init__(self, ns, tap="osgtap0", addr=None, gw=None, gw6=None, lan=None,
                 host_addr=None, bridge=None, script=None, files=None, binaries=None,
                 modules=None, share=None, cmdline_extra="", agent=True, offload=False,
                 mem=256, mac=None, mtu=None, name="guest", workdir=None, keep=None):
        self.ns, self.tap, self.name = ns, tap, name
        self.addr = [addr] if isinstance(addr, str) else list(addr or [])
        self.lan = [lan] if isinstance(lan, str) else list(lan or [])
        self.host_addr = [host_addr] if isinstance(host_addr, str) else list(host_addr or [])
        self.gw, self.gw6, self.bridge = gw, gw6, bridge
        self.script, self.files, self.binaries = script, dict(files or {}), binaries or []
        self.modules, self.share, self.cmdline_extra = modules or [], share, cmdline_extra
        self.agent, self.offload, self.mem, self.mtu = agent, offload, mem, mtu
        self.mac = mac or "52:54:00:%02x:%02x:%02x" % tuple(os.urandom(3))
        self.nonce = os.urandom(4).hex()
        self.keep = bool(os.environ.get("OPENSG_VM_KEEP")) if keep is None else keep
        self.own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix=f"osgvm-{name}-")
        os.makedirs(self.workdir, exist_ok=True)
        self.log = os.path.join(self.workdir, "console.log")
        self.sock_path = os.path.join(self.workdir, "agent.sock")
        self.proc = None
        self.tap_made = False
        self.sock = None
        self.rbuf = b""
        self.seq = 0
        self.exit_rc = None
        self.timings = {}
        self.manifest = None

    # ------------------------------------------------------------ start

    def cmdline(self):
        words = ["console=ttyS0", "panic=-1", "quiet", f"osg.nonce={self.nonce}"]
        if self.addr:
            words.append("osg.addr=" + ",".join(self.addr))
        if self.gw:
            words.append(f"osg.gw={self.gw}")
        if self.gw6:
            words.append(f"osg.gw6={self.gw6}")
        if self.lan:
            words.append("osg.lan=" + ",".join(self.lan))
        if self.mtu:
            words.append(f"osg.mtu={self.mtu}")
        if self.modules:
            words.append("osg.mods=" + ",".join(self.modules))
        if self.agent:
            words.append("osg.agent=1")
        if self.share:
            words.append("osg.share=host")
        if self.cmdline_extra:
            words.append(self.cmdline_extra)
        return " ".join(words)

    def _overlay(self):
        c = vmbuild.Cpio()
        if self.script is not None:
            c.file("/osg/script", self.script, 0o755)
        for path, data in self.files.items():
            if isinstance(data, tuple) and data[0] == "host":
                c.copy(path, data[1])
            elif isinstance(data, tuple) and data[0] == "tree":
                c.tree(path, data[1])
            else:
                raw = data.encode() if isinstance(data, str) else bytes(data)
                c.file(path, raw, 0o755 if raw.startswith(b"#!") else 0o644)
        bins = self.binaries.items() if isinstance(self.binaries, dict) else \
            [(p, p) for p in self.binaries]
        for guest_path, host_path in bins:
            vmbuild.add_binary(c, guest_path, host_path)
        return c.finish()

    def _qemu_argv(self, initrd):
        m = self.manifest
        nic = f"virtio-net-pci,netdev=n0,mac={self.mac},romfile="
        if not self.offload:
            nic += "".join(f",{f}=off" for f in (
                "csum", "gso", "host_tso4", "host_tso6", "host_ecn", "host_ufo",
                "guest_csum", "guest_tso4", "guest_tso6", "guest_ecn", "guest_ufo"))
        argv = [QEMU, "-accel", "tcg", "-cpu", "qemu64", "-m", str(self.mem), "-smp", "1",
                "-nodefaults", "-nographic", "-no-reboot",
                "-kernel", m["bzimage"] if os.environ.get("OPENSG_VM_PVH") == "0" else m["kernel"],
                "-initrd", initrd, "-append", self.cmdline(),
                "-chardev", f"file,id=con,path={self.log}", "-serial", "chardev:con",
                "-netdev", f"tap,id=n0,ifname={self.tap},script=no,downscript=no",
                "-device", nic]
        if self.agent:
            argv += ["-chardev", f"socket,id=agent,path={self.sock_path},server=on,wait=off",
                     "-serial", "chardev:agent"]
        if self.share:
            argv += ["-fsdev", f"local,id=fs0,path={self.share},security_model=none",
                     "-device", "virtio-9p-pci,fsdev=fs0,mount_tag=host"]
        return argv

    def start(self, timeout=60):
        """Create the tap, boot, wait for the READY marker (network up,
        modules loaded).  Raises GuestError (after cleaning up) on failure."""
        t0 = time.monotonic()
        try:
            if shutil.which(QEMU) is None:
                raise GuestError(f"{QEMU} not found (apt-get install qemu-system-x86)")
            self.manifest = image()
            t1 = time.monotonic()
            initrd = os.path.join(self.workdir, "initrd.cpio")
            with open(initrd, "wb") as f, open(self.manifest["initramfs"], "rb") as base:
                shutil.copyfileobj(base, f)
                f.write(self._overlay())
            sh("ip", "-n", self.ns, "tuntap", "add", "dev", self.tap, "mode", "tap")
            self.tap_made = True
            if self.mtu:
                sh("ip", "-n", self.ns, "link", "set", self.tap, "mtu", str(self.mtu))
            for a in self.host_addr:
                sh("ip", "-n", self.ns, "addr", "add", a, "dev", self.tap,
                   *(["nodad"] if ":" in a else []))
            if self.bridge:
                sh("ip", "-n", self.ns, "link", "set", self.tap, "master", self.bridge)
            sh("ip", "-n", self.ns, "link", "set", self.tap, "up")
            open(self.log, "w").close()
            out = open(os.path.join(self.workdir, "qemu.out"), "w")
            self.proc = subprocess.Popen(
                ["ip", "netns", "exec", self.ns] + self._qemu_argv(initrd),
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
            out.close()
            self.wait_for(rf"^OSG-READY-{self.nonce}\b", timeout)
            self.timings = {"image": round(t1 - t0, 2), "boot": round(time.monotonic() - t1, 2)}
            return self
        except BaseException:
            self.stop()
            raise

    # ------------------------------------------------------------ console

    @property
    def console(self):
        """Everything the guest wrote on its console (ttyS0) so far."""
        try:
            with open(self.log, "rb") as f:
                return f.read().decode(errors="replace").replace("\r", "")
        except OSError:
            return ""

    def qemu_output(self):
        try:
            with open(os.path.join(self.workdir, "qemu.out")) as f:
                return f.read()
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_for(self, pattern, timeout=30, start=0):
        """Wait until the console matches `pattern` (a regex, multiline)
        past offset `start`; return the match.  Raises GuestError when the
        deadline passes or qemu exits first."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        delay = 0.02
        while True:
            text = self.console
            m = rx.search(text, start)
            if m:
                return m
            if not self.alive():
                raise GuestError(f"{self.name}: qemu exited ({self.proc and self.proc.poll()}) "
                                 f"before /{pattern}/\n{self.qemu_output()}{self.tail()}")
            if time.monotonic() > deadline:
                raise GuestError(f"{self.name}: no /{pattern}/ within {timeout} s{self.tail()}")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.2)

    def tail(self, n=40):
        lines = self.console.splitlines()[-n:]
        return "\n--- console (last %d lines) ---\n%s\n---" % (len(lines), "\n".join(lines))

    def wait_exit(self, timeout=60):
        """Wait for the script's exit marker and for qemu to exit; return
        the script's exit status."""
        m = self.wait_for(rf"^OSG-EXIT-{self.nonce} rc=(\d+)", timeout)
        self.exit_rc = int(m.group(1))
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        return self.exit_rc

    # ------------------------------------------------------------ agent

    def _connect(self, timeout=10):
        if self.sock is not None:
            return
        if not self.agent:
            raise GuestError("the guest was started with agent=False")
        deadline = time.monotonic() + timeout
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.sock_path)
                self.sock = s
                return
            except OSError:
                s.close()
                if time.monotonic() > deadline or not self.alive():
                    raise GuestError(f"{self.name}: agent socket {self.sock_path} not there")
                time.sleep(0.05)

    def _readline(self, deadline):
        while b"\n" not in self.rbuf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self.sock.settimeout(min(left, 0.5))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                if not self.alive():
                    raise GuestError(f"{self.name}: qemu exited{self.tail()}") from None
                continue
            if not data:
                raise GuestError(f"{self.name}: agent connection closed{self.tail()}")
            self.rbuf += data
        line, self.rbuf = self.rbuf.split(b"\n", 1)
        return line.decode(errors="replace").strip("\r")

    def run(self, command, timeout=30, check=True):
        """Run shell text (dash, in the guest's /) with stdout+stderr
        captured; return Result(rc, out).  The guest kills the command
        after `timeout` s (rc 143); check=True raises GuestError on rc != 0.
        Background jobs (`cmd >/tmp/log 2>&1 &`) keep running."""
        self._connect()
        self.seq += 1
        rid = f"{self.nonce}{self.seq}"
        b64 = base64.b64encode(command.encode()).decode()
        self.sock.sendall(f"{rid} {int(timeout)} {b64}\n".encode())
        deadline = time.monotonic() + timeout + 10
        rc, chunks = None, None
        try:
            while True:
                line = self._readline(deadline)
                w = line.split()
                if len(w) == 3 and w[0] == "OSG-R" and w[1] == rid:
                    rc, chunks = int(w[2]), []
                elif len(w) == 2 and w[0] == "OSG-E" and w[1] == rid and chunks is not None:
                    break
                elif chunks is not None:
                    chunks.append(line.strip())
        except TimeoutError:
            raise GuestError(f"{self.name}: no answer to {command!r} within {timeout} s"
                             f"{self.tail()}") from None
        out = base64.b64decode("".join(chunks)).decode(errors="replace")
        if check and rc != 0:
            raise GuestError(f"{self.name}: {command!r} exited {rc}:\n{out}")
        return Result(rc, out)

    def spawn(self, command, log=None):
        """Start a long-running command in the background (output to
        `log`, default /tmp/spawn-N.log); return its pid in the guest."""
        self.seq += 1
        log = log or f"/tmp/spawn-{self.seq}.log"
        return int(self.run(f"{command} >{log} 2>&1 </dev/null &\necho $!").out.split()[-1])

    def poll(self, command, pattern, timeout=30, interval=0.5):
        """Run `command` until its output matches the regex `pattern`;
        return the match (GuestError with the last output at the deadline)."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while True:
            r = self.run(command, timeout=max(5, int(timeout)), check=False)
            m = rx.search(r.out)
            if m:
                return m
            if time.monotonic() > deadline:
                raise GuestError(f"{self.name}: /{pattern}/ not in the output of {command!r} "
                                 f"within {timeout} s; last output:\n{r.out}")
            time.sleep(interval)

    def put(self, path, data, mode=None):
        """Write bytes/str to a file in the guest (through the agent; fine
        for kilobytes, use files= or share= for more)."""
        if isinstance(data, str):
            data = data.encode()
        b64 = base64.encodebytes(data).decode()
        cmd = f"mkdir -p '{os.path.dirname(path) or '/'}' && base64 -d > '{path}' <<'OSGEOF'\n" \
              f"{b64}OSGEOF\n"
        if mode is not None:
            cmd += f"chmod {mode:o} '{path}'\n"
        self.run(cmd)

    def get(self, path):
        """A file of the guest, as bytes."""
        r = self.run(f"base64 '{path}'")
        return base64.b64decode(r.out)

    # ------------------------------------------------------------ stop

    def stop(self):
        """Stop qemu (SIGTERM, then SIGKILL, by pid), delete the tap and the
        work directory (unless keep).  Safe to call more than once."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
            except ProcessLookupError:
                pass
        if self.tap_made:
            sh("ip", "-n", self.ns, "link", "del", self.tap, check=False)
            self.tap_made = False
        if self.own_workdir and not self.keep and os.path.isdir(self.workdir):
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start() if self.proc is None else self

    def __exit__(self, *exc):
        self.stop()
        return False


if __name__ == "__main__":  # tests/vm/guest.py: build and print the manifest
    print(json.dumps(image(force="--force" in sys.argv), indent=1))
