/*
 * quick_mode.c: the responder's quick mode (RFC 2409 5.5), one exchange
 * per message ID under an established IKE SA:
 *
 *   QM1  HASH(1) checked; proxy identities matched against the access
 *        profile's allowed-proxy-pairs (a static peer: its term's from
 *        clause) by containment (none: INVALID-ID-
 *        INFORMATION); a remote proxy held by another peer refused unless
 *        the same identity or INITIAL-CONTACT replaces it; ESP, AH or AH+ESP
 *        proposal chosen (PFS as the policy asks: NO-PROPOSAL-CHOSEN
 *        otherwise);
 *        the tunnel is created and its pool unit reserved (FWD_POOL_RESERVE;
 *        a static peer's tunnel lives on the service set's inside unit)
 *   pool reply: SPI (a bundle: AH's and ESP's), nonce, KEYMAT per
 *        protocol and SPI (ESP: encryption key then integrity key; AES-GCM:
 *        the key and its 4-byte salt, RFC 4106 8.1; AH: its integrity key),
 *        QM2 built (a bundle's two protocols under one proposal number);
 *        inbound SA installed
 *   SA reply: QM2 sent (the inbound SA exists before the peer can use it)
 *   QM3  HASH(3) checked; outbound SA, dynamic rule and reverse route
 *        installed (tunnel.c)
 *
 * Retransmitted QM1s are answered with the cached QM2 (or ignored while
 * fwdd has not answered yet).  A quick mode with no QM3 within the limit
 * is undone.  Called by input.c and tunnel.c.
 */
#include "ike.h"
#include "log.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static struct tunnel *qm_tunnel(struct kmd *k, struct qm *q)
{
    return q ? tunnel_find(k, q->tunnel) : NULL;
}

static struct qm *qm_of(struct ike_sa *sa, uint32_t tunnel)
{
    for (struct qm *q = sa ? sa->qms : NULL; q; q = q->next)
        if (q->tunnel == tunnel && q->state != QM_DONE)
            return q;
    return NULL;
}

static bool prefix_overlap(const struct kmd_prefix *a, const struct kmd_prefix *b)
{
    return kmd_prefix_contains(a, b) || kmd_prefix_contains(b, a);
}

/* [first, last] as a prefix, or -1. */
static int range_prefix(const uint8_t *first, const uint8_t *last, int bytes)
{
    for (int plen = 0; plen <= bytes * 8; plen++) {
        bool ok = true;
        for (int i = 0; i < bytes && ok; i++) {
            int bits = plen - 8 * i;
            uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
            ok = (first[i] & mask) == first[i] && (first[i] | (uint8_t)~mask) == last[i];
        }
        if (ok)
            return plen;
    }
    return -1;
}

static int proxy_from_id(const struct msg_id *id, struct kmd_prefix *p, uint8_t *type,
                         uint8_t *proto, uint16_t *port, const char **why)
{
    struct msg_idval v;

    if (msg_id_decode(id, &v, why) < 0)
        return -1;
    memset(p, 0, sizeof(*p));
    p->af = v.family;
    memcpy(p->addr, v.addr, sizeof(p->addr));
    switch (v.type) {
    case ISAKMP_ID_IPV4_ADDR:
    case ISAKMP_ID_IPV6_ADDR:
    case ISAKMP_ID_IPV4_ADDR_SUBNET:
    case ISAKMP_ID_IPV6_ADDR_SUBNET:
        p->plen = (int)v.prefixlen;
        break;
    case ISAKMP_ID_IPV4_ADDR_RANGE:
    case ISAKMP_ID_IPV6_ADDR_RANGE:
        p->plen = range_prefix(v.addr, v.addr2, v.family == AF_INET ? 4 : 16);
        if (p->plen < 0) {
            *why = "an address range that is not a prefix";
            return -1;
        }
        break;
    default:
        *why = "a proxy identity that is not an address, subnet or range";
        return -1;
    }
    *type = v.type;
    *proto = v.proto;
    *port = v.port;
    return 0;
}

/* Done (QM3, or refused): only what recognises its retransmissions stays
 * for KMD_QM_KEEP seconds (message ID, digest of its last request). */
static void qm_done(struct qm *q)
{
    q->state = QM_DONE;
    qm_nego_free(q->neg);
    q->neg = NULL;
}

/* Refusal before a tunnel exists: log, record, notify, keep the QM as
 * done so that retransmissions of the same QM1 are only counted. */
static void refuse(struct kmd *k, struct ike_sa *sa, struct qm *q, uint16_t notify,
                   const uint8_t *spi, const char *what, const char *why)
{
    char peer[80], reason[400];

    k->cnt.tunnels_refused++;
    snprintf(reason, sizeof(reason), "%s%s", what, why);
    log_info("tunnel with %s (id %s, service set %s) refused: %s", ike_peer(sa, peer, sizeof(peer)),
             ike_id(sa), sa->ss_name, reason);
    fail_qm(k, sa, reason);
    if (notify)
        info_send_notify(k, sa, q->proto ? q->proto : ISAKMP_PROTO_IPSEC_ESP, spi, spi ? 4 : 0,
                         notify, NULL, 0);
    qm_done(q);
}

static bool pair_allowed(const struct kmd_proxy_pair *pairs, size_t n, const struct kmd_prefix *r,
                         const struct kmd_prefix *l)
{
    for (size_t i = 0; i < n; i++)
        if (kmd_prefix_contains(&pairs[i].remote, r) && kmd_prefix_contains(&pairs[i].local, l))
            return true;
    return false;
}

static void qm1(struct kmd *k, struct ike_sa *sa, const uint8_t *pkt, size_t len, uint32_t msgid)
{
    struct msg *m = &k->m;
    uint8_t iv0[CRYPTO_MAX_BLOCK], next[CRYPTO_MAX_BLOCK], hash[CRYPTO_MAX_HASH];
    const struct msg_payload *sap, *nonce, *ke, *idci = NULL, *idcr = NULL;
    const uint8_t *rest;
    size_t rl;
    char why[300], r[64], l[64], peer[80];
    const char *ewhy = NULL;
    struct kmd_prefix rp, lp;
    uint8_t rtype, ltype, rproto, lproto;
    uint16_t rport, lport;
    struct p2_choice c;
    struct qm *q;
    struct tunnel *t, *old = NULL;
    const struct kmd_profile *prof = sa->ss->profile;
    const struct kmd_static_peer *sp = ike_static_peer(sa);
    const uint8_t *spi = NULL;
    struct ikev1_keys keys;
    bool hash_ok;

    if (ikev1_phase2_iv(sa->c.hash, sa->p1_last, ike_bs(sa), msgid, iv0) < 0 ||
        ike_open(k, sa, iv0, pkt, len, next, why, sizeof(why)) < 0) {
        k->cnt.malformed++;
        if (kmd_log_ok(k))
            log_info("QM1 from %s dropped: %s", ike_peer(sa, peer, sizeof(peer)), why);
        return;
    }
    hash_ok = ike_keys(sa, &keys) == 0 && ike_hash_rest(m, &rest, &rl) == 0 &&
              m->pl[0].body_len == keys.len && ikev1_qm_hash1(&keys, msgid, rest, rl, hash) == 0 &&
              crypto_equal(hash, m->pl[0].body, keys.len);
    ikev1_keys_wipe(&keys);
    if (!hash_ok) {
        k->cnt.hash_failed++;
        if (kmd_log_ok(k))
            log_info("QM1 from %s dropped: HASH(1) does not verify",
                     ike_peer(sa, peer, sizeof(peer)));
        return;
    }
    ike_p1_confirmed(sa);
    q = calloc(1, sizeof(*q));
    if (q == NULL || (q->neg = calloc(1, sizeof(*q->neg))) == NULL)
        fatal("calloc");
    q->msgid = msgid;
    q->started = kmd_now(k);
    memcpy(q->neg->iv, next, ike_bs(sa));
    digest_set(&q->last_in, pkt, len);
    q->next = sa->qms;
    sa->qms = q;

    sap = msg_find(m, ISAKMP_PL_SA, 0);
    nonce = msg_find(m, ISAKMP_PL_NONCE, 0);
    ke = msg_find(m, ISAKMP_PL_KE, 0);
    if (sap == NULL || nonce == NULL || msg_count(m, ISAKMP_PL_SA) != 1 ||
        (msg_count(m, ISAKMP_PL_ID) != 0 && msg_count(m, ISAKMP_PL_ID) != 2)) {
        k->cnt.malformed++;
        refuse(k, sa, q, ISAKMP_N_PAYLOAD_MALFORMED, NULL, "malformed QM1", "");
        return;
    }
    if (sap->u.sa.nprops > 0) {
        const struct msg_proposal *p0 = msg_sa_prop(m, &sap->u.sa, 0);
        spi = p0->spi_size == 4 ? p0->spi : NULL;
        q->proto = p0->proto;
    }
    q->neg->ni_len = nonce->body_len;
    memcpy(q->neg->ni, nonce->body, q->neg->ni_len);
    if (msg_count(m, ISAKMP_PL_ID) == 2) {
        idci = msg_find(m, ISAKMP_PL_ID, 0);
        idcr = msg_find(m, ISAKMP_PL_ID, 1);
        if (proxy_from_id(&idci->u.id, &rp, &rtype, &rproto, &rport, &ewhy) < 0 ||
            proxy_from_id(&idcr->u.id, &lp, &ltype, &lproto, &lport, &ewhy) < 0) {
            k->cnt.bad_id++;
            refuse(k, sa, q, ISAKMP_N_INVALID_ID_INFORMATION, spi, "proxy identity: ", ewhy);
            return;
        }
    } else { /* RFC 2409 5.5: no IDs, the ISAKMP peers' addresses */
        if (kmd_prefix_parse(addr_str(&sa->path.src, r, sizeof(r)), &rp) < 0 ||
            kmd_prefix_parse(addr_str(&sa->path.dst, l, sizeof(l)), &lp) < 0)
            return;
        rtype = ltype = rp.af == AF_INET6 ? ISAKMP_ID_IPV6_ADDR : ISAKMP_ID_IPV4_ADDR;
        rproto = lproto = 0;
        rport = lport = 0;
    }
    prefix_str(&rp, r, sizeof(r));
    prefix_str(&lp, l, sizeof(l));
    if (rp.af != lp.af || (rproto != lproto && rproto && lproto)) {
        k->cnt.bad_id++;
        refuse(k, sa, q, ISAKMP_N_INVALID_ID_INFORMATION, spi,
               "proxy identities of different families or protocols", "");
        return;
    }
    if (sp ? !pair_allowed(sp->pairs, sp->npairs, &rp, &lp)
           : !pair_allowed(prof->pairs, prof->npairs, &rp, &lp)) {
        k->cnt.bad_id++;
        if (sp)
            snprintf(why, sizeof(why), "remote %s local %s is not within term %s of rule %s", r, l,
                     sp->term, sp->rule);
        else
            snprintf(why, sizeof(why),
                     "remote %s local %s is not within an allowed-proxy-pair of "
                     "access profile %s",
                     r, l, prof->name);
        refuse(k, sa, q, ISAKMP_N_INVALID_ID_INFORMATION, spi, "proxy pair ", why);
        return;
    }
    if (p2_choose(sp ? sp->ipsec_policy : prof->ipsec_policy,
                  sa->natt && (sa->nat_peer || sa->nat_local), m, &sap->u.sa, &c, why,
                  sizeof(why)) < 0) {
        k->cnt.no_proposal++;
        refuse(k, sa, q, ISAKMP_N_NO_PROPOSAL_CHOSEN, spi, "no acceptable proposal: ", why);
        return;
    }
    if ((c.pfs != NULL) != (ke != NULL) || (ke && ke->body_len != dh_group_len(c.pfs))) {
        k->cnt.malformed++;
        refuse(k, sa, q, ISAKMP_N_INVALID_KEY_INFORMATION, c.p[0].peer_spi,
               c.pfs ? "the PFS KE payload is missing or of the wrong length"
                     : "a KE payload without a PFS group",
               "");
        return;
    }
    for (struct tunnel *o = k->tunnels; o; o = o->next) {
        if (!inst_eq(o->instance, sa->ss->inside_instance) || !prefix_overlap(&o->rproxy, &rp) ||
            !prefix_overlap(&o->lproxy, &lp))
            continue;
        if (o->ike == sa || o->peer_id == sa->id || sa->initial_contact) {
            if (old == NULL && o->up)
                old = o;
            if (o->up)
                continue;
        }
        k->cnt.bad_id++;
        snprintf(why, sizeof(why), "remote %s is already held by %.120s (tunnel %u)", r,
                 tunnel_id(o), o->index);
        refuse(k, sa, q, ISAKMP_N_INVALID_ID_INFORMATION, spi, "", why);
        return;
    }
    if (c.pfs) {
        size_t gl = dh_group_len(c.pfs);
        q->neg->gqm = crypto_secret_new(gl);
        if (q->neg->gqm == NULL)
            fatal("crypto_secret_new");
        if ((q->neg->dh = dh_keypair(c.pfs, 0)) == NULL ||
            dh_shared(q->neg->dh, ke->body, gl, q->neg->gqm->data) < 0) {
            refuse(k, sa, q, ISAKMP_N_INVALID_KEY_INFORMATION, c.p[0].peer_spi,
                   "PFS: ", "the peer's public value is not in the group");
            return;
        }
    }
    t = tunnel_new(k, sa, &c);
    q->tunnel = t->index;
    q->neg->c = c;
    for (unsigned n = 0; n < c.nprotos; n++) { /* AH's SPI first, a bundle's ESP aux */
        const uint8_t *ps = c.p[n].peer_spi;
        uint32_t v = (uint32_t)ps[0] << 24 | (uint32_t)ps[1] << 16 | (uint32_t)ps[2] << 8 | ps[3];
        if (c.fwd_proto == FWD_PROTO_BUNDLE && c.p[n].proto == ISAKMP_PROTO_IPSEC_ESP)
            t->aux_out = v;
        else
            t->spi_out = v;
    }
    tunnel_index_spis(k, t, false);
    t->udp_encap = c.encap == ISAKMP_ENCAP_UDP_TUNNEL;
    t->rproxy = rp;
    t->lproxy = lp;
    t->rid_type = rtype;
    t->lid_type = ltype;
    t->proto = rproto ? rproto : lproto;
    t->rport = rport;
    t->lport = lport;
    t->replaces = old ? old->index : 0;
    if (idci) {
        struct qm_nego *n = q->neg;
        n->idci = malloc(idci->body_len);
        n->idcr = malloc(idcr->body_len);
        if (n->idci == NULL || n->idcr == NULL)
            fatal("malloc");
        memcpy(n->idci, idci->body, n->idci_len = idci->body_len);
        memcpy(n->idcr, idcr->body, n->idcr_len = idcr->body_len);
    }
    q->state = QM_WAIT_POOL;
    if (t->static_peer) /* no pool: the service set's inside unit */
        qm_pool_reply(k, t, FWD_OK, "", "");
    else if (tunnel_reserve_pool(k, t) < 0) {
        qm_done(q);
        tunnel_refuse(k, t, "fwdd is not reachable");
    }
}

static void u32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* QM2: HASH(2), SA (our SPI, the chosen transform), Nr, [KE], [IDci,
 * IDcr as received], [RESPONDER-LIFETIME]. */
static int qm2_build(struct ike_sa *sa, struct qm *q, struct tunnel *t, uint8_t *out, size_t cap,
                     size_t *olen)
{
    struct qm_nego *n = q->neg;
    uint8_t body[KMD_PKT_MAX], spi[2][4], *hp, life[12];
    struct msg_builder b;
    size_t hl = ike_hlen(sa), ll = 0;
    const struct p2_proto *pp = n->c.p;
    struct ikev1_keys keys;
    int r;

    mb_init(&b, body, sizeof(body));
    hp = mb_hash(&b, NULL, hl);
    mb_sa_begin(&b, ISAKMP_DOI_IPSEC, ISAKMP_SIT_IDENTITY_ONLY);
    for (unsigned i = 0; i < n->c.nprotos; i++) { /* a bundle: same number, the peer's order */
        u32be(spi[i], t->c.fwd_proto == FWD_PROTO_BUNDLE && pp[i].proto == ISAKMP_PROTO_IPSEC_ESP
                          ? t->aux_in
                          : t->spi_in);
        mb_proposal_begin(&b, pp[i].prop_num, pp[i].proto, spi[i], 4);
        mb_transform_begin(&b, pp[i].xform_num, pp[i].id);
        attrs_echo(&b, pp[i].attrs, pp[i].nattrs);
    }
    mb_sa_end(&b);
    mb_nonce(&b, n->nr, n->nr_len);
    if (n->dh)
        mb_ke(&b, dh_public(n->dh), dh_group_len(t->c.pfs), dh_group_len(t->c.pfs));
    if (n->idci) {
        mb_raw(&b, ISAKMP_PL_ID, n->idci, n->idci_len);
        mb_raw(&b, ISAKMP_PL_ID, n->idcr, n->idcr_len);
    }
    if (t->c.responder_lifetime) { /* RFC 2407 4.6.3.1: life type, duration */
        life[0] = 0x80;
        life[1] = ISAKMP_A2_LIFE_TYPE;
        life[2] = 0;
        life[3] = ISAKMP_LIFE_SECONDS;
        if (t->c.lifetime <= 0xffff) {
            life[4] = 0x80;
            life[5] = ISAKMP_A2_LIFE_DURATION;
            life[6] = (uint8_t)(t->c.lifetime >> 8);
            life[7] = (uint8_t)t->c.lifetime;
            ll = 8;
        } else {
            life[4] = 0;
            life[5] = ISAKMP_A2_LIFE_DURATION;
            life[6] = 0;
            life[7] = 4;
            u32be(life + 8, t->c.lifetime);
            ll = 12;
        }
        for (unsigned i = 0; i < n->c.nprotos; i++) /* one per SA (RFC 2407 4.6.3.1) */
            mb_notify(&b, ISAKMP_DOI_IPSEC, pp[i].proto, spi[i], 4, ISAKMP_N_RESPONDER_LIFETIME,
                      life, ll);
    }
    r = b.err || hp == NULL || ike_keys(sa, &keys) < 0 ? -1 : 0;
    if (r == 0)
        r = ikev1_qm_hash2(&keys, q->msgid, n->ni, n->ni_len, body + 4 + hl, b.len - 4 - hl, hp);
    ikev1_keys_wipe(&keys);
    if (r < 0)
        return -1;
    return ike_encrypt(sa, n->iv, ISAKMP_EXCH_QUICK, q->msgid, &b, out, cap, olen);
}

/* RFC 2409 5.5: KEYMAT per protocol and SPI.  ESP: its cipher key, then
 * its integrity key.  AH: its integrity key.  A bundle: AH's integrity key
 * under spi, ESP's cipher key under aux. */
static int keymat(const struct ikev1_keys *keys, const struct ikev1_qm_input *qi,
                  const struct p2_sa *c, uint32_t spi, uint32_t aux, uint8_t *ekey, uint8_t *akey)
{
    uint8_t km[2 * FWD_KEY_MAX];
    int r = 0;

    if (c->fwd_proto == FWD_PROTO_ESP) {
        r = ikev1_keymat(keys, qi, ISAKMP_PROTO_IPSEC_ESP, spi, km, c->ekey_len + c->akey_len);
        memcpy(ekey, km, c->ekey_len);
        memcpy(akey, km + c->ekey_len, c->akey_len);
    } else {
        r = ikev1_keymat(keys, qi, ISAKMP_PROTO_IPSEC_AH, spi, km, c->akey_len);
        memcpy(akey, km, c->akey_len);
        if (r == 0 && c->fwd_proto == FWD_PROTO_BUNDLE) {
            r = ikev1_keymat(keys, qi, ISAKMP_PROTO_IPSEC_ESP, aux, km, c->ekey_len);
            memcpy(ekey, km, c->ekey_len);
        }
    }
    crypto_wipe(km, sizeof(km));
    return r;
}

void qm_pool_reply(struct kmd *k, struct tunnel *t, uint32_t status, const char *msg,
                   const char *unit)
{
    struct ike_sa *sa = t->ike;
    struct qm *q = qm_of(sa, t->index);
    struct ikev1_qm_input qi;
    struct ikev1_keys keys;
    struct qm_nego *n;
    uint8_t out[KMD_PKT_MAX];
    size_t olen;
    char why[200];
    int r;

    if (q == NULL || q->state != QM_WAIT_POOL) {
        tunnel_refuse(k, t, "its quick mode went away");
        return;
    }
    if (status != FWD_OK) {
        if (status == FWD_ERR_EXHAUSTED)
            snprintf(why, sizeof(why), "pool %s of service set %s is exhausted", t->pool,
                     t->ss_name);
        else
            snprintf(why, sizeof(why), "fwdd refused the pool reservation: %s", msg);
        info_send_notify(k, sa, t->c.proto[0], t->c.peer_spi, 4, ISAKMP_N_NO_PROPOSAL_CHOSEN, NULL,
                         0);
        qm_done(q);
        tunnel_refuse(k, t, why);
        return;
    }
    t->unit = katom(&k->atoms, unit[0] ? unit : sa->ss->inside_unit);
    if (!t->static_peer)
        t->held |= T_POOL;
    t->spi_in = tunnel_new_spi(k);
    if (t->c.fwd_proto == FWD_PROTO_BUNDLE)
        t->aux_in = tunnel_new_spi(k);
    tunnel_index_spis(k, t, true);
    n = q->neg;
    n->nr_len = KMD_NONCE_LEN;
    qi = (struct ikev1_qm_input){
        n->ni, n->nr, n->ni_len, n->nr_len, n->gqm ? n->gqm->data : NULL, n->gqm ? n->gqm->len : 0};
    r = crypto_random(n->nr, n->nr_len) < 0 || ike_keys(sa, &keys) < 0 ? -1 : 0;
    if (r == 0)
        r = keymat(&keys, &qi, &t->c, t->spi_in, t->aux_in, tunnel_ekey(t, true),
                   tunnel_akey(t, true));
    if (r == 0)
        r = keymat(&keys, &qi, &t->c, t->spi_out, t->aux_out, tunnel_ekey(t, false),
                   tunnel_akey(t, false));
    ikev1_keys_wipe(&keys);
    if (r < 0 || qm2_build(sa, q, t, out, sizeof(out), &olen) < 0)
        goto fail;
    pkt_set(&n->last_out, out, olen);
    q->state = QM_WAIT_SA_IN;
    if (tunnel_install_in(k, t) < 0) {
        qm_done(q);
        tunnel_refuse(k, t, "fwdd is not reachable");
    }
    return;
fail:
    qm_done(q);
    tunnel_refuse(k, t, "cannot compute the keys or build QM2");
}

void qm_sa_in_reply(struct kmd *k, struct tunnel *t, uint32_t status, const char *msg)
{
    struct ike_sa *sa = t->ike;
    struct qm *q = qm_of(sa, t->index);
    char why[200];

    if (q == NULL || q->state != QM_WAIT_SA_IN) {
        tunnel_refuse(k, t, "its quick mode went away");
        return;
    }
    if (status != FWD_OK) {
        t->held &= ~(unsigned)T_SA_IN;
        snprintf(why, sizeof(why), "fwdd refused the inbound SA: %s",
                 status == KMD_FWD_LOST ? "connection lost" : msg);
        k->cnt.fwd_errors += status != KMD_FWD_LOST;
        info_send_notify(k, sa, t->c.proto[0], t->c.peer_spi, 4, ISAKMP_N_NO_PROPOSAL_CHOSEN, NULL,
                         0);
        qm_done(q);
        tunnel_refuse(k, t, why);
        return;
    }
    q->state = QM_QM2_SENT;
    ike_send(k, sa, q->neg->last_out.p, q->neg->last_out.len);
}

static void qm3(struct kmd *k, struct ike_sa *sa, struct qm *q, const struct fwd_dgram *d,
                const uint8_t *pkt, size_t len)
{
    struct msg *m = &k->m;
    uint8_t next[CRYPTO_MAX_BLOCK], hash[CRYPTO_MAX_HASH];
    char why[300], peer[80];
    struct tunnel *t;
    struct qm_nego *n = q->neg;
    struct ikev1_keys keys;
    bool ok;

    ok = ike_open(k, sa, n->iv, pkt, len, next, why, sizeof(why)) == 0 && m->npl != 0 &&
         m->pl[0].type == ISAKMP_PL_HASH && ike_keys(sa, &keys) == 0;
    if (ok)
        ok = m->pl[0].body_len == keys.len &&
             ikev1_qm_hash3(&keys, q->msgid, n->ni, n->ni_len, n->nr, n->nr_len, hash) == 0 &&
             crypto_equal(hash, m->pl[0].body, keys.len);
    ikev1_keys_wipe(&keys);
    if (!ok) {
        k->cnt.hash_failed++;
        if (kmd_log_ok(k))
            log_info("QM3 from %s dropped: it does not decrypt or HASH(3) does not verify",
                     ike_peer(sa, peer, sizeof(peer)));
        return;
    }
    (void)next; /* the exchange ends: its IV goes with it */
    digest_set(&q->last_in, pkt, len);
    qm_done(q);
    ike_set_path(k, sa, d);
    t = qm_tunnel(k, q);
    if (t == NULL)
        return;
    t->path = sa->path;
    tunnel_activate(k, t);
}

void qm_input(struct kmd *k, struct ike_sa *sa, const struct fwd_dgram *d, const uint8_t *pkt,
              size_t len)
{
    struct msg_hdr h;
    struct msg_err err;
    struct qm *q;

    if (msg_parse_hdr(&h, pkt, len, &err) != MSG_OK)
        return;
    if (sa->state != IKE_UP || h.msgid == 0) {
        k->cnt.out_of_state++;
        return;
    }
    q = qm_find(sa, h.msgid);
    if (q == NULL) {
        qm1(k, sa, pkt, len, h.msgid);
        return;
    }
    if (digest_equal(&q->last_in, pkt, len)) {
        k->cnt.retransmits++;
        if (q->state == QM_QM2_SENT && q->neg && q->neg->last_out.len)
            ike_send(k, sa, q->neg->last_out.p, q->neg->last_out.len);
        return;
    }
    if (q->state == QM_QM2_SENT)
        qm3(k, sa, q, d, pkt, len);
    else
        k->cnt.out_of_state++;
}

void qm_forget(struct ike_sa *sa, uint32_t tunnel)
{
    struct qm *q = qm_of(sa, tunnel);

    if (q)
        qm_done(q);
}

void qm_tick(struct kmd *k, struct ike_sa *sa, time_t now)
{
    struct qm **pp = &sa->qms;

    while (*pp) {
        struct qm *q = *pp;
        if (q->state != QM_DONE && now - q->started >= (time_t)k->lim.qm_timeout) {
            struct tunnel *t = qm_tunnel(k, q);
            char why[80];
            snprintf(why, sizeof(why), "no QM3 within %u s", k->lim.qm_timeout);
            qm_done(q);
            if (t && !t->up)
                tunnel_refuse(k, t, why);
        }
        if (q->state == QM_DONE && now - q->started >= KMD_QM_KEEP) {
            *pp = q->next;
            qm_free(q);
            continue;
        }
        pp = &q->next;
    }
}
