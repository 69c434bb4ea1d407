/*
 * input.c: kmd's front door.  Owns struct kmd's life (kmd_new, kmd_free,
 * kmd_shutdown, kmd_tick) and the first steps of every datagram fwdd
 * punts: header check, IKEv2 refusal, lookup of the IKE SA by cookies,
 * per-SA traffic counters, replays of authenticated quick-mode message
 * IDs, and the dispatch by exchange type to main_mode.c, quick_mode.c and
 * informational.c (which recognise their own retransmissions before
 * decrypting anything).  It sets the failure recorder's context (which
 * kmd, which IKE SA, which exchange step: failures.c).  Called by main.c
 * and the tests through kmd.h.
 */
#include "ike.h"
#include "log.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

void pkt_set(struct kmd_pkt *k, const uint8_t *p, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);

    if (copy == NULL)
        fatal("malloc");
    memcpy(copy, p, len);
    free(k->p);
    k->p = copy;
    k->len = len;
}

void pkt_clear(struct kmd_pkt *k)
{
    free(k->p);
    k->p = NULL;
    k->len = 0;
}

static int sha256_12(const uint8_t *p, size_t len, uint8_t *out)
{
    struct crypto_iov iov = {p, len};
    uint8_t h[CRYPTO_MAX_HASH];
    int r = crypto_hash_v(CRYPTO_HASH_SHA256, &iov, 1, h);

    memcpy(out, h, 12);
    return r;
}

void digest_set(struct kmd_digest *g, const uint8_t *p, size_t len)
{
    memset(g, 0, sizeof(*g));
    if (len && len <= UINT32_MAX && sha256_12(p, len, g->d) == 0)
        g->len = (uint32_t)len;
}

bool digest_equal(const struct kmd_digest *g, const uint8_t *p, size_t len)
{
    uint8_t d[12];

    return g->len != 0 && g->len == len && sha256_12(p, len, d) == 0 &&
           memcmp(d, g->d, sizeof(d)) == 0;
}

const char *addr_str(const struct fwd_addr *a, char *buf, size_t len)
{
    if (inet_ntop(a->af == AF_INET6 ? AF_INET6 : AF_INET, a->a, buf, (socklen_t)len) == NULL)
        snprintf(buf, len, "?");
    return buf;
}

const char *prefix_str(const struct kmd_prefix *p, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN];

    if (inet_ntop(p->af == AF_INET6 ? AF_INET6 : AF_INET, p->addr, a, sizeof(a)) == NULL)
        snprintf(a, sizeof(a), "?");
    snprintf(buf, len, "%s/%d", a, p->plen);
    return buf;
}

void hex_str(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

bool kmd_log_ok(struct kmd *k)
{
    time_t now = kmd_now(k);

    if (now != k->rl_second) {
        k->rl_second = now;
        k->rl_count = 0;
    }
    return ++k->rl_count <= 20;
}

struct kmd *kmd_new(const struct kmd_io *io, void *arg)
{
    struct kmd *k = calloc(1, sizeof(*k));

    if (k == NULL)
        fatal("calloc");
    k->io = io;
    k->io_arg = arg;
    {
        struct kidx *x[] = {&k->sa_ck,    &k->sa_mm1,    &k->sa_id, &k->t_index,
                            &k->t_spi_in, &k->t_spi_out, &k->t_id};
        for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
            uint64_t seed;
            if (crypto_random(&seed, sizeof(seed)) < 0)
                fatalx("random: %s", crypto_strerror());
            kidx_init(x[i], seed);
        }
    }
    k->lim.halfopen_max = 4096;
    k->lim.halfopen_per_peer = 32;
    k->lim.halfopen_timeout = 30;
    k->lim.qm_timeout = 30;
    return k;
}

void kmd_free(struct kmd *k)
{
    if (k == NULL)
        return;
    while (k->sas)
        ike_free(k, k->sas);
    while (k->tunnels) {
        struct tunnel *t = k->tunnels;
        k->tunnels = t->next;
        tunnel_free(k, t);
    }
    kidx_free(&k->sa_ck);
    kidx_free(&k->sa_mm1);
    kidx_free(&k->sa_id);
    kidx_free(&k->t_index);
    kidx_free(&k->t_spi_in);
    kidx_free(&k->t_spi_out);
    kidx_free(&k->t_id);
    kstrtab_free(&k->idents);
    kstrtab_free(&k->atoms);
    kmd_config_free(k->cfg);
    kmd_config_free(k->pending);
    if (k->keylog)
        fclose(k->keylog);
    free(k);
}

void kmd_shutdown(struct kmd *k)
{
    while (k->tunnels)
        tunnel_teardown(k, k->tunnels, true, "kmd is stopping");
    while (k->sas)
        ike_delete(k, k->sas, true, "kmd is stopping");
}

struct kmd_limits *kmd_limits(struct kmd *k)
{
    return &k->lim;
}

const struct kmd_counters *kmd_counters(const struct kmd *k)
{
    return &k->cnt;
}

unsigned kmd_ike_count(const struct kmd *k)
{
    unsigned n = 0;

    for (const struct ike_sa *sa = k->sas; sa; sa = sa->next)
        n++;
    return n;
}

unsigned kmd_tunnel_count(const struct kmd *k)
{
    unsigned n = 0;

    for (const struct tunnel *t = k->tunnels; t; t = t->next)
        n++;
    return n;
}

void kmd_tick(struct kmd *k)
{
    time_t now = kmd_now(k);

    k->gen++;
    k->ctx_exch = NULL;
    ike_tick(k, now);
    tunnel_tick(k, now);
}

static const uint8_t zero_cookie[ISAKMP_COOKIE_LEN];

/* RFC 7296 2.5: a higher major version is dropped and answered with
 * INVALID-MAJOR-VERSION; kmd answers in IKEv1 form, which is what it
 * speaks, and logs it. */
static void refuse_version(struct kmd *k, const struct fwd_dgram *d, const struct msg_hdr *h)
{
    char a[INET6_ADDRSTRLEN];

    k->cnt.ikev2++;
    if (h->major == ISAKMP_IKEV2_MAJOR && h->exch == ISAKMP_EXCH_V2_SA_INIT && !(h->flags & 0x20))
        fail_record(k, NULL, d, "IKE_SA_INIT", "IKEv2 refused: kmd speaks IKEv1 only");
    else if (h->major != ISAKMP_IKEV2_MAJOR)
        fail_record(k, NULL, d, "MM1", "IKE version %u.%u refused: kmd speaks IKEv1 only", h->major,
                    h->minor);
    if (kmd_log_ok(k))
        log_info("refused IKE version %u.%u (%s) from %s:%u: kmd speaks IKEv1 only", h->major,
                 h->minor, h->major == ISAKMP_IKEV2_MAJOR ? "IKEv2" : "unknown",
                 addr_str(&d->src, a, sizeof(a)), d->sport);
    if (h->major == ISAKMP_IKEV2_MAJOR && h->exch == ISAKMP_EXCH_V2_SA_INIT &&
        !(h->flags & 0x20)) /* IKEv2 R flag: never answer a response */
        info_send_plain(k, d, h->icookie, zero_cookie, ISAKMP_N_INVALID_MAJOR_VERSION);
}

/* The step an IKE SA's datagram of exchange type exch is (failures.c). */
static const char *step(struct ike_sa *sa, const struct msg_hdr *h)
{
    if (h->exch == ISAKMP_EXCH_IDPROT)
        return sa->state == IKE_MM2_SENT ? "MM3" : sa->state == IKE_MM4_SENT ? "MM5" : "MM";
    if (h->exch == ISAKMP_EXCH_QUICK) {
        const struct qm *q = qm_find(sa, h->msgid);
        return q && q->state == QM_QM2_SENT ? "QM3" : "QM1";
    }
    return "INFO";
}

/* Quick mode: a message ID that authenticated before and whose exchange
 * kmd has forgotten (KMD_QM_KEEP) is a replay, dropped before anything is
 * decrypted; a new one that authenticates is remembered. */
static void quick(struct kmd *k, struct ike_sa *sa, const struct fwd_dgram *d, const uint8_t *pkt,
                  size_t len, const struct msg_hdr *h)
{
    char a[INET6_ADDRSTRLEN];

    if (h->msgid && qm_find(sa, h->msgid) == NULL && ike_seen(sa, h->msgid)) {
        k->cnt.replayed++;
        if (kmd_log_ok(k))
            log_info("dropped a replayed quick mode (message ID %08x) from %s", h->msgid,
                     addr_str(&d->src, a, sizeof(a)));
        return;
    }
    qm_input(k, sa, d, pkt, len);
    if (ike_find(k, h->icookie, h->rcookie) == sa && h->msgid && qm_find(sa, h->msgid) &&
        !ike_seen(sa, h->msgid))
        ike_remember(sa, h->msgid);
}

void kmd_input(struct kmd *k, const struct fwd_dgram *d, const uint8_t *pkt, size_t len)
{
    struct msg_hdr h;
    struct msg_err err;
    enum msg_rc rc;
    struct ike_sa *sa;
    char a[INET6_ADDRSTRLEN];

    k->gen++;
    k->ctx_exch = NULL;
    k->cnt.rx++;
    if (len == 1 && pkt[0] == 0xff) /* RFC 3948 2.3 keepalive, if fwdd passed one on */
        return;
    rc = msg_parse_hdr(&h, pkt, len, &err);
    if (rc == MSG_E_IKEV2 || rc == MSG_E_VERSION) {
        refuse_version(k, d, &h);
        return;
    }
    if (rc != MSG_OK) {
        k->cnt.malformed++;
        if (kmd_log_ok(k))
            log_debug("dropped a datagram from %s:%u: %s", addr_str(&d->src, a, sizeof(a)),
                      d->sport, err.reason);
        return;
    }
    if (memcmp(h.rcookie, zero_cookie, ISAKMP_COOKIE_LEN) == 0) {
        if (h.exch == ISAKMP_EXCH_IDPROT) {
            k->ctx_exch = "MM1";
            mm1_input(k, d, pkt, len);
            k->ctx_exch = NULL;
            return;
        }
        k->cnt.unknown_sa++;
        if (kmd_log_ok(k))
            log_debug("dropped %s from %s: no responder cookie",
                      isakmp_exch_name(h.exch) ? isakmp_exch_name(h.exch) : "a message",
                      addr_str(&d->src, a, sizeof(a)));
        return;
    }
    sa = ike_find(k, h.icookie, h.rcookie);
    if (sa == NULL) {
        k->cnt.unknown_sa++;
        if (kmd_log_ok(k))
            log_debug("dropped a message from %s: unknown cookies",
                      addr_str(&d->src, a, sizeof(a)));
        return;
    }
    sa->in_bytes += len;
    sa->in_pkts++;
    k->ctx_exch = step(sa, &h);
    switch (h.exch) {
    case ISAKMP_EXCH_IDPROT:
        mm_input(k, sa, d, pkt, len);
        break;
    case ISAKMP_EXCH_QUICK:
        quick(k, sa, d, pkt, len, &h);
        break;
    case ISAKMP_EXCH_INFO:
        info_input(k, sa, d, pkt, len);
        break;
    default:
        k->cnt.out_of_state++;
        if (kmd_log_ok(k))
            log_info("dropped exchange type %u from %s: not supported (main mode, quick mode "
                     "and informational only)",
                     h.exch, addr_str(&d->src, a, sizeof(a)));
    }
    k->ctx_exch = NULL;
}
