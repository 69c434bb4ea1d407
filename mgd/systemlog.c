/* systemlog.c: see systemlog.h */
#include "systemlog.h"
#include "buf.h"
#include "log.h"
#include "logfile.h"
#include "path.h"
#include "words.h"

#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define SL_FILES_MAX 32
#define SL_DEFAULT_SIZE (1ULL << 20)
#define SL_DEFAULT_FILES 3

struct sl_rule {
    int facility; /* -1: any */
    int max_pri;  /* lines at this priority or below (more severe); -1: none */
};

struct sl_file {
    char name[256];
    struct sl_rule rules[16];
    size_t nrules;
    struct logfile lf;
    int has_match;
    regex_t match;
};

static struct {
    char dir[4096];
    char host[256];
    struct sl_file files[SL_FILES_MAX];
    size_t n;
} sl;

static const char *const facility_names[] = {
    [SLF_DAEMON] = "daemon",
    [SLF_INTERACTIVE] = "interactive-commands",
    [SLF_AUTHORIZATION] = "authorization",
    [SLF_CHANGE_LOG] = "change-log",
};

/* The first active child named name (the tree may be unexpanded). */
static const struct cnode *child(const struct cnode *n, const char *name)
{
    for (const struct cnode *c = n ? n->child : NULL; c; c = c->next)
        if (!c->inactive && strcmp(c->sch->name, name) == 0)
            return c;
    return NULL;
}

static const struct cnode *next_active(const struct cnode *n)
{
    do
        n = cnode_next_same(n);
    while (n && n->inactive);
    return n;
}

static const char *child_value(const struct cnode *n, const char *name)
{
    const struct cnode *c = child(n, name);

    return c ? c->value : NULL;
}

/* "any notice": the severity flag under a contents entry. */
static int rule_pri(const struct cnode *contents)
{
    static const struct {
        const char *name;
        int pri;
    } levels[] = {{"any", LOG_DEBUG},     {"emergency", LOG_EMERG}, {"alert", LOG_ALERT},
                  {"critical", LOG_CRIT}, {"error", LOG_ERR},       {"warning", LOG_WARNING},
                  {"notice", LOG_NOTICE}, {"info", LOG_INFO},       {"none", -1}};

    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
        if (child(contents, levels[i].name))
            return levels[i].pri;
    return -1; /* a facility without a severity takes nothing */
}

static void files_free(void)
{
    for (size_t i = 0; i < sl.n; i++) {
        logfile_close(&sl.files[i].lf);
        if (sl.files[i].has_match)
            regfree(&sl.files[i].match);
    }
    sl.n = 0;
}

void mgd_syslog_free(void)
{
    files_free();
}

void mgd_syslog_apply(const char *rootdir, const struct cnode *root)
{
    const struct cnode *sys = child(root, "system"), *f;
    const char *host = child_value(sys, "host-name");

    files_free();
    snprintf(sl.dir, sizeof(sl.dir), "%s/log", rootdir);
    snprintf(sl.host, sizeof(sl.host), "%s", host ? host : "opensg");
    if (mkdir(sl.dir, 0755) < 0 && errno != EEXIST)
        log_warn("%s", sl.dir);
    for (f = child(child(sys, "syslog"), "file"); f && sl.n < SL_FILES_MAX; f = next_active(f)) {
        struct sl_file *x = &sl.files[sl.n];
        const char *name = child_value(f, "name"), *re = child_value(f, "match");
        const struct cnode *a = child(f, "archive");
        const char *files = child_value(a, "files");
        unsigned long long size = logfile_size(child_value(a, "size"));
        char path[4400];

        if (name == NULL || strchr(name, '/') || name[0] == '.')
            continue;
        memset(x, 0, sizeof(*x));
        snprintf(x->name, sizeof(x->name), "%s", name);
        for (const struct cnode *c = child(f, "contents"); c && x->nrules < 16;
             c = next_active(c)) {
            const char *fac = child_value(c, "name");
            int id = -1;
            for (size_t k = 0; fac && k < sizeof(facility_names) / sizeof(facility_names[0]); k++)
                if (strcmp(fac, facility_names[k]) == 0)
                    id = (int)k;
            if (fac && (id >= 0 || strcmp(fac, "any") == 0))
                x->rules[x->nrules++] = (struct sl_rule){id, rule_pri(c)};
            /* other facilities (kernel, firewall, ...) have no source here */
        }
        snprintf(path, sizeof(path), "%s/%s", sl.dir, name);
        if (logfile_open(&x->lf, path, 0640, size ? (size < 4096 ? 4096 : size) : SL_DEFAULT_SIZE,
                         files ? (unsigned)atoi(files) : SL_DEFAULT_FILES) < 0) {
            log_warn("system log file %s", path);
            continue;
        }
        if (re && regcomp(&x->match, re, REG_EXTENDED | REG_NOSUB) == 0)
            x->has_match = 1;
        sl.n++;
    }
}

static int wanted(const struct sl_file *x, enum syslog_facility f, int pri, const char *text)
{
    int take = 0;

    for (size_t i = 0; i < x->nrules && !take; i++)
        take = (x->rules[i].facility < 0 || x->rules[i].facility == (int)f) &&
               x->rules[i].max_pri >= 0 && pri <= x->rules[i].max_pri;
    return take && (!x->has_match || regexec(&x->match, text, 0, NULL, 0) == 0);
}

void mgd_syslog(enum syslog_facility f, int pri, const char *proc, pid_t pid, const char *fmt, ...)
{
    char text[1200], line[1600], when[32];
    va_list ap;
    int n;

    if (sl.n == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    for (char *p = text; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    logfile_stamp(when, sizeof(when), time(NULL));
    n = snprintf(line, sizeof(line), "%s  %s %s[%d]: %s\n", when, sl.host, proc, (int)pid, text);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = (int)sizeof(line) - 1, line[n - 1] = '\n';
    for (size_t i = 0; i < sl.n; i++)
        if (wanted(&sl.files[i], f, pri, text))
            logfile_write(&sl.files[i].lf, line, (size_t)n);
}

/* The names of the schema's secret leaves (ascii-text, hexadecimal,
 * encrypted-password, ...), gathered once. */
static const char *secret_names[32];
static size_t nsecret_names;

static void gather_secret_names(const struct sch_node *n, int depth)
{
    size_t k = 0;

    if (n->flags & SCHF_SECRET) {
        while (k < nsecret_names && strcmp(secret_names[k], n->name) != 0)
            k++;
        if (k == nsecret_names && nsecret_names < sizeof(secret_names) / sizeof(secret_names[0]))
            secret_names[nsecret_names++] = n->name;
    }
    for (size_t i = 0; depth < 64 && i < n->nchildren; i++)
        if (n->children[i] != n)
            gather_secret_names(n->children[i], depth + 1);
}

/* 1 if word is a prefix of a secret leaf's name (the CLI takes unique
 * abbreviations: "as" is ascii-text). */
static int secret_prefix(const struct sch_node *root, const char *word)
{
    size_t len = strlen(word);

    if (nsecret_names == 0)
        gather_secret_names(root, 0);
    for (size_t k = 0; len > 0 && k < nsecret_names; k++)
        if (strncmp(secret_names[k], word, len) == 0)
            return 1;
    return 0;
}

/* Which words of a `set` line are values of secret leaves: the line is
 * parsed as mgd parses it (at the edit level, abbreviations resolved).
 * 0, or -1 when it does not parse. */
static int mask_set_line(const struct sch_node *root, const char *edit, const struct words *w,
                         char *mask)
{
    struct words e;
    struct path p;
    const char *err;
    size_t eo, n;
    char **all;
    int rc = -1;

    words_init(&e);
    if (words_split(&e, edit, strlen(edit), &err, &eo) < 0 ||
        (all = calloc(e.n + w->n, sizeof(*all))) == NULL) {
        words_free(&e);
        return -1;
    }
    for (n = 0; n < e.n; n++)
        all[n] = e.w[n];
    for (size_t i = 1; i < w->n; i++)
        all[n++] = w->w[i];
    if (path_parse(root, 0, all, n, PATH_SET, &p) == 0) {
        rc = 0;
        for (size_t k = 0; k < p.nsteps; k++)
            for (size_t v = 0; (p.steps[k].sch->flags & SCHF_SECRET) && v < p.steps[k].nvals; v++)
                for (size_t i = 1; i < w->n; i++)
                    if (strcmp(w->w[i], p.steps[k].vals[v]) == 0)
                        mask[i] = 1;
    }
    path_free(&p);
    free(all);
    words_free(&e);
    return rc;
}

void mgd_syslog_cmdline(const struct sch_node *schema_root, const char *edit, const char *user,
                        const char *line)
{
    struct words w;
    struct buf b;
    const char *err;
    size_t eo, at = 0, len = strlen(line);
    char *mask;

    if (sl.n == 0)
        return;
    words_init(&w);
    buf_init(&b);
    if (words_split(&w, line, len, &err, &eo) < 0 || (mask = calloc(w.n + 1, 1)) == NULL) {
        buf_puts(&b, "<unreadable line>");
    } else {
        /* a set line parsed: its secret values; anything else (another
         * verb, a line that does not parse): every word after the first
         * one that may name a secret leaf */
        if (edit == NULL || w.n < 2 || strcmp(w.w[0], "set") != 0 ||
            mask_set_line(schema_root, edit, &w, mask) < 0)
            for (size_t i = 1, on = 0; i < w.n; i++)
                mask[i] = on = on || secret_prefix(schema_root, w.w[i - 1]);
        for (size_t i = 1; i < w.n; i++) {
            size_t end = i + 1 < w.n ? w.off[i + 1] : len;
            if (!mask[i])
                continue;
            while (end > w.off[i] && (line[end - 1] == ' ' || line[end - 1] == '\t'))
                end--;
            buf_add(&b, line + at, w.off[i] - at);
            buf_puts(&b, "<secret removed>");
            at = end;
        }
        buf_add(&b, line + at, len - at);
        free(mask);
    }
    mgd_syslog(SLF_INTERACTIVE, LOG_INFO, "mgd", getpid(),
               "UI_CMDLINE_READ_LINE: User '%s', command '%s '", user, b.s ? b.s : "");
    buf_free(&b);
    words_free(&w);
}
