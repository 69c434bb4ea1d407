/*
 * session.c: client sessions.  A client is identified by SO_PEERCRED: uid
 * 0 is super-user; another uid maps to its user name and the class of
 * "system login user NAME class C" in the committed configuration; a user
 * not configured gets "error: permission denied" for everything.
 *
 * RPCs (payload <rpc> with one child):
 *   <command [display=D] [typed=yes]>LINE</command>  operational command (oper.c)
 *   <open-configuration>[<private/>|<exclusive/>]</open-configuration>
 *   <close-configuration [confirmed="yes"]/>   leave configuration mode
 *   <edit-command [display=D] [confirmed=yes|no]><line>L</line>[<input>T</input>]
 *                                              configuration mode (edit.c)
 *   typed="yes": a line the CLI's user typed, logged (UI_CMDLINE_READ_LINE,
 *   systemlog.h); the CLI's own requests and resends carry none.
 *   <open-session kind="netconf" .../>        a NETCONF session (xml_session.c),
 *                                              which then speaks the Junos XML API
 *   any other element: an operational RPC by name (oper.c)
 */
#include "log.h"
#include "mgd.h"
#include "systemlog.h"
#include "path.h"

#include <libxml/parser.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

struct session *session_new(struct conn *c, uid_t uid, pid_t pid)
{
    struct session *s = calloc(1, sizeof(*s));
    struct passwd *pw = getpwuid(uid);
    char path[64], link[64];
    ssize_t n;

    if (s == NULL)
        fatal("calloc");
    s->conn = c;
    s->uid = uid;
    s->pid = pid;
    s->since = time(NULL);
    s->id = ++g_mgd->next_session_id;
    snprintf(s->user, sizeof(s->user), "%s", pw ? pw->pw_name : "unknown");
    snprintf(s->method, sizeof(s->method), "cli");
    snprintf(path, sizeof(path), "/proc/%d/fd/0", (int)pid);
    n = readlink(path, link, sizeof(link) - 1);
    if (n > 0) {
        link[n] = '\0';
        snprintf(s->tty, sizeof(s->tty), "%s", strncmp(link, "/dev/", 5) == 0 ? link + 5 : "?");
    } else {
        snprintf(s->tty, sizeof(s->tty), "?");
    }
    s->edit = strdup("");
    s->next = g_mgd->sessions;
    g_mgd->sessions = s;
    return s;
}

void session_leave(struct session *s)
{
    struct mgd *m = g_mgd;

    if (s->mode != CFG_NONE && strcmp(s->method, "cli") == 0) /* exit, and-quit, lost */
        mgd_syslog(SLF_INTERACTIVE, LOG_NOTICE, "mgd", getpid(),
                   "UI_DBASE_LOGOUT_EVENT: User '%s' exiting configuration mode", s->user);
    if (s->mode == CFG_EXCLUSIVE && m->exclusive == s) {
        /* uncommitted changes of an exclusive session are discarded */
        conf_free(m->shared);
        m->shared = conf_dup(m->committed);
        m->shared->base = m->gen;
        m->exclusive = NULL;
    }
    conf_free(s->priv);
    s->priv = NULL;
    s->mode = CFG_NONE;
    session_edit_forget(s);
    free(s->edit);
    s->edit = strdup("");
}

void session_free(struct session *s)
{
    struct session **pp;

    session_leave(s);
    for (pp = &g_mgd->sessions; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    free(s->edit);
    free(s);
}

enum login_class session_class(const struct session *s)
{
    struct cnode *u;
    char line[128], err[256];
    struct path p;
    char *w[6];

    if (s->uid == 0)
        return CLASS_SUPER_USER;
    snprintf(line, sizeof(line), "%s", s->user);
    w[0] = "system", w[1] = "login", w[2] = "user", w[3] = line, w[4] = "class";
    if (path_parse(g_mgd->schema->root, 0, w, 5, PATH_FIND, &p) < 0) {
        path_free(&p);
        return CLASS_NONE;
    }
    u = path_find(g_mgd->committed->root, &p);
    path_free(&p);
    (void)err;
    if (u == NULL || u->value == NULL)
        return CLASS_NONE;
    if (strcmp(u->value, "super-user") == 0)
        return CLASS_SUPER_USER;
    if (strcmp(u->value, "operator") == 0)
        return CLASS_OPERATOR;
    if (strcmp(u->value, "read-only") == 0)
        return CLASS_READ_ONLY;
    return CLASS_NONE;
}

struct conf *session_candidate(struct session *s)
{
    return s->mode == CFG_PRIVATE ? s->priv : g_mgd->shared;
}

void session_users_editing(struct session *self, struct buf *b)
{
    int any = 0;

    for (struct session *s = g_mgd->sessions; s; s = s->next) {
        char when[32];
        if (s == self || s->mode == CFG_NONE)
            continue;
        if (!any)
            buf_puts(b, "Users currently editing the configuration:\n");
        any = 1;
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime(&s->since));
        buf_printf(b, "  %s terminal %s (pid %d) on since %s\n", s->user, s->tty, (int)s->pid,
                   when);
        buf_printf(b, "      [edit%s%s]%s\n", *s->edit ? " " : "", s->edit,
                   s->mode == CFG_EXCLUSIVE ? ", exclusive"
                   : s->mode == CFG_PRIVATE ? ", private"
                                            : "");
    }
}

void session_output(struct session *s, uint32_t id, int error, const char *text, long column,
                    const char *extra)
{
    struct buf b;
    xmlChar *esc = xmlEncodeSpecialChars(NULL, (const xmlChar *)(text ? text : ""));
    xmlChar *path = xmlEncodeSpecialChars(NULL, (const xmlChar *)s->edit);

    buf_init(&b);
    buf_printf(&b, "<output>%s</output>\n", (const char *)esc);
    if (column >= 0)
        buf_printf(&b, "<error-column>%ld</error-column>\n", column);
    if (s->mode != CFG_NONE)
        buf_printf(&b, "<edit-path>%s</edit-path>\n", (const char *)path);
    xmlFree(path);
    if (extra)
        buf_puts(&b, extra);
    reply_send(s->conn, id, error, b.s);
    buf_free(&b);
    xmlFree(esc);
}

static void output_reply(struct session *s, uint32_t id, int error, const struct buf *out,
                         const char *extra)
{
    session_output(s, id, error, out->s, -1, extra);
}

void session_open_configuration(struct session *s, uint32_t id, int priv, int excl)
{
    struct mgd *m = g_mgd;
    struct buf out, users;
    int error = 0;

    buf_init(&out);
    buf_init(&users);
    if (session_class(s) < CLASS_SUPER_USER) {
        reply_error(s->conn, id, "error: permission denied", -1);
        buf_free(&out);
        return;
    }
    if (s->mode != CFG_NONE) {
        reply_error(s->conn, id, "error: already in configuration mode", -1);
        buf_free(&out);
        return;
    }
    session_users_editing(s, &users);
    if (excl && (session_shared_dirty() || m->exclusive)) {
        buf_add(&out, users.s ? users.s : "", users.len); /* the users, then why not */
        buf_puts(&out, m->exclusive ? "error: configuration database locked by another user\n"
                                    : "error: configuration database modified\n");
        error = 1;
    } else if (priv && session_shared_dirty()) {
        buf_add(&out, users.s ? users.s : "", users.len);
        buf_puts(&out, "error: shared configuration database modified\n");
        error = 1;
    } else if (priv) {
        s->mode = CFG_PRIVATE;
        s->priv = conf_dup(m->committed);
        s->priv->base = m->gen;
        s->priv_base = m->db.nhist ? m->db.hist[0].seq : 0;
        buf_puts(&out, "warning: uncommitted changes will be discarded on exit\n");
    } else if (excl) {
        s->mode = CFG_EXCLUSIVE;
        m->exclusive = s;
        buf_puts(&out, "warning: uncommitted changes will be discarded on exit\n");
    } else {
        s->mode = CFG_SHARED;
    }
    if (!error) {
        mgd_syslog(SLF_INTERACTIVE, LOG_NOTICE, "mgd", getpid(),
                   "UI_DBASE_LOGIN_EVENT: User '%s' entering configuration mode", s->user);
        buf_puts(&out, "Entering configuration mode\n");
        buf_add(&out, users.s ? users.s : "", users.len); /* junos.md 5.2: after it */
        if (s->mode != CFG_PRIVATE && session_shared_dirty())
            buf_puts(&out, "The configuration has been changed but not committed\n");
        if (m->exclusive && m->exclusive != s)
            buf_puts(&out, "warning: configuration database locked by another user\n");
    }
    output_reply(s, id, error, &out, NULL);
    buf_free(&out);
    buf_free(&users);
}

/* Leaving: with uncommitted changes the client asks first, then sends
 * confirmed="yes". */
void session_close_configuration(struct session *s, uint32_t id, int confirmed)
{
    struct buf out;
    struct conf *cand = session_candidate(s);
    int dirty = s->mode != CFG_NONE && cand && !cnode_equal(cand->root, g_mgd->committed->root);

    buf_init(&out);
    if (s->mode == CFG_NONE) {
        output_reply(s, id, 0, &out, NULL);
    } else if (dirty && !confirmed) {
        buf_puts(&out, "The configuration has been changed but not committed\n");
        if (s->mode == CFG_SHARED)
            output_reply(s, id, 0, &out,
                         "<confirm prompt=\"Exit with uncommitted changes? [yes,no] (yes) \" "
                         "default=\"yes\"/>\n");
        else {
            if (s->mode == CFG_EXCLUSIVE)
                buf_puts(&out, "warning: Auto rollback on exiting 'configure exclusive'\n");
            output_reply(s, id, 0, &out,
                         "<confirm prompt=\"Discard uncommitted changes? [yes,no] (yes) \" "
                         "default=\"yes\"/>\n");
        }
    } else {
        if (dirty && s->mode != CFG_SHARED)
            buf_puts(&out, "warning: discarding uncommitted changes\nload complete\n");
        session_leave(s);
        buf_puts(&out, "Exiting configuration mode\n");
        output_reply(s, id, 0, &out, "<mode>operational</mode>\n");
    }
    buf_free(&out);
}

static char *child_text(xmlNodePtr n, const char *name)
{
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return (char *)xmlNodeGetContent(c);
    return NULL;
}

static int has_child(xmlNodePtr n, const char *name)
{
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return 1;
    return 0;
}

void session_rpc(struct session *s, uint32_t id, const char *payload, size_t len)
{
    xmlDocPtr doc = xmlReadMemory(payload, (int)len, "rpc.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNodePtr r = doc ? xmlDocGetRootElement(doc) : NULL, op = NULL;

    if (r && strcmp((const char *)r->name, "rpc") == 0)
        for (op = r->children; op && op->type != XML_ELEMENT_NODE; op = op->next)
            ;
    if (op == NULL) {
        reply_error(s->conn, id, "error: malformed request", -1);
    } else if (session_class(s) == CLASS_NONE) {
        reply_error(s->conn, id, "error: permission denied", -1);
    } else {
        const char *name = (const char *)op->name;
        xmlChar *display = xmlGetProp(op, (const xmlChar *)"display");
        xmlChar *confirmed = xmlGetProp(op, (const xmlChar *)"confirmed");
        xmlChar *typed = xmlGetProp(op, (const xmlChar *)"typed"); /* by the CLI's user */
        if (strcmp(name, "open-session") == 0) {
            xml_open_session(s, id, op);
        } else if (s->xmlapi && xml_api_rpc(s, id, op)) {
            /* answered */
        } else if (strcmp(name, "command") == 0) {
            xmlChar *line = xmlNodeGetContent(op);
            if (line && typed)
                mgd_syslog_cmdline(g_mgd->schema->root, NULL, s->user, (const char *)line);
            oper_command_confirmed(s, id, (const char *)line, (const char *)display,
                                   confirmed && strcmp((char *)confirmed, "yes") == 0);
            xmlFree(line);
        } else if (strcmp(name, "open-configuration") == 0) {
            session_open_configuration(s, id, has_child(op, "private"), has_child(op, "exclusive"));
        } else if (strcmp(name, "close-configuration") == 0) {
            session_close_configuration(s, id, confirmed && strcmp((char *)confirmed, "yes") == 0);
        } else if (strcmp(name, "edit-command") == 0) {
            char *line = child_text(op, "line"), *input = child_text(op, "input");
            if (line && typed) /* load ... terminal: the line, never its input */
                mgd_syslog_cmdline(g_mgd->schema->root, s->edit, s->user, line);
            if (s->mode == CFG_NONE)
                reply_error(s->conn, id, "error: not in configuration mode", -1);
            else
                edit_command(s, id, line ? line : "", input, (const char *)display,
                             (const char *)confirmed);
            xmlFree(line);
            xmlFree(input);
        } else {
            oper_rpc(s, id, op);
        }
        xmlFree(display);
        xmlFree(confirmed);
        xmlFree(typed);
    }
    xmlFreeDoc(doc);
}
