/*
 * xml_session.c: the Junos XML API of NETCONF sessions (docs/netconf.md):
 * the session kind, locks, private databases, kill-session, and the
 * dispatch of the XML API's RPCs.
 *
 *   <open-session kind="netconf" [from="ADDRESS"]/>
 *       the connection is a NETCONF session: `show system users` lists it
 *       with its remote address, commits are "via netconf", replies are
 *       XML (no text output).  Reply <session-id>N</session-id>,
 *       <user>, <login-class>.
 *   <lock-configuration/>, <unlock-configuration/>
 *       mgd's exclusive lock of the shared candidate ("configure
 *       exclusive"): refused while someone else holds it or the candidate
 *       has uncommitted changes; unlocking, or losing the session, discards
 *       the uncommitted changes.
 *   <open-configuration><private/></open-configuration>, <close-configuration/>
 *   <kill-session><session-id>N</session-id></kill-session>
 *       ends session N (its connection is closed: its lock and changes
 *       go); super-user only, not one's own.
 * Errors are <xnm:error>; lock refusals carry <error-tag>lock-denied and
 * the holder's <session-id>.
 */
#include "log.h"
#include "mgd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *class_name(enum login_class c)
{
    switch (c) {
    case CLASS_SUPER_USER:
        return "super-user";
    case CLASS_OPERATOR:
        return "operator";
    case CLASS_READ_ONLY:
        return "read-only";
    default:
        return "unauthorized";
    }
}

void xml_open_session(struct session *s, uint32_t id, xmlNodePtr op)
{
    xmlChar *kind = xmlGetProp(op, (const xmlChar *)"kind");
    xmlChar *from = xmlGetProp(op, (const xmlChar *)"from");
    struct buf b;

    if (kind == NULL || strcmp((const char *)kind, "netconf") != 0) {
        reply_error(s->conn, id, "error: unknown session kind", -1);
    } else {
        snprintf(s->method, sizeof(s->method), "netconf");
        snprintf(s->tty, sizeof(s->tty), "netconf");
        snprintf(s->from, sizeof(s->from), "%s", from ? (const char *)from : "");
        /* an address: it goes into XML and logs as it is */
        if (strspn(s->from, "0123456789abcdefABCDEF.:") != strlen(s->from))
            s->from[0] = '\0';
        s->xmlapi = 1;
        buf_init(&b);
        buf_printf(&b, "<session-id>%u</session-id>\n<user>", s->id);
        {
            xmlChar *e = xmlEncodeSpecialChars(NULL, (const xmlChar *)s->user);
            buf_puts(&b, (const char *)e);
            xmlFree(e);
        }
        buf_printf(&b, "</user>\n<login-class>%s</login-class>\n", class_name(session_class(s)));
        reply_send(s->conn, id, 0, b.s);
        buf_free(&b);
        log_info("NETCONF session %u for %s from %s", s->id, s->user, *s->from ? s->from : "local");
    }
    xmlFree(kind);
    xmlFree(from);
}

static void lock_denied(struct session *s, uint32_t id, const char *msg, unsigned holder)
{
    struct buf b;

    buf_init(&b);
    buf_printf(&b,
               "<xnm:error xmlns:xnm=\"http://xml.juniper.net/xnm/1.1/xnm\">\n"
               "<error-tag>lock-denied</error-tag>\n<session-id>%u</session-id>\n"
               "<message>%s</message>\n</xnm:error>\n",
               holder, msg);
    reply_send(s->conn, id, 1, b.s);
    buf_free(&b);
}

static void lock_configuration(struct session *s, uint32_t id)
{
    struct mgd *m = g_mgd;

    if (session_class(s) < CLASS_SUPER_USER)
        reply_error(s->conn, id, "error: permission denied", -1);
    else if (m->exclusive == s)
        lock_denied(s, id, "configuration database already locked by this session", s->id);
    else if (m->exclusive)
        lock_denied(s, id, "configuration database locked by another user", m->exclusive->id);
    else if (s->mode == CFG_PRIVATE)
        reply_error(s->conn, id, "error: a private configuration is open", -1);
    else if (session_shared_dirty())
        lock_denied(s, id, "configuration database modified", 0);
    else {
        s->mode = CFG_EXCLUSIVE;
        m->exclusive = s;
        reply_send(s->conn, id, 0, "");
    }
}

static void unlock_configuration(struct session *s, uint32_t id)
{
    if (g_mgd->exclusive != s) {
        reply_error(s->conn, id, "error: configuration database is not locked by this session", -1);
        return;
    }
    session_leave(s); /* discards the uncommitted changes */
    reply_send(s->conn, id, 0, "");
}

static int has_child(xmlNodePtr n, const char *name)
{
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return 1;
    return 0;
}

static void open_configuration(struct session *s, uint32_t id, xmlNodePtr op)
{
    struct mgd *m = g_mgd;

    if (has_child(op, "exclusive")) {
        lock_configuration(s, id);
        return;
    }
    if (!has_child(op, "private")) {
        reply_error(s->conn, id, "error: only <private/> configuration databases can be opened",
                    -1);
        return;
    }
    if (session_class(s) < CLASS_SUPER_USER)
        reply_error(s->conn, id, "error: permission denied", -1);
    else if (s->mode != CFG_NONE)
        reply_error(s->conn, id, "error: configuration database already open", -1);
    else if (session_shared_dirty())
        reply_error(s->conn, id, "error: shared configuration database modified", -1);
    else {
        s->mode = CFG_PRIVATE;
        s->priv = conf_dup(m->committed);
        s->priv->base = m->gen;
        s->priv_base = m->db.nhist ? m->db.hist[0].seq : 0;
        reply_send(s->conn, id, 0, "");
    }
}

static void kill_session(struct session *s, uint32_t id, xmlNodePtr op)
{
    unsigned target = 0;
    struct session *t;

    for (xmlNodePtr c = op->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "session-id") == 0) {
            xmlChar *v = xmlNodeGetContent(c);
            target = (unsigned)strtoul((const char *)v, NULL, 10);
            xmlFree(v);
        }
    for (t = g_mgd->sessions; t && t->id != target; t = t->next)
        ;
    if (session_class(s) < CLASS_SUPER_USER) {
        reply_error(s->conn, id, "error: permission denied", -1);
    } else if (target == s->id) {
        reply_error(s->conn, id, "error: a session cannot kill itself", -1);
    } else if (t == NULL) {
        reply_error(s->conn, id, "error: no such session", -1);
    } else {
        log_info("session %u (%s) killed by %s", t->id, t->user, s->user);
        conn_close(t->conn); /* frees t: its lock and uncommitted changes go */
        reply_send(s->conn, id, 0, "");
    }
}

int xml_api_rpc(struct session *s, uint32_t id, xmlNodePtr op)
{
    const char *n = (const char *)op->name;

    if (strcmp(n, "get-configuration") == 0)
        xml_get_configuration(s, id, op);
    else if (strcmp(n, "load-configuration") == 0)
        xml_load_configuration(s, id, op);
    else if (strcmp(n, "commit-configuration") == 0)
        xml_commit_configuration(s, id, op);
    else if (strcmp(n, "lock-configuration") == 0)
        lock_configuration(s, id);
    else if (strcmp(n, "unlock-configuration") == 0)
        unlock_configuration(s, id);
    else if (strcmp(n, "open-configuration") == 0)
        open_configuration(s, id, op);
    else if (strcmp(n, "close-configuration") == 0) {
        session_leave(s);
        reply_send(s->conn, id, 0, "");
    } else if (strcmp(n, "kill-session") == 0)
        kill_session(s, id, op);
    else
        return 0;
    return 1;
}
