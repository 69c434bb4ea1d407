/*
 * oper.c: operational commands.  A command line is parsed with the
 * operational command tree (schema/op, docs/opschema.md) into an RPC; mgd
 * answers its own RPCs here and forwards the others to their owner daemon
 * (daemons.c).  Replies use Junos's element names; the CLI renders them.
 */
#include "diff.h"
#include "groups.h"
#include "log.h"
#include "mgd.h"
#include "path.h"
#include "render.h"
#include "words.h"

#include <libxml/parser.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

int oper_permitted(const struct session *s, const char *permission)
{
    enum login_class c = session_class(s);

    if (c == CLASS_SUPER_USER)
        return 1;
    if (strcmp(permission, "view") == 0)
        return c >= CLASS_READ_ONLY;
    if (strcmp(permission, "clear") == 0 || strcmp(permission, "network") == 0 ||
        strcmp(permission, "maintenance") == 0)
        return c >= CLASS_OPERATOR;
    return 0;
}

static void put_esc(struct buf *b, const char *s)
{
    xmlChar *e = xmlEncodeSpecialChars(NULL, (const xmlChar *)(s ? s : ""));

    buf_puts(b, (const char *)e);
    xmlFree(e);
}

static void local_time(char *out, size_t len, time_t t)
{
    strftime(out, len, "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
}

static const char *arg(xmlNodePtr rpc, const char *name, char *buf, size_t len)
{
    for (xmlNodePtr c = rpc->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0) {
            xmlChar *v = xmlNodeGetContent(c);
            snprintf(buf, len, "%s", (const char *)v);
            xmlFree(v);
            return buf;
        }
    return NULL;
}

static struct conf *load_conf_text(const char *text)
{
    struct conf *c = conf_new(g_mgd->schema);
    struct load_result r = {0};

    if (text)
        load_text(c->root, text, &r);
    load_result_free(&r);
    return c;
}

static void get_configuration(struct session *s, uint32_t id, xmlNodePtr rpc, const char *display)
{
    struct mgd *m = g_mgd;
    struct buf out, body;
    char stmt[2048], when[64];
    const char *d = display ? display : "";
    struct conf *shown = m->committed, *exp = NULL;
    struct cnode *at = m->committed->root;

    buf_init(&out);
    buf_init(&body);
    if (strcmp(d, "inheritance") == 0)
        shown = exp = conf_expand(m->committed, EXPAND_MARK | EXPAND_KEEP_INACTIVE);
    at = shown->root;
    if (arg(rpc, "statement", stmt, sizeof(stmt)) && *stmt) {
        struct words w;
        struct path p;
        const char *err;
        size_t eo;
        words_init(&w);
        words_split(&w, stmt, strlen(stmt), &err, &eo);
        if (path_parse(m->schema->root, 0, w.w, w.n, PATH_FIND, &p) < 0) {
            char msg[600];
            snprintf(msg, sizeof(msg), "%s", p.msg);
            path_free(&p);
            words_free(&w);
            conf_free(exp);
            buf_free(&out);
            buf_free(&body);
            reply_error(s->conn, id, msg, -1);
            return;
        }
        at = path_find(shown->root, &p);
        path_free(&p);
        words_free(&w);
    }
    if (m->db.nhist)
        local_time(when, sizeof(when), m->db.hist[0].when);
    if (strcmp(d, "xml") == 0) {
        char attrs[256] = "";
        if (m->db.nhist)
            snprintf(attrs, sizeof(attrs),
                     "junos:commit-seconds=\"%lld\" junos:commit-localtime=\"%s\" "
                     "junos:commit-user=\"%s\"",
                     (long long)m->db.hist[0].when, when, m->db.hist[0].user);
        render_xml(&body, shown->root, 4, attrs);
    } else if (strcmp(d, "json") == 0) {
        render_json(&out, shown->root, NULL);
        buf_puts(&body, "<configuration-json>");
        put_esc(&body, out.s);
        buf_puts(&body, "</configuration-json>\n");
    } else if (strcmp(d, "set") == 0 || strcmp(d, "set-relative") == 0) {
        if (at)
            render_set(&out, at, strcmp(d, "set-relative") == 0);
        buf_puts(&body, "<configuration-set>");
        put_esc(&body, out.s);
        buf_puts(&body, "</configuration-set>\n");
    } else {
        if (at == shown->root && m->db.nhist)
            buf_printf(&out, "## Last commit: %s by %s\n", when, m->db.hist[0].user);
        if (at && (at->sch->kind == SCH_CONTAINER || at->sch->kind == SCH_LIST))
            render_text(&out, at, 0, exp ? RENDER_INHERITANCE : 0);
        else if (at)
            render_text_stmt(&out, at, 0, exp ? RENDER_INHERITANCE : 0);
        buf_puts(&body, "<configuration-text>");
        put_esc(&body, out.s);
        buf_puts(&body, "</configuration-text>\n");
    }
    reply_send(s->conn, id, 0, body.s);
    conf_free(exp);
    buf_free(&out);
    buf_free(&body);
}

static void commit_information(struct session *s, uint32_t id)
{
    struct mgd *m = g_mgd;
    struct buf b;
    char when[64];

    buf_init(&b);
    buf_puts(&b, "<commit-information>\n");
    for (size_t i = 0; i < m->db.nhist; i++) {
        const struct db_entry *e = &m->db.hist[i];
        local_time(when, sizeof(when), e->when);
        buf_printf(&b, "<commit-history>\n<sequence-number>%zu</sequence-number>\n", i);
        buf_puts(&b, "<user>");
        put_esc(&b, e->user);
        buf_printf(&b, "</user>\n<client>%s</client>\n", e->method);
        buf_printf(&b, "<date-time junos:seconds=\"%lld\">%s</date-time>\n", (long long)e->when,
                   when);
        if (e->confirm_minutes)
            buf_printf(&b, "<comment>commit confirmed, rollback in %dmins</comment>\n",
                       e->confirm_minutes);
        if (e->comment[0]) {
            buf_puts(&b, "<log>");
            put_esc(&b, e->comment);
            buf_puts(&b, "</log>\n");
        }
        if (i == 0 && m->confirm_deadline)
            buf_puts(&b, "<commit-confirmed>rollback pending</commit-confirmed>\n");
        buf_puts(&b, "</commit-history>\n");
    }
    {
        time_t t = db_rescue_time(&m->db);
        if (t) {
            local_time(when, sizeof(when), t);
            buf_printf(&b,
                       "<commit-history>\n<sequence-number>rescue</sequence-number>\n"
                       "<user>root</user>\n<client>other</client>\n"
                       "<date-time junos:seconds=\"%lld\">%s</date-time>\n"
                       "</commit-history>\n",
                       (long long)t, when);
        }
    }
    buf_puts(&b, "</commit-information>\n");
    reply_send(s->conn, id, 0, b.s);
    buf_free(&b);
}

static void rollback_information(struct session *s, uint32_t id, xmlNodePtr rpc)
{
    struct mgd *m = g_mgd;
    char v[32], cmpv[32];
    size_t n = arg(rpc, "rollback", v, sizeof(v)) ? (size_t)atoi(v) : 0;
    const char *cmp = arg(rpc, "compare", cmpv, sizeof(cmpv));
    char *text = db_read(&m->db, n);
    struct buf out, b;

    buf_init(&out);
    buf_init(&b);
    if (text == NULL) {
        char msg[64];
        snprintf(msg, sizeof(msg), "error: invalid rollback value: %zu", n);
        reply_error(s->conn, id, msg, -1);
        return;
    }
    if (cmp) {
        char *other = db_read(&m->db, (size_t)atoi(cmp));
        struct conf *a, *c;
        if (other == NULL) {
            char msg[64];
            snprintf(msg, sizeof(msg), "error: invalid rollback value: %s", cmp);
            reply_error(s->conn, id, msg, -1);
            free(text);
            return;
        }
        a = load_conf_text(other);
        c = load_conf_text(text);
        conf_diff(&out, a->root, c->root, 0);
        conf_free(a);
        conf_free(c);
        free(other);
    } else {
        buf_puts(&out, text);
    }
    buf_puts(&b, "<rollback-information>\n<configuration-information>\n<configuration-output>");
    put_esc(&b, out.s);
    buf_puts(&b,
             "</configuration-output>\n</configuration-information>\n</rollback-information>\n");
    reply_send(s->conn, id, 0, b.s);
    free(text);
    buf_free(&out);
    buf_free(&b);
}

static void users_information(struct session *s, uint32_t id)
{
    struct buf b;
    time_t now = time(NULL);
    char when[64];
    int n = 0;

    for (struct session *x = g_mgd->sessions; x; x = x->next)
        n++;
    buf_init(&b);
    local_time(when, sizeof(when), now);
    buf_printf(&b,
               "<system-users-information>\n<uptime-information>\n"
               "<date-time junos:seconds=\"%lld\">%s</date-time>\n"
               "<up-time junos:seconds=\"%lld\"/>\n<active-user-count>%d</active-user-count>\n"
               "<user-table>\n",
               (long long)now, when, (long long)(now - g_mgd->started), n);
    for (struct session *x = g_mgd->sessions; x; x = x->next) {
        local_time(when, sizeof(when), x->since);
        buf_puts(&b, "<user-entry>\n<user>");
        put_esc(&b, x->user);
        buf_printf(&b,
                   "</user>\n<tty>%s</tty>\n<from>%s</from>\n"
                   "<login-time junos:seconds=\"%lld\">%s</login-time>\n"
                   "<idle-time junos:seconds=\"0\">-</idle-time>\n<command>%s</command>\n"
                   "</user-entry>\n",
                   x->tty, *x->from ? x->from : "-", (long long)x->since, when,
                   x->mode == CFG_NONE ? x->method : "configure");
    }
    buf_puts(&b, "</user-table>\n</uptime-information>\n</system-users-information>\n");
    reply_send(s->conn, id, 0, b.s);
    buf_free(&b);
}

static const char *host_name(void)
{
    static char name[256];
    struct cnode *n = g_mgd->committed->root;
    const struct sch_node *sys = sch_child(g_mgd->schema->root, "system");

    snprintf(name, sizeof(name), "opensg");
    if (sys && (n = cnode_find(n, sys, NULL)) != NULL) {
        const struct sch_node *h = sch_child(sys, "host-name");
        struct cnode *v = h ? cnode_find(n, h, NULL) : NULL;
        if (v && v->value)
            snprintf(name, sizeof(name), "%s", v->value);
    }
    return name;
}

static void uptime_information(struct session *s, uint32_t id)
{
    struct buf b;
    time_t now = time(NULL);
    char a[64], c[64], d[64];

    local_time(a, sizeof(a), now);
    local_time(c, sizeof(c), g_mgd->started);
    local_time(d, sizeof(d), g_mgd->db.nhist ? g_mgd->db.hist[0].when : g_mgd->started);
    buf_init(&b);
    buf_printf(&b,
               "<system-uptime-information>\n"
               "<current-time><date-time junos:seconds=\"%lld\">%s</date-time></current-time>\n"
               "<system-booted-time><date-time junos:seconds=\"%lld\">%s</date-time>"
               "<time-length junos:seconds=\"%lld\"/></system-booted-time>\n"
               "<last-configured-time><date-time junos:seconds=\"%lld\">%s</date-time>"
               "<user>%s</user></last-configured-time>\n"
               "</system-uptime-information>\n",
               (long long)now, a, (long long)g_mgd->started, c, (long long)(now - g_mgd->started),
               (long long)(g_mgd->db.nhist ? g_mgd->db.hist[0].when : g_mgd->started), d,
               g_mgd->db.nhist ? g_mgd->db.hist[0].user : "root");
    reply_send(s->conn, id, 0, b.s);
    buf_free(&b);
}

/* OPENSG_VERSION "A.B.C" in Junos's shape "A.BRC" (release C of A.B),
 * which PyEZ and Ansible parse (MAJOR.MINOR, type letter, build). */
static const char *junos_version(void)
{
    static char v[64];
    int a = 0, b = 0, c = 0;

    if (sscanf(OPENSG_VERSION, "%d.%d.%d", &a, &b, &c) < 2)
        return OPENSG_VERSION;
    snprintf(v, sizeof(v), "%d.%dR%d", a, b, c);
    return v;
}

static void software_information(struct session *s, uint32_t id)
{
    struct buf b;
    struct utsname u;

    uname(&u);
    buf_init(&b);
    buf_puts(&b, "<software-information>\n<host-name>");
    put_esc(&b, host_name());
    buf_printf(&b,
               "</host-name>\n<product-model>opensg</product-model>\n"
               "<product-name>opensg</product-name>\n<junos-version>%s</junos-version>\n"
               "<package-information>\n<name>opensg</name>\n"
               "<comment>OpenSG Security Gateway [%s]</comment>\n</package-information>\n"
               "<package-information>\n<name>kernel</name>\n<comment>%s %s</comment>\n"
               "</package-information>\n</software-information>\n",
               junos_version(), OPENSG_VERSION, u.sysname, u.release);
    reply_send(s->conn, id, 0, b.s);
    buf_free(&b);
}

/* show chassis routing-engine: the one routing engine, re0, master.
 * Memory and load from the host's /proc. */
static void route_engine_information(struct session *s, uint32_t id)
{
    struct buf b;
    long long up = (long long)(time(NULL) - g_mgd->started);
    long long memkb = 0;
    double load[3] = {0, 0, 0};
    char *mi = buf_read_file("/proc/meminfo");
    FILE *f = fopen("/proc/loadavg", "r");
    char when[64];

    if (mi && strncmp(mi, "MemTotal:", 9) == 0)
        memkb = atoll(mi + 9);
    free(mi);
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
            load[0] = load[1] = load[2] = 0;
        fclose(f);
    }
    local_time(when, sizeof(when), g_mgd->started);
    buf_init(&b);
    buf_printf(&b,
               "<route-engine-information>\n<route-engine>\n<slot>0</slot>\n"
               "<mastership-state>master</mastership-state>\n"
               "<mastership-priority>master (default)</mastership-priority>\n"
               "<status>OK</status>\n<memory-dram-size>%lld MB</memory-dram-size>\n"
               "<model>RE-OPENSG</model>\n"
               "<start-time junos:seconds=\"%lld\">%s</start-time>\n"
               "<up-time junos:seconds=\"%lld\"/>\n"
               "<last-reboot-reason>Router rebooted after a normal shutdown.</last-reboot-reason>\n"
               "<load-average-one>%.2f</load-average-one>\n"
               "<load-average-five>%.2f</load-average-five>\n"
               "<load-average-fifteen>%.2f</load-average-fifteen>\n"
               "</route-engine>\n</route-engine-information>\n",
               memkb / 1024, (long long)g_mgd->started, when, up, load[0], load[1], load[2]);
    reply_send(s->conn, id, 0, b.s);
    buf_free(&b);
}

/* Files a user may read: NAME in their own directory (ROOT/home/USER), or
 * log/NAME in ROOT/log.  No other path. */
static int user_path(struct session *s, const char *name, char *out, size_t len)
{
    if (name == NULL || *name == '\0' || strstr(name, "..") || name[0] == '/')
        return -1;
    if (strncmp(name, "log/", 4) == 0)
        return snprintf(out, len, "%s/log/%s", g_mgd->root, name + 4) < (int)len ? 0 : -1;
    return snprintf(out, len, "%s/home/%s/%s", g_mgd->root, s->user, name) < (int)len ? 0 : -1;
}

static void file_content(struct session *s, uint32_t id, const char *name, const char *path)
{
    char *text = buf_read_file(path);
    struct buf b;

    if (text == NULL) {
        char msg[600];
        snprintf(msg, sizeof(msg), "error: could not resolve file: %s", name);
        reply_error(s->conn, id, msg, -1);
        return;
    }
    buf_init(&b);
    buf_puts(&b, "<file-content filename=\"");
    put_esc(&b, name);
    buf_puts(&b, "\">");
    put_esc(&b, text);
    buf_puts(&b, "</file-content>\n");
    reply_send(s->conn, id, 0, b.s);
    buf_free(&b);
    free(text);
}

static void file_rpc(struct session *s, uint32_t id, xmlNodePtr rpc)
{
    char name[512], path[PATH_MAX];
    const char *rn = (const char *)rpc->name;

    if (strcmp(rn, "get-log") == 0 || strcmp(rn, "file-show") == 0) {
        const char *n = arg(rpc, "filename", name, sizeof(name));
        char full[520];
        if (strcmp(rn, "get-log") == 0 && n) {
            snprintf(full, sizeof(full), "log/%s", n);
            n = full;
        }
        if (user_path(s, n, path, sizeof(path)) < 0) {
            reply_error(s->conn, id, "error: invalid file name", -1);
            return;
        }
        file_content(s, id, n, path);
        return;
    }
    /* file-list */
    {
        const char *n = arg(rpc, "path", name, sizeof(name));
        char dir[PATH_MAX];
        DIR *d;
        struct dirent *e;
        struct buf b;
        int log = n && (strcmp(n, "log") == 0 || strcmp(n, "log/") == 0);
        if (n && (strcmp(n, "~") == 0 || strcmp(n, "~/") == 0))
            n = NULL; /* the user's own directory, as PyEZ asks for it */
        if (n && !log) {
            reply_error(s->conn, id, "error: only your directory and log/ can be listed", -1);
            return;
        }
        if (log)
            snprintf(dir, sizeof(dir), "%s/log", g_mgd->root);
        else
            snprintf(dir, sizeof(dir), "%s/home/%s", g_mgd->root, s->user);
        buf_init(&b);
        buf_puts(&b, "<directory-list>\n<directory>\n<directory-name>");
        put_esc(&b, log ? "log/" : "");
        buf_puts(&b, "</directory-name>\n");
        if ((d = opendir(dir)) != NULL) {
            while ((e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.')
                    continue;
                buf_puts(&b, "<file-information>\n<file-name>");
                put_esc(&b, e->d_name);
                buf_puts(&b, "</file-name>\n</file-information>\n");
            }
            closedir(d);
        }
        buf_puts(&b, "</directory>\n</directory-list>\n");
        reply_send(s->conn, id, 0, b.s);
        buf_free(&b);
    }
}

/*
 * request system reboot | power-off.  On the VM image (issue: images) the
 * init process acts on ROOT/halt-request; run on a host (images/run-local)
 * a reboot restarts mgd in place (sessions end, the committed configuration
 * is read again and the daemons are resynchronized) and a power-off stops
 * mgd.  docs/mgd.md.
 */
static int confirmed_request;

static void system_request(struct session *s, uint32_t id, int reboot)
{
    char path[PATH_MAX];

    if (!confirmed_request) {
        session_output(s, id, 0, "", -1,
                       reboot ? "<confirm prompt=\"Reboot the system ? [yes,no] (no) \" "
                                "default=\"no\"/>\n"
                              : "<confirm prompt=\"Power Off the system ? [yes,no] (no) \" "
                                "default=\"no\"/>\n");
        return;
    }
    snprintf(path, sizeof(path), "%s/halt-request", g_mgd->root);
    db_write_atomic(path, reboot ? "reboot\n" : "power-off\n", reboot ? 7 : 10);
    session_output(s, id, 0,
                   reboot ? "*** FINAL System shutdown message from root ***\n"
                            "System going down IMMEDIATELY\n\nShutdown NOW!\n"
                          : "*** FINAL System shutdown message from root ***\n"
                            "System going down IMMEDIATELY\n\nPower Off NOW!\n",
                   -1, NULL);
    log_info("request system %s by %s", reboot ? "reboot" : "power-off", s->user);
    g_mgd->halt = reboot ? 2 : 1;
    {
        /* leave the loop once the answer has been written */
        struct timeval tv = {0, 200 * 1000};
        event_base_loopexit(g_mgd->eb, &tv);
    }
}

/* An RPC owned by mgd. */
void oper_local_rpc(struct session *s, uint32_t id, xmlNodePtr rpc, const char *display)
{
    const char *name = (const char *)rpc->name;

    if (strcmp(name, "get-configuration") == 0)
        get_configuration(s, id, rpc, display);
    else if (strcmp(name, "get-commit-information") == 0)
        commit_information(s, id);
    else if (strcmp(name, "get-rollback-information") == 0)
        rollback_information(s, id, rpc);
    else if (strcmp(name, "get-system-users-information") == 0)
        users_information(s, id);
    else if (strcmp(name, "get-system-uptime-information") == 0)
        uptime_information(s, id);
    else if (strcmp(name, "get-software-information") == 0)
        software_information(s, id);
    else if (strcmp(name, "get-route-engine-information") == 0)
        route_engine_information(s, id);
    else if (strcmp(name, "request-reboot") == 0 || strcmp(name, "request-power-off") == 0)
        system_request(s, id, strcmp(name, "request-reboot") == 0);
    else if (strcmp(name, "get-log") == 0 || strcmp(name, "file-show") == 0 ||
             strcmp(name, "file-list") == 0)
        file_rpc(s, id, rpc);
    else if (strcmp(name, "request-save-rescue-configuration") == 0) {
        char *text = db_read(&g_mgd->db, 0);
        if (text && db_rescue_save(&g_mgd->db, text) == 0)
            reply_send(s->conn, id, 0, "<output></output>\n");
        else
            reply_error(s->conn, id, "error: could not save the rescue configuration", -1);
        free(text);
    } else if (strcmp(name, "request-delete-rescue-configuration") == 0) {
        if (db_rescue_delete(&g_mgd->db) == 0)
            reply_send(s->conn, id, 0, "<output></output>\n");
        else
            reply_error(s->conn, id, "error: could not delete the rescue configuration", -1);
    } else if (strcmp(name, "open-configuration") == 0) {
        int priv = 0, excl = 0;
        for (xmlNodePtr c = rpc->children; c; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            priv |= strcmp((const char *)c->name, "private") == 0;
            excl |= strcmp((const char *)c->name, "exclusive") == 0;
        }
        session_open_configuration(s, id, priv, excl);
    } else {
        reply_error(s->conn, id, "error: command not available", -1);
    }
}

/* Build the RPC XML of a parsed command; returns the command's node. */
static const struct sch_node *rpc_xml(const struct path *p, struct buf *b)
{
    const struct sch_node *cmd = NULL;
    size_t at = 0;

    for (size_t i = 0; i < p->nsteps; i++)
        if (p->steps[i].sch->flags & SCHF_RPC) {
            cmd = p->steps[i].sch;
            at = i;
        }
    if (cmd == NULL)
        return NULL;
    buf_printf(b, "<%s>", cmd->rpc);
    for (size_t i = at + 1; i < p->nsteps; i++) {
        const struct path_step *st = &p->steps[i];
        if (st->sch->kind == SCH_FLAG || st->nvals == 0) {
            buf_printf(b, "<%s/>", st->sch->name);
        } else {
            buf_printf(b, "<%s>", st->sch->name);
            put_esc(b, st->vals[0]);
            buf_printf(b, "</%s>", st->sch->name);
        }
    }
    buf_printf(b, "</%s>", cmd->rpc);
    return cmd;
}

void oper_command_confirmed(struct session *s, uint32_t id, const char *line, const char *display,
                            int confirmed)
{
    confirmed_request = confirmed;
    oper_command(s, id, line, display);
    confirmed_request = 0;
}

void oper_command(struct session *s, uint32_t id, const char *line, const char *display)
{
    struct words w;
    struct path p;
    struct buf b;
    const char *err;
    size_t eo;
    const struct sch_node *cmd;

    words_init(&w);
    buf_init(&b);
    memset(&p, 0, sizeof(p));
    if (words_split(&w, line, strlen(line), &err, &eo) < 0) {
        reply_error(s->conn, id, "syntax error: unterminated quote", (long)eo);
        goto out;
    }
    if (w.n == 0 || w.w[0][0] == '#') {
        reply_send(s->conn, id, 0, "<output></output>\n");
        goto out;
    }
    if (path_parse(g_mgd->op->root, 0, w.w, w.n, PATH_SET, &p) < 0) {
        long col = p.bad_word < w.n ? (long)w.off[p.bad_word] : (long)strlen(line);
        if (p.err == PE_SYNTAX && p.bad_word == 0)
            reply_error(s->conn, id, "unknown command.", col);
        else if (p.err == PE_SYNTAX)
            reply_error(s->conn, id, "syntax error, expecting <command>.", col);
        else
            reply_error(s->conn, id, p.msg, col);
        goto out;
    }
    cmd = rpc_xml(&p, &b);
    if (cmd == NULL) {
        reply_error(s->conn, id, "syntax error, expecting <command>.", (long)strlen(line));
        goto out;
    }
    if (!oper_permitted(s, sch_permission(cmd))) {
        reply_error(s->conn, id, "error: permission denied", -1);
        goto out;
    }
    if (strcmp(sch_owner(cmd), "mgd") == 0) {
        xmlDocPtr doc = xmlReadMemory(b.s, (int)b.len, "rpc.xml", NULL, XML_PARSE_NONET);
        if (doc) {
            oper_local_rpc(s, id, xmlDocGetRootElement(doc), display);
            xmlFreeDoc(doc);
        }
    } else if (daemon_forward(g_mgd, sch_owner(cmd), s->conn, id, b.s) < 0) {
        char msg[128];
        snprintf(msg, sizeof(msg), "error: the %s subsystem is not running", sch_owner(cmd));
        reply_error(s->conn, id, msg, -1);
    }
out:
    path_free(&p);
    words_free(&w);
    buf_free(&b);
}

/* The op command whose o:rpc is name (depth first). */
static const struct sch_node *find_rpc(const struct sch_node *n, const char *name)
{
    if ((n->flags & SCHF_RPC) && n->rpc && strcmp(n->rpc, name) == 0)
        return n;
    for (size_t i = 0; i < n->nchildren; i++) {
        const struct sch_node *r = find_rpc(n->children[i], name);
        if (r)
            return r;
    }
    return NULL;
}

void oper_rpc(struct session *s, uint32_t id, xmlNodePtr rpc)
{
    const char *name = (const char *)rpc->name;
    const struct sch_node *cmd = find_rpc(g_mgd->op->root, name);
    char msg[300];

    if (cmd == NULL || strcmp(name, "open-configuration") == 0) {
        struct buf b;
        buf_init(&b);
        buf_puts(&b, "<xnm:error xmlns:xnm=\"http://xml.juniper.net/xnm/1.1/xnm\">\n"
                     "<error-tag>operation-not-supported</error-tag>\n<bad-element>");
        put_esc(&b, name);
        buf_puts(&b, "</bad-element>\n<message>syntax error</message>\n</xnm:error>\n");
        reply_send(s->conn, id, 1, b.s);
        buf_free(&b);
        return;
    }
    if (!oper_permitted(s, sch_permission(cmd))) {
        reply_error(s->conn, id, "error: permission denied", -1);
        return;
    }
    if (strcmp(sch_owner(cmd), "mgd") == 0) {
        oper_local_rpc(s, id, rpc, NULL);
    } else {
        xmlBufferPtr xb = xmlBufferCreate();
        xmlNodeDump(xb, rpc->doc, rpc, 0, 0);
        if (daemon_forward(g_mgd, sch_owner(cmd), s->conn, id, (const char *)xmlBufferContent(xb)) <
            0) {
            snprintf(msg, sizeof(msg), "error: the %s subsystem is not running", sch_owner(cmd));
            reply_error(s->conn, id, msg, -1);
        }
        xmlBufferFree(xb);
    }
}
