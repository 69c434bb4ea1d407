/*
 * checks_priv.h: what the semantic checks (checks_*.c) share.  Private to
 * mgd/checks*.c (and their unit test); the entry point is checks.h.
 *
 * checks_run() builds one context (struct ck_ctx) per run and hands it to
 * every area, so that the checks take time linear in the size of the
 * configuration (tens of thousands of service sets, units and profiles):
 *   - the schema nodes the checks walk are resolved once (struct ck_sch);
 *     statements are then found with cnode_first()/cnode_find() (hashed
 *     for large parents) and no CLI words are parsed.  A key is looked up
 *     as it is written in the referencing statement, which finds what
 *     path_find() would for a value valid for the key's type (every
 *     loader checks values);
 *   - indexes over the whole tree answer what would otherwise be a scan
 *     per item: the routing instance of a logical interface, the pool
 *     units of an interface identifier (also per physical interface), the
 *     connected subnets of each routing instance;
 *   - "an earlier service set / routing instance using this interface" is
 *     a map filled as the area walks them (checks_services.c,
 *     checks_interfaces.c), service sets are grouped by profile with a map
 *     (checks_pools.c);
 *   - identical findings are detected with a hash set.
 * Each area keeps its order of traversal, so the findings and their order
 * are those of the plain walk of the tree (docs/checks.md).
 */
#ifndef OPENSG_MGD_CHECKS_PRIV_H
#define OPENSG_MGD_CHECKS_PRIV_H

#include "checks.h"

#include <stddef.h>
#include <stdint.h>

/* ---------- a hash map keyed by (string, pointer) ---------- */

/* An entry: the key (s compared with strcmp, p by address; either may be
 * NULL) and what the user stores with it.  Keys are borrowed, not copied:
 * they must outlive the map (strings of the tree, during one run). */
struct ck_ent {
    const char *s;
    const void *p;
    void *v;
    size_t i;
};

struct ck_map {
    struct ck_ent *e; /* open addressing; e[k].s == NULL && e[k].p == NULL: empty */
    size_t cap, n;
};

/* The entry of (s, p), or NULL.  (NULL, NULL) is never a key. */
struct ck_ent *ck_map_get(const struct ck_map *m, const char *s, const void *p);
/* The entry of (s, p), added (v NULL, i 0) when absent; *added (may be
 * NULL) tells which.  Pointers to entries are valid until the next put. */
struct ck_ent *ck_map_put(struct ck_map *m, const char *s, const void *p, int *added);
void ck_map_free(struct ck_map *m);

/* ---------- the context of one run ---------- */

/* Schema nodes, resolved once from the root (NULL if the schema lacks
 * one; every helper below accepts NULL). */
struct ck_sch {
    /* interfaces */
    const struct sch_node *interfaces, *ifd, *unit, *sdomain, *family, *inet, *address;
    const struct sch_node *dial, *ipsec_id, *l2tp_id, *shared, *dedicated;
    /* routing-options and routing-instances */
    const struct sch_node *ro, *ro_static, *ro_route, *ro_nh;
    const struct sch_node *ris, *ri, *ri_type, *ri_rd, *ri_vt, *ri_if;
    const struct sch_node *ri_ro, *ri_static, *ri_route, *ri_nh;
    /* access */
    const struct sch_node *access, *profile, *client, *cl_ike, *cl_iid, *cl_ikepol, *cl_ipsecpol;
    const struct sch_node *cl_dpd, *cl_app, *cl_app_r, *cl_app_l;
    /* services service-set */
    const struct sch_node *services, *sset, *nhs, *inside, *outside, *ifsvc, *vpnopt, *iap, *lg;
    const struct sch_node *lg_addr, *lg_ri, *ss_rules, *ss_rulesets;
    /* services ipsec-vpn */
    const struct sch_node *vpn, *ike, *ike_prop, *ike_auth, *ike_pol, *ike_pol_props;
    const struct sch_node *ipsec, *ipsec_prop, *ipsec_pol, *ipsec_pol_props;
    const struct sch_node *rule, *term, *from, *from_if, *then, *dyn, *dyn_ike, *dyn_ipsec;
    const struct sch_node *ruleset, *rs_rule, *establish;
};

/* Connected IPv4 subnets of one routing instance: (len, net) sorted. */
struct ck_net {
    uint32_t net;
    int len;
};
struct ck_nets {
    struct ck_net *v;
    size_t n, cap;
    uint64_t lens; /* bit len set when some subnet has that length */
};

/* Units with dial-options ipsec-interface-id X (the ipsec-interface-id
 * leaves), in configuration order. */
struct ck_pool {
    const struct cnode **id;
    size_t n, cap;
};

struct ck_ctx {
    const struct cnode *root;
    struct findings *fs;
    struct ck_sch s;
    /* top-level statements, NULL when absent */
    const struct cnode *interfaces, *ro, *ris, *access, *services, *vpn;
    /* "IF.UNIT" -> v: the first routing instance (configuration order)
     * listing it under interface */
    struct ck_map unit_ri;
    /* (X, NULL) -> v: struct ck_pool of interface identifier X;
     * (X, physical interface) -> i: index in that pool of its first unit
     * on the interface (its units there follow it) */
    struct ck_map pools;
    /* routing instance name -> v: struct ck_nets (default_nets: the
     * default instance) */
    struct ck_map nets;
    struct ck_nets default_nets;
    /* the findings in fs: key (allocated, in v) from ck_node's
     * rendering of warning, path, statement and message */
    struct ck_map seen;
};

/* The areas, in the order checks_run() calls them. */
void checks_interfaces(struct ck_ctx *c);
void checks_routing(struct ck_ctx *c);
void checks_access(struct ck_ctx *c);
void checks_services(struct ck_ctx *c);
void checks_pools(struct ck_ctx *c);

/* ---------- finding statements ---------- */

/* The child of parent for schema node s (first entry of a list or
 * leaf-list), or NULL (also when parent or s is NULL). */
const struct cnode *ck_sub(const struct cnode *parent, const struct sch_node *s);
/* Its value, or NULL. */
const char *ck_subval(const struct cnode *parent, const struct sch_node *s);
/* The entry of list or leaf-list s below parent whose (first) key is key,
 * or NULL (also when key is NULL). */
const struct cnode *ck_entry(const struct cnode *parent, const struct sch_node *s, const char *key);

/* The statement named by the words (NULL-terminated) below at, as typed in
 * the CLI ("services", "service-set", "SG1", "ipsec-vpn-options"); a list
 * or leaf-list named without keys gives its first entry.  NULL when absent
 * (or at is NULL).  Parses the words through the schema (path_parse):
 * for tests and one-off lookups, not for loops. */
struct cnode *ck_get(const struct cnode *at, ...) __attribute__((sentinel));
/* The key (name) of a list entry, "" if none. */
const char *ck_name(const struct cnode *entry);

/* ---------- logical interfaces and routing instances ---------- */

/* Logical interface names ("ms-1/0/0.1").  ck_split: the physical part
 * into dev (size devlen) and a pointer to the unit number; -1 if there is
 * no '.'. */
int ck_split(const char *ifl, char *dev, size_t devlen, const char **unit);
/* The unit statement of ifl, or NULL. */
const struct cnode *ck_unit(const struct ck_ctx *c, const char *ifl);
/* "ms-1/0/0.1" of a unit entry. */
void ck_unit_name(const struct cnode *unit, char *buf, size_t len);
/* 1 for ms-F/P/N, 2 for amsN, 0 for other interfaces. */
int ck_services_kind(const char *ifname);

/* The routing instance holding logical interface ifl (its name), or NULL
 * for the default instance. */
const char *ck_instance(const struct ck_ctx *c, const char *ifl);
/* "routing instance 'X'" or "the default routing instance". */
const char *ck_ri_desc(const char *ri, char *buf, size_t len);
/* strcmp that treats NULL as a value of its own. */
int ck_same(const char *a, const char *b);

/* The pool units of interface identifier id (NULL when none). */
const struct ck_pool *ck_pool(const struct ck_ctx *c, const char *id);
/* 1 if gw (host order) is an interface address or in a connected subnet
 * of routing instance ri (NULL: the default instance). */
int ck_reachable(const struct ck_ctx *c, uint32_t gw, const char *ri);

/* findings_node() on c->fs, unless an identical finding is already there. */
void ck_node(struct ck_ctx *c, int warning, const struct cnode *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
