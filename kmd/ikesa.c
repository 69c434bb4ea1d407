/*
 * ikesa.c: the IKE SA table.  Creation at MM1 (responder cookie, the
 * half-open count), lookup by cookies, the binding to a service set and
 * its pre-shared key (DESIGN.md: a static rule whose remote-gateway is
 * the peer wins and its ike-policy key is used; otherwise the least
 * loaded service set sharing the local-gateway, with its access
 * profile's global key), the limits on half-open SAs (per source
 * address: the new MM1 is dropped; in total: the oldest goes, those still
 * waiting for MM3 first, as a spoofed source never gets further), expiry
 * of half-open SAs and of lifetimes, the message IDs seen (replays), and
 * deletion.  Called by input.c, main_mode.c, informational.c, reconf.c
 * and show.c.
 */
#include "ike.h"
#include "log.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static bool addr_eq(const struct fwd_addr *a, const struct fwd_addr *b)
{
    size_t n = a->af == AF_INET6 ? 16 : 4;

    return a->af == b->af && memcmp(a->a, b->a, n) == 0;
}

static bool prefix_is(const struct kmd_prefix *p, const struct fwd_addr *a)
{
    size_t n = a->af == AF_INET6 ? 16 : 4;

    return p->af == a->af && memcmp(p->addr, a->a, n) == 0;
}

const char *ike_peer(const struct ike_sa *sa, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN];

    snprintf(buf, len, "%s:%u", addr_str(&sa->path.src, a, sizeof(a)), sa->path.sport);
    return buf;
}

static uint64_t ck_key(const uint8_t *icky, const uint8_t *rcky)
{
    return ptab_hash_bytes(rcky, ISAKMP_COOKIE_LEN,
                           ptab_hash_bytes(icky, ISAKMP_COOKIE_LEN, PTAB_FNV_INIT));
}

static uint64_t mm1_key(const uint8_t *icky, const struct fwd_addr *src, const char *instance)
{
    uint64_t h = ptab_hash_bytes(icky, ISAKMP_COOKIE_LEN, PTAB_FNV_INIT);

    if (strcmp(instance, "default") == 0) /* inst_eq: the master instance */
        instance = "";
    h = ptab_hash_bytes(&src->af, 1, h);
    h = ptab_hash_bytes(src->a, src->af == AF_INET6 ? 16 : 4, h);
    return ptab_hash_bytes(instance, strlen(instance), h);
}

static uint64_t ptr_key(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

struct ike_sa *ike_find(struct kmd *k, const uint8_t *icky, const uint8_t *rcky)
{
    size_t it = 0;
    struct ike_sa *sa;

    while ((sa = kidx_next(&k->sa_ck, ck_key(icky, rcky), &it)) != NULL)
        if (memcmp(sa->icky, icky, ISAKMP_COOKIE_LEN) == 0 &&
            memcmp(sa->rcky, rcky, ISAKMP_COOKIE_LEN) == 0)
            return sa;
    return NULL;
}

struct ike_sa *ike_find_mm1(struct kmd *k, const uint8_t *icky, const struct fwd_dgram *d)
{
    size_t it = 0;
    struct ike_sa *sa;

    while ((sa = kidx_next(&k->sa_mm1, mm1_key(icky, &d->src, d->instance), &it)) != NULL)
        if (memcmp(sa->icky, icky, ISAKMP_COOKIE_LEN) == 0 && addr_eq(&sa->path.src, &d->src) &&
            inst_eq(sa->path.instance, d->instance))
            return sa;
    return NULL;
}

void ike_set_path(struct kmd *k, struct ike_sa *sa, const struct fwd_dgram *d)
{
    uint64_t key = mm1_key(sa->icky, &d->src, d->instance);

    path_set(k, &sa->path, d);
    if (key != sa->mm1_key) {
        kidx_del(&k->sa_mm1, sa->mm1_key, sa);
        kidx_add(&k->sa_mm1, key, sa);
        sa->mm1_key = key;
    }
}

void ike_set_id(struct kmd *k, struct ike_sa *sa, const char *s)
{
    if (sa->id) {
        kidx_del(&k->sa_id, ptr_key(sa->id), sa);
        kident_put(&k->idents, sa->id);
    }
    sa->id = kident_get(&k->idents, s);
    kidx_add(&k->sa_id, ptr_key(sa->id), sa);
}

struct ike_sa *ike_new(struct kmd *k, const struct fwd_dgram *d, const uint8_t *icky)
{
    struct ike_sa *sa = calloc(1, sizeof(*sa));
    static const uint8_t zero[ISAKMP_COOKIE_LEN];

    if (sa == NULL || (sa->neg = calloc(1, sizeof(*sa->neg))) == NULL)
        fatal("calloc");
    sa->serial = ++k->next_serial;
    sa->ss_name = "";
    memcpy(sa->icky, icky, ISAKMP_COOKIE_LEN);
    do {
        if (crypto_random(sa->rcky, ISAKMP_COOKIE_LEN) < 0)
            fatalx("random: %s", crypto_strerror());
    } while (memcmp(sa->rcky, zero, ISAKMP_COOKIE_LEN) == 0 || ike_find(k, icky, sa->rcky));
    path_set(k, &sa->path, d);
    sa->mm1_key = mm1_key(icky, &d->src, d->instance);
    sa->created = kmd_now(k);
    sa->expires = sa->created + k->lim.halfopen_timeout;
    sa->next = k->sas;
    if (k->sas)
        k->sas->prev = sa;
    k->sas = sa;
    sa->ho_next = k->halfopen;
    if (k->halfopen)
        k->halfopen->ho_prev = sa;
    k->halfopen = sa;
    k->nhalfopen++;
    kidx_add(&k->sa_ck, ck_key(sa->icky, sa->rcky), sa);
    kidx_add(&k->sa_mm1, sa->mm1_key, sa);
    return sa;
}

void qm_nego_free(struct qm_nego *n)
{
    if (n == NULL)
        return;
    pkt_clear(&n->last_out);
    free(n->idci);
    free(n->idcr);
    dh_keypair_free(n->dh);
    crypto_secret_free(n->gqm);
    crypto_wipe(n, sizeof(*n));
    free(n);
}

void qm_free(struct qm *q)
{
    qm_nego_free(q->neg);
    crypto_wipe(q, sizeof(*q));
    free(q);
}

struct qm *qm_find(struct ike_sa *sa, uint32_t msgid)
{
    for (struct qm *q = sa->qms; q; q = q->next)
        if (q->msgid == msgid)
            return q;
    return NULL;
}

static void nego_free(struct ike_nego *n)
{
    if (n == NULL)
        return;
    ikev1_keys_wipe(&n->keys);
    crypto_secret_free(n->psk);
    free(n->sai_b);
    if (n->gxi)
        crypto_wipe(n->gxi, n->glen);
    if (n->gxr)
        crypto_wipe(n->gxr, n->glen);
    free(n->gxi);
    free(n->gxr);
    crypto_wipe(n, sizeof(*n));
    free(n);
}

void ike_nego_done(struct ike_sa *sa)
{
    nego_free(sa->neg);
    sa->neg = NULL;
}

static size_t skey_len(const struct ike_sa *sa)
{
    return 2 * ike_hlen(sa) + crypto_cipher_key_len(sa->c.cipher);
}

void ike_keep_keys(struct ike_sa *sa, const struct ikev1_keys *keys)
{
    size_t hl = keys->len;

    if (sa->skey) {
        crypto_wipe(sa->skey, skey_len(sa));
        free(sa->skey);
    }
    if ((sa->skey = malloc(2 * hl + keys->ka_len)) == NULL)
        fatal("malloc");
    memcpy(sa->skey, keys->skeyid_d, hl);
    memcpy(sa->skey + hl, keys->skeyid_a, hl);
    memcpy(sa->skey + 2 * hl, keys->ka, keys->ka_len);
}

int ike_keys(const struct ike_sa *sa, struct ikev1_keys *out)
{
    size_t hl = ike_hlen(sa);

    memset(out, 0, sizeof(*out));
    if (sa->skey == NULL)
        return -1;
    out->hash = sa->c.hash;
    out->cipher = sa->c.cipher;
    out->len = hl;
    memcpy(out->skeyid_d, sa->skey, hl);
    memcpy(out->skeyid_a, sa->skey + hl, hl);
    out->ka_len = crypto_cipher_key_len(sa->c.cipher);
    memcpy(out->ka, sa->skey + 2 * hl, out->ka_len);
    out->iv_len = ike_bs(sa);
    return 0;
}

void ike_p1_confirmed(struct ike_sa *sa)
{
    pkt_clear(&sa->last_out);
    memset(&sa->last_in, 0, sizeof(sa->last_in));
}

/* sa is on k->halfopen from ike_new until it is up (ike_up). */
static void halfopen_unlink(struct kmd *k, struct ike_sa *sa)
{
    if (sa->state == IKE_UP)
        return;
    if (sa->ho_prev)
        sa->ho_prev->ho_next = sa->ho_next;
    else
        k->halfopen = sa->ho_next;
    if (sa->ho_next)
        sa->ho_next->ho_prev = sa->ho_prev;
    sa->ho_next = sa->ho_prev = NULL;
    k->nhalfopen--;
}

void ike_up(struct kmd *k, struct ike_sa *sa)
{
    halfopen_unlink(k, sa);
    sa->state = IKE_UP;
}

void ike_free(struct kmd *k, struct ike_sa *sa)
{
    if (sa->prev)
        sa->prev->next = sa->next;
    else
        k->sas = sa->next;
    if (sa->next)
        sa->next->prev = sa->prev;
    halfopen_unlink(k, sa);
    kidx_del(&k->sa_ck, ck_key(sa->icky, sa->rcky), sa);
    kidx_del(&k->sa_mm1, sa->mm1_key, sa);
    while (sa->qms) {
        struct qm *q = sa->qms;
        struct tunnel *t = tunnel_find(k, q->tunnel);
        sa->qms = q->next;
        if (t && !t->up)
            tunnel_refuse(k, t, "its IKE SA went away during quick mode");
        qm_free(q);
    }
    if (sa->id) { /* its tunnels (all of its identity) stay */
        size_t it = 0;
        struct tunnel *t;
        while ((t = kidx_next(&k->t_id, ptr_key(sa->id), &it)) != NULL)
            if (t->ike == sa)
                t->ike = NULL;
        kidx_del(&k->sa_id, ptr_key(sa->id), sa);
        kident_put(&k->idents, sa->id);
    }
    nego_free(sa->neg);
    if (sa->skey) {
        crypto_wipe(sa->skey, skey_len(sa));
        free(sa->skey);
    }
    free(sa->seen_ids);
    pkt_clear(&sa->last_out);
    crypto_wipe(sa, sizeof(*sa));
    free(sa);
}

void ike_delete(struct kmd *k, struct ike_sa *sa, bool notify_peer, const char *why)
{
    char peer[80], ic[17], rc[17];

    if (notify_peer && sa->state == IKE_UP) {
        uint8_t spi[2 * ISAKMP_COOKIE_LEN];
        memcpy(spi, sa->icky, ISAKMP_COOKIE_LEN);
        memcpy(spi + ISAKMP_COOKIE_LEN, sa->rcky, ISAKMP_COOKIE_LEN);
        info_send_delete(k, sa, ISAKMP_PROTO_ISAKMP, spi, sizeof(spi), 1);
    }
    hex_str(sa->icky, ISAKMP_COOKIE_LEN, ic);
    hex_str(sa->rcky, ISAKMP_COOKIE_LEN, rc);
    if (sa->state == IKE_UP) {
        k->cnt.ike_deleted++;
        log_info("IKE SA %s:%s with %s (id %s) in service set %s deleted: %s", ic, rc,
                 ike_peer(sa, peer, sizeof(peer)), ike_id(sa), sa->ss_name, why);
    } else {
        log_info("IKE negotiation %s:%s with %s in service set %s abandoned: %s", ic, rc,
                 ike_peer(sa, peer, sizeof(peer)), sa->ss_name[0] ? sa->ss_name : "(none)", why);
    }
    ike_free(k, sa);
}

unsigned ike_halfopen(const struct kmd *k)
{
    return k->nhalfopen;
}

/* Which half-open SA goes first: one waiting for MM3 (a spoofed source
 * never sends it) before one waiting for MM5, then the oldest. */
static bool evict_before(const struct ike_sa *a, const struct ike_sa *b)
{
    int ra = a->state == IKE_MM2_SENT ? 0 : 1, rb = b->state == IKE_MM2_SENT ? 0 : 1;

    if (ra != rb)
        return ra < rb;
    if (a->created != b->created)
        return a->created < b->created;
    return a->serial < b->serial;
}

int ike_admit(struct kmd *k, const struct fwd_dgram *d)
{
    struct ike_sa *victim = NULL;
    unsigned total = 0, mine = 0;
    char peer[80];

    for (struct ike_sa *sa = k->halfopen; sa; sa = sa->ho_next) {
        total++;
        mine += addr_eq(&sa->path.src, &d->src);
        if (victim == NULL || evict_before(sa, victim))
            victim = sa;
    }
    if (k->lim.halfopen_per_peer && mine >= k->lim.halfopen_per_peer) {
        k->cnt.halfopen_full++;
        k->cnt.halfopen_peer++;
        fail_record(k, NULL, d, "MM1",
                    "too many IKE negotiations in progress from this address (%u)", mine);
        return -1;
    }
    if (total < k->lim.halfopen_max || victim == NULL)
        return 0;
    k->cnt.halfopen_full++;
    k->cnt.halfopen_evicted++;
    fail_record(k, victim, NULL, victim->state == IKE_MM2_SENT ? "MM3" : "MM5",
                "evicted: %u IKE negotiations in progress, the limit (the oldest goes)", total);
    if (kmd_log_ok(k))
        log_info("IKE negotiation with %s evicted: %u in progress, the limit",
                 ike_peer(victim, peer, sizeof(peer)), total);
    ike_free(k, victim);
    return 0;
}

bool ike_seen(const struct ike_sa *sa, uint32_t msgid)
{
    unsigned n = sa->nseen < KMD_SEEN_IDS ? sa->nseen : KMD_SEEN_IDS;

    for (unsigned i = 0; i < n; i++)
        if (sa->seen_ids[i] == msgid)
            return true;
    return false;
}

/* A ring of the last KMD_SEEN_IDS, allocated as it fills (4, 8, .. 32):
 * most SAs see one or two quick modes. */
void ike_remember(struct ike_sa *sa, uint32_t msgid)
{
    if (sa->nseen == sa->seen_cap && sa->seen_cap < KMD_SEEN_IDS) {
        unsigned cap = sa->seen_cap ? sa->seen_cap * 2 : 4;
        uint32_t *n = realloc(sa->seen_ids, cap * sizeof(*n));
        if (n == NULL)
            fatal("realloc");
        sa->seen_ids = n;
        sa->seen_cap = cap;
    }
    sa->seen_ids[sa->nseen++ % KMD_SEEN_IDS] = msgid;
}

/* Load of a service set: its tunnels plus its IKE SAs still negotiating. */
static unsigned ss_load(const struct kmd *k, const char *name)
{
    unsigned n = 0;

    for (const struct tunnel *t = k->tunnels; t; t = t->next)
        n += strcmp(t->ss_name, name) == 0;
    for (const struct ike_sa *sa = k->halfopen; sa; sa = sa->ho_next)
        n += strcmp(sa->ss_name, name) == 0;
    return n;
}

const struct kmd_static_peer *ss_static_peer(const struct kmd_service_set *ss,
                                             const struct fwd_addr *a)
{
    for (size_t i = 0; ss && i < ss->npeers; i++)
        if (prefix_is(&ss->peers[i].remote_gateway, a))
            return &ss->peers[i];
    return NULL;
}

const struct kmd_static_peer *ike_static_peer(const struct ike_sa *sa)
{
    return sa->static_peer ? ss_static_peer(sa->ss, &sa->path.src) : NULL;
}

const struct kmd_ike_policy *ike_policy(const struct ike_sa *sa)
{
    const struct kmd_static_peer *sp = ike_static_peer(sa);

    if (sp && sp->ike_policy)
        return sp->ike_policy;
    return sa->ss && sa->ss->profile ? sa->ss->profile->ike_policy : NULL;
}

int ike_bind(struct kmd *k, struct ike_sa *sa, const char **why)
{
    const struct kmd_config *c = k->cfg;
    const struct kmd_service_set *best = NULL, *stat = NULL;
    const struct kmd_static_peer *sp = NULL;
    unsigned best_load = UINT_MAX;
    const uint8_t *psk;
    size_t psk_len;

    *why = "no service set has this local-gateway in this routing instance";
    for (size_t i = 0; c && i < c->nservice_sets; i++) {
        const struct kmd_service_set *ss = &c->service_sets[i];
        unsigned load;
        if (!prefix_is(&ss->local_gateway, &sa->path.dst) ||
            !inst_eq(ss->gateway_instance, sa->path.instance))
            continue;
        if (stat == NULL && (sp = ss_static_peer(ss, &sa->path.src)) != NULL) {
            stat = ss;
            continue;
        }
        if (ss->profile == NULL)
            continue;
        if (best == NULL) { /* the load counts only when there is a choice */
            best = ss;
            continue;
        }
        if (best_load == UINT_MAX)
            best_load = ss_load(k, best->name);
        load = ss_load(k, ss->name);
        if (load < best_load) {
            best = ss;
            best_load = load;
        }
    }
    if (stat) {
        best = stat;
        sa->static_peer = true;
    }
    if (best == NULL)
        return -1;
    sa->ss_name = katom(&k->atoms, best->name);
    sa->ss = best;
    if (sp && sp->ike_policy && sp->ike_policy->psk_len) {
        psk = sp->ike_policy->psk;
        psk_len = sp->ike_policy->psk_len;
        snprintf(sa->neg->psk_from, sizeof(sa->neg->psk_from), "ike-policy %s",
                 sp->ike_policy->name);
    } else if (best->profile) {
        psk = best->profile->psk;
        psk_len = best->profile->psk_len;
        snprintf(sa->neg->psk_from, sizeof(sa->neg->psk_from), "access profile %s",
                 best->profile->name);
    } else { /* a static peer whose ike-policy has no key, in a set without a profile */
        psk = NULL;
        psk_len = 0;
    }
    if (psk == NULL || psk_len == 0) {
        *why = "no pre-shared key is configured";
        return -1;
    }
    sa->neg->psk = crypto_secret_dup(psk, psk_len);
    if (sa->neg->psk == NULL)
        fatal("crypto_secret_dup");
    return 0;
}

void ike_tick(struct kmd *k, time_t now)
{
    struct ike_sa *sa = k->sas, *next;

    for (; sa; sa = next) {
        next = sa->next;
        if (sa->state != IKE_UP && now >= sa->expires) {
            char peer[80];
            k->cnt.halfopen_expired++;
            fail_record(k, sa, NULL, sa->state == IKE_MM2_SENT ? "MM3" : "MM5",
                        "no %s within %u s (main mode not completed)",
                        sa->state == IKE_MM2_SENT ? "MM3" : "MM5", k->lim.halfopen_timeout);
            if (kmd_log_ok(k))
                log_info("IKE negotiation with %s expired in main mode (no %s within %u s)",
                         ike_peer(sa, peer, sizeof(peer)),
                         sa->state == IKE_MM2_SENT ? "MM3" : "MM5", k->lim.halfopen_timeout);
            ike_free(k, sa);
            continue;
        }
        qm_tick(k, sa, now);
        if (sa->state == IKE_UP && now >= sa->expires)
            ike_delete(k, sa, true, "lifetime expired");
    }
}
