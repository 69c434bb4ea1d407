/*
 * xmlout.c: `| display xml` and `| display json` of a reply.
 *
 * XML: the reply itself, indented 4 spaces per level as Junos prints it
 * (junos.md 5.11), including Junos's quirk of indenting the statements
 * under <configuration> by 4 more, and closed by <cli><banner> with the
 * configuration-mode banner (empty in operational mode).  The output of a
 * configuration-mode `show | display xml` arrives as text inside <output>:
 * it is parsed and printed in place.
 *
 * JSON: Junos's shape for operational replies: every element is an array
 * of objects, text in "data", attributes in "attributes", same-named
 * siblings grouped into one array; an empty element is [null].
 */
#include "cli.h"

#include <libxml/parser.h>

#include <stdlib.h>
#include <string.h>

struct nsseen {
    const xmlChar *prefix, *href;
    const struct nsseen *up;
};

static int ns_known(const struct nsseen *s, xmlNsPtr ns)
{
    for (; s; s = s->up)
        if (xmlStrEqual(s->prefix, ns->prefix) && xmlStrEqual(s->href, ns->href))
            return 1;
    return 0;
}

static int blank(const xmlChar *s)
{
    for (; s && *s; s++)
        if (!strchr(" \t\r\n", *s))
            return 0;
    return 1;
}

static int has_elements(xmlNodePtr n)
{
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return 1;
    return 0;
}

static void qname(struct buf *b, xmlNsPtr ns, const xmlChar *name)
{
    if (ns && ns->prefix)
        buf_printf(b, "%s:", (const char *)ns->prefix);
    buf_puts(b, (const char *)name);
}

static void print_el(struct buf *b, xmlNodePtr n, int indent, const struct nsseen *up);

/* <output> of configuration mode holding XML text: print the document. */
static int print_output_xml(struct buf *b, xmlNodePtr n, int indent, const struct nsseen *up)
{
    char *t = xcontent(n);
    xmlDocPtr doc = NULL;
    const char *p = t;

    while (*p == ' ' || *p == '\n')
        p++;
    if (*p == '<')
        doc = xmlReadMemory(p, (int)strlen(p), "output.xml", NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    free(t);
    if (doc == NULL)
        return 0;
    print_el(b, xmlDocGetRootElement(doc), indent, up);
    xmlFreeDoc(doc);
    return 1;
}

static void print_el(struct buf *b, xmlNodePtr n, int indent, const struct nsseen *up)
{
    struct nsseen here[8];
    const struct nsseen *top = up;
    int k = 0, sub = indent + 4;

    buf_indent(b, indent);
    buf_putc(b, '<');
    qname(b, n->ns, n->name);
    for (xmlNsPtr ns = n->nsDef; ns; ns = ns->next) {
        if (ns_known(top, ns))
            continue;
        buf_puts(b, ns->prefix ? " xmlns:" : " xmlns");
        if (ns->prefix)
            buf_puts(b, (const char *)ns->prefix);
        buf_puts(b, "=\"");
        xml_esc(b, (const char *)ns->href, 1);
        buf_putc(b, '"');
        if (k < 8) {
            here[k] = (struct nsseen){ns->prefix, ns->href, top};
            top = &here[k++];
        }
    }
    for (xmlAttrPtr a = n->properties; a; a = a->next) {
        xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
        buf_putc(b, ' ');
        qname(b, a->ns, a->name);
        buf_puts(b, "=\"");
        xml_esc(b, v ? (const char *)v : "", 1);
        buf_putc(b, '"');
        xmlFree(v);
    }
    if (!has_elements(n)) {
        char *t = xcontent(n);
        if (blank((const xmlChar *)t)) {
            buf_puts(b, "/>\n");
        } else {
            buf_putc(b, '>');
            xml_esc(b, t, 0);
            buf_puts(b, "</");
            qname(b, n->ns, n->name);
            buf_puts(b, ">\n");
        }
        free(t);
        return;
    }
    buf_puts(b, ">\n");
    /* Junos indents the statements under <configuration> by 4 more */
    if (strcmp((const char *)n->name, "configuration") == 0)
        sub += 4;
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            print_el(b, c, sub, top);
    buf_indent(b, indent);
    buf_puts(b, "</");
    qname(b, n->ns, n->name);
    buf_puts(b, ">\n");
}

static int control(const xmlChar *name)
{
    const char *s = (const char *)name;

    return !strcmp(s, "edit-path") || !strcmp(s, "error-column") || !strcmp(s, "confirm") ||
           !strcmp(s, "mode");
}

void xml_display(struct buf *b, xmlNodePtr reply, const char *banner)
{
    struct nsseen here[8];
    const struct nsseen *top = NULL;
    int k = 0;

    if (reply == NULL)
        return;
    if (strcmp((const char *)reply->name, "rpc-reply") != 0) {
        print_el(b, reply, 0, NULL);
        return;
    }
    buf_puts(b, "<rpc-reply");
    for (xmlNsPtr ns = reply->nsDef; ns; ns = ns->next) {
        buf_printf(b, " xmlns%s%s=\"", ns->prefix ? ":" : "",
                   ns->prefix ? (const char *)ns->prefix : "");
        xml_esc(b, (const char *)ns->href, 1);
        buf_putc(b, '"');
        if (k < 8) {
            here[k] = (struct nsseen){ns->prefix, ns->href, top};
            top = &here[k++];
        }
    }
    buf_puts(b, ">\n");
    for (xmlNodePtr c = reply->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || control(c->name))
            continue;
        if (strcmp((const char *)c->name, "output") == 0 && print_output_xml(b, c, 4, top))
            continue;
        print_el(b, c, 4, top);
    }
    buf_printf(b, "    <cli>\n        <banner>%s</banner>\n    </cli>\n", banner ? banner : "");
    buf_puts(b, "</rpc-reply>\n");
}

/* ---------- JSON ---------- */

static void json_str(struct buf *b, const char *s)
{
    buf_putc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            buf_printf(b, "\\%c", c);
        else if (c == '\n')
            buf_puts(b, "\\n");
        else if (c < 0x20)
            buf_printf(b, "\\u%04x", c);
        else
            buf_putc(b, (char)c);
    }
    buf_putc(b, '"');
}

static int empty_el(xmlNodePtr n)
{
    char *t;
    int e;

    if (n->properties || has_elements(n))
        return 0;
    t = xcontent(n);
    e = blank((const xmlChar *)t);
    free(t);
    return e;
}

static void json_members(struct buf *b, xmlNodePtr parent, int indent);

static void json_object(struct buf *b, xmlNodePtr n, int indent)
{
    int first = 1;

    buf_indent(b, indent);
    buf_puts(b, "{\n");
    if (!has_elements(n)) {
        char *t = xcontent(n);
        if (!blank((const xmlChar *)t)) {
            buf_indent(b, indent + 4);
            buf_puts(b, "\"data\" : ");
            json_str(b, t);
            first = 0;
        }
        free(t);
    }
    if (n->properties) {
        int afirst = 1;
        buf_puts(b, first ? "" : ",\n");
        buf_indent(b, indent + 4);
        buf_puts(b, "\"attributes\" : {");
        for (xmlAttrPtr a = n->properties; a; a = a->next) {
            xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
            struct buf name;
            buf_init(&name);
            qname(&name, a->ns, a->name);
            buf_puts(b, afirst ? "" : ", ");
            json_str(b, name.s);
            buf_puts(b, " : ");
            json_str(b, v ? (const char *)v : "");
            buf_free(&name);
            xmlFree(v);
            afirst = 0;
        }
        buf_putc(b, '}');
        first = 0;
    }
    if (has_elements(n)) {
        buf_puts(b, first ? "" : ",\n");
        json_members(b, n, indent + 4);
        first = 0;
    }
    buf_puts(b, first ? "" : "\n");
    buf_indent(b, indent);
    buf_putc(b, '}');
}

/* The element children of parent, grouped by name, as members. */
static void json_members(struct buf *b, xmlNodePtr parent, int indent)
{
    int first = 1;

    for (xmlNodePtr c = parent->children; c; c = c->next) {
        int seen = 0, count = 0;
        if (c->type != XML_ELEMENT_NODE || control(c->name))
            continue;
        for (xmlNodePtr p = parent->children; p != c; p = p->next)
            if (p->type == XML_ELEMENT_NODE && xmlStrEqual(p->name, c->name))
                seen = 1;
        if (seen)
            continue;
        for (xmlNodePtr p = c; p; p = p->next)
            if (p->type == XML_ELEMENT_NODE && xmlStrEqual(p->name, c->name))
                count++;
        buf_puts(b, first ? "" : ",\n");
        first = 0;
        buf_indent(b, indent);
        json_str(b, (const char *)c->name);
        if (count == 1 && empty_el(c)) {
            buf_puts(b, " : [null]");
            continue;
        }
        buf_puts(b, " : [\n");
        for (xmlNodePtr p = c; p; p = p->next) {
            if (p->type != XML_ELEMENT_NODE || !xmlStrEqual(p->name, c->name))
                continue;
            json_object(b, p, indent);
            buf_puts(b, --count ? ",\n" : "\n");
        }
        buf_indent(b, indent);
        buf_putc(b, ']');
    }
}

void json_display(struct buf *b, xmlNodePtr reply)
{
    if (reply == NULL)
        return;
    buf_puts(b, "{\n");
    json_members(b, reply, 4);
    buf_puts(b, "\n}\n");
}
