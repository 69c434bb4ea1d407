/*
 * trace.c: kmd's trace file and its log tap.
 *
 * Every log_info/log_debug/log_warnx line of kmdcore reaches
 * kmd_trace_log() (the macros of ike.h), which hands it to lib/log as
 * before and appends it to the trace file.  The trace file is ROOT/log/NAME as `services
 * ipsec-vpn traceoptions` asks (file NAME size S files N; flag all | ike |
 * general | parse | timer adds kmd's detail lines; level error | warning |
 * notice | info | verbose | all), or ROOT/log/kmd with the events only
 * (established, refused, deleted, with their reasons) when there are no
 * traceoptions.  Mode 0600, created without following a link, written a
 * line at a time (so `show log NAME` through mgd sees it at once) and
 * rotated when it reaches its size: NAME -> NAME.0 -> ... -> NAME.<N-2>
 * (lib/logfile.h, shared with mgd's system log).
 * No secret is ever part of a log line, so none reaches the file.
 * Process-wide state, like lib/log.  Called by main.c and every file that
 * logs.
 */
#include "ike.h"
#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TRACE_DEFAULT_SIZE (1024ULL * 1024)
#define TRACE_DEFAULT_FILES 3

static struct {
    struct logfile lf;
    char dir[4096];
    struct kmd_trace_conf c;
} tr = {.lf = {.fd = -1}};

/* ---- traceoptions from the view ---- */

static struct cnode *child(const struct cnode *n, const char *name)
{
    const struct sch_node *s;

    if (n == NULL || (s = sch_child(n->sch, name)) == NULL)
        return NULL;
    return cnode_find(n, s, NULL);
}

static const char *leaf(const struct cnode *n, const char *name)
{
    const struct cnode *c = child(n, name);

    return c ? c->value : NULL;
}

static int level_value(const char *v)
{
    static const struct {
        const char *word;
        int pri;
    } levels[] = {{"error", LOG_ERR}, {"warning", LOG_WARNING}, {"notice", LOG_NOTICE},
                  {"info", LOG_INFO}, {"verbose", LOG_DEBUG},   {"all", LOG_DEBUG}};

    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
        if (strcmp(levels[i].word, v) == 0)
            return levels[i].pri;
    return LOG_INFO;
}

void kmd_trace_parse(const struct cnode *root, struct kmd_trace_conf *c)
{
    const struct cnode *t = child(child(child(root, "services"), "ipsec-vpn"), "traceoptions");
    const struct cnode *file = child(t, "file");
    const struct sch_node *fs;
    const char *v;

    memset(c, 0, sizeof(*c));
    snprintf(c->file, sizeof(c->file), "kmd");
    c->size = TRACE_DEFAULT_SIZE;
    c->files = TRACE_DEFAULT_FILES;
    c->level = LOG_INFO;
    if (t == NULL)
        return;
    c->configured = true;
    if ((v = leaf(file, "filename")) != NULL && *v && strchr(v, '/') == NULL &&
        strcmp(v, ".") != 0 && strcmp(v, "..") != 0)
        snprintf(c->file, sizeof(c->file), "%s", v);
    if ((v = leaf(file, "size")) != NULL && logfile_size(v) > 0)
        c->size = logfile_size(v);
    if ((v = leaf(file, "files")) != NULL && atoi(v) >= 2)
        c->files = (unsigned)atoi(v);
    if ((fs = sch_child(t->sch, "flag")) != NULL)
        for (const struct cnode *f = cnode_first(t, fs); f; f = cnode_next_same(f)) {
            const char *name = cnode_key(f, 0);
            if (name && (strcmp(name, "all") == 0 || strcmp(name, "ike") == 0 ||
                         strcmp(name, "general") == 0 || strcmp(name, "parse") == 0 ||
                         strcmp(name, "timer") == 0))
                c->flags |= KMD_TRACE_DETAIL;
        }
    if ((v = leaf(t, "level")) != NULL)
        c->level = level_value(v);
    else if (c->flags & KMD_TRACE_DETAIL)
        c->level = LOG_DEBUG;
}

/* ---- the file ---- */

/* ROOT/log/NAME, kept open; rotated into files - 1 archives. */
static int reopen(void)
{
    char path[4200];
    int n = snprintf(path, sizeof(path), "%s/%s", tr.dir, tr.c.file);

    if (n < 0 || (size_t)n >= sizeof(path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return logfile_open(&tr.lf, path, 0600, tr.c.size, tr.c.files - 1);
}

static bool same_conf(const struct kmd_trace_conf *a, const struct kmd_trace_conf *b)
{
    return a->configured == b->configured && strcmp(a->file, b->file) == 0 && a->size == b->size &&
           a->files == b->files && a->flags == b->flags && a->level == b->level;
}

int kmd_trace_open(const char *dir, const struct kmd_trace_conf *c)
{
    if (tr.lf.fd >= 0 && strcmp(dir, tr.dir) == 0 && same_conf(c, &tr.c))
        return 0;
    kmd_trace_close();
    if (strlen(dir) >= sizeof(tr.dir)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (mkdir(dir, 0750) < 0 && errno != EEXIST)
        return -1;
    snprintf(tr.dir, sizeof(tr.dir), "%s", dir);
    tr.c = *c;
    if (tr.c.files < 2)
        tr.c.files = 2;
    if (tr.c.size == 0)
        tr.c.size = TRACE_DEFAULT_SIZE;
    return reopen();
}

void kmd_trace_close(void)
{
    logfile_close(&tr.lf);
}

static void write_line(int pri, const char *msg)
{
    char line[1200], stamp[32];
    int n;

    if (tr.lf.fd < 0 || pri > tr.c.level || (pri == LOG_DEBUG && !(tr.c.flags & KMD_TRACE_DETAIL)))
        return;
    logfile_stamp(stamp, sizeof(stamp), time(NULL));
    n = snprintf(line, sizeof(line), "%s kmd[%ld]: %s\n", stamp, (long)getpid(), msg);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line)) {
        n = (int)sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    logfile_write(&tr.lf, line, (size_t)n);
}

void kmd_trace_log(int pri, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    switch (pri) {
    case LOG_DEBUG:
        (log_debug)("%s", msg);
        break;
    case LOG_INFO:
    case LOG_NOTICE:
        (log_info)("%s", msg);
        break;
    default:
        (log_warnx)("%s", msg);
    }
    write_line(pri, msg);
}
