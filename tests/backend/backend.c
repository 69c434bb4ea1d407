/*
 * backend: a test back-end daemon for mgd, built on lib/daemon.
 *
 *   backend --root DIR --name NAME [--schema DIR] [--fixtures DIR]
 *           [--refuse-prepare MSG] [--fail-apply] [--log FILE]
 *
 * It registers with mgd as NAME and records what it receives so that
 * integration tests can check the commit pipeline without kmd or fwdd:
 *   - prepare renders the proposed view as brace text to
 *     DIR/backend-NAME.conf.tmp; apply renames it to DIR/backend-NAME.conf
 *     (atomic: a test never sees half a file); abort removes it.
 *   - prepare refuses with MSG when --refuse-prepare MSG is given, or when
 *     DIR/refuse-prepare exists (its first line is the message), so a test
 *     can toggle refusal without a restart.
 *   - apply exits the process with status 3, before writing its view and
 *     before answering mgd, when --fail-apply is given or DIR/fail-apply
 *     exists: a daemon dying between prepare and apply.
 *   - an RPC named X is answered with FIXTURES/X.xml wrapped in
 *     <rpc-reply> (unless the file already is one); if FIXTURES/X.stream
 *     exists its lines are sent first as chunks, 50 ms apart (a cancel
 *     stops them); no fixture: an <xnm:error> "no fixture for X".
 *   - --log FILE gets one line per prepare, apply, abort, rpc and cancel.
 * SIGTERM or SIGINT stops it cleanly (everything freed, for ASan).
 */
#include "daemon.h"
#include "log.h"
#include "render.h"

#include <event2/event.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SCHEMA_DIR
#define SCHEMA_DIR "schema"
#endif
#define STREAM_INTERVAL_MS 50
#define FAIL_APPLY_STATUS 3

struct stream {
    struct backend *be;
    uint32_t id;
    char *text, *next; /* the .stream file; the next line to send */
    char *reply;       /* the final <rpc-reply> */
    struct event *ev;
    struct stream *link;
};

struct backend {
    struct event_base *eb;
    struct dmn *d;
    const char *root, *name, *fixtures, *refuse;
    int fail_apply;
    FILE *log;
    char *conf_path, *tmp_path;
    struct stream *streams;
};

static void note(struct backend *be, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct backend *be, const char *fmt, ...)
{
    va_list ap;

    if (be->log == NULL)
        return;
    va_start(ap, fmt);
    vfprintf(be->log, fmt, ap);
    va_end(ap);
    fputc('\n', be->log);
    fflush(be->log);
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        fatal("vasprintf");
    return s;
}

/* The whole file, NUL-terminated; NULL (errno set) if unreadable. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    struct buf b;
    char chunk[4096];
    size_t n;

    if (f == NULL)
        return NULL;
    buf_init(&b);
    buf_puts(&b, "");
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_add(&b, chunk, n);
    fclose(f);
    return buf_steal(&b);
}

static int file_exists(const char *dir, const char *name)
{
    char *path = xasprintf("%s/%s", dir, name);
    int r = access(path, F_OK) == 0;

    free(path);
    return r;
}

/* --- configuration ---------------------------------------------------- */

static int write_file(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t off = 0;

    if (fd < 0)
        return -1;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        off += (size_t)n;
    }
    return close(fd);
}

/* The refusal asked for, or NULL: --refuse-prepare, else ROOT/refuse-prepare. */
static char *refusal(struct backend *be)
{
    char *path, *msg;

    if (be->refuse)
        return xasprintf("%s", be->refuse);
    path = xasprintf("%s/refuse-prepare", be->root);
    msg = read_file(path);
    free(path);
    if (msg == NULL)
        return NULL;
    msg[strcspn(msg, "\r\n")] = '\0';
    if (*msg == '\0') {
        free(msg);
        msg = xasprintf("refused by back-end %s", be->name);
    }
    return msg;
}

static int be_prepare(void *arg, const struct conf *newc, const struct conf *old, char *err,
                      size_t errlen)
{
    struct backend *be = arg;
    char *msg = refusal(be);
    struct buf b;
    int r = 0;

    (void)old;
    if (msg) {
        snprintf(err, errlen, "%s", msg);
        note(be, "prepare refused: %s", msg);
        log_warnx("prepare refused: %s", msg); /* a line for mgd's system log */
        free(msg);
        return -1;
    }
    buf_init(&b);
    render_text(&b, newc->root, 0, 0);
    if (write_file(be->tmp_path, b.s ? b.s : "", b.len) < 0) {
        snprintf(err, errlen, "%s: %s", be->tmp_path, strerror(errno));
        unlink(be->tmp_path);
        note(be, "prepare failed: %s", err);
        r = -1;
    } else {
        note(be, "prepare ok");
    }
    buf_free(&b);
    return r;
}

static void be_apply(void *arg)
{
    struct backend *be = arg;

    if (be->fail_apply || file_exists(be->root, "fail-apply")) {
        note(be, "apply: failing on purpose");
        log_warnx("apply: exiting with status %d as asked", FAIL_APPLY_STATUS);
        _exit(FAIL_APPLY_STATUS);
    }
    if (rename(be->tmp_path, be->conf_path) < 0)
        log_warn("rename %s", be->tmp_path); /* the test will see the stale view */
    note(be, "apply");
}

static void be_abort(void *arg)
{
    struct backend *be = arg;

    unlink(be->tmp_path);
    note(be, "abort");
}

/* --- operational requests --------------------------------------------- */

static void stream_free(struct stream *s)
{
    struct stream **pp;

    for (pp = &s->be->streams; *pp; pp = &(*pp)->link)
        if (*pp == s) {
            *pp = s->link;
            break;
        }
    event_free(s->ev);
    free(s->text);
    free(s->reply);
    free(s);
}

static void stream_tick(evutil_socket_t fd, short what, void *arg)
{
    struct stream *s = arg;
    struct timeval tv = {0, STREAM_INTERVAL_MS * 1000};
    size_t len;

    (void)fd;
    (void)what;
    if (*s->next == '\0') {
        dmn_reply(s->be->d, s->id, 0, s->reply);
        stream_free(s);
        return;
    }
    len = strcspn(s->next, "\n");
    len += s->next[len] == '\n';
    if (dmn_chunk(s->be->d, s->id, s->next, len) < 0) { /* mgd forgot it */
        stream_free(s);
        return;
    }
    s->next += len;
    evtimer_add(s->ev, &tv);
}

/* The fixture FIXTURES/NAME.EXT, or NULL. */
static char *fixture(struct backend *be, const char *name, const char *ext)
{
    char *path, *text;

    if (be->fixtures == NULL || strchr(name, '/') || name[0] == '.')
        return NULL;
    path = xasprintf("%s/%s.%s", be->fixtures, name, ext);
    text = read_file(path);
    free(path);
    return text;
}

static void be_rpc(void *arg, uint32_t id, const char *name, const char *xml)
{
    struct backend *be = arg;
    char *body = fixture(be, name, "xml"), *lines = fixture(be, name, "stream"), *reply;
    struct stream *s;

    (void)xml;
    note(be, "rpc %s %u", name, id);
    if (body == NULL && lines == NULL) {
        char msg[300];
        snprintf(msg, sizeof(msg), "no fixture for %s", name);
        dmn_reply_error(be->d, id, msg);
        return;
    }
    if (body == NULL)
        reply = xasprintf("<rpc-reply/>");
    else if (strncmp(body + strspn(body, " \t\r\n"), "<rpc-reply", 10) == 0)
        reply = xasprintf("%s", body);
    else
        reply = xasprintf("<rpc-reply>%s</rpc-reply>", body);
    free(body);
    if (lines == NULL) {
        dmn_reply(be->d, id, 0, reply);
        free(reply);
        return;
    }
    if ((s = calloc(1, sizeof(*s))) == NULL)
        fatal("calloc");
    s->be = be;
    s->id = id;
    s->text = s->next = lines;
    s->reply = reply;
    if ((s->ev = evtimer_new(be->eb, stream_tick, s)) == NULL)
        fatalx("evtimer_new");
    s->link = be->streams;
    be->streams = s;
    stream_tick(-1, 0, s);
}

static void be_cancel(void *arg, uint32_t id)
{
    struct backend *be = arg;

    note(be, "cancel %u", id);
    for (struct stream *s = be->streams; s; s = s->link)
        if (s->id == id) {
            stream_free(s);
            return;
        }
}

static const struct dmn_ops be_ops = {be_prepare, be_apply, be_abort, be_rpc, be_cancel};

/* --- main ------------------------------------------------------------- */

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    log_info("signal %d: exiting", (int)sig);
    event_base_loopexit(arg, NULL);
}

static void usage(void)
{
    fprintf(stderr, "usage: backend --root DIR --name NAME [--schema DIR] [--fixtures DIR]\n"
                    "               [--refuse-prepare MSG] [--fail-apply] [--log FILE]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"root", required_argument, NULL, 'r'},
        {"name", required_argument, NULL, 'n'},
        {"schema", required_argument, NULL, 's'},
        {"fixtures", required_argument, NULL, 'f'},
        {"refuse-prepare", required_argument, NULL, 'R'},
        {"fail-apply", no_argument, NULL, 'F'},
        {"log", required_argument, NULL, 'l'},
        {NULL, 0, NULL, 0},
    };
    struct backend be = {0};
    const char *schema_dir = SCHEMA_DIR, *logfile = NULL;
    struct event *sigterm, *sigint;
    struct schema *sch;
    char err[512], *progname;
    int c;

    be.root = getenv("OPENSG_ROOT");
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            be.root = optarg;
            break;
        case 'n':
            be.name = optarg;
            break;
        case 's':
            schema_dir = optarg;
            break;
        case 'f':
            be.fixtures = optarg;
            break;
        case 'R':
            be.refuse = optarg;
            break;
        case 'F':
            be.fail_apply = 1;
            break;
        case 'l':
            logfile = optarg;
            break;
        default:
            usage();
        }
    }
    if (optind != argc || be.root == NULL || be.name == NULL || *be.name == '\0' ||
        strchr(be.name, '/'))
        usage();
    progname = xasprintf("backend-%s", be.name);
    log_init(progname, 0, 0);
    if (logfile && (be.log = fopen(logfile, "a")) == NULL)
        fatal("%s", logfile);
    if ((sch = schema_load(schema_dir, err, sizeof(err))) == NULL)
        fatalx("schema %s: %s", schema_dir, err);
    be.conf_path = xasprintf("%s/backend-%s.conf", be.root, be.name);
    be.tmp_path = xasprintf("%s/backend-%s.conf.tmp", be.root, be.name);
    if ((be.eb = event_base_new()) == NULL)
        fatalx("event_base_new");
    sigterm = evsignal_new(be.eb, SIGTERM, on_signal, be.eb);
    sigint = evsignal_new(be.eb, SIGINT, on_signal, be.eb);
    if (sigterm == NULL || sigint == NULL || evsignal_add(sigterm, NULL) < 0 ||
        evsignal_add(sigint, NULL) < 0)
        fatalx("evsignal");
    if ((be.d = dmn_new(be.eb, be.root, be.name, sch, &be_ops, &be)) == NULL)
        fatalx("cannot reach mgd under %s", be.root);
    event_base_dispatch(be.eb);

    while (be.streams)
        stream_free(be.streams);
    dmn_free(be.d);
    unlink(be.tmp_path); /* a prepared view that was never applied */
    event_free(sigterm);
    event_free(sigint);
    event_base_free(be.eb);
    schema_free(sch);
    free(be.conf_path);
    free(be.tmp_path);
    if (be.log)
        fclose(be.log);
    free(progname);
    return 0;
}
