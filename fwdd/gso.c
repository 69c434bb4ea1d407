/*
 * gso.c: IPv4 fragmentation (RFC 791) and the segmentation of GSO
 * super-frames that AF_PACKET delivers from a veth or virtio peer with
 * offloads on (pkt.h; why: docs/fwdd.md "Offloads").
 */
#include "pkt.h"
#include "pktutil.h"

#include <linux/virtio_net.h>
#include "pkt.h"
#include <stdlib.h>
#include <string.h>

/* Options of the first header that later fragments carry (copied flag). */
static unsigned copied_options(const uint8_t *ip, unsigned hlen, uint8_t *out)
{
    unsigned i = 20, n = 0;

    while (i < hlen) {
        uint8_t type = ip[i], olen;
        if (type == 0)
            break;
        if (type == 1) {
            i++;
            continue;
        }
        if (i + 1 >= hlen || (olen = ip[i + 1]) < 2 || i + olen > hlen)
            break;
        if (type & 0x80) {
            memcpy(out + n, ip + i, olen);
            n += olen;
        }
        i += olen;
    }
    while (n % 4)
        out[n++] = 0;
    return n;
}

int ip4_fragment(const uint8_t *ip, size_t len, unsigned mtu, pkt_emit_fn emit, void *arg)
{
    struct ip4_info h;
    uint8_t opts[40], *frag;
    unsigned data, off = 0, optlen, hl;
    size_t payload;

    if (pkt_ipv4(ip, len, &h) != PKT_OK || mtu < h.hlen + 8 || mtu > 65535)
        return -1;
    payload = h.tot_len - h.hlen;
    optlen = copied_options(ip, h.hlen, opts);
    if ((frag = malloc(mtu)) == NULL)
        return -1;
    while (off < payload) {
        int first = off == 0;
        size_t n;
        uint16_t fo;

        hl = first ? h.hlen : 20 + optlen;
        data = (mtu - hl) & ~7u;
        n = payload - off;
        if (n > data)
            n = data;
        memcpy(frag, ip, 20);
        if (first)
            memcpy(frag + 20, ip + 20, h.hlen - 20);
        else
            memcpy(frag + 20, opts, optlen);
        frag[0] = (uint8_t)(0x40 | hl / 4);
        memcpy(frag + hl, ip + h.hlen + off, n);
        put16(frag + 2, (uint16_t)(hl + n));
        fo = (uint16_t)((h.fragoff + off) / 8);
        if (off + n < payload || h.mf)
            fo |= 0x2000;
        put16(frag + 6, fo);
        ip4_set_csum(frag);
        emit(arg, frag, hl + n);
        off += (unsigned)n;
    }
    free(frag);
    return 0;
}

struct seg_ctx {
    const uint8_t *ip;
    int v6;
    unsigned l3len, l4len; /* header bytes */
    unsigned payload;      /* bytes after the transport header */
    uint8_t proto;
};

static int seg_headers(const uint8_t *ip, size_t len, unsigned gso_type, struct seg_ctx *c)
{
    size_t tot;

    c->ip = ip;
    c->v6 = gso_type == VIRTIO_NET_HDR_GSO_TCPV6 ||
            (gso_type == VIRTIO_NET_HDR_GSO_UDP_L4 && len && ip[0] >> 4 == 6);
    if (c->v6) {
        if (len < 40 || ip[0] >> 4 != 6)
            return PKT_BAD_VERSION;
        c->l3len = 40;
        tot = 40u + get16(ip + 4);
        c->proto = ip[6];
    } else {
        if (len < 20 || ip[0] >> 4 != 4)
            return PKT_BAD_VERSION;
        c->l3len = (ip[0] & 0x0fu) * 4u;
        tot = get16(ip + 2);
        c->proto = ip[9];
        if (c->l3len < 20)
            return PKT_BAD_IHL;
    }
    if (tot > len || tot < c->l3len)
        return PKT_BAD_LEN;
    if (c->proto != (gso_type == VIRTIO_NET_HDR_GSO_UDP_L4 ? IPPROTO_UDP_ : IPPROTO_TCP_))
        return PKT_UNSUPPORTED;
    if (c->proto == IPPROTO_TCP_) {
        if (tot < c->l3len + 20u)
            return PKT_SHORT;
        c->l4len = (ip[c->l3len + 12] >> 4) * 4u;
        if (c->l4len < 20 || c->l3len + c->l4len > tot)
            return PKT_BAD_LEN;
    } else {
        c->l4len = 8;
        if (tot < c->l3len + 8u)
            return PKT_SHORT;
    }
    c->payload = (unsigned)tot - c->l3len - c->l4len;
    return PKT_OK;
}

int gso_segment(const uint8_t *ip, size_t len, unsigned gso_type, unsigned gso_size,
                pkt_emit_fn emit, void *arg)
{
    struct seg_ctx c;
    uint8_t *seg;
    unsigned hdr, off, i;
    uint32_t seq = 0;
    uint16_t id = 0;
    int r;

    gso_type &= ~(unsigned)VIRTIO_NET_HDR_GSO_ECN;
    if (gso_type != VIRTIO_NET_HDR_GSO_TCPV4 && gso_type != VIRTIO_NET_HDR_GSO_TCPV6 &&
        gso_type != VIRTIO_NET_HDR_GSO_UDP_L4)
        return PKT_UNSUPPORTED;
    if ((r = seg_headers(ip, len, gso_type, &c)) != PKT_OK)
        return r;
    if (gso_size == 0)
        gso_size = c.payload ? c.payload : 1;
    hdr = c.l3len + c.l4len;
    if ((seg = malloc(hdr + gso_size)) == NULL)
        return PKT_SHORT;
    if (c.proto == IPPROTO_TCP_)
        seq = get32(ip + c.l3len + 4);
    if (!c.v6)
        id = get16(ip + 4);
    for (off = 0, i = 0; off < c.payload || (off == 0 && c.payload == 0); i++) {
        unsigned n = c.payload - off > gso_size ? gso_size : c.payload - off;
        int last = off + n >= c.payload;
        uint8_t *l4 = seg + c.l3len;

        memcpy(seg, ip, hdr);
        memcpy(seg + hdr, ip + hdr + off, n);
        if (c.v6) {
            put16(seg + 4, (uint16_t)(c.l4len + n));
        } else {
            put16(seg + 2, (uint16_t)(hdr + n));
            put16(seg + 4, (uint16_t)(id + i));
            ip4_set_csum(seg);
        }
        if (c.proto == IPPROTO_TCP_) {
            put32(l4 + 4, seq + off);
            if (!last)
                l4[13] &= (uint8_t)~0x09; /* FIN, PSH on the last segment only */
            if (i > 0)
                l4[13] &= (uint8_t)~0x80; /* CWR on the first only */
        } else {
            put16(l4 + 4, (uint16_t)(8 + n));
        }
        if (c.v6)
            ip6_l4_csum(seg, hdr + n);
        else
            ip4_l4_csum(seg, hdr + n);
        emit(arg, seg, hdr + n);
        off += n;
        if (n == 0)
            break;
    }
    free(seg);
    return PKT_OK;
}
