#!/usr/bin/env python3
"""Host-side probes of the interop tests, run inside a namespace (ip netns
exec NS python3 netprobe.py ...).  The last line on stdout is one JSON
object; every wait has a deadline.

  ping DST [--source A] [--count N] [--timeout S]
      ICMP echo (ICMPv6 echo when DST is an IPv6 address) on a raw socket
      bound to A: per probe, the echo reply or the ICMP error that quotes
      it (type, code, from), or a timeout.
  serve BIND PORT [--timeout S]
      listen on BIND:PORT (IPv4 or IPv6), print LISTENING, accept one TCP connection,
      read to EOF: byte count, SHA-256 and the peer's address.
  send HOST PORT BYTES [--source A] [--timeout S]
      connect (from A when given; retrying until the deadline), send
      BYTES random bytes, wait for the server to close: count and SHA-256.
  sniff IFACE
      count the IPv4 packets on IFACE (AF_PACKET) until stdin closes: per
      source address, IKE on UDP 500, IKE on UDP 4500 (non-ESP marker),
      ESP in UDP 4500 (RFC 3948), NAT keepalives, raw ESP (protocol 50).
      Prints LISTENING once the socket is open.
"""
import argparse
import hashlib
import json
import os
import select
import socket
import struct
import sys
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def answer(pkt, ident, seq):
    """The probe's answer in a received IPv4 packet, or None."""
    ihl = (pkt[0] & 15) * 4
    src, icmp = socket.inet_ntoa(pkt[12:16]), pkt[ihl:]
    if len(icmp) < 8:
        return None
    t, code = icmp[0], icmp[1]
    if t == 0 and struct.unpack("!HH", icmp[4:8]) == (ident, seq):
        return {"seq": seq, "type": 0, "code": 0, "from": src, "ttl": pkt[8]}
    if t in (3, 11) and len(icmp) >= 36:
        inner = icmp[8:]
        iihl = (inner[0] & 15) * 4
        if inner[9] == 1 and len(inner) >= iihl + 8:
            it, _, _, iid, iseq = struct.unpack("!BBHHH", inner[iihl:iihl + 8])
            if it == 8 and (iid, iseq) == (ident, seq):
                return {"seq": seq, "type": t, "code": code, "from": src}
    return None


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def answer6(icmp, src, ident, seq):
    """The probe's answer in a received ICMPv6 message (raw sockets give no
    IPv6 header; the kernel checks the checksum), or None."""
    if len(icmp) < 8:
        return None
    t, code = icmp[0], icmp[1]
    if t == 129 and struct.unpack("!HH", icmp[4:8]) == (ident, seq):
        return {"seq": seq, "type": 129, "code": 0, "from": src}
    if t in (1, 3) and len(icmp) >= 8 + 40 + 8:  # unreachable, time exceeded
        inner = icmp[8:]
        if inner[6] == 58:
            it, _, _, iid, iseq = struct.unpack("!BBHHH", inner[40:48])
            if it == 128 and (iid, iseq) == (ident, seq):
                return {"seq": seq, "type": t, "code": code, "from": src}
    return None


def cmd_ping(a):
    """ICMP echo (8/0), or ICMPv6 echo (128/129) for an IPv6 DST: the
    kernel computes the checksum of raw ICMPv6 sockets and gives them no
    IPv6 header."""
    v6 = family(a.dst) == socket.AF_INET6
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) if v6 else \
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    if a.source:
        s.bind((a.source, 0))
    ident = (os.getpid() ^ int.from_bytes(os.urandom(2), "big")) & 0xFFFF
    results = []
    for seq in range(a.count):
        payload = os.urandom(56)
        if v6:
            pkt = struct.pack("!BBHHH", 128, 0, 0, ident, seq) + payload
        else:
            hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
            pkt = struct.pack("!BBHHH", 8, 0, csum(hdr + payload), ident, seq) + payload
        try:
            s.sendto(pkt, (a.dst, 0))
        except OSError as e:
            results.append({"seq": seq, "error": e.strerror})
            continue
        deadline = time.monotonic() + a.timeout
        got = None
        while got is None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([s], [], [], left)[0]:
                break
            data, src = s.recvfrom(65535)
            got = answer6(data, src[0], ident, seq) if v6 else answer(data, ident, seq)
        results.append(got or {"seq": seq, "timeout": True})
    print(json.dumps({"results": results}))
    return 0 if all(r.get("type") == (129 if v6 else 0) for r in results) else 1


def cmd_serve(a):
    ls = socket.socket(family(a.bind), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(1)
    ls.settimeout(a.timeout)
    print("LISTENING", flush=True)
    c, peer = ls.accept()
    c.settimeout(a.timeout)
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        h.update(b)
        n += len(b)
    c.close()
    print(json.dumps({"bytes": n, "sha256": h.hexdigest(), "peer": peer[0]}))
    return 0


def cmd_send(a):
    deadline = time.monotonic() + a.timeout
    while True:
        c = socket.socket(family(a.host), socket.SOCK_STREAM)
        if a.source:
            c.bind((a.source, 0))
        c.settimeout(3)
        try:
            c.connect((a.host, a.port))
            break
        except OSError:
            c.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    c.settimeout(a.timeout)
    h, left = hashlib.sha256(), a.bytes
    while left:
        b = os.urandom(min(left, 1 << 16))
        c.sendall(b)
        h.update(b)
        left -= len(b)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)  # the server closes once it has read everything
    c.close()
    print(json.dumps({"bytes": a.bytes, "sha256": h.hexdigest()}))
    return 0


def classify(frame):
    """(source, kind) of an Ethernet frame, or None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    src = socket.inet_ntoa(ip[12:16])
    if struct.unpack("!H", ip[6:8])[0] & 0x1FFF:
        return None  # a later fragment: no transport header
    if ip[9] == 50:
        return src, "raw_esp"
    if ip[9] != 17 or len(ip) < ihl + 8:
        return None
    sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
    body = ip[ihl + 8:]
    if 500 in (sport, dport):
        return src, "ike_500"
    if 4500 not in (sport, dport):
        return None
    if body == b"\xff":
        return src, "keepalive"
    if len(body) >= 4 and body[:4] == b"\0\0\0\0":
        return src, "ike_4500"
    return src, "esp_udp_4500"


def cmd_sniff(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))  # ETH_P_ALL
    s.bind((a.iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    counts = {}

    def count(frame):
        c = classify(frame)
        if c:
            d = counts.setdefault(c[0], {})
            d[c[1]] = d.get(c[1], 0) + 1

    print("LISTENING", flush=True)
    while True:
        r, _, _ = select.select([s, sys.stdin], [], [])
        if s in r:
            count(s.recv(65535))
        if sys.stdin in r and not sys.stdin.buffer.read1(4096):
            break
    while True:  # what arrived before stdin closed
        try:
            count(s.recv(65535, socket.MSG_DONTWAIT))
        except BlockingIOError:
            break
    print(json.dumps(counts))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    x = sub.add_parser("ping")
    x.add_argument("dst")
    x.add_argument("--source")
    x.add_argument("--count", type=int, default=1)
    x.add_argument("--timeout", type=float, default=2)
    x = sub.add_parser("serve")
    x.add_argument("bind")
    x.add_argument("port", type=int)
    x.add_argument("--timeout", type=float, default=30)
    x = sub.add_parser("send")
    x.add_argument("host")
    x.add_argument("port", type=int)
    x.add_argument("bytes", type=int)
    x.add_argument("--source")
    x.add_argument("--timeout", type=float, default=30)
    x = sub.add_parser("sniff")
    x.add_argument("iface")
    a = p.parse_args()
    return {"ping": cmd_ping, "serve": cmd_serve, "send": cmd_send, "sniff": cmd_sniff}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
