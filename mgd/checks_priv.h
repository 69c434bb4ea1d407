/*
 * checks_priv.h: what the semantic checks (checks_*.c) share: the checks
 * of each area, and helpers that find statements by their CLI words
 * through the schema (path_parse/path_find), so that no C table repeats
 * the hierarchy.  Private to mgd/checks*.c (and their unit test); the
 * entry point is checks.h.
 */
#ifndef OPENSG_MGD_CHECKS_PRIV_H
#define OPENSG_MGD_CHECKS_PRIV_H

#include "checks.h"

#include <stddef.h>

/* The areas, in the order checks_run() calls them. */
void checks_interfaces(const struct cnode *root, struct findings *fs);
void checks_routing(const struct cnode *root, struct findings *fs);
void checks_access(const struct cnode *root, struct findings *fs);
void checks_services(const struct cnode *root, struct findings *fs);
void checks_pools(const struct cnode *root, struct findings *fs);

/* The statement named by the words (NULL-terminated) below at, as typed in
 * the CLI ("services", "service-set", "SG1", "ipsec-vpn-options"); a list
 * or leaf-list named without keys gives its first entry.  NULL when absent
 * (or at is NULL). */
struct cnode *ck_get(const struct cnode *at, ...) __attribute__((sentinel));
/* Value of the leaf named by the words, or NULL. */
const char *ck_val(const struct cnode *at, ...) __attribute__((sentinel));
/* First child of parent that is the element elem (schema name); iterate
 * with cnode_next_same().  NULL when parent is NULL or has none. */
struct cnode *ck_first(const struct cnode *parent, const char *elem);
/* Value of the first child of parent that is the element elem: for leaves
 * typed without their keyword (local-gateway ADDRESS), which ck_val()
 * cannot name.  NULL when absent. */
const char *ck_leaf(const struct cnode *parent, const char *elem);
/* The key (name) of a list entry, "" if none. */
const char *ck_name(const struct cnode *entry);

/* Logical interface names ("ms-1/0/0.1").  ck_split: the physical part
 * into dev (size devlen) and a pointer to the unit number; -1 if there is
 * no '.'. */
int ck_split(const char *ifl, char *dev, size_t devlen, const char **unit);
/* The unit statement of ifl, or NULL; *dev_found (may be NULL) tells
 * whether the physical interface is configured. */
struct cnode *ck_unit(const struct cnode *root, const char *ifl, int *dev_found);
/* "ms-1/0/0.1" of a unit entry. */
void ck_unit_name(const struct cnode *unit, char *buf, size_t len);
/* 1 for ms-F/P/N, 2 for amsN, 0 for other interfaces. */
int ck_services_kind(const char *ifname);

/* The routing instance holding logical interface ifl (its name), or NULL
 * for the default instance. */
const char *ck_instance(const struct cnode *root, const char *ifl);
/* "routing instance 'X'" or "the default routing instance". */
const char *ck_ri_desc(const char *ri, char *buf, size_t len);
/* strcmp that treats NULL as a value of its own. */
int ck_same(const char *a, const char *b);

/* 1 if some unit has dial-options ipsec-interface-id id. */
int ck_pool_exists(const struct cnode *root, const char *id);

/* findings_node(), unless an identical finding is already there. */
void ck_node(struct findings *fs, int warning, const struct cnode *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
