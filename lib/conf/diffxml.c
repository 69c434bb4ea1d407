/* diffxml.c: see diffxml.h */
#include "diffxml.h"
#include "log.h"

#include <libxml/parser.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_text(struct buf *b, const char *s)
{
    xmlChar *e = xmlEncodeSpecialChars(NULL, (const xmlChar *)s);

    buf_puts(b, (const char *)e);
    xmlFree(e);
}

static void open_tag(struct buf *b, const struct cnode *n, const char *attr)
{
    buf_printf(b, "<%s%s%s>", n->sch->name, attr ? " " : "", attr ? attr : "");
    if (n->sch->kind == SCH_LIST)
        for (const struct cnode *c = n->child; c; c = c->next)
            if (c->sch->flags & SCHF_KEY) {
                buf_printf(b, "<%s>", c->sch->name);
                put_text(b, c->value);
                buf_printf(b, "</%s>", c->sch->name);
            }
}

/* The whole statement n (used for additions and changes). */
static void full(struct buf *b, const struct cnode *n, const char *attr)
{
    if (n->sch->kind == SCH_LEAF || n->sch->kind == SCH_LEAFLIST) {
        buf_printf(b, "<%s%s%s>", n->sch->name, attr ? " " : "", attr ? attr : "");
        put_text(b, n->value ? n->value : "");
        buf_printf(b, "</%s>", n->sch->name);
        return;
    }
    open_tag(b, n, attr);
    for (const struct cnode *c = n->child; c; c = c->next)
        if (!(c->sch->flags & SCHF_KEY))
            full(b, c, NULL);
    buf_printf(b, "</%s>", n->sch->name);
}

/* Only the identity of n, marked for deletion. */
static void gone(struct buf *b, const struct cnode *n)
{
    if (n->sch->kind == SCH_LEAFLIST) {
        buf_printf(b, "<%s delete=\"delete\">", n->sch->name);
        put_text(b, n->value);
        buf_printf(b, "</%s>", n->sch->name);
    } else if (n->sch->kind == SCH_LIST) {
        open_tag(b, n, "delete=\"delete\"");
        buf_printf(b, "</%s>", n->sch->name);
    } else {
        buf_printf(b, "<%s delete=\"delete\"/>", n->sch->name);
    }
}

static const struct cnode *same(const struct cnode *parent, const struct cnode *like)
{
    return parent ? cnode_find_like(parent, like) : NULL;
}

static size_t walk(struct buf *b, const struct cnode *old, const struct cnode *new)
{
    size_t n = 0;

    for (const struct cnode *c = old ? old->child : NULL; c; c = c->next)
        if (!(c->sch->flags & SCHF_KEY) && same(new, c) == NULL) {
            gone(b, c);
            n++;
        }
    for (const struct cnode *c = new ? new->child : NULL; c; c = c->next) {
        const struct cnode *o;
        if (c->sch->flags & SCHF_KEY)
            continue;
        o = same(old, c);
        if (o && cnode_equal(o, c))
            continue;
        if (o == NULL || c->sch->kind == SCH_LEAF || c->sch->kind == SCH_LEAFLIST ||
            c->sch->kind == SCH_FLAG || o->inactive != c->inactive) {
            full(b, c, "replace=\"replace\"");
            n++;
        } else {
            struct buf inner;
            size_t k;
            buf_init(&inner);
            k = walk(&inner, o, c);
            if (k) {
                open_tag(b, c, NULL);
                buf_add(b, inner.s, inner.len);
                buf_printf(b, "</%s>", c->sch->name);
            }
            n += k;
            buf_free(&inner);
        }
    }
    return n;
}

size_t conf_diff_xml(struct buf *b, const struct cnode *old, const struct cnode *new)
{
    struct buf inner;
    size_t n;

    buf_init(&inner);
    n = walk(&inner, old, new);
    buf_puts(b, "<configuration>");
    if (inner.s)
        buf_add(b, inner.s, inner.len);
    buf_puts(b, "</configuration>\n");
    buf_free(&inner);
    return n;
}

/* ---------- applying ---------- */

static int has_attr(xmlNodePtr e, const char *name, const char *value)
{
    xmlChar *v = xmlGetProp(e, (const xmlChar *)name);
    int r = v && strcmp((const char *)v, value) == 0;

    xmlFree(v);
    return r;
}

static char *child_value(xmlNodePtr e, const char *name)
{
    for (xmlNodePtr c = e->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return (char *)xmlNodeGetContent(c);
    return NULL;
}

static int apply(struct cnode *dst, xmlNodePtr parent, char *err, size_t errlen)
{
    for (xmlNodePtr e = parent->children; e; e = e->next) {
        const struct sch_node *s;
        struct cnode *n;
        char *keys[8] = {0};
        const char *kp[8];
        int del, rep, rc = 0;

        if (e->type != XML_ELEMENT_NODE)
            continue;
        s = sch_child(dst->sch, (const char *)e->name);
        if (s == NULL) {
            snprintf(err, errlen, "unknown statement '%s' under '%s'", (const char *)e->name,
                     dst->sch->name);
            return -1;
        }
        if (s->flags & SCHF_KEY)
            continue;
        del = has_attr(e, "delete", "delete");
        rep = has_attr(e, "replace", "replace");
        if (s->kind == SCH_LIST) {
            for (size_t i = 0; i < s->nkeys && i < 8; i++) {
                keys[i] = child_value(e, s->keys[i]->name);
                if (keys[i] == NULL) {
                    snprintf(err, errlen, "'%s' without its key '%s'", s->name, s->keys[i]->name);
                    rc = -1;
                }
                kp[i] = keys[i];
            }
        } else if (s->kind == SCH_LEAFLIST) {
            keys[0] = (char *)xmlNodeGetContent(e);
            kp[0] = keys[0];
        }
        if (rc == 0) {
            n = cnode_find(dst, s, kp);
            if (del || (rep && s->kind != SCH_LEAF)) {
                cnode_free(n);
                n = NULL;
            }
            if (!del) {
                if (s->kind == SCH_LEAF) {
                    xmlChar *v = xmlNodeGetContent(e);
                    cnode_set_leaf(dst, s, (const char *)v);
                    xmlFree(v);
                } else {
                    n = cnode_get(dst, s, kp);
                    if (s->kind != SCH_LEAFLIST && s->kind != SCH_FLAG)
                        rc = apply(n, e, err, errlen);
                }
            }
        }
        for (size_t i = 0; i < 8; i++)
            xmlFree(keys[i]);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int conf_apply_diff_xml(struct cnode *root, const char *xml, char *err, size_t errlen)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "diff.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNodePtr r = doc ? xmlDocGetRootElement(doc) : NULL;
    int rc;

    while (r && strcmp((const char *)r->name, "configuration") != 0) {
        xmlNodePtr c;
        for (c = r->children; c && c->type != XML_ELEMENT_NODE; c = c->next)
            ;
        r = c;
    }
    if (r == NULL) {
        snprintf(err, errlen, "malformed configuration diff");
        xmlFreeDoc(doc);
        return -1;
    }
    rc = apply(root, r, err, errlen);
    xmlFreeDoc(doc);
    return rc;
}
