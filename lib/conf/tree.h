/*
 * tree.h: a configuration as a tree of statements, shaped by the schema.
 *
 * Every cnode points at its sch_node.  Children are kept in display order:
 * by the schema's statement order, then, among entries of one list or
 * leaf-list, in insertion order or sorted by key (SCHF_SORT).  List
 * entries hold their key leaves as their first children.
 *
 * The tree knows nothing about sessions, files or daemons; mgd and the
 * tests build on it.  Operations that take CLI words are in path.h.
 */
#ifndef OPENSG_CONF_TREE_H
#define OPENSG_CONF_TREE_H

#include "schema.h"

#include <stddef.h>

struct cindex;

struct cnode {
    const struct sch_node *sch;
    struct cnode *parent;
    struct cnode *child, *last; /* first and last child */
    struct cnode *next, *prev;
    char *value;   /* leaves and leaf-lists */
    char *comment; /* annotation: the text between the comment delimiters */
    char *group;   /* set on statements copied from a group (display inheritance) */
    unsigned inactive : 1;
    unsigned replace : 1; /* "replace:" tag or replace="replace" while loading */
    unsigned del : 1;     /* "delete:" tag of a history delta (delta.h) */
    /* Change marks (delta.h): set by every change made through this API,
     * cleared by conf_marks_clear().  dirty: n or something below it
     * changed; fresh: n was linked here since; moved: the order of n's
     * children was changed by cnode_move().  A marked node's parent is
     * dirty. */
    unsigned dirty : 1;
    unsigned fresh : 1;
    unsigned moved : 1;
    struct cindex *idx; /* children index of large nodes (cindex.c) */
};

struct conf {
    const struct schema *schema;
    struct cnode *root;
    /* What the change marks are relative to: a generation number the owner
     * gives (mgd: the committed configuration's); 0 = unknown. */
    unsigned long long base;
};

struct conf *conf_new(const struct schema *s);
void conf_free(struct conf *c);
struct conf *conf_dup(const struct conf *c);
/* Deep copy of n (and its subtree) with no parent. */
struct cnode *cnode_dup(const struct cnode *n);
void cnode_free(struct cnode *n); /* unlinks it first */
/* Number of nodes in n's subtree, n included. */
size_t cnode_count(const struct cnode *n);
/* A copy of n's identity only (keys, or a leaf's value), no parent. */
struct cnode *cnode_dup_ident(const struct cnode *n);
/* Mark n changed (its value, comment or inactive flag) for the change
 * marks; callers that set those fields directly must call it. */
void cnode_touch(struct cnode *n);
/* Clear the change marks of the subtree (visits marked nodes only). */
void conf_marks_clear(struct cnode *n);
/* Insert n like cnode_insert(), first deleting the statements of the other
 * branches of its choice (as cnode_get() does). */
void cnode_add(struct cnode *parent, struct cnode *n);
/* Put n (unlinked) in old's place and free old. */
void cnode_replace(struct cnode *old, struct cnode *n);

/* Child of parent for schema node sch; for lists the entry whose keys equal
 * keys[0..nkeys-1]; for leaf-lists the entry whose value equals keys[0];
 * for others the single instance.  NULL if absent. */
struct cnode *cnode_find(const struct cnode *parent, const struct sch_node *sch,
                         const char *const *keys);
/* Same, creating it (with its key leaves) when absent.  Creating a
 * statement in a choice branch deletes the statements of the other
 * branches. */
struct cnode *cnode_get(struct cnode *parent, const struct sch_node *sch, const char *const *keys);
/* Set a leaf's value (creating the leaf), replacing any previous value. */
struct cnode *cnode_set_leaf(struct cnode *parent, const struct sch_node *sch, const char *value);
/* Key value i of a list entry (NULL if not a list entry). */
const char *cnode_key(const struct cnode *entry, size_t i);
/* Insert n (unlinked, n->sch a child of parent->sch) at its ordered place. */
void cnode_insert(struct cnode *parent, struct cnode *n);
/* Move entry before/after another entry of the same list or leaf-list. */
void cnode_move(struct cnode *n, struct cnode *ref, int after);
void cnode_unlink(struct cnode *n);
/* First child for schema node sch, and the next one after n with the same sch. */
struct cnode *cnode_first(const struct cnode *parent, const struct sch_node *sch);
struct cnode *cnode_next_same(const struct cnode *n);
/* The child of parent with the same identity as like (another tree's node). */
struct cnode *cnode_find_like(const struct cnode *parent, const struct cnode *like);
/* Equality of two subtrees (values, keys, comments, inactive flags). */
int cnode_equal(const struct cnode *a, const struct cnode *b);
/* Same identity: same schema node and same keys (or leaf-list value). */
int cnode_same_identity(const struct cnode *a, const struct cnode *b);
/* Recursively merge src into dst (same identity); src is not modified. */
void cnode_merge(struct cnode *dst, const struct cnode *src);
/* 1 if n has no children other than its keys (empty container/entry). */
int cnode_is_empty(const struct cnode *n);
/* Walk the path of names from the root: "[edit a b c]" style words into buf
 * (without "edit"), e.g. "services service-set SG1 ipsec-vpn-options". */
void cnode_path(const struct cnode *n, char *buf, size_t len);

#endif
