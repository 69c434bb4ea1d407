/*
 * dynrule.c: kmd's dynamic rules of a service set (ipsec.h), kept in
 * installation order and indexed so that a packet finds its rule without
 * walking them.
 *
 * The first rule in installation order that matches wins (svc.h).  Each
 * rule has one remote-side prefix (kmd's selectors); the index holds it
 * under (inside unit, remote prefix), and the service set counts its
 * rules per remote prefix length.  A packet probes, for each length in
 * use, its destination masked to that length: the rules found there are
 * the only ones whose remote prefix can contain it; of those that match
 * wholly (sel_match: local side, protocol, ports) the earliest installed
 * wins.  So the answer is the list scan's, at the cost of one probe per
 * prefix length in use (one for kmd's usual /24s and /32s each).
 */
#include "ipsec.h"
#include "pktutil.h"
#include "svc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int fam(const struct addr *a)
{
    return a->af == AF_INET6;
}

/* The key of (unit hash uh, IPv4 prefix a/plen): the per-packet case of
 * key_of: one mix. */
static uint64_t key_v4(uint64_t uh, uint32_t a, unsigned plen)
{
    return uh ^ ptab_mix((uint64_t)a << 16 | (uint64_t)plen << 8 | AF_INET);
}

/* The index key of (inside unit, remote prefix); uh is the unit's name
 * hashed once (ptab_hash_str). */
static uint64_t key_of(uint64_t uh, const struct addr *p)
{
    uint64_t a, b;

    if (p->af == AF_INET)
        return key_v4(uh, get32(p->a), p->plen);
    memcpy(&a, p->a, 8);
    memcpy(&b, p->a + 8, 8);
    return uh ^ ptab_mix(a ^ ptab_mix(b ^ ((uint64_t)p->plen << 8 | p->af)));
}

static void plen_count(struct ss_rt *rt, const struct dyn_rule *r, int d)
{
    int v6 = fam(&r->dst);

    rt->rule_plens[v6][r->dst.plen] += (uint32_t)d;
    if (!v6 && rt->rule_plens[0][r->dst.plen])
        rt->rule_v4_plens |= 1ull << r->dst.plen;
    else if (!v6)
        rt->rule_v4_plens &= ~(1ull << r->dst.plen);
}

void dynrule_add(struct ss_rt *rt, struct dyn_rule *r)
{
    r->order = ++rt->rule_order;
    r->key = key_of(ptab_hash_str(r->inside, 0), &r->dst);
    r->next = NULL;
    r->prev = rt->rules_tail;
    if (rt->rules_tail)
        rt->rules_tail->next = r;
    else
        rt->rules = r;
    rt->rules_tail = r;
    ptab_add(&rt->rule_idx, r->key, r);
    ptab_add(&rt->rule_tun, r->tunnel, r);
    plen_count(rt, r, 1);
}

void dynrule_del(struct ss_rt *rt, struct dyn_rule *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        rt->rules = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        rt->rules_tail = r->prev;
    ptab_del(&rt->rule_idx, r->key, r);
    ptab_del(&rt->rule_tun, r->tunnel, r);
    plen_count(rt, r, -1);
    free(r);
}

void dynrule_flush(struct ss_rt *rt)
{
    while (rt->rules)
        dynrule_del(rt, rt->rules);
    ptab_free(&rt->rule_idx);
    ptab_free(&rt->rule_tun);
    rt->rule_order = 0;
}

struct dyn_rule *dynrule_of_tunnel(const struct ss_rt *rt, uint32_t tunnel)
{
    struct dyn_rule *r;
    size_t it = 0;

    while ((r = ptab_next(&rt->rule_tun, tunnel, &it)) != NULL)
        if (r->tunnel == tunnel)
            return r;
    return NULL;
}

/* The best of the rules under key whose remote prefix is p (v6: 16 bytes;
 * else the IPv4 word p4) of length plen. */
static struct dyn_rule *best_under(const struct ss_rt *rt, const struct unit *u, uint64_t key,
                                   int plen, const struct addr *p, uint32_t p4, const uint8_t *ip,
                                   size_t len, struct dyn_rule *best)
{
    struct dyn_rule *r;
    size_t it = 0;

    while ((r = ptab_next(&rt->rule_idx, key, &it)) != NULL)
        if ((best == NULL || r->order < best->order) && r->dst.plen == plen &&
            (p ? r->dst.af == AF_INET6 && memcmp(r->dst.a, p->a, sizeof(p->a)) == 0
               : r->dst.af == AF_INET && get32(r->dst.a) == p4) &&
            strcmp(r->inside, u->name) == 0 && sel_match(&r->sel, ip, len, 0))
            best = r;
    return best;
}

struct dyn_rule *dynrule_match(const struct ss_rt *rt, const struct unit *u, const uint8_t *ip,
                               size_t len)
{
    struct dyn_rule *best = NULL;
    struct addr dst, p;
    uint64_t uh;

    if (rt->rules == NULL || len < 20)
        return NULL;
    uh = u->name_hash ? u->name_hash : ptab_hash_str(u->name, 0);
    if (ip[0] >> 4 == 4) { /* the lengths in use, longest first */
        uint32_t d4 = get32(ip + 16);
        for (uint64_t m = rt->rule_v4_plens; m; m &= ~(1ull << (63 - __builtin_clzll(m)))) {
            unsigned plen = 63u - (unsigned)__builtin_clzll(m);
            uint32_t a = d4 & addr_mask4(plen);
            best = best_under(rt, u, key_v4(uh, a, plen), (int)plen, NULL, a, ip, len, best);
        }
        return best;
    }
    if (ip[0] >> 4 != 6 || len < 40)
        return NULL;
    addr_set_v6(&dst, ip + 24, 128);
    for (int plen = 128; plen >= 0; plen--) {
        if (rt->rule_plens[1][plen] == 0)
            continue;
        p = dst;
        addr_mask(&p, (unsigned)plen);
        best = best_under(rt, u, key_of(uh, &p), plen, &p, 0, ip, len, best);
    }
    return best;
}

/* The keys an IPv4 packet to d4 probes, longest prefix first: *n of them. */
static void v4_keys(const struct ss_rt *rt, const struct unit *u, uint32_t d4, uint64_t *keys,
                    int *n)
{
    uint64_t uh = u->name_hash ? u->name_hash : ptab_hash_str(u->name, 0);

    *n = 0;
    for (uint64_t m = rt->rule_v4_plens; m && *n < 4; m &= ~(1ull << (63 - __builtin_clzll(m)))) {
        unsigned plen = 63u - (unsigned)__builtin_clzll(m);
        keys[(*n)++] = key_v4(uh, d4 & addr_mask4(plen), plen);
    }
}

void dynrule_prefetch(const struct ss_rt *rt, const struct unit *u, uint32_t d4, int rules)
{
    uint64_t keys[4];
    int n;

    if (rt->rules == NULL)
        return;
    v4_keys(rt, u, d4, keys, &n);
    for (int i = 0; i < n; i++)
        if (rules)
            ptab_prefetch_entries(&rt->rule_idx, keys[i], sizeof(struct dyn_rule));
        else
            ptab_prefetch(&rt->rule_idx, keys[i]);
}

struct dyn_rule *dynrule_peek(const struct ss_rt *rt, const struct unit *u, uint32_t d4)
{
    uint64_t keys[4];
    int n;

    if (rt->rules == NULL)
        return NULL;
    v4_keys(rt, u, d4, keys, &n);
    for (int i = 0; i < n; i++) {
        size_t it = 0;
        struct dyn_rule *r = ptab_next(&rt->rule_idx, keys[i], &it);
        if (r != NULL)
            return r;
    }
    return NULL;
}
