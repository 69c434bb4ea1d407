/*
 * render_json.c: a configuration tree in Junos "| display json" shape
 * (render.h; layout in junos.md 5.11 and tests/golden/ * /config.json).
 *
 * Owns render_json() only; the inverse is load_json.c.  Four spaces per
 * level, "name" : value with a blank on each side of the colon, one member
 * per line.  Containers are objects, lists arrays of objects whose
 * braces sit at the indentation of the member (Junos does so), keys
 * first; leaf-lists are arrays on one line, flags and empty containers
 * [null].  Values of integer types are written as JSON numbers.
 * Metadata goes into an "@" member first in the statement's object, or,
 * for leaves, flags and leaf-lists, into a sibling "@name" member after
 * it (for leaf-lists an array with one element per entry, null when the
 * entry has none): "comment" : "/ * text * /", then "inactive" : true.
 */
#include "render.h"

#include <stdio.h>
#include <string.h>

static void put_string(struct buf *b, const char *s)
{
    buf_putc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        switch (c) {
        case '"':
            buf_puts(b, "\\\"");
            break;
        case '\\':
            buf_puts(b, "\\\\");
            break;
        case '\n':
            buf_puts(b, "\\n");
            break;
        case '\r':
            buf_puts(b, "\\r");
            break;
        case '\t':
            buf_puts(b, "\\t");
            break;
        case '\b':
            buf_puts(b, "\\b");
            break;
        case '\f':
            buf_puts(b, "\\f");
            break;
        default:
            if (c < 0x20)
                buf_printf(b, "\\u%04x", c);
            else
                buf_putc(b, (char)c);
        }
    }
    buf_putc(b, '"');
}

/* A value of an integer type (not an enumeration) is a number when it
 * reads as one (a group's wildcard key "<*>" stays a string). */
static int is_number(const struct cnode *n)
{
    const struct sch_type *t = n->sch->type;
    const char *v = n->value;

    if (t == NULL || v == NULL || (t->builtin != SB_UNSIGNED && t->builtin != SB_SIGNED) ||
        sch_type_is_enum(t))
        return 0;
    if (*v == '-' && t->builtin == SB_SIGNED)
        v++;
    if (*v < '0' || *v > '9' || (*v == '0' && v[1] != '\0'))
        return 0;
    while (*v >= '0' && *v <= '9')
        v++;
    return *v == '\0';
}

static void put_value(struct buf *b, const struct cnode *n)
{
    if (is_number(n))
        buf_puts(b, n->value);
    else
        put_string(b, n->value ? n->value : "");
}

/* Start a member of an object: separator, newline, indentation. */
static void member(struct buf *b, int *first, int indent)
{
    buf_puts(b, *first ? "\n" : ",\n");
    *first = 0;
    buf_indent(b, indent);
}

static void close_object(struct buf *b, int first, int indent)
{
    if (!first) {
        buf_putc(b, '\n');
        buf_indent(b, indent);
    }
    buf_putc(b, '}');
}

static int has_meta(const struct cnode *n)
{
    return n->comment || n->inactive;
}

/* The metadata object of n: {"comment" : "/ * x * /", "inactive" : true} */
static void put_meta(struct buf *b, const struct cnode *n, int indent)
{
    int first = 1;

    buf_putc(b, '{');
    if (n->comment) {
        struct buf c;
        buf_init(&c);
        buf_printf(&c, "/* %s */", n->comment);
        member(b, &first, indent + 4);
        buf_puts(b, "\"comment\" : ");
        put_string(b, c.s);
        buf_free(&c);
    }
    if (n->inactive) {
        member(b, &first, indent + 4);
        buf_puts(b, "\"inactive\" : true");
    }
    close_object(b, first, indent);
}

static void put_members(struct buf *b, const struct cnode *n, int indent, int *first);

/* The object of a container or list entry n, opened at the current
 * position, its members at indent + 4. */
static void put_object(struct buf *b, const struct cnode *n, int indent)
{
    int first = 1;

    if (n->child == NULL && !has_meta(n)) {
        buf_puts(b, "[null]"); /* empty container */
        return;
    }
    buf_putc(b, '{');
    if (has_meta(n)) {
        member(b, &first, indent + 4);
        buf_puts(b, "\"@\" : ");
        put_meta(b, n, indent + 4);
    }
    put_members(b, n, indent + 4, &first);
    close_object(b, first, indent);
}

/* The member for the statements starting at c (all entries of a list or
 * leaf-list); returns the last node it covered. */
static const struct cnode *put_member(struct buf *b, const struct cnode *c, int indent, int *first)
{
    const struct sch_node *s = c->sch;
    const struct cnode *e, *last = c;
    int meta = 0;

    member(b, first, indent);
    buf_printf(b, "\"%s\" : ", s->name);
    switch (s->kind) {
    case SCH_CONTAINER:
        put_object(b, c, indent);
        return c;
    case SCH_LIST:
        buf_putc(b, '[');
        for (e = c; e && e->sch == s; e = e->next) {
            buf_puts(b, e == c ? "\n" : ",\n");
            buf_indent(b, indent);
            put_object(b, e, indent);
            last = e;
        }
        buf_putc(b, '\n');
        buf_indent(b, indent);
        buf_putc(b, ']');
        return last;
    case SCH_LEAFLIST:
        buf_putc(b, '[');
        for (e = c; e && e->sch == s; e = e->next) {
            if (e != c)
                buf_puts(b, ", ");
            put_value(b, e);
            meta |= has_meta(e);
            last = e;
        }
        buf_putc(b, ']');
        if (meta) {
            member(b, first, indent);
            buf_printf(b, "\"@%s\" : [", s->name);
            for (e = c; e && e->sch == s; e = e->next) {
                buf_puts(b, e == c ? "\n" : ",\n");
                buf_indent(b, indent);
                if (has_meta(e))
                    put_meta(b, e, indent);
                else
                    buf_puts(b, "null");
            }
            buf_putc(b, '\n');
            buf_indent(b, indent);
            buf_putc(b, ']');
        }
        return last;
    case SCH_LEAF:
        put_value(b, c);
        break;
    case SCH_FLAG:
        buf_puts(b, "[null]");
        break;
    }
    if (has_meta(c)) {
        member(b, first, indent);
        buf_printf(b, "\"@%s\" : ", s->name);
        put_meta(b, c, indent);
    }
    return c;
}

static void put_members(struct buf *b, const struct cnode *n, int indent, int *first)
{
    for (const struct cnode *c = n->child; c; c = c->next)
        c = put_member(b, c, indent, first);
}

void render_json(struct buf *b, const struct cnode *root, const char *attrs_json)
{
    int first = 1;

    buf_puts(b, "{\n    \"configuration\" : {");
    if (attrs_json && *attrs_json) {
        member(b, &first, 8);
        buf_puts(b, "\"@\" : {\n");
        buf_indent(b, 12);
        for (const char *p = attrs_json; *p; p++) {
            buf_putc(b, *p);
            if (*p == '\n')
                buf_indent(b, 12);
        }
        buf_putc(b, '\n');
        buf_indent(b, 8);
        buf_putc(b, '}');
    }
    put_members(b, root, 8, &first);
    close_object(b, first, 4);
    buf_puts(b, "\n}\n");
}
