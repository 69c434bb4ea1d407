/*
 * checks_pools.c: interface pools and tunnel distribution (seed
 * "Distributing Endpoint IPsec Tunnels Among Services Interfaces";
 * DESIGN.md "Interface pools").
 *
 * The service sets are grouped by ike-access-profile.  A profile's pool is
 * every unit with dial-options ipsec-interface-id X, X being the profile's
 * interface-id; the pool of one service set is the part of it on the
 * physical interface of its inside-service-interface.  Checked:
 *   - per service set: its pool is not empty, and every unit of it is in
 *     the VRF of the inside-service-interface;
 *   - per profile: its service sets all use ms- or all ams- interfaces,
 *     have the same local-gateway, their inside and their outside
 *     interfaces in one VRF; its pool units are only on the physical
 *     interfaces of those inside interfaces, have service-domain inside,
 *     are all shared or all dedicated, at most one shared unit per device.
 * Messages: docs/checks.md.
 */
#include "checks_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct sset {
    const struct cnode *s, *in, *out, *lg, *iap;
    char dev[64]; /* physical interface of the inside unit, "" if unusable */
};

struct group {
    const char *profile, *id; /* id: the profile's interface-id, or NULL */
    struct sset *v;
    size_t n, cap;
};

static void group_add(struct ck_ctx *c, struct group *g, const struct cnode *s,
                      const struct cnode *iap)
{
    const struct cnode *nh = ck_sub(s, c->s.nhs);
    struct sset *e;
    const char *unit;

    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 4;
        if ((g->v = realloc(g->v, g->cap * sizeof(*g->v))) == NULL)
            fatal("realloc");
    }
    e = &g->v[g->n++];
    memset(e, 0, sizeof(*e));
    e->s = s;
    e->iap = iap;
    e->in = ck_sub(nh, c->s.inside);
    e->out = ck_sub(nh, c->s.outside);
    e->lg = ck_sub(ck_sub(s, c->s.vpnopt), c->s.lg);
    if (e->in == NULL || ck_split(e->in->value, e->dev, sizeof(e->dev), &unit) < 0 ||
        !ck_services_kind(e->dev))
        e->dev[0] = '\0';
}

/* Service sets of one profile agree with the first one. */
static void distribution(struct ck_ctx *c, const struct group *g)
{
    const struct sset *a = &g->v[0];
    const char *ga = ck_subval(a->lg, c->s.lg_addr);
    const char *ra_in = a->in ? ck_instance(c, a->in->value) : NULL;
    const char *ra_out = a->out ? ck_instance(c, a->out->value) : NULL;
    char d1[200], d2[200];

    for (size_t i = 1; i < g->n; i++) {
        const struct sset *b = &g->v[i];
        const char *gb = ck_subval(b->lg, c->s.lg_addr);
        if (*a->dev && *b->dev && ck_services_kind(a->dev) != ck_services_kind(b->dev))
            ck_node(c, 0, b->in,
                    "service sets sharing ike-access-profile '%s' must all use ms- or all use "
                    "ams interfaces: service set '%s' uses %s",
                    g->profile, ck_name(a->s), a->in->value);
        if (ga && gb && strcmp(ga, gb) != 0)
            ck_node(c, 0, b->lg,
                    "service sets sharing ike-access-profile '%s' must have the same "
                    "local-gateway: service set '%s' has %s",
                    g->profile, ck_name(a->s), ga);
        if (a->in && b->in) {
            const char *rb = ck_instance(c, b->in->value);
            if (!ck_same(ra_in, rb))
                ck_node(c, 0, b->in,
                        "service sets sharing ike-access-profile '%s' must have their inside "
                        "interfaces and pools in the same VRF: %s is in %s, %s (service set "
                        "'%s') is in %s",
                        g->profile, b->in->value, ck_ri_desc(rb, d2, sizeof(d2)), a->in->value,
                        ck_name(a->s), ck_ri_desc(ra_in, d1, sizeof(d1)));
        }
        if (a->out && b->out) {
            const char *rb = ck_instance(c, b->out->value);
            if (!ck_same(ra_out, rb))
                ck_node(c, 0, b->out,
                        "service sets sharing ike-access-profile '%s' must have their outside "
                        "interfaces in the same VRF: %s is in %s, %s (service set '%s') is in "
                        "%s",
                        g->profile, b->out->value, ck_ri_desc(rb, d2, sizeof(d2)), a->out->value,
                        ck_name(a->s), ck_ri_desc(ra_out, d1, sizeof(d1)));
        }
    }
}

/* The unit of a pool entry (an ipsec-interface-id leaf) and its device. */
static const struct cnode *pool_unit(const struct cnode *id)
{
    return id->parent->parent;
}

/* The pool of one service set: units of its inside device in the pool.
 * clean: (VRF, pool entry of the device) known to have every unit in
 * that VRF, whichever service set asks. */
static void set_pool(struct ck_ctx *c, const struct group *g, const struct sset *e,
                     struct ck_map *clean)
{
    const struct cnode *ifd = ck_entry(c->interfaces, c->s.ifd, e->dev);
    const struct ck_pool *pool = ck_pool(c, g->id);
    const struct ck_ent *run = ifd && pool ? ck_map_get(&c->pools, g->id, ifd) : NULL;
    const char *ri = ck_instance(c, e->in->value), *uri;
    char ifl[96], d1[200], d2[200];
    int bad = 0;

    if (run && ck_map_get(clean, ri, run))
        return;
    for (size_t k = run ? run->i : 0; run && k < pool->n; k++) {
        const struct cnode *id = pool->id[k], *u = pool_unit(id);
        if (u->parent != ifd)
            break;
        ck_unit_name(u, ifl, sizeof(ifl));
        uri = ck_instance(c, ifl);
        if (ck_same(uri, ri))
            continue;
        bad = 1;
        ck_node(c, 0, id,
                "pool unit %s must be in the same VRF as inside-service-interface %s of "
                "service set '%s': %s is in %s, %s is in %s",
                ifl, e->in->value, ck_name(e->s), ifl, ck_ri_desc(uri, d1, sizeof(d1)),
                e->in->value, ck_ri_desc(ri, d2, sizeof(d2)));
    }
    if (run && !bad)
        ck_map_put(clean, ri, run, NULL);
    if (run == NULL && pool)
        ck_node(c, 0, e->iap,
                "no unit of %s has 'dial-options ipsec-interface-id %s' (the interface-id of "
                "access profile '%s'): the service set has no interface pool",
                e->dev, g->id, g->profile);
}

/* Every pool unit of the profile, wherever it is.  devs: (device, g) for
 * the inside devices of every group. */
static void profile_pool(struct ck_ctx *c, const struct group *g, struct ck_map *devs)
{
    const struct ck_pool *pool = ck_pool(c, g->id);
    const struct cnode *ifd = NULL, *u, *id, *dial, *mode, *first_mode = NULL, *shared = NULL;
    char list[400] = "", ifl[96], first[96] = "";
    int known = 1, added; /* known: every service set's inside device is known */

    for (size_t i = 0; i < g->n; i++) {
        if (!*g->v[i].dev) {
            known = 0;
            continue;
        }
        ck_map_put(devs, g->v[i].dev, g, &added);
        if (added) /* the first service set on that device */
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", *list ? ", " : "",
                     g->v[i].dev);
    }
    for (size_t k = 0; pool && k < pool->n; k++) {
        id = pool->id[k];
        u = pool_unit(id);
        if (u->parent != ifd) {
            ifd = u->parent;
            shared = NULL;
        }
        ck_unit_name(u, ifl, sizeof(ifl));
        if (known && !ck_map_get(devs, ck_name(ifd), g))
            ck_node(c, 0, id,
                    "ipsec-interface-id %s (access profile '%s') may only be configured on "
                    "the inside services interfaces of the service sets using the profile "
                    "(%s)",
                    g->id, g->profile, list);
        if (!ck_same(ck_subval(u, c->s.sdomain), "inside"))
            ck_node(c, 0, id, "pool unit %s must have 'service-domain inside'", ifl);
        dial = id->parent;
        if ((mode = ck_sub(dial, c->s.shared)) == NULL)
            mode = ck_sub(dial, c->s.dedicated);
        if (mode == NULL)
            continue; /* reported by checks_interfaces */
        if (first_mode == NULL) {
            first_mode = mode;
            snprintf(first, sizeof(first), "%s", ifl);
        } else if (mode->sch != first_mode->sch) {
            ck_node(c, 0, mode, "units of pool '%s' must be all shared or all dedicated: %s is %s",
                    g->id, first, first_mode->sch->name);
        }
        if (mode->sch == c->s.shared) {
            if (shared)
                ck_node(c, 0, mode,
                        "only one shared unit per interface is allowed in pool '%s': "
                        "%s.%s is already shared",
                        g->id, ck_name(ifd), ck_name(shared));
            else
                shared = u;
        }
    }
}

void checks_pools(struct ck_ctx *c)
{
    const struct cnode *s, *iap, *p;
    struct group *groups = NULL;
    struct ck_map byname = {0}, devs = {0}, clean = {0};
    struct ck_ent *e;
    size_t ng = 0, cap = 0, i;
    int added;

    for (s = ck_sub(c->services, c->s.sset); s; s = cnode_next_same(s)) {
        iap = ck_sub(ck_sub(s, c->s.vpnopt), c->s.iap);
        if (iap == NULL || iap->value == NULL)
            continue;
        e = ck_map_put(&byname, iap->value, NULL, &added);
        if (added) {
            if (ng == cap) {
                cap = cap ? 2 * cap : 16;
                if ((groups = realloc(groups, cap * sizeof(*groups))) == NULL)
                    fatal("realloc");
            }
            memset(&groups[ng], 0, sizeof(*groups));
            groups[ng].profile = iap->value;
            p = ck_entry(ck_entry(c->access, c->s.profile, iap->value), c->s.client, "*");
            groups[ng].id = ck_subval(ck_sub(p, c->s.cl_ike), c->s.cl_iid);
            e->i = ng++;
        }
        group_add(c, &groups[e->i], s, iap);
    }
    for (i = 0; i < ng; i++) {
        const struct group *g = &groups[i];
        distribution(c, g);
        if (g->id == NULL)
            continue;
        for (size_t j = 0; j < g->n; j++)
            if (*g->v[j].dev)
                set_pool(c, g, &g->v[j], &clean);
        profile_pool(c, g, &devs);
    }
    for (i = 0; i < ng; i++)
        free(groups[i].v);
    free(groups);
    ck_map_free(&byname);
    ck_map_free(&devs);
    ck_map_free(&clean);
}
