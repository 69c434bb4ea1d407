/*
 * checks_services.c: semantic checks of [edit services]: each service
 * set's next-hop units (configured services interfaces, not unit 0,
 * matching service-domain, same PIC, one service set per unit), its
 * access profile, local gateway and rules; the references inside
 * [edit services ipsec-vpn] (proposals, policies, rules, interfaces); the
 * warnings about establish-tunnels and an unreachable local gateway.
 * Pools and tunnel distribution are in checks_pools.c.  Messages:
 * docs/checks.md.
 */
#include "checks_priv.h"

#include <arpa/inet.h>
#include <string.h>

/* inside-service-interface / outside-service-interface n of service set s;
 * role "inside" or "outside".  users: logical interface -> v: the latest
 * earlier service set using it (inside or outside). */
static void nh_unit(struct ck_ctx *c, const struct cnode *n, const char *role,
                    const struct ck_map *users)
{
    char dev[64];
    const char *unit, *sd;
    const struct cnode *u;
    const struct ck_ent *other;

    if (ck_split(n->value, dev, sizeof(dev), &unit) < 0)
        return;
    if ((other = ck_map_get(users, n->value, NULL)) != NULL)
        ck_node(c, 0, n,
                "logical interface '%s' is already used by service set '%s': a logical "
                "interface belongs to one service set only",
                n->value, ck_name(other->v));
    if (!ck_services_kind(dev)) {
        ck_node(c, 0, n,
                "'%s' is not a services interface: next-hop service sets use ms- or ams "
                "interfaces",
                n->value);
        return;
    }
    if (strcmp(unit, "0") == 0) {
        ck_node(c, 0, n, "unit 0 cannot be used by a next-hop service set");
        return;
    }
    if ((u = ck_unit(c, n->value)) == NULL) {
        ck_node(c, 0, n, "logical interface '%s' is not configured", n->value);
        return;
    }
    sd = ck_subval(u, c->s.sdomain);
    if (sd == NULL)
        ck_node(c, 0, n,
                "logical interface '%s' has no service-domain: 'service-domain %s' is "
                "required",
                n->value, role);
    else if (strcmp(sd, role) != 0)
        ck_node(c, 0, n,
                "logical interface '%s' has 'service-domain %s': 'service-domain %s' "
                "is required",
                n->value, sd, role);
}

static void next_hop(struct ck_ctx *c, const struct cnode *s, struct ck_map *users)
{
    const struct cnode *nh = ck_sub(s, c->s.nhs);
    const struct cnode *in, *out;
    char din[64], dout[64];
    const char *uin, *uout;

    if (nh == NULL) {
        if (!ck_sub(s, c->s.ifsvc))
            ck_node(c, 0, s, "Missing mandatory statement: 'next-hop-service'");
        return;
    }
    in = ck_sub(nh, c->s.inside);
    out = ck_sub(nh, c->s.outside);
    if (in == NULL)
        ck_node(c, 0, nh, "Missing mandatory statement: 'inside-service-interface'");
    if (out == NULL)
        ck_node(c, 0, nh, "Missing mandatory statement: 'outside-service-interface'");
    if (in)
        nh_unit(c, in, "inside", users);
    if (out)
        nh_unit(c, out, "outside", users);
    /* the later service sets see this one */
    if (in && in->value)
        ck_map_put(users, in->value, NULL, NULL)->v = (void *)s;
    if (out && out->value)
        ck_map_put(users, out->value, NULL, NULL)->v = (void *)s;
    if (in == NULL || out == NULL || ck_split(in->value, din, sizeof(din), &uin) < 0 ||
        ck_split(out->value, dout, sizeof(dout), &uout) < 0 || !ck_services_kind(din) ||
        !ck_services_kind(dout))
        return;
    if (strcmp(in->value, out->value) == 0)
        ck_node(c, 0, out,
                "inside and outside service interfaces must be different logical "
                "interfaces");
    else if (strcmp(din, dout) != 0)
        ck_node(c, 0, out,
                "inside and outside service interfaces must be on the same services PIC: "
                "inside-service-interface is on %s",
                din);
}

static void local_gateway(struct ck_ctx *c, const struct cnode *lg)
{
    const char *addr = ck_subval(lg, c->s.lg_addr);
    const char *ri = ck_subval(lg, c->s.lg_ri);
    char desc[200];
    struct in_addr in;

    if (ri && !ck_entry(c->ris, c->s.ri, ri)) {
        ck_node(c, 0, lg, "referenced routing instance '%s' is not defined", ri);
        return;
    }
    /* (the schema takes IPv4 addresses only: fwdd's tunnel endpoints) */
    if (addr && inet_pton(AF_INET, addr, &in) == 1 &&
        (ntohl(in.s_addr) == 0 || ntohl(in.s_addr) >> 28 >= 0xe || ntohl(in.s_addr) >> 24 == 127))
        ck_node(c, 0, lg,
                "local-gateway %s is not a unicast address a peer can send to (unspecified, "
                "loopback, multicast, reserved or broadcast)",
                addr);
    else if (addr && inet_pton(AF_INET, addr, &in) == 1 && !ck_reachable(c, ntohl(in.s_addr), ri))
        ck_node(c, 1, lg,
                "local-gateway %s is neither an interface address nor in a connected subnet of "
                "%s: no ARP is answered for it, peers reach it only if it is routed here",
                addr, ck_ri_desc(ri, desc, sizeof(desc)));
}

static void ipsec_vpn_options(struct ck_ctx *c, const struct cnode *s)
{
    const struct cnode *o = ck_sub(s, c->s.vpnopt);
    const struct cnode *iap = ck_sub(o, c->s.iap);
    const struct cnode *lg = ck_sub(o, c->s.lg);
    const struct cnode *p;
    int ipsec = iap || ck_sub(s, c->s.ss_rules) || ck_sub(s, c->s.ss_rulesets);

    if (iap && iap->value) {
        if ((p = ck_entry(c->access, c->s.profile, iap->value)) == NULL)
            ck_node(c, 0, iap, "referenced access profile '%s' is not defined", iap->value);
        else if (!ck_sub(ck_entry(p, c->s.client, "*"), c->s.cl_ike))
            ck_node(c, 0, iap,
                    "access profile '%s' has no 'client * ike' configuration for dynamic peers",
                    iap->value);
    }
    if (lg)
        local_gateway(c, lg);
    else if (ipsec && o)
        ck_node(c, 0, o, "Missing mandatory statement: 'local-gateway'");
    else if (ipsec)
        ck_node(c, 0, s, "Missing mandatory statement: 'ipsec-vpn-options local-gateway'");
}

static void service_set(struct ck_ctx *c, const struct cnode *s, struct ck_map *users)
{
    const struct cnode *r;

    next_hop(c, s, users);
    ipsec_vpn_options(c, s);
    for (r = ck_sub(s, c->s.ss_rules); r; r = cnode_next_same(r))
        if (!ck_entry(c->vpn, c->s.rule, r->value))
            ck_node(c, 0, r, "referenced IPsec VPN rule '%s' is not defined", r->value);
    if ((r = ck_sub(s, c->s.ss_rulesets)) != NULL && !ck_entry(c->vpn, c->s.ruleset, r->value))
        ck_node(c, 0, r, "referenced IPsec VPN rule set '%s' is not defined", r->value);
}

/* Each entry of the leaf-list proposals of every policy below sect (ike or
 * ipsec; pol, props and prop its schema nodes) names a proposal of sect. */
static void policy_proposals(struct ck_ctx *c, const struct cnode *sect,
                             const struct sch_node *pol_s, const struct sch_node *props,
                             const struct sch_node *prop, const char *what)
{
    const struct cnode *pol, *pr;

    for (pol = ck_sub(sect, pol_s); pol; pol = cnode_next_same(pol))
        for (pr = ck_sub(pol, props); pr; pr = cnode_next_same(pr))
            if (!ck_entry(sect, prop, pr->value))
                ck_node(c, 0, pr, "referenced %s proposal '%s' is not defined", what, pr->value);
}

static void rules(struct ck_ctx *c, const struct cnode *vpn)
{
    const struct cnode *ike = ck_sub(vpn, c->s.ike), *ipsec = ck_sub(vpn, c->s.ipsec);
    const struct cnode *r, *t, *n, *dyn;

    for (r = ck_sub(vpn, c->s.rule); r; r = cnode_next_same(r))
        for (t = ck_sub(r, c->s.term); t; t = cnode_next_same(t)) {
            if ((n = ck_sub(ck_sub(t, c->s.from), c->s.from_if)) != NULL && !ck_unit(c, n->value))
                ck_node(c, 0, n, "logical interface '%s' is not configured", n->value);
            dyn = ck_sub(ck_sub(t, c->s.then), c->s.dyn);
            if ((n = ck_sub(dyn, c->s.dyn_ike)) != NULL && !ck_entry(ike, c->s.ike_pol, n->value))
                ck_node(c, 0, n, "referenced IKE policy '%s' is not defined", n->value);
            if ((n = ck_sub(dyn, c->s.dyn_ipsec)) != NULL &&
                !ck_entry(ipsec, c->s.ipsec_pol, n->value))
                ck_node(c, 0, n, "referenced IPsec policy '%s' is not defined", n->value);
        }
    for (r = ck_sub(vpn, c->s.ruleset); r; r = cnode_next_same(r))
        for (n = ck_sub(r, c->s.rs_rule); n; n = cnode_next_same(n))
            if (!ck_entry(vpn, c->s.rule, ck_name(n)))
                ck_node(c, 0, n, "referenced IPsec VPN rule '%s' is not defined", ck_name(n));
}

void checks_services(struct ck_ctx *c)
{
    const struct cnode *s, *n;
    struct ck_map users = {0};

    for (s = ck_sub(c->services, c->s.sset); s; s = cnode_next_same(s))
        service_set(c, s, &users);
    ck_map_free(&users);
    if (c->vpn == NULL)
        return;
    policy_proposals(c, ck_sub(c->vpn, c->s.ike), c->s.ike_pol, c->s.ike_pol_props, c->s.ike_prop,
                     "IKE");
    policy_proposals(c, ck_sub(c->vpn, c->s.ipsec), c->s.ipsec_pol, c->s.ipsec_pol_props,
                     c->s.ipsec_prop, "IPsec");
    rules(c, c->vpn);
    if ((n = ck_sub(c->vpn, c->s.establish)) != NULL)
        ck_node(c, 1, n,
                "'establish-tunnels' has no effect: kmd is an IKE responder only and never "
                "initiates tunnels");
}
