/*
 * informational.c: informational exchanges (RFC 2409 5.7, RFC 2408 4.8).
 *
 * In: a protected message (HASH(1) + notify or delete payloads) under an
 * established IKE SA: DELETE of an ESP SA removes its tunnel, DELETE of
 * the ISAKMP SA removes the IKE SA (its tunnels stay until they are
 * deleted or expire: phase-2 SAs outlive phase 1 in IKEv1), R-U-THERE
 * goes to dpd.c, error notifies are logged.  Unprotected informationals
 * (a peer's refusal during main mode) are logged only: they cannot be
 * authenticated.
 *
 * Out: plaintext notifies for refusals before keys exist (MM1, MM5,
 * IKEv2), protected notifies and deletes once they do.  Each protected
 * message has a fresh random message ID and its own IV (hash of the last
 * phase-1 block and the message ID).  An authenticated message ID seen
 * before is a replay: dropped and counted.  The payload counters of `show
 * ... ike statistics` are counted here (DELETE in and out, INVALID-SPI in
 * and out) and in dpd.c; an error notify sent joins the failure record of
 * the same step (failures.c).  Called by every exchange file.
 */
#include "ike.h"
#include "log.h"

#include <string.h>

void info_send_plain(struct kmd *k, const struct fwd_dgram *d, const uint8_t *icky,
                     const uint8_t *rcky, uint16_t type)
{
    uint8_t out[256];
    struct msg_builder b;
    struct msg_hdr h = {0};
    size_t len;

    memcpy(h.icookie, icky, ISAKMP_COOKIE_LEN);
    memcpy(h.rcookie, rcky, ISAKMP_COOKIE_LEN);
    h.major = ISAKMP_MAJOR;
    h.minor = ISAKMP_MINOR;
    h.exch = ISAKMP_EXCH_INFO;
    mb_init_msg(&b, out, sizeof(out));
    mb_notify(&b, ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ISAKMP, NULL, 0, type, NULL, 0);
    if (mb_finish_msg(&b, &h, &len) == 0) {
        kmd_send_reply(k, d, out, len);
        fail_notify(k, &d->src, type);
    }
}

/* HASH(1) + one payload built by the caller's function, encrypted; 0
 * when it went out. */
static int send_protected(struct kmd *k, struct ike_sa *sa,
                          void (*add)(struct msg_builder *, const void *), const void *arg)
{
    uint8_t body[KMD_PKT_MAX], out[KMD_PKT_MAX], iv[CRYPTO_MAX_BLOCK], *hp;
    struct msg_builder b;
    size_t hl = ike_hlen(sa), len;
    uint32_t msgid = 0;
    struct ikev1_keys keys;
    int r;

    if (sa->state != IKE_UP || sa->skey == NULL)
        return -1;
    while (msgid == 0)
        if (crypto_random(&msgid, sizeof(msgid)) < 0)
            return -1;
    if (ikev1_phase2_iv(sa->c.hash, sa->p1_last, ike_bs(sa), msgid, iv) < 0)
        return -1;
    mb_init(&b, body, sizeof(body));
    hp = mb_hash(&b, NULL, hl);
    add(&b, arg);
    r = b.err || hp == NULL || ike_keys(sa, &keys) < 0 ? -1 : 0;
    if (r == 0)
        r = ikev1_qm_hash1(&keys, msgid, body + 4 + hl, b.len - 4 - hl, hp);
    ikev1_keys_wipe(&keys);
    if (r < 0 || ike_encrypt(sa, iv, ISAKMP_EXCH_INFO, msgid, &b, out, sizeof(out), &len) < 0)
        return -1;
    ike_send(k, sa, out, len);
    return 0;
}

struct notify_args {
    uint8_t proto;
    const uint8_t *spi;
    uint8_t spi_size;
    uint16_t type;
    const uint8_t *data;
    size_t len;
};

static void add_notify(struct msg_builder *b, const void *arg)
{
    const struct notify_args *n = arg;

    mb_notify(b, ISAKMP_DOI_IPSEC, n->proto, n->spi, n->spi_size, n->type, n->data, n->len);
}

void info_send_notify(struct kmd *k, struct ike_sa *sa, uint8_t proto, const uint8_t *spi,
                      uint8_t spi_size, uint16_t type, const uint8_t *data, size_t len)
{
    struct notify_args n = {proto, spi, spi ? spi_size : 0, type, data, len};

    fail_notify(k, &sa->path.src, type);
    if (send_protected(k, sa, add_notify, &n) == 0 && type == ISAKMP_N_INVALID_SPI)
        sa->invspi_tx++;
}

struct delete_args {
    uint8_t proto;
    const uint8_t *spis;
    uint8_t spi_size;
    uint16_t nspis;
};

static void add_delete(struct msg_builder *b, const void *arg)
{
    const struct delete_args *d = arg;

    mb_delete(b, ISAKMP_DOI_IPSEC, d->proto, d->spi_size, d->spis, d->nspis);
}

void info_send_delete(struct kmd *k, struct ike_sa *sa, uint8_t proto, const uint8_t *spis,
                      uint8_t spi_size, uint16_t nspis)
{
    struct delete_args d = {proto, spis, spi_size, nspis};

    if (send_protected(k, sa, add_delete, &d) == 0)
        sa->del_tx++;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* D(ESP/AH): the SPIs the peer names are its inbound SAs, i.e. kmd's
 * outbound ones (some peers name kmd's inbound SPI: accepted too). */
static void delete_esp(struct kmd *k, struct ike_sa *sa, const struct msg_delete *d)
{
    char peer[80];

    if (d->spi_size != 4)
        return;
    for (unsigned i = 0; i < d->nspis; i++) {
        uint32_t spi = be32(msg_delete_spi(d, i));
        struct tunnel *t = tunnel_by_spi_out(k, spi);
        if (t == NULL)
            t = tunnel_by_spi_in(k, spi);
        if (t == NULL || (t->ike != sa && t->peer_id != sa->id)) {
            log_debug("%s: DELETE of unknown SPI %08x", ike_peer(sa, peer, sizeof(peer)), spi);
            continue;
        }
        tunnel_teardown(k, t, false, "the peer sent DELETE");
    }
}

void info_input(struct kmd *k, struct ike_sa *sa, const struct fwd_dgram *d, const uint8_t *pkt,
                size_t len)
{
    struct msg *m = &k->m;
    struct msg_err err;
    uint8_t iv[CRYPTO_MAX_BLOCK], next[CRYPTO_MAX_BLOCK], hash[CRYPTO_MAX_HASH];
    const uint8_t *rest;
    size_t rl;
    char why[300], peer[80], nb[40];
    bool delete_self = false, hash_ok;
    struct ikev1_keys keys;

    if (msg_parse(m, pkt, len, &err) != MSG_OK) {
        k->cnt.malformed++;
        return;
    }
    if (!m->encrypted) {
        const struct msg_payload *n = msg_find(m, ISAKMP_PL_N, 0);
        k->cnt.out_of_state++;
        if (n && kmd_log_ok(k))
            log_info("%s sent an unprotected notify %s (ignored: it cannot be authenticated)",
                     ike_peer(sa, peer, sizeof(peer)),
                     isakmp_fmt(nb, sizeof(nb), isakmp_notify_name(n->u.n.type), n->u.n.type));
        return;
    }
    if (sa->state != IKE_UP) {
        k->cnt.out_of_state++;
        return;
    }
    if (ikev1_phase2_iv(sa->c.hash, sa->p1_last, ike_bs(sa), m->hdr.msgid, iv) < 0 ||
        ike_open(k, sa, iv, pkt, len, next, why, sizeof(why)) < 0) {
        k->cnt.malformed++;
        if (kmd_log_ok(k))
            log_info("informational from %s dropped: %s", ike_peer(sa, peer, sizeof(peer)), why);
        return;
    }
    hash_ok = ike_keys(sa, &keys) == 0 && ike_hash_rest(m, &rest, &rl) == 0 &&
              m->pl[0].body_len == keys.len &&
              ikev1_qm_hash1(&keys, m->hdr.msgid, rest, rl, hash) == 0 &&
              crypto_equal(hash, m->pl[0].body, keys.len);
    ikev1_keys_wipe(&keys);
    if (!hash_ok) {
        k->cnt.hash_failed++;
        if (kmd_log_ok(k))
            log_info("informational from %s dropped: HASH(1) does not verify",
                     ike_peer(sa, peer, sizeof(peer)));
        return;
    }
    if (ike_seen(sa, m->hdr.msgid)) {
        k->cnt.replayed++;
        if (kmd_log_ok(k))
            log_info("informational from %s dropped: message ID %08x replayed",
                     ike_peer(sa, peer, sizeof(peer)), m->hdr.msgid);
        return;
    }
    ike_remember(sa, m->hdr.msgid);
    ike_p1_confirmed(sa);
    ike_set_path(k, sa, d);
    for (unsigned i = 1; i < m->npl; i++) {
        const struct msg_payload *p = &m->pl[i];
        if (p->type == ISAKMP_PL_N) {
            const struct msg_notify *n = &p->u.n;
            if (n->type == ISAKMP_N_R_U_THERE || n->type == ISAKMP_N_R_U_THERE_ACK)
                dpd_input(k, sa, n);
            else {
                sa->invspi_rx += n->type == ISAKMP_N_INVALID_SPI;
                log_info("%s sent notify %s", ike_peer(sa, peer, sizeof(peer)),
                         isakmp_fmt(nb, sizeof(nb), isakmp_notify_name(n->type), n->type));
            }
        } else if (p->type == ISAKMP_PL_D) {
            const struct msg_delete *dl = &p->u.d;
            sa->del_rx++;
            if (dl->proto == ISAKMP_PROTO_IPSEC_ESP || dl->proto == ISAKMP_PROTO_IPSEC_AH) {
                delete_esp(k, sa, dl);
            } else if (dl->proto == ISAKMP_PROTO_ISAKMP && dl->spi_size == 16) {
                for (unsigned s = 0; s < dl->nspis; s++) {
                    const uint8_t *c = msg_delete_spi(dl, s);
                    struct ike_sa *o = ike_find(k, c, c + ISAKMP_COOKIE_LEN);
                    if (o == sa)
                        delete_self = true;
                    else if (o && o->id == sa->id)
                        ike_delete(k, o, false, "the peer sent DELETE");
                }
            }
        }
    }
    if (delete_self)
        ike_delete(k, sa, false, "the peer sent DELETE");
}
