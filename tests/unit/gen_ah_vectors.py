#!/usr/bin/env python3
"""Known answers for tests/unit/test_crypto_ah.c, computed without OpenSG:
Python's hmac over the bytes RFC 4302 3.3.3.1.1 says an AH ICV covers (the
IPv4 header with TOS, flags/fragment offset, TTL and checksum zeroed and
mutable options zeroed whole, the AH header with a zero ICV, the payload).

Two packets: a plain 20-byte outer header, and one with options (router
alert, immutable; record route, mutable; end of list).  Each is printed as
it travels (TOS, DF, TTL 64 and a checksum filled in, ICV in place) with
the ICV of hmac-md5-96, hmac-sha1-96 and hmac-sha-256-128 under fixed keys.
Prints the C initialisers the test holds; run it to check them.

  python3 tests/unit/gen_ah_vectors.py"""
import hashlib
import hmac
import struct

KEYS = {"md5": bytes(range(1, 17)), "sha1": bytes(range(0x20, 0x34)),
        "sha256": bytes(range(0x40, 0x60))}
ICV = {"md5": 12, "sha1": 12, "sha256": 16}
SPI, SEQ = 0x00001000, 7


def csum(b):
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def inner():
    """An ICMP echo request 10.1.1.1 -> 10.2.2.1 with 8 bytes of data."""
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x77, 1) + bytes(range(8))
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0x4242, 0, 64, 1, 0,
                    bytes([10, 1, 1, 1]), bytes([10, 2, 2, 1]))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + icmp


def packet(alg, options):
    """(wire bytes, icv): the outer packet as sent, and its ICV."""
    n = ICV[alg]
    payload = inner()
    hlen = 20 + len(options)
    ahlen = 12 + n
    total = hlen + ahlen + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | hlen // 4, 0xB8, total, 0x1234, 0x4000, 64, 51, 0,
                      bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])) + options
    # the mask, written out independently of lib/crypto/ah.c
    masked = bytearray(hdr)
    masked[1] = 0
    masked[6:8] = b"\0\0"
    masked[8] = 0
    masked[10:12] = b"\0\0"
    i = 20
    while i < hlen:
        t = masked[i]
        if t == 0:
            break
        if t == 1:
            i += 1
            continue
        ln = masked[i + 1]
        if t not in (130, 133, 134, 148, 149):
            masked[i:i + ln] = bytes(ln)
        i += ln
    ah = struct.pack("!BBHII", 4, ahlen // 4 - 2, 0, SPI, SEQ)
    mac = hmac.new(KEYS[alg], bytes(masked) + ah + bytes(n) + payload, getattr(hashlib, alg))
    icv = mac.digest()[:n]
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + ah + icv + payload, icv


def c_hex(b):
    s = b.hex()
    return "\n".join(f'     "{s[i:i + 64]}"' for i in range(0, len(s), 64))


def main():
    # router alert (148, 4 bytes), record route (7, 11 bytes: 2 slots filled), end of list
    rr = bytes([7, 11, 12]) + bytes([198, 51, 100, 1, 198, 51, 100, 2])
    opts = bytes([148, 4, 0, 0]) + rr + bytes([0])
    for name, o in (("plain", b""), ("options", opts)):
        for alg in ("md5", "sha1", "sha256"):
            wire, icv = packet(alg, o)
            print(f'    {{"{name}", "{alg}", "{KEYS[alg].hex()}",\n{c_hex(wire)},\n'
                  f'     "{icv.hex()}"}},')


if __name__ == "__main__":
    main()
