/*
 * checks_interfaces.c: semantic checks of [edit interfaces] (dial-options
 * of the pool units) and of routing: routing instances (reserved name,
 * VRF route-distinguisher and vrf-target, interfaces that exist and
 * belong to one instance) and static routes whose next hop is a logical
 * interface.  Messages: docs/checks.md.
 */
#include "checks_priv.h"

#include <arpa/inet.h>
#include <string.h>

/* [edit interfaces IF unit N dial-options] */
static void dial_options(struct ck_ctx *c, const struct cnode *unit)
{
    const struct cnode *dial = ck_sub(unit, c->s.dial);
    const struct cnode *ipsec = ck_sub(dial, c->s.ipsec_id);
    const struct cnode *l2tp = ck_sub(dial, c->s.l2tp_id);

    if (ipsec && l2tp)
        ck_node(c, 0, l2tp,
                "'ipsec-interface-id' and 'l2tp-interface-id' are mutually exclusive: only one "
                "interface identifier may be configured");
    if (ipsec && !ck_sub(dial, c->s.shared) && !ck_sub(dial, c->s.dedicated))
        ck_node(c, 0, ipsec, "'ipsec-interface-id' requires either 'shared' or 'dedicated'");
}

void checks_interfaces(struct ck_ctx *c)
{
    const struct cnode *ifd, *u;

    for (ifd = ck_sub(c->interfaces, c->s.ifd); ifd; ifd = cnode_next_same(ifd))
        for (u = ck_sub(ifd, c->s.unit); u; u = cnode_next_same(u))
            dial_options(c, u);
}

static int is_address(const char *s)
{
    unsigned char a[16];

    return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* static { route P next-hop NH; } below ro (routing-options), whose
 * schema nodes are st, route and nh. */
static void static_routes(struct ck_ctx *c, const struct cnode *ro, const struct sch_node *st,
                          const struct sch_node *route, const struct sch_node *nh)
{
    const struct cnode *r, *n;

    for (r = ck_sub(ck_sub(ro, st), route); r; r = cnode_next_same(r))
        for (n = ck_sub(r, nh); n; n = cnode_next_same(n))
            if (n->value && !is_address(n->value) && !ck_unit(c, n->value))
                ck_node(c, 0, n, "logical interface '%s' is not configured", n->value);
}

/* last: logical interface -> v: the latest instance (so far, in
 * configuration order) that lists it. */
static void instance(struct ck_ctx *c, const struct cnode *ri, struct ck_map *last)
{
    const struct cnode *type = ck_sub(ri, c->s.ri_type);
    const struct cnode *i;
    const struct ck_ent *prev;

    if (strcmp(ck_name(ri), "default") == 0)
        ck_node(c, 0, ri, "'default' is reserved: a routing instance cannot be named 'default'");
    if (type && type->value && strcmp(type->value, "vrf") == 0) {
        if (!ck_sub(ri, c->s.ri_rd))
            ck_node(c, 0, type, "a vrf instance requires 'route-distinguisher'");
        if (!ck_sub(ri, c->s.ri_vt))
            ck_node(c, 0, type, "a vrf instance requires 'vrf-target'");
    }
    for (i = ck_sub(ri, c->s.ri_if); i; i = cnode_next_same(i)) {
        const char *ifl = ck_name(i);
        if (!ck_unit(c, ifl))
            ck_node(c, 0, i, "logical interface '%s' is not configured", ifl);
        if ((prev = ck_map_get(last, ifl, NULL)) != NULL)
            ck_node(c, 0, i,
                    "logical interface '%s' is already in routing instance '%s': a logical "
                    "interface belongs to one routing instance only",
                    ifl, ck_name(prev->v));
    }
    static_routes(c, ck_sub(ri, c->s.ri_ro), c->s.ri_static, c->s.ri_route, c->s.ri_nh);
    for (i = ck_sub(ri, c->s.ri_if); i; i = cnode_next_same(i))
        ck_map_put(last, ck_name(i), NULL, NULL)->v = (void *)ri;
}

void checks_routing(struct ck_ctx *c)
{
    const struct cnode *ri;
    struct ck_map last = {0};

    static_routes(c, c->ro, c->s.ro_static, c->s.ro_route, c->s.ro_nh);
    for (ri = ck_sub(c->ris, c->s.ri); ri; ri = cnode_next_same(ri))
        instance(c, ri, &last);
    ck_map_free(&last);
}
