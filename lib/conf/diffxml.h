/*
 * diffxml.h: the commit diff mgd sends a daemon, as a <configuration>
 * document holding only what changed: an added or changed statement in
 * full with replace="replace", a removed one reduced to its identity (list
 * keys, leaf-list value) with delete="delete", and the containers and list
 * entries leading to them.  mgd builds it (conf_diff_xml); the daemon side
 * applies it to its copy of the previous view (conf_apply_diff_xml).
 */
#ifndef OPENSG_CONF_DIFFXML_H
#define OPENSG_CONF_DIFFXML_H

#include "buf.h"
#include "tree.h"

/* Appends the diff document turning old into new to b; returns the number
 * of changed statements (0: b holds an empty <configuration/>). */
size_t conf_diff_xml(struct buf *b, const struct cnode *old, const struct cnode *new);
/* Apply a diff document to the tree at root.  Returns 0, or -1 with a
 * message (unknown element, bad value); root is then partly changed, so
 * callers apply to a copy. */
int conf_apply_diff_xml(struct cnode *root, const char *xml, char *err, size_t errlen);

#endif
