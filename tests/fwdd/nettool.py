#!/usr/bin/env python3
"""Host-side tool of the fwdd integration tests, run inside a host's network
namespace (ip netns exec H python3 nettool.py ...).  Prints one JSON object
on stdout.  Every wait has a deadline.

  ping DST [--ttl N] [--size N] [--df] [--count N] [--timeout S]
      ICMP (or ICMPv6, DST with a colon) echo on a raw socket: each probe's
      answer (type, code, source, MTU of a "too big") or a timeout.
  udp DST PORT [--ttl N] [--timeout S]
      one UDP datagram; the ICMP error that quotes it, if any.
  serve PORT [--timeout S]
      accept one TCP connection (IPv4 or IPv6), read to EOF: byte count and
      SHA-256.
  send HOST PORT BYTES [--timeout S]
      connect (retrying until the deadline), send BYTES random bytes:
      byte count and SHA-256.
  capture IFACE FILE [--timeout S] [--until HEX]
      frames seen on IFACE (both directions, AF_PACKET) written to FILE as
      a pcap; FILE.ready appears when it listens; creating FILE.stop, a
      frame that contains the bytes HEX, or the deadline ends it (frames
      already queued are kept): frame count.
  inject HEX [HEX ...]
      whole IPv4 packets (hexadecimal) sent as they are on a raw socket
      (IP_HDRINCL): the number sent.
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


def icmp_socket(ttl=None, df=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    if ttl is not None:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    if df:
        s.setsockopt(socket.IPPROTO_IP, 10, 2)  # IP_MTU_DISCOVER = IP_PMTUDISC_DO
    return s


def parse_icmp(pkt):
    ihl = (pkt[0] & 15) * 4
    src = socket.inet_ntoa(pkt[12:16])
    return src, pkt[ihl:], pkt[8]


def cmd_ping6(a):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    if a.ttl is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, a.ttl)
    ident = os.getpid() & 0xFFFF
    results = []
    for seq in range(a.count):
        payload = bytes(i & 0xFF for i in range(a.size))
        s.sendto(struct.pack("!BBHHH", 128, 0, 0, ident, seq) + payload, (a.dst, 0))
        deadline = time.monotonic() + a.timeout
        got = None
        while got is None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([s], [], [], left)[0]:
                break
            icmp, src = s.recvfrom(65535)
            t, code = icmp[0], icmp[1]
            if t == 129 and struct.unpack("!HH", icmp[4:8]) == (ident, seq):
                got = {"seq": seq, "type": t, "code": 0, "from": src[0], "len": len(icmp)}
            elif t in (1, 2, 3) and len(icmp) >= 56 and icmp[8 + 6] == 58:
                it, _, _, iid, iseq = struct.unpack("!BBHHH", icmp[48:56])
                if it == 128 and iid == ident and iseq == seq:
                    got = {"seq": seq, "type": t, "code": code, "from": src[0],
                           "mtu": struct.unpack("!I", icmp[4:8])[0]}
        results.append(got or {"seq": seq, "timeout": True})
    print(json.dumps({"results": results}))
    return 0 if all(r.get("type") == 129 for r in results) else 1


def cmd_ping(a):
    if ":" in a.dst:
        return cmd_ping6(a)
    s = icmp_socket(a.ttl, a.df)
    ident = os.getpid() & 0xFFFF
    results = []
    for seq in range(a.count):
        payload = bytes(i & 0xFF for i in range(a.size))
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        c = csum(hdr + payload)
        hdr = struct.pack("!BBHHH", 8, 0, c, ident, seq)
        try:
            s.sendto(hdr + payload, (a.dst, 0))
        except OSError as e:
            results.append({"seq": seq, "error": e.strerror})
            continue
        deadline = time.monotonic() + a.timeout
        got = None
        while got is None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([s], [], [], left)[0]:
                break
            pkt = s.recv(65535)
            src, icmp, ttl = parse_icmp(pkt)
            t, code = icmp[0], icmp[1]
            if t == 0 and struct.unpack("!HH", icmp[4:8]) == (ident, seq):
                got = {"seq": seq, "type": 0, "code": 0, "from": src, "ttl": ttl,
                       "len": len(icmp)}
            elif t in (3, 11) and len(icmp) >= 36:
                inner = icmp[8:]
                ihl = (inner[0] & 15) * 4
                if inner[9] == 1 and len(inner) >= ihl + 8:
                    it, _, _, iid, iseq = struct.unpack("!BBHHH", inner[ihl:ihl + 8])
                    if it == 8 and iid == ident and iseq == seq:
                        got = {"seq": seq, "type": t, "code": code, "from": src,
                               "mtu": struct.unpack("!H", icmp[6:8])[0]}
        results.append(got or {"seq": seq, "timeout": True})
    print(json.dumps({"results": results}))
    return 0 if all(r.get("type") == 0 for r in results) else 1


def cmd_udp(a):
    r = icmp_socket()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if a.ttl is not None:
        u.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, a.ttl)
    u.bind(("0.0.0.0", 0))
    sport = u.getsockname()[1]
    u.sendto(b"opensg-probe", (a.dst, a.port))
    deadline = time.monotonic() + a.timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([r], [], [], left)[0]:
            print(json.dumps({"timeout": True}))
            return 1
        src, icmp, _ = parse_icmp(r.recv(65535))
        if icmp[0] not in (3, 11) or len(icmp) < 36:
            continue
        inner = icmp[8:]
        ihl = (inner[0] & 15) * 4
        if inner[9] == 17 and struct.unpack("!HH", inner[ihl:ihl + 4]) == (sport, a.port):
            print(json.dumps({"type": icmp[0], "code": icmp[1], "from": src}))
            return 0


def cmd_serve(a):
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # IPv4 too
    ls.bind(("::", a.port))
    ls.listen(1)
    ls.settimeout(a.timeout)
    c, peer = ls.accept()
    c.settimeout(a.timeout)
    h = hashlib.sha256()
    n = 0
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
        try:
            c = socket.create_connection((a.host, a.port), timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    c.settimeout(a.timeout)
    h = hashlib.sha256()
    left = a.bytes
    while left:
        b = os.urandom(min(left, 1 << 16))
        c.sendall(b)
        h.update(b)
        left -= len(b)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)
    c.close()
    print(json.dumps({"bytes": a.bytes, "sha256": h.hexdigest()}))
    return 0


def cmd_capture(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))  # ETH_P_ALL
    s.bind((a.iface, 0))
    open(a.file + ".ready", "w").close()
    frames = []
    until = bytes.fromhex(a.until) if a.until else None
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline and not os.path.exists(a.file + ".stop"):
        if select.select([s], [], [], 0.05)[0]:
            frames.append((time.time(), s.recv(65535)))
            if until and until in frames[-1][1]:
                break
    while select.select([s], [], [], 0)[0]:
        frames.append((time.time(), s.recv(65535)))
    with open(a.file, "wb") as f:
        f.write(struct.pack("=IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, b in frames:
            f.write(struct.pack("=IIII", int(t), int((t % 1) * 1e6), len(b), len(b)) + b)
    print(json.dumps({"frames": len(frames)}))
    return 0


def cmd_inject(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for h in a.packets:
        pkt = bytes.fromhex(h)
        s.sendto(pkt, (socket.inet_ntoa(pkt[16:20]), 0))
    print(json.dumps({"sent": len(a.packets)}))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    x = sub.add_parser("ping")
    x.add_argument("dst")
    x.add_argument("--ttl", type=int)
    x.add_argument("--size", type=int, default=56)
    x.add_argument("--df", action="store_true")
    x.add_argument("--count", type=int, default=1)
    x.add_argument("--timeout", type=float, default=3)
    x = sub.add_parser("udp")
    x.add_argument("dst")
    x.add_argument("port", type=int)
    x.add_argument("--ttl", type=int)
    x.add_argument("--timeout", type=float, default=3)
    x = sub.add_parser("serve")
    x.add_argument("port", type=int)
    x.add_argument("--timeout", type=float, default=30)
    x = sub.add_parser("send")
    x.add_argument("host")
    x.add_argument("port", type=int)
    x.add_argument("bytes", type=int)
    x.add_argument("--timeout", type=float, default=30)
    x = sub.add_parser("capture")
    x.add_argument("iface")
    x.add_argument("file")
    x.add_argument("--timeout", type=float, default=60)
    x.add_argument("--until")
    x = sub.add_parser("inject")
    x.add_argument("packets", nargs="+")
    a = p.parse_args()
    return {"ping": cmd_ping, "udp": cmd_udp, "serve": cmd_serve, "send": cmd_send,
            "capture": cmd_capture, "inject": cmd_inject}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
