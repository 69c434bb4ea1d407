/*
 * ahout.c: outbound AH (RFC 4302) for espout.c, which builds the outer
 * packet of every tunnel: for an AH SA it leaves ah_overhead() bytes
 * after the outer IPv4 header (protocol 51) and puts there either the
 * inner packet (AH in tunnel mode, next header 4 or 41) or the ESP packet
 * of the bundle's ESP SA (next header 50); ah_output() then writes the AH
 * header and its ICV over the finished outer packet (its identification
 * and total length are covered; TOS, flags, TTL and checksum are not).
 * The AH header is 12 bytes + the ICV, a multiple of 4 (RFC 4302 2.6:
 * IPv4 needs no ICV padding for these ICVs); Linux pads hmac-sha-256-128's
 * to 8 bytes unless its state has `flag align4` - ahin.c accepts both.
 * The outer packet may still be fragmented on its way out (a tunnel-mtu
 * above the path): the peer reassembles before it checks the ICV.
 */
#include "ipsec.h"
#include "crypto/ah.h"
#include "log.h"

size_t ah_overhead(const struct ipsec_sa *sa)
{
    return sa->ah ? ah_xform_hdr_len(sa->ah) : 0;
}

int ah_output(struct fwdd *fw, struct ipsec_sa *sa, uint8_t *ip, size_t len, uint8_t nh)
{
    size_t before = (ip[0] & 0x0fu) * 4u + ah_overhead(sa);

    if (sa->seq == UINT32_MAX) { /* no extended sequence numbers: RFC 4302 3.3.2 */
        fwd_drop(fw, DROP_ESP_SEQ);
        return -1;
    }
    if (ah_seal(sa->ah, sa->spi, ++sa->seq, nh, ip, len) != ESP_OK) {
        log_warnx("AH seal (SA %08x): %s", sa->spi, crypto_strerror());
        fwd_drop(fw, DROP_AH_AUTH);
        return -1;
    }
    sa_count(fw, sa, len - before);
    return 0;
}
