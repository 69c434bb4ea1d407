/*
 * mgd: the management daemon.
 *
 *   mgd [--root DIR] [--schema DIR] [--daemon] [--debug]
 *
 * ROOT (or $OPENSG_ROOT) holds mgd.sock, mgd.pid, db/ and log/.  A fresh
 * root starts from the factory-default configuration (factory-default.conf,
 * docs/mgd.md).  At start mgd reads the committed configuration, resolves
 * an interrupted commit (the daemons get what is durable when they
 * connect) and re-arms a pending commit confirmed.
 */
#include "groups.h"
#include "log.h"
#include "mgd.h"
#include "systemlog.h"
#include "render.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef SCHEMA_DIR
#define SCHEMA_DIR "/usr/share/opensg/schema"
#endif
#ifndef FACTORY_CONF
#define FACTORY_CONF "/usr/share/opensg/factory-default.conf"
#endif

struct mgd *g_mgd;

char *conf_text(const struct conf *c)
{
    struct buf b;

    buf_init(&b);
    render_text(&b, c->root, 0, 0);
    return buf_steal(&b);
}

struct conf *mgd_factory_default(struct mgd *m)
{
    struct conf *c = conf_new(m->schema);
    struct load_result r = {0};
    char *text = buf_read_file(FACTORY_CONF);

    if (text == NULL)
        log_warn("%s", FACTORY_CONF);
    else if (load_text(c->root, text, &r))
        log_warnx("%s: %s", FACTORY_CONF, r.nerrs ? r.errs[0].msg : "");
    load_result_free(&r);
    free(text);
    return c;
}

static int load_committed(struct mgd *m)
{
    struct load_result r = {0};
    char *text;

    if (m->db.nhist == 0) {
        struct conf *f = mgd_factory_default(m);
        char *t = conf_text(f);
        conf_free(f);
        if (db_commit(&m->db, t, "root", "other", 0, "factory-default configuration") < 0) {
            log_warn("cannot write the factory-default configuration");
            free(t);
            return -1;
        }
        free(t);
    }
    text = db_read(&m->db, 0);
    if (text == NULL) {
        log_warn("cannot read the committed configuration");
        return -1;
    }
    m->committed = conf_new(m->schema);
    if (load_text(m->committed->root, text, &r))
        log_warnx("committed configuration: line %d: %s", r.errs[0].line, r.errs[0].msg);
    load_result_free(&r);
    free(text);
    conf_marks_clear(m->committed->root);
    {
        struct conf *e = conf_expand(m->committed, 0);
        mgd_syslog_apply(m->root, e->root);
        conf_free(e);
    }
    m->gen = 1;
    m->committed_size = cnode_count(m->committed->root);
    m->shared = conf_dup(m->committed);
    m->shared->base = m->gen;
    if (db_journal_present(&m->db)) {
        log_warnx("a commit was interrupted between apply and persist: the daemons are "
                  "resynchronized to the committed configuration");
        db_journal_end(&m->db);
    }
    if (db_confirm_get(&m->db))
        commit_confirm_arm(m, db_confirm_get(&m->db));
    return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct mgd *m = arg;

    (void)what;
    log_info("signal %d: exiting", (int)sig);
    event_base_loopexit(m->eb, NULL);
}

static void usage(void)
{
    fprintf(stderr, "usage: mgd [--root DIR] [--schema DIR] [--daemon] [--debug]\n");
    exit(2);
}

static int prepare_root(const char *root)
{
    char path[PATH_MAX];

    if (mkdir(root, 0711) < 0 && errno != EEXIST)
        return -1;
    snprintf(path, sizeof(path), "%s/log", root);
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

static void write_pid(const char *root)
{
    char path[PATH_MAX], line[32];

    snprintf(path, sizeof(path), "%s/mgd.pid", root);
    snprintf(line, sizeof(line), "%d\n", (int)getpid());
    db_write_atomic(path, line, strlen(line));
}

/* mgd's own lines go to the system log too (facility daemon). */
static void log_to_systemlog(void *arg, int pri, const char *msg)
{
    (void)arg;
    mgd_syslog(SLF_DAEMON, pri, "mgd", getpid(), "%s", msg);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"root", required_argument, NULL, 'r'},
                                         {"schema", required_argument, NULL, 's'},
                                         {"daemon", no_argument, NULL, 'd'},
                                         {"debug", no_argument, NULL, 'D'},
                                         {NULL, 0, NULL, 0}};
    const char *root = getenv("OPENSG_ROOT"), *schema = SCHEMA_DIR;
    int daemonize = 0, debug = 0, c;
    struct mgd m;
    char err[512];
    struct event *sigterm, *sigint;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            root = optarg;
            break;
        case 's':
            schema = optarg;
            break;
        case 'd':
            daemonize = 1;
            break;
        case 'D':
            debug = 1;
            break;
        default:
            usage();
        }
    }
    if (root == NULL)
        root = "/var/opensg";
    umask(077);
    log_init("mgd", 0, debug);
    log_set_sink(log_to_systemlog, NULL);
    memset(&m, 0, sizeof(m));
    m.listen_fd = -1;
    m.root = realpath(root, NULL);
    if (m.root == NULL) {
        if (prepare_root(root) < 0)
            fatal("%s", root);
        m.root = realpath(root, NULL);
    }
    if (m.root == NULL || prepare_root(m.root) < 0)
        fatal("%s", root);
    m.schema = schema_load(schema, err, sizeof(err));
    if (m.schema == NULL)
        fatalx("schema: %s", err);
    m.op = schema_load_op(schema, err, sizeof(err));
    if (m.op == NULL)
        fatalx("operational commands: %s", err);
    if (db_open(&m.db, m.root, err, sizeof(err)) < 0)
        fatalx("%s", err);
    m.db.schema = m.schema;
    g_mgd = &m;
    m.eb = event_base_new();
    m.started = time(NULL);
    signal(SIGPIPE, SIG_IGN);
    sigterm = evsignal_new(m.eb, SIGTERM, on_signal, &m);
    sigint = evsignal_new(m.eb, SIGINT, on_signal, &m);
    evsignal_add(sigterm, NULL);
    evsignal_add(sigint, NULL);
    if (load_committed(&m) < 0)
        return 1;
    if (conn_listen(&m) < 0)
        return 1;
    if (daemonize) {
        char logpath[PATH_MAX];
        int fd;
        snprintf(logpath, sizeof(logpath), "%s/log/mgd.log", m.root);
        if (daemon(1, 0) < 0)
            fatal("daemon");
        event_reinit(m.eb);
        fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, 2);
            close(fd);
        }
    }
    write_pid(m.root);
    {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/halt-request", m.root);
        unlink(path);
    }
    log_info("ready on %s/mgd.sock", m.root);
    event_base_dispatch(m.eb);

    conn_close_listener(&m);
    conn_close_all();
    if (m.confirm_ev)
        event_free(m.confirm_ev);
    event_free(sigterm);
    event_free(sigint);
    findings_free(&m.checks_cache);
    log_set_sink(NULL, NULL);
    mgd_syslog_free();
    conf_free(m.committed);
    conf_free(m.shared);
    db_close(&m.db);
    schema_free(m.schema);
    schema_free(m.op);
    event_base_free(m.eb);
    {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/mgd.pid", m.root);
        unlink(path);
    }
    if (m.halt == 2 && m.root) {
        /* "reboot" on a host: start again in place (docs/mgd.md) */
        char *args[] = {argv[0], "--root", m.root, "--schema", (char *)schema, NULL};
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/halt-request", m.root);
        unlink(path);
        execv("/proc/self/exe", args);
        log_warn("re-executing mgd");
    }
    free(m.root);
    return 0;
}
