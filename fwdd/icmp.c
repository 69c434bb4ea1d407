/*
 * icmp.c: the IPv4 packets fwdd originates: ICMP errors (RFC 792, RFC 1191,
 * with the restrictions of RFC 1812 4.3.2.7), echo replies, and the probes
 * of ping and traceroute (pkt.h).
 */
#include "pkt.h"
#include "pktutil.h"

#include <string.h>

#define DEFAULT_TTL 64

void ip4_hdr_build_tos(uint8_t *ip, size_t tot_len, uint8_t tos, uint8_t proto, uint32_t src,
                       uint32_t dst, uint8_t ttl, int df, uint16_t id)
{
    uint16_t frag = df ? 0x4000 : 0;
    uint32_t sum;

    ip[0] = 0x45;
    ip[1] = tos;
    put16(ip + 2, (uint16_t)tot_len);
    put16(ip + 4, id);
    put16(ip + 6, frag);
    ip[8] = ttl;
    ip[9] = proto;
    put32(ip + 12, src);
    put32(ip + 16, dst);
    /* the checksum from the values, not from the bytes just stored (a
     * load over several smaller stores in flight waits for them all) */
    sum = (0x4500u | tos) + (uint16_t)tot_len + id + frag + ((uint32_t)ttl << 8 | proto) +
          (src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu);
    put16(ip + 10, csum_fold(sum));
}

void ip4_hdr_build(uint8_t *ip, size_t tot_len, uint8_t proto, uint32_t src, uint32_t dst,
                   uint8_t ttl, int df, uint16_t id)
{
    ip4_hdr_build_tos(ip, tot_len, 0, proto, src, dst, ttl, df, id);
}

static int is_icmp_error_type(uint8_t type)
{
    return type == ICMP_UNREACH_ || type == 4 || type == 5 || type == ICMP_TIMXCEED_ || type == 12;
}

static int bad_source(uint32_t a)
{
    return a == 0 || a == 0xffffffffu || (a >> 24) == 127 || (a >> 28) == 0xe;
}

size_t icmp4_error(uint8_t *out, size_t cap, const uint8_t *orig, size_t orig_len, uint8_t type,
                   uint8_t code, uint16_t mtu, uint32_t src, uint16_t id)
{
    struct ip4_info ip;
    size_t quote, total;

    if (pkt_ipv4(orig, orig_len, &ip) != PKT_OK)
        return 0;
    if (ip.fragoff != 0 || bad_source(ip.src) || ip.dst == 0xffffffffu || (ip.dst >> 28) == 0xe)
        return 0;
    if (ip.proto == IPPROTO_ICMP_ && (ip.tot_len <= ip.hlen || is_icmp_error_type(orig[ip.hlen])))
        return 0;
    quote = ip.tot_len;
    if (quote > ICMP_ERR_MAX - 28)
        quote = ICMP_ERR_MAX - 28;
    total = 28 + quote;
    if (cap < total)
        return 0;
    memset(out, 0, 28);
    out[28 - 8] = type;
    out[28 - 7] = code;
    if (type == ICMP_UNREACH_ && code == ICMP_UNREACH_NEEDFRAG_)
        put16(out + 26, mtu);
    memcpy(out + 28, orig, quote);
    put16(out + 22, csum_fold(csum_add(0, out + 20, total - 20)));
    ip4_hdr_build(out, total, IPPROTO_ICMP_, src, ip.src, DEFAULT_TTL, 0, id);
    out[1] = 0xc0; /* internetwork control, as BSD and Linux send errors */
    ip4_set_csum(out);
    return total;
}

int icmp4_echo_reply(uint8_t *p, size_t len, uint16_t id)
{
    struct ip4_info ip;
    uint32_t src;

    if (pkt_ipv4(p, len, &ip) != PKT_OK || ip.proto != IPPROTO_ICMP_ || ip.fragoff || ip.mf ||
        ip.tot_len < ip.hlen + 8 || p[ip.hlen] != ICMP_ECHO_)
        return -1;
    src = ip.src;
    /* Options are not reflected: the reply has a plain 20-byte header. */
    if (ip.hlen > 20)
        memmove(p + 20, p + ip.hlen, ip.tot_len - ip.hlen);
    len = ip.tot_len - ip.hlen + 20;
    p[20] = ICMP_ECHOREPLY_;
    put16(p + 22, 0);
    put16(p + 22, csum_fold(csum_add(0, p + 20, len - 20)));
    ip4_hdr_build(p, len, IPPROTO_ICMP_, ip.dst, src, DEFAULT_TTL, 0, id);
    return (int)len;
}

size_t icmp4_echo_build(uint8_t *out, size_t cap, uint32_t src, uint32_t dst, uint16_t ident,
                        uint16_t seq, size_t size, uint8_t ttl, int df, uint16_t id)
{
    size_t total = 28 + size;

    if (total > 65535 || cap < total)
        return 0;
    memset(out + 20, 0, 8);
    out[20] = ICMP_ECHO_;
    put16(out + 24, ident);
    put16(out + 26, seq);
    for (size_t i = 0; i < size; i++)
        out[28 + i] = (uint8_t)i;
    put16(out + 22, csum_fold(csum_add(0, out + 20, total - 20)));
    ip4_hdr_build(out, total, IPPROTO_ICMP_, src, dst, ttl, df, id);
    return total;
}

size_t udp4_build(uint8_t *out, size_t cap, uint32_t src, uint32_t dst, uint16_t sport,
                  uint16_t dport, size_t size, uint8_t ttl, uint16_t id)
{
    size_t total = 28 + size;

    if (total > 65535 || cap < total)
        return 0;
    put16(out + 20, sport);
    put16(out + 22, dport);
    put16(out + 24, (uint16_t)(8 + size));
    memset(out + 28, 0, size);
    ip4_hdr_build(out, total, IPPROTO_UDP_, src, dst, ttl, 0, id);
    ip4_l4_csum(out, total);
    return total;
}
