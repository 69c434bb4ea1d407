/*
 * main_mode.c: the responder's main mode with pre-shared keys (RFC 2409
 * 5, 5.4): MM1 -> MM2 (binding to a service set, proposal, vendor IDs),
 * MM3 -> MM4 (DH, nonces, key schedule, NAT-D), MM5 -> MM6 (identity,
 * HASH_I, HASH_R).  A retransmitted request is answered from the cache of
 * the last response, recognised by its bytes before anything is decrypted
 * (the IV does not move).  A wrong key shows at MM5: the body does not
 * decrypt into payloads, or HASH_I differs; both are logged with where the
 * key came from, never the key.  An MM5 that is not even whole cipher
 * blocks is dropped, not taken for a wrong key.  Every refusal is also
 * recorded for `show ... ike negotiation-failures` (failures.c).  Called
 * by input.c.
 */
#include "ike.h"
#include "log.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void refuse_mm1(struct kmd *k, const struct fwd_dgram *d, const uint8_t *icky,
                       const char *why)
{
    char a[INET6_ADDRSTRLEN];

    fail_record(k, NULL, d, "MM1", "%s", why);
    if (kmd_log_ok(k))
        log_info("IKE from %s:%u refused at MM1: %s", addr_str(&d->src, a, sizeof(a)), d->sport,
                 why);
    (void)icky;
}

void mm1_input(struct kmd *k, const struct fwd_dgram *d, const uint8_t *pkt, size_t len)
{
    struct msg *m = &k->m;
    struct msg_err err;
    struct ike_sa *sa;
    const struct msg_payload *sap;
    uint8_t out[KMD_PKT_MAX];
    struct msg_builder b;
    struct msg_hdr h = {0};
    struct p1_choice c;
    char why[400];
    const char *bwhy;
    size_t olen;

    if (msg_parse_hdr(&h, pkt, len, &err) != MSG_OK)
        return;
    sa = ike_find_mm1(k, h.icookie, d);
    if (sa) {
        sa->in_bytes += len;
        sa->in_pkts++;
        if (digest_equal(&sa->last_in, pkt, len) && sa->state == IKE_MM2_SENT) {
            k->cnt.retransmits++;
            ike_send(k, sa, sa->last_out.p, sa->last_out.len);
        } else {
            k->cnt.out_of_state++;
        }
        return;
    }
    if (msg_parse(m, pkt, len, &err) != MSG_OK || m->encrypted || m->hdr.msgid != 0) {
        k->cnt.malformed++;
        refuse_mm1(k, d, h.icookie, m->encrypted ? "encrypted" : err.reason);
        return;
    }
    sap = msg_find(m, ISAKMP_PL_SA, 0);
    if (sap == NULL || msg_count(m, ISAKMP_PL_SA) != 1) {
        k->cnt.malformed++;
        refuse_mm1(k, d, h.icookie, "MM1 must carry exactly one SA payload");
        return;
    }
    if (ike_admit(k, d) < 0) {
        char a[INET6_ADDRSTRLEN];
        if (kmd_log_ok(k))
            log_info("IKE from %s:%u dropped at MM1: too many negotiations in progress from it",
                     addr_str(&d->src, a, sizeof(a)), d->sport);
        return;
    }
    sa = ike_new(k, d, h.icookie);
    sa->in_bytes += len;
    sa->in_pkts++;
    if (ike_bind(k, sa, &bwhy) < 0) {
        k->cnt.no_service_set++;
        refuse_mm1(k, d, h.icookie, bwhy);
        ike_free(k, sa);
        return;
    }
    if (p1_choose(ike_policy(sa), m, &sap->u.sa, &c, why, sizeof(why)) < 0) {
        char a[INET6_ADDRSTRLEN], reason[512];
        k->cnt.no_proposal++;
        fail_p1_reason(ike_policy(sa), why, reason, sizeof(reason));
        fail_record(k, sa, NULL, "MM1", "%s", reason);
        if (kmd_log_ok(k))
            log_info("IKE from %s:%u refused at MM1 (service set %s): no acceptable proposal: %s",
                     addr_str(&d->src, a, sizeof(a)), d->sport, sa->ss_name, why);
        info_send_plain(k, d, sa->icky, sa->rcky, ISAKMP_N_NO_PROPOSAL_CHOSEN);
        ike_free(k, sa);
        return;
    }
    sa->c = (struct p1_sa){c.cipher, c.hash, c.group, c.group_id, c.lifetime};
    sa->neg->sai_len = sap->body_len;
    sa->neg->sai_b = malloc(sa->neg->sai_len);
    if (sa->neg->sai_b == NULL)
        fatal("malloc");
    memcpy(sa->neg->sai_b, sap->body, sa->neg->sai_len);
    sa->natt = msg_has_vid(m, ISAKMP_VID_NATT_RFC3947) && !sa->ss->no_nat_traversal;
    sa->dpd = msg_has_vid(m, ISAKMP_VID_DPD);

    mb_init_msg(&b, out, sizeof(out));
    mb_sa_begin(&b, ISAKMP_DOI_IPSEC, ISAKMP_SIT_IDENTITY_ONLY);
    mb_proposal_begin(&b, c.prop_num, ISAKMP_PROTO_ISAKMP, NULL, 0);
    mb_transform_begin(&b, c.xform_num, ISAKMP_XF_KEY_IKE);
    attrs_echo(&b, c.attrs, c.nattrs);
    mb_sa_end(&b);
    if (sa->natt)
        mb_vid_known(&b, ISAKMP_VID_NATT_RFC3947);
    if (sa->dpd)
        mb_vid_known(&b, ISAKMP_VID_DPD);
    memcpy(h.rcookie, sa->rcky, ISAKMP_COOKIE_LEN);
    h.flags = 0;
    if (mb_finish_msg(&b, &h, &olen) < 0) {
        log_warnx("MM2: %s", b.why);
        ike_free(k, sa);
        return;
    }
    sa->state = IKE_MM2_SENT;
    digest_set(&sa->last_in, pkt, len);
    pkt_set(&sa->last_out, out, olen);
    ike_send(k, sa, out, olen);
    {
        char peer[80];
        log_debug("MM1 from %s: service set %s (%s), proposal %u transform %u, group %u, "
                  "lifetime %u s%s%s",
                  ike_peer(sa, peer, sizeof(peer)), sa->ss_name,
                  sa->static_peer ? "static peer" : "dynamic peer", c.prop_num, c.xform_num,
                  sa->c.group_id, sa->c.lifetime, sa->natt ? ", NAT-T" : "",
                  sa->dpd ? ", DPD" : "");
    }
}

/* MM3 -> MM4 */
static void mm3(struct kmd *k, struct ike_sa *sa, const uint8_t *pkt, size_t len)
{
    struct msg *m = &k->m;
    struct msg_err err;
    const struct msg_payload *ke, *nonce;
    struct dh_keypair *dh = NULL;
    struct crypto_secret *gxy = NULL;
    struct ikev1_mm_input in;
    uint8_t out[KMD_PKT_MAX];
    struct msg_builder b;
    struct msg_hdr h = {0};
    size_t olen;
    char peer[80];
    const char *fail = NULL;
    struct ike_nego *n = sa->neg;

    if (msg_parse(m, pkt, len, &err) != MSG_OK || m->encrypted) {
        if (m->encrypted) /* an MM5 before MM3, or a replay */
            k->cnt.out_of_state++;
        else
            k->cnt.malformed++;
        fail_record(k, sa, NULL, "MM3", "MM3 dropped: %s",
                    m->encrypted ? "encrypted (out of order)" : err.reason);
        if (kmd_log_ok(k))
            log_info("MM3 from %s dropped: %s", ike_peer(sa, peer, sizeof(peer)),
                     m->encrypted ? "encrypted" : err.reason);
        return;
    }
    n->glen = dh_group_len(sa->c.group);
    ke = msg_find(m, ISAKMP_PL_KE, 0);
    nonce = msg_find(m, ISAKMP_PL_NONCE, 0);
    if (ke == NULL || nonce == NULL || ke->body_len != n->glen) {
        k->cnt.malformed++;
        fail_record(k, sa, NULL, "MM3", "MM3 dropped: %s",
                    ke && nonce ? "KE length does not match the group" : "no KE or nonce");
        if (kmd_log_ok(k))
            log_info("MM3 from %s dropped: %s", ike_peer(sa, peer, sizeof(peer)),
                     ke && nonce ? "KE length does not match the group" : "no KE or nonce");
        return;
    }
    n->ni_len = nonce->body_len;
    memcpy(n->ni, nonce->body, n->ni_len);
    n->gxi = malloc(n->glen);
    n->gxr = malloc(n->glen);
    gxy = crypto_secret_new(n->glen);
    if (n->gxi == NULL || n->gxr == NULL || gxy == NULL)
        fatal("malloc");
    memcpy(n->gxi, ke->body, n->glen);
    n->nr_len = KMD_NONCE_LEN;
    if ((dh = dh_keypair(sa->c.group, 0)) == NULL || crypto_random(n->nr, n->nr_len) < 0) {
        fail = crypto_strerror();
        goto out;
    }
    memcpy(n->gxr, dh_public(dh), n->glen);
    if (dh_shared(dh, n->gxi, n->glen, gxy->data) < 0) {
        fail = "the peer's public value is not in the group";
        goto out;
    }
    in = (struct ikev1_mm_input){sa->c.hash, sa->c.cipher, n->psk->data, n->psk->len, n->ni,
                                 n->nr,      n->ni_len,    n->nr_len,    n->gxi,      n->gxr,
                                 n->glen,    gxy->data,    gxy->len,     sa->icky,    sa->rcky,
                                 n->sai_b,   n->sai_len};
    if (ikev1_phase1_psk(&in, &n->keys) < 0) {
        fail = crypto_strerror();
        goto out;
    }
    ike_keep_keys(sa, &n->keys);
    memcpy(n->iv, n->keys.iv, n->keys.iv_len);
    if (sa->natt)
        natd_check(k, sa, m);

    mb_init_msg(&b, out, sizeof(out));
    mb_ke(&b, n->gxr, n->glen, n->glen);
    mb_nonce(&b, n->nr, n->nr_len);
    if (sa->natt)
        natd_build(sa, &b);
    memcpy(h.icookie, sa->icky, ISAKMP_COOKIE_LEN);
    memcpy(h.rcookie, sa->rcky, ISAKMP_COOKIE_LEN);
    h.major = ISAKMP_MAJOR;
    h.exch = ISAKMP_EXCH_IDPROT;
    if (mb_finish_msg(&b, &h, &olen) < 0) {
        fail = b.why;
        goto out;
    }
    sa->state = IKE_MM4_SENT;
    digest_set(&sa->last_in, pkt, len);
    pkt_set(&sa->last_out, out, olen);
    ike_send(k, sa, out, olen);
    keylog_ike(k, sa);
out:
    dh_keypair_free(dh);
    crypto_secret_free(gxy);
    if (fail) {
        fail_record(k, sa, NULL, "MM3", "abandoned: %s", fail);
        log_info("IKE with %s abandoned at MM3: %s", ike_peer(sa, peer, sizeof(peer)), fail);
        if (strstr(fail, "group")) {
            struct fwd_dgram path;
            path_dgram(&sa->path, &path);
            info_send_plain(k, &path, sa->icky, sa->rcky, ISAKMP_N_INVALID_KEY_INFORMATION);
        }
        ike_free(k, sa);
    }
}

/* The peer's identity against the policy's remote-id (no policy or no
 * remote-id statement: any). */
static bool id_allowed(const struct kmd_ike_policy *pol, const struct msg_idval *v)
{
    const char *kind;
    char name[260];

    if (pol == NULL || pol->any_remote_id || pol->nremote_ids == 0)
        return true;
    switch (v->type) {
    case ISAKMP_ID_IPV4_ADDR:
        kind = "ipv4_addr";
        break;
    case ISAKMP_ID_IPV6_ADDR:
        kind = "ipv6-addr";
        break;
    case ISAKMP_ID_FQDN:
        kind = "fqdn";
        break;
    case ISAKMP_ID_KEY_ID:
        kind = "key-id";
        break;
    default:
        return false;
    }
    snprintf(name, sizeof(name), "%.*s", (int)v->name_len, v->name ? (const char *)v->name : "");
    for (size_t i = 0; i < pol->nremote_ids; i++) {
        const char *r = pol->remote_ids[i], *colon = strchr(r, ':');
        uint8_t a[16];
        if (colon == NULL || strncmp(r, kind, (size_t)(colon - r)) != 0 ||
            strlen(kind) != (size_t)(colon - r))
            continue;
        if (v->family) {
            if (inet_pton(v->family, colon + 1, a) == 1 &&
                memcmp(a, v->addr, v->family == AF_INET ? 4 : 16) == 0)
                return true;
        } else if (v->type == ISAKMP_ID_FQDN ? strcasecmp(colon + 1, name) == 0
                                             : strcmp(colon + 1, name) == 0) {
            return true;
        }
    }
    return false;
}

/* INITIAL-CONTACT (RFC 2407 4.6.3.3): the peer has no state; what kmd
 * holds for the same identity goes, without a DELETE nobody would read. */
static void initial_contact(struct kmd *k, struct ike_sa *sa)
{
    uint64_t key = (uint64_t)(uintptr_t)sa->id;
    uint32_t *tun = NULL;
    struct ike_sa **sas = NULL;
    size_t nt = 0, ns = 0, it = 0;
    void *v;

    /* collected first: a teardown changes the indexes */
    while ((v = kidx_next(&k->t_id, key, &it)) != NULL) {
        const struct tunnel *t = v;
        if (t->ike == sa)
            continue;
        if ((tun = realloc(tun, (nt + 1) * sizeof(*tun))) == NULL)
            fatal("realloc");
        tun[nt++] = t->index;
    }
    for (it = 0; (v = kidx_next(&k->sa_id, key, &it)) != NULL;) {
        struct ike_sa *o = v;
        if (o == sa || o->state != IKE_UP)
            continue;
        if ((sas = realloc(sas, (ns + 1) * sizeof(*sas))) == NULL)
            fatal("realloc");
        sas[ns++] = o;
    }
    for (size_t i = 0; i < nt; i++) {
        struct tunnel *t = tunnel_find(k, tun[i]);
        if (t)
            tunnel_teardown(k, t, false, "INITIAL-CONTACT from the same identity");
    }
    for (size_t i = 0; i < ns; i++) {
        bool still = false; /* not freed by an earlier deletion */
        for (it = 0; !still && (v = kidx_next(&k->sa_id, key, &it)) != NULL;)
            still = v == sas[i];
        if (still)
            ike_delete(k, sas[i], false, "INITIAL-CONTACT from the same identity");
    }
    free(tun);
    free(sas);
}

static void mm5_fail(struct kmd *k, struct ike_sa *sa, const struct fwd_dgram *d, uint16_t notify,
                     const char *fmt, const char *detail)
{
    char peer[80];

    if (notify == ISAKMP_N_PAYLOAD_MALFORMED || notify == ISAKMP_N_INVALID_HASH_INFORMATION)
        fail_record(k, sa, NULL, "MM5", "%s%s (key from %s)", fmt, detail, sa->neg->psk_from);
    else
        fail_record(k, sa, NULL, "MM5", "%s%s", fmt, detail);
    log_info("IKE with %s refused at MM5 (service set %s, key from %s): %s%s",
             ike_peer(sa, peer, sizeof(peer)), sa->ss_name, sa->neg->psk_from, fmt, detail);
    info_send_plain(k, d, sa->icky, sa->rcky, notify);
    ike_free(k, sa);
}

/* MM5 -> MM6 */
static void mm5(struct kmd *k, struct ike_sa *sa, const struct fwd_dgram *d, const uint8_t *pkt,
                size_t len)
{
    struct msg *m = &k->m;
    const struct msg_payload *idp, *hp;
    struct msg_idval v;
    const char *why;
    uint8_t iv[CRYPTO_MAX_BLOCK], hash[CRYPTO_MAX_HASH], idr[4 + 16], out[KMD_PKT_MAX],
        body[KMD_PKT_MAX];
    struct ikev1_mm_input in = {0};
    struct msg_builder b;
    char reason[300], peer[80];
    size_t olen, alen = sa->path.dst.af == AF_INET6 ? 16 : 4;
    struct msg_err err;
    enum msg_rc rc;
    struct ike_nego *n = sa->neg;

    /* not encrypted, or not whole cipher blocks: malformed or out of
     * order, not a wrong key (the SA stays) */
    rc = msg_parse(m, pkt, len, &err);
    if (rc != MSG_OK || !m->encrypted || m->body_len % ike_bs(sa) != 0) {
        const char *what = "not whole cipher blocks";
        if (rc != MSG_OK)
            what = err.reason;
        else if (!m->encrypted)
            what = "not encrypted (out of order)";
        if (rc == MSG_OK && !m->encrypted)
            k->cnt.out_of_state++;
        else
            k->cnt.malformed++;
        if (kmd_log_ok(k))
            log_info("MM5 from %s dropped: %s", ike_peer(sa, peer, sizeof(peer)), what);
        return;
    }
    if (ike_open(k, sa, n->iv, pkt, len, iv, reason, sizeof(reason)) < 0) {
        k->cnt.auth_failed++;
        mm5_fail(k, sa, d, ISAKMP_N_PAYLOAD_MALFORMED,
                 "MM5 does not decrypt (the pre-shared keys differ?): ", reason);
        return;
    }
    idp = msg_find(m, ISAKMP_PL_ID, 0);
    hp = msg_find(m, ISAKMP_PL_HASH, 0);
    if (idp == NULL || hp == NULL) {
        k->cnt.auth_failed++;
        mm5_fail(k, sa, d, ISAKMP_N_PAYLOAD_MALFORMED,
                 "MM5 has no ID or HASH (the pre-shared keys differ?)", "");
        return;
    }
    in.sai_b = n->sai_b;
    in.sai_len = n->sai_len;
    in.gxi = n->gxi;
    in.gxr = n->gxr;
    in.g_len = n->glen;
    in.cky_i = sa->icky;
    in.cky_r = sa->rcky;
    if (hp->body_len != n->keys.len ||
        ikev1_hash_i(&n->keys, &in, idp->body, idp->body_len, hash) < 0 ||
        !crypto_equal(hash, hp->body, n->keys.len)) {
        k->cnt.auth_failed++;
        mm5_fail(k, sa, d, ISAKMP_N_INVALID_HASH_INFORMATION,
                 "HASH_I mismatch: the peer's pre-shared key differs", "");
        return;
    }
    if (msg_id_decode(&idp->u.id, &v, &why) < 0) {
        k->cnt.bad_id++;
        mm5_fail(k, sa, d, ISAKMP_N_INVALID_ID_INFORMATION, "malformed identity: ", why);
        return;
    }
    sa->id_type = v.type;
    msg_id_format(&v, reason, sizeof(reason));
    ike_set_id(k, sa, reason);
    if (v.type != ISAKMP_ID_IPV4_ADDR && v.type != ISAKMP_ID_IPV6_ADDR &&
        v.type != ISAKMP_ID_FQDN && v.type != ISAKMP_ID_USER_FQDN && v.type != ISAKMP_ID_KEY_ID) {
        k->cnt.bad_id++;
        mm5_fail(k, sa, d, ISAKMP_N_INVALID_ID_INFORMATION, "identity type not supported: ",
                 isakmp_id_name(v.type) ? isakmp_id_name(v.type) : "unknown");
        return;
    }
    if (!id_allowed(ike_policy(sa), &v)) {
        k->cnt.bad_id++;
        mm5_fail(k, sa, d, ISAKMP_N_INVALID_ID_INFORMATION,
                 "identity not allowed by the ike-policy remote-id: ", ike_id(sa));
        return;
    }
    for (unsigned i = 0; i < msg_count(m, ISAKMP_PL_N); i++)
        if (msg_find(m, ISAKMP_PL_N, i)->u.n.type == ISAKMP_N_INITIAL_CONTACT)
            sa->initial_contact = true;
    /* authenticated: the peer may have floated to 4500 */
    memcpy(n->iv, iv, n->keys.iv_len);
    ike_set_path(k, sa, d);

    /* IDir_b: type, protocol 0, port 0, our address (RFC 2407 4.6.2) */
    memset(idr, 0, sizeof(idr));
    idr[0] = alen == 16 ? ISAKMP_ID_IPV6_ADDR : ISAKMP_ID_IPV4_ADDR;
    memcpy(idr + 4, sa->path.dst.a, alen);
    if (ikev1_hash_r(&n->keys, &in, idr, 4 + alen, hash) < 0) {
        mm5_fail(k, sa, d, ISAKMP_N_PAYLOAD_MALFORMED, "HASH_R: ", crypto_strerror());
        return;
    }
    mb_init(&b, body, sizeof(body));
    mb_id(&b, idr[0], 0, 0, idr + 4, alen);
    mb_hash(&b, hash, n->keys.len);
    if (ike_encrypt(sa, n->iv, ISAKMP_EXCH_IDPROT, 0, &b, out, sizeof(out), &olen) < 0) {
        ike_free(k, sa);
        return;
    }
    memcpy(sa->p1_last, n->iv, n->keys.iv_len);
    ike_up(k, sa);
    sa->up_at = kmd_now(k);
    sa->expires = sa->up_at + sa->c.lifetime;
    digest_set(&sa->last_in, pkt, len);
    pkt_set(&sa->last_out, out, olen);
    ike_send(k, sa, out, olen);
    ike_nego_done(sa);
    k->cnt.ike_established++;
    {
        char ic[17], rc[17];
        hex_str(sa->icky, ISAKMP_COOKIE_LEN, ic);
        hex_str(sa->rcky, ISAKMP_COOKIE_LEN, rc);
        log_info("IKE SA %s:%s with %s (id %s) established in service set %s: %s %s group%u, "
                 "lifetime %u s%s%s",
                 ic, rc, ike_peer(sa, peer, sizeof(peer)), ike_id(sa), sa->ss_name,
                 crypto_cipher_name(sa->c.cipher), crypto_hash_name(sa->c.hash), sa->c.group_id,
                 sa->c.lifetime, sa->nat_peer || sa->nat_local ? ", NAT-T" : "",
                 sa->initial_contact ? ", initial contact" : "");
    }
    if (sa->initial_contact)
        initial_contact(k, sa);
}

void mm_input(struct kmd *k, struct ike_sa *sa, const struct fwd_dgram *d, const uint8_t *pkt,
              size_t len)
{
    if (digest_equal(&sa->last_in, pkt, len)) {
        k->cnt.retransmits++;
        if (sa->last_out.len)
            ike_send(k, sa, sa->last_out.p, sa->last_out.len);
        return;
    }
    switch (sa->state) {
    case IKE_MM2_SENT:
        mm3(k, sa, pkt, len);
        break;
    case IKE_MM4_SENT:
        mm5(k, sa, d, pkt, len);
        break;
    default:
        k->cnt.out_of_state++;
    }
}
