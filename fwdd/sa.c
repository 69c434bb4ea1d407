/*
 * sa.c: SAs and tunnels (ipsec.h): checking and building an SA from a
 * struct fwd_sa (kmd's request, or one that manual.c fills from the
 * configuration; CBC + HMAC or AES-GCM), the inbound SPI hash, the
 * anti-replay window (RFC 4303 3.4.3 and appendix A), selectors, byte and
 * time lifetimes (FWD_SA_EVENT), and dropping state that kmd installed or
 * whose unit left the configuration (FWD_SA_GONE).
 */
#include "ipsec.h"
#include "crypto/esp.h"
#include "kmdsock.h"
#include "log.h"
#include "pic.h"
#include "pktutil.h"
#include "svc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int64_t (*clock_ms)(void) = fw_now_ms;

int64_t ipsec_clock_ms(void)
{
    return clock_ms();
}

void ipsec_clock_set(int64_t (*ms)(void))
{
    clock_ms = ms ? ms : fw_now_ms;
}

struct ipsec *ipsec_get(struct fwdd *fw)
{
    if (fw->ipsec == NULL && (fw->ipsec = calloc(1, sizeof(*fw->ipsec))) == NULL)
        fatal("calloc");
    return fw->ipsec;
}

void ipsec_free(struct fwdd *fw)
{
    if (fw->ipsec == NULL)
        return;
    pool_flush(fw);
    reasm_free(fw);
    ptab_free(&fw->ipsec->sa_in);
    ptab_free(&fw->ipsec->sa_all);
    ptab_free(&fw->ipsec->tunnels);
    free(fw->ipsec);
    fw->ipsec = NULL;
}

/* Keys of the indexes (struct ipsec). */
static uint64_t key_in(uint32_t spi, uint32_t local)
{
    return (uint64_t)spi << 32 | local;
}

static uint64_t key_all(const struct ss_rt *rt, uint32_t spi, uint8_t dir)
{
    return ptab_mix((uint64_t)(uintptr_t)rt) ^ ((uint64_t)spi << 8 | dir);
}

static uint64_t key_tunnel(const struct ss_rt *rt, uint32_t index, int manual)
{
    return ptab_mix((uint64_t)(uintptr_t)rt + 1) ^ ((uint64_t)index << 1 | (manual != 0));
}

/* --- checking and building ------------------------------------------------ */

/* The cipher of a request: 1 if the key length fits, 0 if not, -1 if
 * unknown.  *gcm for AES-GCM (RFC 4106 8.1: the key, then a 4-byte salt;
 * *c is then the AES-CBC of the same size, for availability). */
int sa_cipher_of(const struct fwd_sa *s, enum crypto_cipher *c, int *gcm)
{
    unsigned n = s->cipher_key_len;

    *gcm = s->cipher == FWD_CIPHER_AES_GCM_16;
    switch (s->cipher) {
    case FWD_CIPHER_DES_CBC:
        *c = CRYPTO_CIPHER_DES_CBC;
        return n == 8;
    case FWD_CIPHER_3DES_CBC:
        *c = CRYPTO_CIPHER_3DES_CBC;
        return n == 24;
    case FWD_CIPHER_AES_GCM_16:
        n -= n >= 4 ? 4 : n;
        /* fall through */
    case FWD_CIPHER_AES_CBC:
        *c = n == 16   ? CRYPTO_CIPHER_AES128_CBC
             : n == 24 ? CRYPTO_CIPHER_AES192_CBC
                       : CRYPTO_CIPHER_AES256_CBC;
        return n == 16 || n == 24 || n == 32;
    }
    return -1;
}

int sa_integ_of(const struct fwd_sa *s, enum esp_integ *i)
{
    switch (s->auth) {
    case FWD_AUTH_HMAC_MD5_96:
        *i = ESP_INTEG_HMAC_MD5_96;
        break;
    case FWD_AUTH_HMAC_SHA1_96:
        *i = ESP_INTEG_HMAC_SHA1_96;
        break;
    case FWD_AUTH_HMAC_SHA256_128:
        *i = ESP_INTEG_HMAC_SHA256_128;
        break;
    default:
        return -1;
    }
    return s->auth_key_len == esp_integ_key_len(*i);
}

static int sel_addr_ok(const struct fwd_addr *a)
{
    return (a->af == AF_INET && a->plen <= 32) || (a->af == AF_INET6 && a->plen <= 128);
}

/* ESP's transforms and encapsulation. */
static int esp_check(const struct fwd_sa *s, char *msg, size_t msglen)
{
    enum crypto_cipher c;
    enum esp_integ i;
    int r, gcm;

    if (s->encap > FWD_ENCAP_UDP ||
        (s->encap == FWD_ENCAP_UDP && (s->encap_sport == 0 || s->encap_dport == 0))) {
        snprintf(msg, msglen, "bad UDP encapsulation");
        return FWD_ERR_INVALID;
    }
    if ((r = sa_cipher_of(s, &c, &gcm)) < 0) {
        snprintf(msg, msglen, "cipher %u is not supported by fwdd", s->cipher);
        return FWD_ERR_UNSUPPORTED;
    }
    if (r == 0 || s->cipher_key_len > FWD_KEY_MAX) {
        snprintf(msg, msglen, "cipher %u: key of %u bytes", s->cipher, s->cipher_key_len);
        return FWD_ERR_INVALID;
    }
    if (gcm && (s->auth != FWD_AUTH_NONE || s->auth_key_len != 0)) {
        snprintf(msg, msglen, "AES-GCM takes no integrity algorithm (%u)", s->auth);
        return FWD_ERR_INVALID;
    }
    if (!gcm && (r = sa_integ_of(s, &i)) < 0) {
        snprintf(msg, msglen, "integrity algorithm %u is not supported by fwdd", s->auth);
        return FWD_ERR_UNSUPPORTED;
    }
    if (!gcm && (r == 0 || s->auth_key_len > FWD_KEY_MAX)) {
        snprintf(msg, msglen, "integrity algorithm %u: key of %u bytes", s->auth, s->auth_key_len);
        return FWD_ERR_INVALID;
    }
    if (!crypto_cipher_available(c)) {
        snprintf(msg, msglen, "%s is not available in this OpenSSL", crypto_cipher_name(c));
        return FWD_ERR_UNSUPPORTED;
    }
    return FWD_OK;
}

int sa_check(const struct fwd_sa *s, char *msg, size_t msglen)
{
    int r;

    if (s->dir != FWD_DIR_IN && s->dir != FWD_DIR_OUT) {
        snprintf(msg, msglen, "direction %u", s->dir);
        return FWD_ERR_INVALID;
    }
    if (s->proto == FWD_PROTO_ESP)
        r = esp_check(s, msg, msglen);
    else if (s->proto == FWD_PROTO_AH || s->proto == FWD_PROTO_BUNDLE)
        r = ah_sa_check(s, msg, msglen); /* ahsa.c */
    else {
        snprintf(msg, msglen, "protocol %u", s->proto);
        r = FWD_ERR_INVALID;
    }
    if (r != FWD_OK)
        return r;
    if (s->local.af != AF_INET || s->remote.af != AF_INET) {
        snprintf(msg, msglen, "tunnel endpoints must be IPv4");
        return s->local.af == AF_INET6 || s->remote.af == AF_INET6 ? FWD_ERR_UNSUPPORTED
                                                                   : FWD_ERR_INVALID;
    }
    if (!sel_addr_ok(&s->sel.src) || !sel_addr_ok(&s->sel.dst)) {
        snprintf(msg, msglen, "bad selector");
        return FWD_ERR_INVALID;
    }
    if (s->replay_window > REPLAY_MAX) {
        snprintf(msg, msglen, "replay window of %u bits (at most %u)", s->replay_window,
                 REPLAY_MAX);
        return FWD_ERR_INVALID;
    }
    return FWD_OK;
}

static void sel_copy(struct sa_sel *d, const struct sa_sel *s)
{
    *d = *s;
    d->src = calloc(s->nsrc ? s->nsrc : 1, sizeof(*d->src));
    d->dst = calloc(s->ndst ? s->ndst : 1, sizeof(*d->dst));
    if (d->src == NULL || d->dst == NULL)
        fatal("calloc");
    memcpy(d->src, s->src, s->nsrc * sizeof(*d->src));
    memcpy(d->dst, s->dst, s->ndst * sizeof(*d->dst));
}

void sel_free(struct sa_sel *s)
{
    free(s->src);
    free(s->dst);
    memset(s, 0, sizeof(*s));
}

/* sa's selectors: in the SA when one prefix a side (no allocation, and
 * no pointer to follow to a cold line per inbound packet), else copied. */
static void sa_sel_set(struct ipsec_sa *sa, const struct sa_sel *s)
{
    if (s->nsrc > 1 || s->ndst > 1) {
        sel_copy(&sa->sel, s);
        return;
    }
    sa->sel = *s;
    sa->sel.src = &sa->sel1[0];
    sa->sel.dst = &sa->sel1[1];
    memcpy(sa->sel.src, s->src, s->nsrc * sizeof(*s->src));
    memcpy(sa->sel.dst, s->dst, s->ndst * sizeof(*s->dst));
}

static void sa_sel_free(struct ipsec_sa *sa)
{
    if (sa->sel.src != &sa->sel1[0])
        sel_free(&sa->sel);
}

/* t->out after t's list of SAs changed: the first outbound one, the
 * newest (the list is newest first). */
static void tunnel_out_cache(struct tunnel *t)
{
    t->out = NULL;
    for (struct ipsec_sa *sa = t->sas; sa && t->out == NULL; sa = sa->tnext)
        if (sa->dir == FWD_DIR_OUT)
            t->out = sa;
}

struct ipsec_sa *sa_add(struct fwdd *fw, struct tunnel *t, const struct fwd_sa *s,
                        const struct sa_sel *sel, char *msg, size_t msglen)
{
    struct ipsec_sa *sa;
    enum crypto_cipher c = CRYPTO_CIPHER_AES128_CBC;
    enum esp_integ i = ESP_INTEG_HMAC_SHA1_96;
    enum esp_dir dir = s->dir == FWD_DIR_OUT ? ESP_OUTBOUND : ESP_INBOUND;
    int gcm;

    sa_cipher_of(s, &c, &gcm);
    sa_integ_of(s, &i);
    if ((sa = calloc(1, sizeof(*sa))) == NULL)
        fatal("calloc");
    /* AH and bundles: ah_sa_init below */
    if (s->proto == FWD_PROTO_ESP &&
        (sa->xf = gcm ? esp_xform_new_gcm(dir, s->cipher_key, s->cipher_key_len)
                      : esp_xform_new(dir, c, s->cipher_key, s->cipher_key_len, i, s->auth_key,
                                      s->auth_key_len)) == NULL) {
        snprintf(msg, msglen, "ESP transform: %s", crypto_strerror());
        free(sa);
        return NULL;
    }
    sa->tun = t;
    sa->spi = ntohl(s->spi);
    sa->dir = s->dir;
    sa->encap = s->encap;
    sa->cipher = s->cipher;
    sa->auth = s->auth;
    sa->proto = FWD_PROTO_ESP;
    sa->sport = s->encap_sport;
    sa->dport = s->encap_dport;
    memcpy(&sa->local, &s->local, sizeof(sa->local));
    memcpy(&sa->remote, &s->remote, sizeof(sa->remote));
    sa->local.plen = sa->remote.plen = 32;
    if (sa->xf) {
        sa->iv_len = esp_xform_iv_len(sa->xf);
        sa->icv_len = esp_xform_icv_len(sa->xf);
        sa->block = esp_xform_block_len(sa->xf);
        sa->xf_lines = (uint16_t)((esp_xform_hot_len(sa->xf) + 63) / 64);
    }
    sa_sel_set(sa, sel);
    sa->replay = s->dir == FWD_DIR_IN && !s->no_anti_replay;
    sa->win_bits = s->replay_window ? (s->replay_window + 63u) / 64u * 64u : 64;
    sa->win = sa->win_bits == 64 ? &sa->win1 : calloc(sa->win_bits / 64, sizeof(*sa->win));
    if (sa->win == NULL)
        fatal("calloc");
    sa->soft_bytes = s->soft_bytes;
    sa->hard_bytes = s->hard_bytes;
    sa->soft_seconds = s->soft_seconds;
    sa->hard_seconds = s->hard_seconds;
    sa->installed = ipsec_clock_ms();
    sa->tunnel_mtu = s->tunnel_mtu;
    sa->clear_df = s->clear_df;
    if (s->proto != FWD_PROTO_ESP && ah_sa_init(sa, s, msg, msglen) < 0) {
        sa_sel_free(sa);
        free(sa);
        return NULL;
    }
    sa->tnext = t->sas;
    t->sas = sa;
    tunnel_out_cache(t);
    ptab_add(&ipsec_get(fw)->sa_all, key_all(t->rt, sa->spi, sa->dir), sa);
    if (sa->dir == FWD_DIR_IN)
        ptab_add(&ipsec_get(fw)->sa_in, key_in(sa->spi, addr_v4(&sa->local)), sa);
    return sa;
}

void sa_del(struct fwdd *fw, struct ipsec_sa *sa)
{
    struct ipsec_sa **pp;

    if (fw->ipsec) {
        ptab_del(&fw->ipsec->sa_all, key_all(sa->tun->rt, sa->spi, sa->dir), sa);
        if (sa->dir == FWD_DIR_IN)
            ptab_del(&fw->ipsec->sa_in, key_in(sa->spi, addr_v4(&sa->local)), sa);
    }
    for (pp = &sa->tun->sas; *pp; pp = &(*pp)->tnext)
        if (*pp == sa) {
            *pp = sa->tnext;
            break;
        }
    tunnel_out_cache(sa->tun);
    if (sa->inflight > 0) { /* pic.c frees it when they are back */
        sa->dead = 1;
        sa->tun = NULL;
        return;
    }
    sa_free(sa);
    fw->forget_due = 1; /* the workers drop their schedules of its keys (pic_tick) */
}

uint64_t sa_frees;

void sa_free(struct ipsec_sa *sa)
{
    sa_frees++;
    esp_xform_free(sa->xf);
    ah_sa_free(sa);
    sa_sel_free(sa);
    if (sa->win != &sa->win1)
        free(sa->win);
    free(sa);
}

struct ipsec_sa *sa_find(struct fwdd *fw, struct ss_rt *rt, uint32_t spi, uint8_t dir)
{
    struct ipsec_sa *sa;
    size_t it = 0;

    if (fw->ipsec == NULL)
        return NULL;
    while ((sa = ptab_next(&fw->ipsec->sa_all, key_all(rt, spi, dir), &it)) != NULL)
        if (sa->spi == spi && sa->dir == dir && sa->tun->rt == rt)
            return sa;
    return NULL;
}

void sa_in_prefetch(struct fwdd *fw, uint32_t spi, uint32_t dst, int level)
{
    struct ipsec_sa *sa;
    size_t it = 0;

    if (fw->ipsec == NULL)
        return;
    if (level == 0) {
        ptab_prefetch(&fw->ipsec->sa_in, key_in(spi, dst));
    } else if (level == 1) {
        ptab_prefetch_entries(&fw->ipsec->sa_in, key_in(spi, dst), sizeof(struct ipsec_sa));
    } else {
        while ((sa = ptab_next(&fw->ipsec->sa_in, key_in(spi, dst), &it)) != NULL && it < 4)
            if (sa->spi == spi) {
                prefetch_obj(sa->tun, TUNNEL_HOT);
                sa_prefetch(fw, sa);
            }
    }
}

struct ipsec_sa *sa_lookup_in(struct fwdd *fw, uint32_t spi, const struct instance *inst,
                              uint32_t dst)
{
    struct ipsec_sa *sa;
    size_t it = 0;

    if (fw->ipsec == NULL)
        return NULL;
    while ((sa = ptab_next(&fw->ipsec->sa_in, key_in(spi, dst), &it)) != NULL) {
        const struct service_set *ss = sa->tun->rt->ss;
        if (sa->spi == spi && addr_v4(&sa->local) == dst && ss && ss->lgw_inst == inst)
            return sa;
    }
    return NULL;
}

/* --- anti-replay: a bitmap indexed by sequence number modulo its size ---- */

static int bit(const struct ipsec_sa *sa, uint32_t seq)
{
    uint32_t b = seq % sa->win_bits;

    return (sa->win[b / 64] >> (b % 64)) & 1;
}

int sa_replay_check(const struct ipsec_sa *sa, uint32_t seq)
{
    if (!sa->replay)
        return 0;
    if (seq == 0)
        return -1;
    if (seq > sa->top)
        return 0;
    if (sa->top - seq >= sa->win_bits)
        return -1;
    return bit(sa, seq) ? -1 : 0;
}

void sa_replay_update(struct ipsec_sa *sa, uint32_t seq)
{
    uint32_t b;

    if (!sa->replay)
        return;
    if (seq > sa->top) {
        if (seq - sa->top >= sa->win_bits)
            memset(sa->win, 0, sa->win_bits / 8);
        else
            for (uint32_t s = sa->top + 1; s != seq; s++) {
                b = s % sa->win_bits;
                sa->win[b / 64] &= ~(1ull << (b % 64));
            }
        sa->top = seq;
    }
    b = seq % sa->win_bits;
    sa->win[b / 64] |= 1ull << (b % 64);
}

/* --- lifetimes --------------------------------------------------------- */

void sa_counters_fill(const struct ipsec_sa *sa, struct fwd_sa_counters *c)
{
    memset(c, 0, sizeof(*c));
    c->bytes = sa->dir == FWD_DIR_OUT ? sa->st.enc_bytes : sa->st.dec_bytes;
    c->packets = sa->dir == FWD_DIR_OUT ? sa->st.enc_packets : sa->st.dec_packets;
    c->auth_failures = sa->st.auth_failures;
    c->replay_errors = sa->st.replay_errors;
    c->decrypt_failures = sa->st.decrypt_failures;
    c->bad_headers = sa->st.bad_headers;
    c->bad_trailers = sa->st.bad_trailers;
    c->installed_seconds = (uint32_t)((ipsec_clock_ms() - sa->installed) / 1000);
}

static void sa_ref(const struct ipsec_sa *sa, struct fwd_sa_ref *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->service_set, sizeof(r->service_set), "%s", sa->tun->rt->name);
    r->spi = htonl(sa->spi);
    r->dir = sa->dir;
    r->proto = sa_proto(sa);
}

static void sa_event(struct fwdd *fw, struct ipsec_sa *sa, enum fwd_event ev)
{
    struct fwd_sa_event e;

    if (sa->fired & (1u << ev))
        return;
    sa->fired |= 1u << ev;
    memset(&e, 0, sizeof(e));
    sa_ref(sa, &e.sa);
    e.event = ev;
    sa_counters_fill(sa, &e.counters);
    log_info("service-set %s tunnel %u SA %08x (%s): %s lifetime reached", sa->tun->rt->name,
             sa->tun->index, sa->spi, sa->dir == FWD_DIR_IN ? "inbound" : "outbound",
             ev == FWD_EV_SOFT_BYTES   ? "soft byte"
             : ev == FWD_EV_HARD_BYTES ? "hard byte"
             : ev == FWD_EV_SOFT_TIME  ? "soft time"
                                       : "hard time");
    kmdsock_notify(fw, FWD_SA_EVENT, &e, sizeof(e));
}

void sa_count(struct fwdd *fw, struct ipsec_sa *sa, size_t bytes)
{
    uint64_t total;

    struct sa_counters *t = &sa->tun->st;
    int ah = sa->proto == FWD_PROTO_AH;

    if (sa->dir == FWD_DIR_OUT) {
        total = sa->st.enc_bytes += bytes;
        sa->st.enc_packets++;
        *(ah ? &t->ah_out_bytes : &t->enc_bytes) += bytes;
        (*(ah ? &t->ah_out_packets : &t->enc_packets))++;
    } else {
        total = sa->st.dec_bytes += bytes;
        sa->st.dec_packets++;
        *(ah ? &t->ah_in_bytes : &t->dec_bytes) += bytes;
        (*(ah ? &t->ah_in_packets : &t->dec_packets))++;
    }
    if (sa->soft_bytes && total >= sa->soft_bytes)
        sa_event(fw, sa, FWD_EV_SOFT_BYTES);
    if (sa->hard_bytes && total >= sa->hard_bytes)
        sa_event(fw, sa, FWD_EV_HARD_BYTES);
}

void sa_tick(struct fwdd *fw)
{
    int64_t now = ipsec_clock_ms();

    for (struct ss_rt *rt = fw->ssrt; rt; rt = rt->next)
        for (struct tunnel *t = rt->tunnels; t; t = t->next)
            for (struct ipsec_sa *sa = t->sas; sa; sa = sa->tnext) {
                int64_t age = now - sa->installed;
                if (sa->soft_seconds && age >= (int64_t)sa->soft_seconds * 1000)
                    sa_event(fw, sa, FWD_EV_SOFT_TIME);
                if (sa->hard_seconds && age >= (int64_t)sa->hard_seconds * 1000)
                    sa_event(fw, sa, FWD_EV_HARD_TIME);
            }
}

/* --- tunnels ------------------------------------------------------------ */

uint64_t tunnel_epoch = 1;

struct tunnel *tunnel_find(struct fwdd *fw, struct ss_rt *rt, uint32_t index, int manual)
{
    struct tunnel *t;
    size_t it = 0;

    if (fw->ipsec == NULL)
        return NULL;
    while ((t = ptab_next(&fw->ipsec->tunnels, key_tunnel(rt, index, manual), &it)) != NULL)
        if (t->rt == rt && t->index == index && !t->manual == !manual)
            return t;
    return NULL;
}

/* Put t in rt's list before *pp and in the index. */
static void tunnel_insert(struct fwdd *fw, struct tunnel *t, struct tunnel **pp)
{
    struct ss_rt *rt = t->rt;

    t->next = *pp;
    *pp = t;
    if (t->next == NULL)
        rt->tunnels_tail = t;
    if (t->index > rt->tunnels_max)
        rt->tunnels_max = t->index;
    ptab_add(&ipsec_get(fw)->tunnels, key_tunnel(rt, t->index, t->manual), t);
    tunnel_epoch++;
}

void tunnel_link(struct fwdd *fw, struct tunnel *t)
{
    tunnel_insert(fw, t, t->rt->tunnels_tail ? &t->rt->tunnels_tail->next : &t->rt->tunnels);
}

struct tunnel *tunnel_get(struct fwdd *fw, struct ss_rt *rt, uint32_t index)
{
    struct tunnel *t = tunnel_find(fw, rt, index, 0), **pp = &rt->tunnels;

    if (t)
        return t;
    if ((t = calloc(1, sizeof(*t))) == NULL)
        fatal("calloc");
    t->rt = rt;
    t->index = index;
    svc_tunnel_owner(fw, t);
    /* listed by index; kmd counts up, so usually at the end */
    if (rt->tunnels_tail && index > rt->tunnels_max)
        pp = &rt->tunnels_tail->next;
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->index > index)
            break;
    tunnel_insert(fw, t, pp);
    return t;
}

void tunnel_free(struct fwdd *fw, struct tunnel *t, int gone)
{
    struct tunnel *prev = NULL;

    tunnel_epoch++;
    for (struct tunnel **pp = &t->rt->tunnels; *pp; prev = *pp, pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    if (t->rt->tunnels_tail == t)
        t->rt->tunnels_tail = prev;
    if (fw->ipsec)
        ptab_del(&fw->ipsec->tunnels, key_tunnel(t->rt, t->index, t->manual), t);
    if (t->w)
        t->w->tunnels--;
    while (t->sas) {
        if (gone && !t->manual) {
            struct fwd_sa_ref r;
            sa_ref(t->sas, &r);
            kmdsock_notify(fw, FWD_SA_GONE, &r, sizeof(r));
        }
        sa_del(fw, t->sas);
    }
    if (t->spec)
        crypto_wipe(t->spec, t->nspec * sizeof(*t->spec));
    free(t->spec);
    sel_free(&t->msel);
    free(t->rule);
    free(t->term);
    free(t);
}

void tunnel_release_if_empty(struct fwdd *fw, struct tunnel *t)
{
    if (!t->manual && t->sas == NULL && dynrule_of_tunnel(t->rt, t->index) == NULL)
        tunnel_free(fw, t, 0);
}

/* --- selectors ---------------------------------------------------------- */

static int in_list(const struct addr *v, size_t n, const struct addr *x)
{
    if (n == 0)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (prefix_contains(&v[i], x))
            return 1;
    return 0;
}

int sel_match(const struct sa_sel *s, const uint8_t *ip, size_t len, int reverse)
{
    struct addr src, dst;
    const uint8_t *l4 = NULL;
    uint8_t proto;
    size_t l4len = 0;

    if (len >= 20 && ip[0] >> 4 == 4) {
        size_t hl = (ip[0] & 0x0fu) * 4u;
        addr_set_v4(&src, get32(ip + 12), 32);
        addr_set_v4(&dst, get32(ip + 16), 32);
        proto = ip[9];
        if ((get16(ip + 6) & 0x1fff) == 0 && len >= hl) {
            l4 = ip + hl;
            l4len = len - hl;
        }
    } else if (len >= 40 && ip[0] >> 4 == 6) {
        addr_set_v6(&src, ip + 8, 128);
        addr_set_v6(&dst, ip + 24, 128);
        proto = ip[6];
        l4 = ip + 40;
        l4len = len - 40;
    } else {
        return 0;
    }
    if (!in_list(s->src, s->nsrc, reverse ? &dst : &src) ||
        !in_list(s->dst, s->ndst, reverse ? &src : &dst))
        return 0;
    if (s->proto && s->proto != proto)
        return 0;
    if (s->sport || s->dport) {
        uint16_t sp, dp;
        if (l4 == NULL || l4len < 4 || (proto != IPPROTO_TCP_ && proto != IPPROTO_UDP_))
            return 0;
        sp = get16(l4 + (reverse ? 2 : 0));
        dp = get16(l4 + (reverse ? 0 : 2));
        if ((s->sport && s->sport != sp) || (s->dport && s->dport != dp))
            return 0;
    }
    return 1;
}

/* --- flushing ----------------------------------------------------------- */

void ipsec_flush_dynamic(struct fwdd *fw)
{
    for (struct ss_rt *rt = fw->ssrt; rt; rt = rt->next) {
        dynrule_flush(rt);
        for (struct tunnel *t = rt->tunnels, *next; t; t = next) {
            next = t->next;
            if (!t->manual)
                tunnel_free(fw, t, 0);
        }
    }
    pool_flush(fw);
}

/* A unit of gen still inside service set rt's. */
static int unit_of_set(const struct fwdd *fw, const struct ss_rt *rt, const char *name)
{
    const struct unit *u = fw->cur ? gen_unit(fw->cur, name) : NULL;

    return u && rt->ss && u->ss == rt->ss;
}

void ipsec_gc_units(struct fwdd *fw)
{
    for (struct ss_rt *rt = fw->ssrt; rt; rt = rt->next) {
        for (struct tunnel *t = rt->tunnels, *next; t; t = next) {
            next = t->next;
            if (t->manual || t->inside[0] == '\0' || unit_of_set(fw, rt, t->inside))
                continue;
            log_info("service-set %s tunnel %u: unit %s is gone, so are its SAs", rt->name,
                     t->index, t->inside);
            tunnel_free(fw, t, 1);
        }
        for (struct dyn_rule *r = rt->rules, *next; r; r = next) {
            next = r->next;
            if (!unit_of_set(fw, rt, r->inside))
                dynrule_del(rt, r);
        }
    }
    if (fw->ipsec == NULL)
        return;
    for (struct pool_res *p = fw->ipsec->pools, *next; p; p = next) {
        struct ss_rt *rt = svc_rt_find(fw, p->ss);
        next = p->next;
        if (rt && unit_of_set(fw, rt, p->unit))
            continue;
        log_info("service-set %s: pool unit %s of tunnel %u is gone", p->ss, p->unit, p->tunnel);
        pool_res_del(fw, p);
    }
}
