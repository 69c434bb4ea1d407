/*
 * filter.c: subtree filtering (RFC 6241 section 6) of a configuration.
 * Elements match by local name, whatever namespace the client used.  In
 * a filter element's children:
 *   - an element with text only is a content match node: the data
 *     element must have a child of that name with that text (list keys:
 *     <interface><name>ge-0/0/0</name></interface>);
 *   - an empty element is a selection node: that child, whole;
 *   - an element with element children is a containment node, filtered
 *     recursively.
 * When all children of a filter element are content match nodes that
 * match, the whole data element is selected.
 */
#include "netconf.h"

#include <libxml/parser.h>

#include <stdlib.h>
#include <string.h>

static int has_elements(xmlNodePtr n)
{
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return 1;
    return 0;
}

/* Text of n without surrounding whitespace, malloc'ed; NULL if blank. */
static char *trimmed(xmlNodePtr n)
{
    xmlChar *t = xmlNodeGetContent(n);
    char *s = (char *)t, *e, *r;

    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    r = e > s ? strndup(s, (size_t)(e - s)) : NULL;
    xmlFree(t);
    return r;
}

static int is_content_match(xmlNodePtr f)
{
    char *t;

    if (has_elements(f))
        return 0;
    t = trimmed(f);
    free(t);
    return t != NULL;
}

static int text_equals(xmlNodePtr d, xmlNodePtr f)
{
    char *a = trimmed(d), *b = trimmed(f);
    int eq = a && b && strcmp(a, b) == 0;

    free(a);
    free(b);
    return eq;
}

static int content_matches(xmlNodePtr d, xmlNodePtr f)
{
    for (xmlNodePtr c = d->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE &&
            strcmp((const char *)c->name, (const char *)f->name) == 0 && text_equals(c, f))
            return 1;
    return 0;
}

xmlNodePtr filter_subtree(xmlNodePtr d, xmlNodePtr f)
{
    int others = 0;
    xmlNodePtr out;

    for (xmlNodePtr fc = f->children; fc; fc = fc->next) {
        if (fc->type != XML_ELEMENT_NODE)
            continue;
        if (is_content_match(fc)) {
            if (!content_matches(d, fc))
                return NULL;
        } else {
            others = 1;
        }
    }
    if (!others) /* a selection node, or content matches only */
        return xmlDocCopyNode(d, d->doc, 1);
    out = xmlDocCopyNode(d, d->doc, 2); /* the element and its attributes */
    for (xmlNodePtr dc = d->children; dc; dc = dc->next) {
        if (dc->type != XML_ELEMENT_NODE)
            continue;
        for (xmlNodePtr fc = f->children; fc; fc = fc->next) {
            xmlNodePtr r = NULL;
            if (fc->type != XML_ELEMENT_NODE ||
                strcmp((const char *)fc->name, (const char *)dc->name) != 0)
                continue;
            if (is_content_match(fc))
                r = text_equals(dc, fc) ? xmlDocCopyNode(dc, d->doc, 1) : NULL;
            else
                r = filter_subtree(dc, fc);
            if (r) {
                xmlAddChild(out, r);
                break;
            }
        }
    }
    if (!has_elements(out)) {
        xmlFreeNode(out);
        return NULL;
    }
    return out;
}

void filter_configuration(struct buf *b, const char *payload, xmlNodePtr filter)
{
    xmlDocPtr doc = xmlReadMemory(payload, (int)strlen(payload), "conf.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNodePtr r = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNodePtr conf = r ? xkid(r, "configuration") : NULL, sel = NULL;
    xmlBufferPtr xb;

    if (conf == NULL) {
        xmlFreeDoc(doc);
        return;
    }
    if (filter == NULL) {
        sel = xmlDocCopyNode(conf, doc, 1);
    } else {
        for (xmlNodePtr fc = filter->children; fc && !sel; fc = fc->next)
            if (xname(fc, "configuration"))
                sel = has_elements(fc) ? filter_subtree(conf, fc) : xmlDocCopyNode(conf, doc, 1);
    }
    if (sel) {
        xb = xmlBufferCreate();
        xmlNodeDump(xb, doc, sel, 0, 0);
        buf_puts(b, (const char *)xmlBufferContent(xb));
        buf_puts(b, "\n");
        xmlBufferFree(xb);
        xmlFreeNode(sel);
    }
    xmlFreeDoc(doc);
}
