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
 * The cryptography is the job of the PIC that owns the tunnel (pic.h):
 * encap_one copies the inner packet into a job with room for the outer
 * headers and assigns the sequence numbers (and the outer header's
 * identification, which AH's ICV covers); on the worker, esp_seal_run
 * seals the ESP, writes the outer IPv4 (and UDP) header and, for an AH
 * SA, the AH header and its ICV over the finished packet; esp_seal_done,
 * on the main thread, counts and sends it.  A tunnel whose outer packet
 * enters another service set, or comes back to the appliance, nests: a
 * depth of 4 is a loop and is dropped.
 */
#include "ipsec.h"
#include "crypto/esp.h"
#include "log.h"
#include "pic.h"
#include "pktutil.h"
#include "svc.h"

#include <string.h>

#define ESP_DEPTH 4
#define UDP_HLEN 8

struct enc_ctx {
    struct fwdd *fw;
    struct ipsec_sa *sa;
    struct instance *inst; /* of the local gateway */
    int depth;
    const struct sa_route *route;
};

/* The route toward sa's remote gateway and the largest inner packet that
 * fits it once encapsulated by sa (mtu 0: no route), looked up again only
 * when the generation or a route table changed. */
static const struct sa_route *sa_route(struct fwdd *fw, struct ipsec_sa *sa,
                                       const struct instance *inst)
{
    struct sa_route *c = &sa->route;
    const struct rt_dest *d;
    const struct route *r;
    const struct rt_nh *nh;
    const struct ipsec_sa *e = sa->proto == FWD_PROTO_AH ? sa->esp : sa; /* ESP, if any */
    long avail, fixed = 20 + (sa->encap == FWD_ENCAP_UDP ? UDP_HLEN : 0) + (long)ah_overhead(sa) +
                        (e ? ESP_HDR_LEN + (long)e->iv_len + (long)e->icv_len : 0);
    uint32_t rgw = addr_v4(&sa->remote);

    if (c->gen == fw->cur->serial && c->changes == rtable_changes)
        return c;
    memset(c, 0, sizeof(*c));
    c->gen = fw->cur->serial;
    c->changes = rtable_changes;
    d = rtable_lookup(inst->inet, &sa->remote);
    if ((r = rt_active(d)) == NULL || r->sel < 0 || r->nh[r->sel].kind == NH_DISCARD)
        return c;
    nh = &r->nh[r->sel];
    /* straight to the port unless ip4_send has more to do */
    if (nh->unit && nh->unit->ifd->kind == IFK_ETH && !inst_is_local4(fw->cur, inst, rgw)) {
        c->out = nh->unit;
        c->nh = nh->kind == NH_GATEWAY ? addr_v4(&nh->gw) : rgw;
    }
    if (sa->tunnel_mtu) {
        c->mtu = sa->tunnel_mtu;
        return c;
    }
    if (nh->unit == NULL)
        return c;
    avail = (long)unit_mtu(nh->unit) - fixed;
    if (e)
        avail = avail / (long)e->block * (long)e->block - 2;
    c->mtu = avail < 68 ? 68 : (unsigned)avail;
    return c;
}

static void encap_one(void *arg, uint8_t *ip, size_t len)
{
    struct enc_ctx *c = arg;
    struct ipsec_sa *sa = c->sa, *e = sa->proto == FWD_PROTO_AH ? sa->esp : sa; /* ESP, if any */
    size_t hdr = 20 + (sa->encap == FWD_ENCAP_UDP ? UDP_HLEN : 0) + ah_overhead(sa);
    size_t at = hdr + (e ? ESP_HDR_LEN + e->iv_len : 0); /* where the inner packet goes */
    size_t tail = e ? e->block + 2 + e->icv_len : 0;     /* padding, trailer and ICV at most */
    int v6 = ip[0] >> 4 == 6;
    struct pjob *j;

    if (at + len + tail > 65535) {
        fwd_drop(c->fw, DROP_NEEDFRAG);
        return;
    }
    if (sa->seq == UINT32_MAX || (e && e->seq == UINT32_MAX)) { /* no ESN: RFC 4303 3.3.3 */
        fwd_drop(c->fw, DROP_ESP_SEQ);
        return;
    }
    /* sealed where it was received when it can be (pic.h), else copied */
    if ((j = pjob_take_rx(c->fw, sa->tun->w, ip, at, hdr, at - hdr + len, tail)) == NULL &&
        (j = pjob_get(c->fw, sa->tun->w, hdr, at - hdr + len)) == NULL) {
        fwd_drop(c->fw, DROP_PIC_BUSY);
        return;
    }
    j->kind = PJ_SEAL;
    j->sa = sa;
    j->seq = ++sa->seq;
    if (e && e != sa)
        j->eseq = ++e->seq;
    j->ipid = c->fw->ip_id++;
    j->nh = v6 ? 41 : 4;
    j->tos = v6 ? (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4) : ip[1];
    j->depth = c->depth;
    j->len = j->ilen = len;
    if (j->buf + at != ip)
        memcpy(j->buf + at, ip, len);
    pic_submit(c->fw, j);
}

void esp_seal_run(struct pjob *j)
{
    struct ipsec_sa *sa = j->sa, *e = sa->proto == FWD_PROTO_AH ? sa->esp : sa;
    uint8_t *buf = j->buf;
    size_t out = j->len, total;

    if (e && (j->status = esp_seal(e->xf, e->spi, e == sa ? j->seq : j->eseq, j->nh, NULL,
                                   buf + j->hdr, j->len, j->cap - j->hdr, &out)) != ESP_OK)
        return; /* AH alone: the inner packet is already right after the AH header */
    j->len = out;
    total = j->hdr + out;
    ip4_hdr_build_tos(buf, total, j->tos,
                      sa->ah                       ? IPPROTO_AH_
                      : sa->encap == FWD_ENCAP_UDP ? IPPROTO_UDP_
                                                   : IPPROTO_ESP_,
                      addr_v4(&sa->local), addr_v4(&sa->remote), 64, 0, j->ipid);
    if (sa->encap == FWD_ENCAP_UDP) {
        put16(buf + 20, sa->sport);
        put16(buf + 22, sa->dport);
        put16(buf + 24, (uint16_t)(UDP_HLEN + j->len));
        put16(buf + 26, 0);
    }
    if (sa->ah && ah_output(sa, j->seq, buf, total, e ? IPPROTO_ESP_ : j->nh) != ESP_OK)
        j->status = PJ_AH_FAIL;
}

void esp_seal_done(struct fwdd *fw, struct pjob *j)
{
    struct ipsec_sa *sa = j->sa, *e = sa->proto == FWD_PROTO_AH ? sa->esp : sa;
    const struct service_set *ss = fw->cur ? sa->tun->rt->ss : NULL;
    struct instance *inst = ss ? ss->lgw_inst : NULL;
    struct ipsec *x = ipsec_get(fw);
    const struct sa_route *rc;
    uint8_t *buf = j->buf;
    size_t total = j->hdr + j->len;
    int depth = x->depth;

    if (j->status != ESP_OK) {
        log_warnx("%s seal (SA %08x): %s", j->status == PJ_AH_FAIL ? "AH" : "ESP", sa->spi, j->err);
        fwd_drop(fw, j->status == PJ_AH_FAIL ? DROP_AH_AUTH : DROP_ESP_DECRYPT);
        return;
    }
    if (inst == NULL) { /* the configuration changed meanwhile */
        fwd_drop(fw, DROP_SS_NO_SA);
        return;
    }
    if (sa->ah) /* what AH carried: the inner packet or the bundle's ESP packet */
        sa_count(fw, sa, j->len);
    if (e)
        sa_count(fw, e, j->ilen);
    rc = sa_route(fw, sa, inst);
    x->depth = j->depth + 1; /* what esp_output had when it handed the packet over */
    if (rc->out)
        ip4_output(fw, NULL, rc->out, rc->nh, buf, total);
    else
        ip4_send(fw, inst, buf, total);
    x->depth = depth;
}

void esp_output(struct fwdd *fw, struct unit *in, struct unit *u, struct tunnel *t, uint8_t *ip,
                size_t len)
{
    struct ipsec *x = ipsec_get(fw);
    struct ipsec_sa *sa = tunnel_out_sa(t);
    const struct service_set *ss = t->rt->ss;
    struct instance *inst = ss ? ss->lgw_inst : NULL, *from = in ? in->inst : u->inst;
    struct enc_ctx c = {fw, sa, inst, x->depth, NULL};
    int v6 = ip[0] >> 4 == 6;
    unsigned mtu;

    if (sa == NULL || inst == NULL) {
        fwd_drop(fw, DROP_SS_NO_SA);
        return;
    }
    sa_prefetch(fw, sa);
    if (x->depth >= ESP_DEPTH) {
        fwd_drop(fw, DROP_ESP_NESTED);
        return;
    }
    c.route = sa_route(fw, sa, inst);
    if ((mtu = c.route->mtu) == 0) {
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
