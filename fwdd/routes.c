/*
 * routes.c: the route tables of a generation (fwdd.h, rtable.h): per
 * routing instance NAME.inet.0 and NAME.inet6.0 (inet.0 and inet6.0 for
 * the default one), with Direct and Local routes from the interface
 * addresses, Static routes from routing-options (preference 5 unless
 * configured; next hop an address on a connected subnet, or a unit such
 * as ms-1/0/0.1; discard), and kmd's reverse routes (Static, preference 1),
 * which outlive commits and are re-installed into each new generation.
 */
#include "fwdd.h"
#include "cfg.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define STATIC_PREF 5

struct kroute {
    struct kroute_spec k;
    struct kroute *next, *prev;
};

static void table_names(const struct instance *in, char *v4, char *v6, size_t len)
{
    if (in->is_master) {
        snprintf(v4, len, "inet.0");
        snprintf(v6, len, "inet6.0");
    } else {
        snprintf(v4, len, "%s.inet.0", in->name);
        snprintf(v6, len, "%s.inet6.0", in->name);
    }
}

static int unit_up(const struct unit *u)
{
    if (u->disabled || u->ifd->disabled)
        return 0;
    /* an Ethernet port that no --port maps is down: no connected routes */
    return u->ifd->kind != IFK_ETH || u->ifd->port != NULL;
}

static void add_connected(struct unit *u, const struct addr *a)
{
    struct rtable *t = inst_table(u->inst, a->af);
    struct route r = {0};
    struct addr host = *a;

    r.nnh = 1;
    r.sel = 0;
    r.nh[0].unit = u;
    snprintf(r.nh[0].via, sizeof(r.nh[0].via), "%s", u->name);
    if (a->plen < addr_maxlen(a->af)) {
        r.proto = RTP_DIRECT;
        r.nh[0].kind = NH_ATTACHED;
        rtable_add(t, a, &r);
    }
    r.proto = RTP_LOCAL;
    r.nh[0].kind = NH_LOCAL;
    host.plen = (uint8_t)addr_maxlen(a->af);
    rtable_add(t, &host, &r);
}

/* The connected unit of gateway gw in table t, or NULL. */
static struct unit *resolve_gateway(const struct rtable *t, const struct addr *gw)
{
    const struct rt_dest *d = rtable_lookup(t, gw);
    const struct route *r = rt_active(d);

    if (r == NULL || r->proto != RTP_DIRECT)
        return NULL;
    return r->nh[0].unit;
}

static void add_static(struct gen *g, struct instance *in, const struct cnode *route)
{
    const char *key = cfg_key(route), *pref = cfg_value(route, "preference");
    struct route r = {0};
    struct addr p;
    struct rtable *t;

    if (prefix_parse(key, &p) < 0) {
        log_warnx("static route %s: not a prefix", key);
        return;
    }
    t = inst_table(in, p.af);
    r.proto = RTP_STATIC;
    r.pref = pref ? (uint32_t)strtoul(pref, NULL, 10) : STATIC_PREF;
    r.sel = -1;
    if (cfg_flag(route, "discard")) {
        r.nnh = 1;
        r.sel = 0;
        r.nh[0].kind = NH_DISCARD;
        rtable_add(t, &p, &r);
        return;
    }
    for (const struct cnode *nh = cfg_child(route, "next-hop"); nh && r.nnh < RT_MAX_NH;
         nh = cfg_next(nh)) {
        struct rt_nh *x = &r.nh[r.nnh++];
        if (addr_parse(nh->value, &x->gw) == 0) {
            x->kind = NH_GATEWAY;
            if (x->gw.af == p.af && (x->unit = resolve_gateway(t, &x->gw)) != NULL)
                snprintf(x->via, sizeof(x->via), "%s", x->unit->name);
        } else {
            struct unit *u = gen_unit(g, nh->value);
            x->kind = NH_UNIT;
            snprintf(x->via, sizeof(x->via), "%s", nh->value);
            if (u && u->inst == in && unit_up(u))
                x->unit = u;
        }
        if (x->unit && r.sel < 0)
            r.sel = (int)(r.nnh - 1);
    }
    r.hidden = r.sel < 0;
    rtable_add(t, &p, &r);
}

static const struct cnode *static_routes(const struct cnode *parent)
{
    return cfg_child(cfg_child(cfg_child(parent, "routing-options"), "static"), "route");
}

static int kroute_install(struct gen *g, const struct kroute_spec *k)
{
    struct instance *in = gen_instance(g, k->instance);
    struct unit *u = gen_unit(g, k->unit);
    struct route r = {0};

    if (in == NULL || u == NULL || u->inst != in)
        return -1;
    r.proto = RTP_STATIC;
    r.origin = RTO_KMD;
    r.pref = k->pref;
    r.tunnel = k->tunnel;
    r.nnh = 1;
    r.sel = 0;
    r.nh[0].kind = NH_UNIT;
    r.nh[0].unit = u;
    snprintf(r.nh[0].via, sizeof(r.nh[0].via), "%s", u->name);
    rtable_add(inst_table(in, k->prefix.af), &k->prefix, &r);
    return 0;
}

void routes_build(struct fwdd *fw, struct gen *g, const struct conf *c)
{
    const struct cnode *ri = cfg_child(cfg_child(c->root, "routing-instances"), "instance");

    for (size_t i = 0; i < g->ninsts; i++) {
        char v4[RT_TABLELEN], v6[RT_TABLELEN];
        table_names(&g->insts[i], v4, v6, sizeof(v4));
        g->insts[i].inet = rtable_new(v4, AF_INET);
        g->insts[i].inet6 = rtable_new(v6, AF_INET6);
    }
    for (size_t i = 0; i < g->nifds; i++)
        for (size_t k = 0; k < g->ifds[i].nunits; k++) {
            struct unit *u = &g->ifds[i].units[k];
            if (!unit_up(u))
                continue;
            for (size_t a = 0; a < u->nv4; a++)
                add_connected(u, &u->v4[a]);
            for (size_t a = 0; a < u->nv6; a++)
                add_connected(u, &u->v6[a]);
        }
    for (const struct cnode *r = static_routes(c->root); r; r = cfg_next(r))
        add_static(g, &g->insts[0], r);
    for (; ri; ri = cfg_next(ri)) {
        struct instance *in = gen_instance(g, cfg_key(ri));
        for (const struct cnode *r = static_routes(ri); in && r; r = cfg_next(r))
            add_static(g, in, r);
    }
    for (struct kroute *k = fw->kroutes; k; k = k->next)
        if (kroute_install(g, &k->k) < 0)
            log_warnx("kmd route to %s via %s dropped: unit or instance gone", k->k.unit,
                      k->k.instance[0] ? k->k.instance : "inet.0");
    if (fw->cur == NULL)
        return;
    for (size_t i = 0; i < g->ninsts; i++) {
        struct instance *old = gen_instance(fw->cur, g->insts[i].name);
        if (old) {
            rtable_inherit_ages(g->insts[i].inet, old->inet);
            rtable_inherit_ages(g->insts[i].inet6, old->inet6);
        }
    }
}

/* --- kmd's routes ----------------------------------------------------- */

/* kmd's routes are listed (fw->kroutes) and indexed by spec: no list walk
 * per request (10,000 tunnels made that quadratic). */
static uint64_t spec_key(const struct kroute_spec *s)
{
    uint64_t h = ptab_hash_str(s->instance, ptab_hash_str(s->unit, PTAB_FNV_INIT));

    /* the address bytes of its family only: as addr_eq compares them */
    h = ptab_hash_bytes(s->prefix.a, s->prefix.af == AF_INET6 ? 16 : 4, h);
    return ptab_mix(h ^ ((uint64_t)s->tunnel << 16 | (uint64_t)s->prefix.af << 8 | s->prefix.plen));
}

static void kroute_link(struct fwdd *fw, struct kroute *k)
{
    k->prev = NULL;
    k->next = fw->kroutes;
    if (fw->kroutes)
        fw->kroutes->prev = k;
    fw->kroutes = k;
    ptab_add(&fw->kroute_idx, spec_key(&k->k), k);
}

static void kroute_unlink(struct fwdd *fw, struct kroute *k)
{
    if (k->prev)
        k->prev->next = k->next;
    else
        fw->kroutes = k->next;
    if (k->next)
        k->next->prev = k->prev;
    ptab_del(&fw->kroute_idx, spec_key(&k->k), k);
}

static int same_spec(const struct kroute_spec *a, const struct kroute_spec *b)
{
    return strcmp(a->instance, b->instance) == 0 && strcmp(a->unit, b->unit) == 0 &&
           a->tunnel == b->tunnel && a->prefix.plen == b->prefix.plen &&
           addr_eq(&a->prefix, &b->prefix);
}

static struct kroute *kroute_find(const struct fwdd *fw, const struct kroute_spec *s)
{
    struct kroute *k;
    size_t it = 0;

    while ((k = ptab_next(&fw->kroute_idx, spec_key(s), &it)) != NULL)
        if (same_spec(&k->k, s))
            return k;
    return NULL;
}

static int match_kroute(const struct route *r, const void *arg)
{
    const struct kroute_spec *k = arg;

    return r->origin == RTO_KMD && r->tunnel == k->tunnel && strcmp(r->nh[0].via, k->unit) == 0;
}

static void kroute_uninstall(struct gen *g, const struct kroute_spec *k)
{
    struct instance *in = g ? gen_instance(g, k->instance) : NULL;

    if (in)
        rtable_del(inst_table(in, k->prefix.af), &k->prefix, match_kroute, k);
}

int fw_kroute_add(struct fwdd *fw, const struct kroute_spec *spec)
{
    struct kroute *k;
    struct kroute_spec s = *spec;

    addr_mask(&s.prefix, s.prefix.plen);
    if (kroute_find(fw, &s) != NULL) {
        errno = EEXIST;
        return -1;
    }
    if (fw->cur == NULL || kroute_install(fw->cur, &s) < 0) {
        errno = ENOENT;
        return -1;
    }
    if (fw->next && kroute_install(fw->next, &s) < 0)
        log_warnx("kmd route via %s: not in the prepared configuration", s.unit);
    if ((k = calloc(1, sizeof(*k))) == NULL)
        fatal("calloc");
    k->k = s;
    kroute_link(fw, k);
    return 0;
}

int fw_kroute_del(struct fwdd *fw, const struct kroute_spec *spec)
{
    struct kroute_spec s = *spec;
    struct kroute *k;

    addr_mask(&s.prefix, s.prefix.plen);
    if ((k = kroute_find(fw, &s)) == NULL) {
        errno = ENOENT;
        return -1;
    }
    kroute_unlink(fw, k);
    kroute_uninstall(fw->cur, &k->k);
    kroute_uninstall(fw->next, &k->k);
    free(k);
    return 0;
}

void fw_kroute_flush(struct fwdd *fw)
{
    while (fw->kroutes) {
        struct kroute *k = fw->kroutes;
        kroute_unlink(fw, k);
        kroute_uninstall(fw->cur, &k->k);
        kroute_uninstall(fw->next, &k->k);
        free(k);
    }
    ptab_free(&fw->kroute_idx);
}

void fw_kroute_gc(struct fwdd *fw)
{
    for (struct kroute *k = fw->kroutes, *next; k; k = next) {
        struct instance *in = fw->cur ? gen_instance(fw->cur, k->k.instance) : NULL;
        struct unit *u = fw->cur ? gen_unit(fw->cur, k->k.unit) : NULL;
        next = k->next;
        if (in && u && u->inst == in)
            continue;
        kroute_unlink(fw, k);
        free(k);
    }
}
