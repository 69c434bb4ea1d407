/*
 * pkt.c: bounds-checked parsers and checksums (pkt.h).
 */
#include "pkt.h"
#include "pktutil.h"

#include <arpa/inet.h>
#include <string.h>

const char *pkt_err_name(enum pkt_err e)
{
    static const char *const names[] = {
        [PKT_OK] = "ok",
        [PKT_SHORT] = "truncated header",
        [PKT_BAD_VERSION] = "bad IP version",
        [PKT_BAD_IHL] = "bad IP header length",
        [PKT_BAD_LEN] = "bad length",
        [PKT_BAD_CSUM] = "bad header checksum",
        [PKT_BAD_ARP] = "bad ARP",
        [PKT_UNSUPPORTED] = "unsupported GSO type",
    };
    return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e] : "?";
}

int pkt_eth(const uint8_t *f, size_t len, struct eth_info *e)
{
    if (len < ETH_HLEN_)
        return PKT_SHORT;
    e->dst = f;
    e->src = f + 6;
    e->type = get16(f + 12);
    e->l3off = ETH_HLEN_;
    return PKT_OK;
}

int pkt_arp(const uint8_t *p, size_t len, struct arp_info *a)
{
    if (len < 28)
        return PKT_SHORT;
    if (get16(p) != 1 || get16(p + 2) != ETHTYPE_IPV4 || p[4] != 6 || p[5] != 4)
        return PKT_BAD_ARP;
    a->op = get16(p + 6);
    if (a->op != 1 && a->op != 2)
        return PKT_BAD_ARP;
    memcpy(a->sha, p + 8, 6);
    a->spa = get32(p + 14);
    memcpy(a->tha, p + 18, 6);
    a->tpa = get32(p + 24);
    return PKT_OK;
}

size_t arp_build(uint8_t *out, size_t cap, uint16_t op, const uint8_t eth_dst[6],
                 const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa)
{
    if (cap < 60)
        return 0;
    memset(out, 0, 60);
    memcpy(out, eth_dst, 6);
    memcpy(out + 6, sha, 6);
    put16(out + 12, ETHTYPE_ARP);
    put16(out + 14, 1);
    put16(out + 16, ETHTYPE_IPV4);
    out[18] = 6;
    out[19] = 4;
    put16(out + 20, op);
    memcpy(out + 22, sha, 6);
    put32(out + 28, spa);
    memcpy(out + 32, tha, 6);
    put32(out + 38, tpa);
    return 60;
}

int pkt_ipv4(const uint8_t *p, size_t len, struct ip4_info *ip)
{
    uint16_t frag;

    if (len < 20)
        return PKT_SHORT;
    if (p[0] >> 4 != 4)
        return PKT_BAD_VERSION;
    ip->hlen = (p[0] & 0x0fu) * 4u;
    if (ip->hlen < 20 || ip->hlen > len)
        return PKT_BAD_IHL;
    ip->tot_len = get16(p + 2);
    if (ip->tot_len < ip->hlen || ip->tot_len > len)
        return PKT_BAD_LEN;
    if (csum_fold(csum_add(0, p, ip->hlen)) != 0)
        return PKT_BAD_CSUM;
    ip->tos = p[1];
    ip->id = get16(p + 4);
    frag = get16(p + 6);
    ip->df = (frag & 0x4000) != 0;
    ip->mf = (frag & 0x2000) != 0;
    ip->fragoff = (frag & 0x1fffu) * 8u;
    ip->ttl = p[8];
    ip->proto = p[9];
    ip->src = get32(p + 12);
    ip->dst = get32(p + 16);
    return PKT_OK;
}

int pkt_ipv6(const uint8_t *p, size_t len, struct ip6_info *ip)
{
    if (len < 40)
        return PKT_SHORT;
    if (p[0] >> 4 != 6)
        return PKT_BAD_VERSION;
    ip->plen = get16(p + 4);
    if (ip->plen + 40u > len)
        return PKT_BAD_LEN;
    ip->nxt = p[6];
    ip->hlim = p[7];
    memcpy(ip->src, p + 8, 16);
    memcpy(ip->dst, p + 24, 16);
    return PKT_OK;
}

int pkt_l4(const uint8_t *l4, size_t len, uint8_t proto, struct l4_info *t)
{
    memset(t, 0, sizeof(*t));
    t->proto = proto;
    t->len = len;
    switch (proto) {
    case IPPROTO_UDP_:
        if (len < 8)
            return PKT_SHORT;
        if (get16(l4 + 4) < 8 || get16(l4 + 4) > len)
            return PKT_BAD_LEN;
        t->sport = get16(l4);
        t->dport = get16(l4 + 2);
        t->hlen = 8;
        t->len = get16(l4 + 4);
        return PKT_OK;
    case IPPROTO_TCP_:
        if (len < 20)
            return PKT_SHORT;
        t->hlen = (l4[12] >> 4) * 4u;
        if (t->hlen < 20 || t->hlen > len)
            return PKT_BAD_LEN;
        t->sport = get16(l4);
        t->dport = get16(l4 + 2);
        return PKT_OK;
    case IPPROTO_ICMP_:
    case IPPROTO_ICMPV6_:
        if (len < 8)
            return PKT_SHORT;
        t->type = l4[0];
        t->code = l4[1];
        t->icmp_id = get16(l4 + 4);
        t->icmp_seq = get16(l4 + 6);
        t->hlen = 8;
        return PKT_OK;
    default:
        return PKT_OK;
    }
}

/* --- checksums -------------------------------------------------------- */

uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t s = 0, w;
    uint32_t t;

    /* RFC 1071: the ones' complement sum does not depend on the byte
     * order of the words summed, so 8 bytes are added at a time in the
     * machine's order (with the carries kept), folded to 16 bits and
     * put into network order at the end. */
    while (len >= 8) {
        memcpy(&w, p, 8);
        s += w;
        s += s < w; /* end-around carry */
        p += 8;
        len -= 8;
    }
    if (len >= 4) {
        memcpy(&t, p, 4);
        s += t;
        s += s < t;
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        uint16_t h;
        memcpy(&h, p, 2);
        s += h;
        s += s < h;
        p += 2;
        len -= 2;
    }
    if (len) { /* the last byte is the high one of a word, in network order */
        uint8_t b[2] = {p[0], 0};
        uint16_t h;
        memcpy(&h, b, 2);
        s += h;
        s += s < h;
    }
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffu) + (s >> 16);
    s = (s & 0xffffu) + (s >> 16);
    s = (s & 0xffffu) + (s >> 16);
    s = (uint64_t)sum + ntohs((uint16_t)s); /* the caller's sum may be near 2^32 */
    return (uint32_t)s + (uint32_t)(s >> 32);
}

uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

uint32_t csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
    uint8_t ph[12];

    put32(ph, src);
    put32(ph + 4, dst);
    ph[8] = 0;
    ph[9] = proto;
    put16(ph + 10, (uint16_t)len);
    return csum_add(0, ph, sizeof(ph));
}

uint32_t csum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto, size_t len)
{
    uint8_t ph[40] = {0};

    memcpy(ph, src, 16);
    memcpy(ph + 16, dst, 16);
    put32(ph + 32, (uint32_t)len);
    ph[39] = proto;
    return csum_add(0, ph, sizeof(ph));
}

void ip4_set_csum(uint8_t *ip)
{
    unsigned hlen = (ip[0] & 0x0fu) * 4u;

    put16(ip + 10, 0);
    put16(ip + 10, csum_fold(csum_add(0, ip, hlen)));
}

/* Offset of the checksum field in a transport header, or 0. */
static size_t csum_field(uint8_t proto)
{
    switch (proto) {
    case IPPROTO_TCP_:
        return 16;
    case IPPROTO_UDP_:
        return 6;
    case IPPROTO_ICMP_:
    case IPPROTO_ICMPV6_:
        return 2;
    }
    return 0;
}

void ip4_l4_csum(uint8_t *ip, size_t len)
{
    unsigned hlen = (ip[0] & 0x0fu) * 4u;
    uint8_t proto = ip[9];
    size_t off = csum_field(proto), l4len = len - hlen;
    uint32_t sum = 0;
    uint16_t c;

    if (off == 0 || l4len < off + 2)
        return;
    put16(ip + hlen + off, 0);
    if (proto != IPPROTO_ICMP_)
        sum = csum_pseudo4(get32(ip + 12), get32(ip + 16), proto, l4len);
    c = csum_fold(csum_add(sum, ip + hlen, l4len));
    if (c == 0 && proto == IPPROTO_UDP_)
        c = 0xffff;
    put16(ip + hlen + off, c);
}

void ip6_l4_csum(uint8_t *ip, size_t len)
{
    uint8_t proto = ip[6];
    size_t off = csum_field(proto), l4len = len - 40;
    uint16_t c;

    if (off == 0 || l4len < off + 2)
        return;
    put16(ip + 40 + off, 0);
    c = csum_fold(csum_add(csum_pseudo6(ip + 8, ip + 24, proto, l4len), ip + 40, l4len));
    if (c == 0 && proto == IPPROTO_UDP_)
        c = 0xffff;
    put16(ip + 40 + off, c);
}

void ip4_dec_ttl(uint8_t *ip)
{
    /* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), m the 16-bit word of TTL. */
    uint16_t old = get16(ip + 8), new_;
    uint32_t sum;

    ip[8]--;
    new_ = get16(ip + 8);
    sum = (uint16_t)~get16(ip + 10) + (uint32_t)(uint16_t)~old + new_;
    put16(ip + 10, csum_fold(sum));
}

int csum_complete(uint8_t *p, size_t len, size_t start, size_t off)
{
    if (start >= len || off + 2 > len - start)
        return -1;
    put16(p + start + off, csum_fold(csum_add(0, p + start, len - start)));
    return 0;
}
