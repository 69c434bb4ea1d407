/*
 * rtable.c: route tables: hashed destinations, per-length counts,
 * longest-prefix match and preference order (rtable.h).
 */
#include "rtable.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define RT_MIN_BUCKETS 64

uint64_t rtable_changes;

static uint64_t prefix_hash(const struct addr *p)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    unsigned n = (p->plen + 7u) / 8u;

    h = (h ^ p->af) * 1099511628211ull;
    h = (h ^ p->plen) * 1099511628211ull;
    for (unsigned i = 0; i < n; i++)
        h = (h ^ p->a[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

static int same_prefix(const struct addr *a, const struct addr *b)
{
    return a->plen == b->plen && a->af == b->af && memcmp(a->a, b->a, 16) == 0;
}

struct rtable *rtable_new(const char *name, int af)
{
    struct rtable *t = calloc(1, sizeof(*t));

    if (t == NULL || (t->bucket = calloc(RT_MIN_BUCKETS, sizeof(*t->bucket))) == NULL)
        fatal("calloc");
    t->nbucket = RT_MIN_BUCKETS;
    t->af = af;
    strncpy(t->name, name, sizeof(t->name) - 1);
    return t;
}

static void dest_free(struct rt_dest *d)
{
    while (d->routes) {
        struct route *r = d->routes;
        d->routes = r->next;
        free(r);
    }
    free(d);
}

void rtable_free(struct rtable *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nbucket; i++)
        while (t->bucket[i]) {
            struct rt_dest *d = t->bucket[i];
            t->bucket[i] = d->hnext;
            dest_free(d);
        }
    free(t->bucket);
    free(t);
}

static void grow(struct rtable *t)
{
    size_t n = t->nbucket * 2;
    struct rt_dest **b = calloc(n, sizeof(*b));

    if (b == NULL)
        fatal("calloc");
    for (size_t i = 0; i < t->nbucket; i++)
        while (t->bucket[i]) {
            struct rt_dest *d = t->bucket[i];
            size_t j = prefix_hash(&d->prefix) & (n - 1);
            t->bucket[i] = d->hnext;
            d->hnext = b[j];
            b[j] = d;
        }
    free(t->bucket);
    t->bucket = b;
    t->nbucket = n;
}

struct rt_dest *rtable_exact(const struct rtable *t, const struct addr *prefix)
{
    struct addr p = *prefix;

    addr_mask(&p, prefix->plen);
    for (struct rt_dest *d = t->bucket[prefix_hash(&p) & (t->nbucket - 1)]; d; d = d->hnext)
        if (same_prefix(&d->prefix, &p))
            return d;
    return NULL;
}

/* Preference, then protocol (Direct, Local, Static), then first come. */
static int route_before(const struct route *a, const struct route *b)
{
    if (a->pref != b->pref)
        return a->pref < b->pref;
    return a->proto < b->proto;
}

struct route *rtable_add(struct rtable *t, const struct addr *prefix, const struct route *r)
{
    struct addr p = *prefix;
    struct rt_dest *d;
    struct route *n, **pp;

    rtable_changes++;
    addr_mask(&p, prefix->plen);
    if ((d = rtable_exact(t, &p)) == NULL) {
        if (t->ndest >= t->nbucket)
            grow(t);
        if ((d = calloc(1, sizeof(*d))) == NULL)
            fatal("calloc");
        size_t i = prefix_hash(&p) & (t->nbucket - 1);
        d->prefix = p;
        d->hnext = t->bucket[i];
        t->bucket[i] = d;
        t->ndest++;
        t->nplen[p.plen]++;
    }
    if ((n = malloc(sizeof(*n))) == NULL)
        fatal("malloc");
    *n = *r;
    if (n->since == 0)
        n->since = fwd_clock();
    for (pp = &d->routes; *pp && !route_before(n, *pp); pp = &(*pp)->next)
        ;
    n->next = *pp;
    *pp = n;
    t->nroutes++;
    t->nhidden += n->hidden;
    return n;
}

int rtable_del(struct rtable *t, const struct addr *prefix,
               int (*match)(const struct route *, const void *), const void *arg)
{
    struct rt_dest *d = rtable_exact(t, prefix), **dp;

    rtable_changes++;
    struct route **pp;
    int n = 0;

    if (d == NULL)
        return 0;
    for (pp = &d->routes; *pp;) {
        struct route *r = *pp;
        if (match(r, arg)) {
            *pp = r->next;
            t->nroutes--;
            t->nhidden -= r->hidden;
            free(r);
            n++;
        } else {
            pp = &r->next;
        }
    }
    if (d->routes)
        return n;
    for (dp = &t->bucket[prefix_hash(&d->prefix) & (t->nbucket - 1)]; *dp != d; dp = &(*dp)->hnext)
        ;
    *dp = d->hnext;
    t->nplen[d->prefix.plen]--;
    t->ndest--;
    free(d);
    return n;
}

const struct route *rt_active(const struct rt_dest *d)
{
    for (const struct route *r = d ? d->routes : NULL; r; r = r->next)
        if (!r->hidden)
            return r;
    return NULL;
}

const struct rt_dest *rtable_lookup(const struct rtable *t, const struct addr *a)
{
    unsigned max = addr_maxlen(t->af);
    struct addr p;

    if (a->af != t->af)
        return NULL;
    for (int len = (int)max; len >= 0; len--) {
        const struct rt_dest *d;
        if (t->nplen[len] == 0)
            continue;
        p = *a;
        addr_mask(&p, (unsigned)len);
        for (d = t->bucket[prefix_hash(&p) & (t->nbucket - 1)]; d; d = d->hnext)
            if (same_prefix(&d->prefix, &p))
                break;
        if (d && rt_active(d))
            return d;
    }
    return NULL;
}

static int dest_cmp(const void *a, const void *b)
{
    const struct rt_dest *x = *(const struct rt_dest *const *)a;
    const struct rt_dest *y = *(const struct rt_dest *const *)b;

    return prefix_cmp(&x->prefix, &y->prefix);
}

const struct rt_dest **rtable_sorted(const struct rtable *t, size_t *n)
{
    const struct rt_dest **v = calloc(t->ndest + 1, sizeof(*v));
    size_t k = 0;

    if (v == NULL)
        fatal("calloc");
    for (size_t i = 0; i < t->nbucket; i++)
        for (const struct rt_dest *d = t->bucket[i]; d; d = d->hnext)
            v[k++] = d;
    qsort(v, k, sizeof(*v), dest_cmp);
    *n = k;
    return v;
}

size_t rtable_active_count(const struct rtable *t)
{
    size_t n = 0;

    for (size_t i = 0; i < t->nbucket; i++)
        for (const struct rt_dest *d = t->bucket[i]; d; d = d->hnext)
            n += rt_active(d) != NULL;
    return n;
}

static int same_route(const struct route *a, const struct route *b)
{
    if (a->proto != b->proto || a->pref != b->pref || a->origin != b->origin || a->nnh != b->nnh ||
        a->hidden != b->hidden)
        return 0;
    for (unsigned i = 0; i < a->nnh; i++)
        if (a->nh[i].kind != b->nh[i].kind || strcmp(a->nh[i].via, b->nh[i].via) != 0 ||
            (a->nh[i].kind == NH_GATEWAY && !addr_eq(&a->nh[i].gw, &b->nh[i].gw)))
            return 0;
    return 1;
}

void rtable_inherit_ages(struct rtable *t, const struct rtable *old)
{
    if (old == NULL)
        return;
    for (size_t i = 0; i < t->nbucket; i++)
        for (struct rt_dest *d = t->bucket[i]; d; d = d->hnext) {
            const struct rt_dest *od = rtable_exact(old, &d->prefix);
            for (struct route *r = d->routes; od && r; r = r->next)
                for (const struct route *o = od->routes; o; o = o->next)
                    if (same_route(r, o)) {
                        r->since = o->since;
                        break;
                    }
        }
}

const char *rt_proto_name(enum rt_proto p)
{
    switch (p) {
    case RTP_DIRECT:
        return "Direct";
    case RTP_LOCAL:
        return "Local";
    case RTP_STATIC:
        return "Static";
    }
    return "?";
}
