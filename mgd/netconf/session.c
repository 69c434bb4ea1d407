/*
 * session.c: one message from the client.  The first must be its
 * <hello>; then each <rpc> (RFC 6241 section 4.1) is answered in order:
 * the operation is the rpc's first element child, matched by local name
 * whatever namespace the client put it in (ncclient sends Junos RPCs in
 * the base namespace, PyEZ in none, Ansible prefixed).
 */
#include "netconf.h"

#include <libxml/parser.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hello(struct nc *nc, const char *msg, size_t len)
{
    int b10, b11;
    const char *why;

    if (hello_client(msg, len, &b10, &b11, &why) < 0 || (!b10 && !nc->base11)) {
        fprintf(stderr, "netconf: %s\n",
                b10 || b11 ? "the client speaks only base:1.1, disabled here" : why);
        nc->done = 1;
        return;
    }
    nc->hello_done = 1;
    nc->fr.chunked = b11 && nc->base11;
}

static void error_reply(struct nc *nc, xmlNodePtr rpc, const char *type, const char *tag,
                        const char *msg, const char *info)
{
    struct buf b;

    buf_init(&b);
    rpc_error(&b, type, tag, "error", NULL, msg, info);
    reply_write(nc, rpc, b.s);
    buf_free(&b);
}

void session_message(struct nc *nc, const char *msg, size_t len)
{
    xmlDocPtr doc;
    xmlNodePtr r, op = NULL;
    struct rpcctx c;

    if (!nc->hello_done) {
        hello(nc, msg, len);
        return;
    }
    while (len && (*msg == ' ' || *msg == '\n' || *msg == '\r' || *msg == '\t'))
        msg++, len--;
    doc = xmlReadMemory(msg, (int)len, "rpc.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    r = doc ? xmlDocGetRootElement(doc) : NULL;
    if (r == NULL) {
        /* malformed-message is base:1.1's; a 1.0 peer gets operation-failed */
        error_reply(nc, NULL, "rpc", nc->fr.chunked ? "malformed-message" : "operation-failed",
                    "the message is not well-formed XML", NULL);
        xmlFreeDoc(doc);
        return;
    }
    if (!xname(r, "rpc")) {
        error_reply(nc, NULL, "protocol", "unknown-element",
                    xname(r, "hello") ? "a second <hello>" : "<rpc> expected",
                    "<bad-element>rpc</bad-element>");
        xmlFreeDoc(doc);
        return;
    }
    if (!xmlHasProp(r, (const xmlChar *)"message-id")) {
        error_reply(nc, r, "rpc", "missing-attribute", "the rpc has no message-id",
                    "<bad-attribute>message-id</bad-attribute><bad-element>rpc</bad-element>");
        xmlFreeDoc(doc);
        return;
    }
    for (op = r->children; op && op->type != XML_ELEMENT_NODE; op = op->next)
        ;
    if (op == NULL) {
        error_reply(nc, r, "protocol", "missing-element", "the rpc names no operation",
                    "<bad-element>rpc</bad-element>");
        xmlFreeDoc(doc);
        return;
    }
    c.rpc = r;
    c.op = op;
    buf_init(&c.body);
    if (!std_op(nc, &c))
        junos_op(nc, &c);
    reply_write(nc, r, c.body.s);
    buf_free(&c.body);
    xmlFreeDoc(doc);
}
