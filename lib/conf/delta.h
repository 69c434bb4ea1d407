/*
 * delta.h: what a commit changed, computed from the change marks of the
 * candidate (tree.h) in time proportional to the change, not to the
 * configuration.
 *
 * A candidate is a copy of the committed configuration (its base) changed
 * through the tree API, which marks every node it changes and their
 * ancestors.  delta_build() walks the marked nodes only: an unmarked node
 * equals, with its whole subtree, the node of the same identity in the
 * base.  The delta is a list of operations, each at one statement:
 *   - put:    the candidate's statement, copied, replaces the base's
 *             statement of the same identity in place, or is added
 *             (cnode_add(): at its ordered place, the other branches of
 *             its choice deleted) when the base has none;
 *   - delete: the base's statement is deleted.
 * Where the order of a user-ordered list changed (insert, or an entry
 * deleted and set again in one commit), the statement holding the list is
 * put whole.  delta_apply() turns a copy of the base into a tree equal to
 * the candidate (tests/unit/test_delta.c checks it on random edits).
 *
 * Text form (mgd's history files, docs/mgd.md "History"): per operation a
 * line "put DEPTH LEN" or "delete DEPTH LEN" and LEN bytes of brace text
 * holding the path from the root down to the statement (DEPTH levels:
 * the statement's ancestors with only their keys) and, for put, the
 * statement with its subtree.
 */
#ifndef OPENSG_CONF_DELTA_H
#define OPENSG_CONF_DELTA_H

#include "buf.h"
#include "tree.h"

struct delta_op {
    int del;
    int add;                 /* put of a statement the base lacks */
    const struct cnode *src; /* put: the candidate's statement */
    struct cnode *at;        /* in the base: the statement replaced or deleted, or
                              * (put of a new statement) the parent to add under */
    struct cnode *node;      /* put: the copy of the candidate's statement */
};

struct delta {
    struct delta_op *ops;
    size_t n, cap;
    size_t copied; /* statements copied into the puts */
    /* the candidate's changed statements that are not put whole (the
     * walk's path), in tree order */
    const struct cnode **paths;
    size_t npaths, pcap;
};

/* The delta from base to cand (cand's marks relative to base).  Returns -1
 * (d emptied) when more than limit statements would be copied: the caller
 * copies the candidate whole instead.  d holds pointers into base: base
 * must not change until delta_apply() or delta_free(). */
int delta_build(struct delta *d, const struct cnode *base, const struct cnode *cand, size_t limit);
/* Apply d to the base it was built from (the copies move into it; d is
 * emptied).  The change marks of base are cleared. */
void delta_apply(struct delta *d, struct cnode *base);
void delta_free(struct delta *d);

/* The text form of d (before delta_apply()). */
void delta_render(struct buf *b, const struct delta *d, const struct cnode *base);
/* Apply a text form to root.  Returns 0, or -1 with a message in err. */
int delta_apply_text(struct cnode *root, const char *text, char *err, size_t errlen);

/* 1 when a put statement of d holds an inactive statement.  When the base
 * had none, the candidate has none outside d's puts either. */
int delta_any_inactive(const struct delta *d);

#endif
