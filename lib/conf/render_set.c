/*
 * render_set.c: "| display set [relative]": one set line per statement
 * that has no children of its own (leaves, flags, each leaf-list value,
 * empty containers, entries holding only their keys), in display order;
 * after the lines of a deactivated statement, "deactivate PATH".  Secrets
 * are quoted and carry no trailer (junos.md 5.9).
 */
#include "render.h"

#include <string.h>

/* Words of n's path below stop: ancestors by name or entry header, then
 * the statement itself. */
static void set_line(struct buf *b, const char *verb, const struct cnode *n,
                     const struct cnode *stop)
{
    const struct cnode *chain[64];
    size_t depth = 0;

    for (const struct cnode *p = n; p && p != stop && p->parent && depth < 64; p = p->parent)
        chain[depth++] = p;
    buf_puts(b, verb);
    while (depth-- > 0) {
        const struct cnode *p = chain[depth];
        if (p != n && p->sch->kind == SCH_CONTAINER)
            buf_puts(b, p->sch->name);
        else
            render_stmt_words(b, p);
        if (depth)
            buf_putc(b, ' ');
    }
    buf_putc(b, '\n');
}

static int has_children(const struct cnode *n)
{
    for (const struct cnode *c = n->child; c; c = c->next)
        if (!(c->sch->flags & SCHF_KEY))
            return 1;
    return 0;
}

static void walk(struct buf *b, const struct cnode *n, const struct cnode *stop)
{
    for (const struct cnode *c = n->child; c; c = c->next) {
        if (c->sch->flags & SCHF_KEY)
            continue;
        if (c->sch->kind == SCH_CONTAINER && (c->sch->flags & SCHF_FLAT) && has_children(c)) {
            /* statement words of a flat container include its children:
             * emit each child under the container's own path instead */
            walk(b, c, stop);
        } else if (has_children(c)) {
            walk(b, c, stop);
        } else {
            set_line(b, "set ", c, stop);
        }
        if (c->inactive)
            set_line(b, "deactivate ", c, stop);
    }
}

void render_set(struct buf *b, const struct cnode *n, int relative)
{
    const struct cnode *stop = relative ? n->parent : NULL;

    if (n->parent == NULL || has_children(n)) {
        walk(b, n, relative ? n : NULL);
        return;
    }
    /* the statement itself: a leaf, a flag, an empty container or entry,
     * a leaf-list value and the values after it */
    for (const struct cnode *c = n; c && c->sch == n->sch; c = c->next) {
        set_line(b, "set ", c, stop);
        if (c->inactive)
            set_line(b, "deactivate ", c, stop);
        if (n->sch->kind != SCH_LEAFLIST)
            break;
    }
}
