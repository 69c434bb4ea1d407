/*
 * espin.c: inbound ESP (RFC 4303; in UDP, RFC 3948) to a local gateway
 * (ipsec.h).  Order of the checks, each with its counter (the SA's, the
 * tunnel's for show statistics, and a drop reason):
 *
 *   1. SA by SPI and destination (the hash of inbound SAs), in the routing
 *      instance of the service set's local gateway;   ESP without SA
 *   2. raw or UDP as the SA says, length;            bad headers
 *   3. anti-replay window, before any cryptography;  replay errors
 *   4. ICV (nothing is decrypted if it fails;        authentication failures
 *      AES-GCM checks its tag in the same pass
 *      and nothing of a failed packet is kept);
 *   5. decryption;                                   decryption failures
 *   6. padding, next header 4 or 41, inner header;   bad trailers
 *      (next header 59, a dummy packet, is dropped silently)
 *   7. the window moves; the bytes count (lifetimes);
 *   8. the inner packet within the SA's selectors;   outside selectors
 *   9. routed in the routing instance of the tunnel's inside unit, as if
 *      it had arrived on that unit.
 * 1 and 2 run on the main thread (esp_input), 3 to 5 and the window's move
 * on the worker of the PIC owning the tunnel (esp_open_sa, pic.h), the rest
 * on the main thread again (esp_opened).  The ESP inside an AH+ESP bundle
 * is opened by the same worker right after its AH (ahin.c: esp_hdr_ok and
 * esp_open_sa from 2 on, esp_opened); AH alone shares 7-9 (ipsec_deliver).
 */
#include "ipsec.h"
#include "crypto/esp.h"
#include "pic.h"
#include "pktutil.h"
#include "svc.h"

enum esp_err { E_HDR, E_REPLAY, E_AUTH, E_DECRYPT, E_TRAILER };

static void count_err(struct fwdd *fw, struct ipsec_sa *sa, enum esp_err e)
{
    static const enum fwd_drop drops[] = {DROP_ESP_HDR, DROP_ESP_REPLAY, DROP_ESP_AUTH,
                                          DROP_ESP_DECRYPT, DROP_ESP_TRAILER};
    struct sa_counters *c[2] = {&sa->st, &sa->tun->st};

    for (int i = 0; i < 2; i++)
        switch (e) {
        case E_HDR:
            c[i]->bad_headers++;
            break;
        case E_REPLAY:
            c[i]->replay_errors++;
            break;
        case E_AUTH:
            c[i]->auth_failures++;
            break;
        case E_DECRYPT:
            c[i]->decrypt_failures++;
            break;
        case E_TRAILER:
            c[i]->bad_trailers++;
            break;
        }
    fwd_drop(fw, drops[e]);
}

/* The inner packet's length if it is a valid IPv4 or IPv6 packet within
 * plen bytes, else 0. */
static size_t inner_len(const uint8_t *p, size_t plen, uint8_t nh)
{
    struct ip4_info h;
    struct ip6_info h6;

    if (nh == 4 && pkt_ipv4(p, plen, &h) == PKT_OK)
        return h.tot_len;
    if (nh == 41 && pkt_ipv6(p, plen, &h6) == PKT_OK)
        return 40u + h6.plen;
    return 0;
}

/* The tunnel's inside unit in the current generation (by name once per
 * generation). */
static struct unit *inside_unit(struct fwdd *fw, struct tunnel *t)
{
    if (t->inside_gen != fw->cur->serial) {
        t->inside_u = gen_unit(fw->cur, t->inside);
        t->inside_gen = fw->cur->serial;
    }
    return t->inside_u;
}

int esp_hdr_ok(const struct ipsec_sa *sa, size_t esplen, int udp)
{
    return !udp == (sa->encap != FWD_ENCAP_UDP) &&
           esplen >= ESP_HDR_LEN + sa->iv_len + sa->block + sa->icv_len;
}

void esp_input(struct fwdd *fw, struct instance *inst, uint8_t *ip, uint8_t *esp, size_t esplen,
               int udp)
{
    uint32_t dst = get32(ip + 16);
    struct ipsec_sa *sa = NULL;
    struct pjob *j;

    if (esplen < ESP_HDR_LEN || (sa = sa_lookup_in(fw, get32(esp), inst, dst)) == NULL ||
        sa->proto != FWD_PROTO_ESP) { /* an AH SA's SPI is not ESP's */
        struct service_set *ss = svc_by_gateway(fw->cur, inst, dst);
        if (ss)
            ss->rt->esp_dropped++;
        fwd_drop(fw, esplen < ESP_HDR_LEN ? DROP_ESP_HDR : DROP_ESP_NO_SA);
        return;
    }
    sa_prefetch(fw, sa);
    if (!esp_hdr_ok(sa, esplen, udp)) {
        count_err(fw, sa, E_HDR);
        return;
    }
    if ((j = pjob_inbound(fw, sa, PJ_OPEN, esp, esplen)) == NULL) {
        fwd_drop(fw, DROP_PIC_BUSY);
        return;
    }
    pic_submit(fw, j);
}

int esp_open_sa(struct ipsec_sa *sa, uint8_t *esp, size_t len, size_t *off, size_t *plen,
                uint8_t *nh)
{
    uint32_t seq = get32(esp + 4);
    int rc;

    if (sa_replay_check(sa, seq) < 0)
        return PJ_REPLAY;
    if ((rc = esp_open(sa->xf, esp, len, off, plen, nh)) == ESP_OK)
        sa_replay_update(sa, seq);
    return rc;
}

void esp_open_run(struct pjob *j)
{
    j->status = esp_open_sa(j->sa, j->buf, j->len, &j->off, &j->plen, &j->nh);
}

void esp_opened(struct fwdd *fw, struct ipsec_sa *sa, int status, uint8_t *p, size_t plen,
                uint8_t nh)
{
    if (status != ESP_OK) {
        count_err(fw, sa,
                  status == PJ_REPLAY         ? E_REPLAY
                  : status == PJ_HDR          ? E_HDR
                  : status == ESP_ERR_ICV     ? E_AUTH
                  : status == ESP_ERR_PADDING ? E_TRAILER
                                              : E_DECRYPT);
        return;
    }
    if (nh == 59) /* RFC 4303 2.6: a dummy packet */
        return;
    if (ipsec_deliver(fw, sa, p, plen, nh) < 0)
        count_err(fw, sa, E_TRAILER);
}

void esp_open_done(struct fwdd *fw, struct pjob *j)
{
    esp_opened(fw, j->sa, j->status, j->buf + j->off, j->plen, j->nh);
}

int ipsec_deliver(struct fwdd *fw, struct ipsec_sa *sa, uint8_t *p, size_t plen, uint8_t nh)
{
    struct unit *u;
    size_t ilen;

    if ((ilen = inner_len(p, plen, nh)) == 0)
        return -1;
    sa_count(fw, sa, ilen);
    if (!sel_match(&sa->sel, p, ilen, 1)) {
        fwd_drop(fw, DROP_ESP_SELECTOR);
        return 0;
    }
    if (fw->cur == NULL || (u = inside_unit(fw, sa->tun)) == NULL) {
        fwd_drop(fw, DROP_NO_UNIT);
        return 0;
    }
    if (nh == 41)
        ip6_input(fw, u, NULL, p, ilen);
    else
        ip4_input(fw, u, p, ilen);
    return 0;
}
