"""Run the OpenSG appliance image under qemu (TCG) and drive its serial
console (docs/image.md).  Stdlib only; used by tests/images/test_image.py
and bench/image/boot-stages.

    from appliance import Appliance, AppError
    with Appliance(manifest, config="cfg.qcow2",
                   nics=[("tap", "osgns", "tap0"), ("user", "")]) as a:
        a.login("root")                         # waits for `login:`, then the CLI prompt
        out = a.cli("show version")             # the output between the command and the next prompt
        a.cli("request system power-off", confirm="yes", prompt=False)
        a.wait_exit(60)

The console is a unix socket (qemu chardev, also logged to
WORKDIR/console.log); a reader thread keeps everything the guest printed,
with the time each piece arrived, so that waits poll nothing and stage
times come out of the same stream.
"""
import os
import re
import shutil
import codecs
import signal
import socket
import subprocess
import tempfile
import threading
import time

QEMU = os.environ.get("OPENSG_QEMU", "qemu-system-x86_64")
PROMPT = r"(\S+)@(\S+)([>#]) $"


class AppError(Exception):
    pass


class Screen:
    """What a terminal shows, line by line: carriage returns, backspaces,
    cursor moves and line erasing (libedit redraws the line it edits) are
    applied; other escape sequences are dropped.  `text()` is every line
    so far, the current one last (no newline)."""

    def __init__(self):
        self.done = []  # finished lines, each with its "\n"
        self.done_len = 0
        self.line = []
        self.col = 0
        self.state, self.params = "", ""

    def length(self):
        return self.done_len + len(self.line)

    def text(self):
        return "".join(self.done) + "".join(self.line)

    def put(self, ch):
        if self.col > len(self.line):
            self.line += [" "] * (self.col - len(self.line))
        if self.col < len(self.line):
            self.line[self.col] = ch
        else:
            self.line.append(ch)
        self.col += 1

    def feed(self, s):
        for ch in s:
            if self.state == "esc":
                self.state, self.params = ("csi", "") if ch == "[" else \
                    ("charset", "") if ch in "()" else ("", "")
            elif self.state == "charset":
                self.state = ""
            elif self.state == "csi":
                if ch.isdigit() or ch in ";?":
                    self.params += ch
                    continue
                self.state = ""
                n = int(self.params.split(";")[0] or 0) if self.params[:1].isdigit() else 0
                if ch == "C":
                    self.col += max(n, 1)
                elif ch == "D":
                    self.col = max(0, self.col - max(n, 1))
                elif ch == "G":
                    self.col = max(0, n - 1)
                elif ch == "K":
                    if n == 0:
                        del self.line[self.col:]
                    elif n == 1:
                        self.line[:self.col] = [" "] * min(self.col, len(self.line))
                    else:
                        self.line = []
            elif ch == "\x1b":
                self.state = "esc"
            elif ch == "\n":
                s_line = "".join(self.line) + "\n"
                self.done.append(s_line)
                self.done_len += len(s_line)
                self.line, self.col = [], 0
            elif ch == "\r":
                self.col = 0
            elif ch == "\b":
                self.col = max(0, self.col - 1)
            elif ch == "\t":
                self.col = (self.col // 8 + 1) * 8
            elif ch >= " " and ch != "\x7f":
                self.put(ch)


class Appliance:
    """One appliance VM.

    manifest   images/imagebuild.build()'s manifest
    boot       "disk" (the single-file image, SYSLINUX; default) or
               "kernel" (-kernel vmlinux -initrd initramfs.cpio: PVH, faster)
    disk       "qcow2" (default), "raw", or a path to a disk image; with
               boot="disk" it is the first virtio disk.  An overlay is
               made for "qcow2"/"raw" (the built image is never written)
               unless snapshot=False
    config     path of the configuration disk (attached as the next
               virtio disk; qcow2 or raw by its name), or None
    nics       [("tap", ns, tapname) | ("user", hostfwd-options) | ("none",)]
               in order: fxp0, ge-0/0/0, ge-0/0/1...  Taps must exist
               (in namespace ns when ns is not None: qemu then runs there)
    no_reboot  qemu exits on a guest reboot (default True)
    rng        a virtio-rng device (default False): the guest's entropy pool
               is ready at once (rc.boot loads virtio_rng when it sees one)
    shell      a root shell on ttyS1 (development; boot="kernel" only)
    """

    def __init__(self, manifest, boot="disk", disk="qcow2", config=None, nics=(),
                 mem=512, no_reboot=True, snapshot=True, workdir=None, keep=None,
                 cmdline_extra="", name="opensg", shell=False, rng=False):
        self.m, self.boot, self.disk, self.config = manifest, boot, disk, config
        self.nics, self.mem, self.no_reboot, self.snapshot = list(nics), mem, no_reboot, snapshot
        self.cmdline_extra, self.name = cmdline_extra, name
        self.shell, self.rng = shell, rng
        self.shell_sock, self.shell_buf, self.shell_seq = None, b"", 0
        self.keep = bool(os.environ.get("OPENSG_VM_KEEP")) if keep is None else keep
        self.own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix=f"osgimg-{name}-")
        self.sock_path = os.path.join(self.workdir, "console.sock")
        self.log_path = os.path.join(self.workdir, "console.log")
        self.proc = None
        self.sock = None
        self.buf = bytearray()
        self.term = Screen()
        self.stamps = []  # (len(clean) after a chunk, monotonic time)
        self.cond = threading.Condition()
        self.reader = None
        self.t_start = None
        self.pos = 0  # where the next expect() starts
        self.prompt = None  # the last CLI prompt cli() saw

    # ------------------------------------------------------------ start

    def argv(self):
        m = self.m
        a = [QEMU, "-accel", "tcg", "-cpu", "qemu64", "-m", str(self.mem), "-smp", "1",
             "-nodefaults", "-nographic", "-name", self.name,
             "-chardev", f"socket,id=con,path={self.sock_path},server=on,wait=on,"
                         f"logfile={self.log_path}",
             "-serial", "chardev:con"]
        if self.no_reboot:
            a.append("-no-reboot")
        if self.shell:
            a += ["-chardev", f"socket,id=sh,path={self.workdir}/shell.sock,server=on,wait=off",
                  "-serial", "chardev:sh"]
        if self.rng:  # entropy at boot (docs/image.md)
            a += ["-device", "virtio-rng-pci,addr=0x3"]
        slot = 4
        if self.boot == "kernel":
            extra = self.cmdline_extra + (" osg.shell=1" if self.shell else "")
            a += ["-kernel", m["kernel"], "-initrd", m["initramfs"],
                  "-append", " ".join(filter(None, [m["cmdline"], extra.strip()]))]
        else:
            path = self.boot_disk()
            fmt = "qcow2" if path.endswith(".qcow2") else "raw"
            a += ["-drive", f"file={path},if=none,id=boot,format={fmt}",
                  "-device", f"virtio-blk-pci,drive=boot,bootindex=0,addr={slot:#x}"]
            slot += 1
        if self.config:
            fmt = "qcow2" if self.config.endswith(".qcow2") else "raw"
            a += ["-drive", f"file={self.config},if=none,id=cfg,format={fmt}",
                  "-device", f"virtio-blk-pci,drive=cfg,addr={slot:#x}"]
        for i, nic in enumerate(self.nics):
            kind = nic[0]
            if kind == "none":
                continue
            mac = "52:54:00:05:%02x:%02x" % (os.getpid() & 0xff, i)
            if kind == "tap":
                a += ["-netdev", f"tap,id=n{i},ifname={nic[2]},script=no,downscript=no"]
            elif kind == "user":
                a += ["-netdev", f"user,id=n{i}" + (f",{nic[1]}" if len(nic) > 1 and nic[1] else "")]
            else:
                raise AppError(f"unknown NIC {nic!r}")
            # no offloads: fwdd's AF_PACKET ports want complete, checksummed frames
            a += ["-device", f"virtio-net-pci,netdev=n{i},mac={mac},romfile=,addr={0x8 + i:#x},"
                             "csum=off,gso=off,host_tso4=off,host_tso6=off,host_ecn=off,"
                             "host_ufo=off,guest_csum=off,guest_tso4=off,guest_tso6=off,"
                             "guest_ecn=off,guest_ufo=off"]
        return a

    def boot_disk(self):
        if self.disk in ("qcow2", "raw"):
            base = self.m[self.disk]
            if not self.snapshot:
                return base
            overlay = os.path.join(self.workdir, "boot.qcow2")
            if not os.path.exists(overlay):
                subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F",
                                "qcow2" if self.disk == "qcow2" else "raw", "-b", base, overlay],
                               check=True)
            return overlay
        return self.disk

    def start(self):
        ns = next((n[1] for n in self.nics if n[0] == "tap" and n[1]), None)
        if shutil.which(QEMU) is None:
            raise AppError(f"{QEMU} not found (apt-get install qemu-system-x86)")
        argv = self.argv()
        if ns:
            argv = ["ip", "netns", "exec", ns] + argv
        out = open(os.path.join(self.workdir, "qemu.out"), "w")
        self.t_start = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        # wait=on: the guest starts only once the console is connected, so
        # that nothing printed is missed and the stage times are exact
        deadline = time.monotonic() + 20
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.sock_path)
                break
            except OSError:
                s.close()
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise AppError(f"qemu did not start:\n{self.qemu_output()}")
                time.sleep(0.01)
        self.sock = s
        self.t_start = time.monotonic()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        return self

    def _read(self):
        dec = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            now = time.monotonic()
            with self.cond:
                if not data:
                    self.closed = True
                    self.cond.notify_all()
                    return
                self.buf += data
                self.term.feed(dec.decode(data))
                self.stamps.append((self.term.length(), now))
                self.cond.notify_all()

    closed = False

    # ------------------------------------------------------------ console

    def qemu_output(self):
        try:
            with open(os.path.join(self.workdir, "qemu.out")) as f:
                return f.read()
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def clean(self):
        """The console as a terminal shows it (Screen)."""
        with self.cond:
            return self.term.text()

    def tail(self, n=30):
        lines = self.clean.splitlines()[-n:]
        return "\n--- console (last %d lines) ---\n%s\n---" % (len(lines), "\n".join(lines))

    def time_at(self, offset):
        """Seconds from qemu's start to the arrival of console offset."""
        for end, t in self.stamps:
            if end >= offset:
                return t - self.t_start
        return time.monotonic() - self.t_start

    def expect(self, pattern, timeout=30, start=None):
        """Wait until the console (ANSI-stripped, without \\r) matches the
        regex past `start` (default: the end of the previous match);
        returns the match.  AppError when the deadline passes or qemu
        exits first."""
        rx = re.compile(pattern, re.M)
        start = self.pos if start is None else start
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                m = rx.search(self.term.text(), start)
                if m:
                    self.pos = m.end()
                    return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AppError(f"{self.name}: no /{pattern}/ within {timeout} s{self.tail()}")
                if self.closed or not self.alive():
                    # qemu gone: nothing more can arrive
                    raise AppError(f"{self.name}: qemu exited ({self.proc.poll()}) before "
                                   f"/{pattern}/\n{self.qemu_output()}{self.tail()}")
                self.cond.wait(min(left, 0.5))

    def send(self, text):
        self.sock.sendall(text.encode() if isinstance(text, str) else text)

    # ------------------------------------------------------------ session

    def login(self, user="root", password=None, timeout=120):
        """At a `login:` prompt: log in and wait for the CLI prompt; returns
        (seconds to the login prompt, seconds from the user name to the CLI
        prompt), both on qemu's clock."""
        m = self.expect(r"^login: $", timeout)
        t_login = self.time_at(m.end())
        t0 = time.monotonic()
        self.send(user + "\n")
        if password is not None:
            self.expect(r"Password:$", 30)
            self.send(password + "\n")
        m = self.expect(rf"^{re.escape(user)}@\S+> $", 60)
        t_cli = self.time_at(m.end()) - (t0 - self.t_start)
        return t_login, t_cli

    def cli(self, line, timeout=60, confirm=None, prompt=True):
        """Type a CLI line; return what it printed up to the next prompt
        (operational `user@host> ` or configuration `user@host# `).
        `confirm`: the answer to a `[yes,no]` question."""
        with self.cond:
            line_start = self.term.done_len  # the prompt's line
        self.send(line + "\n")
        # the output starts after the line the command was typed on (not
        # its echo: libedit redraws the line while completing words, and
        # the picture is not always the text typed)
        self.expect(r"\n", timeout, start=line_start)
        body_start = self.pos
        if confirm is not None:
            self.expect(r"\[yes,no\] \(\w+\) $", timeout)
            self.send(confirm + "\n")
        if not prompt:
            return None
        m = self.expect(r"^" + PROMPT, timeout)
        self.prompt = m.group(0)
        out = self.clean[body_start:m.start()].strip("\n").split("\n")
        # a line typed ahead of libedit's raw mode is echoed by the tty and
        # then drawn again by libedit: drop that second copy
        if out and out[0].split() == line.split():
            out = out[1:]
        return "\n".join(out)

    def load(self, text, how="override", timeout=60):
        """In configuration mode: `load HOW terminal`, type `text` after
        the CLI's `[Type ^D ...]`, then Ctrl-D at a new line; returns what
        the CLI printed after the input, up to the next prompt."""
        with self.cond:
            line_start = self.term.done_len
        self.send(f"load {how} terminal\n")
        banner = self.expect(r"\[Type \^D at a new line to end input\]$", timeout,
                             start=line_start).end()
        self.send(text if text.endswith("\n") else text + "\n")
        self.send("\x04")
        m = self.expect(r"^" + PROMPT, timeout)
        self.prompt = m.group(0)
        out = self.clean[banner:m.start()].strip("\n").split("\n")
        # the terminal echoed the text as it was typed: what follows is the CLI's
        typed = text.rstrip("\n").split("\n")
        if [ln.rstrip() for ln in out[:len(typed)]] == [ln.rstrip() for ln in typed]:
            out = out[len(typed):]
        return "\n".join(out)

    def problems(self):
        """Console lines that tell of a module, disk or daemon failure at
        boot (rc.boot's `opensg: ...` complaints, a panic, a daemon that
        exited)."""
        return [ln for ln in self.clean.splitlines()
                if re.search(r"opensg: (insmod .* failed|.* did not start|cannot mount|mke2fs)",
                             ln) or "Kernel panic" in ln or "exited (status" in ln]

    def sh(self, command, timeout=30):
        """Run shell text in the guest through the development shell on
        ttyS1 (shell=True, boot="kernel": osg.shell=1); returns
        (status, output)."""
        if self.shell_sock is None:
            self.shell_sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.shell_sock.connect(os.path.join(self.workdir, "shell.sock"))
        self.shell_seq += 1
        n = self.shell_seq
        # the markers are split in the command so that its echo never matches
        self.shell_sock.sendall(f'echo "OSG""B{n}"; {{ {command}\n}} 2>&1; '
                                f'echo "OSG""E{n} $?"\n'.encode())
        rx = re.compile(rf"^OSGB{n}\n(.*?)^OSGE{n} (\d+)$".encode(), re.S | re.M)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.shell_buf.replace(b"\r", b""))
            if m:
                self.shell_buf = b""
                return int(m.group(2)), m.group(1).decode(errors="replace")
            left = deadline - time.monotonic()
            if left <= 0:
                raise AppError(f"no answer from the shell to {command!r}: {self.shell_buf!r}")
            self.shell_sock.settimeout(min(left, 0.5))
            try:
                data = self.shell_sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise AppError("shell connection closed")
            self.shell_buf += data

    # ------------------------------------------------------------ stop

    def wait_exit(self, timeout=60):
        """Wait for qemu to exit (the guest powered off); its status."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AppError(f"{self.name}: qemu still running after {timeout} s{self.tail()}") \
                from None

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
            except ProcessLookupError:
                pass
        if self.shell_sock is not None:
            self.shell_sock.close()
            self.shell_sock = None
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None
        if self.own_workdir and not self.keep and os.path.isdir(self.workdir):
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start() if self.proc is None else self

    def __exit__(self, *exc):
        self.stop()
        return False
