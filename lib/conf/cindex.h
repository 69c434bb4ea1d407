/*
 * cindex.h: the children index of large nodes (cindex.c), private to
 * tree.c.
 */
#ifndef OPENSG_CONF_CINDEX_H
#define OPENSG_CONF_CINDEX_H

#include "tree.h"

/* n was linked under parent (n->prev/next already set). */
void cidx_added(struct cnode *parent, struct cnode *n);
/* n is about to be unlinked from parent (n->prev/next still set). */
void cidx_removed(struct cnode *parent, struct cnode *n);
void cidx_free(struct cnode *parent);
/* -1 when parent is too small to be indexed (the caller scans). */
int cidx_find(const struct cnode *parent, const struct sch_node *s, const char *const *keys,
              struct cnode **out);
int cidx_first_last(const struct cnode *parent, const struct sch_node *s, struct cnode **first,
                    struct cnode **last);

#endif
