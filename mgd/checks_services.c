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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An earlier service set than s using logical interface ifl, or NULL. */
static const struct cnode *earlier_user(const struct cnode *s, const char *ifl)
{
    for (const struct cnode *p = s->prev; p; p = p->prev) {
        if (p->sch != s->sch)
            continue;
        if (ck_same(ck_val(p, "next-hop-service", "inside-service-interface", NULL), ifl) ||
            ck_same(ck_val(p, "next-hop-service", "outside-service-interface", NULL), ifl))
            return p;
    }
    return NULL;
}

/* inside-service-interface / outside-service-interface n; role "inside"
 * or "outside". */
static void nh_unit(const struct cnode *root, const struct cnode *s, const struct cnode *n,
                    const char *role, struct findings *fs)
{
    char dev[64];
    const char *unit, *sd;
    const struct cnode *u, *other;

    if (ck_split(n->value, dev, sizeof(dev), &unit) < 0)
        return;
    if ((other = earlier_user(s, n->value)) != NULL)
        ck_node(fs, 0, n,
                "logical interface '%s' is already used by service set '%s': a logical "
                "interface belongs to one service set only",
                n->value, ck_name(other));
    if (!ck_services_kind(dev)) {
        ck_node(fs, 0, n,
                "'%s' is not a services interface: next-hop service sets use ms- or ams "
                "interfaces",
                n->value);
        return;
    }
    if (strcmp(unit, "0") == 0) {
        ck_node(fs, 0, n, "unit 0 cannot be used by a next-hop service set");
        return;
    }
    if ((u = ck_unit(root, n->value, NULL)) == NULL) {
        ck_node(fs, 0, n, "logical interface '%s' is not configured", n->value);
        return;
    }
    sd = ck_val(u, "service-domain", NULL);
    if (sd == NULL)
        ck_node(fs, 0, n,
                "logical interface '%s' has no service-domain: 'service-domain %s' is "
                "required",
                n->value, role);
    else if (strcmp(sd, role) != 0)
        ck_node(fs, 0, n,
                "logical interface '%s' has 'service-domain %s': 'service-domain %s' "
                "is required",
                n->value, sd, role);
}

static void next_hop(const struct cnode *root, const struct cnode *s, struct findings *fs)
{
    const struct cnode *nh = ck_get(s, "next-hop-service", NULL);
    const struct cnode *in, *out;
    char din[64], dout[64];
    const char *uin, *uout;

    if (nh == NULL) {
        if (!ck_get(s, "interface-service", NULL))
            ck_node(fs, 0, s, "Missing mandatory statement: 'next-hop-service'");
        return;
    }
    in = ck_get(nh, "inside-service-interface", NULL);
    out = ck_get(nh, "outside-service-interface", NULL);
    if (in == NULL)
        ck_node(fs, 0, nh, "Missing mandatory statement: 'inside-service-interface'");
    if (out == NULL)
        ck_node(fs, 0, nh, "Missing mandatory statement: 'outside-service-interface'");
    if (in)
        nh_unit(root, s, in, "inside", fs);
    if (out)
        nh_unit(root, s, out, "outside", fs);
    if (in == NULL || out == NULL || ck_split(in->value, din, sizeof(din), &uin) < 0 ||
        ck_split(out->value, dout, sizeof(dout), &uout) < 0 || !ck_services_kind(din) ||
        !ck_services_kind(dout))
        return;
    if (strcmp(in->value, out->value) == 0)
        ck_node(fs, 0, out,
                "inside and outside service interfaces must be different logical "
                "interfaces");
    else if (strcmp(din, dout) != 0)
        ck_node(fs, 0, out,
                "inside and outside service interfaces must be on the same services PIC: "
                "inside-service-interface is on %s",
                din);
}

static int parse_prefix(const char *s, uint32_t *addr, int *len)
{
    char a[INET_ADDRSTRLEN];
    const char *slash = strchr(s, '/');
    struct in_addr in;

    if (slash == NULL || (size_t)(slash - s) >= sizeof(a))
        return -1;
    memcpy(a, s, (size_t)(slash - s));
    a[slash - s] = '\0';
    if (inet_pton(AF_INET, a, &in) != 1)
        return -1;
    *addr = ntohl(in.s_addr);
    *len = atoi(slash + 1);
    return *len >= 0 && *len <= 32 ? 0 : -1;
}

/* 1 if gw is an interface address or in a connected subnet of instance ri. */
static int gateway_reachable(const struct cnode *root, uint32_t gw, const char *ri)
{
    const struct cnode *ifd, *u, *a;
    char ifl[96];

    for (ifd = ck_first(ck_get(root, "interfaces", NULL), "interface"); ifd;
         ifd = cnode_next_same(ifd))
        for (u = ck_first(ifd, "unit"); u; u = cnode_next_same(u)) {
            ck_unit_name(u, ifl, sizeof(ifl));
            if (!ck_same(ck_instance(root, ifl), ri))
                continue;
            for (a = ck_first(ck_get(u, "family", "inet", NULL), "address"); a;
                 a = cnode_next_same(a)) {
                uint32_t addr, mask;
                int len;
                if (parse_prefix(ck_name(a), &addr, &len) < 0)
                    continue;
                mask = len ? 0xffffffffu << (32 - len) : 0;
                if (addr == gw || (addr & mask) == (gw & mask))
                    return 1;
            }
        }
    return 0;
}

static void local_gateway(const struct cnode *root, const struct cnode *lg, struct findings *fs)
{
    const char *addr = ck_leaf(lg, "address");
    const char *ri = ck_val(lg, "routing-instance", NULL);
    char desc[200];
    struct in_addr in;

    if (ri && !ck_get(root, "routing-instances", ri, NULL)) {
        ck_node(fs, 0, lg, "referenced routing instance '%s' is not defined", ri);
        return;
    }
    if (addr && inet_pton(AF_INET, addr, &in) == 1 &&
        !gateway_reachable(root, ntohl(in.s_addr), ri))
        ck_node(fs, 1, lg,
                "local-gateway %s is neither an interface address nor in a connected subnet of "
                "%s: no ARP is answered for it, peers reach it only if it is routed here",
                addr, ck_ri_desc(ri, desc, sizeof(desc)));
}

static void ipsec_vpn_options(const struct cnode *root, const struct cnode *s, struct findings *fs)
{
    const struct cnode *o = ck_get(s, "ipsec-vpn-options", NULL);
    const struct cnode *iap = ck_get(o, "ike-access-profile", NULL);
    const struct cnode *lg = ck_get(o, "local-gateway", NULL);
    int ipsec = iap || ck_get(s, "ipsec-vpn-rules", NULL) || ck_get(s, "ipsec-vpn-rule-sets", NULL);

    if (iap && iap->value) {
        if (!ck_get(root, "access", "profile", iap->value, NULL))
            ck_node(fs, 0, iap, "referenced access profile '%s' is not defined", iap->value);
        else if (!ck_get(root, "access", "profile", iap->value, "client", "*", "ike", NULL))
            ck_node(fs, 0, iap,
                    "access profile '%s' has no 'client * ike' configuration for dynamic peers",
                    iap->value);
    }
    if (lg)
        local_gateway(root, lg, fs);
    else if (ipsec && o)
        ck_node(fs, 0, o, "Missing mandatory statement: 'local-gateway'");
    else if (ipsec)
        ck_node(fs, 0, s, "Missing mandatory statement: 'ipsec-vpn-options local-gateway'");
}

static void service_set(const struct cnode *root, const struct cnode *s, struct findings *fs)
{
    const struct cnode *r;

    next_hop(root, s, fs);
    ipsec_vpn_options(root, s, fs);
    for (r = ck_first(s, "ipsec-vpn-rules"); r; r = cnode_next_same(r))
        if (!ck_get(root, "services", "ipsec-vpn", "rule", r->value, NULL))
            ck_node(fs, 0, r, "referenced IPsec VPN rule '%s' is not defined", r->value);
    if ((r = ck_get(s, "ipsec-vpn-rule-sets", NULL)) != NULL &&
        !ck_get(root, "services", "ipsec-vpn", "rule-set", r->value, NULL))
        ck_node(fs, 0, r, "referenced IPsec VPN rule set '%s' is not defined", r->value);
}

/* Each entry of the leaf-list proposals of every policy below sect ("ike" or
 * "ipsec") names a proposal of the same section. */
static void policy_proposals(const struct cnode *vpn, const char *sect, const char *what,
                             struct findings *fs)
{
    const struct cnode *s = ck_get(vpn, sect, NULL), *pol, *pr;

    for (pol = ck_first(s, "policy"); pol; pol = cnode_next_same(pol))
        for (pr = ck_first(pol, "proposals"); pr; pr = cnode_next_same(pr))
            if (!ck_get(s, "proposal", pr->value, NULL))
                ck_node(fs, 0, pr, "referenced %s proposal '%s' is not defined", what, pr->value);
}

static void rules(const struct cnode *root, const struct cnode *vpn, struct findings *fs)
{
    const struct cnode *r, *t, *n;

    for (r = ck_first(vpn, "rule"); r; r = cnode_next_same(r))
        for (t = ck_first(r, "term"); t; t = cnode_next_same(t)) {
            if ((n = ck_get(t, "from", "ipsec-inside-interface", NULL)) != NULL &&
                !ck_unit(root, n->value, NULL))
                ck_node(fs, 0, n, "logical interface '%s' is not configured", n->value);
            if ((n = ck_get(t, "then", "dynamic", "ike-policy", NULL)) != NULL &&
                !ck_get(vpn, "ike", "policy", n->value, NULL))
                ck_node(fs, 0, n, "referenced IKE policy '%s' is not defined", n->value);
            if ((n = ck_get(t, "then", "dynamic", "ipsec-policy", NULL)) != NULL &&
                !ck_get(vpn, "ipsec", "policy", n->value, NULL))
                ck_node(fs, 0, n, "referenced IPsec policy '%s' is not defined", n->value);
        }
    for (r = ck_first(vpn, "rule-set"); r; r = cnode_next_same(r))
        for (n = ck_first(r, "rule"); n; n = cnode_next_same(n))
            if (!ck_get(vpn, "rule", ck_name(n), NULL))
                ck_node(fs, 0, n, "referenced IPsec VPN rule '%s' is not defined", ck_name(n));
}

void checks_services(const struct cnode *root, struct findings *fs)
{
    const struct cnode *svc = ck_get(root, "services", NULL);
    const struct cnode *vpn = ck_get(svc, "ipsec-vpn", NULL);
    const struct cnode *s, *n;

    for (s = ck_first(svc, "service-set"); s; s = cnode_next_same(s))
        service_set(root, s, fs);
    if (vpn == NULL)
        return;
    policy_proposals(vpn, "ike", "IKE", fs);
    policy_proposals(vpn, "ipsec", "IPsec", fs);
    rules(root, vpn, fs);
    if ((n = ck_get(vpn, "establish-tunnels", NULL)) != NULL)
        ck_node(fs, 1, n,
                "'establish-tunnels' has no effect: kmd is an IKE responder only and never "
                "initiates tunnels");
}
