#!/usr/bin/env python3
"""Proof of the qemu test guest (tests/vm/guest.py): Debian's stock kernel
under TCG, on a tap inside a network namespace made here.

  namespace osgvm<tag>                          qemu guest (Debian kernel)
  tap0 198.18.0.1/24  (+ 10.8.8.1 "LAN")  <-->  eth0   198.18.0.2/24
                                                osglan 10.9.9.1/24 (dummy)

Checks: the guest boots with every module loaded; it answers ping from the
namespace; `ip xfrm state add` of an ESP SA (aes-cbc + hmac-sha1) works in
the guest (the host kernel has no ESP) as do the other algorithms IKE
peers propose; with two states and two policies for a tunnel 10.9.9.0/24
<-> 10.8.8.0/24 between 198.18.0.2 and 198.18.0.1, a ping from the guest's
LAN leaves as ESP (IP protocol 50 from 198.18.0.2, the SPI we chose, an
ICV that verifies with our key, an inner ICMP echo that decrypts with our
key); the namespace answers each one in ESP built here (Python + the
openssl CLI for AES), and the guest's ping gets its replies: the guest
both encrypts and decrypts.  A one-shot guest (script mode) reports its
script's exit status.  Prints `N passed, M failed`; removes the namespace,
the tap and qemu even on failure."""
import hashlib
import hmac
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from guest import Guest, GuestError, in_netns, netns_socket, sh  # noqa: E402

TAG = "%x%04x" % (os.getpid() % 0xFFFF, int.from_bytes(os.urandom(2), "big"))
NS = f"osgvm{TAG}"
GUEST_WAN, HOST_WAN = "198.18.0.2", "198.18.0.1"
GUEST_LAN, HOST_LAN = "10.9.9.1", "10.8.8.1"
# guest -> host and host -> guest SAs: aes-128-cbc + hmac-sha1-96
SPI_OUT, SPI_IN = 0x1001, 0x2002
ENC_OUT, AUTH_OUT = bytes(range(16)), bytes(range(0x20, 0x34))
ENC_IN, AUTH_IN = bytes(range(0x40, 0x50)), bytes(range(0x60, 0x74))

G = None


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def aes_cbc(key, iv, data, decrypt):
    r = subprocess.run(["openssl", "enc", "-aes-128-cbc", "-nopad", "-K", key.hex(),
                        "-iv", iv.hex()] + (["-d"] if decrypt else []),
                       input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return r.stdout


def esp_open(esp, enc, auth):
    """(spi, seq, inner packet) of an ESP payload; raises on a bad ICV."""
    spi, seq = struct.unpack("!II", esp[:8])
    body, icv = esp[:-12], esp[-12:]
    want = hmac.new(auth, body, hashlib.sha1).digest()[:12]
    if not hmac.compare_digest(icv, want):
        raise AssertionError(f"ESP SPI {spi:#x} seq {seq}: bad ICV")
    iv, ct = esp[8:24], esp[24:-12]
    pt = aes_cbc(enc, iv, ct, True)
    padlen, nh = pt[-2], pt[-1]
    assert nh == 4, f"next header {nh}, want 4 (IPv4, tunnel mode)"
    return spi, seq, pt[:-2 - padlen]


def esp_seal(spi, seq, inner, enc, auth):
    padlen = -(len(inner) + 2) % 16
    pt = inner + bytes(range(1, padlen + 1)) + bytes([padlen, 4])
    iv = os.urandom(16)
    body = struct.pack("!II", spi, seq) + iv + aes_cbc(enc, iv, pt, False)
    return body + hmac.new(auth, body, hashlib.sha1).digest()[:12]


def ipv4(src, dst, proto, payload, ttl=64):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, ttl, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


class EspResponder(threading.Thread):
    """In the namespace: every ESP packet from the guest is checked and
    decrypted; an inner ICMP echo request gets an echo reply, sealed with
    the host -> guest SA and sent back as IP protocol 50."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = netns_socket(NS, socket.AF_INET, socket.SOCK_RAW, 50)
        self.seen, self.errors, self.sent = [], [], 0
        self.halt = threading.Event()

    def run(self):
        seq = 0
        while not self.halt.is_set():
            if not select.select([self.sock], [], [], 0.2)[0]:
                continue
            pkt, (src, _) = self.sock.recvfrom(65535)
            if src != GUEST_WAN:
                continue
            try:
                ihl = (pkt[0] & 15) * 4
                spi, eseq, inner = esp_open(pkt[ihl:], ENC_OUT, AUTH_OUT)
                isrc, idst = socket.inet_ntoa(inner[12:16]), socket.inet_ntoa(inner[16:20])
                self.seen.append((spi, eseq, isrc, idst, inner[9]))
                iihl = (inner[0] & 15) * 4
                icmp = inner[iihl:]
                if inner[9] == 1 and icmp[0] == 8:
                    reply = b"\0\0\0\0" + icmp[4:]
                    reply = reply[:2] + struct.pack("!H", csum(reply)) + reply[4:]
                    seq += 1
                    self.sock.sendto(esp_seal(SPI_IN, seq, ipv4(idst, isrc, 1, reply),
                                              ENC_IN, AUTH_IN), (GUEST_WAN, 0))
                    self.sent += 1
            except Exception as e:  # reported by the test
                self.errors.append(repr(e))

    def stop(self):
        self.halt.set()
        self.join(5)
        self.sock.close()


def ping_from_ns(dst, count=3, timeout=3.0):
    """ICMP echo from the namespace (raw socket): number of replies."""
    s = netns_socket(NS, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident, got = os.getpid() & 0xFFFF, 0
    try:
        for seq in range(count):
            msg = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"osg-vm" * 8
            msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
            s.sendto(msg, (dst, 0))
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([s], [], [], left)[0]:
                    break
                pkt, (src, _) = s.recvfrom(65535)
                icmp = pkt[(pkt[0] & 15) * 4:]
                if src == dst and icmp[0] == 0 and struct.unpack("!HH", icmp[4:8]) == (ident, seq):
                    got += 1
                    break
    finally:
        s.close()
    return got


# ------------------------------------------------------------------ tests


def test_boot():
    warnings = [ln for ln in G.console.splitlines() if ln.startswith("osg-guest:")]
    assert not warnings, "\n".join(warnings)
    r = G.run("ip -br addr; lsmod")
    assert f"{GUEST_WAN}/24" in r.out and f"{GUEST_LAN}/24" in r.out, r.out
    for mod in ("esp4", "xfrm_user", "virtio_net", "authenc", "des_generic", "drbg"):
        assert f"\n{mod} " in r.out, f"{mod} not loaded:\n{r.out}"


def test_ping_from_namespace():
    got = ping_from_ns(GUEST_WAN)
    assert got == 3, f"{got}/3 echo replies from the guest"


def test_xfrm_state_add():
    G.run(f"ip xfrm state add src {GUEST_WAN} dst {HOST_WAN} proto esp spi 0x4242 "
          "mode tunnel enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f "
          "auth-trunc 'hmac(sha1)' 0x202122232425262728292a2b2c2d2e2f30313233 96")
    r = G.run("ip xfrm state list")
    assert "spi 0x00004242" in r.out and "cbc(aes)" in r.out, r.out
    # what IKE peers propose: 3DES/MD5, SHA-256/512, AES-GCM (rfc4106)
    for i, algs in enumerate((
            "enc 'cbc(des3_ede)' 0x" + "11" * 24 + " auth-trunc 'hmac(md5)' 0x" + "22" * 16 + " 96",
            "enc 'cbc(aes)' 0x" + "33" * 32 + " auth-trunc 'hmac(sha256)' 0x" + "44" * 32 + " 128",
            "enc 'cbc(aes)' 0x" + "55" * 24 + " auth-trunc 'hmac(sha512)' 0x" + "66" * 64 + " 256",
            "aead 'rfc4106(gcm(aes))' 0x" + "77" * 20 + " 128")):
        G.run(f"ip xfrm state add src {GUEST_WAN} dst {HOST_WAN} proto esp spi {0x4300 + i} "
              f"mode tunnel {algs}")
    G.run("ip xfrm state flush")


def test_tunnel_emits_esp():
    x = "ip xfrm"
    G.run(f"""
{x} state add src {GUEST_WAN} dst {HOST_WAN} proto esp spi {SPI_OUT:#x} reqid 1 mode tunnel \
    enc 'cbc(aes)' 0x{ENC_OUT.hex()} auth-trunc 'hmac(sha1)' 0x{AUTH_OUT.hex()} 96
{x} state add src {HOST_WAN} dst {GUEST_WAN} proto esp spi {SPI_IN:#x} reqid 1 mode tunnel \
    enc 'cbc(aes)' 0x{ENC_IN.hex()} auth-trunc 'hmac(sha1)' 0x{AUTH_IN.hex()} 96
{x} policy add src 10.9.9.0/24 dst 10.8.8.0/24 dir out \
    tmpl src {GUEST_WAN} dst {HOST_WAN} proto esp reqid 1 mode tunnel
{x} policy add src 10.8.8.0/24 dst 10.9.9.0/24 dir in \
    tmpl src {HOST_WAN} dst {GUEST_WAN} proto esp reqid 1 mode tunnel
""")
    resp = EspResponder()
    resp.start()
    try:
        r = G.run(f"ping -c 3 -W 3 -I {GUEST_LAN} {HOST_LAN}", timeout=20, check=False)
    finally:
        resp.stop()
    assert not resp.errors, resp.errors
    assert len(resp.seen) >= 3, f"ESP packets from the guest: {resp.seen}\n{r.out}"
    for spi, seq, isrc, idst, proto in resp.seen:
        assert (spi, isrc, idst, proto) == (SPI_OUT, GUEST_LAN, HOST_LAN, 1), resp.seen
    assert [s[1] for s in resp.seen[:3]] == [1, 2, 3], resp.seen
    assert r.rc == 0 and "3 packets received" in r.out, \
        f"replies sent in ESP: {resp.sent}; guest ping:\n{r.out}"
    st = G.run("ip -s xfrm state list").out
    assert st.count("3(packets)") >= 2, st  # 3 out on SPI_OUT, 3 in on SPI_IN


def test_script_mode():
    """A second, one-shot guest: /init runs the script, prints the exit
    marker with its status and powers off (qemu exits)."""
    g = Guest(ns=NS, tap="tap1", name="oneshot", agent=False, addr="198.18.1.2/24",
              host_addr="198.18.1.1/24",
              script="ip xfrm state add src 198.18.1.2 dst 198.18.1.1 proto esp spi 7 "
                     "enc 'cbc(aes)' 0x" + "00" * 16 + " auth-trunc 'hmac(sha1)' 0x" + "11" * 20
                     + " 96 && ip xfrm state count && ping -c 1 -W 3 198.18.1.1 && exit 7\n")
    with g:
        rc = g.wait_exit(30)
        assert rc == 7, f"script exited {rc}:{g.tail()}"
        assert g.proc.poll() is not None, "qemu still running after poweroff"
        assert "SAD count 1" in g.console and "1 packets received" in g.console, g.tail()
    print(f"     one-shot guest: boot to READY {g.timings['boot']} s", flush=True)


def main():
    global G
    if os.geteuid() != 0:
        print("the vm tests need root (network namespaces, tap)")
        return 1
    # a test runner's timeout sends SIGTERM: still stop qemu and delete the namespace
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    passed = failed = 0
    made_ns = False
    t0 = time.monotonic()
    try:
        sh("ip", "netns", "add", NS)
        made_ns = True
        sh("ip", "-n", NS, "link", "set", "lo", "up")
        sh("ip", "-n", NS, "addr", "add", f"{HOST_LAN}/24", "dev", "lo")
        in_netns(NS, lambda: None)  # setns works here
        G = Guest(ns=NS, tap="tap0", addr=f"{GUEST_WAN}/24", gw=HOST_WAN,
                  lan=f"{GUEST_LAN}/24", host_addr=f"{HOST_WAN}/24")
        G.start()
        print(f"     image {G.timings['image']} s, boot to READY {G.timings['boot']} s "
              f"({G.manifest['package']}, {'PVH vmlinux' if G.manifest['pvh'] else 'bzImage'})",
              flush=True)
        tests = [test_boot, test_ping_from_namespace, test_xfrm_state_add,
                 test_tunnel_emits_esp, test_script_mode]
        only = sys.argv[1:]
        for t in tests:
            if only and t.__name__ not in only:
                continue
            start = time.monotonic()
            try:
                t()
                passed += 1
                print(f"ok   {t.__name__} ({time.monotonic() - start:.1f} s)", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {t.__name__}", flush=True)
                traceback.print_exc()
                print(G.tail(), flush=True)
    except (GuestError, Exception):
        failed += 1
        traceback.print_exc()
    finally:
        if G is not None:
            G.stop()
        if made_ns:
            sh("ip", "netns", "del", NS, check=False)
    print(f"     total {time.monotonic() - t0:.1f} s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
