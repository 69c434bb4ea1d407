/*
 * xml_commit.c: <commit-configuration> of the Junos XML API (NETCONF
 * sessions, docs/netconf.md) and the XML shape of commit results.
 *
 *   <commit-configuration> [<check/>] [<full/>] [<confirmed/>]
 *       [<confirm-timeout>MINUTES</confirm-timeout>] [<log>TEXT</log>]
 *       [<synchronize/>] [<force-synchronize/>]
 *
 * The reply is Junos's <commit-results>: one <xnm:error> (or
 * <xnm:warning>) per finding, with <edit-path>[edit ...]</edit-path>,
 * <statement> (the bad element) and <message>, a final "configuration
 * check-out failed" error when the commit failed, else
 * <routing-engine><name>re0</name><commit-success/> (or
 * <commit-check-success/>).  The NETCONF front end turns each xnm:error
 * into an <rpc-error>.
 */
#include "log.h"
#include "mgd.h"

#include <libxml/tree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XNM_NS "http://xml.juniper.net/xnm/1.1/xnm"

static void put_esc(struct buf *b, const char *s)
{
    xmlChar *e = xmlEncodeSpecialChars(NULL, (const xmlChar *)(s ? s : ""));

    buf_puts(b, (const char *)e);
    xmlFree(e);
}

void xml_error(struct buf *b, int warning, const char *path, const char *stmt, const char *msg)
{
    const char *tag = warning ? "xnm:warning" : "xnm:error";

    buf_printf(b, "<%s xmlns:xnm=\"" XNM_NS "\">\n", tag);
    if (path) {
        buf_printf(b, "<edit-path>[edit%s", *path ? " " : "");
        put_esc(b, path);
        buf_puts(b, "]</edit-path>\n");
    }
    if (stmt && *stmt) {
        buf_puts(b, "<statement>");
        put_esc(b, stmt);
        buf_puts(b, "</statement>\n");
    }
    buf_puts(b, "<message>");
    put_esc(b, msg);
    buf_printf(b, "</message>\n</%s>\n", tag);
}

void xml_findings(struct buf *b, const struct findings *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        const struct finding *f = &fs->f[i];
        xml_error(b, f->warning, f->path, f->stmt, f->msg);
    }
}

/* The pipeline's text lines: "error: X" becomes an error, "warning: X" a
 * warning; the progress lines ("commit complete", ...) are dropped (the
 * success element says it). */
static void text_errors(struct buf *b, const char *text)
{
    const char *p = text ? text : "";

    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char line[1024];
        snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), p);
        if (strncmp(line, "error: ", 7) == 0)
            xml_error(b, 0, NULL, NULL, line + 7);
        else if (strncmp(line, "warning: ", 9) == 0)
            xml_error(b, 1, NULL, NULL, line + 9);
        p += n + (nl != NULL);
    }
}

void xml_commit_reply(struct session *s, uint32_t id, int error, int check, const char *findings,
                      const char *text)
{
    struct buf b;

    buf_init(&b);
    buf_puts(&b, "<commit-results>\n");
    buf_puts(&b, findings ? findings : "");
    text_errors(&b, text);
    if (error && findings && *findings)
        xml_error(&b, 0, NULL, NULL, "configuration check-out failed");
    if (!error)
        buf_printf(&b, "<routing-engine>\n<name>re0</name>\n<%s/>\n</routing-engine>\n",
                   check ? "commit-check-success" : "commit-success");
    buf_puts(&b, "</commit-results>\n");
    reply_send(s->conn, id, error, b.s);
    buf_free(&b);
}

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

static int child_number(xmlNodePtr n, const char *name, long *v)
{
    xmlNodePtr c = child(n, name);
    xmlChar *t;
    char *end;

    if (c == NULL)
        return 0;
    t = xmlNodeGetContent(c);
    *v = strtol((const char *)t, &end, 10);
    if (end == (char *)t || *end != '\0')
        *v = -1;
    xmlFree(t);
    return 1;
}

void xml_commit_configuration(struct session *s, uint32_t id, xmlNodePtr op)
{
    struct mgd *m = g_mgd;
    struct commit_req req;
    xmlNodePtr log = child(op, "log");
    long minutes;

    memset(&req, 0, sizeof(req));
    req.user = s->user;
    req.method = s->method;
    req.xml = 1;
    req.check = child(op, "check") != NULL;
    req.full = child(op, "full") != NULL;
    if (child(op, "confirmed")) {
        req.confirm_minutes = 10;
        if (child_number(op, "confirm-timeout", &minutes)) {
            if (minutes < 1 || minutes > 65535) {
                xml_commit_reply(s, id, 1, req.check, NULL,
                                 "error: invalid value for confirm-timeout (1..65535 minutes)\n");
                return;
            }
            req.confirm_minutes = (int)minutes;
        }
    }
    if (log) {
        xmlChar *t = xmlNodeGetContent(log);
        snprintf(req.comment, sizeof(req.comment), "%s", (const char *)t);
        xmlFree(t);
    }
    if (session_class(s) < CLASS_SUPER_USER) {
        xml_commit_reply(s, id, 1, req.check, NULL, "error: permission denied\n");
        return;
    }
    if (!req.check && s->mode != CFG_PRIVATE && m->exclusive && m->exclusive != s) {
        char msg[160];
        snprintf(msg, sizeof(msg), "error: configuration database locked by: %s\n",
                 m->exclusive->user);
        xml_commit_reply(s, id, 1, 0, NULL, msg);
        return;
    }
    if (s->mode == CFG_PRIVATE && req.confirm_minutes) {
        xml_commit_reply(s, id, 1, 0, NULL,
                         "error: 'commit confirmed' is not allowed on a private database\n");
        return;
    }
    if (s->mode == CFG_PRIVATE && !req.check && m->db.nhist && s->priv_base != m->db.hist[0].seq) {
        xml_commit_reply(s, id, 1, 0, NULL,
                         "error: configuration database modified\n"
                         "error: commit failed: (private candidate is based on an older "
                         "configuration; close and open the private configuration again)\n");
        return;
    }
    commit_start(m, s, id, session_candidate(s), &req);
}
