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
    size_t n;
};

static void group_add(struct group *g, const struct cnode *s, const struct cnode *iap)
{
    struct sset *e;
    const char *unit;

    g->v = realloc(g->v, (g->n + 1) * sizeof(*g->v));
    if (g->v == NULL)
        fatal("realloc");
    e = &g->v[g->n++];
    memset(e, 0, sizeof(*e));
    e->s = s;
    e->iap = iap;
    e->in = ck_get(s, "next-hop-service", "inside-service-interface", NULL);
    e->out = ck_get(s, "next-hop-service", "outside-service-interface", NULL);
    e->lg = ck_get(s, "ipsec-vpn-options", "local-gateway", NULL);
    if (e->in == NULL || ck_split(e->in->value, e->dev, sizeof(e->dev), &unit) < 0 ||
        !ck_services_kind(e->dev))
        e->dev[0] = '\0';
}

/* Service sets of one profile agree with the first one. */
static void distribution(const struct cnode *root, const struct group *g, struct findings *fs)
{
    const struct sset *a = &g->v[0];
    char d1[200], d2[200];

    for (size_t i = 1; i < g->n; i++) {
        const struct sset *b = &g->v[i];
        const char *ga = ck_leaf(a->lg, "address"), *gb = ck_leaf(b->lg, "address");
        if (*a->dev && *b->dev && ck_services_kind(a->dev) != ck_services_kind(b->dev))
            ck_node(fs, 0, b->in,
                    "service sets sharing ike-access-profile '%s' must all use ms- or all use "
                    "ams interfaces: service set '%s' uses %s",
                    g->profile, ck_name(a->s), a->in->value);
        if (ga && gb && strcmp(ga, gb) != 0)
            ck_node(fs, 0, b->lg,
                    "service sets sharing ike-access-profile '%s' must have the same "
                    "local-gateway: service set '%s' has %s",
                    g->profile, ck_name(a->s), ga);
        if (a->in && b->in) {
            const char *ra = ck_instance(root, a->in->value);
            const char *rb = ck_instance(root, b->in->value);
            if (!ck_same(ra, rb))
                ck_node(fs, 0, b->in,
                        "service sets sharing ike-access-profile '%s' must have their inside "
                        "interfaces and pools in the same VRF: %s is in %s, %s (service set "
                        "'%s') is in %s",
                        g->profile, b->in->value, ck_ri_desc(rb, d2, sizeof(d2)), a->in->value,
                        ck_name(a->s), ck_ri_desc(ra, d1, sizeof(d1)));
        }
        if (a->out && b->out) {
            const char *ra = ck_instance(root, a->out->value);
            const char *rb = ck_instance(root, b->out->value);
            if (!ck_same(ra, rb))
                ck_node(fs, 0, b->out,
                        "service sets sharing ike-access-profile '%s' must have their outside "
                        "interfaces in the same VRF: %s is in %s, %s (service set '%s') is in "
                        "%s",
                        g->profile, b->out->value, ck_ri_desc(rb, d2, sizeof(d2)), a->out->value,
                        ck_name(a->s), ck_ri_desc(ra, d1, sizeof(d1)));
        }
    }
}

/* The pool of one service set: units of its inside device in the pool. */
static void set_pool(const struct cnode *root, const struct group *g, const struct sset *e,
                     struct findings *fs)
{
    const struct cnode *ifd = ck_get(root, "interfaces", e->dev, NULL), *u, *id;
    const char *ri = ck_instance(root, e->in->value), *uri;
    char ifl[96], d1[200], d2[200];
    int found = 0;

    for (u = ck_first(ifd, "unit"); u; u = cnode_next_same(u)) {
        id = ck_get(u, "dial-options", "ipsec-interface-id", NULL);
        if (id == NULL || !ck_same(id->value, g->id))
            continue;
        found = 1;
        ck_unit_name(u, ifl, sizeof(ifl));
        uri = ck_instance(root, ifl);
        if (!ck_same(uri, ri))
            ck_node(fs, 0, id,
                    "pool unit %s must be in the same VRF as inside-service-interface %s of "
                    "service set '%s': %s is in %s, %s is in %s",
                    ifl, e->in->value, ck_name(e->s), ifl, ck_ri_desc(uri, d1, sizeof(d1)),
                    e->in->value, ck_ri_desc(ri, d2, sizeof(d2)));
    }
    if (!found && ck_pool_exists(root, g->id))
        ck_node(fs, 0, e->iap,
                "no unit of %s has 'dial-options ipsec-interface-id %s' (the interface-id of "
                "access profile '%s'): the service set has no interface pool",
                e->dev, g->id, g->profile);
}

static int is_inside_dev(const struct group *g, const char *dev)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->v[i].dev, dev) == 0)
            return 1;
    return 0;
}

/* 1 if service set i's inside device is also an earlier one's. */
static int is_inside_dev_before(const struct group *g, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(g->v[j].dev, g->v[i].dev) == 0)
            return 1;
    return 0;
}

/* Every pool unit of the profile, wherever it is. */
static void profile_pool(const struct group *g, const struct cnode *root, struct findings *fs)
{
    const struct cnode *ifd, *u, *id, *mode, *first_mode = NULL, *shared;
    char devs[400] = "", ifl[96], first[96] = "";
    int known = 1; /* every service set's inside device is known */

    for (size_t i = 0; i < g->n; i++)
        if (!*g->v[i].dev)
            known = 0;
        else if (!is_inside_dev_before(g, i))
            snprintf(devs + strlen(devs), sizeof(devs) - strlen(devs), "%s%s", *devs ? ", " : "",
                     g->v[i].dev);
    for (ifd = ck_first(ck_get(root, "interfaces", NULL), "interface"); ifd;
         ifd = cnode_next_same(ifd)) {
        shared = NULL;
        for (u = ck_first(ifd, "unit"); u; u = cnode_next_same(u)) {
            id = ck_get(u, "dial-options", "ipsec-interface-id", NULL);
            if (id == NULL || !ck_same(id->value, g->id))
                continue;
            ck_unit_name(u, ifl, sizeof(ifl));
            if (known && !is_inside_dev(g, ck_name(ifd)))
                ck_node(fs, 0, id,
                        "ipsec-interface-id %s (access profile '%s') may only be configured on "
                        "the inside services interfaces of the service sets using the profile "
                        "(%s)",
                        g->id, g->profile, devs);
            if (!ck_same(ck_val(u, "service-domain", NULL), "inside"))
                ck_node(fs, 0, id, "pool unit %s must have 'service-domain inside'", ifl);
            mode = ck_get(u, "dial-options", "shared", NULL);
            if (mode == NULL)
                mode = ck_get(u, "dial-options", "dedicated", NULL);
            if (mode == NULL)
                continue; /* reported by checks_interfaces */
            if (first_mode == NULL) {
                first_mode = mode;
                snprintf(first, sizeof(first), "%s", ifl);
            } else if (mode->sch != first_mode->sch) {
                ck_node(fs, 0, mode,
                        "units of pool '%s' must be all shared or all dedicated: %s is %s", g->id,
                        first, first_mode->sch->name);
            }
            if (strcmp(mode->sch->name, "shared") == 0) {
                if (shared)
                    ck_node(fs, 0, mode,
                            "only one shared unit per interface is allowed in pool '%s': "
                            "%s.%s is already shared",
                            g->id, ck_name(ifd), ck_name(shared));
                else
                    shared = u;
            }
        }
    }
}

void checks_pools(const struct cnode *root, struct findings *fs)
{
    const struct cnode *svc = ck_get(root, "services", NULL), *s, *iap;
    struct group *groups = NULL;
    size_t ng = 0, i;

    for (s = ck_first(svc, "service-set"); s; s = cnode_next_same(s)) {
        iap = ck_get(s, "ipsec-vpn-options", "ike-access-profile", NULL);
        if (iap == NULL || iap->value == NULL)
            continue;
        for (i = 0; i < ng && strcmp(groups[i].profile, iap->value) != 0; i++)
            ;
        if (i == ng) {
            groups = realloc(groups, (ng + 1) * sizeof(*groups));
            if (groups == NULL)
                fatal("realloc");
            memset(&groups[ng], 0, sizeof(*groups));
            groups[ng].profile = iap->value;
            groups[ng].id = ck_val(root, "access", "profile", iap->value, "client", "*", "ike",
                                   "interface-id", NULL);
            ng++;
        }
        group_add(&groups[i], s, iap);
    }
    for (i = 0; i < ng; i++) {
        const struct group *g = &groups[i];
        distribution(root, g, fs);
        if (g->id == NULL)
            continue;
        for (size_t j = 0; j < g->n; j++)
            if (*g->v[j].dev)
                set_pool(root, g, &g->v[j], fs);
        profile_pool(g, root, fs);
    }
    for (i = 0; i < ng; i++)
        free(groups[i].v);
    free(groups);
}
