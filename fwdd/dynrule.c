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

/* The index key of (inside unit, remote prefix); uh is the unit's name
 * hashed once (ptab_hash_str). */
static uint64_t key_of(uint64_t uh, const struct addr *p)
{
    uint64_t a, b;

    memcpy(&a, p->a, 8);
    memcpy(&b, p->a + 8, 8);
    return uh ^ ptab_mix(a ^ ptab_mix(b ^ ((uint64_t)p->plen << 8 | p->af)));
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
    rt->rule_plens[fam(&r->dst)][r->dst.plen]++;
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
    rt->rule_plens[fam(&r->dst)][r->dst.plen]--;
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

struct dyn_rule *dynrule_match(const struct ss_rt *rt, const struct unit *u, const uint8_t *ip,
                               size_t len)
{
    struct dyn_rule *best = NULL;
    struct addr dst, p;
    uint64_t uh;
    uint32_t d4 = 0;
    int v6;

    if (rt->rules == NULL)
        return NULL;
    v6 = len >= 1 && ip[0] >> 4 == 6;
    if (v6 && len >= 40)
        addr_set_v6(&dst, ip + 24, 128);
    else if (!v6 && len >= 20)
        d4 = get32(ip + 16);
    else
        return NULL;
    uh = u->name_hash ? u->name_hash : ptab_hash_str(u->name, 0);
    for (int plen = v6 ? 128 : 32; plen >= 0; plen--) {
        struct dyn_rule *r;
        size_t it = 0;
        uint64_t key;

        if (rt->rule_plens[v6][plen] == 0)
            continue;
        if (v6) {
            p = dst;
            addr_mask(&p, (unsigned)plen);
        } else {
            addr_set_v4(&p, plen ? d4 & (0xffffffffu << (32 - plen)) : 0, (unsigned)plen);
        }
        key = key_of(uh, &p);
        while ((r = ptab_next(&rt->rule_idx, key, &it)) != NULL)
            if ((best == NULL || r->order < best->order) && r->dst.plen == plen &&
                r->dst.af == p.af && memcmp(r->dst.a, p.a, sizeof(p.a)) == 0 &&
                strcmp(r->inside, u->name) == 0 && sel_match(&r->sel, ip, len, 0))
                best = r;
    }
    return best;
}

/* The keys an IPv4 packet to d4 probes, longest prefix first: *n of them. */
static void v4_keys(const struct ss_rt *rt, const struct unit *u, uint32_t d4, uint64_t *keys,
                    int *n)
{
    uint64_t uh = u->name_hash ? u->name_hash : ptab_hash_str(u->name, 0);
    struct addr p;

    *n = 0;
    for (int plen = 32; plen >= 0 && *n < 4; plen--) {
        if (rt->rule_plens[0][plen] == 0)
            continue;
        addr_set_v4(&p, plen ? d4 & (0xffffffffu << (32 - plen)) : 0, (unsigned)plen);
        keys[(*n)++] = key_of(uh, &p);
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
