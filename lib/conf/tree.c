/* tree.c: see tree.h */
#include "tree.h"
#include "buf.h"
#include "cindex.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *xstrdup(const char *s)
{
    char *p = strdup(s);

    if (p == NULL)
        fatal("strdup");
    return p;
}

static struct cnode *cnode_new(const struct sch_node *sch)
{
    struct cnode *n = calloc(1, sizeof(*n));

    if (n == NULL)
        fatal("calloc");
    n->sch = sch;
    return n;
}

struct conf *conf_new(const struct schema *s)
{
    struct conf *c = calloc(1, sizeof(*c));

    if (c == NULL)
        fatal("calloc");
    c->schema = s;
    c->root = cnode_new(s->root);
    return c;
}

/* n and its ancestors are dirty (stops at the first one already dirty:
 * its ancestors are). */
static void mark_up(struct cnode *n)
{
    for (; n && !n->dirty; n = n->parent)
        n->dirty = 1;
}

void cnode_touch(struct cnode *n)
{
    mark_up(n);
}

void conf_marks_clear(struct cnode *n)
{
    if (!n->dirty && !n->fresh && !n->moved)
        return;
    n->dirty = n->fresh = n->moved = 0;
    for (struct cnode *c = n->child; c; c = c->next)
        conf_marks_clear(c);
}

void cnode_unlink(struct cnode *n)
{
    struct cnode *p = n->parent;

    if (p == NULL)
        return;
    mark_up(p);
    cidx_removed(p, n);
    if (n->prev)
        n->prev->next = n->next;
    else
        p->child = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        p->last = n->prev;
    n->parent = n->next = n->prev = NULL;
}

static void cnode_free_rec(struct cnode *n)
{
    struct cnode *c, *next;

    for (c = n->child; c; c = next) {
        next = c->next;
        cnode_free_rec(c);
    }
    cidx_free(n);
    free(n->value);
    free(n->comment);
    free(n->group);
    free(n);
}

void cnode_free(struct cnode *n)
{
    if (n == NULL)
        return;
    cnode_unlink(n);
    cnode_free_rec(n);
}

void conf_free(struct conf *c)
{
    if (c == NULL)
        return;
    cnode_free(c->root);
    free(c);
}

static void append_child(struct cnode *p, struct cnode *n)
{
    n->parent = p;
    n->prev = p->last;
    n->next = NULL;
    if (p->last)
        p->last->next = n;
    else
        p->child = n;
    p->last = n;
    cidx_added(p, n);
}

struct cnode *cnode_dup(const struct cnode *n)
{
    struct cnode *d = cnode_new(n->sch);

    d->value = n->value ? xstrdup(n->value) : NULL;
    d->comment = n->comment ? xstrdup(n->comment) : NULL;
    d->group = n->group ? xstrdup(n->group) : NULL;
    d->inactive = n->inactive;
    for (const struct cnode *c = n->child; c; c = c->next)
        append_child(d, cnode_dup(c));
    return d;
}

size_t cnode_count(const struct cnode *n)
{
    size_t k = 1;

    for (const struct cnode *c = n->child; c; c = c->next)
        k += cnode_count(c);
    return k;
}

struct cnode *cnode_dup_ident(const struct cnode *n)
{
    struct cnode *d = cnode_new(n->sch);

    if (n->sch->kind == SCH_LEAF || n->sch->kind == SCH_LEAFLIST)
        d->value = n->value ? xstrdup(n->value) : NULL;
    for (const struct cnode *c = n->child; c; c = c->next)
        if (c->sch->flags & SCHF_KEY)
            append_child(d, cnode_dup(c));
    return d;
}

struct conf *conf_dup(const struct conf *c)
{
    struct conf *d = calloc(1, sizeof(*d));

    if (d == NULL)
        fatal("calloc");
    d->schema = c->schema;
    d->root = cnode_dup(c->root);
    return d;
}

const char *cnode_key(const struct cnode *entry, size_t i)
{
    const struct sch_node *s = entry->sch;

    if (s->kind != SCH_LIST || i >= s->nkeys)
        return NULL;
    for (const struct cnode *c = entry->child; c; c = c->next)
        if (c->sch == s->keys[i])
            return c->value;
    return NULL;
}

static int keys_match(const struct cnode *n, const char *const *keys)
{
    if (n->sch->kind == SCH_LEAFLIST)
        return n->value && strcmp(n->value, keys[0]) == 0;
    for (size_t i = 0; i < n->sch->nkeys; i++) {
        const char *k = cnode_key(n, i);
        if (k == NULL || strcmp(k, keys[i]) != 0)
            return 0;
    }
    return 1;
}

struct cnode *cnode_first(const struct cnode *parent, const struct sch_node *sch)
{
    struct cnode *first, *last;

    if (cidx_first_last(parent, sch, &first, &last) == 0)
        return first;
    for (struct cnode *c = parent->child; c; c = c->next)
        if (c->sch == sch)
            return c;
    return NULL;
}

/* The children of one schema node are contiguous (cnode_insert). */
struct cnode *cnode_next_same(const struct cnode *n)
{
    return n->next && n->next->sch == n->sch ? n->next : NULL;
}

struct cnode *cnode_find(const struct cnode *parent, const struct sch_node *sch,
                         const char *const *keys)
{
    struct cnode *hit;

    if ((sch->kind == SCH_LIST || sch->kind == SCH_LEAFLIST) && keys &&
        cidx_find(parent, sch, keys, &hit) == 0)
        return hit;
    for (struct cnode *c = cnode_first(parent, sch); c; c = cnode_next_same(c)) {
        if (sch->kind == SCH_LIST || sch->kind == SCH_LEAFLIST) {
            if (keys && keys_match(c, keys))
                return c;
        } else {
            return c;
        }
    }
    return NULL;
}

/* Position of a schema node among its parent's children.  Group contents
 * alias the top-level nodes, whose index is their index under the root; the
 * order of the root is what group bodies display, so it holds there too. */
static int sch_pos(const struct sch_node *s)
{
    return s->index;
}

static int entry_cmp(const struct cnode *a, const struct cnode *b)
{
    const struct sch_node *s = a->sch;

    if (s->kind == SCH_LEAFLIST)
        return sch_collate(s->type, a->value, b->value);
    for (size_t i = 0; i < s->nkeys; i++) {
        const char *x = cnode_key(a, i), *y = cnode_key(b, i);
        int r = sch_collate(s->keys[i]->type, x ? x : "", y ? y : "");
        if (r)
            return r;
    }
    return 0;
}

/* Link n under parent after `after` (NULL: first). */
static void link_after(struct cnode *parent, struct cnode *n, struct cnode *after)
{
    n->parent = parent;
    n->fresh = 1;
    n->dirty = 1;
    mark_up(parent);
    if (after == NULL) {
        n->prev = NULL;
        n->next = parent->child;
        if (parent->child)
            parent->child->prev = n;
        else
            parent->last = n;
        parent->child = n;
    } else {
        n->prev = after;
        n->next = after->next;
        if (after->next)
            after->next->prev = n;
        else
            parent->last = n;
        after->next = n;
    }
    cidx_added(parent, n);
}

void cnode_insert(struct cnode *parent, struct cnode *n)
{
    struct cnode *c, *after = NULL;
    int pos = sch_pos(n->sch);
    int sorted = (n->sch->flags & SCHF_SORT) != 0;

    n->parent = parent;
    if (!(n->sch->flags & SCHF_KEY) && !sorted) {
        /* an unsorted list grows at the end of its entries */
        struct cnode *first, *last;
        if (cidx_first_last(parent, n->sch, &first, &last) == 0 && last) {
            link_after(parent, n, last);
            return;
        }
    }
    /* keys first: a key leaf goes before every non-key child */
    if (n->sch->flags & SCHF_KEY) {
        for (c = parent->child; c && (c->sch->flags & SCHF_KEY) && sch_pos(c->sch) < pos;
             c = c->next)
            after = c;
    } else {
        for (c = parent->child; c; c = c->next) {
            if (c->sch->flags & SCHF_KEY) {
                after = c;
                continue;
            }
            if (sch_pos(c->sch) < pos || (c->sch == n->sch && !(sorted && entry_cmp(c, n) > 0)))
                after = c;
            else if (sch_pos(c->sch) > pos || c->sch == n->sch)
                break;
        }
    }
    link_after(parent, n, after);
}

static void clear_choice(struct cnode *parent, const struct sch_node *sch);

void cnode_move(struct cnode *n, struct cnode *ref, int after)
{
    struct cnode *p = n->parent;

    if (n == ref || p == NULL || ref->parent != p)
        return;
    cnode_unlink(n);
    p->moved = 1;
    link_after(p, n, after ? ref : ref->prev);
}

void cnode_add(struct cnode *parent, struct cnode *n)
{
    clear_choice(parent, n->sch);
    cnode_insert(parent, n);
}

void cnode_replace(struct cnode *old, struct cnode *n)
{
    struct cnode *parent = old->parent, *prev = old->prev;

    /* unlinked first: the children index holds one entry per identity */
    cnode_free(old);
    link_after(parent, n, prev);
}

/* Remove the statements of the other branches of sch's choice. */
static void clear_choice(struct cnode *parent, const struct sch_node *sch)
{
    struct cnode *c, *next;

    if (sch->choice == 0)
        return;
    for (c = parent->child; c; c = next) {
        next = c->next;
        if (c->sch->choice == sch->choice && c->sch->branch != sch->branch)
            cnode_free(c);
    }
}

struct cnode *cnode_get(struct cnode *parent, const struct sch_node *sch, const char *const *keys)
{
    struct cnode *n = cnode_find(parent, sch, keys);

    if (n)
        return n;
    clear_choice(parent, sch);
    n = cnode_new(sch);
    if (sch->kind == SCH_LEAFLIST) {
        n->value = xstrdup(keys[0]);
    } else if (sch->kind == SCH_LIST) {
        /* keys must be present before the entry is placed (sorting) */
        for (size_t i = 0; i < sch->nkeys; i++) {
            struct cnode *k = cnode_new(sch->keys[i]);
            k->value = xstrdup(keys[i]);
            cnode_insert(n, k);
        }
    }
    cnode_insert(parent, n);
    return n;
}

struct cnode *cnode_set_leaf(struct cnode *parent, const struct sch_node *sch, const char *value)
{
    struct cnode *n = cnode_get(parent, sch, NULL);

    free(n->value);
    n->value = xstrdup(value);
    mark_up(n);
    return n;
}

int cnode_same_identity(const struct cnode *a, const struct cnode *b)
{
    if (a->sch != b->sch)
        return 0;
    if (a->sch->kind == SCH_LEAFLIST)
        return strcmp(a->value, b->value) == 0;
    if (a->sch->kind == SCH_LIST) {
        for (size_t i = 0; i < a->sch->nkeys; i++) {
            const char *x = cnode_key(a, i), *y = cnode_key(b, i);
            if (!x || !y || strcmp(x, y) != 0)
                return 0;
        }
    }
    return 1;
}

static int str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

int cnode_equal(const struct cnode *a, const struct cnode *b)
{
    const struct cnode *x, *y;

    if (a->sch != b->sch || !str_eq(a->value, b->value) || !str_eq(a->comment, b->comment) ||
        a->inactive != b->inactive)
        return 0;
    for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
        if (!cnode_equal(x, y))
            return 0;
    return x == NULL && y == NULL;
}

struct cnode *cnode_find_like(const struct cnode *parent, const struct cnode *like)
{
    const char *keys[16];
    size_t n = 0;

    if (like->sch->kind == SCH_LEAFLIST) {
        keys[n++] = like->value;
    } else if (like->sch->kind == SCH_LIST) {
        for (; n < like->sch->nkeys && n < 16; n++)
            keys[n] = cnode_key(like, n);
    }
    return cnode_find(parent, like->sch, n ? keys : NULL);
}

static struct cnode *find_same(struct cnode *parent, const struct cnode *like)
{
    return cnode_find_like(parent, like);
}

void cnode_merge(struct cnode *dst, const struct cnode *src)
{
    if (src->value && !(src->sch->flags & SCHF_KEY)) {
        free(dst->value);
        dst->value = xstrdup(src->value);
    }
    if (src->comment) {
        free(dst->comment);
        dst->comment = xstrdup(src->comment);
    }
    dst->inactive = src->inactive;
    mark_up(dst);
    for (const struct cnode *c = src->child; c; c = c->next) {
        struct cnode *d;
        if (c->sch->flags & SCHF_KEY)
            continue;
        d = find_same(dst, c);
        if (d == NULL) {
            clear_choice(dst, c->sch);
            cnode_insert(dst, cnode_dup(c));
        } else {
            cnode_merge(d, c);
        }
    }
}

int cnode_is_empty(const struct cnode *n)
{
    for (const struct cnode *c = n->child; c; c = c->next)
        if (!(c->sch->flags & SCHF_KEY))
            return 0;
    return 1;
}

/* Quote a word for display when it holds blanks or special characters. */
static void put_word(struct buf *b, const char *w)
{
    if (*w && strpbrk(w, " \t;{}[]\"#'") == NULL) {
        buf_puts(b, w);
        return;
    }
    buf_putc(b, '"');
    for (; *w; w++) {
        if (*w == '"' || *w == '\\')
            buf_putc(b, '\\');
        buf_putc(b, *w);
    }
    buf_putc(b, '"');
}

static void path_rec(const struct cnode *n, struct buf *b)
{
    const struct sch_node *s = n->sch;

    if (n->parent == NULL)
        return;
    path_rec(n->parent, b);
    if (b->len)
        buf_putc(b, ' ');
    if (!(s->flags & SCHF_NO_KEYWORD) || s->kind == SCH_LEAF)
        buf_puts(b, s->name);
    if (s->kind == SCH_LIST) {
        for (size_t i = 0; i < s->nkeys; i++) {
            const char *k = cnode_key(n, i);
            if (b->len && b->s[b->len - 1] != ' ')
                buf_putc(b, ' ');
            if (strcmp(s->keys[i]->name, "name") != 0) {
                buf_puts(b, s->keys[i]->name);
                buf_putc(b, ' ');
            }
            put_word(b, k ? k : "");
        }
    } else if (s->kind == SCH_LEAFLIST) {
        buf_putc(b, ' ');
        put_word(b, n->value);
    }
}

void cnode_path(const struct cnode *n, char *out, size_t len)
{
    struct buf b;

    buf_init(&b);
    path_rec(n, &b);
    snprintf(out, len, "%s", b.s ? b.s : "");
    buf_free(&b);
}
