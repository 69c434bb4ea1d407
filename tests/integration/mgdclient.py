"""A small client of mgd's socket for the integration tests: framed
messages (lib/ipc.h) carrying XML RPCs, as the CLI sends them."""
import os
import socket
import struct
import time
import xml.etree.ElementTree as ET

MAGIC = 0x4F534731
RPC, REPLY, CHUNK, CANCEL = 1, 2, 3, 4
F_ERROR = 1
HDR = struct.Struct("=IHHII")


def esc(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


class Reply:
    def __init__(self, flags, payload, chunks):
        self.error = bool(flags & F_ERROR)
        self.raw = payload
        self.chunks = chunks
        self.xml = ET.fromstring(payload) if payload.strip() else None

    def find(self, tag):
        return self.xml.find(".//" + tag) if self.xml is not None else None

    def text(self, tag):
        e = self.find(tag)
        return (e.text or "") if e is not None else None

    @property
    def output(self):
        out = self.text("output") or ""
        err = self.find("{http://xml.juniper.net/xnm/1.1/xnm}error")
        if err is not None:
            out += (err.findtext("message") or "") + "\n"
        return out

    def __repr__(self):
        return f"Reply(error={self.error}, {self.raw!r})"


class Client:
    def __init__(self, root, timeout=30):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(os.path.join(root, "mgd.sock"))
        self.next_id = 1

    def close(self):
        self.s.close()

    def send(self, type_, payload, id_=None, flags=0):
        data = payload.encode()
        if id_ is None:
            id_ = self.next_id
            self.next_id += 1
        self.s.sendall(HDR.pack(MAGIC, type_, flags, id_, len(data)) + data)
        return id_

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            part = self.s.recv(n - len(buf))
            if not part:
                raise ConnectionError("mgd closed the connection")
            buf += part
        return buf

    def recv(self):
        magic, type_, flags, id_, length = HDR.unpack(self.recv_exact(HDR.size))
        assert magic == MAGIC, hex(magic)
        return type_, flags, id_, self.recv_exact(length).decode()

    def rpc(self, body):
        id_ = self.send(RPC, "<rpc>" + body + "</rpc>")
        chunks = []
        while True:
            type_, flags, rid, payload = self.recv()
            assert rid == id_, (rid, id_)
            if type_ == CHUNK:
                chunks.append(payload)
            elif type_ == REPLY:
                return Reply(flags, payload, chunks)

    def command(self, line, display=None):
        attr = f' display="{display}"' if display else ""
        return self.rpc(f"<command{attr}>{esc(line)}</command>")

    def edit(self, line, input=None, display=None, confirmed=None):
        attr = f' display="{display}"' if display else ""
        attr += f' confirmed="{confirmed}"' if confirmed else ""
        body = f"<line>{esc(line)}</line>"
        if input is not None:
            body += f"<input>{esc(input)}</input>"
        return self.rpc(f"<edit-command{attr}>{body}</edit-command>")

    def configure(self, how=""):
        return self.command(("configure " + how).strip())

    def exit_config(self, confirmed="yes"):
        return self.rpc(f'<close-configuration confirmed="{confirmed}"/>')


def wait_for(pred, timeout=20.0, what="condition"):
    """Poll pred() until it returns a true value or the deadline passes."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
