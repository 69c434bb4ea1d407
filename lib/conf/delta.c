/* delta.c: see delta.h */
#include "delta.h"
#include "log.h"
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_op(struct delta *d, int del, int add, const struct cnode *src, struct cnode *at,
                   struct cnode *node)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 16;
        d->ops = realloc(d->ops, d->cap * sizeof(*d->ops));
        if (d->ops == NULL)
            fatal("realloc");
    }
    d->ops[d->n].del = del;
    d->ops[d->n].add = add;
    d->ops[d->n].src = src;
    d->ops[d->n].at = at;
    d->ops[d->n].node = node;
    d->n++;
}

static void add_path(struct delta *d, const struct cnode *n)
{
    if (d->npaths == d->pcap) {
        d->pcap = d->pcap ? 2 * d->pcap : 16;
        d->paths = realloc(d->paths, d->pcap * sizeof(*d->paths));
        if (d->paths == NULL)
            fatal("realloc");
    }
    d->paths[d->npaths++] = n;
}

static int str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static int same_attrs(const struct cnode *a, const struct cnode *b)
{
    return str_eq(a->value, b->value) && str_eq(a->comment, b->comment) &&
           a->inactive == b->inactive;
}

static int user_ordered(const struct sch_node *s)
{
    return (s->kind == SCH_LIST || s->kind == SCH_LEAFLIST) && !(s->flags & SCHF_SORT) &&
           !(s->flags & SCHF_KEY);
}

/* Another branch of y's choice is in cand: putting it deletes y. */
static int choice_replaced(const struct cnode *cand, const struct cnode *y)
{
    if (y->sch->choice == 0)
        return 0;
    for (const struct cnode *c = cand->child; c; c = c->next)
        if (c->sch->choice == y->sch->choice && c->sch->branch != y->sch->branch)
            return 1;
    return 0;
}

static int put(struct delta *d, const struct cnode *x, struct cnode *y, struct cnode *parent,
               size_t limit)
{
    d->copied += cnode_count(x);
    if (d->copied > limit)
        return -1;
    add_op(d, 0, y == NULL, x, y ? y : parent, cnode_dup(x));
    return 0;
}

/*
 * cand (marked, not fresh) and base have the same identity and attributes.
 * Returns 1 when the order of cand's children cannot be had by the
 * operations (the caller puts cand whole), -1 over the limit, else 0.
 */
static int walk(struct delta *d, const struct cnode *cand, struct cnode *base, size_t limit)
{
    size_t first_op = d->n, first_path = d->npaths;

    if (cand->moved)
        return 1;
    add_path(d, cand);
    for (const struct cnode *x = cand->child; x; x = x->next) {
        struct cnode *y;
        int rc;
        if (!x->dirty && !x->fresh)
            continue;
        y = cnode_find_like(base, x);
        if (y && x->fresh && user_ordered(x->sch))
            goto whole; /* deleted and set again: it moved to the end */
        if (y == NULL || x->fresh || x->child == NULL || y->child == NULL || !same_attrs(x, y)) {
            if (put(d, x, y, base, limit) < 0)
                return -1;
            continue;
        }
        rc = walk(d, x, y, limit);
        if (rc < 0)
            return -1;
        if (rc > 0 && put(d, x, y, base, limit) < 0)
            return -1;
    }
    for (struct cnode *y = base->child; y; y = y->next)
        if (!(y->sch->flags & SCHF_KEY) && cnode_find_like(cand, y) == NULL &&
            !choice_replaced(cand, y))
            add_op(d, 1, 0, NULL, y, NULL);
    return 0;
whole:
    /* drop what this level added */
    for (size_t i = first_op; i < d->n; i++) {
        if (d->ops[i].node) {
            d->copied -= cnode_count(d->ops[i].node);
            cnode_free(d->ops[i].node);
        }
    }
    d->n = first_op;
    d->npaths = first_path;
    return 1;
}

int delta_build(struct delta *d, const struct cnode *base, const struct cnode *cand, size_t limit)
{
    int rc;

    memset(d, 0, sizeof(*d));
    if (!cand->dirty && !cand->fresh)
        return 0;
    /* the root is never in a list: walk() does not ask to put it whole */
    rc = walk(d, cand, (struct cnode *)base, limit);
    if (rc != 0) {
        delta_free(d);
        return -1;
    }
    return 0;
}

void delta_apply(struct delta *d, struct cnode *base)
{
    for (size_t i = 0; i < d->n; i++) {
        struct delta_op *o = &d->ops[i];
        if (o->del)
            cnode_free(o->at);
        else if (o->add)
            cnode_add(o->at, o->node);
        else
            cnode_replace(o->at, o->node);
        o->node = NULL;
    }
    delta_free(d);
    conf_marks_clear(base);
}

void delta_free(struct delta *d)
{
    for (size_t i = 0; i < d->n; i++)
        cnode_free(d->ops[i].node);
    free(d->ops);
    free(d->paths);
    memset(d, 0, sizeof(*d));
}

static int has_inactive(const struct cnode *n)
{
    if (n->inactive)
        return 1;
    for (const struct cnode *c = n->child; c; c = c->next)
        if (has_inactive(c))
            return 1;
    return 0;
}

int delta_any_inactive(const struct delta *d)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->ops[i].node && has_inactive(d->ops[i].node))
            return 1;
    return 0;
}

/* ---------- text form ---------- */

/* What names n in a delete: its identity, or, for a flat container (which
 * prints nothing when empty), n whole. */
static struct cnode *ident(const struct cnode *n)
{
    return (n->sch->flags & SCHF_FLAT) ? cnode_dup(n) : cnode_dup_ident(n);
}

/* A root holding the path down to n: n's ancestors with their keys only,
 * then leaf (n itself or its identity).  Returns the depth. */
static size_t chain(struct cnode *root, const struct cnode *n, struct cnode *leaf)
{
    const struct cnode *anc[64];
    size_t depth = 0;
    struct cnode *at = root;

    for (const struct cnode *p = n->parent; p && p->parent && depth < 64; p = p->parent)
        anc[depth++] = p;
    for (size_t i = depth; i-- > 0;) {
        struct cnode *c = cnode_dup_ident(anc[i]);
        cnode_insert(at, c);
        at = c;
    }
    cnode_insert(at, leaf);
    return depth + 1;
}

void delta_render(struct buf *b, const struct delta *d, const struct cnode *base)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct delta_op *o = &d->ops[i];
        struct cnode *root = cnode_dup_ident(base);
        struct buf t;
        size_t depth;
        if (o->del)
            depth = chain(root, o->at, ident(o->at));
        else
            depth = chain(root, o->src, cnode_dup(o->src));
        buf_init(&t);
        render_text(&t, root, 0, 0);
        buf_printf(b, "%s %zu %zu\n", o->del ? "delete" : "put", depth, t.len);
        if (t.len)
            buf_add(b, t.s, t.len);
        buf_free(&t);
        cnode_free(root);
    }
}

/* The one statement (not a key) under n, or NULL. */
static struct cnode *only_child(const struct cnode *n)
{
    struct cnode *only = NULL;

    for (struct cnode *c = n->child; c; c = c->next) {
        if (c->sch->flags & SCHF_KEY)
            continue;
        if (only)
            return NULL;
        only = c;
    }
    return only;
}

static int apply_one(struct cnode *root, int del, size_t depth, const char *text, char *err,
                     size_t errlen)
{
    struct cnode *scratch = cnode_dup_ident(root);
    struct load_result r = {0};
    struct cnode *s = scratch, *t = root, *tt = NULL;
    int rc = -1;

    if (load_text(scratch, text, &r)) {
        snprintf(err, errlen, "line %d: %s", r.errs[0].line, r.errs[0].msg);
        goto out;
    }
    for (size_t i = 1; i <= depth; i++) {
        if ((s = only_child(s)) == NULL) {
            snprintf(err, errlen, "no statement at depth %zu", i);
            goto out;
        }
        tt = cnode_find_like(t, s);
        if (i < depth && tt == NULL) {
            snprintf(err, errlen, "path not found at depth %zu", i);
            goto out;
        }
        if (i < depth)
            t = tt;
    }
    if (del) {
        if (tt == NULL) {
            snprintf(err, errlen, "statement to delete not found");
            goto out;
        }
        cnode_free(tt);
    } else {
        cnode_unlink(s);
        if (tt)
            cnode_replace(tt, s);
        else
            cnode_add(t, s);
    }
    rc = 0;
out:
    load_result_free(&r);
    cnode_free(scratch);
    return rc;
}

int delta_apply_text(struct cnode *root, const char *text, char *err, size_t errlen)
{
    const char *p = text;

    while (*p) {
        char verb[16], *body;
        size_t depth, len;
        int used = 0, rc;
        if (sscanf(p, "%15s %zu %zu%n", verb, &depth, &len, &used) != 3 || p[used] != '\n' ||
            (strcmp(verb, "put") != 0 && strcmp(verb, "delete") != 0) || depth == 0) {
            snprintf(err, errlen, "malformed operation line");
            return -1;
        }
        p += used + 1;
        if (strnlen(p, len) < len) {
            snprintf(err, errlen, "truncated operation");
            return -1;
        }
        body = strndup(p, len);
        if (body == NULL)
            fatal("strndup");
        rc = apply_one(root, verb[0] == 'd', depth, body, err, errlen);
        free(body);
        if (rc < 0)
            return -1;
        p += len;
    }
    conf_marks_clear(root);
    return 0;
}
