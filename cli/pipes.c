/*
 * pipes.c: the output pipes of junos.md 5.8.  A line is split at its
 * unquoted '|'; `display` and `compare` become the request's display
 * attribute (mgd renders), the others filter the rendered text here, line
 * by line, in the order given: match, except, find (POSIX extended
 * regular expressions), count, last, trim, save/append/tee (files under
 * ROOT/home/USER/, as mgd's save), hold and no-more.
 */
#include "cli.h"
#include "words.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum skind { S_MATCH, S_EXCEPT, S_FIND, S_COUNT, S_LAST, S_TRIM, S_SAVE, S_APPEND, S_TEE, S_HOLD };

struct stage {
    enum skind k;
    regex_t re;
    int has_re;
    long n;
    char *file;
    long count;
    int found;
    struct buf held;
};

static const char *const pipe_names[] = {"append", "compare", "count", "display", "except",
                                         "find",   "hold",    "last",  "match",   "no-more",
                                         "save",   "tee",     "trim",  NULL};
static const char *const display_names[] = {"inheritance", "json", "set", "xml", NULL};

size_t pipe_split(const char *line)
{
    size_t i;
    int q = 0;

    for (i = 0; line[i]; i++) {
        if (q && line[i] == '\\' && line[i + 1])
            i++;
        else if (line[i] == '"')
            q = !q;
        else if (!q && line[i] == '|')
            break;
    }
    return i;
}

void pl_init(struct pipeline *pl)
{
    memset(pl, 0, sizeof(*pl));
    buf_init(&pl->partial);
}

static struct stage *add_stage(struct pipeline *pl, enum skind k)
{
    struct stage *s;

    pl->st = realloc(pl->st, (pl->n + 1) * sizeof(*pl->st));
    if (pl->st == NULL)
        abort();
    s = &pl->st[pl->n++];
    memset(s, 0, sizeof(*s));
    s->k = k;
    buf_init(&s->held);
    return s;
}

static int number(const char *s, long max, long *v)
{
    char *end;

    errno = 0;
    *v = strtol(s, &end, 10);
    return *s && *end == '\0' && errno == 0 && *v >= 0 && *v <= max ? 0 : -1;
}

/* One pipe: words w[0..n-1] (w[0] is the pipe command). */
static int parse_one(struct words *w, struct pipeline *pl, char *err, size_t errlen, size_t *col,
                     size_t end)
{
    int amb = 0;
    const char *p = prefix_match(pipe_names, w->w[0], &amb);
    struct stage *s;
    long v;

    if (p == NULL) {
        snprintf(err, errlen, amb ? "'%s' is ambiguous." : "syntax error, expecting <command>.",
                 w->w[0]);
        *col = w->off[0];
        return -1;
    }
#define NEED(k)                                                                                    \
    do {                                                                                           \
        if (w->n < (k) + 1) {                                                                      \
            snprintf(err, errlen, "missing argument.");                                            \
            *col = end;                                                                            \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)
#define EXTRA(k)                                                                                   \
    do {                                                                                           \
        if (w->n > (k)) {                                                                          \
            snprintf(err, errlen, "syntax error.");                                                \
            *col = w->off[k];                                                                      \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)
    if (!strcmp(p, "match") || !strcmp(p, "except") || !strcmp(p, "find")) {
        int rc;
        NEED(1);
        EXTRA(2);
        s = add_stage(pl, p[0] == 'm' ? S_MATCH : p[0] == 'e' ? S_EXCEPT : S_FIND);
        rc = regcomp(&s->re, w->w[1], REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char msg[128];
            regerror(rc, &s->re, msg, sizeof(msg));
            snprintf(err, errlen, "error: invalid regular expression '%s': %s", w->w[1], msg);
            *col = w->off[1];
            return -1;
        }
        s->has_re = 1;
    } else if (!strcmp(p, "count") || !strcmp(p, "hold") || !strcmp(p, "no-more")) {
        EXTRA(1);
        if (p[0] == 'n')
            pl->no_more = 1;
        else
            add_stage(pl, p[0] == 'c' ? S_COUNT : S_HOLD);
    } else if (!strcmp(p, "last") || !strcmp(p, "trim")) {
        if (p[0] == 't')
            NEED(1);
        EXTRA(2);
        v = p[0] == 'l' ? term_rows() - 1 : 0;
        if (w->n > 1 && number(w->w[1], 100000, &v) < 0) {
            snprintf(err, errlen, "invalid value '%s' (0..100000)", w->w[1]);
            *col = w->off[1];
            return -1;
        }
        s = add_stage(pl, p[0] == 'l' ? S_LAST : S_TRIM);
        s->n = v;
    } else if (!strcmp(p, "save") || !strcmp(p, "append") || !strcmp(p, "tee")) {
        NEED(1);
        EXTRA(2);
        s = add_stage(pl, p[0] == 's' ? S_SAVE : p[0] == 'a' ? S_APPEND : S_TEE);
        s->file = strdup(w->w[1]);
    } else if (!strcmp(p, "display")) {
        const char *d;
        NEED(1);
        d = prefix_match(display_names, w->w[1], &amb);
        if (d == NULL) {
            snprintf(err, errlen, amb ? "'%s' is ambiguous." : "syntax error.", w->w[1]);
            *col = w->off[1];
            return -1;
        }
        if (pl->compare) {
            /* the differences are text only here: the whole configuration
             * in another rendering would pass for them */
            snprintf(err, errlen, "error: '| display %s' after '| compare' is not supported", d);
            *col = w->off[1];
            return -1;
        }
        if (!strcmp(d, "set") && w->n > 2) {
            const char *const rel[] = {"relative", NULL};
            if (prefix_match(rel, w->w[2], &amb) == NULL) {
                snprintf(err, errlen, "syntax error.");
                *col = w->off[2];
                return -1;
            }
            EXTRA(3);
            d = "set-relative";
        } else {
            EXTRA(2);
        }
        snprintf(pl->display, sizeof(pl->display), "%s", d);
        pl->xml = !strcmp(d, "xml");
        pl->json = !strcmp(d, "json");
    } else if (!strcmp(p, "compare")) {
        const char *const rb[] = {"rollback", NULL};
        pl->compare = 1;
        pl->compare_n = 0;
        if (w->n > 1) {
            if (prefix_match(rb, w->w[1], &amb) == NULL) {
                snprintf(err, errlen, "syntax error.");
                *col = w->off[1];
                return -1;
            }
            NEED(2);
            EXTRA(3);
            if (number(w->w[2], 49, &v) < 0) {
                snprintf(err, errlen, "error: invalid rollback value: %s", w->w[2]);
                *col = w->off[2];
                return -1;
            }
            pl->compare_n = (int)v;
        }
        snprintf(pl->display, sizeof(pl->display), "compare%d", pl->compare_n);
    }
#undef NEED
#undef EXTRA
    return 0;
}

int pipes_parse(const char *line, size_t at, struct pipeline *pl, char *err, size_t errlen,
                size_t *errcol)
{
    while (line[at] == '|') {
        size_t start = at + 1, len = pipe_split(line + start), eo;
        struct words w;
        const char *werr;
        int rc;

        words_init(&w);
        if (words_split(&w, line + start, len, &werr, &eo) < 0) {
            snprintf(err, errlen, "syntax error: %s", werr);
            *errcol = start + eo;
            words_free(&w);
            return -1;
        }
        for (size_t i = 0; i < w.n; i++)
            w.off[i] += start;
        if (w.n == 0) {
            snprintf(err, errlen, "syntax error, expecting <command>.");
            *errcol = start + len;
            words_free(&w);
            return -1;
        }
        rc = parse_one(&w, pl, err, errlen, errcol, start + len);
        words_free(&w);
        if (rc < 0)
            return -1;
        at = start + len;
    }
    return 0;
}

static void emit(struct pipeline *pl, size_t i, const char *line, size_t len);

static int matches(struct stage *s, const char *line, size_t len)
{
    char *tmp = strndup(line, len);
    int rc;

    if (tmp == NULL)
        abort();
    rc = regexec(&s->re, tmp, 0, NULL, 0) == 0;
    free(tmp);
    return rc;
}

static void emit(struct pipeline *pl, size_t i, const char *line, size_t len)
{
    struct stage *s;

    if (i == pl->n) {
        out_line(line, len);
        return;
    }
    s = &pl->st[i];
    switch (s->k) {
    case S_MATCH:
    case S_EXCEPT:
        if (matches(s, line, len) == (s->k == S_MATCH))
            emit(pl, i + 1, line, len);
        break;
    case S_FIND:
        if (s->found || matches(s, line, len)) {
            s->found = 1;
            emit(pl, i + 1, line, len);
        }
        break;
    case S_COUNT:
        s->count++;
        break;
    case S_TRIM:
        emit(pl, i + 1, line + ((size_t)s->n < len ? (size_t)s->n : len),
             (size_t)s->n < len ? len - (size_t)s->n : 0);
        break;
    case S_TEE:
    case S_HOLD:
        if (s->k == S_TEE) {
            buf_add(&s->held, line, len);
            buf_putc(&s->held, '\n');
        }
        emit(pl, i + 1, line, len);
        break;
    case S_LAST:
    case S_SAVE:
    case S_APPEND:
        buf_add(&s->held, line, len);
        buf_putc(&s->held, '\n');
        s->count++;
        break;
    }
}

void pl_write(struct pipeline *pl, const char *s, size_t len)
{
    const char *end = s + len;

    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (nl == NULL) {
            buf_add(&pl->partial, s, (size_t)(end - s));
            return;
        }
        if (pl->partial.len) {
            buf_add(&pl->partial, s, (size_t)(nl - s));
            emit(pl, 0, pl->partial.s, pl->partial.len);
            buf_reset(&pl->partial);
        } else {
            emit(pl, 0, s, (size_t)(nl - s));
        }
        s = nl + 1;
    }
}

void pl_puts(struct pipeline *pl, const char *s)
{
    pl_write(pl, s, strlen(s));
}

/* Write a file of the user's directory, ROOT/home/USER/NAME. */
static void write_file(struct pipeline *pl, size_t i, struct stage *s)
{
    char path[PATH_MAX], msg[PATH_MAX + 64];
    FILE *f = NULL;
    int n, failed = g_cli.failed;

    g_cli.failed = 1; /* until written */
    if (s->file[0] == '\0' || s->file[0] == '/' || strstr(s->file, "..")) {
        snprintf(msg, sizeof(msg), "error: invalid file name '%s'", s->file);
        emit(pl, i + 1, msg, strlen(msg));
        return;
    }
    snprintf(path, sizeof(path), "%s/home", g_cli.root);
    mkdir(path, 0711);
    snprintf(path, sizeof(path), "%s/home/%s", g_cli.root, g_cli.user);
    mkdir(path, 0700);
    n = snprintf(path, sizeof(path), "%s/home/%s/%s", g_cli.root, g_cli.user, s->file);
    if (n < (int)sizeof(path))
        f = fopen(path, s->k == S_APPEND ? "a" : "w");
    if (f == NULL || fwrite(s->held.s ? s->held.s : "", 1, s->held.len, f) != s->held.len) {
        snprintf(msg, sizeof(msg), "error: could not write '%s': %s", s->file, strerror(errno));
        if (f)
            fclose(f);
        emit(pl, i + 1, msg, strlen(msg));
        return;
    }
    if (fclose(f) != 0) {
        snprintf(msg, sizeof(msg), "error: could not write '%s': %s", s->file, strerror(errno));
        emit(pl, i + 1, msg, strlen(msg));
        return;
    }
    g_cli.failed = failed;
    if (s->k != S_TEE) {
        snprintf(msg, sizeof(msg), "Wrote %ld lines of output to '%s'", s->count, s->file);
        emit(pl, i + 1, msg, strlen(msg));
    }
}

/* The last s->n lines of what was held. */
static void emit_last(struct pipeline *pl, size_t i, struct stage *s)
{
    const char *t = s->held.s ? s->held.s : "", *end = t + s->held.len, *p = t;
    long skip = s->count > s->n ? s->count - s->n : 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (skip > 0)
            skip--;
        else
            emit(pl, i + 1, p, len);
        p += len + 1;
    }
}

void pl_finish(struct pipeline *pl)
{
    if (pl->partial.len) {
        emit(pl, 0, pl->partial.s, pl->partial.len);
        buf_reset(&pl->partial);
    }
    for (size_t i = 0; i < pl->n; i++) {
        struct stage *s = &pl->st[i];
        char msg[64];
        if (s->k == S_COUNT) {
            snprintf(msg, sizeof(msg), "Count: %ld lines", s->count);
            emit(pl, i + 1, msg, strlen(msg));
        } else if (s->k == S_LAST) {
            emit_last(pl, i, s);
        } else if (s->k == S_SAVE || s->k == S_APPEND || s->k == S_TEE) {
            write_file(pl, i, s);
        }
    }
    fflush(stdout);
}

void pl_free(struct pipeline *pl)
{
    for (size_t i = 0; i < pl->n; i++) {
        if (pl->st[i].has_re)
            regfree(&pl->st[i].re);
        free(pl->st[i].file);
        buf_free(&pl->st[i].held);
    }
    free(pl->st);
    buf_free(&pl->partial);
    memset(pl, 0, sizeof(*pl));
}
