/*
 * diff.c: "show | compare" -- the differences between two configuration
 * trees in Junos's shape: an "[edit PATH]" banner per hierarchy level with
 * direct differences, then "-" lines (old only) and "+" lines (new only).
 *
 * This file owns the walk: which statements are the same on both sides,
 * the order of banners and lines, reorders shown as delete + add, the
 * collapsed "name { ... }" lines for changes of a statement's own state
 * (inactive:, annotation) and the context line before an entry added to a
 * list kept in the user's order.  The text of every statement is
 * render_text.c's, rendered at indent 4 with its first column replaced by
 * the sign.  Layout and decisions: ../../docs/compare.md.
 */
#include "diff.h"
#include "render.h"

#include <stdlib.h>
#include <string.h>

#define IND 4 /* statements directly under a banner: indent 4, sign in column 0 */

enum item_kind {
    IT_ONE,   /* one statement: leaf, flag, container or list entry */
    IT_RUN,   /* all values of a leaf-list (one line: name [ a b ];) */
    IT_WHOLE, /* a flat container holding only simple statements (one line) */
};

/* A unit of comparison among the children of one node. */
struct item {
    const struct cnode *n;    /* the statement (first value of a run) */
    const struct cnode *flat; /* flat container n is shown through ("family inet"), or NULL */
    size_t count;             /* number of values (1 unless IT_RUN) */
    enum item_kind kind;
    long match; /* index of the same statement on the other side, or -1 */
};

struct items {
    struct item *v;
    size_t n, cap;
};

/* The hierarchy level being printed; its banner precedes its first line. */
struct level {
    struct buf *out;
    const struct cnode *at;
    unsigned flags;
    int bannered;
    const struct cnode *context; /* the statement of the last line, if a context line */
};

static void *xalloc(size_t n)
{
    void *p = calloc(n ? n : 1, 1);

    if (p == NULL)
        abort();
    return p;
}

static int str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static int is_tree(const struct cnode *n)
{
    return n->sch->kind == SCH_CONTAINER || n->sch->kind == SCH_LIST;
}

/* Equality of subtrees; the own comment and inactive flag only with header. */
static int eq(const struct cnode *a, const struct cnode *b, unsigned flags, int header)
{
    const struct cnode *x, *y;

    if (a->sch != b->sch || !str_eq(a->value, b->value))
        return 0;
    if (header && (a->inactive != b->inactive ||
                   (!(flags & RENDER_NO_COMMENTS) && !str_eq(a->comment, b->comment))))
        return 0;
    for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
        if (!eq(x, y, flags, 1))
            return 0;
    return x == NULL && y == NULL;
}

/* A flat container is compared statement by statement ("family inet",
 * "family inet6") when it may hold containers or lists; otherwise it is one
 * line (pre-shared-key ascii-text "...", local-gateway A routing-instance R). */
static int flat_expands(const struct sch_node *s)
{
    for (size_t i = 0; i < s->nchildren; i++)
        if (s->children[i]->kind == SCH_CONTAINER || s->children[i]->kind == SCH_LIST)
            return 1;
    return 0;
}

static void push(struct items *it, const struct cnode *n, const struct cnode *flat,
                 enum item_kind kind, size_t count)
{
    if (it->n == it->cap) {
        it->cap = it->cap ? it->cap * 2 : 16;
        it->v = realloc(it->v, it->cap * sizeof(*it->v));
        if (it->v == NULL)
            abort();
    }
    it->v[it->n++] = (struct item){n, flat, count, kind, -1};
}

static void build_items(struct items *it, const struct cnode *parent)
{
    for (const struct cnode *c = parent ? parent->child : NULL; c; c = c->next) {
        if (c->sch->flags & SCHF_KEY)
            continue;
        if (c->sch->kind == SCH_LEAFLIST) {
            const struct cnode *first = c;
            size_t count = 1;
            while (c->next && c->next->sch == first->sch)
                c = c->next, count++;
            push(it, first, NULL, IT_RUN, count);
        } else if (c->sch->kind == SCH_CONTAINER && (c->sch->flags & SCHF_FLAT)) {
            if (!flat_expands(c->sch))
                push(it, c, NULL, IT_WHOLE, 1);
            else
                for (const struct cnode *d = c->child; d; d = d->next)
                    push(it, d, c, IT_ONE, 1);
        } else {
            push(it, c, NULL, IT_ONE, 1);
        }
    }
}

static int same_identity(const struct item *a, const struct item *b)
{
    return a->kind == b->kind && a->n->sch == b->n->sch &&
           (a->kind != IT_ONE || cnode_same_identity(a->n, b->n));
}

static int item_eq(const struct item *a, const struct item *b, unsigned flags)
{
    const struct cnode *x = a->n, *y = b->n;

    if (a->count != b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++, x = x->next, y = y->next)
        if (!eq(x, y, flags, 1))
            return 0;
    return 1;
}

/* Pair the statements of both sides, then keep the longest chain of pairs
 * in the same order on both sides: an entry that moved is deleted and added. */
static void match_items(struct items *o, struct items *n)
{
    size_t hint = 0, m = 0, len = 0, *seq, *tails, *prev;

    for (size_t i = 0; i < n->n; i++)
        for (size_t k = 0; k < o->n; k++) {
            size_t j = (hint + k) % o->n;
            if (o->v[j].match < 0 && same_identity(&o->v[j], &n->v[i])) {
                n->v[i].match = (long)j;
                o->v[j].match = (long)i;
                hint = j + 1;
                m++;
                break;
            }
        }
    if (m == 0)
        return;
    seq = xalloc(m * sizeof(*seq));
    tails = xalloc(m * sizeof(*tails));
    prev = xalloc(m * sizeof(*prev));
    m = 0;
    for (size_t i = 0; i < n->n; i++)
        if (n->v[i].match >= 0)
            seq[m++] = i;
    /* longest increasing subsequence of the old indices (patience sorting) */
    for (size_t p = 0; p < m; p++) {
        long v = n->v[seq[p]].match;
        size_t lo = 0, hi = len;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (n->v[seq[tails[mid]]].match < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        tails[lo] = p;
        prev[p] = lo ? tails[lo - 1] : (size_t)-1;
        if (lo == len)
            len++;
    }
    /* unpair everything off the chain */
    for (size_t p = m, keep = tails[len - 1]; p-- > 0;) {
        if (p == keep) {
            keep = prev[p];
            continue;
        }
        o->v[n->v[seq[p]].match].match = -1;
        n->v[seq[p]].match = -1;
    }
    free(prev);
    free(tails);
    free(seq);
}

/* Print text (lines rendered at indent IND) with its first column replaced by sign. */
static void emit(struct level *lv, char sign, const char *text)
{
    if (!lv->bannered) {
        char path[4096];
        cnode_path(lv->at, path, sizeof(path));
        buf_printf(lv->out, path[0] ? "[edit %s]\n" : "[edit]\n", path);
        lv->bannered = 1;
    }
    while (*text) {
        size_t len = strcspn(text, "\n");
        buf_putc(lv->out, sign);
        if (len > 1)
            buf_add(lv->out, text + 1, len - 1);
        buf_putc(lv->out, '\n');
        text += len + (text[len] == '\n');
    }
}

/* Brace text of an item.  Parts of a node are rendered through a shallow
 * copy of it that holds only those parts (the renderer follows the links). */
static void render_item(struct buf *b, const struct item *it, unsigned flags)
{
    if (it->kind == IT_RUN) {
        struct cnode parent = {.sch = it->n->parent->sch};
        struct cnode *vals = xalloc(it->count * sizeof(*vals));
        const struct cnode *c = it->n;
        for (size_t i = 0; i < it->count; i++, c = c->next) {
            vals[i] = *c;
            vals[i].parent = &parent;
            vals[i].prev = i ? &vals[i - 1] : NULL;
            vals[i].next = i + 1 < it->count ? &vals[i + 1] : NULL;
        }
        parent.child = &vals[0];
        parent.last = &vals[it->count - 1];
        render_text(b, &parent, IND, flags);
        free(vals);
    } else if (it->flat) {
        struct cnode flat = *it->flat, one = *it->n;
        one.parent = &flat;
        one.prev = one.next = NULL;
        flat.child = flat.last = &one;
        render_text_stmt(b, &flat, IND, flags);
    } else {
        render_text_stmt(b, it->n, IND, flags);
    }
}

/* The statement on one line, its contents elided: "inactive: unit 1 { ... }". */
static void collapsed(struct buf *b, const struct item *it, unsigned flags, int comment)
{
    const struct cnode *n = it->n;

    if (comment && n->comment && !(flags & RENDER_NO_COMMENTS)) {
        buf_indent(b, IND);
        buf_printf(b, "/* %s */\n", n->comment);
    }
    if (!is_tree(n)) {
        struct item bare = *it;
        struct cnode copy = *n;
        copy.comment = NULL;
        bare.n = &copy;
        render_item(b, &bare, flags);
        return;
    }
    buf_indent(b, IND);
    if (n->inactive)
        buf_puts(b, "inactive: ");
    if (it->flat)
        buf_printf(b, "%s ", it->flat->sch->name);
    render_stmt_words(b, n);
    buf_puts(b, cnode_is_empty(n) ? ";\n" : " { ... }\n");
}

static void emit_item(struct level *lv, char sign, const struct item *it, int full)
{
    struct buf b;

    buf_init(&b);
    if (full)
        render_item(&b, it, lv->flags);
    else
        collapsed(&b, it, lv->flags, sign != ' ');
    emit(lv, sign, b.s ? b.s : "");
    lv->context = sign == ' ' ? it->n : NULL;
    buf_free(&b);
}

static void emit_comment(struct level *lv, char sign, const char *comment)
{
    struct buf b;

    if (comment == NULL)
        return;
    buf_init(&b);
    buf_indent(&b, IND);
    buf_printf(&b, "/* %s */\n", comment);
    emit(lv, sign, b.s);
    lv->context = NULL;
    buf_free(&b);
}

/* A statement on both sides that differs at this level. */
static void emit_changed(struct level *lv, const struct item *o, const struct item *n)
{
    const struct cnode *a = o->n, *b = n->n;
    int comments = !(lv->flags & RENDER_NO_COMMENTS) && !str_eq(a->comment, b->comment);

    if (o->kind != IT_ONE || !str_eq(a->value, b->value)) {
        emit_item(lv, '-', o, 1);
        emit_item(lv, '+', n, 1);
    } else if (a->inactive != b->inactive) {
        emit_item(lv, '-', o, 0);
        emit_item(lv, '+', n, 0);
    } else if (comments) {
        emit_comment(lv, '-', a->comment);
        emit_comment(lv, '+', b->comment);
        emit_item(lv, ' ', n, 0);
    }
}

/* Entries of lists kept in the user's order are placed after an entry that
 * is shown as context: "    term 2 { ... }" above "+   term 3 {". */
static void context_line(struct level *lv, const struct items *n, size_t i)
{
    const struct item *it = &n->v[i], *p = i ? &n->v[i - 1] : NULL;

    if (p && it->kind == IT_ONE && it->n->sch->kind == SCH_LIST &&
        !(it->n->sch->flags & SCHF_SORT) && p->kind == IT_ONE && p->n->sch == it->n->sch &&
        p->match >= 0 && lv->context != p->n) /* not twice in a row */
        emit_item(lv, ' ', p, 0);
}

static void diff_level(struct buf *out, const struct cnode *old, const struct cnode *new,
                       unsigned flags)
{
    struct items o = {0}, n = {0};
    struct level lv = {out, new ? new : old, flags, 0, NULL};
    long *next_m;
    size_t j = 0;

    build_items(&o, old);
    build_items(&n, new);
    match_items(&o, &n);
    /* next_m[i]: old index of the first paired statement at or after new i */
    next_m = xalloc((n.n + 1) * sizeof(*next_m));
    next_m[n.n] = (long)o.n;
    for (size_t i = n.n; i-- > 0;)
        next_m[i] = n.v[i].match >= 0 ? n.v[i].match : next_m[i + 1];

    /* document order: deletions where they were (before additions at the
     * same place), levels below where they are; the banner is printed again
     * when lines of this level follow a level below */
    for (size_t i = 0; i <= n.n; i++) {
        const struct item *it = i < n.n ? &n.v[i] : NULL, *was;
        if (it && it->match < 0)
            context_line(&lv, &n, i);
        for (; j < (size_t)next_m[i]; j++)
            if (o.v[j].match < 0)
                emit_item(&lv, '-', &o.v[j], 1);
        if (it == NULL)
            break;
        if (it->match < 0) {
            emit_item(&lv, '+', it, 1);
            continue;
        }
        j = (size_t)it->match + 1;
        was = &o.v[it->match];
        if (item_eq(was, it, flags))
            continue;
        emit_changed(&lv, was, it);
        if (it->kind == IT_ONE && is_tree(it->n) && !eq(was->n, it->n, flags, 0)) {
            size_t len = out->len;
            diff_level(out, was->n, it->n, flags);
            if (out->len != len)
                lv.bannered = 0, lv.context = NULL;
        }
    }
    free(next_m);
    free(o.v);
    free(n.v);
}

void conf_diff(struct buf *out, const struct cnode *old, const struct cnode *new, unsigned flags)
{
    if (old || new)
        diff_level(out, old, new, flags);
}
