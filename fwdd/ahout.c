/*
 * ahout.c: outbound AH (RFC 4302) for espout.c, which builds the outer
 * packet of every tunnel: for an AH SA it leaves ah_overhead() bytes
 * after the outer IPv4 header (protocol 51) and puts there either the
 * inner packet (AH in tunnel mode, next header 4 or 41) or the ESP packet
 * of the bundle's ESP SA (next header 50); ah_output() then writes the AH
 * header and its ICV over the finished outer packet (its identification
 * and total length are covered; TOS, flags, TTL and checksum are not), on
 * the worker of the PIC owning the tunnel (espout.c's esp_seal_run, after
 * the bundle's ESP: one job), with the sequence number the main thread
 * assigned.
 * The AH header is 12 bytes + the ICV, a multiple of 4 (RFC 4302 2.6:
 * IPv4 needs no ICV padding for these ICVs); Linux pads hmac-sha-256-128's
 * to 8 bytes unless its state has `flag align4` - ahin.c accepts both.
 * The outer packet may still be fragmented on its way out (a tunnel-mtu
 * above the path): the peer reassembles before it checks the ICV.
 */
#include "ipsec.h"
#include "crypto/ah.h"

size_t ah_overhead(const struct ipsec_sa *sa)
{
    return sa->ah ? ah_xform_hdr_len(sa->ah) : 0;
}

int ah_output(const struct ipsec_sa *sa, uint32_t seq, uint8_t *ip, size_t len, uint8_t nh)
{
    return ah_seal(sa->ah, sa->spi, seq, nh, ip, len);
}
