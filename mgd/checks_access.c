/*
 * checks_access.c: semantic checks of [edit access profile P]: one client
 * per profile and that client '*', the interface-id naming a pool, the
 * IKE and IPsec policies it references (and no signature authentication
 * in the IKE policy's proposals), allowed-proxy-pairs of one address
 * family each, and the warning about
 * dead-peer-detection.  pre-shared-key and interface-id being present is
 * o:mandatory in the schema (validate_schema_rules).  Messages:
 * docs/checks.md.
 */
#include "checks_priv.h"

#include <string.h>

/* ike-policy Y under client * ike: defined, and no signatures. */
static void ike_policy(struct ck_ctx *c, const struct cnode *ref)
{
    const struct cnode *ike = ck_sub(c->vpn, c->s.ike);
    const struct cnode *pol = ck_entry(ike, c->s.ike_pol, ref->value);
    const struct cnode *pr;

    if (pol == NULL) {
        ck_node(c, 0, ref, "referenced IKE policy '%s' is not defined", ref->value);
        return;
    }
    for (pr = ck_sub(pol, c->s.ike_pol_props); pr; pr = cnode_next_same(pr)) {
        const char *m = ck_subval(ck_entry(ike, c->s.ike_prop, pr->value), c->s.ike_auth);
        if (m && (strcmp(m, "rsa-signatures") == 0 || strcmp(m, "dsa-signatures") == 0))
            ck_node(c, 0, ref,
                    "IKE policy '%s' uses proposal '%s' with 'authentication-method %s': "
                    "RSA and DSA signatures are not supported for dynamic peers",
                    ref->value, pr->value, m);
    }
}

static void client_ike(struct ck_ctx *c, const struct cnode *ike)
{
    const struct cnode *n;

    if ((n = ck_sub(ike, c->s.cl_iid)) != NULL && n->value && !ck_pool(c, n->value))
        ck_node(c, 0, n,
                "no logical interface is configured with 'dial-options "
                "ipsec-interface-id %s'",
                n->value);
    if ((n = ck_sub(ike, c->s.cl_ikepol)) != NULL && n->value)
        ike_policy(c, n);
    if ((n = ck_sub(ike, c->s.cl_ipsecpol)) != NULL && n->value &&
        !ck_entry(ck_sub(c->vpn, c->s.ipsec), c->s.ipsec_pol, n->value))
        ck_node(c, 0, n, "referenced IPsec policy '%s' is not defined", n->value);
    for (n = ck_sub(ike, c->s.cl_app); n; n = cnode_next_same(n)) {
        const char *r = ck_subval(n, c->s.cl_app_r), *l = ck_subval(n, c->s.cl_app_l);
        if (r && l && (strchr(r, ':') != NULL) != (strchr(l, ':') != NULL))
            ck_node(c, 0, n,
                    "allowed-proxy-pair remote %s local %s: the remote and local prefixes must "
                    "be of the same address family",
                    r, l);
    }
    if ((n = ck_sub(ike, c->s.cl_dpd)) != NULL)
        ck_node(c, 1, n,
                "'dead-peer-detection' is ignored for dynamic peers: OpenSG answers their DPD "
                "requests but never initiates DPD");
}

static void profile(struct ck_ctx *c, const struct cnode *p)
{
    const struct cnode *first = ck_sub(p, c->s.client), *cl, *ike;

    for (cl = first; cl; cl = cnode_next_same(cl)) {
        if (cl != first)
            ck_node(c, 0, cl,
                    "only one client is allowed per access profile: client '%s' is already "
                    "configured",
                    ck_name(first));
        else if (strcmp(ck_name(cl), "*") != 0)
            ck_node(c, 0, cl,
                    "the client of an IKE access profile must be '*' (all dynamic peers)");
        if ((ike = ck_sub(cl, c->s.cl_ike)) != NULL)
            client_ike(c, ike);
    }
}

void checks_access(struct ck_ctx *c)
{
    const struct cnode *p;

    for (p = ck_sub(c->access, c->s.profile); p; p = cnode_next_same(p))
        profile(c, p);
}
