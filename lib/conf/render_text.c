/*
 * render_text.c: Junos brace text ("show", "show configuration") and the
 * words of single statements (used by display set, compare and errors).
 *
 * Layout (junos.md 5.9): four spaces per level; "name value;"; "name;" for
 * flags and empty containers; "name [ a b ];" for several leaf-list values;
 * "/ * text * /" above an annotated statement; "inactive: " before a
 * deactivated one; "## SECRET-DATA" after a secret.  Schema annotations
 * shape the rest: no-keyword lists (interfaces ge-0/0/0), flat containers
 * (family inet, pre-shared-key ascii-text "..."), oneliner and block lists
 * (allowed-proxy-pair { remote A local B; }).
 */
#include "render.h"
#include "words.h"

#include <stdio.h>
#include <string.h>

static void put_value(struct buf *b, const struct cnode *n)
{
    const char *v = n->value ? n->value : "";

    if (!(n->sch->flags & SCHF_SECRET) && !word_needs_quotes(v)) {
        buf_puts(b, v);
        return;
    }
    buf_putc(b, '"');
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            buf_putc(b, '\\');
        buf_putc(b, *v);
    }
    buf_putc(b, '"');
}

static void sep(struct buf *b, size_t start)
{
    if (b->len > start)
        buf_putc(b, ' ');
}

/* Header of a list entry: [keyword] keys ("name" keys by value only). */
static void entry_header(struct buf *b, const struct cnode *n, int keyword)
{
    const struct sch_node *s = n->sch;
    size_t start = b->len;

    if (keyword && !(s->flags & SCHF_NO_KEYWORD))
        buf_puts(b, s->name);
    for (size_t i = 0; i < s->nkeys; i++) {
        for (const struct cnode *c = n->child; c; c = c->next) {
            if (c->sch != s->keys[i])
                continue;
            sep(b, start);
            if (strcmp(c->sch->name, "name") != 0) {
                buf_puts(b, c->sch->name);
                buf_putc(b, ' ');
            }
            put_value(b, c);
        }
    }
}

static int has_secret(const struct cnode *n)
{
    if (n->sch->flags & SCHF_SECRET)
        return 1;
    for (const struct cnode *c = n->child; c; c = c->next)
        if (has_secret(c))
            return 1;
    return 0;
}

/* Words of a statement without its children (flat containers: with them). */
static void stmt_words(struct buf *b, const struct cnode *n, int keyword);

static int is_simple(const struct cnode *n)
{
    return n->sch->kind == SCH_LEAF || n->sch->kind == SCH_FLAG || n->sch->kind == SCH_LEAFLIST;
}

/* A flat container whose children all fit on its line. */
static int flat_inline(const struct cnode *n)
{
    if (!(n->sch->flags & SCHF_FLAT))
        return 0;
    for (const struct cnode *c = n->child; c; c = c->next)
        if (!is_simple(c) && !(c->sch->kind == SCH_CONTAINER && c->child == NULL))
            return 0;
    return 1;
}

static void stmt_words(struct buf *b, const struct cnode *n, int keyword)
{
    const struct sch_node *s = n->sch;
    size_t start = b->len;

    switch (s->kind) {
    case SCH_LEAF:
    case SCH_LEAFLIST:
        if (!(s->flags & SCHF_NO_KEYWORD))
            buf_puts(b, s->name);
        sep(b, start);
        put_value(b, n);
        break;
    case SCH_FLAG:
        buf_puts(b, s->name);
        break;
    case SCH_CONTAINER:
        buf_puts(b, s->name);
        if (flat_inline(n))
            for (const struct cnode *c = n->child; c; c = c->next) {
                buf_putc(b, ' ');
                stmt_words(b, c, 1);
            }
        break;
    case SCH_LIST:
        entry_header(b, n, keyword);
        break;
    }
}

void render_stmt_words(struct buf *b, const struct cnode *n)
{
    stmt_words(b, n, 1);
}

/* The one non-key child of a oneliner entry, when it can share the line. */
static const struct cnode *oneliner_child(const struct cnode *n)
{
    const struct cnode *only = NULL;

    if (!(n->sch->flags & SCHF_ONELINER))
        return NULL;
    for (const struct cnode *c = n->child; c; c = c->next) {
        if (c->sch->flags & SCHF_KEY)
            continue;
        if (only || !is_simple(c) || c->comment || c->inactive)
            return NULL;
        only = c;
    }
    return only;
}

static void line_start(struct buf *b, const struct cnode *stmt_node, int indent, unsigned flags)
{
    const struct cnode *n = stmt_node;

    if (n->comment && !(flags & RENDER_NO_COMMENTS)) {
        buf_indent(b, indent);
        buf_printf(b, "/* %s */\n", n->comment);
    }
    if ((flags & RENDER_INHERITANCE) && n->group) {
        /* Junos names the value, the identifier, or the statement */
        struct buf w;
        buf_init(&w);
        const struct cnode *d = n;
        /* a flat container printed inline is named by what follows it */
        while (d->sch->kind == SCH_CONTAINER && flat_inline(d) && d->child)
            d = d->child;
        n = d;
        if (n->sch->kind == SCH_LIST)
            entry_header(&w, n, 0);
        else if (n->value && !(n->sch->flags & SCHF_SECRET))
            buf_puts(&w, n->value);
        else
            buf_puts(&w, n->sch->name);
        buf_indent(b, indent);
        buf_puts(b, "##\n");
        buf_indent(b, indent);
        buf_printf(b, "## '%s' was inherited from group '%s'\n", w.s ? w.s : "", n->group);
        buf_indent(b, indent);
        buf_puts(b, "##\n");
        buf_free(&w);
        n = stmt_node;
    }
    buf_indent(b, indent);
    if (n->inactive)
        buf_puts(b, "inactive: ");
}

static void line_end(struct buf *b, const struct cnode *n, unsigned flags)
{
    buf_putc(b, ';');
    if (!(flags & RENDER_NO_SECRET_TRAILER) && has_secret(n))
        buf_puts(b, " ## SECRET-DATA");
    buf_putc(b, '\n');
}

static void stmt(struct buf *b, const struct cnode *n, int indent, unsigned flags,
                 const char *prefix, int keyword);

static void block(struct buf *b, const struct cnode *n, int indent, unsigned flags)
{
    buf_puts(b, " {\n");
    render_text(b, n, indent + 4, flags);
    buf_indent(b, indent);
    buf_puts(b, "}\n");
}

static void stmt(struct buf *b, const struct cnode *n, int indent, unsigned flags,
                 const char *prefix, int keyword)
{
    const struct sch_node *s = n->sch;
    const struct cnode *one;

    if (s->kind == SCH_CONTAINER && (s->flags & SCHF_FLAT) && !flat_inline(n)) {
        /* family inet { ... }  family inet6 { ... } */
        char pre[256];
        snprintf(pre, sizeof(pre), "%s%s ", prefix, s->name);
        for (const struct cnode *c = n->child; c; c = c->next)
            stmt(b, c, indent, flags, pre, 1);
        return;
    }
    line_start(b, n, indent, flags);
    buf_puts(b, prefix);
    stmt_words(b, n, keyword);
    if (s->kind == SCH_LIST && (one = oneliner_child(n)) != NULL) {
        buf_putc(b, ' ');
        stmt_words(b, one, 1);
        line_end(b, n, flags);
    } else if ((s->kind == SCH_CONTAINER && !flat_inline(n) && n->child) ||
               (s->kind == SCH_LIST && !cnode_is_empty(n))) {
        block(b, n, indent, flags);
    } else {
        line_end(b, n, flags);
    }
}

/* Leaf-list values print together: name [ a b ]; */
static const struct cnode *leaflist(struct buf *b, const struct cnode *first, int indent,
                                    unsigned flags)
{
    const struct cnode *c = first, *last = first;
    int count = 0;

    for (c = first; c && c->sch == first->sch; c = c->next, count++)
        last = c;
    if (count == 1) {
        stmt(b, first, indent, flags, "", 1);
        return last;
    }
    line_start(b, first, indent, flags);
    buf_printf(b, "%s [", first->sch->name);
    for (c = first; c && c->sch == first->sch; c = c->next) {
        buf_putc(b, ' ');
        put_value(b, c);
    }
    buf_puts(b, " ]");
    line_end(b, first, flags);
    return last;
}

/* Entries of a block list print inside one "name { }". */
static const struct cnode *block_list(struct buf *b, const struct cnode *first, int indent,
                                      unsigned flags)
{
    const struct cnode *c, *last = first;

    buf_indent(b, indent);
    buf_printf(b, "%s {\n", first->sch->name);
    for (c = first; c && c->sch == first->sch; c = c->next) {
        stmt(b, c, indent + 4, flags, "", 0);
        last = c;
    }
    buf_indent(b, indent);
    buf_puts(b, "}\n");
    return last;
}

void render_text(struct buf *b, const struct cnode *n, int indent, unsigned flags)
{
    for (const struct cnode *c = n->child; c; c = c->next) {
        if (c->sch->flags & SCHF_KEY)
            continue;
        if (c->sch->kind == SCH_LEAFLIST)
            c = leaflist(b, c, indent, flags);
        else if (c->sch->kind == SCH_LIST && (c->sch->flags & SCHF_BLOCK))
            c = block_list(b, c, indent, flags);
        else
            stmt(b, c, indent, flags, "", 1);
    }
}

void render_text_stmt(struct buf *b, const struct cnode *n, int indent, unsigned flags)
{
    if (n->sch->kind == SCH_LEAFLIST) /* n and the values after it */
        leaflist(b, n, indent, flags);
    else
        stmt(b, n, indent, flags, "", 1);
}
