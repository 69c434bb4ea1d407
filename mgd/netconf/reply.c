/*
 * reply.c: <rpc-reply> envelopes (RFC 6241 section 4.2): every attribute
 * of the <rpc>, namespace declarations included, is copied onto the
 * reply, which is in the base namespace and declares the junos prefix.
 * mgd answers in the Junos XML API: its <xnm:error> and <xnm:warning>
 * elements (anywhere in the reply, e.g. inside <commit-results>) become
 * <rpc-error>s: error-type, error-tag, error-severity, error-path (the
 * [edit ...] banner), error-message, error-info/bad-element.
 */
#include "netconf.h"

#include <libxml/parser.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XNM_NS "http://xml.juniper.net/xnm/1.1/xnm"

int xname(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

xmlNodePtr xkid(xmlNodePtr n, const char *name)
{
    for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
        if (xname(c, name))
            return c;
    return NULL;
}

void xesc(struct buf *b, const char *s)
{
    xmlChar *e = xmlEncodeSpecialChars(NULL, (const xmlChar *)(s ? s : ""));

    buf_puts(b, (const char *)e);
    xmlFree(e);
}

static void strip(xmlNodePtr n)
{
    n->ns = NULL;
    if (n->nsDef) {
        xmlFreeNsList(n->nsDef);
        n->nsDef = NULL;
    }
    for (xmlAttrPtr a = n->properties; a; a = a->next)
        a->ns = NULL;
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            strip(c);
}

void xml_plain(struct buf *b, xmlNodePtr n)
{
    xmlNodePtr copy = xmlDocCopyNode(n, n->doc, 1);
    xmlBufferPtr xb = xmlBufferCreate();

    strip(copy);
    xmlNodeDump(xb, n->doc, copy, 0, 0);
    buf_puts(b, (const char *)xmlBufferContent(xb));
    xmlBufferFree(xb);
    xmlFreeNode(copy);
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(0); /* the client is gone */
        p += w;
        n -= (size_t)w;
    }
}

void reply_write(struct nc *nc, xmlNodePtr rpc, const char *body)
{
    struct buf b, f;
    int has_default = 0, has_junos = 0;

    buf_init(&b);
    buf_init(&f);
    buf_puts(&b, "<rpc-reply");
    for (xmlNsPtr ns = rpc ? rpc->nsDef : NULL; ns; ns = ns->next) {
        if (ns->prefix == NULL) {
            /* a default namespace other than NETCONF's would move the reply */
            if (strcmp((const char *)ns->href, NC_NS) != 0)
                continue;
            has_default = 1;
            buf_puts(&b, " xmlns=\"");
        } else {
            has_junos |= strcmp((const char *)ns->prefix, "junos") == 0;
            buf_printf(&b, " xmlns:%s=\"", (const char *)ns->prefix);
        }
        xesc(&b, (const char *)ns->href);
        buf_puts(&b, "\"");
    }
    if (!has_default)
        buf_puts(&b, " xmlns=\"" NC_NS "\"");
    if (!has_junos)
        buf_puts(&b, " xmlns:junos=\"" JUNOS_NS "\"");
    for (xmlAttrPtr a = rpc ? rpc->properties : NULL; a; a = a->next) {
        xmlChar *v = xmlNodeListGetString(rpc->doc, a->children, 1);
        if (a->ns && a->ns->prefix)
            buf_printf(&b, " %s:%s=\"", (const char *)a->ns->prefix, (const char *)a->name);
        else
            buf_printf(&b, " %s=\"", (const char *)a->name);
        xesc(&b, (const char *)v);
        buf_puts(&b, "\"");
        xmlFree(v);
    }
    buf_puts(&b, ">\n");
    buf_puts(&b, body ? body : "");
    buf_puts(&b, "</rpc-reply>\n");
    frame_put(&f, nc->fr.chunked, b.s, b.len);
    write_all(nc->out, f.s, f.len);
    buf_free(&b);
    buf_free(&f);
}

void rpc_error(struct buf *b, const char *type, const char *tag, const char *severity,
               const char *path, const char *message, const char *info)
{
    buf_printf(b, "<rpc-error>\n<error-type>%s</error-type>\n<error-tag>%s</error-tag>\n", type,
               tag);
    buf_printf(b, "<error-severity>%s</error-severity>\n", severity);
    if (path) {
        buf_puts(b, "<error-path>");
        xesc(b, path);
        buf_puts(b, "</error-path>\n");
    }
    if (message) {
        buf_puts(b, "<error-message>");
        xesc(b, message);
        buf_puts(b, "</error-message>\n");
    }
    if (info)
        buf_printf(b, "<error-info>%s</error-info>\n", info);
    buf_puts(b, "</rpc-error>\n");
}

static int is_xnm(xmlNodePtr n)
{
    return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *)n->ns->href, XNM_NS) == 0 &&
           (xname(n, "error") || xname(n, "warning"));
}

static char *kid_text(xmlNodePtr n, const char *name)
{
    xmlNodePtr k = xkid(n, name);

    return k ? (char *)xmlNodeGetContent(k) : NULL;
}

/* The rpc-error element for mgd's xnm:error n (in n's document). */
static xmlNodePtr convert(xmlNodePtr n)
{
    char *tag = kid_text(n, "error-tag"), *path = kid_text(n, "edit-path");
    char *stmt = kid_text(n, "statement"), *bad = kid_text(n, "bad-element");
    char *msg = kid_text(n, "message"), *sid = kid_text(n, "session-id");
    const char *m = msg ? msg : "";
    const char *t = tag                              ? tag
                    : strstr(m, "permission denied") ? "access-denied"
                                                     : "operation-failed";
    int protocol = strcmp(t, "lock-denied") == 0 || strcmp(t, "operation-not-supported") == 0 ||
                   strcmp(t, "access-denied") == 0;
    xmlNodePtr e = xmlNewDocNode(n->doc, NULL, (const xmlChar *)"rpc-error", NULL), info;

    if (strncmp(m, "error: ", 7) == 0)
        m += 7;
    xmlNewTextChild(e, NULL, (const xmlChar *)"error-type",
                    (const xmlChar *)(protocol ? "protocol" : "application"));
    xmlNewTextChild(e, NULL, (const xmlChar *)"error-tag", (const xmlChar *)t);
    xmlNewTextChild(e, NULL, (const xmlChar *)"error-severity",
                    (const xmlChar *)(xname(n, "warning") ? "warning" : "error"));
    if (path)
        xmlNewTextChild(e, NULL, (const xmlChar *)"error-path", (const xmlChar *)path);
    xmlNewTextChild(e, NULL, (const xmlChar *)"error-message", (const xmlChar *)m);
    if (stmt || bad || sid) {
        info = xmlNewChild(e, NULL, (const xmlChar *)"error-info", NULL);
        if (stmt || bad)
            xmlNewTextChild(info, NULL, (const xmlChar *)"bad-element",
                            (const xmlChar *)(stmt ? stmt : bad));
        if (sid)
            xmlNewTextChild(info, NULL, (const xmlChar *)"session-id", (const xmlChar *)sid);
    }
    xmlFree(tag);
    xmlFree(path);
    xmlFree(stmt);
    xmlFree(bad);
    xmlFree(msg);
    xmlFree(sid);
    return e;
}

/* Replace every xnm:error/warning under n; count errors and warnings. */
static void convert_all(xmlNodePtr n, int *errors, int *warnings)
{
    xmlNodePtr c = n->children, next;

    for (; c; c = next) {
        next = c->next;
        if (is_xnm(c)) {
            xmlNodePtr e = convert(c);
            if (xname(c, "warning"))
                (*warnings)++;
            else
                (*errors)++;
            xmlReplaceNode(c, e);
            xmlFreeNode(c);
        } else if (c->type == XML_ELEMENT_NODE) {
            convert_all(c, errors, warnings);
        }
    }
}

static void dump(struct buf *b, xmlNodePtr n)
{
    xmlBufferPtr xb = xmlBufferCreate();

    xmlNodeDump(xb, n->doc, n, 0, 0);
    buf_puts(b, (const char *)xmlBufferContent(xb));
    buf_puts(b, "\n");
    xmlBufferFree(xb);
}

/* Every rpc-error under n, in document order. */
static void dump_errors(struct buf *b, xmlNodePtr n)
{
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (xname(c, "rpc-error") && c->ns == NULL)
            dump(b, c);
        else if (c->type == XML_ELEMENT_NODE)
            dump_errors(b, c);
    }
}

int relay_reply(struct buf *b, const char *payload, enum relay how)
{
    xmlDocPtr doc = xmlReadMemory(payload, (int)strlen(payload), "reply.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNodePtr r = doc ? xmlDocGetRootElement(doc) : NULL;
    int errors = 0, warnings = 0, any = 0;

    if (r == NULL) {
        rpc_error(b, "application", "operation-failed", "error", NULL,
                  "mgd sent a reply that is not XML", NULL);
        xmlFreeDoc(doc);
        return 1;
    }
    convert_all(r, &errors, &warnings);
    if (how == RELAY_OK || errors) {
        dump_errors(b, r);
        if (!errors)
            buf_puts(b, "<ok/>\n");
    } else {
        for (xmlNodePtr c = r->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE) {
                dump(b, c);
                any |= !xname(c, "rpc-error");
            }
        if (!any)
            buf_puts(b, "<ok/>\n");
    }
    xmlFreeDoc(doc);
    return errors;
}
