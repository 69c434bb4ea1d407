/*
 * hello.c: the capability exchange (RFC 6241 section 8.1).  The server
 * sends its hello at once, end-of-message framed, with its session-id; the
 * client's hello must not carry one.  Chunked framing follows when both
 * listed base:1.1.  The capabilities are Junos's (reference/netconf.md
 * 2.1), in both the urn:ietf:params:netconf and the older
 * urn:ietf:params:xml:ns:netconf spellings, and the Junos URI that
 * Ansible's network-OS guess looks for.
 */
#include "netconf.h"

#include <libxml/parser.h>

#include <string.h>

static const char *const caps[] = {
    "urn:ietf:params:netconf:capability:candidate:1.0",
    "urn:ietf:params:netconf:capability:confirmed-commit:1.0",
    "urn:ietf:params:netconf:capability:validate:1.0",
    "urn:ietf:params:xml:ns:netconf:base:1.0",
    "urn:ietf:params:xml:ns:netconf:capability:candidate:1.0",
    "urn:ietf:params:xml:ns:netconf:capability:confirmed-commit:1.0",
    "urn:ietf:params:xml:ns:netconf:capability:validate:1.0",
    "http://xml.juniper.net/netconf/junos/1.0",
    "http://xml.juniper.net/dmi/system/1.0",
    NULL,
};

void hello_server(struct buf *b, const struct nc *nc)
{
    buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hello xmlns=\"" NC_NS "\">\n"
                "  <capabilities>\n    <capability>" NC_BASE10 "</capability>\n");
    if (nc->base11)
        buf_puts(b, "    <capability>" NC_BASE11 "</capability>\n");
    for (size_t i = 0; caps[i]; i++)
        buf_printf(b, "    <capability>%s</capability>\n", caps[i]);
    buf_printf(b, "  </capabilities>\n  <session-id>%u</session-id>\n</hello>\n", nc->session_id);
}

int hello_client(const char *msg, size_t len, int *base10, int *base11, const char **why)
{
    xmlDocPtr doc;
    xmlNodePtr r, caps_el;
    int b10 = 0, b11 = 0;

    while (len && (*msg == ' ' || *msg == '\n' || *msg == '\r' || *msg == '\t'))
        msg++, len--;
    doc = xmlReadMemory(msg, (int)len, "hello.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    r = doc ? xmlDocGetRootElement(doc) : NULL;
    *base10 = *base11 = 0;
    if (r == NULL || !xname(r, "hello")) {
        *why = "the first message is not a <hello>";
        xmlFreeDoc(doc);
        return -1;
    }
    if (xkid(r, "session-id")) {
        *why = "a client hello must not carry a session-id";
        xmlFreeDoc(doc);
        return -1;
    }
    caps_el = xkid(r, "capabilities");
    for (xmlNodePtr c = caps_el ? caps_el->children : NULL; c; c = c->next) {
        xmlChar *t;
        if (!xname(c, "capability"))
            continue;
        t = xmlNodeGetContent(c);
        /* surrounding whitespace is not part of the URI */
        {
            char *s = (char *)t, *e;
            while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
                s++;
            e = s + strlen(s);
            while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' || e[-1] == '\r'))
                *--e = '\0';
            b10 |= strcmp(s, NC_BASE10) == 0;
            b11 |= strcmp(s, NC_BASE11) == 0;
        }
        xmlFree(t);
    }
    xmlFreeDoc(doc);
    if (!b10 && !b11) {
        *why = "the client shares no base protocol version (base:1.0 or base:1.1)";
        return -1;
    }
    *base10 = b10;
    *base11 = b11;
    return 0;
}
