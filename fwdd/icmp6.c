/*
 * icmp6.c: the IPv6 packets fwdd originates: ICMPv6 errors (RFC 4443),
 * echo replies, and neighbor solicitations and advertisements (RFC 4861)
 * (pkt.h).
 */
#include "pkt.h"
#include "pktutil.h"

#include <string.h>

#define DEFAULT_HLIM 64
#define ND_HLIM 255 /* RFC 4861 7.1: ND messages are sent with hop limit 255 */

void ip6_hdr_build(uint8_t *ip, size_t plen, uint8_t nxt, const uint8_t src[16],
                   const uint8_t dst[16], uint8_t hlim)
{
    put32(ip, 0x60000000u);
    put16(ip + 4, (uint16_t)plen);
    ip[6] = nxt;
    ip[7] = hlim;
    memcpy(ip + 8, src, 16);
    memcpy(ip + 24, dst, 16);
}

static void icmp6_csum(uint8_t *ip, size_t len)
{
    put16(ip + 42, 0);
    put16(ip + 42, csum_fold(csum_add(csum_pseudo6(ip + 8, ip + 24, IPPROTO_ICMPV6_, len - 40),
                                      ip + 40, len - 40)));
}

static int unspecified(const uint8_t a[16])
{
    static const uint8_t zero[16];

    return memcmp(a, zero, 16) == 0;
}

size_t icmp6_error(uint8_t *out, size_t cap, const uint8_t *orig, size_t orig_len, uint8_t type,
                   uint8_t code, uint32_t param, const uint8_t src[16])
{
    struct ip6_info h;
    size_t quote, total;

    if (pkt_ipv6(orig, orig_len, &h) != PKT_OK)
        return 0;
    if (unspecified(h.src) || h.src[0] == 0xff ||
        (h.dst[0] == 0xff && type != ICMP6_PACKET_TOO_BIG_))
        return 0;
    /* never about an error (types below 128); extension headers are not
     * walked: an error about an ICMPv6 error behind them is possible */
    if (h.nxt == IPPROTO_ICMPV6_ && (h.plen == 0 || orig[40] < 128))
        return 0;
    quote = 40 + h.plen;
    if (quote > ICMP6_ERR_MAX - 48)
        quote = ICMP6_ERR_MAX - 48;
    total = 48 + quote;
    if (cap < total)
        return 0;
    memset(out + 40, 0, 8);
    out[40] = type;
    out[41] = code;
    put32(out + 44, param);
    memcpy(out + 48, orig, quote);
    ip6_hdr_build(out, total - 40, IPPROTO_ICMPV6_, src, h.src, DEFAULT_HLIM);
    icmp6_csum(out, total);
    return total;
}

int icmp6_echo_reply(uint8_t *p, size_t len)
{
    struct ip6_info h;
    uint8_t tmp[16];

    if (pkt_ipv6(p, len, &h) != PKT_OK || h.nxt != IPPROTO_ICMPV6_ || h.plen < 8 ||
        p[40] != ICMP6_ECHO_REQUEST_)
        return -1;
    len = 40 + h.plen;
    memcpy(tmp, p + 8, 16);
    memcpy(p + 8, p + 24, 16);
    memcpy(p + 24, tmp, 16);
    p[7] = DEFAULT_HLIM;
    p[40] = ICMP6_ECHO_REPLY_;
    icmp6_csum(p, len);
    return (int)len;
}

void nd_solicited_node(const uint8_t a[16], uint8_t group[16], uint8_t mac[6])
{
    static const uint8_t prefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};

    memcpy(group, prefix, 13);
    memcpy(group + 13, a + 13, 3);
    mac[0] = mac[1] = 0x33;
    memcpy(mac + 2, group + 12, 4);
}

size_t nd_ns_build(uint8_t *out, size_t cap, const uint8_t src[16], const uint8_t target[16],
                   const uint8_t mac[6])
{
    uint8_t group[16], gmac[6];

    if (cap < 72)
        return 0;
    nd_solicited_node(target, group, gmac);
    memset(out + 40, 0, 32);
    out[40] = ND_NEIGHBOR_SOLICIT_;
    memcpy(out + 48, target, 16);
    out[64] = 1; /* source link-layer address */
    out[65] = 1;
    memcpy(out + 66, mac, 6);
    ip6_hdr_build(out, 32, IPPROTO_ICMPV6_, src, group, ND_HLIM);
    icmp6_csum(out, 72);
    return 72;
}

size_t nd_na_build(uint8_t *out, size_t cap, const uint8_t target[16], const uint8_t dst[16],
                   const uint8_t mac[6], int solicited)
{
    if (cap < 72)
        return 0;
    memset(out + 40, 0, 32);
    out[40] = ND_NEIGHBOR_ADVERT_;
    out[44] = (uint8_t)(0x80 | (solicited ? 0x40 : 0) | 0x20); /* Router, Solicited, Override */
    memcpy(out + 48, target, 16);
    out[64] = 2; /* target link-layer address */
    out[65] = 1;
    memcpy(out + 66, mac, 6);
    ip6_hdr_build(out, 32, IPPROTO_ICMPV6_, target, dst, ND_HLIM);
    icmp6_csum(out, 72);
    return 72;
}

int nd_lladdr_option(const uint8_t *icmp, size_t len, uint8_t type, uint8_t mac[6])
{
    size_t off = 24; /* NS and NA: header and target */

    while (off + 2 <= len) {
        size_t olen = icmp[off + 1] * 8u;
        if (olen == 0 || off + olen > len)
            return 0;
        if (icmp[off] == type && olen >= 8) {
            memcpy(mac, icmp + off + 2, 6);
            return 1;
        }
        off += olen;
    }
    return 0;
}
