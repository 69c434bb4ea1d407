/*
 * checks_access.c: semantic checks of [edit access profile P]: one client
 * per profile and that client '*', the interface-id naming a pool, the
 * IKE and IPsec policies it references (and no signature authentication
 * in the IKE policy's proposals), and the warning about
 * dead-peer-detection.  pre-shared-key and interface-id being present is
 * o:mandatory in the schema (validate_schema_rules).  Messages:
 * docs/checks.md.
 */
#include "checks_priv.h"

#include <string.h>

/* ike-policy Y under client * ike: defined, and no signatures. */
static void ike_policy(const struct cnode *root, const struct cnode *ref, struct findings *fs)
{
    const struct cnode *pol =
        ck_get(root, "services", "ipsec-vpn", "ike", "policy", ref->value, NULL);
    const struct cnode *pr;

    if (pol == NULL) {
        ck_node(fs, 0, ref, "referenced IKE policy '%s' is not defined", ref->value);
        return;
    }
    for (pr = ck_first(pol, "proposals"); pr; pr = cnode_next_same(pr)) {
        const char *m = ck_val(root, "services", "ipsec-vpn", "ike", "proposal", pr->value,
                               "authentication-method", NULL);
        if (m && (strcmp(m, "rsa-signatures") == 0 || strcmp(m, "dsa-signatures") == 0))
            ck_node(fs, 0, ref,
                    "IKE policy '%s' uses proposal '%s' with 'authentication-method %s': "
                    "RSA and DSA signatures are not supported for dynamic peers",
                    ref->value, pr->value, m);
    }
}

static void client_ike(const struct cnode *root, const struct cnode *ike, struct findings *fs)
{
    const struct cnode *n;

    if ((n = ck_get(ike, "interface-id", NULL)) != NULL && n->value &&
        !ck_pool_exists(root, n->value))
        ck_node(fs, 0, n,
                "no logical interface is configured with 'dial-options "
                "ipsec-interface-id %s'",
                n->value);
    if ((n = ck_get(ike, "ike-policy", NULL)) != NULL && n->value)
        ike_policy(root, n, fs);
    if ((n = ck_get(ike, "ipsec-policy", NULL)) != NULL && n->value &&
        !ck_get(root, "services", "ipsec-vpn", "ipsec", "policy", n->value, NULL))
        ck_node(fs, 0, n, "referenced IPsec policy '%s' is not defined", n->value);
    if ((n = ck_get(ike, "dead-peer-detection", NULL)) != NULL)
        ck_node(fs, 1, n,
                "'dead-peer-detection' is ignored for dynamic peers: OpenSG answers their DPD "
                "requests but never initiates DPD");
}

static void profile(const struct cnode *root, const struct cnode *p, struct findings *fs)
{
    const struct cnode *first = ck_first(p, "client"), *c, *ike;

    for (c = first; c; c = cnode_next_same(c)) {
        if (c != first)
            ck_node(fs, 0, c,
                    "only one client is allowed per access profile: client '%s' is already "
                    "configured",
                    ck_name(first));
        else if (strcmp(ck_name(c), "*") != 0)
            ck_node(fs, 0, c,
                    "the client of an IKE access profile must be '*' (all dynamic peers)");
        if ((ike = ck_get(c, "ike", NULL)) != NULL)
            client_ike(root, ike, fs);
    }
}

void checks_access(const struct cnode *root, struct findings *fs)
{
    const struct cnode *p;

    for (p = ck_first(ck_get(root, "access", NULL), "profile"); p; p = cnode_next_same(p))
        profile(root, p, fs);
}
