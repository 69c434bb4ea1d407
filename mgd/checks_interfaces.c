/*
 * checks_interfaces.c: semantic checks of [edit interfaces] (dial-options
 * of the pool units) and of routing: routing instances (reserved name,
 * VRF route-distinguisher and vrf-target, interfaces that exist and
 * belong to one instance) and static routes whose next hop is a logical
 * interface.  Messages: docs/checks.md.
 */
#include "checks_priv.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* [edit interfaces IF unit N dial-options] */
static void dial_options(const struct cnode *unit, struct findings *fs)
{
    const struct cnode *ipsec = ck_get(unit, "dial-options", "ipsec-interface-id", NULL);
    const struct cnode *l2tp = ck_get(unit, "dial-options", "l2tp-interface-id", NULL);

    if (ipsec && l2tp)
        ck_node(fs, 0, l2tp,
                "'ipsec-interface-id' and 'l2tp-interface-id' are mutually exclusive: only one "
                "interface identifier may be configured");
    if (ipsec && !ck_get(unit, "dial-options", "shared", NULL) &&
        !ck_get(unit, "dial-options", "dedicated", NULL))
        ck_node(fs, 0, ipsec, "'ipsec-interface-id' requires either 'shared' or 'dedicated'");
}

void checks_interfaces(const struct cnode *root, struct findings *fs)
{
    const struct cnode *ifd, *u;

    for (ifd = ck_first(ck_get(root, "interfaces", NULL), "interface"); ifd;
         ifd = cnode_next_same(ifd))
        for (u = ck_first(ifd, "unit"); u; u = cnode_next_same(u))
            dial_options(u, fs);
}

static int is_address(const char *s)
{
    unsigned char a[16];

    return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* static { route P next-hop NH; } below rt (routing-options) */
static void static_routes(const struct cnode *root, const struct cnode *ro, struct findings *fs)
{
    const struct cnode *r, *nh;

    for (r = ck_first(ck_get(ro, "static", NULL), "route"); r; r = cnode_next_same(r))
        for (nh = ck_first(r, "next-hop"); nh; nh = cnode_next_same(nh))
            if (nh->value && !is_address(nh->value) && !ck_unit(root, nh->value, NULL))
                ck_node(fs, 0, nh, "logical interface '%s' is not configured", nh->value);
}

/* The instance before ri (in configuration order) that holds ifl, or NULL. */
static const struct cnode *earlier_instance(const struct cnode *ri, const char *ifl)
{
    for (const struct cnode *p = ri->prev; p; p = p->prev)
        if (p->sch == ri->sch && ck_get(p, "interface", ifl, NULL))
            return p;
    return NULL;
}

static void instance(const struct cnode *root, const struct cnode *ri, struct findings *fs)
{
    const struct cnode *type = ck_get(ri, "instance-type", NULL);
    const struct cnode *i, *prev;

    if (strcmp(ck_name(ri), "default") == 0)
        ck_node(fs, 0, ri, "'default' is reserved: a routing instance cannot be named 'default'");
    if (type && type->value && strcmp(type->value, "vrf") == 0) {
        if (!ck_get(ri, "route-distinguisher", NULL))
            ck_node(fs, 0, type, "a vrf instance requires 'route-distinguisher'");
        if (!ck_get(ri, "vrf-target", NULL))
            ck_node(fs, 0, type, "a vrf instance requires 'vrf-target'");
    }
    for (i = ck_first(ri, "interface"); i; i = cnode_next_same(i)) {
        const char *ifl = ck_name(i);
        if (!ck_unit(root, ifl, NULL))
            ck_node(fs, 0, i, "logical interface '%s' is not configured", ifl);
        if ((prev = earlier_instance(ri, ifl)) != NULL)
            ck_node(fs, 0, i,
                    "logical interface '%s' is already in routing instance '%s': a logical "
                    "interface belongs to one routing instance only",
                    ifl, ck_name(prev));
    }
    static_routes(root, ck_get(ri, "routing-options", NULL), fs);
}

void checks_routing(const struct cnode *root, struct findings *fs)
{
    const struct cnode *ri;

    static_routes(root, ck_get(root, "routing-options", NULL), fs);
    for (ri = ck_first(ck_get(root, "routing-instances", NULL), "instance"); ri;
         ri = cnode_next_same(ri))
        instance(root, ri, fs);
}
