/*
 * failures.c: the last negotiation failures, for `show services ipsec-vpn
 * ike negotiation-failures [PEER]` (get-ike-negotiation-failures-
 * information, docs/kmd.md).
 *
 * A ring of KMD_FAIL_MAX records, at most KMD_FAIL_PER_PEER of them for
 * one peer address: a new failure replaces that peer's oldest when it has
 * its share, else a free slot, else the oldest of all.  A record has the
 * wall-clock time, the peer and local endpoints, the exchange step (MM1,
 * MM3, MM5, QM1, QM3, IKE_SA_INIT), the service set, access profile and
 * identity when known, the error notify sent, and the exact reason: for
 * proposals what the peer offered and what kmd accepts, for proxy pairs
 * the proposed pair and the allowed ones.
 *
 * Every file records where it refuses: main_mode.c, ikesa.c and input.c
 * with fail_record(), quick_mode.c with fail_qm() (before a tunnel
 * exists) and tunnel.c with fail_tunnel() (a tunnel refused before it was
 * up).  Called by the files above, informational.c (the notify sent) and
 * show.c.
 */
#include "ike.h"

#include "daemon.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static bool addr_eq(const struct fwd_addr *a, const struct fwd_addr *b)
{
    return a->af == b->af && memcmp(a->a, b->a, a->af == AF_INET6 ? 16 : 4) == 0;
}

static struct kmd_failure *slot_for(struct kmd *k, const struct fwd_addr *peer)
{
    struct kmd_failure *oldest = NULL, *peer_oldest = NULL, *free_slot = NULL;
    unsigned mine = 0;

    for (unsigned i = 0; i < KMD_FAIL_MAX; i++) {
        struct kmd_failure *f = &k->fail[i];
        if (f->seq == 0) {
            if (free_slot == NULL)
                free_slot = f;
            continue;
        }
        if (oldest == NULL || f->seq < oldest->seq)
            oldest = f;
        if (addr_eq(&f->peer, peer)) {
            mine++;
            if (peer_oldest == NULL || f->seq < peer_oldest->seq)
                peer_oldest = f;
        }
    }
    if (mine >= KMD_FAIL_PER_PEER)
        return peer_oldest;
    return free_slot ? free_slot : oldest;
}

static void record(struct kmd *k, const struct fwd_dgram *path, const char *ss, const char *profile,
                   const char *id, const char *exch, const char *reason)
{
    struct kmd_failure *f = slot_for(k, &path->src);

    memset(f, 0, sizeof(*f));
    f->seq = ++k->fail_seq;
    f->gen = k->gen;
    f->wall = time(NULL);
    f->mono = kmd_now(k);
    f->peer = path->src;
    f->local = path->dst;
    f->pport = path->sport;
    f->lport = path->dport;
    snprintf(f->instance, sizeof(f->instance), "%s", path->instance);
    snprintf(f->exch, sizeof(f->exch), "%s", exch);
    snprintf(f->ss, sizeof(f->ss), "%s", ss ? ss : "");
    snprintf(f->profile, sizeof(f->profile), "%s", profile ? profile : "");
    snprintf(f->id, sizeof(f->id), "%s", id ? id : "");
    snprintf(f->reason, sizeof(f->reason), "%s", reason);
    if (k->notify_pending && k->notify_gen == k->gen && addr_eq(&k->notify_peer, &path->src)) {
        f->notify = k->notify_pending;
        k->notify_pending = 0;
    }
    k->cnt.failures++;
}

static const char *sa_profile(const struct ike_sa *sa)
{
    return sa && sa->ss && sa->ss->profile ? sa->ss->profile->name : NULL;
}

void fail_record(struct kmd *k, const struct ike_sa *sa, const struct fwd_dgram *d,
                 const char *exch, const char *fmt, ...)
{
    char reason[512];
    va_list ap;

    if (sa == NULL && d == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (sa) {
        struct fwd_dgram path;
        path_dgram(&sa->path, &path);
        record(k, &path, sa->ss_name, sa_profile(sa), ike_id(sa), exch, reason);
    } else
        record(k, d, NULL, NULL, NULL, exch, reason);
}

void fail_notify(struct kmd *k, const struct fwd_addr *peer, uint16_t type)
{
    struct kmd_failure *last = NULL;

    if (type == 0 || type >= 16384) /* status notifies (DPD, lifetimes) are no refusal */
        return;
    for (unsigned i = 0; i < KMD_FAIL_MAX; i++)
        if (k->fail[i].seq && (last == NULL || k->fail[i].seq > last->seq))
            last = &k->fail[i];
    if (last && last->gen == k->gen && last->notify == 0 && addr_eq(&last->peer, peer)) {
        last->notify = type;
        return;
    }
    k->notify_pending = type;
    k->notify_peer = *peer;
    k->notify_gen = k->gen;
}

/* ---- what kmd accepts, for the reasons ---- */

static const char *any(const char *v)
{
    return v && *v ? v : "any";
}

static void p1_accepted(const struct kmd_ike_policy *pol, char *buf, size_t len)
{
    size_t n = 0;

    if (pol == NULL || pol->nproposals == 0) {
        snprintf(buf, len,
                 "the implicit proposal (pre-shared keys; aes-128-cbc, aes-192-cbc, aes-256-cbc, "
                 "3des-cbc, des-cbc; sha1, md5, sha-256; group1, group2, group5, group14)");
        return;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < pol->nproposals && n < len; i++) {
        const struct kmd_ike_proposal *p = pol->proposals[i], *q = i ? pol->proposals[i - 1] : NULL;
        if (q && strcmp(p->enc_alg, q->enc_alg) == 0 && strcmp(p->auth_alg, q->auth_alg) == 0)
            n += (size_t)snprintf(buf + n, len - n, " or %s", any(p->dh_group));
        else
            n += (size_t)snprintf(buf + n, len - n, "%s%s/%s/%s", i ? ", " : "", any(p->enc_alg),
                                  any(p->auth_alg), any(p->dh_group));
    }
    if (n < len)
        snprintf(buf + n, len - n, " (ike-policy %s)", pol->name);
}

/* p1_choose says "peer offered X; P allows none of them". */
void fail_p1_reason(const struct kmd_ike_policy *pol, const char *why, char *out, size_t len)
{
    char acc[400];
    const char *o = strstr(why, "peer offered "), *e = strrchr(why, ';');

    p1_accepted(pol, acc, sizeof(acc));
    if (o && e && e > o + 13)
        snprintf(out, len, "no acceptable proposal: offered %.*s, accepted %s", (int)(e - o - 13),
                 o + 13, acc);
    else
        snprintf(out, len, "no acceptable proposal: %s; accepted %s", why, acc);
}

static void p2_accepted(const struct kmd_ipsec_policy *pol, char *buf, size_t len)
{
    size_t n = 0;

    if (pol == NULL || pol->nproposals == 0) {
        snprintf(buf, len,
                 "the implicit proposal (esp aes-128-cbc, aes-192-cbc, aes-256-cbc, 3des-cbc, "
                 "des-cbc with hmac-sha1-96, hmac-md5-96%s%s)",
                 pol && pol->pfs_group[0] ? ", PFS " : "", pol ? pol->pfs_group : "");
        return;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < pol->nproposals && n < len; i++) {
        const struct kmd_ipsec_proposal *p = pol->proposals[i];
        if (strcmp(p->protocol, "ah") == 0) /* no cipher */
            n += (size_t)snprintf(buf + n, len - n, "%sah %s", i ? " or " : "",
                                  p->auth_alg[0] ? p->auth_alg : "any");
        else
            n += (size_t)snprintf(buf + n, len - n, "%s%s %s/%s", i ? " or " : "",
                                  p->protocol[0] ? p->protocol : "esp", any(p->enc_alg),
                                  p->auth_alg[0] ? p->auth_alg : "any");
    }
    if (n < len)
        snprintf(buf + n, len - n, "%s%s (ipsec-policy %s)", pol->pfs_group[0] ? " with PFS " : "",
                 pol->pfs_group, pol->name);
}

/* The reason of a tunnel refusal, with what kmd would have accepted: the
 * proxy pairs and ipsec-policy of sa's static rule term, or of the
 * service set's access profile. */
static void enrich(struct kmd *k, const char *ss_name, const struct ike_sa *sa, const char *reason,
                   char *out, size_t len)
{
    const struct kmd_service_set *ss = kmd_config_service_set(k->cfg, ss_name);
    const struct kmd_static_peer *sp = sa && sa->ss == ss ? ike_static_peer(sa) : NULL;
    const struct kmd_profile *p = ss ? ss->profile : NULL;
    const struct kmd_proxy_pair *pairs = sp ? sp->pairs : p ? p->pairs : NULL;
    size_t npairs = sp ? sp->npairs : p ? p->npairs : 0;
    size_t n = (size_t)snprintf(out, len, "%s", reason);
    char a[64], b[64], acc[400];

    if ((p == NULL && sp == NULL) || n >= len)
        return;
    if (strncmp(reason, "proxy pair ", 11) == 0) {
        n += (size_t)snprintf(out + n, len - n, "; allowed:");
        for (size_t i = 0; i < npairs && n < len; i++)
            n += (size_t)snprintf(out + n, len - n, "%s remote %s local %s", i ? "," : "",
                                  prefix_str(&pairs[i].remote, a, sizeof(a)),
                                  prefix_str(&pairs[i].local, b, sizeof(b)));
        if (npairs == 0 && n < len)
            snprintf(out + n, len - n, " none");
    } else if (strncmp(reason, "no acceptable proposal: ", 24) == 0) {
        p2_accepted(sp ? sp->ipsec_policy : p->ipsec_policy, acc, sizeof(acc));
        snprintf(out + n, len - n, "; accepted %s", acc);
    }
}

/* ---- tunnel refusals ---- */

static const struct qm *qm_of_tunnel(const struct tunnel *t)
{
    for (const struct qm *q = t->ike ? t->ike->qms : NULL; q; q = q->next)
        if (q->tunnel == t->index && q->state != QM_DONE)
            return q;
    return NULL;
}

void fail_tunnel(struct kmd *k, const struct tunnel *t, const char *why)
{
    const struct qm *q = qm_of_tunnel(t);
    const char *exch;
    char reason[512];
    struct fwd_dgram path;

    if (q)
        exch = q->state == QM_QM2_SENT ? "QM3" : "QM1";
    else
        exch = strncmp(why, "no QM3", 6) == 0 ? "QM3" : "QM1";
    enrich(k, t->ss_name, t->ike, why, reason, sizeof(reason));
    path_dgram(&t->path, &path);
    record(k, &path, t->ss_name, t->profile, tunnel_id(t), exch, reason);
}

void fail_qm(struct kmd *k, const struct ike_sa *sa, const char *why)
{
    char reason[512];
    struct fwd_dgram path;

    enrich(k, sa->ss_name, sa, why, reason, sizeof(reason));
    path_dgram(&sa->path, &path);
    record(k, &path, sa->ss_name, sa_profile(sa), ike_id(sa), k->ctx_exch ? k->ctx_exch : "QM1",
           reason);
}

/* ---- show ---- */

static bool addr_match(const char *want, const struct fwd_addr *a)
{
    uint8_t b[16];
    int af;

    if (want == NULL || *want == '\0')
        return true;
    af = strchr(want, ':') ? AF_INET6 : AF_INET;
    return inet_pton(af, want, b) == 1 && a->af == af &&
           memcmp(a->a, b, af == AF_INET6 ? 16 : 4) == 0;
}

static int cmp_fail(const void *a, const void *b)
{
    const struct kmd_failure *x = *(const struct kmd_failure *const *)a,
                             *y = *(const struct kmd_failure *const *)b;
    int c = x->peer.af - y->peer.af;

    if (c == 0)
        c = memcmp(x->peer.a, y->peer.a, x->peer.af == AF_INET6 ? 16 : 4);
    return c ? c : x->seq > y->seq ? -1 : x->seq < y->seq; /* newest first */
}

static void el(struct buf *b, const char *name, const char *value)
{
    buf_printf(b, "    <%s>", name);
    dmn_xml_escape(b, value);
    buf_printf(b, "</%s>\n", name);
}

static void failure_xml(struct kmd *k, struct buf *b, const struct kmd_failure *f)
{
    char s[64], nb[40];
    struct tm tm;
    long long age = (long long)(kmd_now(k) - f->mono);

    buf_puts(b, "  <ike-negotiation-failure>\n");
    if (gmtime_r(&f->wall, &tm) == NULL ||
        strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(s, sizeof(s), "-");
    buf_printf(b, "    <ike-failure-time junos:seconds=\"%lld\">%s</ike-failure-time>\n",
               (long long)f->wall, s);
    buf_printf(b, "    <ike-failure-age>%lld</ike-failure-age>\n", age < 0 ? 0 : age);
    el(b, "ike-failure-remote-address", addr_str(&f->peer, s, sizeof(s)));
    buf_printf(b, "    <ike-failure-remote-port>%u</ike-failure-remote-port>\n", f->pport);
    el(b, "ike-failure-local-address", addr_str(&f->local, s, sizeof(s)));
    buf_printf(b, "    <ike-failure-local-port>%u</ike-failure-local-port>\n", f->lport);
    el(b, "ike-failure-routing-instance", f->instance[0] ? f->instance : "default");
    el(b, "ike-failure-exchange", f->exch);
    if (f->ss[0])
        el(b, "ike-failure-service-set-name", f->ss);
    if (f->profile[0])
        el(b, "ike-failure-access-profile", f->profile);
    if (f->id[0])
        el(b, "ike-failure-remote-identity", f->id);
    if (f->notify)
        el(b, "ike-failure-notify",
           isakmp_fmt(nb, sizeof(nb), isakmp_notify_name(f->notify), f->notify));
    el(b, "ike-failure-reason", f->reason);
    buf_puts(b, "  </ike-negotiation-failure>\n");
}

void fail_show(struct kmd *k, const char *peer, struct buf *b)
{
    const struct kmd_failure *v[KMD_FAIL_MAX];
    unsigned n = 0;

    for (unsigned i = 0; i < KMD_FAIL_MAX; i++)
        if (k->fail[i].seq && addr_match(peer, &k->fail[i].peer))
            v[n++] = &k->fail[i];
    qsort(v, n, sizeof(v[0]), cmp_fail);
    buf_puts(b, "<ike-negotiation-failures-information>\n");
    buf_printf(b, "  <ike-failures-recorded>%llu</ike-failures-recorded>\n",
               (unsigned long long)k->cnt.failures);
    buf_printf(b, "  <ike-failures-shown>%u</ike-failures-shown>\n", n);
    for (unsigned i = 0; i < n; i++)
        failure_xml(k, b, v[i]);
    buf_puts(b, "</ike-negotiation-failures-information>\n");
}
