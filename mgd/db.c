/* db.c: see db.h */
#include "db.h"
#include "buf.h"
#include "delta.h"
#include "render.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* OPENSG_CRASH_AT is POINT or POINT:FILE (journal, history, index, ...):
 * the crash tests stop mgd dead at each step of each durable write. */
static void crash_at(const char *point, const char *file)
{
    const char *at = getenv("OPENSG_CRASH_AT");
    size_t n = strlen(point);

    if (at == NULL || strncmp(at, point, n) != 0)
        return;
    if (at[n] == '\0' || (at[n] == ':' && file && strcmp(at + n + 1, file) == 0)) {
        fprintf(stderr, "mgd: crash point %s\n", at);
        _exit(99);
    }
}

void db_crash_point(const char *name)
{
    crash_at(name, NULL);
}

/* The file a path names, for crash points: "history/r3.conf" -> "history". */
static const char *file_tag(const char *path)
{
    const char *base = strrchr(path, '/');

    base = base ? base + 1 : path;
    if (base[0] == 'r' && (strstr(base, ".conf") || strstr(base, ".delta")))
        return "history";
    return base;
}

static int fsync_dir(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int fd, rc;

    if (slash == NULL || (size_t)(slash - path) >= sizeof(dir))
        return -1;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

int db_write_atomic(const char *path, const char *data, size_t len)
{
    char tmp[PATH_MAX];
    int fd;
    size_t off = 0;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)n;
    }
    crash_at("after-temp-write", file_tag(path));
    if (fsync(fd) < 0) {
        close(fd);
        unlink(tmp);
        return -1;
    }
    close(fd);
    crash_at("after-fsync", file_tag(path));
    if (rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    crash_at("after-rename", file_tag(path));
    return fsync_dir(path);
}

static void path_of(const struct db *db, char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", db->dir, name);
}

/* The comment field is the rest of the line; newlines and tabs in it are
 * escaped so that one entry stays one line. */
static void put_escaped(struct buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            buf_puts(b, "\\n");
        else if (*s == '\t')
            buf_puts(b, "\\t");
        else if (*s == '\\')
            buf_puts(b, "\\\\");
        else
            buf_putc(b, *s);
    }
}

static void unescape(char *s)
{
    char *o = s;

    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            *o++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

static int read_index(struct db *db)
{
    char path[PATH_MAX], *text, *line, *save;

    path_of(db, path, sizeof(path), "history/index");
    db->nhist = 0;
    db->next_seq = 1;
    text = buf_read_file(path);
    if (text == NULL)
        return errno == ENOENT ? 0 : -1;
    for (line = strtok_r(text, "\n", &save); line && db->nhist < DB_HISTORY_MAX;
         line = strtok_r(NULL, "\n", &save)) {
        struct db_entry *e = &db->hist[db->nhist];
        char *f[6], *fs;
        int nf = 0;
        for (char *p = strtok_r(line, "\t", &fs); p && nf < 6;
             p = strtok_r(NULL, nf == 5 ? "" : "\t", &fs))
            f[nf++] = p;
        if (nf < 5)
            continue;
        memset(e, 0, sizeof(*e));
        e->seq = strtoull(f[0], NULL, 10);
        e->when = (time_t)strtoll(f[1], NULL, 10);
        snprintf(e->user, sizeof(e->user), "%s", f[2]);
        snprintf(e->method, sizeof(e->method), "%s", f[3]);
        e->confirm_minutes = atoi(f[4]);
        if (nf > 5) {
            snprintf(e->comment, sizeof(e->comment), "%s", f[5]);
            unescape(e->comment);
        }
        if (e->seq >= db->next_seq)
            db->next_seq = e->seq + 1;
        db->nhist++;
    }
    free(text);
    return 0;
}

static int write_index(struct db *db)
{
    char path[PATH_MAX];
    struct buf b;
    int rc;

    buf_init(&b);
    for (size_t i = 0; i < db->nhist; i++) {
        const struct db_entry *e = &db->hist[i];
        buf_printf(&b, "%" PRIu64 "\t%lld\t%s\t%s\t%d\t", e->seq, (long long)e->when, e->user,
                   e->method, e->confirm_minutes);
        put_escaped(&b, e->comment);
        buf_putc(&b, '\n');
    }
    path_of(db, path, sizeof(path), "history/index");
    rc = db_write_atomic(path, b.s ? b.s : "", b.len);
    buf_free(&b);
    return rc;
}

static int mkdir_p(const char *path)
{
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return -1;
    return chmod(path, 0700);
}

/* Temporary files left by a crash before their rename are garbage. */
static void remove_temps(struct db *db)
{
    const char *dirs[] = {"", "/history"};

    for (size_t i = 0; i < 2; i++) {
        char path[PATH_MAX];
        DIR *d;
        struct dirent *e;
        snprintf(path, sizeof(path), "%s%s", db->dir, dirs[i]);
        if ((d = opendir(path)) == NULL)
            continue;
        while ((e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n > 4 && strcmp(e->d_name + n - 4, ".tmp") == 0)
                unlinkat(dirfd(d), e->d_name, 0);
        }
        closedir(d);
    }
}

/* Sequence number of a history file name r<SEQ>.conf / r<SEQ>.delta, or 0. */
static uint64_t file_seq(const char *name)
{
    char *end;
    uint64_t seq;

    if (name[0] != 'r' || name[1] < '0' || name[1] > '9')
        return 0;
    seq = strtoull(name + 1, &end, 10);
    return strcmp(end, ".conf") == 0 || strcmp(end, ".delta") == 0 ? seq : 0;
}

/* Remove the history files of sequence numbers below lo or from hi on:
 * older than every listed entry needs, or written by a commit that did
 * not reach its commit point. */
static void remove_files(const struct db *db, uint64_t lo, uint64_t hi)
{
    char path[PATH_MAX];
    DIR *d;
    struct dirent *e;

    path_of(db, path, sizeof(path), "history");
    if ((d = opendir(path)) == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        uint64_t seq = file_seq(e->d_name);
        if (seq && (seq < lo || seq >= hi))
            unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

static int hist_exists(const struct db *db, uint64_t seq, const char *ext)
{
    char path[PATH_MAX], name[64];

    snprintf(name, sizeof(name), "history/r%" PRIu64 ".%s", seq, ext);
    path_of(db, path, sizeof(path), name);
    return access(path, F_OK) == 0;
}

/* How many deltas lead from the last full file to seq. */
static size_t chain_len(const struct db *db, uint64_t seq)
{
    size_t n = 0;

    while (seq > 0 && !hist_exists(db, seq, "conf") && hist_exists(db, seq, "delta")) {
        n++;
        seq--;
    }
    return n;
}

int db_open(struct db *db, const char *root, char *err, size_t errlen)
{
    char path[PATH_MAX];

    memset(db, 0, sizeof(*db));
    if (snprintf(path, sizeof(path), "%s/db", root) >= (int)sizeof(path)) {
        snprintf(err, errlen, "root path too long");
        return -1;
    }
    db->dir = strdup(path);
    if (db->dir == NULL)
        fatal("strdup");
    path_of(db, path, sizeof(path), "history");
    if (mkdir_p(db->dir) < 0 || mkdir_p(path) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    remove_temps(db);
    if (read_index(db) < 0) {
        snprintf(err, errlen, "cannot read the commit history: %s", strerror(errno));
        return -1;
    }
    /* files of commits that did not reach the index (with no index at all,
     * whatever is there is left alone) */
    if (db->nhist)
        remove_files(db, 0, db->next_seq);
    return 0;
}

void db_close(struct db *db)
{
    free(db->dir);
    db->dir = NULL;
}

static char *read_hist(const struct db *db, uint64_t seq, const char *ext)
{
    char path[PATH_MAX], name[64];

    snprintf(name, sizeof(name), "history/r%" PRIu64 ".%s", seq, ext);
    path_of(db, path, sizeof(path), name);
    return buf_read_file(path);
}

/* The text of seq: its full file, or the last full file before it with the
 * deltas since applied. */
static char *rebuild(const struct db *db, uint64_t seq)
{
    size_t n = chain_len(db, seq);
    struct conf *c;
    struct load_result r = {0};
    char *text, err[300];
    struct buf b;

    if (n == 0 || db->schema == NULL || (text = read_hist(db, seq - n, "conf")) == NULL)
        return NULL;
    c = conf_new(db->schema);
    if (load_text(c->root, text, &r))
        log_warnx("history r%" PRIu64 ".conf: line %d: %s", seq - n, r.errs[0].line, r.errs[0].msg);
    load_result_free(&r);
    free(text);
    for (uint64_t s = seq - n + 1; s <= seq; s++) {
        char head[64];
        size_t hl;
        text = read_hist(db, s, "delta");
        hl = (size_t)snprintf(head, sizeof(head), "opensg-delta 1 base %" PRIu64 "\n", s - 1);
        if (text == NULL || strncmp(text, head, hl) != 0 ||
            delta_apply_text(c->root, text + hl, err, sizeof(err)) < 0) {
            log_warnx("history r%" PRIu64 ".delta: %s", s,
                      text == NULL ? strerror(errno) : "bad header or operation");
            free(text);
            conf_free(c);
            return NULL;
        }
        free(text);
    }
    buf_init(&b);
    render_text(&b, c->root, 0, 0);
    conf_free(c);
    return b.s ? buf_steal(&b) : strdup("");
}

char *db_read(const struct db *db, size_t n)
{
    char *text;

    if (n >= db->nhist)
        return NULL;
    text = read_hist(db, db->hist[n].seq, "conf");
    if (text == NULL && errno == ENOENT)
        text = rebuild(db, db->hist[n].seq);
    return text;
}

int db_delta_ok(const struct db *db)
{
    return db->nhist > 0 && db->hist[0].seq + 1 == db->next_seq &&
           chain_len(db, db->hist[0].seq) + 1 < DB_DELTA_CHAIN;
}

static int commit_file(struct db *db, const char *ext, const char *head, const char *text,
                       const char *user, const char *method, int confirm_minutes,
                       const char *comment)
{
    char path[PATH_MAX], name[64];
    struct buf b;
    int rc;
    struct db_entry e, dropped;
    int drop = db->nhist == DB_HISTORY_MAX;

    memset(&e, 0, sizeof(e));
    e.seq = db->next_seq;
    e.when = time(NULL);
    snprintf(e.user, sizeof(e.user), "%s", user);
    snprintf(e.method, sizeof(e.method), "%s", method);
    e.confirm_minutes = confirm_minutes;
    snprintf(e.comment, sizeof(e.comment), "%s", comment ? comment : "");
    /* a file of the other kind under this number is a leftover of a commit
     * that did not reach its commit point: it would shadow this one */
    snprintf(name, sizeof(name), "history/r%" PRIu64 ".%s", e.seq,
             strcmp(ext, "conf") == 0 ? "delta" : "conf");
    path_of(db, path, sizeof(path), name);
    unlink(path);
    snprintf(name, sizeof(name), "history/r%" PRIu64 ".%s", e.seq, ext);
    path_of(db, path, sizeof(path), name);
    buf_init(&b);
    buf_puts(&b, head);
    buf_puts(&b, text);
    rc = db_write_atomic(path, b.s ? b.s : "", b.len);
    buf_free(&b);
    if (rc < 0)
        return -1;
    if (drop)
        dropped = db->hist[DB_HISTORY_MAX - 1];
    memmove(&db->hist[1], &db->hist[0],
            (drop ? DB_HISTORY_MAX - 1 : db->nhist) * sizeof(db->hist[0]));
    db->hist[0] = e;
    if (!drop)
        db->nhist++;
    if (write_index(db) < 0) {
        /* the commit point was not reached: undo in memory */
        memmove(&db->hist[0], &db->hist[1], (db->nhist - 1) * sizeof(db->hist[0]));
        if (drop)
            db->hist[DB_HISTORY_MAX - 1] = dropped;
        else
            db->nhist--;
        unlink(path);
        return -1;
    }
    db->next_seq++;
    if (drop) {
        /* what the oldest listed entry needs stays */
        uint64_t oldest = db->hist[db->nhist - 1].seq;
        remove_files(db, oldest - chain_len(db, oldest), db->next_seq);
    }
    return 0;
}

int db_commit(struct db *db, const char *text, const char *user, const char *method,
              int confirm_minutes, const char *comment)
{
    return commit_file(db, "conf", "", text, user, method, confirm_minutes, comment);
}

int db_commit_delta(struct db *db, const char *delta, const char *user, const char *method,
                    int confirm_minutes, const char *comment)
{
    char head[64];

    if (!db_delta_ok(db))
        return -1;
    snprintf(head, sizeof(head), "opensg-delta 1 base %" PRIu64 "\n", db->hist[0].seq);
    return commit_file(db, "delta", head, delta, user, method, confirm_minutes, comment);
}

int db_journal_begin(struct db *db, uint64_t seq)
{
    char path[PATH_MAX], line[64];

    path_of(db, path, sizeof(path), "journal");
    snprintf(line, sizeof(line), "applying %" PRIu64 "\n", seq);
    return db_write_atomic(path, line, strlen(line));
}

int db_journal_end(struct db *db)
{
    char path[PATH_MAX];

    path_of(db, path, sizeof(path), "journal");
    if (unlink(path) < 0 && errno != ENOENT)
        return -1;
    return fsync_dir(path);
}

int db_journal_present(const struct db *db)
{
    char path[PATH_MAX];

    path_of(db, path, sizeof(path), "journal");
    return access(path, F_OK) == 0;
}

int db_confirm_set(struct db *db, time_t deadline)
{
    char path[PATH_MAX], line[64];

    path_of(db, path, sizeof(path), "confirmed");
    if (deadline == 0) {
        if (unlink(path) < 0 && errno != ENOENT)
            return -1;
        return fsync_dir(path);
    }
    snprintf(line, sizeof(line), "%lld\n", (long long)deadline);
    return db_write_atomic(path, line, strlen(line));
}

time_t db_confirm_get(const struct db *db)
{
    char path[PATH_MAX], *t;
    time_t d = 0;

    path_of(db, path, sizeof(path), "confirmed");
    t = buf_read_file(path);
    if (t) {
        d = (time_t)strtoll(t, NULL, 10);
        free(t);
    }
    return d;
}

int db_rescue_save(struct db *db, const char *text)
{
    char path[PATH_MAX];

    path_of(db, path, sizeof(path), "rescue.conf");
    return db_write_atomic(path, text, strlen(text));
}

char *db_rescue_read(const struct db *db)
{
    char path[PATH_MAX];

    path_of(db, path, sizeof(path), "rescue.conf");
    return buf_read_file(path);
}

int db_rescue_delete(struct db *db)
{
    char path[PATH_MAX];

    path_of(db, path, sizeof(path), "rescue.conf");
    if (unlink(path) < 0 && errno != ENOENT)
        return -1;
    return fsync_dir(path);
}

time_t db_rescue_time(const struct db *db)
{
    char path[PATH_MAX];
    struct stat st;

    path_of(db, path, sizeof(path), "rescue.conf");
    return stat(path, &st) == 0 ? st.st_mtime : 0;
}
