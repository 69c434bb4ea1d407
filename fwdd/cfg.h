/*
 * cfg.h: reading fwdd's configuration view (lib/conf/tree.h) by statement
 * name.  The names are the schema's (schema/ XSD files); nothing here repeats
 * the hierarchy beyond the statements fwdd acts on.
 */
#ifndef FWDD_CFG_H
#define FWDD_CFG_H

#include "tree.h"

/* First child statement named name (first entry for a list or leaf-list). */
static inline const struct cnode *cfg_child(const struct cnode *n, const char *name)
{
    const struct sch_node *s;

    if (n == NULL || (s = sch_child(n->sch, name)) == NULL)
        return NULL;
    return cnode_first(n, s);
}

static inline const struct cnode *cfg_next(const struct cnode *n)
{
    return cnode_next_same(n);
}

/* Value of leaf name under n, or NULL. */
static inline const char *cfg_value(const struct cnode *n, const char *name)
{
    const struct cnode *c = cfg_child(n, name);

    return c ? c->value : NULL;
}

static inline int cfg_flag(const struct cnode *n, const char *name)
{
    return cfg_child(n, name) != NULL;
}

static inline const char *cfg_key(const struct cnode *entry)
{
    const char *k = cnode_key(entry, 0);

    return k ? k : "";
}

#endif
