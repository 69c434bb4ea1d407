"""lib/fwdipc.h in Python, for the tests that stand in for kmd: the
framing of lib/ipc.h and every struct, packed with explicit padding (the
sizes are checked against the header's _Static_asserts below)."""
import os
import select
import socket
import struct
import time

MAGIC = 0x4F534731
HDR = struct.Struct("=IHHII")
VERSION = 1
NAME = 128

HELLO, SEND, SA_ADD, SA_DEL, RULE_ADD, RULE_DEL = 100, 101, 102, 103, 104, 105
ROUTE_ADD, ROUTE_DEL, POOL_RESERVE, POOL_RELEASE, SA_STATS = 106, 107, 108, 109, 110
REPLY, PUNT, SA_EVENT, SA_GONE = 120, 121, 122, 123
OK, ERR_INVALID, ERR_NOENT, ERR_EXISTS, ERR_EXHAUSTED, ERR_UNSUPPORTED = range(6)
DIR_IN, DIR_OUT = 1, 2
PROTO_ESP, PROTO_AH, PROTO_BUNDLE = 50, 51, 255
ENCAP_NONE, ENCAP_UDP = 0, 1
CIPHER = {None: 0, "des-cbc": 1, "3des-cbc": 2, "aes-128-cbc": 3, "aes-192-cbc": 3, "aes-256-cbc": 3,
          "aes-128-gcm": 4, "aes-256-gcm": 4}
AUTH = {None: 0, "hmac-md5-96": 1, "hmac-sha1-96": 2, "hmac-sha-256-128": 3}
EV_SOFT_BYTES, EV_HARD_BYTES, EV_SOFT_TIME, EV_HARD_TIME = 1, 2, 3, 4

ADDR = struct.Struct("=BB2x16s")
REPLY_S = struct.Struct("=I128s")
DGRAM = struct.Struct("=128s128s20s20sHHI")
SEL = struct.Struct("=20s20sBxHH2x")
SA = struct.Struct("=128s128sI4sBBBBBBBBIHH20s20s48s64s64sQQIIHBx4s")
SA_REF = struct.Struct("=128s4sBB2x")
COUNTERS = struct.Struct("=7QII")
EVENT = struct.Struct("=136sII64s")
RULE = struct.Struct("=128s128sII48s")
ROUTE = struct.Struct("=128s128s20sII")
POOL = struct.Struct("=128s128s128sII")
for s, n in ((ADDR, 20), (REPLY_S, 132), (DGRAM, 304), (SEL, 48), (SA, 528), (SA_REF, 136),
             (COUNTERS, 64), (EVENT, 208), (RULE, 312), (ROUTE, 284), (POOL, 392)):
    assert s.size == n, (s.format, s.size, n)


def addr(text, plen=None):
    af = socket.AF_INET6 if ":" in text else socket.AF_INET
    a = socket.inet_pton(af, text.split("/")[0])
    if plen is None:
        plen = int(text.split("/")[1]) if "/" in text else len(a) * 8
    return ADDR.pack(af, plen, a.ljust(16, b"\0"))


def sel(src, dst, proto=0, sport=0, dport=0):
    return SEL.pack(addr(src), addr(dst), proto, sport, dport)


def sa(service_set, unit, tunnel, spi, direction, cipher, ekey, auth, akey, local, remote,
       src, dst, encap=ENCAP_NONE, sport=0, dport=0, window=64, no_replay=0, soft_bytes=0,
       hard_bytes=0, soft_s=0, hard_s=0, mtu=0, clear_df=0, proto=PROTO_ESP, aux_spi=0):
    """proto PROTO_AH: cipher None; PROTO_BUNDLE: auth is AH's, aux_spi ESP's SPI."""
    return SA.pack(service_set.encode(), unit.encode(), tunnel, struct.pack("!I", spi), direction,
                   proto, encap, CIPHER[cipher], AUTH[auth], len(ekey), len(akey), no_replay,
                   window, sport, dport, addr(local), addr(remote), sel(src, dst), ekey, akey,
                   soft_bytes, hard_bytes, soft_s, hard_s, mtu, clear_df,
                   struct.pack("!I", aux_spi))


def sa_ref(service_set, spi, direction, proto=PROTO_ESP):
    return SA_REF.pack(service_set.encode(), struct.pack("!I", spi), direction, proto)


def rule(service_set, unit, tunnel, src, dst):
    return RULE.pack(service_set.encode(), unit.encode(), tunnel, 0, sel(src, dst))


def route(instance, unit, prefix, tunnel, pref=1):
    return ROUTE.pack(instance.encode(), unit.encode(), addr(prefix), tunnel, pref)


def pool(service_set, name, tunnel, unit=""):
    return POOL.pack(service_set.encode(), name.encode(), unit.encode(), tunnel, 0)


def cstr(b):
    return b.split(b"\0")[0].decode()


class Kmd:
    """A stand-in for kmd on ROOT/fwdd.sock: requests wait for their
    FWD_REPLY; anything else fwdd sends is kept in self.events."""

    def __init__(self, root, timeout=10):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(os.path.join(root, "fwdd.sock"))
        self.next_id = 1
        self.events = []
        self.buf = b""

    def close(self):
        self.s.close()

    def _read(self, timeout):
        while len(self.buf) < HDR.size or len(self.buf) < HDR.size + HDR.unpack(
                self.buf[:HDR.size])[4]:
            if not select.select([self.s], [], [], timeout)[0]:
                return None
            b = self.s.recv(1 << 16)
            if not b:
                raise EOFError("fwdd closed the connection")
            self.buf += b
        magic, type_, _, id_, n = HDR.unpack(self.buf[:HDR.size])
        assert magic == MAGIC
        body = self.buf[HDR.size:HDR.size + n]
        self.buf = self.buf[HDR.size + n:]
        return type_, id_, body

    def request(self, type_, payload, extra=b""):
        id_ = self.next_id
        self.next_id += 1
        self.s.sendall(HDR.pack(MAGIC, type_, 0, id_, len(payload) + len(extra)) + payload +
                       extra)
        deadline = time.monotonic() + 10
        while True:
            m = self._read(max(0.0, deadline - time.monotonic()))
            if m is None:
                raise TimeoutError(f"no reply to request {type_}")
            t, rid, body = m
            if t == REPLY and rid == id_:
                status, msg = REPLY_S.unpack(body[:REPLY_S.size])
                return status, cstr(msg), body[REPLY_S.size:]
            self.events.append((t, body))

    def hello(self):
        return self.request(HELLO, struct.pack("=II", VERSION, os.getpid()))

    def poll(self, timeout=0.1):
        """Collect unsolicited messages for up to timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            m = self._read(max(0.0, deadline - time.monotonic()))
            if m is None:
                return self.events
            self.events.append((m[0], m[2]))
