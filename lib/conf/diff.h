/*
 * diff.h: "show | compare": the differences between two configurations in
 * Junos's [edit ...] / + / - shape (junos.md 5.10).  The layout and the
 * choices made where the reference is silent: ../../docs/compare.md.
 */
#ifndef OPENSG_CONF_DIFF_H
#define OPENSG_CONF_DIFF_H

#include "buf.h"
#include "tree.h"

/* Differences from old to new (both are roots or nodes of the same schema
 * node).  Nothing is printed when they are equal.  flags: RENDER_* from
 * render.h (secret trailer etc.).  Either side may be NULL (an empty tree);
 * the comment and inactive flag of old and new themselves are not compared,
 * only what lies below them. */
void conf_diff(struct buf *out, const struct cnode *old, const struct cnode *new, unsigned flags);

#endif
