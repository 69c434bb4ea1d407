/*
 * render_xml.c: a configuration tree in Junos "| display xml" shape
 * (render.h; layout in docs/schema.md and junos.md 5.11).
 *
 * Owns render_xml() only; the inverse is load_xml.c.  Four spaces per
 * level; containers and list entries are elements (keys first, as the
 * tree keeps them); leaves hold their value as text; flags and empty
 * containers are empty elements; leaf-list entries repeat the element.
 * Deactivated statements carry inactive="inactive" and an annotation is
 * a <junos:comment>/ * text * /</junos:comment> element just before the
 * statement, at the same indentation.  Secrets are output as stored.
 */
#include "render.h"

#include <stdio.h>
#include <string.h>

#define JUNOS_NS "http://xml.juniper.net/junos/*/junos"

/* Text with the XML specials escaped; attr: also the double quote.  A
 * carriage return is written as a reference so that it survives the
 * parser's end-of-line normalisation. */
static void put_escaped(struct buf *b, const char *s, int attr)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        switch (c) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, attr ? "&quot;" : "\"");
            break;
        case '\r':
            buf_puts(b, "&#13;");
            break;
        case '\t':
        case '\n':
            if (attr)
                buf_printf(b, "&#%d;", c);
            else
                buf_putc(b, (char)c);
            break;
        default:
            buf_putc(b, (char)c);
        }
    }
}

static void put_comment(struct buf *b, const struct cnode *n, int indent)
{
    if (n->comment == NULL)
        return;
    buf_indent(b, indent);
    buf_puts(b, "<junos:comment>/* ");
    put_escaped(b, n->comment, 0);
    buf_puts(b, " */</junos:comment>\n");
}

static void open_tag(struct buf *b, const struct cnode *n, int indent)
{
    buf_indent(b, indent);
    buf_putc(b, '<');
    buf_puts(b, n->sch->name);
    if (n->inactive)
        buf_puts(b, " inactive=\"inactive\"");
}

static void render_node(struct buf *b, const struct cnode *n, int indent)
{
    const char *name = n->sch->name;

    put_comment(b, n, indent);
    open_tag(b, n, indent);
    switch (n->sch->kind) {
    case SCH_LEAF:
    case SCH_LEAFLIST:
        buf_putc(b, '>');
        put_escaped(b, n->value ? n->value : "", 0);
        buf_printf(b, "</%s>\n", name);
        return;
    case SCH_FLAG:
        buf_puts(b, "/>\n");
        return;
    case SCH_CONTAINER:
    case SCH_LIST:
        if (n->child == NULL) {
            buf_puts(b, "/>\n");
            return;
        }
        buf_puts(b, ">\n");
        for (const struct cnode *c = n->child; c; c = c->next)
            render_node(b, c, indent + 4);
        buf_indent(b, indent);
        buf_printf(b, "</%s>\n", name);
        return;
    }
}

void render_xml(struct buf *b, const struct cnode *root, int indent, const char *attrs)
{
    buf_indent(b, indent);
    buf_puts(b, "<configuration xmlns:junos=\"" JUNOS_NS "\"");
    if (attrs && *attrs) {
        if (*attrs != ' ')
            buf_putc(b, ' ');
        buf_puts(b, attrs);
    }
    buf_puts(b, ">\n");
    for (const struct cnode *c = root->child; c; c = c->next)
        render_node(b, c, indent + 4);
    buf_indent(b, indent);
    buf_puts(b, "</configuration>\n");
}
