/*
 * ahin.c: inbound AH (RFC 4302 3.4) to a local gateway, after reassembly
 * (local.c).  Order of the checks, each with its counter (the SA's, the
 * tunnel's for show statistics, and a drop reason):
 *
 *   1. SA by SPI and destination, in the routing instance of the service
 *      set's local gateway, of protocol AH;          AH without SA
 *   2. the AH length is the SA's (12 + ICV), or     bad headers
 *      padded to 8 bytes as Linux does by default
 *      (RFC 4302 2.6 allows explicit ICV padding;
 *      the padding is hashed as it came);
 *   3. anti-replay window, before the ICV;           replay errors
 *   4. the ICV over the packet, mutable fields       AH authentication failures
 *      zeroed (lib/crypto/ah.h);
 *   5. the window moves; what AH carried counts (AH input bytes);
 *   6. next header: a bundle's SA takes only ESP     bad headers
 *      (50), whose SPI must be the bundle's ESP SA's
 *      (else ESP without SA), then espin.c's checks from 2 on with that SA;
 *      an AH SA alone takes IPv4 (4) or IPv6 (41), which must be a valid
 *      packet (bad headers), within the SA's selectors, and is routed from
 *      the tunnel's inside unit (espin.c's ipsec_deliver).
 *
 * 1 and 2 run on the main thread (ah_input); 3 to 5, and for a bundle the
 * ESP inside it from espin.c's check 2 to its window's move, on the worker
 * of the PIC owning the tunnel, in one job (ah_open_run, pic.h): both
 * windows belong to that thread as ESP's do; the counters, 6 and the
 * delivery run on the main thread again (ah_open_done).
 */
#include "ipsec.h"
#include "crypto/ah.h"
#include "pic.h"
#include "pktutil.h"
#include "svc.h"

enum ah_err { A_HDR, A_REPLAY, A_AUTH };

static void count_err(struct fwdd *fw, struct ipsec_sa *sa, enum ah_err e)
{
    struct sa_counters *s = &sa->st, *t = &sa->tun->st;

    switch (e) {
    case A_HDR:
        s->bad_headers++;
        t->bad_headers++;
        fwd_drop(fw, DROP_AH_HDR);
        break;
    case A_REPLAY:
        s->replay_errors++;
        t->replay_errors++;
        fwd_drop(fw, DROP_AH_REPLAY);
        break;
    case A_AUTH:
        s->auth_failures++;
        t->ah_auth_failures++;
        fwd_drop(fw, DROP_AH_AUTH);
        break;
    }
}

static void no_sa(struct fwdd *fw, struct instance *inst, uint32_t dst, enum fwd_drop why)
{
    struct service_set *ss = svc_by_gateway(fw->cur, inst, dst);

    if (ss)
        ss->rt->esp_dropped++;
    fwd_drop(fw, why);
}

void ah_input(struct fwdd *fw, struct instance *inst, uint8_t *ip, size_t len)
{
    size_t hl = (ip[0] & 0x0fu) * 4u, ahlen;
    uint32_t dst = get32(ip + 16);
    uint8_t *ah = ip + hl;
    struct ipsec_sa *sa = NULL;
    struct pjob *j;

    if (len < hl + AH_FIXED_LEN || (sa = sa_lookup_in(fw, get32(ah + 4), inst, dst)) == NULL ||
        sa->proto != FWD_PROTO_AH) {
        no_sa(fw, inst, dst, len < hl + AH_FIXED_LEN ? DROP_AH_HDR : DROP_AH_NO_SA);
        return;
    }
    sa_prefetch(fw, sa);
    ahlen = (ah[1] + 2u) * 4u;
    if (ahlen < ah_overhead(sa) || ahlen > ((ah_overhead(sa) + 7) & ~(size_t)7) ||
        len < hl + ahlen) {
        count_err(fw, sa, A_HDR);
        return;
    }
    /* the ICV covers the outer header: the worker gets the whole packet */
    if ((j = pjob_inbound(fw, sa, PJ_AH_OPEN, ip, len)) == NULL) {
        fwd_drop(fw, DROP_PIC_BUSY);
        return;
    }
    j->hdr = hl + ahlen;
    pic_submit(fw, j);
}

void ah_open_run(struct pjob *j)
{
    struct ipsec_sa *sa = j->sa, *e = sa->esp;
    uint8_t *ah = j->buf + (j->buf[0] & 0x0fu) * 4u, *p = j->buf + j->hdr;
    size_t plen = j->len - j->hdr;
    uint32_t seq = get32(ah + 8);

    j->estatus = PJ_NOT_RUN;
    if (sa_replay_check(sa, seq) < 0) {
        j->status = PJ_REPLAY;
        return;
    }
    if ((j->status = ah_icv_verify(sa->ah, j->buf, j->len)) != ESP_OK)
        return;
    sa_replay_update(sa, seq);
    if (e == NULL || ah[0] != IPPROTO_ESP_)
        return;
    if (plen < ESP_HDR_LEN || get32(p) != e->spi)
        j->estatus = PJ_NO_SA;
    else if (!esp_hdr_ok(e, plen, 0))
        j->estatus = PJ_HDR;
    else
        j->estatus = esp_open_sa(e, p, plen, &j->off, &j->plen, &j->nh);
}

void ah_open_done(struct fwdd *fw, struct pjob *j)
{
    struct ipsec_sa *sa = j->sa;
    uint8_t nh = j->buf[(j->buf[0] & 0x0fu) * 4u], *p = j->buf + j->hdr;
    size_t plen = j->len - j->hdr;

    if (j->status != ESP_OK) {
        count_err(fw, sa,
                  j->status == PJ_REPLAY     ? A_REPLAY
                  : j->status == ESP_ERR_ICV ? A_AUTH
                                             : A_HDR);
        return;
    }
    if (sa->esp == NULL) {
        if ((nh != 4 && nh != 41) || ipsec_deliver(fw, sa, p, plen, nh) < 0)
            count_err(fw, sa, A_HDR);
        return;
    }
    if (nh != IPPROTO_ESP_) {
        count_err(fw, sa, A_HDR);
        return;
    }
    sa_count(fw, sa, plen);
    if (j->estatus == PJ_NO_SA) {
        sa->tun->rt->esp_dropped++;
        fwd_drop(fw, DROP_ESP_NO_SA);
        return;
    }
    esp_opened(fw, sa->esp, j->estatus, p + j->off, j->plen, j->nh);
}
