/*
 * netconf.h: the NETCONF front end (docs/netconf.md).  OpenSSH starts
 * `netconf` as its "netconf" subsystem, one process per session; it speaks
 * RFC 6241/6242 on standard input and output and relays every operation
 * to mgd over ROOT/mgd.sock (lib/ipc.h), as a NETCONF session of the
 * Junos XML API (mgd/xml_session.c).  It holds no configuration.
 *
 *   frame.c    end-of-message and chunked framing (RFC 6242 section 4)
 *   hello.c    the capability exchange
 *   reply.c    <rpc-reply> envelopes, <rpc-error>, mgd replies translated
 *   filter.c   subtree filtering (RFC 6241 section 6)
 *   ops.c      the standard operations, mapped to the Junos XML API
 *   junos.c    Junos RPCs: command (text through the CLI), the others relayed
 *   mgdlink.c  the connection to mgd
 *   session.c  one message: dispatch by the operation's local name
 *   main.c     arguments, the loop
 */
#ifndef OPENSG_NETCONF_H
#define OPENSG_NETCONF_H

#include "buf.h"

#include <libxml/tree.h>

#include <stddef.h>
#include <stdint.h>

#define NC_NS "urn:ietf:params:xml:ns:netconf:base:1.0"
#define NC_BASE10 "urn:ietf:params:netconf:base:1.0"
#define NC_BASE11 "urn:ietf:params:netconf:base:1.1"
#define JUNOS_NS "http://xml.juniper.net/junos/*/junos"
#define NC_MAX_MESSAGE (64u << 20)

/* ---- frame.c ---- */
struct framer {
    struct buf in; /* bytes received, not yet consumed */
    size_t off;    /* consumed prefix of in */
    int chunked;   /* 0: ]]>]]> (base:1.0), 1: chunked (base:1.1) */
};
void frame_init(struct framer *f);
void frame_free(struct framer *f);
void frame_feed(struct framer *f, const void *p, size_t n);
/* The next whole message: 1 and *msg (malloc'ed, NUL-terminated, *len
 * bytes), 0 when more bytes are needed, -1 on a framing error (err says
 * why).  With `either`, a chunked message is accepted in EOM mode too
 * (a client's hello sent chunked, ncclient#524). */
int frame_next(struct framer *f, int either, char **msg, size_t *len, const char **err);
/* Append msg framed for the mode. */
void frame_put(struct buf *out, int chunked, const char *msg, size_t len);

/* ---- the session ---- */
struct nc {
    int in, out;         /* the NETCONF stream */
    int mgd;             /* mgd.sock, -1 when lost */
    uint32_t next_id;    /* IPC request ids */
    unsigned session_id; /* mgd's, or the pid when mgd refused the session */
    int base11;          /* advertise base:1.1 */
    int hello_done;      /* the client's hello was received */
    int done;            /* close-session answered, or a fatal error */
    struct framer fr;
    const char *root; /* mgd's root */
    const char *cli;  /* the CLI, for text output of commands */
};

/* ---- hello.c ---- */
void hello_server(struct buf *b, const struct nc *nc);
/* Check a client hello: 0 and which base versions it lists, or -1 with a
 * reason. */
int hello_client(const char *msg, size_t len, int *base10, int *base11, const char **why);

/* ---- mgdlink.c ---- */
int mgd_connect(struct nc *nc, const char *root);
/* Send <rpc>body</rpc>; the reply's payload (malloc'ed) or NULL when the
 * connection is lost. */
char *mgd_call(struct nc *nc, const char *body);

/* ---- reply.c ---- */
struct rpcctx {
    xmlNodePtr rpc;  /* the client's <rpc> */
    xmlNodePtr op;   /* its operation element */
    struct buf body; /* reply content */
};
/* The <rpc-reply> for rpc around body, framed, written out. */
void reply_write(struct nc *nc, xmlNodePtr rpc, const char *body);
/* Append an <rpc-error>. */
void rpc_error(struct buf *b, const char *type, const char *tag, const char *severity,
               const char *path, const char *message, const char *info);
/* How mgd's reply becomes the body: RELAY_DATA copies its elements (errors
 * turned into rpc-errors; <ok/> when there are none), RELAY_OK answers
 * only the errors, or <ok/>.  Returns the number of errors (severity
 * error). */
enum relay { RELAY_DATA, RELAY_OK };
int relay_reply(struct buf *b, const char *payload, enum relay how);
/* Relay body to mgd and its reply into c's body as relay_reply does; a
 * lost mgd ends the session. */
void mgd_relay(struct nc *nc, struct rpcctx *c, const char *body, enum relay how);
/* mgd's reply to body, for the caller to filter (and free); NULL when
 * there is nothing to filter: mgd answered an error (relayed into c's
 * body) or is lost (the error written, the session ends). */
char *mgd_fetch(struct nc *nc, struct rpcctx *c, const char *body);
/* Serialize n without namespaces (Junos RPCs are matched by local name). */
void xml_plain(struct buf *b, xmlNodePtr n);
void xesc(struct buf *b, const char *s);
int xname(xmlNodePtr n, const char *name); /* element with that local name */
xmlNodePtr xkid(xmlNodePtr n, const char *name);

/* ---- filter.c ---- */
/* Subtree filter of data by the children of filter; a new node or NULL
 * when nothing is selected. */
xmlNodePtr filter_subtree(xmlNodePtr data, xmlNodePtr filter);
/* Append the <configuration> of mgd's reply, filtered by the filter
 * element (may be NULL: all of it). */
void filter_configuration(struct buf *b, const char *payload, xmlNodePtr filter);

/* ---- ops.c, junos.c ---- */
/* 1 when op is a standard operation (answered into c->body), 0 if not. */
int std_op(struct nc *nc, struct rpcctx *c);
void junos_op(struct nc *nc, struct rpcctx *c);

/* ---- session.c ---- */
void session_message(struct nc *nc, const char *msg, size_t len);

#endif
