"""AH (RFC 4302) on the wire, for the tests that check fwdd's and the Linux
kernel's AH packets without either: the ICV recomputed with Python's hmac
(tshark cannot check AH ICVs)."""
import hmac
import struct

# integrity algorithm: (hashlib name, ICV bytes)
AH_HASH = {"hmac-md5-96": ("md5", 12), "hmac-sha1-96": ("sha1", 12),
           "hmac-sha-256-128": ("sha256", 16)}


def ah_fields(p):
    """(next header, SPI, sequence number) of the AH header of IPv4 packet p."""
    hl = (p[0] & 15) * 4
    return p[hl], struct.unpack_from("!I", p, hl + 4)[0], struct.unpack_from("!I", p, hl + 8)[0]


def ah_icv_good(p, auth, akey):
    """The ICV of AH packet p (IPv4 without options, AH after the header)
    as RFC 4302 3.3.3.1.1 computes it: TOS, flags and fragment offset, TTL
    and checksum zeroed, the AH header with a zero ICV, the payload."""
    name, n = AH_HASH[auth]
    hl = (p[0] & 15) * 4
    m = bytearray(p)
    m[1] = m[6] = m[7] = m[8] = m[10] = m[11] = 0
    m[hl + 12:hl + 12 + n] = bytes(n)
    return hmac.new(akey, bytes(m), name).digest()[:n] == p[hl + 12:hl + 12 + n]
