/*
 * xml_config.c: <get-configuration> and <load-configuration> of the Junos
 * XML API (NETCONF sessions, docs/netconf.md).
 *
 *   <get-configuration [database="candidate|committed"]
 *       [format="xml|text|set|json"] [compare="rollback" rollback="N"]/>
 *     candidate (the session's: shared, or private after
 *     open-configuration) unless database="committed"; compare gives the
 *     diff from rollback N to that database in
 *     <configuration-information><configuration-output>.
 *
 *   <load-configuration [action="merge|replace|override|update|set"]
 *       [format="xml|text|json"] [rollback="N" | rescue="rescue"]>
 *     <configuration>...</configuration> | <configuration-text>
 *     | <configuration-set> | <configuration-json>
 *   </load-configuration>
 *     into the session's candidate; any error leaves it unchanged (but
 *     action set, which keeps the lines that applied, as the CLI's load
 *     set does).  Reply <load-configuration-results><ok/>, or one
 *     <xnm:error> per error and <load-error-count>.
 */
#include "diff.h"
#include "log.h"
#include "mgd.h"
#include "ops.h"
#include "render.h"

#include <libxml/tree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void put_esc(struct buf *b, const char *s)
{
    xmlChar *e = xmlEncodeSpecialChars(NULL, (const xmlChar *)(s ? s : ""));

    buf_puts(b, (const char *)e);
    xmlFree(e);
}

static int attr_is(xmlNodePtr n, const char *name, const char *value)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    int r = v && strcmp((const char *)v, value) == 0;

    xmlFree(v);
    return r;
}

/* Attribute as a number in 0..49, -1 if absent, -2 if bad. */
static long rollback_attr(xmlNodePtr n)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)"rollback");
    char *end;
    long r;

    if (v == NULL)
        return -1;
    r = strtol((const char *)v, &end, 10);
    if (end == (char *)v || *end || r < 0 || r > 49)
        r = -2;
    xmlFree(v);
    return r;
}

static struct conf *conf_of_text(const char *text)
{
    struct conf *c = conf_new(g_mgd->schema);
    struct load_result r = {0};

    load_text(c->root, text, &r);
    load_result_free(&r);
    return c;
}

static void wrap_text(struct buf *body, const char *elem, const char *text)
{
    buf_printf(body, "<%s>", elem);
    put_esc(body, text);
    buf_printf(body, "</%s>\n", elem);
}

void xml_get_configuration(struct session *s, uint32_t id, xmlNodePtr op)
{
    struct mgd *m = g_mgd;
    int committed = attr_is(op, "database", "committed");
    struct conf *c = committed ? m->committed : session_candidate(s);
    xmlChar *fmt = xmlGetProp(op, (const xmlChar *)"format");
    const char *f = fmt ? (const char *)fmt : "xml";
    struct buf out, body;
    char attrs[300], when[64];

    if (!oper_permitted(s, "view")) {
        reply_error(s->conn, id, "error: permission denied", -1);
        xmlFree(fmt);
        return;
    }
    buf_init(&out);
    buf_init(&body);
    if (attr_is(op, "compare", "rollback")) {
        long n = rollback_attr(op);
        char *text = db_read(&m->db, (size_t)(n < 0 ? 0 : n));
        if (n == -2 || text == NULL) {
            reply_error(s->conn, id, "error: invalid rollback value", -1);
        } else {
            struct conf *old = conf_of_text(text);
            conf_diff(&out, old->root, c->root, 0);
            conf_free(old);
            buf_puts(&body, "<configuration-information>\n");
            wrap_text(&body, "configuration-output", out.len ? out.s : "\n");
            buf_puts(&body, "</configuration-information>\n");
            reply_send(s->conn, id, 0, body.s);
        }
        free(text);
    } else if (strcmp(f, "text") == 0) {
        render_text(&out, c->root, 0, 0);
        wrap_text(&body, "configuration-text", out.s ? out.s : "");
        reply_send(s->conn, id, 0, body.s);
    } else if (strcmp(f, "set") == 0) {
        render_set(&out, c->root, 0);
        wrap_text(&body, "configuration-set", out.s ? out.s : "");
        reply_send(s->conn, id, 0, body.s);
    } else if (strcmp(f, "json") == 0) {
        render_json(&out, c->root, NULL);
        wrap_text(&body, "configuration-json", out.s ? out.s : "");
        reply_send(s->conn, id, 0, body.s);
    } else if (strcmp(f, "xml") == 0) {
        attrs[0] = '\0';
        if (m->db.nhist) {
            time_t t = committed ? m->db.hist[0].when : time(NULL);
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
            snprintf(attrs, sizeof(attrs),
                     committed ? "junos:commit-seconds=\"%lld\" junos:commit-localtime=\"%s\" "
                                 "junos:commit-user=\"%s\""
                               : "junos:changed-seconds=\"%lld\" junos:changed-localtime=\"%s\"",
                     (long long)t, when, m->db.hist[0].user);
        }
        render_xml(&body, c->root, 0, attrs);
        reply_send(s->conn, id, 0, body.s);
    } else {
        reply_error(s->conn, id, "error: format must be xml, text, set or json", -1);
    }
    xmlFree(fmt);
    buf_free(&out);
    buf_free(&body);
}

/* The payload element of a load and its format. */
static xmlNodePtr payload(xmlNodePtr op, enum load_format *fmt)
{
    for (xmlNodePtr c = op->children; c; c = c->next) {
        const char *n = (const char *)c->name;
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp(n, "configuration") == 0)
            *fmt = LOADF_XML;
        else if (strcmp(n, "configuration-text") == 0)
            *fmt = LOADF_TEXT;
        else if (strcmp(n, "configuration-set") == 0)
            *fmt = LOADF_SET;
        else if (strcmp(n, "configuration-json") == 0)
            *fmt = LOADF_JSON;
        else
            continue;
        return c;
    }
    return NULL;
}

static void clear_replace_flags(struct cnode *n)
{
    n->replace = 0;
    for (struct cnode *c = n->child; c; c = c->next)
        clear_replace_flags(c);
}

/* XML merge: straight into a copy of the candidate, so that
 * delete="delete" removes statements of the candidate. */
static int load_xml_merge(struct conf *cand, const char *text, struct load_result *r)
{
    struct conf *copy = conf_dup(cand);
    int nerr = load_xml(copy->root, text, r);
    struct cnode *ch, *next;

    if (nerr == 0) {
        clear_replace_flags(copy->root);
        for (ch = cand->root->child; ch; ch = next) {
            next = ch->next;
            cnode_free(ch);
        }
        cnode_merge(cand->root, copy->root);
    }
    conf_free(copy);
    return nerr;
}

static void load_reply(struct session *s, uint32_t id, const struct load_result *r, int nerr)
{
    struct buf b;

    buf_init(&b);
    buf_puts(&b, "<load-configuration-results>\n");
    for (size_t i = 0; i < r->nerrs; i++) {
        char msg[700];
        snprintf(msg, sizeof(msg), "line %d: %s", r->errs[i].line, r->errs[i].msg);
        xml_error(&b, 0, NULL, NULL, msg);
    }
    if (nerr)
        buf_printf(&b, "<load-error-count>%d</load-error-count>\n", nerr);
    else
        buf_puts(&b, "<ok/>\n");
    buf_puts(&b, "</load-configuration-results>\n");
    reply_send(s->conn, id, nerr != 0, b.s);
    buf_free(&b);
}

static const char *may_load(struct session *s)
{
    struct mgd *m = g_mgd;
    static char msg[160];

    if (session_class(s) < CLASS_SUPER_USER)
        return "error: permission denied";
    if (s->mode != CFG_PRIVATE && m->exclusive && m->exclusive != s) {
        snprintf(msg, sizeof(msg), "error: configuration database locked by: %s",
                 m->exclusive->user);
        return msg;
    }
    if (m->job)
        return "error: commit in progress; try again";
    return NULL;
}

static void load_rollback(struct session *s, uint32_t id, struct conf *cand, xmlNodePtr op)
{
    long n = rollback_attr(op);
    char *text = attr_is(op, "rescue", "rescue") ? db_rescue_read(&g_mgd->db)
                 : n >= 0                        ? db_read(&g_mgd->db, (size_t)n)
                                                 : NULL;
    struct conf *c;
    struct cnode *ch, *next;
    struct load_result r = {0};

    if (text == NULL) {
        reply_error(s->conn, id,
                    n == -1 && attr_is(op, "rescue", "rescue")
                        ? "error: rescue configuration is not set"
                        : "error: invalid rollback value",
                    -1);
        return;
    }
    c = conf_of_text(text);
    for (ch = cand->root->child; ch; ch = next) {
        next = ch->next;
        cnode_free(ch);
    }
    cnode_merge(cand->root, c->root);
    conf_free(c);
    free(text);
    load_reply(s, id, &r, 0);
}

void xml_load_configuration(struct session *s, uint32_t id, xmlNodePtr op)
{
    struct conf *cand = session_candidate(s);
    const char *refused = may_load(s);
    xmlChar *action = xmlGetProp(op, (const xmlChar *)"action");
    enum load_mode mode = LOAD_MERGE;
    enum load_format fmt = LOADF_XML;
    struct load_result r = {0};
    xmlNodePtr p;
    char *text = NULL;
    int nerr;

    if (refused) {
        reply_error(s->conn, id, refused, -1);
        xmlFree(action);
        return;
    }
    if (action && load_mode_parse((const char *)action, &mode) < 0) {
        reply_error(s->conn, id, "error: action must be " LOAD_MODE_NAMES, -1);
        xmlFree(action);
        return;
    }
    xmlFree(action);
    if (xmlHasProp(op, (const xmlChar *)"rollback") || xmlHasProp(op, (const xmlChar *)"rescue")) {
        load_rollback(s, id, cand, op);
        return;
    }
    p = payload(op, &fmt);
    if (p == NULL) {
        reply_error(s->conn, id,
                    "error: missing <configuration>, <configuration-text>, <configuration-set> "
                    "or <configuration-json>",
                    -1);
        return;
    }
    if (fmt == LOADF_XML) {
        xmlBufferPtr xb = xmlBufferCreate();
        xmlNodeDump(xb, p->doc, p, 0, 0);
        text = strdup((const char *)xmlBufferContent(xb));
        xmlBufferFree(xb);
    } else {
        text = (char *)xmlNodeGetContent(p);
    }
    if (fmt == LOADF_SET)
        mode = LOAD_SET;
    if (fmt == LOADF_XML && mode == LOAD_MERGE)
        nerr = load_xml_merge(cand, text, &r);
    else
        nerr = op_load(cand, cand->root, mode, fmt, text, &r);
    load_reply(s, id, &r, nerr);
    load_result_free(&r);
    if (fmt == LOADF_XML)
        free(text);
    else
        xmlFree(text);
}
