/*
 * espout.c: ESP tunnel-mode encapsulation (RFC 4303; UDP, RFC 3948) of a
 * packet that entered a service set and matched a tunnel (ipsec.h).
 *
 * The tunnel MTU is the IP MTU of the port toward the remote gateway (a
 * lookup in the local gateway's routing instance) less this SA's overhead
 * (outer IPv4 header, UDP header when encapsulated, SPI and sequence
 * number, IV, worst-case padding, pad length and next header, ICV: for
 * AES-GCM an 8-byte IV, padding to 4 bytes and a 16-byte ICV), or the
 * configured tunnel-mtu.  A larger inner packet gets ICMP fragmentation
 * needed (IPv4 with DF) or Packet Too Big (IPv6) carrying that MTU; an
 * IPv4 packet without DF (or with DF cleared by clear-dont-fragment-bit)
 * is fragmented first and each fragment is encapsulated.  The outer header
 * copies the inner TOS / traffic class (RFC 4301 5.1.2.1), has TTL 64 and
 * DF clear (so a tunnel-mtu larger than the path is fragmented after
 * encapsulation, and reassembled by the peer); the UDP checksum is zero
 * (RFC 3948 2.1).  The outer packet is routed from the local gateway in
 * its routing instance (ip4_send).
 *
 * An AH SA (ahout.c) puts its header between the outer IPv4 header and the
 * inner packet, or around the ESP packet of its bundle.
 *
 * Buffers: one static buffer per nesting depth (a tunnel whose outer
 * packet enters another service set, or comes back to the appliance); a
 * depth of 4 is a loop and is dropped.
 */
#include "ipsec.h"
#include "crypto/esp.h"
#include "log.h"
#include "pktutil.h"
#include "svc.h"

#include <string.h>

#define ESP_DEPTH 4
#define ESP_BUF (65535 + 512)
#define UDP_HLEN 8

static uint8_t bufs[ESP_DEPTH][ESP_BUF];

struct enc_ctx {
    struct fwdd *fw;
    struct ipsec_sa *sa;
    struct instance *inst; /* of the local gateway */
    int depth;
};

/* The largest inner packet that fits the port toward the remote gateway
 * once encapsulated by sa; 0 when there is no route. */
static unsigned tunnel_mtu(const struct ipsec_sa *sa, const struct instance *inst)
{
    const struct rt_dest *d = rtable_lookup(inst->inet, &sa->remote);
    const struct route *r = rt_active(d);
    const struct ipsec_sa *e = sa->proto == FWD_PROTO_AH ? sa->esp : sa; /* ESP, if any */
    long avail, fixed = 20 + (sa->encap == FWD_ENCAP_UDP ? UDP_HLEN : 0) + (long)ah_overhead(sa) +
                        (e ? ESP_HDR_LEN + (long)e->iv_len + (long)e->icv_len : 0);

    if (r == NULL || r->sel < 0 || r->nh[r->sel].kind == NH_DISCARD)
        return 0;
    if (sa->tunnel_mtu)
        return sa->tunnel_mtu;
    if (r->nh[r->sel].unit == NULL)
        return 0;
    avail = (long)unit_mtu(r->nh[r->sel].unit) - fixed;
    if (e)
        avail = avail / (long)e->block * (long)e->block - 2;
    return avail < 68 ? 68 : (unsigned)avail;
}

static void encap_one(void *arg, uint8_t *ip, size_t len)
{
    struct enc_ctx *c = arg;
    struct ipsec_sa *sa = c->sa, *e = sa->proto == FWD_PROTO_AH ? sa->esp : sa; /* ESP, if any */
    size_t ah = ah_overhead(sa), hdr = 20 + (sa->encap == FWD_ENCAP_UDP ? UDP_HLEN : 0) + ah;
    size_t esplen = len, total;
    uint8_t *buf = bufs[c->depth], *esp = buf + hdr;
    int v6 = ip[0] >> 4 == 6;
    uint8_t tos = v6 ? (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4) : ip[1];

    if (hdr + len + (e ? ESP_HDR_LEN + e->iv_len + e->block + 2 + e->icv_len : 0) > 65535) {
        fwd_drop(c->fw, DROP_NEEDFRAG);
        return;
    }
    if (sa->seq == UINT32_MAX || (e && e->seq == UINT32_MAX)) { /* no ESN: RFC 4303 3.3.3 */
        fwd_drop(c->fw, DROP_ESP_SEQ);
        return;
    }
    if (e == NULL) { /* AH alone: the inner packet right after the AH header */
        memcpy(esp, ip, len);
    } else {
        memcpy(esp + ESP_HDR_LEN + e->iv_len, ip, len);
        if (esp_seal(e->xf, e->spi, ++e->seq, v6 ? 41 : 4, NULL, esp, len, ESP_BUF - hdr,
                     &esplen) != ESP_OK) {
            log_warnx("ESP seal (SA %08x): %s", e->spi, crypto_strerror());
            fwd_drop(c->fw, DROP_ESP_DECRYPT);
            return;
        }
    }
    total = hdr + esplen;
    ip4_hdr_build(buf, total,
                  ah                           ? IPPROTO_AH_
                  : sa->encap == FWD_ENCAP_UDP ? IPPROTO_UDP_
                                               : IPPROTO_ESP_,
                  addr_v4(&sa->local), addr_v4(&sa->remote), 64, 0, c->fw->ip_id++);
    buf[1] = tos;
    if (ah && ah_output(c->fw, sa, buf, total, e ? IPPROTO_ESP_ : v6 ? 41 : 4) < 0)
        return;
    ip4_set_csum(buf);
    if (sa->encap == FWD_ENCAP_UDP) {
        put16(buf + 20, sa->sport);
        put16(buf + 22, sa->dport);
        put16(buf + 24, (uint16_t)(UDP_HLEN + esplen));
        put16(buf + 26, 0);
    }
    if (e)
        sa_count(c->fw, e, len);
    ip4_send(c->fw, c->inst, buf, total);
}

void esp_output(struct fwdd *fw, struct unit *in, struct unit *u, struct tunnel *t, uint8_t *ip,
                size_t len)
{
    struct ipsec *x = ipsec_get(fw);
    struct ipsec_sa *sa = tunnel_out_sa(t);
    const struct service_set *ss = t->rt->ss;
    struct instance *inst = ss ? ss->lgw_inst : NULL, *from = in ? in->inst : u->inst;
    struct enc_ctx c = {fw, sa, inst, x->depth};
    int v6 = ip[0] >> 4 == 6;
    unsigned mtu;

    if (sa == NULL || inst == NULL) {
        fwd_drop(fw, DROP_SS_NO_SA);
        return;
    }
    if (x->depth >= ESP_DEPTH) {
        fwd_drop(fw, DROP_ESP_NESTED);
        return;
    }
    if ((mtu = tunnel_mtu(sa, inst)) == 0) {
        fwd_drop(fw, DROP_ESP_NO_ROUTE);
        return;
    }
    if (!v6 && sa->clear_df && (ip[6] & 0x40)) {
        ip[6] &= (uint8_t)~0x40;
        ip4_set_csum(ip);
    }
    x->depth++;
    if (len <= mtu) {
        encap_one(&c, ip, len);
    } else if (v6) {
        /* RFC 8200 5: report at least 1280; below that the outer packet is
         * fragmented instead */
        if (mtu >= 1280 || len > 1280) {
            icmp6_reply_error(fw, in, from, ip, len, ICMP6_PACKET_TOO_BIG_, 0,
                              mtu < 1280 ? 1280 : mtu);
            fwd_drop(fw, DROP_NEEDFRAG);
        } else {
            encap_one(&c, ip, len);
        }
    } else if (ip[6] & 0x40) {
        icmp4_reply_error(fw, in, from, ip, len, ICMP_UNREACH_, ICMP_UNREACH_NEEDFRAG_,
                          (uint16_t)mtu);
        fwd_drop(fw, DROP_NEEDFRAG);
    } else if (ip4_fragment(ip, len, mtu, encap_one, &c) < 0) {
        fwd_drop(fw, DROP_NEEDFRAG);
    }
    x->depth--;
}
